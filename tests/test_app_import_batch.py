"""The data page's 批量导入 tab in AppTest, as a social worker on a database that holds only what an admin set up:
the quarter's six files are recognised, previewed per file and imported with one button; a file with an error is
listed by row and column, and nothing is offered for import."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.db import init_database
from dashboard.periods import previous_quarter, quarter_bounds, quarter_key, shanghai_today
from tests import journey_data as jd
from tests.apptest_helpers import ROOT, add_user, clear_caches, sign_in

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
QUARTER = previous_quarter(quarter_key(shanghai_today()))          # the last quarter that is over
PEOPLE = 15


@pytest.fixture
def at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    """The data page as a social worker of HX, on a database with no demo data."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_AUTO_SEED", "false")
    clear_caches()
    engine = init_database(url)
    jd.insert_setup(engine, slas=False)                      # a migrated database has its deadlines already
    engine.dispose()
    add_user(url, "admin")
    username, password = add_user(url, "social_worker", party=jd.SOCIAL_WORK)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.run()
    sign_in(app, username, password)
    app.switch_page("app_pages/data_io.py").run()
    assert not app.exception, app.exception
    yield app
    clear_caches()


def files(changed: dict[str, bytes] | None = None) -> list[tuple[str, bytes, str]]:
    rows = jd.quarter_rows(QUARTER, people=PEOPLE)
    return [(jd.file_name(e, QUARTER), (changed or {}).get(e) or jd.workbook(e, rows[e]), XLSX) for e in jd.CASEWORK]


def upload(at: AppTest, chosen: list[tuple[str, bytes, str]]) -> None:
    at.session_state["io_tab"] = "批量导入"
    at.file_uploader(key="io_batch_upload").set_value(chosen).run()
    assert not at.exception, at.exception


def table(at: AppTest, column: str) -> pd.DataFrame:
    """The shown table that has `column` (the files' table has 识别为, the problems' 问题)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_the_tab_previews_the_quarters_files_then_imports_them_with_one_click(at: AppTest) -> None:
    assert at.file_uploader(key="io_batch_upload").accept_multiple_files
    upload(at, files())
    shown = table(at, "识别为")
    assert shown["识别为"].tolist() == ["从业者", "需求评估", "培训课程", "培训报名", "治理直播", "直播诉求"]
    assert shown["检查结果"].tolist() == ["可以导入"] * 6
    assert shown["新增"].iloc[0] == str(PEOPLE)
    assert any("从业者 → 需求评估 → 培训课程 → 培训报名 → 治理直播 → 直播诉求" in i.value for i in at.info)
    commit = at.button(key="io_batch_commit")
    assert commit.label == "全部导入（6 个文件）"
    commit.click().run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("已导入 6 个文件：新增 ") for s in at.success)
    assert not at.dataframe                                                   # the uploader is empty again
    assert at.file_uploader(key="io_batch_upload_1").value in (None, [])
    # The sidebar now offers the imported quarter.
    assert QUARTER in at.selectbox(key="filter_quarter").options


def test_a_file_with_an_error_is_listed_by_row_and_column_and_nothing_is_offered(at: AppTest) -> None:
    courses = [dict(r) for r in jd.quarter_rows(QUARTER, people=PEOPLE)["courses"]]
    courses[1]["end_date"] = quarter_bounds(QUARTER)[0] - dt.timedelta(days=1)
    upload(at, files({"courses": jd.workbook("courses", courses)}))
    shown = table(at, "识别为")
    assert shown["检查结果"].tolist() == ["可以导入", "可以导入", "1 处问题", "等待改正", "可以导入", "可以导入"]
    errors = table(at, "问题")
    row = errors[errors["文件"] == jd.file_name("courses", QUARTER)].iloc[0]
    assert (row["行号"], row["列"]) == ("3", "结束日期")
    assert any(e.value.startswith("2 个文件有问题") for e in at.error)        # the courses, and the enrolments waiting
    assert not [b for b in at.button if b.key == "io_batch_commit"]


def test_a_file_the_role_may_not_import_is_named(at: AppTest) -> None:
    units = (jd.file_name("units", QUARTER), jd.workbook("units", jd.setup_rows()["units"]), XLSX)
    upload(at, [*files()[:1], units])
    errors = table(at, "问题")
    assert any("社工没有权限导入承办单位" in m for m in errors["问题"])
    assert not [b for b in at.button if b.key == "io_batch_commit"]


def test_the_preview_speaks_english(at: AppTest) -> None:
    at.radio(key="lang").set_value("en").run()
    at.session_state["io_tab"] = "Import several files"
    chosen = [f for f in files() if f[0] in (jd.file_name("practitioners", QUARTER), jd.file_name("needs", QUARTER))]
    at.file_uploader(key="io_batch_upload").set_value(chosen).run()
    assert not at.exception, at.exception
    shown = table(at, "Recognised as")
    assert shown["Recognised as"].tolist() == ["practitioners", "needs assessments"]
    assert shown["Check"].tolist() == ["ready", "ready"]
    assert at.button(key="io_batch_commit").label == "Import all (2 files)"
