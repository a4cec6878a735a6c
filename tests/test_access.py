"""The permission matrix as a table: pages, writes, imports and personal data per role, and its refusals."""

import pytest

from dashboard import access
from dashboard.access import Action, Page
from dashboard.i18n import set_language
from dashboard.services.errors import RuleError
from data_models.enums import Role

PAGES = {
    Role.admin: {"overview", "needs", "requests", "live", "training", "meetings", "report", "cooperative", "data_io",
                 "audit"},
    Role.social_worker: {"overview", "needs", "requests", "live", "training", "meetings", "report", "cooperative",
                         "data_io"},
    Role.government: {"overview", "needs", "requests", "live", "training", "meetings", "report", "cooperative",
                      "data_io"},
    Role.association: {"overview", "needs", "requests", "live", "training", "meetings", "report", "cooperative",
                       "data_io"},
    Role.platform: {"overview", "needs", "requests", "live", "training", "meetings", "report", "data_io"},
    Role.cooperative_manager: {"overview", "meetings", "cooperative", "data_io"},
    Role.viewer: {"overview", "needs", "requests", "live", "training", "meetings", "report", "cooperative"},
}
# The joint meeting: social workers prepare and record; the four parties' accounts sign for their own party; every
# party's account (a cooperative's too) moves its own party's action items.
PARTY_MOVES = {Action.action_update, Action.minutes_sign}
WRITES = {
    Role.admin: set(Action),
    Role.social_worker: {Action.need_write, Action.request_write, Action.request_handle, Action.followup_record,
                         Action.meeting_write, Action.case_write, Action.report_publish, *PARTY_MOVES,
                         Action.export},
    # 季度汇报: the social worker publishes; the platform and association confirm and the government accepts.
    Role.government: {Action.request_handle, *PARTY_MOVES, Action.report_confirm, Action.export},
    Role.association: {Action.request_handle, Action.certificate_revoke, *PARTY_MOVES, Action.report_confirm,
                       Action.export},
    Role.platform: {Action.request_handle, *PARTY_MOVES, Action.report_confirm, Action.export},
    Role.cooperative_manager: {Action.distribution_compute, Action.distribution_approve, Action.fund_spend,
                               Action.action_update, Action.export},
    Role.viewer: set(),
}
IMPORTS = {
    Role.social_worker: {"practitioners", "needs", "courses", "enrolments", "followups", "livestreams", "requests"},
    Role.government: {"meetings", "agenda_items", "action_items"},
    Role.association: {"courses", "enrolments"},
    Role.platform: {"livestreams"},
    Role.cooperative_manager: {"members", "sales"},
    Role.viewer: set(),
}


def test_every_role_has_a_row() -> None:
    assert set(access.MATRIX) == set(Role)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("page", list(Page))
def test_pages(role: Role, page: Page) -> None:
    assert access.can_see(role, page) == (page.value in PAGES[role])


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_writes(role: Role, action: Action) -> None:
    assert access.can(role, action) == (action in WRITES[role])
    if action in WRITES[role]:
        access.require(role, action)
    else:
        with pytest.raises(RuleError):
            access.require(role, action)


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.admin])
def test_imports(role: Role) -> None:
    from dashboard.excel.spec import ENTITIES
    for entity in ENTITIES:
        assert access.can_import(role, entity) == (entity in IMPORTS[role]), entity


def test_admin_imports_every_entity_the_importer_knows() -> None:
    from dashboard.excel.spec import ENTITIES
    assert set(ENTITIES) == access.ALL_ENTITIES
    assert all(access.can_import(Role.admin, e) for e in ENTITIES)


@pytest.mark.parametrize("role", list(Role))
def test_only_social_workers_and_admins_see_personal_data(role: Role) -> None:
    assert access.sees_personal_data(role) == (role in (Role.admin, Role.social_worker))


def test_refusals_name_the_role_and_the_action_in_the_users_language() -> None:
    set_language("zh")
    with pytest.raises(RuleError) as zh:
        access.require(Role.viewer, Action.distribution_approve)
    assert zh.value.message() == "只读用户没有权限审批分配方案。"
    with pytest.raises(RuleError) as imp:
        access.require_import("government", "sales")
    assert imp.value.message() == "政府没有权限导入销售记录。"
    set_language("en")
    try:
        with pytest.raises(RuleError) as en:
            access.require(Role.platform, Action.need_write)
        assert "may not record or move needs" in en.value.message()
    finally:
        set_language("zh")


def test_unit_roles_export_only_the_requests_routed_to_their_units() -> None:
    for role in (Role.government, Role.platform, Role.association):
        assert access.row_scope(role, "requests", party_id=3) == {access.UNIT_PARTY: 3}
        assert access.row_scope(role, "requests", party_id=None) == {access.UNIT_PARTY: None}   # matches none
        assert access.row_scope(role, "needs", party_id=3) is None
    assert access.row_scope(Role.admin, "requests", party_id=None) is None
    assert access.row_scope(Role.social_worker, "requests", party_id=3) is None
