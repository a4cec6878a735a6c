"""The 直播治理诉求 page's queries (dashboard/queries/requests.py) on a small hand-built database, on both backends.

Today is Monday 2025-11-03; the next working day is 11-04. 2025's National Day holiday runs 10-01 to 10-08, so a
request raised on Tuesday 09-30 and first routed on 10-09 was routed within one working day.
"""

import datetime as dt
from typing import Any

import pandas as pd
import pytest
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from dashboard import request_stats
from dashboard.queries.requests import (
    RequestFilters,
    RequestScope,
    by_category,
    by_unit,
    figures,
    history,
    page,
    request_list,
    summary,
    trend,
    units,
)
from dashboard.services.workdays import Calendar
from tests import factories as f

D = dt.date
TODAY = D(2025, 11, 3)
CAL = Calendar()


def unit(conn: Connection, code: str, community_id: int, kind: str = "village_committee", **kw: Any) -> int:
    return f.insert(conn, "unit", code=code, name=f"单位{code}", kind=kind, community_id=community_id, **kw)


def request(conn: Connection, session_id: int, community_id: int, code: str, **kw: Any) -> int:
    values = {"quarter": "2025Q3", "deadline": None, "status": "collected"}
    if "first_routed_on" in kw:
        kw.setdefault("routed_on", kw["first_routed_on"])
    return f.request(conn, session_id, community_id, code, **{**values, **kw})


def callback(conn: Connection, request_id: int, result: str, at: dt.datetime, tries: int = 1) -> None:
    f.insert(conn, "request_callback", request_id=request_id, called_on=at.date(), result=result, tries=tries,
             actor="社工", at=at)


def event(conn: Connection, request_id: int, move: str, from_status: str | None, to_status: str, on: dt.date,
          **kw: Any) -> None:
    f.insert(conn, "request_event", request_id=request_id, move=move, from_status=from_status, to_status=to_status,
             on=on, at=dt.datetime(on.year, on.month, on.day, 2, 0, tzinfo=dt.UTC), actor="社工", **kw)


@pytest.fixture
def world(engine: Engine) -> dict[str, int]:
    """C1 holds R1-R7 in 2025Q3, R9 in 2025Q2 and R10 in 2025Q4; C2 holds R8 in 2025Q3."""
    with engine.begin() as conn:
        c1, c2 = f.community(conn, "C1"), f.community(conn, "C2", kind="rural")
        gov = f.party(conn, c1, "C1-GOV")
        plt = f.party(conn, c1, "C1-PLT", kind="platform")
        top = unit(conn, "U-TOP", c1, "township_department", party_id=gov)
        vc = unit(conn, "U-VC", c1, parent_id=top)
        plt_unit = unit(conn, "U-PLT", c1, "platform", party_id=plt, parent_id=top)
        c2_unit = unit(conn, "U-C2", c2)
        unit(conn, "U-OLD", c1, is_active=False)
        s1, s2 = f.livestream(conn, c1, "L1"), f.livestream(conn, c2, "L2")
        ps, noise, sanitation = "parcel_stacking", "livestream_noise", "sanitation"
        # Raised Friday 07-04, routed Monday 07-07: within one working day. Finished on time, solved.
        r1 = request(conn, s1, c1, "R1", raised_on=D(2025, 7, 4), first_routed_on=D(2025, 7, 7), lead_unit_id=vc,
                     deadline=D(2025, 7, 14), status="closed", resolved_on=D(2025, 7, 10), outcome="solved",
                     closed_on=D(2025, 7, 20), category=ps)
        # Routed Tuesday 07-08: late. Finished late, partly solved. U-TOP supports it.
        r2 = request(conn, s1, c1, "R2", raised_on=D(2025, 7, 4), first_routed_on=D(2025, 7, 8), lead_unit_id=vc,
                     deadline=D(2025, 7, 15), status="reported", resolved_on=D(2025, 7, 20),
                     outcome="partly_solved", category=ps)
        f.insert(conn, "request_support", request_id=r2, unit_id=top)
        # Raised before National Day, routed the first working day after it; open past its deadline.
        r3 = request(conn, s1, c1, "R3", raised_on=D(2025, 9, 30), first_routed_on=D(2025, 10, 9), lead_unit_id=top,
                     deadline=D(2025, 10, 16), status="in_progress", category=ps)
        f.insert(conn, "request_support", request_id=r3, unit_id=plt_unit)
        # Never routed.
        request(conn, s1, c1, "R4", raised_on=D(2025, 7, 2), category=noise)
        # 不合理诉求, agreed: out of the resolution, on-time and satisfaction rates.
        r5 = request(conn, s1, c1, "R5", raised_on=D(2025, 7, 2), first_routed_on=D(2025, 7, 2), lead_unit_id=vc,
                     deadline=D(2025, 7, 9), status="resolved", resolved_on=D(2025, 7, 9), outcome="unreasonable",
                     unreasonable_by="wang", unreasonable_agreed_by="li", category=noise)
        # Sent back once, routed again: due tomorrow (at risk).
        request(conn, s1, c1, "R6", raised_on=D(2025, 7, 2), first_routed_on=D(2025, 7, 3), lead_unit_id=vc,
                routed_on=D(2025, 10, 28), deadline=D(2025, 11, 4), status="routed", return_count=1,
                category=sanitation)
        # Explained; dissatisfied at the first callback, reopened, satisfied at the second.
        r7 = request(conn, s1, c1, "R7", raised_on=D(2025, 8, 1), first_routed_on=D(2025, 8, 1), lead_unit_id=vc,
                     deadline=D(2025, 8, 8), status="closed", resolved_on=D(2025, 8, 5), outcome="explained",
                     closed_on=D(2025, 8, 20), reopen_count=1, category=sanitation)
        # C2: raised Thursday 07-10, routed Monday 07-14 (Friday 07-11 was the day to beat); overdue.
        request(conn, s2, c2, "R8", raised_on=D(2025, 7, 10), first_routed_on=D(2025, 7, 14), lead_unit_id=c2_unit,
                deadline=D(2025, 7, 21), status="in_progress")
        # The quarter before.
        request(conn, s1, c1, "R9", raised_on=D(2025, 6, 10), quarter="2025Q2", first_routed_on=D(2025, 6, 10),
                lead_unit_id=vc, deadline=D(2025, 6, 17), status="closed", resolved_on=D(2025, 6, 16),
                outcome="solved", closed_on=D(2025, 6, 30))
        # The quarter after: a deadline in 2027, a year chinese-calendar 1.11.0 does not know.
        request(conn, s1, c1, "R10", raised_on=D(2025, 12, 20), quarter="2025Q4", first_routed_on=D(2025, 12, 22),
                lead_unit_id=top, deadline=D(2027, 1, 5), status="routed")
        callback(conn, r1, "satisfied", dt.datetime(2025, 7, 18, 3, tzinfo=dt.UTC))
        callback(conn, r2, "unreachable", dt.datetime(2025, 7, 22, 3, tzinfo=dt.UTC), tries=3)
        callback(conn, r2, "basically_satisfied", dt.datetime(2025, 7, 25, 3, tzinfo=dt.UTC))
        callback(conn, r5, "dissatisfied", dt.datetime(2025, 7, 12, 3, tzinfo=dt.UTC))
        callback(conn, r7, "dissatisfied", dt.datetime(2025, 8, 8, 3, tzinfo=dt.UTC))
        callback(conn, r7, "satisfied", dt.datetime(2025, 8, 18, 3, tzinfo=dt.UTC))
        event(conn, r2, "collect", None, "collected", D(2025, 7, 4))
        event(conn, r2, "route", "classified", "routed", D(2025, 7, 8), to_unit_id=vc)
        event(conn, r2, "send_back", "routed", "classified", D(2025, 7, 9), from_unit_id=vc,
              reason_code="not_our_remit", note="不归我们管")
        event(conn, r2, "callback", "reported", "reported", D(2025, 7, 22))
        request_stats.refresh_all(conn, CAL)       # rows written by hand, as the seed does: the summary table too
    return {"c1": c1, "c2": c2, "gov": gov, "plt": plt}


def test_figures_of_a_community_quarter(engine: Engine, world: dict[str, int]) -> None:
    with Session(engine) as s:
        got = summary(s, scope=RequestScope(world["c1"], "2025Q3"), today=TODAY, calendar=CAL)
    q3 = got.current
    assert (q3.collected, q3.open, q3.finished) == (7, 3, 4)
    # R1 (Fri -> Mon), R3 (over National Day), R5, R6, R7 in time; R2 a day late, R4 never routed.
    assert (q3.response.numerator, q3.response.denominator) == (5, 7)
    # (R1 solved + ½ R2 partly) ÷ R1, R2, R7 — R5 (unreasonable) apart.
    assert (q3.resolution.numerator, q3.resolution.denominator, q3.resolution.value) == (1.5, 3, 0.5)
    assert q3.unreasonable == 1
    # R1 and R7 on time, R2 late, R3 open and overdue: 2 ÷ (3 + 1).
    assert (q3.on_time.numerator, q3.on_time.denominator) == (2, 4)
    # Answered: R1 satisfied, R2 basically, R7 dissatisfied then satisfied (R5's callback is out, R2's
    # unreachable one apart): 3 ÷ 4.
    assert (q3.satisfaction.numerator, q3.satisfaction.denominator) == (3, 4) and q3.unreachable == 1
    assert (q3.overdue, q3.at_risk, q3.reopened, q3.sent_back) == (1, 1, 1, 1)
    assert got.previous is not None and got.previous.collected == 1
    assert got.previous.on_time.value == 1.0 and got.previous.response.value == 1.0
    assert got.unknown_years == []


def test_all_communities_and_an_unknown_year(engine: Engine, world: dict[str, int]) -> None:
    with Session(engine) as s:
        everywhere = summary(s, scope=RequestScope(None, "2025Q3"), today=TODAY, calendar=CAL).current
        q4 = summary(s, scope=RequestScope(world["c1"], "2025Q4"), today=TODAY, calendar=CAL)
        q1 = summary(s, scope=RequestScope(world["c1"], "2025Q1"), today=TODAY, calendar=CAL)
    assert everywhere.collected == 8 and (everywhere.response.numerator, everywhere.response.denominator) == (5, 8)
    assert everywhere.overdue == 2 and (everywhere.on_time.numerator, everywhere.on_time.denominator) == (2, 5)
    assert q4.unknown_years == [2027] and q4.current.collected == 1 and q4.previous is not None
    # An empty quarter whose previous quarter is empty too: zeros, no rates, no previous.
    assert q1.current.collected == 0 and q1.previous is None
    assert all(r.value is None for r in (q1.current.response, q1.current.resolution, q1.current.satisfaction,
                                         q1.current.on_time))


def test_a_government_party_sees_only_what_is_routed_to_its_units(engine: Engine, world: dict[str, int]) -> None:
    gov = RequestScope(world["c1"], "2025Q3", party_id=world["gov"])
    plt = RequestScope(None, "2025Q3", party_id=world["plt"])
    with Session(engine) as s:
        fig = summary(s, scope=gov, today=TODAY, calendar=CAL).current
        rows, total = request_list(s, scope=gov, filters=RequestFilters(), today=TODAY, calendar=CAL)
        plt_rows, _ = request_list(s, scope=plt, filters=RequestFilters(), today=TODAY, calendar=CAL)
        cats = by_category(s, scope=gov, today=TODAY)
        assert history(s, "R1", party_id=world["gov"]).empty           # not routed to U-TOP
        assert len(history(s, "R2", party_id=world["gov"])) > 0        # U-TOP supports it
        own_units = units(s, party_id=world["gov"])
    # R3 as lead, R2 as supporter.
    assert list(rows.code) == ["R3", "R2"] and total == 2
    assert fig.collected == 2 and (fig.response.numerator, fig.response.denominator) == (1, 2)
    assert (fig.on_time.numerator, fig.on_time.denominator) == (0, 2) and fig.overdue == 1
    assert int(cats.collected.sum()) == 2
    assert list(plt_rows.code) == ["R3"]                              # the platform supports R3 only
    assert list(own_units.code) == ["U-TOP"]


def test_the_list_is_sorted_by_urgency(engine: Engine, world: dict[str, int]) -> None:
    scope = RequestScope(world["c1"], "2025Q3")
    with Session(engine) as s:
        rows, total = request_list(s, scope=scope, filters=RequestFilters(), today=TODAY, calendar=CAL)
        first_two, total_2 = request_list(s, scope=scope, filters=RequestFilters(), today=TODAY, calendar=CAL,
                                          limit=2)
        next_two, _ = request_list(s, scope=scope, filters=RequestFilters(), today=TODAY, calendar=CAL, limit=2,
                                   offset=2)
    # Overdue, then due soonest, then not routed, then finished by deadline.
    assert list(rows.code) == ["R3", "R6", "R4", "R5", "R1", "R2", "R7"] and total == 7
    assert list(first_two.code) == ["R3", "R6"] and total_2 == 7 and list(next_two.code) == ["R4", "R5"]
    by_code = rows.set_index("code")
    assert by_code.loc["R3", "days_left"] == -CAL.working_days_between(D(2025, 10, 16), TODAY) == -12
    assert bool(by_code.loc["R3", "overdue"]) and not bool(by_code.loc["R3", "at_risk"])
    assert by_code.loc["R6", "days_left"] == 1 and bool(by_code.loc["R6", "at_risk"])
    assert by_code.loc["R6", "return_count"] == 1 and by_code.loc["R7", "reopen_count"] == 1
    assert by_code.loc["R3", "lead_unit_code"] == "U-TOP" and by_code.loc["R3", "version"] == 1
    assert by_code["days_left"].isna()[["R1", "R4", "R5"]].all()       # finished, or no deadline yet


@pytest.mark.parametrize("filters, codes", [
    (RequestFilters(status="in_progress"), ["R3"]),
    (RequestFilters(category="sanitation"), ["R6", "R7"]),
    (RequestFilters(unit_code="U-PLT"), ["R3"]),                    # as supporter
    (RequestFilters(unit_code="U-TOP"), ["R3", "R2"]),              # lead of R3, supporter of R2
    (RequestFilters(unit_code="U-VC", status="closed"), ["R1", "R7"]),
    (RequestFilters(overdue_only=True), ["R3"]),
    (RequestFilters(unit_code="NO-SUCH-UNIT"), []),
])
def test_list_filters(engine: Engine, world: dict[str, int], filters: RequestFilters, codes: list[str]) -> None:
    with Session(engine) as s:
        rows, total = request_list(s, scope=RequestScope(world["c1"], "2025Q3"), filters=filters, today=TODAY,
                                   calendar=CAL)
    assert list(rows.code) == codes and total == len(codes)


def test_by_category_and_by_unit(engine: Engine, world: dict[str, int]) -> None:
    scope = RequestScope(world["c1"], "2025Q3")
    with Session(engine) as s:
        cats = by_category(s, scope=scope, today=TODAY).set_index("category")
        ranking = by_unit(s, scope=scope, today=TODAY)
    assert list(cats.index) == ["parcel_stacking", "livestream_noise", "sanitation"]
    ps = cats.loc["parcel_stacking"]
    assert (ps.collected, ps.open, ps.finished, ps.overdue) == (3, 1, 2, 1)
    assert (ps.resolution_numerator, ps.resolution_denominator) == (1.5, 2)
    assert cats.loc["livestream_noise", "unreasonable"] == 1
    assert pd.isna(cats.loc["livestream_noise", "resolution_rate"])  # R5 unreasonable, R4 open: no rate
    # U-VC leads five (R1, R2, R5, R6, R7): ranked on R1, R2, R7 (2 on time of 3). U-TOP leads one: not ranked.
    assert ranking.to_dict("records")[0] | {"on_time_rate": None} == {
        "rank": 1, "unit_code": "U-VC", "unit_name": "单位U-VC", "requests": 5, "on_time_numerator": 2,
        "on_time_denominator": 3, "on_time_rate": None}
    top = ranking.iloc[1]
    assert top.unit_code == "U-TOP" and pd.isna(top["rank"]) and (top.on_time_numerator, top.on_time_denominator) == (
        0, 1)


def test_trend_has_every_quarter(engine: Engine, world: dict[str, int]) -> None:
    with Session(engine) as s:
        got = trend(s, scope=RequestScope(world["c1"], "2025Q4"), today=TODAY, quarters=4, calendar=CAL)
        loaded = trend(s, scope=RequestScope(world["c1"], "2025Q4"), today=TODAY, quarters=4)   # calendar from db
    assert list(got.quarter) == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    assert list(got.collected) == [0, 1, 7, 1]
    assert pd.isna(got.on_time_rate[0]) and got.on_time_rate[2] == 0.5 and got.response_rate[1] == 1.0
    assert got.equals(loaded)


def test_history_merges_callbacks_into_their_events(engine: Engine, world: dict[str, int]) -> None:
    with Session(engine) as s:
        got = history(s, "R2")
        assert history(s, "NOPE").empty
    assert list(got.move) == ["collect", "route", "send_back", "callback", "callback"]
    route, back, first_call, second_call = got.iloc[1], got.iloc[2], got.iloc[3], got.iloc[4]
    assert route.to_unit == "U-VC" and back.from_unit == "U-VC" and back.reason_code == "not_our_remit"
    assert (first_call.result, first_call.tries) == ("unreachable", 3)        # the event carries its callback
    assert (second_call.result, second_call.to_status) == ("basically_satisfied", None)  # a callback on its own


def test_units_for_pickers(engine: Engine, world: dict[str, int]) -> None:
    with Session(engine) as s:
        got = units(s)
    assert set(got.code) == {"U-TOP", "U-VC", "U-PLT", "U-C2"}                 # U-OLD is inactive
    vc = got.set_index("code").loc["U-VC"]
    assert (vc["name"], vc.kind, vc.community, vc.parent) == ("单位U-VC", "village_committee", "C1", "U-TOP")


def test_the_page_reads_the_same_figures(engine: Engine, world: dict[str, int]) -> None:
    scope = RequestScope(world["c1"], "2025Q3")
    with Session(engine) as s:
        alone = summary(s, scope=scope, today=TODAY, calendar=CAL)
        six = figures(s, scope=scope, quarters=["2025Q2", "2025Q3"], today=TODAY, calendar=CAL)
    got = page(engine, scope=scope, filters=RequestFilters(overdue_only=True), today=TODAY)
    assert got.summary == alone and six["2025Q3"] == alone.current
    assert list(got.trend.quarter)[-2:] == ["2025Q2", "2025Q3"] and len(got.trend) == 6
    assert list(got.requests.code) == ["R3"] and got.total == 1
    assert list(got.by_unit.unit_code) == ["U-VC", "U-TOP"] and len(got.by_category) == 3


def test_an_empty_database(engine: Engine) -> None:
    scope = RequestScope(None, "2025Q3")
    got = page(engine, scope=scope, filters=RequestFilters(), today=TODAY)
    assert got.summary.current.collected == 0 and got.summary.previous is None
    assert got.requests.empty and got.total == 0 and got.by_unit.empty and got.by_category.empty
    assert list(got.trend.collected) == [0] * 6


@pytest.mark.parametrize("live", [False, True])
def test_a_request_still_within_its_working_day_is_not_yet_counted_against_the_response_rate(
        engine: Engine, live: bool) -> None:
    """Raised on Friday 2025-10-31 or today (Monday 11-03) and not routed yet: their working day has not passed
    (Friday's ends with Monday), so they are left out of 响应率 until it has. One raised on Thursday 10-30 and not
    routed by Monday has missed it and counts against the rate."""
    with engine.begin() as conn:
        c = f.community(conn, "C1")
        s = f.livestream(conn, c, "L1")
        for code, raised in (("W1", D(2025, 10, 31)), ("W2", TODAY), ("LATE", D(2025, 10, 30))):
            request(conn, s, c, code, raised_on=raised, quarter="2025Q4")
        request(conn, s, c, "OK", raised_on=D(2025, 10, 30), quarter="2025Q4", first_routed_on=D(2025, 10, 31),
                status="routed", deadline=D(2025, 11, 7))
        request_stats.refresh_all(conn)
    with Session(engine) as session:
        got = figures(session, scope=RequestScope(c, "2025Q4"), quarters=["2025Q4"], today=TODAY, calendar=CAL,
                      live=live)["2025Q4"]
    assert got.collected == 4
    assert (got.response.numerator, got.response.denominator) == (1, 2)
