"""Closed lists of the domain. Codes are English; the Chinese and English labels live in dashboard/i18n."""

from enum import StrEnum


class CommunityKind(StrEnum):
    urban = "urban"
    rural = "rural"


class PartyKind(StrEnum):
    government = "government"
    platform = "platform"
    association = "association"
    social_work = "social_work"
    cooperative = "cooperative"
    other = "other"


class Gender(StrEnum):
    female = "female"
    male = "male"


class Education(StrEnum):
    primary_or_below = "primary_or_below"
    junior_high = "junior_high"
    senior_high = "senior_high"
    junior_college = "junior_college"
    bachelor = "bachelor"
    postgraduate = "postgraduate"


class Hukou(StrEnum):
    rural = "rural"
    urban = "urban"


class EmploymentType(StrEnum):
    platform_employee = "platform_employee"
    independent_operator = "independent_operator"
    flexible_worker = "flexible_worker"


class Occupation(StrEnum):
    livestream_host = "livestream_host"
    store_operator = "store_operator"
    customer_service = "customer_service"
    content_creator = "content_creator"
    warehouse_packing = "warehouse_packing"
    delivery = "delivery"
    handicraft = "handicraft"
    domestic_service = "domestic_service"
    other = "other"


class DomesticService(StrEnum):
    """Service lines of practitioners in platform domestic services (paper 003)."""

    cleaning = "cleaning"
    maternity = "maternity"
    elderly_care = "elderly_care"
    appliance_cleaning = "appliance_cleaning"


class VulnerableGroup(StrEnum):
    disabled = "disabled"
    rural_women = "rural_women"
    low_income = "low_income"
    migrant_women = "migrant_women"
    elderly = "elderly"
    returning_youth = "returning_youth"


class NeedCategory(StrEnum):
    skills_digital = "skills_digital"
    rights_protection = "rights_protection"
    sustainability_health = "sustainability_health"
    social_support = "social_support"
    employment_income = "employment_income"
    family_care = "family_care"


class Severity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    urgent = "urgent"


class NeedStatus(StrEnum):
    """The closed loop of paper 000: identified -> assessed -> responded -> feedback -> closed."""

    identified = "identified"
    assessed = "assessed"
    responded = "responded"
    feedback = "feedback"
    closed = "closed"


class CourseTopic(StrEnum):
    digital_basics = "digital_basics"
    product_selection = "product_selection"
    short_video = "short_video"
    livestreaming = "livestreaming"
    store_operation = "store_operation"
    after_sales = "after_sales"
    domestic_service = "domestic_service"
    rights_law = "rights_law"


class CourseLevel(StrEnum):
    basic = "basic"
    intermediate = "intermediate"
    advanced = "advanced"


class TargetGroup(StrEnum):
    """Who a course is for: everyone, or one vulnerable group."""

    all = "all"
    disabled = "disabled"
    rural_women = "rural_women"
    low_income = "low_income"
    migrant_women = "migrant_women"
    elderly = "elderly"
    returning_youth = "returning_youth"


class FollowupWave(StrEnum):
    """The contacts after a course: 3 and 6 months after its last day."""

    m3 = "m3"
    m6 = "m6"


class FollowupStatus(StrEnum):
    """pending: due or not yet, not reached so far (tries may be > 0); reached: the answers are recorded;
    unreachable: given up after the tries. Unreachable is never read as not employed."""

    pending = "pending"
    reached = "reached"
    unreachable = "unreachable"


class EmploymentStatus(StrEnum):
    """What a reached follow-up found. The first three are employed."""

    ecommerce_employed = "ecommerce_employed"    # 电商受雇（平台、店铺、直播间、客服）
    ecommerce_self = "ecommerce_self"            # 电商自主经营（开店、带货、接单）
    other_work = "other_work"                    # 其他工作
    not_employed = "not_employed"                # 未就业


class HelpFundBasis(StrEnum):
    none = "none"
    profit = "profit"
    sales = "sales"


class DistributionBasis(StrEnum):
    revenue = "revenue"
    quantity = "quantity"
    shares = "shares"


class RunStatus(StrEnum):
    draft = "draft"
    approved = "approved"
    reversed = "reversed"


class SalesChannel(StrEnum):
    douyin = "douyin"
    kuaishou = "kuaishou"
    taobao = "taobao"
    pinduoduo = "pinduoduo"
    meituan = "meituan"
    wechat = "wechat"


class LivestreamPlatform(StrEnum):
    douyin = "douyin"
    kuaishou = "kuaishou"
    wechat_channels = "wechat_channels"


class RequestCategory(StrEnum):
    parcel_stacking = "parcel_stacking"
    livestream_noise = "livestream_noise"
    road_lighting = "road_lighting"
    sanitation = "sanitation"
    logistics = "logistics"
    training = "training"
    rights_dispute = "rights_dispute"
    public_facilities = "public_facilities"
    other = "other"


class RequestStatus(StrEnum):
    """Lifecycle of a livestream request (dashboard/services/requests.py). 重新打开 is a move back to in_progress,
    not a status of its own: the request keeps a count of its reopenings."""

    collected = "collected"
    classified = "classified"
    routed = "routed"
    in_progress = "in_progress"
    resolved = "resolved"
    reported = "reported"
    closed = "closed"


class UnitKind(StrEnum):
    """What a routing target is: requests are routed to units, escalations climb to a unit's parent."""

    village_committee = "village_committee"        # 村委会 / 居委会
    township_department = "township_department"    # 乡镇（街道）及其部门
    platform = "platform"
    association = "association"
    other = "other"


class RequestPriority(StrEnum):
    """How many working days a unit has from 转办 (the request_sla table holds the days)."""

    urgent = "urgent"
    general = "general"
    complex = "complex"


class RequestOutcome(StrEnum):
    solved = "solved"
    partly_solved = "partly_solved"
    explained = "explained"
    unreasonable = "unreasonable"


class ReturnReason(StrEnum):
    """Why a unit sends a request back (退回)."""

    not_our_remit = "not_our_remit"
    information_missing = "information_missing"
    duplicate = "duplicate"
    other = "other"


class CallbackResult(StrEnum):
    satisfied = "satisfied"
    basically_satisfied = "basically_satisfied"
    dissatisfied = "dissatisfied"
    unreachable = "unreachable"


class RequestMove(StrEnum):
    """The kind of one entry in a request's history."""

    collect = "collect"
    classify = "classify"
    route = "route"
    accept = "accept"
    finish = "finish"
    propose_unreasonable = "propose_unreasonable"
    report = "report"
    close = "close"
    send_back = "send_back"
    transfer = "transfer"
    reopen = "reopen"
    escalate = "escalate"
    callback = "callback"
    consult = "consult"        # 已分类 → 办理中 by opening a 五步协商 case (dashboard/services/consultation.py)


class RequestSource(StrEnum):
    """How a request came in: typed in the request list, captured during the stream, from the comment export, or
    imported from a spreadsheet."""

    typed = "typed"
    live = "live"
    comments = "comments"
    imported = "imported"


class CandidateStatus(StrEnum):
    """A candidate request grouped from a livestream's comments (dashboard/services/comment_import.py)."""

    pending = "pending"
    accepted = "accepted"      # became a request (已收集), `request_id` says which
    merged = "merged"          # folded into another candidate, `merged_into_id` says which
    discarded = "discarded"


class CaseStep(StrEnum):
    """五步协商法 (paper 001 §6.2.3): each step in turn, then closed when the measures held."""

    collection = "collection"    # 问题收集
    invitation = "invitation"    # 主体邀请
    meeting = "meeting"          # 协商会议
    solution = "solution"        # 解决方案
    supervision = "supervision"  # 执行监督: weekly checks and monthly resident feedback
    closed = "closed"


class CasePartyKind(StrEnum):
    property_management = "property_management"   # 物业
    practitioner = "practitioner"                 # 涉及的从业者
    resident_rep = "resident_rep"                 # 居民代表
    committee = "committee"                       # 村（居）委会
    other = "other"


class CaseCheckKind(StrEnum):
    weekly_check = "weekly_check"          # 治理小组每周检查
    monthly_feedback = "monthly_feedback"  # 居民每月反馈


class MeetingKind(StrEnum):
    joint_four_party = "joint_four_party"
    consultation = "consultation"


class AgendaSource(StrEnum):
    manual = "manual"
    action_item = "action_item"
    overdue_requests = "overdue_requests"
    unmet_needs = "unmet_needs"
    training = "training"
    distribution = "distribution"
    hot_topic = "hot_topic"          # 每月一题 (issue 16): a quarter's top topic of livestream requests


class AttendanceStatus(StrEnum):
    present = "present"
    absent = "absent"
    deputy = "deputy"          # 代为出席: represented by a deputy, named in `deputy`


class MinutesStatus(StrEnum):
    draft = "draft"            # the social worker assembles and edits
    circulated = "circulated"  # sent round for amendment until `amend_until`; then each party signs (会签)
    locked = "locked"          # every party signed: the text never changes, corrections are addenda


class ActionStatus(StrEnum):
    open = "open"
    in_progress = "in_progress"
    done = "done"
    cancelled = "cancelled"


class Role(StrEnum):
    admin = "admin"
    social_worker = "social_worker"
    government = "government"
    association = "association"
    platform = "platform"
    cooperative_manager = "cooperative_manager"
    viewer = "viewer"


ALL_ENUMS: tuple[type[StrEnum], ...] = (
    CommunityKind, PartyKind, Gender, Education, Hukou, EmploymentType, Occupation, DomesticService,
    VulnerableGroup, NeedCategory, Severity, NeedStatus, CourseTopic, CourseLevel, TargetGroup,
    FollowupWave, FollowupStatus, EmploymentStatus,
    HelpFundBasis, DistributionBasis, RunStatus, SalesChannel, LivestreamPlatform, RequestCategory,
    RequestStatus, UnitKind, RequestPriority, RequestOutcome, ReturnReason, CallbackResult, RequestMove,
    RequestSource, CandidateStatus, CaseStep, CasePartyKind, CaseCheckKind,
    MeetingKind, AttendanceStatus, MinutesStatus, AgendaSource, ActionStatus, Role,
)
