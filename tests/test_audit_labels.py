"""The audit page in the user's language: objects by name, each change as "字段：值" instead of raw JSON."""

import datetime as dt
import json
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

import data_models
from dashboard import accounts, presenters_audit
from dashboard.i18n import STRINGS, set_language, t
from dashboard.queries import audit_log
from dashboard.services import needs as needs_service
from dashboard.services.distribution import run_summary
from data_models import CooperativeSplit, DistributionRun, FundSpending, NeedAssessment, TrainingFollowup
from seed import load_demo

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


@pytest.fixture
def lang() -> Iterator[None]:
    yield
    set_language("zh")


# Every field the app writes into a change, from the code that writes it.
WRITTEN_FIELDS = (
    set(NeedAssessment.model_fields) | set(CooperativeSplit.model_fields) | set(FundSpending.model_fields)
    | set(TrainingFollowup.model_fields) | {"certified", "revoked_on", "revoked_reason", "revoked_by", "number"}
    | set(run_summary(DistributionRun(code="R", cooperative_id=1, period="2026Q3", basis="revenue")))
    | set(accounts._public(data_models.User(username="u", role="viewer")))
    | {"status", "on", "satisfaction", "replaced_by", "channel", "reason", "wait_seconds", "created", "updated",
       "unchanged", "sha256", "batch", "file", "deleted", "restored", "scale", "reset", "rows", "seconds"}
)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_field_and_object_the_log_writes_has_a_label(language: str) -> None:
    strings = STRINGS[language]
    assert sorted(f for f in WRITTEN_FIELDS if f"audit.field.{f}" not in strings) == []
    objects = [*data_models.metadata.tables, "*"]
    assert sorted(o for o in objects if f"audit.obj.{o}" not in strings) == []


@pytest.mark.parametrize(("language", "expected"), [
    ("zh", "编号：DR-1；状态：已审批；分配依据：按销售额；销售额：¥1,234.56；成员比例：70%；审批人：王芳"),
    ("en", "Code: DR-1; Status: Approved; Basis: By revenue; Revenue: ¥1,234.56; Members' share: 70%; "
           "Approved by: 王芳"),
])
def test_a_change_is_worded_field_by_field(lang: None, language: str, expected: str) -> None:
    set_language(language)
    raw = json.dumps({"approved_by": "王芳", "basis": "revenue", "code": "DR-1", "member_bp": 7000,
                      "revenue_cents": 123456, "status": "approved", "created_by": None}, sort_keys=True)
    assert presenters_audit.audit_change(raw, "distribution_run") == expected


def test_status_is_labelled_by_the_object_it_belongs_to(lang: None) -> None:
    set_language("zh")
    assert presenters_audit.audit_change('{"status": "assessed"}', "need_assessment") == "状态：社工评估"
    assert presenters_audit.audit_change('{"status": "reversed"}', "distribution_run") == "状态：已冲销"


def test_seed_rows_name_each_table_and_logins_their_channel(lang: None) -> None:
    set_language("zh")
    seed = json.dumps({"rows": {"practitioner": 2000, "sale": 12500}, "scale": "demo", "reset": False})
    assert presenters_audit.audit_change(seed, "*") == "规模：演示；清空重建：否；行数：从业者 2,000、销售记录 12,500"
    failed = '{"channel": "cli", "reason": "bad_password"}'
    assert presenters_audit.audit_change(failed, "user") == "途径：命令行；原因：密码不对"
    set_language("en")
    assert presenters_audit.audit_change(failed, "user") == "Channel: command line; Reason: wrong password"


@pytest.mark.parametrize("raw", [None, "", "not json", "[1, 2]", '{"mystery_field": "x"}'])
def test_anything_else_is_shown_as_it_is_never_an_error(lang: None, raw: str | None) -> None:
    set_language("zh")
    shown = presenters_audit.audit_change(raw, "sale")
    assert shown == {None: "—", "": "—", '{"mystery_field": "x"}': "mystery_field：x"}.get(raw, raw)


def test_objects_are_named_and_unknown_ones_keep_their_code(lang: None) -> None:
    set_language("zh")
    assert [presenters_audit.audit_entity(e) for e in ("distribution_run", "need_assessment", "*", "new_table")] \
        == ["分配方案", "需求评估", "全部数据", "new_table"]
    set_language("en")
    assert presenters_audit.audit_entity("distribution_run") == "Distribution runs"


def test_the_log_of_real_writes_reads_in_each_language(engine: Engine, lang: None) -> None:
    """Seed, a need recorded and moved, an account made and signed in: no JSON and no word of the other language
    in the field names, on both databases."""
    load_demo(engine, "demo")
    with Session(engine) as session:
        code = session.execute(sa.text("SELECT code FROM practitioner ORDER BY code LIMIT 1")).scalar_one()
        day = dt.date(2026, 9, 1)
        need = needs_service.record_need(session, practitioner_code=code, category="rights_protection",
                                         severity="high", description="合同纠纷", identified_on=day, actor="社工甲",
                                         today=day)
        needs_service.advance_need(session, need_code=need.code, to_status="assessed", on=day, actor="社工甲",
                                   today=day)
        password = accounts.new_password()
        accounts.create_user(session, username="wang", role="social_worker", actor="admin", password=password)
        session.commit()
    accounts.login(engine, username="wang", password=password)
    with Session(engine) as session:
        log, _ = audit_log.entries(session, filters=audit_log.AuditFilter())
    assert {"need_assessment", "user", "distribution_run", "*"} <= set(log["entity"])

    for language in ("zh", "en"):
        set_language(language)
        shown = presenters_audit.audit_table(log)
        labels = {v for k, v in STRINGS[language].items() if k.startswith("audit.field.")}
        for column in (t("audit.col_before"), t("audit.col_after")):
            for text in shown[column]:
                assert "{" not in text, text
                if text == "—":
                    continue
                for pair in text.split(t("audit.pair_sep")):
                    field = pair.split(t("audit.pair", field="", value="").strip() or ":", 1)[0]
                    assert field in labels, (language, pair)
        objects = set(shown[t("audit.col_entity")])
        assert (objects >= {"需求评估", "账号", "分配方案", "全部数据"} if language == "zh"
                else not any(CJK.search(o) for o in objects))


def test_a_recorded_follow_up_is_worded_in_the_log(lang: None) -> None:
    set_language("zh")
    raw = json.dumps({"status": "reached", "employment": "ecommerce_self", "income_cents": 420000, "tries": 2},
                     sort_keys=True)
    assert presenters_audit.audit_change(raw, "training_followup") == (
        "状态：已联系上；就业情况：电商自主经营；月收入：¥4,200.00；尝试次数：2")
