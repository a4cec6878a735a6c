"""The agenda builder: each proposal appears exactly when its condition holds, with the right counts, on both
backends; the thresholds move it; the demo seed gives a sensible agenda; the clock's arithmetic."""

import datetime as dt
import json
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from dashboard.i18n import set_language, use_language
from dashboard.periods import quarter_key
from dashboard.queries.agenda import CourseCounts, ended_quarter
from dashboard.services.agenda import Thresholds, carried_minutes, end_of, propose, schedule, total, weak
from dashboard.services.errors import RuleError
from dashboard.services.meeting_types import Proposal
from tests import factories as f

D = dt.date
TODAY = D(2025, 12, 1)
COURSE_END = D(2025, 7, 4)
KINDS = {"GOV": "government", "PLT": "platform", "ASN": "association", "SW": "social_work", "COOP": "cooperative"}


# --- the clock ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "minutes", "spans", "end"), [
    ("09:30", [10, 20, 5], [("09:30", "09:40"), ("09:40", "10:00"), ("10:00", "10:05")], "10:05"),
    ("14:00", [], [], "14:00"),
    ("08:55", [65], [("08:55", "10:00")], "10:00"),
    ("23:00", [30, 30], [("23:00", "23:30"), ("23:30", "24:00")], "24:00"),
    ("00:00", [1], [("00:00", "00:01")], "00:01"),
])
def test_schedule_and_end(start: str, minutes: list[int], spans: list[tuple[str, str]], end: str) -> None:
    assert schedule(start, minutes) == spans
    assert end_of(start, minutes) == end
    assert total(minutes) == sum(minutes)


@pytest.mark.parametrize(("start", "minutes", "key"), [
    ("23:30", [20, 11], "agenda.past_midnight"),
    ("9:30", [10], "agenda.bad_start"),
    ("24:00", [10], "agenda.bad_start"),
    ("09:60", [10], "agenda.bad_start"),
    ("ab:cd", [10], "agenda.bad_start"),
    ("09:30", [10, 0], "agenda.bad_minutes"),
    ("09:30", [-5], "agenda.bad_minutes"),
])
def test_schedule_refuses(start: str, minutes: list[int], key: str) -> None:
    with pytest.raises(RuleError) as err:
        schedule(start, minutes)
    assert err.value.key == key
    assert start in str(err.value) or key == "agenda.bad_minutes"


def test_past_midnight_message_in_both_languages() -> None:
    with pytest.raises(RuleError) as err:
        end_of("23:30", [45])
    assert "午夜" in str(err.value) and "23:30" in str(err.value)
    with use_language("en"):
        assert "midnight" in str(err.value) and "45 minutes" in str(err.value)


@pytest.mark.parametrize(("day", "quarter"), [
    (D(2025, 8, 15), "2025Q2"), (D(2025, 9, 30), "2025Q3"), (D(2025, 10, 1), "2025Q3"), (D(2026, 2, 1), "2025Q4"),
    (D(2026, 1, 1), "2025Q4"), (D(2025, 12, 31), "2025Q4"), (D(2025, 3, 31), "2025Q1"),
])
def test_the_period_is_the_last_ended_quarter(day: dt.date, quarter: str) -> None:
    assert ended_quarter(day) == quarter


@pytest.mark.parametrize(("n", "minutes"), [(0, 5), (1, 5), (2, 5), (3, 6), (8, 7), (44, 19), (45, 20), (300, 20)])
def test_carried_minutes(n: int, minutes: int) -> None:
    assert carried_minutes(n) == minutes


@pytest.mark.parametrize(("counts", "th", "flags"), [
    ((10, 5, 0, 0), Thresholds(), ["completion"]),                     # 50% < 60%, nobody reached: no employment
    ((10, 6, 0, 0), Thresholds(), []),                                  # 60% is not under 60%
    ((9, 0, 0, 0), Thresholds(), []),                                   # too few to judge
    ((9, 0, 0, 0), Thresholds(min_enrolled=9), ["completion"]),
    ((10, 10, 10, 2), Thresholds(), ["employment"]),                    # 20% < 30%
    ((10, 10, 10, 3), Thresholds(), []),                                # 30% is not under 30%
    ((10, 10, 10, 3), Thresholds(employment_below=0.5), ["employment"]),
    ((20, 4, 4, 0), Thresholds(), ["completion"]),                     # 4 reached: too few for a rate
    ((20, 4, 4, 0), Thresholds(min_reached=4), ["completion", "employment"]),
    ((20, 4, 4, 0), Thresholds(completion_below=0.2, employment_below=0.0), []),
    ((30, 30, 1, 0), Thresholds(), []),                                 # 0 of 1 reached is not a 0% rate
])
def test_weak_course(counts: tuple[int, int, int, int], th: Thresholds, flags: list[str]) -> None:
    assert weak(CourseCounts("K", "课", *counts), th) == flags


@pytest.mark.parametrize(("th", "named"), [
    (Thresholds(unmet_days=-1), "未满足需求的天数"), (Thresholds(completion_below=1.5), "结业率下限"),
    (Thresholds(employment_below=-0.1), "3个月就业率下限"), (Thresholds(min_enrolled=0), "课程最少报名人数"),
    (Thresholds(hot_topics=0), "热点类别个数"),
])
def test_bad_thresholds_are_refused_by_name(engine: Engine, th: Thresholds, named: str) -> None:
    with engine.connect() as conn, pytest.raises(RuleError) as err:
        propose(conn, meeting_id=1, today=TODAY, thresholds=th)
    assert err.value.key == "agenda.bad_threshold" and named in str(err.value)
    with use_language("en"):
        assert "must be between" in str(err.value)


# --- hand-built data on both backends --------------------------------------------------------------------------

def _community(conn: Connection, code: str, suffixes: tuple[str, ...] = tuple(KINDS)) -> tuple[int, dict[str, int]]:
    cid = f.community(conn, code)
    return cid, {s: f.party(conn, cid, f"{code}-{s}", KINDS[s]) for s in suffixes}


def _meetings(conn: Connection, cid: int, code: str) -> tuple[int, int, int]:
    """An earlier meeting (2025-08-15), this one (2025-11-20, period 2025Q3) and a later one (2026-02-10)."""
    return (f.meeting(conn, cid, f"{code}-JM1", held_on=D(2025, 8, 15), quarter="2025Q3"),
            f.meeting(conn, cid, f"{code}-JM2", held_on=D(2025, 11, 20), quarter="2025Q4"),
            f.meeting(conn, cid, f"{code}-JM3", held_on=D(2026, 2, 10), quarter="2026Q1"))


def _by_source(items: list[Proposal]) -> dict[str, Proposal]:
    out = {p.source: p for p in items}
    assert len(out) == len(items), "one proposal per area"
    return out


def test_unknown_meeting_is_refused(engine: Engine) -> None:
    with engine.connect() as conn, pytest.raises(RuleError) as err:
        propose(conn, meeting_id=999, today=TODAY)
    assert "999" in str(err.value)


def test_a_community_with_nothing_proposes_nothing(engine: Engine) -> None:
    with engine.begin() as conn:
        cid, _ = _community(conn, "C1")
        _, this, _ = _meetings(conn, cid, "C1")
    with engine.connect() as conn:
        assert propose(conn, meeting_id=this, today=TODAY) == []


def test_rollover_lists_only_earlier_open_items_of_the_community(engine: Engine) -> None:
    with engine.begin() as conn:
        cid, parties = _community(conn, "C1")
        earlier, this, later = _meetings(conn, cid, "C1")
        f.action(conn, earlier, parties["SW"], "X1", due_on=D(2025, 9, 15), owner_person="李四")   # 77 days late
        f.action(conn, earlier, parties["PLT"], "X2", status="in_progress", due_on=D(2025, 12, 20))
        f.action(conn, earlier, parties["GOV"], "X3", status="done", done_on=D(2025, 9, 1))
        f.action(conn, earlier, parties["GOV"], "X4", status="cancelled")
        f.action(conn, this, parties["GOV"], "X5", created_on=D(2025, 11, 20), due_on=D(2025, 11, 25))
        f.action(conn, later, parties["GOV"], "X6", created_on=D(2026, 2, 10), due_on=D(2026, 3, 1))
        other, other_parties = _community(conn, "C2")
        o1, _, _ = _meetings(conn, other, "C2")
        f.action(conn, o1, other_parties["GOV"], "X7")
    with engine.connect() as conn:
        items = propose(conn, meeting_id=this, today=TODAY)
    assert [p.source for p in items] == ["action_item"]
    item = items[0]
    assert item.presenter_party_id == parties["GOV"]
    assert item.minutes == 5
    assert item.evidence["open"] == 2 and item.evidence["overdue"] == 1
    assert [(i["code"], i["days_overdue"], i["meeting"]) for i in item.evidence["items"]] == [
        ("X1", 77, "C1-JM1"), ("X2", 0, "C1-JM1")]
    assert item.lines[0] == "往次会议未完成的行动事项 2 项，其中逾期 1 项。"
    assert item.lines[1] == "X1 事项：C1-SW·李四，未开始，2025-09-15 到期，已逾期 77 天"
    assert item.lines[2] == "X2 事项：C1-PLT，进行中，2025-12-20 到期"
    json.dumps(item.evidence)
    with use_language("en"), engine.connect() as conn:
        (en,) = propose(conn, meeting_id=this, today=TODAY)
    assert en.title == "Follow-up of earlier decisions"
    assert en.lines == ("Action items from earlier meetings still open: 2; overdue: 1.",
                        "X1 事项: C1-SW·李四, Open, due 2025-09-15, days overdue: 77",
                        "X2 事项: C1-PLT, In progress, due 2025-12-20")


def test_rollover_counts_an_earlier_meeting_of_the_same_day_and_not_a_consultation(engine: Engine) -> None:
    """A joint meeting's 落实情况 takes the joint meetings before it, also one held earlier the same day (a lower id),
    and not the items of a 协商议事会 (a consultation has its own follow-up)."""
    with engine.begin() as conn:
        cid, parties = _community(conn, "C1")
        morning = f.meeting(conn, cid, "C1-AM", held_on=D(2025, 11, 20), quarter="2025Q4")
        talk = f.meeting(conn, cid, "C1-CONS", held_on=D(2025, 9, 1), quarter="2025Q3", kind="consultation")
        this = f.meeting(conn, cid, "C1-PM", held_on=D(2025, 11, 20), quarter="2025Q4")
        f.action(conn, morning, parties["GOV"], "X1", created_on=D(2025, 11, 20), due_on=D(2025, 11, 30))
        f.action(conn, talk, parties["GOV"], "X2", created_on=D(2025, 9, 1), due_on=D(2025, 9, 30))
        f.action(conn, this, parties["GOV"], "X3", created_on=D(2025, 11, 20), due_on=D(2025, 11, 30))
    with engine.connect() as conn:
        (item,) = propose(conn, meeting_id=this, today=TODAY)
        (first,) = [p for p in propose(conn, meeting_id=morning, today=TODAY) if p.source == "action_item"] or [None]
    assert [i["code"] for i in item.evidence["items"]] == ["X1"]
    assert first is None


def test_rollover_minutes_grow_with_the_items(engine: Engine) -> None:
    with engine.begin() as conn:
        cid, parties = _community(conn, "C1")
        earlier, this, _ = _meetings(conn, cid, "C1")
        for i in range(7):
            f.action(conn, earlier, parties["GOV"], f"X{i}")
    with engine.connect() as conn:
        (item,) = propose(conn, meeting_id=this, today=TODAY)
    assert item.evidence["open"] == 7 and item.minutes == 7


def _requests(conn: Connection, cid: int, other: int) -> dict[str, int]:
    units = {u: f.insert(conn, "unit", code=u, name=name, kind="township_department", community_id=cid)
             for u, name in (("U1", "街道办"), ("U2", "城管中队"))}
    ls = f.livestream(conn, cid, "L1")
    n = 0

    def req(**kw: Any) -> None:
        nonlocal n
        n += 1
        f.request(conn, ls, cid, f"R{n}", **{"deadline": None, **kw})

    late = {"status": "routed", "routed_on": D(2025, 7, 2), "first_routed_on": D(2025, 7, 2)}
    for _ in range(2):
        req(lead_unit_id=units["U1"], deadline=D(2025, 7, 9), **late)                         # overdue
    req(lead_unit_id=units["U2"], deadline=D(2025, 11, 30), **{**late, "status": "in_progress"})  # overdue
    req(lead_unit_id=units["U2"], deadline=D(2025, 12, 1), **late)                             # due today: not late
    req(lead_unit_id=units["U2"], deadline=D(2025, 7, 9), **{**late, "status": "resolved"},
        resolved_on=D(2025, 8, 1), outcome="solved")                                           # finished
    # Hot topics of 2025Q3: noise 1 request + 50 endorsements, parcels 3 + 0 (above), lighting 2 + 10, one more.
    req(category="livestream_noise", endorsements=50)
    req(category="road_lighting", endorsements=4)
    req(category="road_lighting", endorsements=6)
    req(category="training", endorsements=1)
    # Not this period's: 2025Q4's many endorsements, and another community's request.
    req(category="sanitation", endorsements=500, raised_on=D(2025, 10, 2), quarter="2025Q4")
    other_ls = f.livestream(conn, other, "L2")
    f.request(conn, other_ls, other, "RX", category="sanitation", endorsements=900, deadline=D(2025, 7, 9), **late)
    return units


def test_overdue_requests_by_unit_and_hot_topics(engine: Engine) -> None:
    with engine.begin() as conn:
        cid, parties = _community(conn, "C1")
        other, _ = _community(conn, "C2")
        _, this, _ = _meetings(conn, cid, "C1")
        _requests(conn, cid, other)
    with engine.connect() as conn:
        items = _by_source(propose(conn, meeting_id=this, today=TODAY))
        top2 = _by_source(propose(conn, meeting_id=this, today=TODAY, thresholds=Thresholds(hot_topics=2)))
    item = items["overdue_requests"]
    assert item.presenter_party_id == parties["GOV"]
    assert item.evidence["overdue"] == 3
    assert item.evidence["by_unit"] == [{"unit": "U1", "name": "街道办", "overdue": 2},
                                        {"unit": "U2", "name": "城管中队", "overdue": 1}]
    assert item.evidence["quarter"] == "2025Q3"
    assert item.evidence["hot_topics"] == [
        {"category": "livestream_noise", "requests": 1, "endorsements": 50},
        {"category": "road_lighting", "requests": 2, "endorsements": 10},
        {"category": "parcel_stacking", "requests": 5, "endorsements": 0}]
    assert item.lines == ("逾期诉求 3 件：街道办 2、城管中队 1",
                          "2025Q3 热点（诉求＋附议）：直播噪音 1 件（附议 50）、道路照明 2 件（附议 10）、"
                          "快递堆放 5 件（附议 0）")
    assert [h["category"] for h in top2["overdue_requests"].evidence["hot_topics"]] == ["livestream_noise",
                                                                                         "road_lighting"]
    set_language("en")
    with engine.connect() as conn:
        en = _by_source(propose(conn, meeting_id=this, today=TODAY))["overdue_requests"]
    assert en.title == "Overdue requests and the hot topics of 2025Q3"
    assert en.lines[0] == "Overdue requests, 3 in all: 街道办 2, 城管中队 1"
    assert en.lines[1].startswith("Hot topics of 2025Q3 (requests + endorsements): ")
    assert en.evidence == item.evidence


def test_hot_topics_alone_are_raised_without_overdue(engine: Engine) -> None:
    with engine.begin() as conn:
        cid, _ = _community(conn, "C1")
        _, this, _ = _meetings(conn, cid, "C1")
        ls = f.livestream(conn, cid, "L1")
        f.request(conn, ls, cid, "R1", status="collected", deadline=None)
    with engine.connect() as conn:
        (item,) = propose(conn, meeting_id=this, today=TODAY)
    assert item.source == "overdue_requests"
    assert item.evidence["overdue"] == 0 and item.evidence["by_unit"] == []
    assert len(item.lines) == 1 and "快递堆放 1 件" in item.lines[0]


def _need(conn: Connection, pid: int, cid: int, code: str, identified: dt.date, **kw: Any) -> None:
    f.need(conn, pid, cid, code, identified_on=identified, quarter=quarter_key(identified), **kw)


def test_unmet_needs_by_category_over_the_threshold(engine: Engine) -> None:
    with engine.begin() as conn:
        cid, parties = _community(conn, "C1")
        other, _ = _community(conn, "C2")
        _, this, _ = _meetings(conn, cid, "C1")
        pid = f.practitioner(conn, cid, "P1")
        _need(conn, pid, cid, "N1", D(2025, 10, 1))                                           # 61 days
        _need(conn, pid, cid, "N2", D(2025, 10, 31), category="rights_protection",
              status="assessed", assessed_on=D(2025, 11, 2))                                  # 31 days
        _need(conn, pid, cid, "N3", D(2025, 11, 1))                                           # 30 days: not over
        _need(conn, pid, cid, "N4", D(2025, 11, 20))                                          # 11 days
        _need(conn, pid, cid, "N5", D(2025, 1, 1), status="closed", assessed_on=D(2025, 1, 2),
              responded_on=D(2025, 1, 3), feedback_on=D(2025, 1, 4), closed_on=D(2025, 1, 5))  # closed
        opid = f.practitioner(conn, other, "P2")
        _need(conn, opid, other, "N6", D(2025, 1, 1))                                         # other community
    with engine.connect() as conn:
        item = _by_source(propose(conn, meeting_id=this, today=TODAY))["unmet_needs"]
        ten = _by_source(propose(conn, meeting_id=this, today=TODAY,
                                 thresholds=Thresholds(unmet_days=10)))["unmet_needs"]
        none = propose(conn, meeting_id=this, today=TODAY, thresholds=Thresholds(unmet_days=61))
    assert item.presenter_party_id == parties["SW"]
    assert item.evidence["unmet"] == 2 and item.evidence["oldest_days"] == 61
    assert item.evidence["by_category"] == [{"category": "rights_protection", "unmet": 1, "since": "2025-10-31"},
                                            {"category": "skills_digital", "unmet": 1, "since": "2025-10-01"}]
    assert item.lines == ("超过 30 天未关闭的需求 2 项：权益保障 1、技能与数字鸿沟 1", "最久的已挂 61 天。")
    with use_language("en"), engine.connect() as conn:
        (en,) = propose(conn, meeting_id=this, today=TODAY)
    assert en.title == "Needs left unmet"
    assert en.lines[1] == "The oldest has been open for 61 days."
    assert en.lines[0].startswith("Needs open for more than 30 days, 2 in all: ")
    assert ten.evidence["unmet"] == 4
    assert [c["unmet"] for c in ten.evidence["by_category"]] == [3, 1]
    assert none == []


def _course(conn: Connection, cid: int, pids: list[int], code: str, enrolled: int, completed: int,
            reached: int = 0, employed: int = 0, quarter: str = "2025Q3", end: dt.date = COURSE_END) -> None:
    kid = f.course(conn, cid, code, title=f"课程{code}", quarter=quarter, start_date=end - dt.timedelta(days=3),
                   end_date=end)
    for i in range(enrolled):
        done = i < completed
        eid = f.enrolment(conn, kid, pids[i], cid, f"{code}-E{i}", completed=done, quarter=quarter)
        if done and i < reached:
            f.followup(conn, eid, cid, "m3", employment="ecommerce_employed" if i < employed else "not_employed")


def test_weak_courses_of_the_period(engine: Engine) -> None:
    with engine.begin() as conn:
        cid, parties = _community(conn, "C1")
        _, this, _ = _meetings(conn, cid, "C1")
        pids = [f.practitioner(conn, cid, f"P{i}") for i in range(12)]
        _course(conn, cid, pids, "K1", enrolled=10, completed=5)                              # completion 50%
        _course(conn, cid, pids, "K2", enrolled=9, completed=0)                               # too small
        _course(conn, cid, pids, "K3", enrolled=10, completed=10, reached=10, employed=2)     # employment 20%
        _course(conn, cid, pids, "K4", enrolled=12, completed=10, reached=8, employed=4)      # 83%, 50%: fine
        _course(conn, cid, pids, "K5", enrolled=10, completed=0, quarter="2025Q4")           # not this period
        _course(conn, cid, pids, "K6", enrolled=10, completed=0, end=TODAY)                 # still running today
    with engine.connect() as conn:
        item = _by_source(propose(conn, meeting_id=this, today=TODAY))["training"]
        loose = propose(conn, meeting_id=this, today=TODAY,
                        thresholds=Thresholds(completion_below=0.5, employment_below=0.2))
        small = _by_source(propose(conn, meeting_id=this, today=TODAY, thresholds=Thresholds(min_enrolled=9)))
    assert item.presenter_party_id == parties["ASN"]
    assert [(c["code"], c["enrolled"], c["completed"], c["m3_reached"], c["m3_employed"], c["weak"])
            for c in item.evidence["courses"]] == [("K1", 10, 5, 0, 0, ["completion"]),
                                                   ("K3", 10, 10, 10, 2, ["employment"])]
    assert item.lines[1] == "K1 课程K1：报名 10 人，结业率 50.0%，3个月就业率 —（已回访 0 人）"
    assert item.lines[2] == "K3 课程K3：报名 10 人，结业率 100.0%，3个月就业率 20.0%（已回访 10 人）"
    assert "有 2 门" in item.lines[0]
    with use_language("en"), engine.connect() as conn:
        en = _by_source(propose(conn, meeting_id=this, today=TODAY))["training"]
    assert en.lines[0] == ("Courses of 2025Q3 with at least 10 enrolments and a completion rate under 60% or a 3-month "
                           "employment rate under 30%: 2.")
    assert en.lines[2] == "K3 课程K3: 10 enrolled, completion 100.0%, employed at 3 months 20.0% (10 reached)"
    assert loose == []
    assert [c["code"] for c in small["training"].evidence["courses"]] == ["K1", "K2", "K3"]


def _run(conn: Connection, coop: int, split: int, code: str, period: str, start: dt.date, end: dt.date,
         status: str) -> None:
    f.insert(conn, "distribution_run", code=code, cooperative_id=coop, split_id=split, period=period,
             period_start=start, period_end=end, basis="revenue", status="draft", revenue_cents=100_000,
             cost_cents=40_000, profit_cents=60_000, carried_loss_cents=0, help_fund_cents=0,
             member_pool_cents=42_000, cooperative_pool_cents=12_000, public_fund_cents=6_000, created_by="sw")
    if status != "draft":
        at = dt.datetime(2025, 10, 5, tzinfo=dt.UTC)
        conn.execute(sa.text("UPDATE distribution_run SET status = :s, approved_by = 'gov', approved_at = :at "
                             "WHERE code = :c"), {"s": status, "c": code, "at": at})


@pytest.mark.parametrize("with_coop_party", [True, False])
def test_distribution_of_the_period_for_notice(engine: Engine, with_coop_party: bool) -> None:
    with engine.begin() as conn:
        suffixes = tuple(KINDS) if with_coop_party else ("GOV", "PLT", "ASN", "SW")
        cid, parties = _community(conn, "C1", suffixes)
        _, this, _ = _meetings(conn, cid, "C1")
        coop = f.cooperative(conn, cid)
        split = f.split(conn, coop)
        _run(conn, coop, split, "RUN1", "2025Q3", D(2025, 7, 1), D(2025, 9, 30), "approved")
        _run(conn, coop, split, "RUN2", "2025-08", D(2025, 8, 1), D(2025, 8, 31), "draft")
        _run(conn, coop, split, "RUN3", "2025-09", D(2025, 9, 1), D(2025, 9, 30), "reversed")
        _run(conn, coop, split, "RUN4", "2025Q2", D(2025, 4, 1), D(2025, 6, 30), "approved")
    with engine.connect() as conn:
        (item,) = propose(conn, meeting_id=this, today=TODAY)
    assert item.source == "distribution" and item.minutes == 5
    assert item.presenter_party_id == parties["COOP" if with_coop_party else "SW"]
    assert [(r["code"], r["status"], r["profit_cents"], r["public_fund_cents"]) for r in item.evidence["runs"]] == [
        ("RUN2", "draft", 60_000, 6_000), ("RUN1", "approved", 60_000, 6_000)]
    assert item.title == "2025Q3 合作社收益分配（通报）"
    assert item.lines[1] == "合作社 2025Q3：已审批，利润 ¥600.00，成员分配 ¥420.00，公益金 ¥60.00"
    with use_language("en"), engine.connect() as conn:
        (en,) = propose(conn, meeting_id=this, today=TODAY)
    assert en.lines[1] == "合作社 2025Q3: Approved, profit ¥600.00, members' pool ¥420.00, public fund ¥60.00"


# --- the demo seed -------------------------------------------------------------------------------------------------

def test_demo_ga_meeting_gets_a_sensible_agenda(demo_engine: Engine) -> None:
    today = D(2026, 12, 1)
    with demo_engine.connect() as conn:
        meeting_id, cid = conn.execute(sa.text("SELECT m.id, m.community_id FROM meeting m JOIN community c "
                                               "ON c.id = m.community_id WHERE c.code = 'GA' "
                                               "ORDER BY m.held_on DESC LIMIT 1")).one()
        kinds = {int(i): str(k) for i, k in conn.execute(sa.text("SELECT id, kind FROM party WHERE community_id = :c"),
                                                             {"c": cid})}
        open_earlier = conn.execute(sa.text(
            "SELECT count(*) FROM action_item x JOIN meeting m ON m.id = x.meeting_id WHERE m.community_id = :c "
            "AND m.held_on < (SELECT held_on FROM meeting WHERE id = :m) AND x.status IN ('open', 'in_progress')"),
            {"c": cid, "m": meeting_id}).scalar_one()
        items = propose(conn, meeting_id=meeting_id, today=today)
    sources = [p.source for p in items]
    assert sources[0] == "action_item" and open_earlier > 0
    assert items[0].evidence["open"] == open_earlier
    assert sources == [s for s in ["action_item", "overdue_requests", "hot_topic", "hot_topic", "hot_topic",
                                   "unmet_needs", "training", "distribution"] if s in sources]
    assert {"overdue_requests", "unmet_needs", "distribution"} <= set(sources)
    presenters = {p.source: kinds.get(p.presenter_party_id or 0) for p in items}
    assert presenters["action_item"] == presenters["overdue_requests"] == "government"
    assert presenters["unmet_needs"] == presenters["hot_topic"] == "social_work"
    assert presenters["distribution"] == "cooperative"
    assert presenters.get("training", "association") == "association"
    for p in items:
        assert p.title and p.lines and all(p.lines) and 0 < p.minutes <= 20
        json.dumps(p.evidence)
    assert sum(p.minutes for p in items) <= 60


def test_a_meeting_prepared_before_its_quarter_ends_uses_the_quarter_that_has(engine: Engine) -> None:
    """Prepared on 2025-09-28 for a meeting on 2025-10-02, the figures are of 2025Q2 (2025Q3 is not over: its
    requests and courses are still coming in), and the title says which quarter it is."""
    with engine.begin() as conn:
        cid, _ = _community(conn, "C1")
        mid = f.meeting(conn, cid, "C1-JM", held_on=D(2025, 10, 2), quarter="2025Q4")
        pids = [f.practitioner(conn, cid, f"P{i}") for i in range(10)]
        _course(conn, cid, pids, "K2", enrolled=10, completed=0, quarter="2025Q2", end=D(2025, 5, 1))
        _course(conn, cid, pids, "K3", enrolled=10, completed=0, quarter="2025Q3", end=D(2025, 7, 4))
    with engine.connect() as conn:
        early = _by_source(propose(conn, meeting_id=mid, today=D(2025, 9, 28)))
        later = _by_source(propose(conn, meeting_id=mid, today=D(2025, 10, 5)))
    assert [c["code"] for c in early["training"].evidence["courses"]] == ["K2"]
    assert [c["code"] for c in later["training"].evidence["courses"]] == ["K3"]


def test_the_request_item_names_the_quarter_of_its_hot_topics(engine: Engine) -> None:
    with engine.begin() as conn:
        cid, _ = _community(conn, "C1")
        _, this, _ = _meetings(conn, cid, "C1")
        _requests(conn, cid, f.community(conn, "C9"))
    with engine.connect() as conn:
        item = _by_source(propose(conn, meeting_id=this, today=TODAY))["overdue_requests"]
    assert item.title == "逾期诉求与 2025Q3 热点"
    with use_language("en"), engine.connect() as conn:
        en = _by_source(propose(conn, meeting_id=this, today=TODAY))["overdue_requests"]
    assert en.title == "Overdue requests and the hot topics of 2025Q3"


def test_a_pending_correction_is_not_listed_beside_the_run_it_replaces(engine: Engine) -> None:
    with engine.begin() as conn:
        cid, _ = _community(conn, "C1")
        _, this, _ = _meetings(conn, cid, "C1")
        coop = f.cooperative(conn, cid)
        split = f.split(conn, coop)
        _run(conn, coop, split, "RUN1", "2025Q3", D(2025, 7, 1), D(2025, 9, 30), "approved")
        _run(conn, coop, split, "RUN1-C", "2025Q3", D(2025, 7, 1), D(2025, 9, 30), "draft")
        conn.execute(sa.text("UPDATE distribution_run SET replaces_run_id = (SELECT id FROM distribution_run "
                             "WHERE code = 'RUN1') WHERE code = 'RUN1-C'"))
    with engine.connect() as conn:
        (item,) = propose(conn, meeting_id=this, today=TODAY)
    assert [r["code"] for r in item.evidence["runs"]] == ["RUN1"]


@pytest.mark.parametrize("start", [" 9:30", "+9:30", "-0:30", "09:3 ", "０９:３０"])
def test_a_start_time_is_two_digits_colon_two_digits(start: str) -> None:
    with pytest.raises(RuleError):
        schedule(start, [10])
