"""Who sees and changes what, in AppTest: login first, the read-only demo, pages, forms and masking per role,
refusals in the write path itself, idle timeout, disabled accounts and the audit page."""

import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from dashboard import access, accounts
from dashboard.access import Action, Page
from dashboard.db import make_engine
from data_models import AuditLog
from data_models.enums import Role
from tests.apptest_helpers import ROOT, add_user, clear_caches, click, sign_in, start_as

PAGE_FILES = {Page.overview: "app_pages/overview.py", Page.needs: "app_pages/needs.py",
              Page.requests: "app_pages/requests.py", Page.cooperative: "app_pages/cooperative.py",
              Page.data_io: "app_pages/data_io.py", Page.audit: "app_pages/audit.py"}


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    database = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", database)
    clear_caches()
    yield database
    clear_caches()


def keys(at: AppTest) -> set[str]:
    """Every widget key on the page as drawn."""
    found: set[str] = set()
    for kind in ("text_input", "button", "selectbox", "date_input", "number_input", "checkbox", "text_area"):
        found |= {w.key for w in at.get(kind) if getattr(w, "key", None)}
    found |= {w.proto.id for w in at.get("file_uploader")} if at.get("file_uploader") else set()
    return found


def names_in_backlog(at: AppTest) -> list[str]:
    backlog = next(d.value for d in at.dataframe if "从业者编号" in d.value.columns and "姓名" in d.value.columns)
    return list(backlog["姓名"])


def audit_actions(url: str, username: str) -> list[str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = list(conn.execute(sa.select(AuditLog.action).where(AuditLog.entity_id == username)
                                  .order_by(AuditLog.id)).scalars())
    engine.dispose()
    return found


def test_without_an_admin_the_dashboard_opens_as_the_read_only_demo(url: str) -> None:
    at = start_as(url, None)
    assert any("演示账号 · 只读" in w.value for w in at.sidebar.warning)
    at.switch_page("app_pages/needs.py").run()
    assert not at.exception
    assert all("*" in n for n in names_in_backlog(at))             # personal data masked
    assert "needs_new_practitioner" not in keys(at)                 # no forms
    assert any("只能查看" in c.value for c in at.caption)
    with pytest.raises(ValueError):                                 # no data page for the demo
        at.switch_page("app_pages/data_io.py")


def test_once_an_admin_exists_login_comes_before_any_page(url: str) -> None:
    start_as(url, None)                                             # seeds the demo
    username, password = add_user(url, "admin")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert at.header[0].value == "登录 协同治理看板" and not at.metric
    at.radio(key="lang").set_value("en").run()
    assert at.header[0].value == "Sign in to the governance dashboard"
    at.radio(key="lang").set_value("zh").run()
    with pytest.raises(ValueError):
        at.switch_page("app_pages/needs.py")
    sign_in(at, username, password[::-1])
    assert [e.value for e in at.error] == ["用户名或密码不对。"]
    sign_in(at, username, password)
    assert not at.exception and at.header[0].value == "首页 · 总览"
    assert any(f"已登录：{username}（管理员）" in c.value for c in at.sidebar.caption)
    click(at, "退出登录")
    assert at.header[0].value == "登录 协同治理看板"
    assert audit_actions(url, username) == ["create", "login_failed", "login", "logout"]


@pytest.mark.parametrize("role", list(Role))
def test_each_role_sees_its_pages_forms_and_columns(url: str, role: Role) -> None:
    at = start_as(url, role.value)
    grant = access.grant(role)
    for page, path in PAGE_FILES.items():
        if page not in grant.pages:
            with pytest.raises(ValueError):
                at.switch_page(path)
            continue
        at.switch_page(path).run()
        assert not at.exception, (role, page, at.exception)
        shown = keys(at)
        if page is Page.needs:
            assert ("needs_new_practitioner" in shown) == (Action.need_write in grant.actions)
            masked = all("*" in n for n in names_in_backlog(at))
            assert masked == (not grant.personal_data), role
        if page is Page.requests and access.own_units_only(role):     # this account acts for no unit's party
            assert any("还没有归属单位" in i.value for i in at.info) and "requests_pick" not in shown
        elif page is Page.requests:
            at.selectbox(key="requests_pick").set_value(at.selectbox(key="requests_pick").options[0]).run()
            assert not at.exception, (role, at.exception)
            offered = "requests_move" in {r.key for r in at.radio}
            assert offered == bool({Action.request_write, Action.request_handle} & grant.actions), role
        if page is Page.cooperative:
            assert ("coop_period" in shown) == (Action.distribution_compute in grant.actions)
            assert ("coop_purpose" in shown) == (Action.fund_spend in grant.actions)
            at.selectbox(key="coop_run").set_value("GA-COOP-2026Q3-1").run()     # the demo's draft
            assert ("coop_approve" in keys(at)) == (Action.distribution_approve in grant.actions)
        if page is Page.data_io:
            for entity in ("communities", "sales", "practitioners"):
                at.selectbox(key="io_entity").set_value(entity).run()
                uploaders = [u for u in at.get("file_uploader") if u.key != "io_batch_upload"]
                assert bool(uploaders) == (entity in grant.imports), (role, entity)
                # 批量导入 takes any of the role's entities (and refuses the others by name, per file).
                assert any(u.key == "io_batch_upload" for u in at.get("file_uploader")) == bool(grant.imports), role
            assert ("io_undo" in keys(at)) == (Action.import_undo in grant.actions)


def test_the_write_path_refuses_a_role_whatever_the_page_draws(url: str) -> None:
    """loaders.write asks the matrix itself: a page that forgot to hide a form still cannot write."""
    start_as(url, None)

    def script() -> None:
        import streamlit as st

        from dashboard import loaders
        from dashboard.access import Action
        from dashboard.accounts import Principal
        from dashboard.services import needs
        from dashboard.services.errors import RuleError
        from data_models.enums import Role

        st.session_state.principal = Principal("guest", Role.government)
        try:
            loaders.write(needs.record_need, permission=Action.need_write, practitioner_code="P00001",
                          category="rights_protection", severity="medium", description="", actor="guest",
                          identified_on=loaders.today(), today=loaders.today())
            st.success("written")
        except RuleError as err:
            st.error(err.message())

    at = AppTest.from_function(script, default_timeout=60).run()
    assert [e.value for e in at.error] == ["政府没有权限登记或推进需求。"] and not at.success


def test_an_idle_session_is_signed_out(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHBOARD_SESSION_IDLE_MINUTES", "1")
    clear_caches()
    at = start_as(url, "social_worker")
    user = at.session_state["principal"].username
    at.session_state["last_seen"] = time.time() - 61
    at.run()
    assert at.header[0].value == "登录 协同治理看板"
    assert any("自动退出" in i.value for i in at.info)
    assert audit_actions(url, user)[-1] == "session_expired"


def test_a_disabled_account_is_signed_out_on_its_next_click(url: str) -> None:
    at = start_as(url, "cooperative_manager")
    user = at.session_state["principal"].username
    engine = make_engine(url)
    with Session(engine) as session:
        accounts.set_active(session, username=user, active=False, actor="admin")
        session.commit()
    engine.dispose()
    at.run()
    assert at.header[0].value == "登录 协同治理看板" and any("停用" in i.value for i in at.info)


def test_the_audit_page_filters_exports_and_checks_the_chain(url: str) -> None:
    at = start_as(url, "admin")
    admin = at.session_state["principal"].username
    at.switch_page("app_pages/audit.py").run()
    log = at.dataframe[0].value
    assert {"登录", "审批", "载入演示数据"} <= set(log["动作"])
    at.selectbox(key="audit_action").set_value("login").run()
    log = at.dataframe[0].value
    assert set(log["动作"]) == {"登录"} and set(log["操作人"]) == {admin}
    at.text_input(key="audit_actor").set_value("nobody").run()
    assert at.dataframe[0].value.empty
    assert [b.label for b in at.get("download_button")] == ["导出此表（Excel）"]
    click(at, "校验哈希链")
    assert any("哈希链全部吻合" in s.value for s in at.success)


def test_government_exports_only_its_offices_requests_on_the_data_page(url: str) -> None:
    start_as(url, None)                                             # seeds the demo (and its parties)
    add_user(url, "admin")
    username, password = add_user(url, "government", party="GA-GOV")
    at = sign_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run(), username, password)
    at.switch_page("app_pages/data_io.py").run()
    at.selectbox(key="io_entity").set_value("requests").run()
    at.session_state["io_tab"] = "导出"                            # the export tab builds only when open
    at.run()
    at.checkbox(key="io_export_all").check().run()
    engine = make_engine(url)
    with engine.connect() as conn:
        routed = conn.execute(sa.text("SELECT COUNT(*) FROM request r JOIN unit u ON u.id = r.lead_unit_id "
                                      "JOIN party p ON p.id = u.party_id WHERE p.code = 'GA-GOV'")).scalar_one()
    engine.dispose()
    labels = [b.label for b in at.get("download_button")]
    assert f"下载 Excel（{routed:,} 行）" in labels
    assert any("只导出转给你所在单位承办" in c.value for c in at.caption)
