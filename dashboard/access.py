"""The one permission matrix: which pages each role sees, which writes it may make, which columns it sees.

Pages, loaders, exports and the CLI all ask this module; nothing else decides who may do what.
"""

from dataclasses import dataclass
from enum import StrEnum

from dashboard.i18n import label, t
from dashboard.services.errors import RuleError
from data_models.enums import Role


class Page(StrEnum):
    overview = "overview"
    needs = "needs"
    requests = "requests"
    training = "training"
    meetings = "meetings"
    live = "live"                 # 直播现场: capture on air, comment import, 五步协商, 每月一题 (issue 16)
    report = "report"             # 季度汇报: the quarter's figures, narrative, publishing, handout, PDF, slideshow
    cooperative = "cooperative"
    data_io = "data_io"
    audit = "audit"


class Action(StrEnum):
    need_write = "need_write"                      # record a need, move it along the loop
    request_write = "request_write"                # collect, classify, route, report back, call back, close
    request_handle = "request_handle"              # a unit's moves on what is routed to it: accept, finish,
                                                   # send back, transfer (unit roles: only their own units')
    followup_record = "followup_record"            # record a training follow-up (a try, or what was found)
    certificate_revoke = "certificate_revoke"      # revoke a training certificate, with a reason
    meeting_write = "meeting_write"                # prepare a meeting: agenda, attendance, decisions, actions,
                                                   # minutes drafted and circulated, addenda to locked minutes
    case_write = "case_write"                      # 五步协商: open a case, move its steps, record checks and
                                                   # feedback, close it (its requests close with it)
    action_update = "action_update"                # move an action item's status (a party: only its own party's)
    minutes_sign = "minutes_sign"                  # 会签: sign circulated minutes for the account's own party
    report_publish = "report_publish"              # publish (freeze) a quarter's report, restate it with a reason
    report_confirm = "report_confirm"              # the platform and association confirm a published version, the
                                                   # government accepts it (for the account's own party kind)
    distribution_compute = "distribution_compute"  # compute a draft run
    distribution_approve = "distribution_approve"  # approve someone else's draft (four eyes)
    fund_spend = "fund_spend"                      # record spending from the public fund
    export = "export"                              # whole-entity exports (page tab and CLI)
    import_undo = "import_undo"                    # undo an entity's latest import
    audit_view = "audit_view"                      # read and export the audit log
    user_manage = "user_manage"                    # add, reset, disable accounts


@dataclass(frozen=True)
class Grant:
    pages: frozenset[Page]
    actions: frozenset[Action]
    imports: frozenset[str]      # entity names (dashboard.excel.spec.ENTITIES) the role may import
    personal_data: bool          # names, phone numbers and ID-like fields unmasked


READ = frozenset({Page.overview, Page.needs, Page.requests, Page.live, Page.training, Page.meetings,
                  Page.report, Page.cooperative})
# calendar_days and request_slas (the working-day calendar and the deadlines) are an admin's only: every role's
# deadlines and on-time rates count by them; so are subsidy_rules (what every course's subsidy is worked out by).
ALL_ENTITIES = frozenset({
    "communities", "parties", "units", "calendar_days", "request_slas", "practitioners", "needs", "courses",
    "enrolments", "followups", "subsidy_rules", "cooperatives", "members", "sales", "livestreams", "requests",
    "meetings", "agenda_items",
    "action_items",
})

MATRIX: dict[Role, Grant] = {
    Role.admin: Grant(frozenset(Page), frozenset(Action), ALL_ENTITIES, personal_data=True),
    # Social workers hold the casework: needs, training results and the requests raised in livestreams.
    Role.social_worker: Grant(
        READ | {Page.data_io}, frozenset({Action.need_write, Action.request_write, Action.request_handle,
                                          Action.followup_record, Action.meeting_write, Action.action_update,
                                          Action.case_write, Action.report_publish,
                                          Action.minutes_sign, Action.export}),
        frozenset({"practitioners", "needs", "courses", "enrolments", "followups", "livestreams", "requests"}),
        personal_data=True),
    # Government staff see aggregates; they keep the joint meeting's agenda and action items.
    Role.government: Grant(
        READ | {Page.data_io}, frozenset({Action.request_handle, Action.action_update, Action.minutes_sign,
                                          Action.report_confirm, Action.export}),
        frozenset({"meetings", "agenda_items", "action_items"}), personal_data=False),
    # The industry association runs courses and records who took them.
    Role.association: Grant(
        READ | {Page.data_io}, frozenset({Action.request_handle, Action.certificate_revoke, Action.action_update,
                                          Action.minutes_sign, Action.report_confirm, Action.export}),
        frozenset({"courses", "enrolments"}),
        personal_data=False),
    # Platforms host the governance livestreams.
    Role.platform: Grant(
        frozenset({Page.overview, Page.needs, Page.requests, Page.live, Page.training, Page.meetings,
                   Page.report, Page.data_io}),
        frozenset({Action.request_handle, Action.action_update, Action.minutes_sign, Action.report_confirm,
                   Action.export}),
        frozenset({"livestreams"}), personal_data=False),
    # Managers keep members and sales, compute drafts, and approve a draft another person computed.
    Role.cooperative_manager: Grant(
        frozenset({Page.overview, Page.meetings, Page.cooperative, Page.data_io}),
        frozenset({Action.distribution_compute, Action.distribution_approve, Action.fund_spend,
                   Action.action_update, Action.export}),
        frozenset({"members", "sales"}), personal_data=False),
    Role.viewer: Grant(READ, frozenset(), frozenset(), personal_data=False),
}

# The columns that identify a person, per exportable entity, and how each is masked.
PERSONAL_COLUMNS: dict[str, dict[str, str]] = {
    "practitioners": {"name": "name", "phone": "phone"},
    "members": {"name": "name", "phone": "phone"},
}


# A cooperative manager's rows of these entities are their own cooperative's: the column that says whose they are.
COOPERATIVE_COLUMN = {"cooperatives": "id", "members": "cooperative_id", "sales": "cooperative_id"}


# Roles that act for a unit: they see the requests routed to a unit their party acts for (as lead or supporter).
UNIT_ROLES = frozenset({Role.government, Role.platform, Role.association})
# The scope key that stands for "routed to a unit of this party" (dashboard/excel/writer.py turns it into SQL).
UNIT_PARTY = "unit_party_id"


def own_units_only(role: Role | str) -> bool:
    return Role(role) in UNIT_ROLES


def row_scope(role: Role | str, entity: str, *, party_id: int | None,
              cooperative_id: int | None = None) -> dict[str, object] | None:
    """Which rows of `entity` the role may export, as column -> value; None means all of them.

    Government, platform and association staff see the livestream requests routed to a unit their party acts
    for (unit.party_id), as lead or as a supporting unit. An account without a party sees none (a value of None
    matches no row). A cooperative manager sees their own cooperative's members and sales (an account without a
    cooperative party: none)."""
    if own_cooperative_only(role) and entity in COOPERATIVE_COLUMN:
        return {COOPERATIVE_COLUMN[entity]: cooperative_id}
    if own_units_only(role) and entity == "requests":
        return {UNIT_PARTY: party_id}
    return None


def grant(role: Role | str) -> Grant:
    return MATRIX[Role(role)]


def can_see(role: Role | str, page: Page) -> bool:
    return page in grant(role).pages


def can(role: Role | str, action: Action) -> bool:
    return action in grant(role).actions


def can_import(role: Role | str, entity: str) -> bool:
    return entity in grant(role).imports


def sees_personal_data(role: Role | str) -> bool:
    return grant(role).personal_data


def own_cooperative_only(role: Role | str) -> bool:
    """A manager belongs to one cooperative (the party they sign in with) and sees and computes only for it."""
    return Role(role) is Role.cooperative_manager


def may_see_cooperative(role: Role | str, own: str | None, code: str) -> bool:
    """Whether the role sees cooperative `code`; `own` is the account's cooperative (Principal.cooperative_code)."""
    return not own_cooperative_only(role) or (own is not None and own == code)


def sees_member_names(role: Role | str, own: str | None, code: str) -> bool:
    """Members' names and phones of cooperative `code`: roles that see personal data, and its own manager."""
    return sees_personal_data(role) or (own_cooperative_only(role) and own is not None and own == code)


def sees_personal_columns(role: Role | str, entity: str) -> bool:
    """Unmasked personal columns in an export of `entity`. A manager's members export holds only their own
    cooperative's members (row_scope), whose names they hand out on statements anyway."""
    return sees_personal_data(role) or (own_cooperative_only(role) and entity == "members")


def require_cooperative(role: Role | str, own: str | None, code: str) -> None:
    if not may_see_cooperative(role, own, code):
        raise RuleError("access.denied_cooperative", role=label(Role(role)), code=code)


def require(role: Role | str, action: Action) -> None:
    """Refuse, in the user's language, a write the role may not make."""
    if not can(role, action):
        raise RuleError("access.denied_action", role=label(Role(role)), action=t(f"access.action.{action}"))


def require_import(role: Role | str, entity: str) -> None:
    if not can_import(role, entity):
        raise RuleError("access.denied_import", role=label(Role(role)), entity=t(f"entity.{entity}"))


# The four parties whose presence makes a joint meeting quorate and whose signatures lock its minutes.
MEETING_PARTIES = ("government", "platform", "association", "social_work")


def acts_for_party(role: Role | str, own_party_id: int | None, party_id: int) -> bool:
    """Whether an account moves `party_id`'s action items: an admin any party's; a party's account its own only."""
    if Role(role) is Role.admin:
        return True
    return can(role, Action.action_update) and own_party_id is not None and own_party_id == party_id


def require_page(role: Role | str, page: Page) -> None:
    if not can_see(role, page):
        raise RuleError("access.denied_page", role=label(Role(role)), page=t(f"nav.{page}"))
