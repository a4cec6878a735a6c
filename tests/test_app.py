"""The app in Streamlit's AppTest: first start seeds, both languages, filters that hold, figures from the database."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from dashboard.db import make_engine
from dashboard.i18n import fmt_int
from dashboard.queries import Scope, needs
from tests.apptest_helpers import ROOT, clear_caches, start_as
from tests.conftest import BACKENDS

PAGES = ["app_pages/overview.py", "app_pages/needs.py", "app_pages/training.py", "app_pages/cooperative.py",
         "app_pages/report.py", "app_pages/data_io.py",
         "app_pages/audit.py"]


@pytest.fixture
def app_url(fresh_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    clear_caches()
    yield fresh_database_url
    clear_caches()


def start() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    return at


def metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r}"
    return values[0]


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_first_start_loads_demo_data_and_says_so(app_url: str) -> None:
    at = start()
    assert any("已自动载入演示数据" in i.value for i in at.info)
    assert metric(at, "从业者") == "2,000"
    assert at.selectbox(key="filter_quarter").value == "2026Q3"
    at.run()                                         # the notice is shown once per session
    assert not any("演示数据" in i.value for i in at.info)


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_figures_match_the_database_and_filters_survive(app_url: str) -> None:
    at = start()
    at.selectbox(key="filter_community").set_value(2).run()
    at.selectbox(key="filter_quarter").set_value("2025Q4").run()
    engine = make_engine(app_url)
    with Session(engine) as session:
        expected = needs.profile(session, scope=Scope(2, "2025Q4")).practitioners
    engine.dispose()
    assert metric(at, "从业者") == fmt_int(expected)
    assert "石桥村 · 2025Q4" in at.caption[0].value

    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert at.selectbox(key="filter_community").value == 2
    assert at.selectbox(key="filter_quarter").value == "2025Q4"
    assert metric(at, "Practitioners") == fmt_int(expected)
    assert at.header[0].value == "Overview"


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page_file", PAGES)
@pytest.mark.parametrize("fresh_database_url", ["sqlite"], indirect=True)
def test_every_page_runs_in_both_languages(app_url: str, page_file: str, lang: str) -> None:
    at = start_as(app_url, "admin")
    at.radio(key="lang").set_value(lang).run()
    at.switch_page(page_file).run()
    assert not at.exception
    assert at.header[0].value == {
        ("zh", "overview"): "首页 · 总览", ("en", "overview"): "Overview",
        ("zh", "cooperative"): "合作社分配", ("en", "cooperative"): "Cooperative distribution",
        ("zh", "needs"): "需求评估", ("en", "needs"): "Needs assessment",
        ("zh", "data_io"): "数据导入导出", ("en", "data_io"): "Data in and out",
        ("zh", "audit"): "审计日志", ("en", "audit"): "Audit log",
        ("zh", "training"): "培训成效", ("en", "training"): "Training outcomes",
        ("zh", "report"): "季度汇报", ("en", "report"): "Quarterly report",
    }[(lang, Path(page_file).stem)]


@pytest.mark.parametrize("fresh_database_url", ["sqlite"], indirect=True)
def test_overview_sets_the_profile_beside_the_papers(app_url: str) -> None:
    at = start()
    at.switch_page("app_pages/overview.py").run()
    table = at.table[0].value
    assert next(iter(table.columns)) == "指标"
    assert "55%" in table.iloc[:, 2].tolist()            # the paper's reference beside this scope's share


@pytest.mark.parametrize("fresh_database_url", ["sqlite"], indirect=True)
def test_empty_database_without_auto_seed_says_there_is_no_data(app_url: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHBOARD_AUTO_SEED", "false")
    clear_caches()
    at = start()
    assert any("暂无数据" in i.value for i in at.info)
    assert not at.metric
