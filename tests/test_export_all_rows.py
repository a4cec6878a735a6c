"""Issue 12 item 7: "导出此表" under the backlog exports every row that matches the page's filters, not the 200
shown, and its cover says how many and which filters; the page's button says so too."""

import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from dashboard.excel.tables import backlog_xlsx
from dashboard.queries import Scope, needs_board
from tests.apptest_helpers import open_page

TODAY = dt.date(2026, 11, 30)


def sheets(data: bytes) -> tuple[dict[str, str], list[tuple]]:
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    cover, table = wb.worksheets[0], wb.worksheets[1]
    return ({str(r[0]): str(r[1]) for r in cover.iter_rows(values_only=True)},
            list(table.iter_rows(values_only=True)))


@pytest.mark.parametrize("scope", [Scope(None, "2026Q3"), Scope(1, "2025Q3"),
                                   Scope(None, "2026Q3", ("hukou", "rural"))])
def test_the_backlog_export_holds_every_matching_row(demo_engine: Engine, scope: Scope) -> None:
    with Session(demo_engine) as session:
        shown, total = needs_board.backlog(session, scope=scope, today=TODAY)
        every, _ = needs_board.backlog(session, scope=scope, today=TODAY, limit=None)
    assert len(shown) == 200 < total == len(every)      # the page shows 200 of more
    data, count = backlog_xlsx(demo_engine, scope=scope, today=TODAY, title="未结案需求",
                               filters={"社区": "全部社区", "季度": scope.quarter}, personal=True, shown=len(shown))
    cover, rows = sheets(data)
    assert count == total and len(rows) == total + 1     # a header and every matching need
    assert [r[0] for r in rows[1:]] == list(every["code"])
    assert cover["行数"] == f"{total:,}" and cover["季度"] == scope.quarter and cover["社区"] == "全部社区"
    assert cover["范围"] == "符合以上筛选条件的全部记录（页面表格只显示前 200 条）"


def test_the_backlog_export_masks_names_where_the_page_does(demo_engine: Engine) -> None:
    data, _ = backlog_xlsx(demo_engine, scope=Scope(None, "2026Q3"), today=TODAY, title="t", filters={},
                           personal=False, shown=200)
    names = [r[2] for r in sheets(data)[1][1:]]
    assert names and all("*" in n for n in names)


@pytest.fixture
def at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    yield from open_page(tmp_path, monkeypatch, "app_pages/needs.py", role="social_worker")


def test_the_button_says_it_exports_all_matching_rows(at: AppTest) -> None:
    heading = next(m.value for m in at.markdown if "未结案需求" in m.value)
    total = heading.split("共 ")[1].split(" 条")[0]
    assert "显示 200 /" in heading
    button = next(b for b in at.get("download_button") if b.proto.id.endswith("needs_backlog_xlsx") or
                  "全部" in b.label)
    assert button.label == f"导出全部 {total} 条（Excel）"
    assert re.fullmatch(r"\d{1,3}(,\d{3})*", total)   # grouped as the button is
    assert "不只是表格里显示的前 200 条" in button.proto.help


def build_in_another_thread() -> None:
    """Run by AppTest: the button's file is built when clicked, on a server thread, in the page's language."""
    import datetime as dt
    import io
    import threading

    import openpyxl
    import streamlit as st

    from dashboard import loaders
    from dashboard.accounts import Principal
    from dashboard.i18n import set_language
    from dashboard.queries import Scope
    from data_models.enums import Role

    set_language("en")
    st.session_state["principal"] = Principal("sw", Role.social_worker)
    build = loaders.backlog_file(Scope(None, "2026Q3"), dt.date(2026, 11, 30), title="Open needs", shown=200)
    made: list[bytes] = []
    worker = threading.Thread(target=lambda: made.append(build()))
    worker.start()
    worker.join()
    cover = openpyxl.load_workbook(io.BytesIO(made[0]), read_only=True).worksheets[0]
    st.write(" | ".join(str(r[0]) for r in cover.iter_rows(values_only=True)))


def test_the_file_is_built_on_click_in_the_users_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("DASHBOARD_AUTO_SEED", "false")
    from tests.apptest_helpers import clear_caches

    clear_caches()
    at = AppTest.from_function(build_in_another_thread, default_timeout=60).run()
    clear_caches()
    assert not at.exception, at.exception
    assert "Rows" in at.markdown[0].value and "Scope" in at.markdown[0].value
