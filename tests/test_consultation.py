"""五步协商: every step as a plain function, the order enforced, closing closes the requests, the overdue checks.

C1 has the street office TOP; its requests are raised in livestream L1 on 3 Nov 2025 and classified the same day.
"""

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import audit, request_stats
from dashboard.accounts import Principal
from dashboard.i18n import set_language
from dashboard.queries import consultation as q
from dashboard.services import consultation as svc
from dashboard.services import requests as rsvc
from dashboard.services.errors import RuleError
from data_models.enums import RequestMove, Role
from tests import factories as f

D = dt.date
TODAY = D(2025, 12, 31)
SW = Principal("sw", Role.social_worker)


@pytest.fixture
def world(engine: Engine) -> SimpleNamespace:
    set_language("zh")
    with engine.begin() as conn:
        c1, c2 = f.community(conn, "C1", name="幸福社区"), f.community(conn, "C2")
        f.insert(conn, "unit", code="TOP", name="街道办", kind="township_department", community_id=c1, township="",
                 party_id=None, parent_id=None, is_active=True)
        f.insert(conn, "request_sla", priority="general", working_days=5)
        f.livestream(conn, c1, "L1", held_on=D(2025, 11, 3), quarter="2025Q4")
        f.livestream(conn, c2, "L9", held_on=D(2025, 11, 3), quarter="2025Q4")
    return SimpleNamespace(engine=engine, c1=c1, c2=c2)


def classified(engine: Engine, category: str = "parcel_stacking", live: str = "L1") -> str:
    with Session(engine) as s:
        req = rsvc.collect(s, livestream_code=live, category=category, description="快递堆在单元门口",
                           raised_on=D(2025, 11, 3), actor=SW, today=TODAY)
        code = req.code
        rsvc.classify(s, code, version=1, category=category, priority="general", actor=SW, on=D(2025, 11, 3),
                      today=TODAY)
        s.commit()
    return code


def do(engine: Engine, fn: Any, *args: Any, **kw: Any) -> Any:
    with Session(engine, expire_on_commit=False) as s:
        out = fn(s, *args, **kw)
        s.commit()
        return out


def version(engine: Engine, code: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT version FROM consultation_case WHERE code = :c"),
                                {"c": code}).scalar_one())


def request_row(engine: Engine, code: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(f.T["request"].select().where(f.T["request"].c.code == code)).mappings().one()


def request_moves(engine: Engine, code: str) -> list[tuple[str, str | None, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT e.move, e.from_status, e.to_status FROM request_event e JOIN request r ON r.id = e.request_id "
            "WHERE r.code = :c ORDER BY e.id"), {"c": code})]


OPENED = D(2025, 11, 4)
SUPERVISED = D(2025, 11, 10)


def open_one(engine: Engine, *codes: str, on: D = OPENED) -> str:
    case = do(engine, svc.open_case, request_codes=list(codes), versions=[2] * len(codes), title="快递堆放",
              summary="快递堆在单元门口", actor=SW, on=on, today=TODAY)
    return str(case.code)


def to_supervision(engine: Engine, code: str, start: D = SUPERVISED) -> None:
    do(engine, svc.invite, code, version=1, parties=[("property_management", "物业"), ("practitioner", "主播甲"),
                                                     ("resident_rep", "3栋居民")], actor=SW, on=D(2025, 11, 5),
       today=TODAY)
    detail = do(engine, lambda s: q.case_detail(s, code, today=TODAY))
    ids = detail.parties["id"].tolist()
    do(engine, svc.hold_meeting, code, version=2, place="社区会议室", record="物业：影响美观；从业者：没地方放。",
       attended=ids[:2], actor=SW, on=D(2025, 11, 7), today=TODAY)
    do(engine, svc.agree, code, version=3, measures="在社区门口设快递代收点\n\n直播时间限于 9:00-20:00\n",
       actor=SW, on=D(2025, 11, 8), today=TODAY)
    do(engine, svc.supervise, code, version=4, actor=SW, on=start, today=TODAY)


def test_a_case_goes_through_the_five_steps_and_closes_its_requests(world: SimpleNamespace) -> None:
    e = world.engine
    r1, r2 = classified(e), classified(e, "livestream_noise")
    code = open_one(e, r1, r2)
    assert code == "CS2025110401"
    for r in (r1, r2):
        assert request_row(e, r)["status"] == "in_progress" and request_row(e, r)["deadline"] is None
        assert request_moves(e, r)[-1] == ("consult", "classified", "in_progress")
    to_supervision(e, code)
    detail = do(e, lambda s: q.case_detail(s, code, today=TODAY))
    assert detail.case["step"] == "supervision"
    assert detail.case["measures"] == "在社区门口设快递代收点\n直播时间限于 9:00-20:00"
    assert detail.parties["attended"].tolist() == [True, True, False]
    assert detail.case["meeting_place"] == "社区会议室" and detail.case["supervision_from"] == D(2025, 11, 10)
    do(e, svc.record_check, code, version=5, kind="weekly_check", holds=True, note="", actor=SW, on=D(2025, 11, 14),
       today=TODAY)
    with pytest.raises(RuleError) as err:
        do(e, svc.close, code, version=6, note="措施落实", actor=SW, on=D(2025, 11, 20), today=TODAY)
    assert err.value.key == "consultation.close_needs_check" and "居民每月反馈" in err.value.message()
    do(e, svc.record_check, code, version=6, kind="monthly_feedback", holds=False, note="晚上还是吵", actor=SW,
       on=D(2025, 11, 20), today=TODAY)
    with pytest.raises(RuleError) as err:
        do(e, svc.close, code, version=7, note="措施落实", actor=SW, on=D(2025, 11, 21), today=TODAY)
    assert err.value.key == "consultation.close_latest_fails"
    do(e, svc.record_check, code, version=7, kind="monthly_feedback", holds=True, note="", actor=SW,
       on=D(2025, 12, 10), today=TODAY)
    with pytest.raises(RuleError) as err:              # a user-tester closed a case with nothing said
        do(e, svc.close, code, version=8, note="  ", actor=SW, on=D(2025, 12, 12), today=TODAY)
    assert err.value.key == "consultation.close_note_required"
    do(e, svc.close, code, version=8, note="措施落实", actor=SW, on=D(2025, 12, 12), today=TODAY)
    for r in (r1, r2):
        row = request_row(e, r)
        assert (row["status"], row["outcome"], row["closed_on"], row["resolved_on"]) == (
            "closed", "solved", D(2025, 12, 12), D(2025, 12, 12))
        assert row["resolution"] == "在社区门口设快递代收点；直播时间限于 9:00-20:00"
        assert request_moves(e, r)[-2:] == [("finish", "in_progress", "resolved"), ("close", "resolved", "closed")]
    detail = do(e, lambda s: q.case_detail(s, code, today=TODAY))
    assert detail.case["step"] == "closed" and detail.case["closed_on"] == D(2025, 12, 12)
    assert detail.events["to_step"].tolist() == ["collection", "invitation", "meeting", "solution", "supervision",
                                                 "supervision", "supervision", "supervision", "closed"]
    with e.connect() as conn:
        assert audit.verify(conn).ok
        actions = conn.execute(sa.select(audit.TABLE.c.action).where(audit.TABLE.c.entity == "consultation_case")
                               .order_by(audit.TABLE.c.id)).scalars().all()
    assert actions == ["open", "invite", "hold_meeting", "agree", "supervise", "record_check", "record_check",
                       "record_check", "close"]
    # The request figures count both as finished and solved, and agree with a recount.
    with Session(e) as s:
        stats = s.execute(sa.text("SELECT SUM(finished), SUM(solved) FROM request_stats")).one()
        assert tuple(stats) == (2, 2)
        request_stats.refresh_all(s.connection())
        assert tuple(s.execute(sa.text("SELECT SUM(finished), SUM(solved) FROM request_stats")).one()) == (2, 2)


@pytest.mark.parametrize(("step", "move", "kwargs"), [
    ("collection", svc.hold_meeting, {"place": "x", "record": "x", "attended": [1]}),
    ("collection", svc.agree, {"measures": "代收点"}),
    ("collection", svc.supervise, {}),
    ("collection", svc.close, {"note": "措施落实"}),
    ("collection", svc.record_check, {"kind": "weekly_check", "holds": True, "note": ""}),
])
def test_steps_go_in_order_only(world: SimpleNamespace, step: str, move: Any, kwargs: dict[str, Any]) -> None:
    e = world.engine
    code = open_one(e, classified(e))
    with pytest.raises(RuleError) as err:
        do(e, move, code, version=1, actor=SW, on=D(2025, 11, 5), today=TODAY, **kwargs)
    assert err.value.key == "consultation.wrong_step" and "问题收集" in err.value.message()
    assert version(e, code) == 1


@pytest.mark.parametrize(("setup", "codes", "key"), [
    ("other_category", None, "consultation.not_dispute"),
    ("collected", None, "consultation.request_not_classified"),
    ("two_communities", None, "consultation.other_community"),
    ("stale", None, "requests.changed_meanwhile"),
    ("none", [], "consultation.no_requests"),
])
def test_opening_a_case_is_refused_with_a_reason(world: SimpleNamespace, setup: str, codes: Any, key: str) -> None:
    e = world.engine
    versions = [2]
    if setup == "other_category":
        codes = [classified(e, "road_lighting")]
    elif setup == "collected":
        with Session(e) as s:
            codes = [rsvc.collect(s, livestream_code="L1", category="parcel_stacking", description="x",
                                  raised_on=D(2025, 11, 3), actor=SW, today=TODAY).code]
            s.commit()
        versions = [1]
    elif setup == "two_communities":
        codes, versions = [classified(e), classified(e, live="L9")], [2, 2]
    elif setup == "stale":
        codes, versions = [classified(e)], [1]
    elif setup == "none":
        versions = []
    with pytest.raises(RuleError) as err:
        do(e, svc.open_case, request_codes=codes, versions=versions, title="t", summary="", actor=SW,
           on=D(2025, 11, 4), today=TODAY)
    assert err.value.key == key
    with e.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM consultation_case")).scalar_one() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM request WHERE status = 'in_progress'")).scalar_one() == 0


def test_another_category_is_taken_when_the_user_confirms(world: SimpleNamespace) -> None:
    e = world.engine
    r = classified(e, "road_lighting")
    case = do(e, svc.open_case, request_codes=[r], versions=[2], title="路灯", summary="", actor=SW,
              on=D(2025, 11, 4), today=TODAY, confirm_other=True)
    assert request_row(e, r)["status"] == "in_progress" and case.step == "collection"


def test_a_request_belongs_to_one_case_and_more_can_be_added(world: SimpleNamespace) -> None:
    e = world.engine
    r1, r2 = classified(e), classified(e)
    code = open_one(e, r1)
    with pytest.raises(RuleError) as err:
        do(e, svc.add_requests, code, version=1, request_codes=[r1], versions=[3], actor=SW, on=D(2025, 11, 5),
           today=TODAY)
    assert err.value.key == "consultation.request_in_case" and code in err.value.message()
    do(e, svc.add_requests, code, version=1, request_codes=[r2], versions=[2], actor=SW, on=D(2025, 11, 5),
       today=TODAY)
    assert request_row(e, r2)["status"] == "in_progress" and version(e, code) == 2
    listed = do(e, lambda s: q.cases(s, community_id=world.c1, today=TODAY))
    assert listed["requests"].tolist() == [2]


def test_refusals_of_the_steps(world: SimpleNamespace) -> None:
    e = world.engine
    code = open_one(e, classified(e))
    cases = [
        (svc.invite, {"parties": [("property_management", " ")]}, "consultation.parties_required"),
        (svc.invite, {"parties": [("landlord", "房东")]}, "consultation.bad_party_kind"),
        (svc.invite, {"parties": [("property_management", "物业")], "on": D(2026, 1, 1)}, "consultation.future_date"),
        (svc.invite, {"parties": [("property_management", "物业")], "on": D(2025, 11, 1)},
         "consultation.before_previous"),
        (svc.invite, {"parties": [("property_management", "物业")], "version": 9}, "consultation.changed_meanwhile"),
    ]
    for move, kw, key in cases:
        args = {"version": 1, "actor": SW, "on": D(2025, 11, 5), "today": TODAY} | kw
        with pytest.raises(RuleError) as err:
            do(e, move, code, **args)
        assert err.value.key == key, (kw, err.value.key)
    viewer = Principal("v", Role.viewer)
    with pytest.raises(Exception) as denied:
        do(e, svc.invite, code, version=1, parties=[("other", "x")], actor=viewer, on=D(2025, 11, 5), today=TODAY)
    assert not isinstance(denied.value, RuleError) or denied.value.key != "consultation.wrong_step"
    to_supervision(e, code)
    for kw, key in [({"kind": "daily"}, "consultation.bad_check_kind"),
                    ({"holds": False, "note": " "}, "consultation.check_note_required"),
                    ({"on": D(2025, 11, 9)}, "consultation.check_before_supervision"),
                    ({"on": D(2026, 1, 2)}, "consultation.future_date")]:
        args = {"version": 5, "kind": "weekly_check", "holds": True, "note": "", "actor": SW,
                "on": D(2025, 11, 12), "today": TODAY} | kw
        with pytest.raises(RuleError) as err:
            do(e, svc.record_check, code, **args)
        assert err.value.key == key
    assert version(e, code) == 5


@pytest.mark.parametrize(("checks", "today", "expected"), [
    # supervision from Mon 10 Nov: weeks 10-16, 17-23, 24-30 Nov, ...; months of 30 days 10 Nov-9 Dec, ...
    ([], D(2025, 11, 16), (0, 0, D(2025, 11, 16), D(2025, 12, 9))),     # the first week is not over yet
    ([], D(2025, 11, 17), (1, 0, D(2025, 11, 23), D(2025, 12, 9))),     # it is over, with no check
    ([("weekly_check", D(2025, 11, 12))], D(2025, 11, 17), (0, 0, D(2025, 11, 23), D(2025, 12, 9))),
    ([("weekly_check", D(2025, 11, 12)), ("weekly_check", D(2025, 11, 13))], D(2025, 12, 1),
     (2, 0, D(2025, 12, 7), D(2025, 12, 9))),                          # two in one week count once
    ([("weekly_check", D(2025, 12, 1))], D(2025, 12, 3), (3, 0, D(2025, 12, 14), D(2025, 12, 9))),
    ([("monthly_feedback", D(2025, 11, 20))], D(2026, 1, 20), (10, 1, D(2026, 1, 25), D(2026, 2, 7))),
])
def test_missed_checks_are_overdue(world: SimpleNamespace, checks: list[tuple[str, D]], today: D,
                                   expected: tuple[int, int, D, D]) -> None:
    e = world.engine
    code = open_one(e, classified(e))
    to_supervision(e, code)
    for i, (kind, on) in enumerate(checks):
        do(e, svc.record_check, code, version=5 + i, kind=kind, holds=True, note="", actor=SW, on=on,
           today=max(today, on))
    row = do(e, lambda s: q.cases(s, community_id=world.c1, today=today)).iloc[0]
    assert (row["overdue_checks"], row["overdue_feedback"], row["next_check"], row["next_feedback"]) == expected


def test_a_closed_case_stops_counting(world: SimpleNamespace) -> None:
    e = world.engine
    code = open_one(e, classified(e))
    to_supervision(e, code)
    do(e, svc.record_check, code, version=5, kind="weekly_check", holds=True, note="", actor=SW, on=D(2025, 11, 11),
       today=TODAY)
    do(e, svc.record_check, code, version=6, kind="monthly_feedback", holds=True, note="", actor=SW,
       on=D(2025, 11, 12), today=TODAY)
    do(e, svc.close, code, version=7, note="措施落实", actor=SW, on=D(2025, 11, 25), today=TODAY)
    for today in (D(2025, 11, 26), D(2026, 6, 1)):
        row = do(e, lambda s, today=today: q.cases(s, community_id=None, today=today)).iloc[0]
        # week 17-23 Nov ended before closing without a check; the week of the closing day is not counted
        assert (row["overdue_checks"], row["overdue_feedback"], row["next_check"]) == (1, 0, None)
        assert row["step"] == "closed" and bool(row["last_check_holds"]) is True


def test_a_request_in_a_case_has_no_deadline_and_is_never_overdue(world: SimpleNamespace) -> None:
    """Taken into a case, a request is 办理中 with no unit and no deadline: months later it is neither overdue nor
    at risk in the request figures, the list or the report-back queue."""
    from dashboard.queries import requests as rq
    from dashboard.services import workdays
    e = world.engine
    r = classified(e)
    open_one(e, r)
    today = D(2026, 3, 1)
    with Session(e) as s:
        calendar = workdays.load(s.connection())
        scope = rq.RequestScope(world.c1, "2025Q4")
        for live in (False, True):
            figures = rq.figures(s, scope=scope, quarters=["2025Q4"], today=today, calendar=calendar, live=live)
            assert (figures["2025Q4"].open, figures["2025Q4"].overdue, figures["2025Q4"].at_risk) == (1, 0, 0)
        listed, _total = rq.request_list(s, scope=scope, filters=rq.RequestFilters(), today=today, calendar=calendar)
        row = listed[listed["code"] == r].iloc[0]
        assert not bool(row["overdue"]) and not bool(row["at_risk"])
        queue = rsvc.report_back_queue(s, community_id=world.c1, today=today)
        assert all(not x.overdue for x in queue)


def test_a_request_in_an_open_case_is_not_finished_sent_back_or_transferred_on_its_own(world: SimpleNamespace) -> None:
    e = world.engine
    r = classified(e)
    code = open_one(e, r)
    with Session(e) as s:
        assert rsvc.allowed_moves(s, r, SW) == []
    refusals = [
        lambda s: rsvc.finish(s, r, version=3, outcome="solved", resolution="已办", actor=SW, on=D(2025, 11, 5),
                              today=TODAY),
        lambda s: rsvc.send_back(s, r, version=3, reason_code="not_our_remit", note="不归我们", actor=SW,
                                 on=D(2025, 11, 5), today=TODAY),
        lambda s: rsvc.transfer(s, r, version=3, to_unit_code="TOP", reason="转街道", actor=SW, on=D(2025, 11, 5),
                                today=TODAY),
    ]
    for move in refusals:
        with pytest.raises(RuleError) as err:
            do(e, move)
        assert err.value.key == "consultation.request_in_open_case" and code in err.value.message()
    assert request_row(e, r)["version"] == 3
    # once the case has closed, the request is an ordinary one again: a resident may reopen it. It has no unit and
    # no deadline (the case had none), so it goes back to 已分类, to be routed to a unit (a request belongs to one
    # case at most)
    # (办理中 with neither would never be overdue nor escalated: review)
    to_supervision(e, code)
    do(e, svc.record_check, code, version=5, kind="weekly_check", holds=True, note="", actor=SW, on=D(2025, 11, 11),
       today=TODAY)
    do(e, svc.record_check, code, version=6, kind="monthly_feedback", holds=True, note="", actor=SW,
       on=D(2025, 11, 12), today=TODAY)
    do(e, svc.close, code, version=7, note="措施落实", actor=SW, on=D(2025, 11, 13), today=TODAY)
    do(e, rsvc.reopen, r, version=5, note="又堆起来了", actor=SW, on=D(2025, 11, 20), today=TODAY)
    row = request_row(e, r)
    assert (row["status"], row["reopen_count"], row["deadline"], row["lead_unit_id"]) == ("classified", 1, None, None)
    assert request_moves(e, r)[-1] == ("reopen", "closed", "classified")
    with Session(e) as s:
        assert rsvc.allowed_moves(s, r, SW) == [RequestMove.route]
    do(e, rsvc.route, r, version=int(row["version"]), lead_unit_code="TOP", actor=SW, on=D(2025, 11, 21),
       today=TODAY)
    row = request_row(e, r)
    assert row["status"] == "routed" and row["deadline"] is not None


def test_a_request_settled_by_a_case_counts_as_responded_and_stays_out_of_the_on_time_rate(
        world: SimpleNamespace) -> None:
    """Taking a request into a case the day after it was raised is its response (响应率); a case has no deadline, so
    a request it settled is neither on time nor late: it is in the 解决率 but not in the 按期办结率 (on the page's
    figures read from request_stats, counted live, and on the overview)."""
    from dashboard.queries import Scope, overview
    from dashboard.queries import requests as rq
    from dashboard.services import workdays
    e = world.engine
    r = classified(e)
    code = open_one(e, r)
    to_supervision(e, code)
    for v, kind, on in ((5, "weekly_check", D(2025, 11, 14)), (6, "monthly_feedback", D(2025, 11, 20))):
        do(e, svc.record_check, code, version=v, kind=kind, holds=True, note="", actor=SW, on=on, today=TODAY)
    do(e, svc.close, code, version=7, note="措施落实", actor=SW, on=D(2025, 12, 12), today=TODAY)
    assert request_row(e, r)["first_routed_on"] == OPENED
    with Session(e) as s:
        calendar = workdays.load(s.connection())
        scope = rq.RequestScope(world.c1, "2025Q4")
        for live in (False, True):
            got = rq.figures(s, scope=scope, quarters=["2025Q4"], today=TODAY, calendar=calendar, live=live)["2025Q4"]
            assert (got.resolution.numerator, got.resolution.denominator) == (1, 1)
            assert got.on_time.denominator == 0 and got.on_time.value is None
            assert (got.response.numerator, got.response.denominator) == (1, 1)
        tiles = overview.requests(s, scope=Scope(world.c1, "2025Q4"), as_of=TODAY)
        assert tiles.on_time_rate is None and tiles.done == 1
