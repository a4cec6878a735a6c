"""Issue 12 item 5: a cooperative manager belongs to a cooperative (a party of kind cooperative with the same code),
sees only it, its members' names unmasked, and may compute only for it: the matrix, the page and the CLI."""

import io
import json
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from dashboard import access, accounts
from dashboard.services.errors import RuleError
from data_models.enums import Role
from tests import factories as fx
from tests.apptest_helpers import ROOT, add_user, clear_caches, sign_in, start_as
from tests.conftest import BACKENDS
from tests.test_cli import run


def two_cooperatives(engine: Engine) -> None:
    """Community C1 with cooperatives COOP1 (member 李娟) and COOP2 (member 张秀华), each with its own party."""
    with engine.begin() as conn:
        c = fx.community(conn)
        for i, name in ((1, "李娟"), (2, "张秀华")):
            coop = fx.cooperative(conn, c, code=f"COOP{i}", name=f"合作社{i}")
            fx.party(conn, c, code=f"COOP{i}", kind="cooperative")
            fx.split(conn, coop)
            m = fx.member(conn, coop, code=f"M{i}", name=name)
            fx.sale(conn, coop, c, code=f"S{i}", member_id=m)
        fx.party(conn, c, code="C1-GOV", kind="government")


def make_user(engine: Engine, username: str, role: str, party: str | None) -> str:
    password = accounts.new_password()
    with Session(engine) as session:
        accounts.create_user(session, username=username, role=role, actor="test", party_code=party, password=password)
        session.commit()
    return password


def test_the_matrix_scopes_a_manager_to_their_cooperative() -> None:
    m = Role.cooperative_manager
    assert access.may_see_cooperative(m, "COOP1", "COOP1") and not access.may_see_cooperative(m, "COOP1", "COOP2")
    assert not access.may_see_cooperative(m, None, "COOP1")                   # no cooperative party: none
    assert access.may_see_cooperative(Role.government, None, "COOP2")
    assert access.sees_member_names(m, "COOP1", "COOP1") and not access.sees_member_names(m, "COOP1", "COOP2")
    assert not access.sees_member_names(Role.government, None, "COOP1")
    with pytest.raises(RuleError, match="COOP2"):
        access.require_cooperative(m, "COOP1", "COOP2")
    assert access.row_scope(m, "members", party_id=None, cooperative_id=7) == {"cooperative_id": 7}
    assert access.row_scope(m, "cooperatives", party_id=None, cooperative_id=7) == {"id": 7}


def test_a_managers_sign_in_carries_their_cooperative(engine: Engine) -> None:
    two_cooperatives(engine)
    password = make_user(engine, "mgr1", "cooperative_manager", "COOP1")
    make_user(engine, "gov", "government", "C1-GOV")
    who = accounts.login(engine, username="mgr1", password=password)
    assert who.cooperative_code == "COOP1" and who.cooperative_id is not None
    with Session(engine) as session:
        gov = accounts.principal_of(session, "gov")
    assert gov is not None and gov.cooperative_code is None


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_the_command_line_keeps_a_manager_to_their_cooperative(fresh_database_url: str, tmp_path: Path) -> None:
    from dashboard.db import init_database

    engine = init_database(fresh_database_url)
    two_cooperatives(engine)
    password = make_user(engine, "mgr1", "cooperative_manager", "COOP1")
    engine.dispose()
    other = run(fresh_database_url, "distribute", "COOP2", "2025Q3", "--user", "mgr1", "--json", password=password)
    assert other.returncode == 1 and "只能查看自己所在的合作社" in other.stderr and "COOP2" in other.stderr
    own = run(fresh_database_url, "distribute", "COOP1", "2025Q3", "--user", "mgr1", "--json", password=password)
    assert own.returncode == 0, own.stderr
    assert [(line["member"], line["name"]) for line in json.loads(own.stdout)["lines"]] == [("M1", "李娟")]
    for entity, code, shown in (("members", "M1", "李娟"), ("sales", "S1", "COOP1"), ("cooperatives", "COOP1", "C1")):
        out = tmp_path / f"{entity}.xlsx"
        done = run(fresh_database_url, "export", entity, str(out), "--user", "mgr1", password=password)
        assert done.returncode == 0, done.stderr
        sheet = openpyxl.load_workbook(io.BytesIO(out.read_bytes()), read_only=True).worksheets[1]
        rows = list(sheet.iter_rows(values_only=True))[1:]
        assert len(rows) == 1 and rows[0][0] == code and shown in rows[0], (entity, rows)   # own rows, unmasked


@pytest.fixture
def url(fresh_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    clear_caches()
    yield fresh_database_url
    clear_caches()


def top_member_names(at: AppTest) -> list[str]:
    return list(next(d.value for d in at.dataframe if "成员编号" in d.value.columns and "订单数" in d.value.columns)
                ["姓名"])


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_the_page_shows_a_manager_only_their_cooperative_names_unmasked(fresh_database_url: str, url: str) -> None:
    at = start_as(url, "cooperative_manager")                 # bound to GA-COOP (tests/apptest_helpers.py)
    at.switch_page("app_pages/cooperative.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="coop_cooperative").options == ["G市A社区电商合作社"]   # all communities, one cooperative
    assert any("只看到本社" in c.value for c in at.caption)
    names = top_member_names(at)
    assert names and not any("*" in n for n in names)
    at.selectbox(key="coop_run").set_value("GA-COOP-2026Q3-1").run()      # no run is preselected
    lines = next(d.value for d in at.dataframe if "本人占比" in d.value.columns)
    assert not any("*" in n for n in lines["姓名"])
    at.toggle(key="meeting_mode").set_value(True).run()      # the projector still gets masks
    assert all("*" in n for n in top_member_names(at))
    at.toggle(key="meeting_mode").set_value(False).run()
    at.selectbox(key="filter_community").set_value(2).run()  # another community: not theirs, nothing to show
    assert "coop_cooperative" not in [s.key for s in at.selectbox]


@pytest.mark.parametrize("fresh_database_url", BACKENDS[:1], indirect=True)
def test_a_manager_without_a_cooperative_sees_none_and_others_still_see_all(fresh_database_url: str,
                                                                            url: str) -> None:
    start_as(url, None)                                       # seeds the demo
    add_user(url, "admin")
    username, password = add_user(url, "cooperative_manager")  # no party
    at = sign_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run(), username, password)
    at.switch_page("app_pages/cooperative.py").run()
    assert not at.exception and any("没有绑定合作社" in i.value for i in at.info)
    username, password = add_user(url, "government", party="GA-GOV")
    at = sign_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run(), username, password)
    at.switch_page("app_pages/cooperative.py").run()
    assert len(at.selectbox(key="coop_cooperative").options) == 3
    assert all("*" in n for n in top_member_names(at))


@pytest.mark.parametrize("fresh_database_url", BACKENDS[:1], indirect=True)
def test_the_data_page_exports_a_manager_their_own_members_unmasked(fresh_database_url: str, url: str) -> None:
    at = start_as(url, "cooperative_manager")
    at.switch_page("app_pages/data_io.py").run()
    at.selectbox(key="io_entity").set_value("members").run()
    at.session_state["io_tab"] = "导出"
    at.run()
    at.checkbox(key="io_export_all").check().run()
    assert not at.exception, at.exception
    from dashboard.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        own = conn.exec_driver_sql("SELECT COUNT(*) FROM member m JOIN cooperative c ON c.id = m.cooperative_id "
                                   "WHERE c.code = 'GA-COOP'").scalar_one()
        every = conn.exec_driver_sql("SELECT COUNT(*) FROM member").scalar_one()
    engine.dispose()
    assert 0 < own < every
    assert f"下载 Excel（{own:,} 行）" in [b.label for b in at.get("download_button")]
    captions = [c.value for c in at.caption]
    assert any("只导出你所在合作社" in c for c in captions) and not any("会打码" in c for c in captions)
