"""Recording training follow-ups: tries, answers, who may, what is refused, and the work list of those due."""

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.accounts import Principal
from dashboard.i18n import label, set_language
from dashboard.services import followups as svc
from dashboard.services.errors import RuleError
from data_models.enums import FollowupStatus, Role
from tests import factories as f
from tests import training_ops_factories as tf

D = dt.date
TODAY = D(2025, 12, 1)
TRIED, REACHED = D(2025, 10, 5), D(2025, 10, 8)
SW = Principal("sw", Role.social_worker)
ANSWER = svc.Answer(employment="ecommerce_self", opened_store=True, livestreams_per_week=5, income_cents=420_050,
                    note="开了网店")


@pytest.fixture
def desk(engine: Engine) -> dict[str, Any]:
    """One course that ended 2025-07-04 with learner E1 (m3 due 2025-10-04, m6 due 2026-01-04)."""
    set_language("zh")
    with engine.begin() as conn:
        c1 = f.community(conn, "C1")
        k1 = tf.course(conn, c1)
        e1 = tf.learner(conn, c1, k1, "E1")
        tf.sync(conn)
        return {"engine": engine, "c1": c1, "k1": k1, "e1": e1, "m3": tf.followup_id(conn, e1, "m3"),
                "m6": tf.followup_id(conn, e1, "m6")}


def tried(engine: Engine, fid: int, version: int, on: dt.date = TRIED, actor: Principal = SW) -> Any:
    with Session(engine, expire_on_commit=False) as s:
        fu = svc.record_try(s, fid, version=version, on=on, note="无人接听", actor=actor, today=TODAY)
        s.commit()
        return fu


def reach(engine: Engine, fid: int, version: int, answer: svc.Answer = ANSWER, on: dt.date = REACHED,
          actor: Principal = SW) -> Any:
    with Session(engine, expire_on_commit=False) as s:
        fu = svc.record_reached(s, fid, version=version, on=on, answer=answer, actor=actor, today=TODAY)
        s.commit()
        return fu


def test_three_tries_give_up_as_unreachable_never_as_not_employed(desk: dict[str, Any]) -> None:
    engine, fid = desk["engine"], desk["m3"]
    for n, day in enumerate((D(2025, 10, 5), D(2025, 10, 9), D(2025, 10, 20)), start=1):
        fu = tried(engine, fid, version=n, on=day)
        assert fu.tries == n and fu.version == n + 1 and fu.last_tried_on == day
        row = tf.followup_row(engine, fid)
        assert row["tries"] == n and row["version"] == n + 1
        assert row["status"] == ("unreachable" if n == 3 else "pending")
    row = tf.followup_row(engine, fid)
    assert row["employment"] is None and row["reached_on"] is None and row["note"] == "无人接听"
    assert row["recorded_by"] == "sw"
    entries = tf.audited(engine, "training_followup")
    assert [e["action"] for e in entries] == ["followup_try"] * 3
    assert entries[0]["entity_id"] == "E1/m3" and entries[0]["actor"] == "sw"
    with pytest.raises(RuleError) as err:                # given up: no fourth try, only a late reach
        tried(engine, fid, version=4, on=D(2025, 10, 21))
    assert err.value.key == "followup.wrong_status" and label(FollowupStatus.unreachable) in err.value.message()


def test_reached_keeps_the_answers(desk: dict[str, Any]) -> None:
    engine, fid = desk["engine"], desk["m6"]
    tried(engine, fid, version=1, on=D(2025, 11, 1))
    fu = reach(engine, fid, version=2, on=D(2025, 11, 3))
    assert fu.status == "reached" and fu.version == 3
    row = tf.followup_row(engine, fid)
    assert (row["status"], row["reached_on"], row["employment"], row["opened_store"], row["livestreams_per_week"],
            row["income_cents"], row["tries"], row["note"]) == (
        "reached", D(2025, 11, 3), "ecommerce_self", True, 5, 420_050, 2, "开了网店")
    entry = tf.audited(engine, "training_followup")[-1]
    assert entry["action"] == "followup_reached" and "420050" in entry["after"] and '"version": 2' in entry["before"]
    with pytest.raises(RuleError) as err:                # recorded once; a second answer is refused
        reach(engine, fid, version=3)
    assert err.value.key == "followup.wrong_status"


def test_an_unreachable_person_reached_later_is_recorded(desk: dict[str, Any]) -> None:
    engine, fid = desk["engine"], desk["m3"]
    for v in (1, 2, 3):
        tried(engine, fid, version=v)
    assert tf.followup_row(engine, fid)["status"] == "unreachable"
    reach(engine, fid, version=4, answer=svc.Answer("not_employed", None, None, None))
    row = tf.followup_row(engine, fid)
    assert row["status"] == "reached" and row["employment"] == "not_employed" and row["income_cents"] is None


def test_a_stale_version_is_refused_and_nothing_is_written(desk: dict[str, Any]) -> None:
    engine, fid = desk["engine"], desk["m3"]
    tried(engine, fid, version=1)
    with pytest.raises(RuleError) as err:
        reach(engine, fid, version=1)
    assert err.value.key == "followup.changed_meanwhile"
    assert "E1" in err.value.message() and "其他人" in err.value.message() and "sw" in err.value.message()
    row = tf.followup_row(engine, fid)
    assert row["status"] == "pending" and row["version"] == 2
    assert len(tf.audited(engine, "training_followup")) == 1


@pytest.mark.parametrize("role", [Role.viewer, Role.government, Role.association, Role.platform,
                                  Role.cooperative_manager])
def test_only_roles_granted_followup_record_may_write(desk: dict[str, Any], role: Role) -> None:
    with pytest.raises(RuleError) as err:
        tried(desk["engine"], desk["m3"], version=1, actor=Principal("x", role))
    assert err.value.key == "access.denied_action" and "登记培训回访" in err.value.message()
    assert tf.followup_row(desk["engine"], desk["m3"])["version"] == 1


def test_admin_may_record(desk: dict[str, Any]) -> None:
    assert reach(desk["engine"], desk["m3"], version=1, actor=Principal("root", Role.admin)).status == "reached"


@pytest.mark.parametrize(("on", "key"), [(D(2025, 12, 2), "followup.future_date"),
                                         (D(2025, 7, 3), "followup.before_course_end")])
def test_dates_after_today_or_before_the_course_end_are_refused(desk: dict[str, Any], on: dt.date,
                                                                 key: str) -> None:
    for write in (tried, reach):
        with pytest.raises(RuleError) as err:
            write(desk["engine"], desk["m3"], 1, on=on)
        assert err.value.key == key and on.isoformat() in err.value.message()


def test_the_course_end_day_and_today_are_accepted(desk: dict[str, Any]) -> None:
    tried(desk["engine"], desk["m3"], 1, on=D(2025, 7, 4))
    reach(desk["engine"], desk["m6"], 1, on=TODAY)


def test_a_try_before_the_last_one_is_refused(desk: dict[str, Any]) -> None:
    tried(desk["engine"], desk["m3"], 1, on=D(2025, 10, 9))
    with pytest.raises(RuleError) as err:
        tried(desk["engine"], desk["m3"], 2, on=D(2025, 10, 8))
    assert err.value.key == "followup.before_last_try"


@pytest.mark.parametrize(("answer", "key", "zh", "en"), [
    (svc.Answer("working", None, None, None), "followup.bad_employment", "「就业情况」", "«Employment»"),
    (svc.Answer("ecommerce_self", None, None, -1), "followup.bad_income", "「月收入」", "«Monthly income»"),
    (svc.Answer("ecommerce_self", None, None, 1_000_000_000), "followup.bad_income", "「月收入」", "«Monthly income»"),
    (svc.Answer("ecommerce_self", None, 51, None), "followup.bad_livestreams", "「每周直播场次」",
     "«Livestreams a week»"),
    (svc.Answer("ecommerce_self", None, -1, None), "followup.bad_livestreams", "「每周直播场次」",
     "«Livestreams a week»"),
    (svc.Answer("ecommerce_self", None, None, None, note="长" * 501), "followup.note_too_long", "「备注」", "«Note»"),
])
def test_answers_that_cannot_be_true_are_refused_naming_the_field(desk: dict[str, Any], answer: svc.Answer,
                                                                   key: str, zh: str, en: str) -> None:
    with pytest.raises(RuleError) as err:
        reach(desk["engine"], desk["m3"], 1, answer=answer)
    assert err.value.key == key
    assert zh in err.value.message()
    set_language("en")
    assert en in err.value.message()
    assert tf.followup_row(desk["engine"], desk["m3"])["status"] == "pending"


@pytest.mark.parametrize("answer", [svc.Answer("other_work", False, 50, 999_999_999),
                                    svc.Answer("not_employed", None, 0, 0)])
def test_answers_at_the_limits_are_kept(desk: dict[str, Any], answer: svc.Answer) -> None:
    reach(desk["engine"], desk["m3"], 1, answer=answer)
    row = tf.followup_row(desk["engine"], desk["m3"])
    assert (row["livestreams_per_week"], row["income_cents"]) == (answer.livestreams_per_week, answer.income_cents)


def test_unknown_followup(desk: dict[str, Any]) -> None:
    with pytest.raises(RuleError) as err:
        tried(desk["engine"], 999_999, 1)
    assert err.value.key == "followup.unknown"


# --- the work list -------------------------------------------------------------------------------------------------

@pytest.fixture
def backlog(engine: Engine) -> dict[str, Any]:
    """C1: K1 ended 2025-07-04 (m3 due 10-04), K2 ended 2025-09-05 (m3 due 12-05), K3 ended 2025-09-20 (m3 due
    12-20). C2: K4 ended 2025-07-10 (m3 due 10-10)."""
    set_language("zh")
    with engine.begin() as conn:
        c1, c2 = f.community(conn, "C1"), f.community(conn, "C2")
        k1 = tf.course(conn, c1, "K1")
        k2 = tf.course(conn, c1, "K2", end=D(2025, 9, 5))
        k3 = tf.course(conn, c1, "K3", end=D(2025, 9, 20))
        k4 = tf.course(conn, c2, "K4", end=D(2025, 7, 10))
        ids = {"E1": tf.learner(conn, c1, k1, "E1", name="张小华", phone="13912345678"),
               "E2": tf.learner(conn, c1, k1, "E2"),
               "E3": tf.learner(conn, c1, k2, "E3"),
               "E4": tf.learner(conn, c1, k3, "E4"),
               "E5": tf.learner(conn, c2, k4, "E5"),
               "E6": tf.learner(conn, c1, k1, "E6", completed=False, certified=False)}
        tf.sync(conn)
        tf.reached(conn, ids["E2"], "m3", on=D(2025, 10, 6))
        t = f.T["training_followup"]
        conn.execute(t.update().where(t.c.enrolment_id == ids["E1"], t.c.wave == "m3")
                     .values(tries=2, last_tried_on=D(2025, 10, 9)))
    return {"engine": engine, "c1": c1, "c2": c2, **ids}


def test_worklist_lists_pending_due_within_the_week_most_overdue_first(backlog: dict[str, Any]) -> None:
    with Session(backlog["engine"]) as s:
        df = svc.worklist(s, community_id=backlog["c1"], as_of=TODAY, personal=True)
        assert svc.worklist_count(s, community_id=backlog["c1"], as_of=TODAY) == 2
    assert list(df.columns) == svc.WORKLIST_COLUMNS
    # E2 reached, E4 due 12-20 (beyond the week), E5 another community, E6 not completed, m6 not due yet.
    assert list(df["enrolment_code"]) == ["E1", "E3"]
    first = df.iloc[0].to_dict()
    assert first["wave"] == "m3" and first["due_on"] == D(2025, 10, 4) and first["overdue_days"] == 58
    assert first["tries"] == 2 and first["last_tried_on"] == D(2025, 10, 9)
    assert (first["practitioner_name"], first["phone"], first["course_code"]) == ("张小华", "13912345678", "K1")
    assert first["course_end"] == D(2025, 7, 4) and first["practitioner_code"] == "P-E1"
    assert df.iloc[1]["overdue_days"] == -4 and df.iloc[1]["due_on"] == D(2025, 12, 5)


def test_worklist_masks_name_and_phone_unless_personal_data_is_asked_for(backlog: dict[str, Any]) -> None:
    with Session(backlog["engine"]) as s:
        df = svc.worklist(s, community_id=backlog["c1"], as_of=TODAY)
    assert (df.iloc[0]["practitioner_name"], df.iloc[0]["phone"]) == ("张*华", "139****5678")


def test_worklist_all_communities_horizon_and_limit(backlog: dict[str, Any]) -> None:
    with Session(backlog["engine"]) as s:
        every = svc.worklist(s, community_id=None, as_of=TODAY, days_ahead=30)
        capped = svc.worklist(s, community_id=None, as_of=TODAY, days_ahead=30, limit=2)
        none = svc.worklist(s, community_id=backlog["c2"], as_of=D(2025, 9, 1))
    assert list(every["enrolment_code"]) == ["E1", "E5", "E3", "E4"]
    assert list(capped["enrolment_code"]) == ["E1", "E5"]
    assert none.empty and list(none.columns) == svc.WORKLIST_COLUMNS


def test_a_follow_up_of_an_enrolment_no_longer_completed_is_neither_listed_nor_recorded(desk: dict[str, Any]) -> None:
    """Tried once, then the enrolment was corrected to not completed: the tried follow-up is kept (training_sync),
    but no figure counts it and the import refuses it, so the work list does not offer it and a record is refused."""
    import sqlalchemy as sa
    engine = desk["engine"]
    tried(engine, desk["m3"], version=1)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE enrolment SET completed = :f, certified = :f WHERE id = :e"),
                     {"f": False, "e": desk["e1"]})
        tf.sync(conn)
    with Session(engine) as s:
        assert svc.worklist(s, community_id=None, as_of=TODAY).empty
        assert svc.worklist_count(s, community_id=None, as_of=TODAY) == 0
    with pytest.raises(RuleError) as refused:
        reach(engine, desk["m3"], version=2)
    assert refused.value.key == "followup.not_completed"


def test_open_of_finds_an_enrolments_follow_ups_still_to_record_even_one_given_up(backlog: dict[str, Any]) -> None:
    engine = backlog["engine"]
    with engine.begin() as conn:        # E3's 3-month follow-up given up after three tries
        t = f.T["training_followup"]
        conn.execute(t.update().where(t.c.enrolment_id == backlog["E3"], t.c.wave == "m3")
                     .values(status="unreachable", tries=3, last_tried_on=D(2025, 11, 20)))
    with Session(engine) as s:
        e3 = svc.open_of(s, enrolment_code=" e3 ", community_id=backlog["c1"], as_of=TODAY)
        e2 = svc.open_of(s, enrolment_code="E2", community_id=None, as_of=TODAY, personal=True)
        elsewhere = svc.open_of(s, enrolment_code="E5", community_id=backlog["c1"], as_of=TODAY)
        unknown = svc.open_of(s, enrolment_code="E99", community_id=None, as_of=TODAY)
    assert list(e3.columns) == [*svc.WORKLIST_COLUMNS, "status"]
    # both waves, the given-up one first (earlier due), whatever the due date (m6 is months away)
    assert list(zip(e3["wave"], e3["status"], strict=True)) == [("m3", "unreachable"), ("m6", "pending")]
    assert e3.iloc[0]["tries"] == 3 and e3.iloc[1]["overdue_days"] < 0
    assert "*" in e3.iloc[0]["phone"]                                  # masked unless personal data is asked for
    assert list(e2["wave"]) == ["m6"]                                  # E2's 3-month one is reached: done
    assert elsewhere.empty and unknown.empty and list(unknown.columns) == [*svc.WORKLIST_COLUMNS, "status"]
