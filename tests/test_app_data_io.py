"""The 数据导入导出 page in AppTest: a bad file shows its errors and writes nothing; a good one commits."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import click, open_page

HEADER = "从业者编号,社区编号,姓名,性别,出生年份,学历,户籍,就业形态,职业,日工作时长（小时）,登记日期\n"


@pytest.fixture
def at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    yield from open_page(tmp_path, monkeypatch, "app_pages/data_io.py")


def upload(at: AppTest, name: str, text: str) -> None:
    at.selectbox(key="io_entity").set_value("practitioners").run()
    at.file_uploader(key="io_upload_practitioners").set_value((name, text.encode("utf-8"), "text/csv")).run()
    assert not at.exception, at.exception


def test_a_bad_file_lists_its_errors_and_offers_no_import(at: AppTest) -> None:
    upload(at, "bad.csv", HEADER + "P1,GA,王芳,女,1990,初中,农业户口,外卖员,主播,9,2025-03-01\n")
    errors = at.dataframe[0].value
    assert errors.iloc[0].tolist() == ["bad.csv", "2", "就业形态", "外卖员",
                                       "不在可选值里。可选：平台雇员、独立经营者、灵活从业者。"]
    assert not [b for b in at.button if b.label == "确认导入"]


def test_a_good_file_previews_then_commits(at: AppTest) -> None:
    upload(at, "good.csv", HEADER + "P90001,GA,王芳,女,1990,初中,农业户口,灵活从业者,主播,9,2025/3/1\n"
                                    "P00001,GA,改名,女,1990,初中,农业户口,灵活从业者,主播,9,2025/3/1\n")
    assert {m.label: m.value for m in at.metric}["新增"] == "1"
    assert {m.label: m.value for m in at.metric}["更新"] == "1"
    click(at, "确认导入")
    assert any("已导入：新增 1，更新 1" in s.value for s in at.success)
    assert not at.metric and not [b for b in at.button if b.label == "确认导入"]     # the uploader is empty again


def confirm_box(at: AppTest):  # type: ignore[no-untyped-def]
    return next(c for c in at.checkbox if c.label == "我确认要撤销")


def tick(at: AppTest) -> None:
    confirm_box(at).check().run()


def test_undo_names_the_import_it_undoes_and_refuses_one_that_came_meanwhile(at: AppTest) -> None:
    """Undo undid whatever import was latest at the click. The page names the import, and another admin's import
    between the page drawn and the click is refused, not undone unseen."""
    import os

    from dashboard.db import make_engine
    from dashboard.excel import importer

    upload(at, "mine.csv", HEADER + "P90001,GA,王芳,女,1990,初中,农业户口,灵活从业者,主播,9,2025/3/1\n")
    click(at, "确认导入")
    assert any("「mine.csv」" in m.value and "新增 1 条" in m.value for m in at.markdown), \
        [m.value for m in at.markdown]
    tick(at)
    engine = make_engine(os.environ["DATABASE_URL"])       # another admin, in another tab
    theirs = importer.import_file(engine, "practitioners", (HEADER + "P90002,GA,李四,男,1991,初中,农业户口,"
                                                            "灵活从业者,主播,9,2025/3/1\n").encode(), "theirs.csv",
                                  actor="另一位管理员")
    assert theirs.status == "committed"
    at.button(key="io_undo").click().run()
    assert [e.value for e in at.error] and "theirs.csv" in at.error[0].value and "mine.csv" in at.error[0].value
    latest = importer.latest_import(engine, "practitioners")
    assert latest is not None and latest.file_name == "theirs.csv"          # nothing undone
    engine.dispose()
    assert any("「theirs.csv」" in m.value for m in at.markdown)             # the page now names that one
    assert not confirm_box(at).value                                        # not confirmed for that one
    tick(at)
    at.button(key="io_undo").click().run()
    assert any("已撤销" in s.value or "theirs.csv" in s.value for s in at.success), [s.value for s in at.success]
    assert any("「mine.csv」" in m.value for m in at.markdown)               # the next one is named, not confirmed
    assert not confirm_box(at).value


def test_switching_the_language_keeps_the_tab_and_names_the_entities_as_labels(at: AppTest) -> None:
    """On the 导出 tab, switching to English stays on Export (the tab kept its Chinese label and fell back to the
    first); the entities read as labels there (Practitioners, not «practitioners»), and back in Chinese as before."""
    at.session_state["io_tab"] = "导出"
    at.run()
    at.radio(key="lang").set_value("en").run()
    assert not at.exception, at.exception
    assert at.session_state["io_tab"] == "Export"
    shown = at.selectbox(key="io_entity").options
    assert "Practitioners" in shown and all(o[:1].isupper() for o in shown), shown
    at.radio(key="lang").set_value("zh").run()
    assert at.session_state["io_tab"] == "导出"
