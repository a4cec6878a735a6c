"""What each importable entity's spreadsheet looks like, derived from the table classes.

Types, enum lists, lengths, required-ness and references come from the model's columns; this module adds
only what a model cannot say: the Chinese header, and which columns are worked out on import (period keys,
the community of a row whose parent has one).
"""

import sys
from dataclasses import dataclass, field
from enum import StrEnum

import sqlalchemy as sa

import data_models
from data_models import enums

T = data_models.metadata.tables

# table -> the CLI name of the entity whose code a reference to it is written as
ENTITY_OF_TABLE = {
    "community": "communities", "party": "parties", "practitioner": "practitioners", "course": "courses",
    "cooperative": "cooperatives", "member": "members", "livestream_session": "livestreams", "meeting": "meetings",
    "unit": "units", "enrolment": "enrolments",
}


@dataclass(frozen=True)
class Field:
    name: str                      # English header (also accepted on import)
    zh: str                        # Chinese header
    kind: str                      # text code int float date bool money enum ref groups
    column: str                    # the database column it fills
    required: bool
    enum: type[StrEnum] | None = None
    ref: str | None = None         # entity name whose code this is
    max_len: int | None = None
    lo: int | float | None = None      # the range the column holds on both databases (money: in cents)
    hi: int | float | None = None

    def header(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.name


@dataclass(frozen=True)
class Entity:
    name: str
    zh: str
    table: sa.Table
    fields: list[Field]
    period_from: str | None = None                   # date column that sets quarter (and month if present)
    community_from: str | None = None                # ref field whose parent gives community_id
    checks: list[tuple[str, str, str]] = field(default_factory=list)   # (sql-ish rule key, column, message key)
    event_dates: tuple[str, ...] = ()                # dates the row records happening: never after today
    keys: tuple[str, ...] = ()                       # a key of several columns (a follow-up: enrolment + wave)
    export_only: tuple[Field, ...] = ()              # shown in exports, not read on import (a request's source)
    import_values: tuple[tuple[str, str], ...] = ()  # what every row an import creates has (source: imported)

    @property
    def code(self) -> Field:
        """The column a row is known by: re-importing a row with the same value updates it."""
        return self.fields[0]

    @property
    def exported(self) -> list[Field]:
        """The columns of an export: the template's, then those only an export shows."""
        return [*self.fields, *self.export_only]

    @property
    def key(self) -> str:
        """The key's (first) column: `code` for most; a calendar day's date, an SLA's priority, a follow-up's
        enrolment."""
        return self.code.column

    @property
    def key_columns(self) -> tuple[str, ...]:
        """Every column of the key: one for most; a follow-up is known by its enrolment and its wave."""
        return self.keys or (self.key,)


# (column, Chinese header, required). The first is the entity's code (or, where a table has none, its key).
LAYOUT: dict[str, tuple[str, str, list[tuple[str, str, bool]]]] = {
    "communities": ("社区", "community", [
        ("code", "社区编号", True), ("name", "社区名称", True), ("kind", "类型", True), ("city", "城市", False),
        ("district", "区县", False)]),
    "parties": ("联席会议单位", "party", [
        ("code", "单位编号", True), ("name", "单位名称", True), ("kind", "单位类型", True),
        ("community_id", "社区编号", False)]),
    "units": ("承办单位", "unit", [
        ("code", "单位编号", True), ("name", "单位名称", True), ("kind", "单位类型", True),
        ("community_id", "社区编号", False), ("township", "乡镇（街道）", False),
        ("party_id", "联席会议单位编号", False), ("parent_id", "上级单位编号", False), ("is_active", "启用", False)]),
    "calendar_days": ("工作日调整", "calendar_day", [
        ("day", "日期", True), ("is_workday", "是否工作日", True), ("note", "说明", False)]),
    "request_slas": ("办理时限", "request_sla", [
        ("priority", "优先级", True), ("working_days", "工作日数", True)]),
    "practitioners": ("从业者", "practitioner", [
        ("code", "从业者编号", True), ("community_id", "社区编号", True), ("name", "姓名", True),
        ("gender", "性别", True), ("birth_year", "出生年份", True), ("phone", "电话", False),
        ("education", "学历", True), ("hukou", "户籍", True), ("employment_type", "就业形态", True),
        ("occupation", "职业", True), ("domestic_service", "家政服务类别", False),
        ("daily_work_hours", "日工作时长（小时）", True), ("has_labour_contract", "签订劳动合同", False),
        ("has_pension", "养老保险", False), ("has_injury_insurance", "工伤保险", False),
        ("monthly_income_cents", "月收入（元）", False), ("is_association_member", "加入行业协会", False),
        ("strengths", "优势特长", False), ("registered_on", "登记日期", True), ("groups", "弱势群体标签", False)]),
    "needs": ("需求评估", "need_assessment", [
        ("code", "需求编号", True), ("practitioner_id", "从业者编号", True), ("category", "需求类别", True),
        ("severity", "紧急程度", True), ("status", "状态", True), ("description", "需求描述", False),
        ("identified_on", "识别日期", True), ("assessed_on", "评估日期", False), ("responded_on", "响应日期", False),
        ("feedback_on", "反馈日期", False), ("closed_on", "结案日期", False), ("satisfaction", "满意度", False),
        ("social_worker", "负责社工", False)]),
    "courses": ("培训课程", "course", [
        ("code", "课程编号", True), ("community_id", "社区编号", True), ("title", "课程名称", True),
        ("topic", "主题", True), ("level", "级别", True), ("provider_party_id", "培训机构编号", False),
        ("target_group", "面向人群", False), ("hours", "课时", True), ("start_date", "开始日期", True),
        ("end_date", "结束日期", True)]),
    "enrolments": ("培训报名", "enrolment", [
        ("code", "报名编号", True), ("course_id", "课程编号", True), ("practitioner_id", "从业者编号", True),
        ("enrolled_on", "报名日期", True), ("attended", "出勤", False), ("completed", "结业", False),
        ("pre_score", "培训前得分", False), ("post_score", "培训后得分", False), ("certified", "取得证书", False),
        ("income_before_cents", "培训前月收入（元）", False), ("satisfaction", "满意度", False)]),
    "followups": ("回访记录", "training_followup", [
        ("enrolment_id", "报名编号", True), ("wave", "回访批次", True), ("due_on", "应回访日期", False),
        ("status", "回访状态", True), ("tries", "尝试次数", False), ("last_tried_on", "最近尝试日期", False),
        ("reached_on", "联系上日期", False), ("employment", "就业情况", False), ("opened_store", "开设网店", False),
        ("livestreams_per_week", "每周直播场次", False), ("income_cents", "回访时月收入（元）", False),
        ("note", "备注", False), ("recorded_by", "记录人", False)]),
    "subsidy_rules": ("培训补贴规则", "subsidy_rule", [
        ("code", "规则编号", True), ("title", "规则名称", True), ("valid_from", "生效日期", True),
        ("valid_to", "失效日期", False), ("basic_cents", "初级补贴（元/人）", True),
        ("intermediate_cents", "中级补贴（元/人）", True), ("advanced_cents", "高级补贴（元/人）", True),
        ("first_pct", "取证拨付比例（%）", False), ("employment_pct", "就业率要求（%）", False),
        ("window_months", "就业统计期（月）", False), ("claim_grace_days", "申领宽限期（天）", False)]),
    "cooperatives": ("合作社", "cooperative", [
        ("code", "合作社编号", True), ("community_id", "社区编号", True), ("name", "合作社名称", True),
        ("founded_on", "成立日期", False), ("carry_loss_forward", "亏损结转", False),
        ("distribution_basis", "分配依据", False)]),
    "members": ("合作社成员", "member", [
        ("code", "成员编号", True), ("cooperative_id", "合作社编号", True), ("practitioner_id", "从业者编号", False),
        ("name", "姓名", True), ("phone", "电话", False), ("joined_on", "入社日期", True),
        ("shares_held", "持股数", False), ("is_active", "在册", False)]),
    "sales": ("销售记录", "sale", [
        ("code", "订单编号", True), ("cooperative_id", "合作社编号", True), ("member_id", "成员编号", False),
        ("sold_on", "销售日期", True), ("channel", "渠道", True), ("product", "商品", False),
        ("quantity", "数量", True), ("revenue_cents", "销售额（元）", True), ("cost_cents", "成本（元）", True)]),
    "livestreams": ("治理直播", "livestream_session", [
        ("code", "直播编号", True), ("community_id", "社区编号", True), ("held_on", "直播日期", True),
        ("title", "标题", False), ("hosts", "主持人", False), ("platform", "平台", True),
        ("viewers", "观看人数", False)]),
    "requests": ("直播诉求", "request", [
        ("code", "诉求编号", True), ("session_id", "直播编号", True), ("raised_on", "提出日期", True),
        ("category", "诉求类别", True), ("priority", "优先级", False), ("description", "诉求内容", False),
        ("resident", "提问居民", False),
        ("endorsements", "附议数", False), ("lead_unit_id", "主办单位编号", False), ("routed_on", "转办日期", False),
        ("deadline", "办理期限", False), ("status", "状态", True), ("outcome", "办结类型", False),
        ("resolved_on", "办结日期", False), ("resolution", "办理结果", False),
        ("unreasonable_by", "不合理认定提出人", False), ("unreasonable_agreed_by", "不合理认定同意人", False),
        ("reported_session_id", "反馈直播编号", False), ("satisfaction", "回访结果", False),
        ("callback_tries", "回访次数", False), ("closed_on", "关闭日期", False)]),
    "meetings": ("联席会议", "meeting", [
        ("code", "会议编号", True), ("community_id", "社区编号", True), ("kind", "会议类型", False),
        ("title", "会议名称", True), ("held_on", "会议日期", True), ("location", "地点", False),
        ("starts_at", "开始时间", False)]),
    "agenda_items": ("会议议程", "agenda_item", [
        ("code", "议程编号", True), ("meeting_id", "会议编号", True), ("order_no", "顺序", True),
        ("title", "议题", True), ("presenter_party_id", "汇报单位编号", False), ("minutes", "时长（分钟）", True),
        ("source", "来源", False)]),
    "action_items": ("行动事项", "action_item", [
        ("code", "事项编号", True), ("meeting_id", "会议编号", True), ("title", "事项", True),
        ("owner_party_id", "责任单位编号", True), ("created_on", "提出日期", True), ("due_on", "完成期限", True),
        ("status", "状态", True), ("done_on", "完成日期", False), ("owner_person", "责任人", False),
        ("note", "进展说明", False)]),
}
PERIOD_FROM = {"needs": "identified_on", "courses": "start_date", "enrolments": "enrolled_on", "sales": "sold_on",
               "livestreams": "held_on", "requests": "raised_on", "meetings": "held_on"}
COMMUNITY_FROM = {"needs": "practitioner_id", "enrolments": "course_id", "sales": "cooperative_id",
                  "requests": "session_id"}
# The day each row records as having happened (registration, sale, need, enrolment, livestream): not in the future.
EVENT_DATES = {"practitioners": ("registered_on",), "sales": ("sold_on",), "needs": ("identified_on",),
               "enrolments": ("enrolled_on",), "livestreams": ("held_on",),
               "followups": ("last_tried_on", "reached_on")}
# Columns an export shows but an import does not read: how a request came in is not for a file to say.
EXPORT_ONLY = {"requests": [("source", "来源")]}
# What every row an import creates has, whatever the file holds.
IMPORT_VALUES = {"requests": (("source", "imported"),)}
# Tables without a code: the columns a row is known by (re-importing the same ones updates it).
KEYS = {"followups": ("enrolment_id", "wave")}
ENUM_BY_NAME = {e.__name__.lower(): e for e in enums.ALL_ENUMS}


FLOAT_MAX = sys.float_info.max


def _int_range(col: sa.Column) -> tuple[int, int]:
    """What the column holds on both databases: SQLite's INTEGER is 64-bit, PostgreSQL's INTEGER 32-bit."""
    bits = 64 if isinstance(col.type, sa.BigInteger) else 16 if isinstance(col.type, sa.SmallInteger) else 32
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def _field(table: sa.Table, column: str, zh: str, required: bool) -> Field:
    if column == "groups":
        return Field("vulnerable_groups", zh, "groups", "groups", required, enums.VulnerableGroup)
    col = table.c[column]
    if col.foreign_keys:
        target = next(iter(col.foreign_keys)).column.table.name
        ref = ENTITY_OF_TABLE[target]
        return Field(column.removesuffix("_id") + "_code", zh, "ref", column, required, ref=ref)
    if isinstance(col.type, sa.Enum):
        enum_cls = col.type.enum_class
        assert enum_cls is not None and issubclass(enum_cls, StrEnum)
        return Field(column, zh, "enum", column, required, enum=enum_cls)
    if column.endswith("_cents"):
        return Field(column.removesuffix("_cents"), zh, "money", column, required, lo=0, hi=_int_range(col)[1])
    if column == "code":
        return Field(column, zh, "code", column, required, max_len=getattr(col.type, "length", None))
    if isinstance(col.type, sa.Boolean):
        return Field(column, zh, "bool", column, required)
    if isinstance(col.type, sa.Date):
        return Field(column, zh, "date", column, required)
    if isinstance(col.type, sa.Float):
        return Field(column, zh, "float", column, required, lo=-FLOAT_MAX, hi=FLOAT_MAX)
    if isinstance(col.type, sa.Integer):
        lo, hi = _int_range(col)
        return Field(column, zh, "int", column, required, lo=lo, hi=hi)
    return Field(column, zh, "text", column, required, max_len=getattr(col.type, "length", None))


def _build() -> dict[str, Entity]:
    out = {}
    for name, (zh, table_name, layout) in LAYOUT.items():
        table = T[table_name]
        fields = [_field(table, column, header, required) for column, header, required in layout]
        extra = tuple(_field(table, column, header, False) for column, header in EXPORT_ONLY.get(name, []))
        out[name] = Entity(name, zh, table, fields, PERIOD_FROM.get(name), COMMUNITY_FROM.get(name),
                           event_dates=EVENT_DATES.get(name, ()), keys=KEYS.get(name, ()), export_only=extra,
                           import_values=IMPORT_VALUES.get(name, ()))
    return out


ENTITIES: dict[str, Entity] = _build()
