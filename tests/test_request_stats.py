"""request_stats, the summary table the request page reads: after every kind of write its figures are the live ones.

Each check compares, for every community and for all of them, the figures, the table by category and the unit ranking
read from the summary with those counted live from the requests (live=True), and the summary itself with a recount
of every pair from scratch. Writes:
each lifecycle move and callback, a move read before its commit and one rolled back, an import, a re-import that
moves a request to another quarter, their undo, a change of the calendar, moves at once in threads, the seed, and
the migration that creates the table on a database that already holds requests. On both backends.
"""

import csv
import datetime as dt
import io
import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from dashboard import request_stats
from dashboard.accounts import Principal
from dashboard.db import init_database, make_engine
from dashboard.excel import importer
from dashboard.queries.requests import RequestScope, by_category, by_unit, figures
from dashboard.services import requests as svc
from dashboard.services import workdays
from dashboard.services.errors import RuleError
from data_models import CalendarDay
from data_models.base import table_of
from data_models.enums import Role
from seed.load import DEMO_QUARTERS, generate
from tests import factories as f
from tests.conftest import BACKENDS
from tests.legacy import load_demo_at

D = dt.date
TODAY = D(2025, 12, 1)
QUARTERS = ["2025Q3", "2025Q4"]
SW, SW2 = Principal("sw", Role.social_worker), Principal("sw2", Role.social_worker)


def kept(conn: Connection) -> list[tuple[Any, ...]]:
    return sorted(tuple(r) for r in conn.execute(sa.select(request_stats.STATS)))


def check(engine: Engine, quarters: list[str] = QUARTERS, today: dt.date = TODAY) -> list[tuple[Any, ...]]:
    """The kept figures are the live ones, for each community and for all; the table is a recount's. Returns it."""
    with engine.connect() as conn:
        calendar = workdays.load(conn)
        communities = list(conn.execute(sa.select(f.T["community"].c.id)).scalars())
        now = kept(conn)
        conn.rollback()
        request_stats.refresh_all(conn, calendar)
        recount = kept(conn)
        conn.rollback()
    assert now == recount
    with Session(engine) as s:
        for community_id in [None, *communities]:
            scope = RequestScope(community_id, quarters[-1])
            got = figures(s, scope=scope, quarters=quarters, today=today, calendar=calendar)
            live = figures(s, scope=scope, quarters=quarters, today=today, calendar=calendar, live=True)
            assert got == live, community_id
            for table in (by_category, by_unit):
                kept_rows = table(s, scope=scope, today=today)
                assert kept_rows.equals(table(s, scope=scope, today=today, live=True)), (table, community_id)
    return now


@pytest.fixture
def desk(engine: Engine) -> SimpleNamespace:
    """C1 with its street office TOP (the government party's), under it VC and MID; C2 with C2U (no parent)."""
    with engine.begin() as conn:
        c1, c2 = f.community(conn, "C1"), f.community(conn, "C2")
        gov = f.party(conn, c1, "C1-GOV")
        unit: dict[str, int] = {}
        for code, party, parent, cid in [("TOP", gov, None, c1), ("VC", None, "TOP", c1), ("MID", None, "TOP", c1),
                                         ("C2U", None, None, c2)]:
            unit[code] = f.insert(conn, "unit", code=code, name=f"单位{code}", kind="village_committee",
                                  community_id=cid, township="", party_id=party, parent_id=unit.get(parent or ""),
                                  is_active=True)
        for priority, days in (("urgent", 1), ("general", 5), ("complex", 15)):
            f.insert(conn, "request_sla", priority=priority, working_days=days)
        f.livestream(conn, c1, "L0", held_on=D(2025, 9, 30), quarter="2025Q3")
        f.livestream(conn, c1, "L1", held_on=D(2025, 11, 3), quarter="2025Q4")
        f.livestream(conn, c1, "L2", held_on=D(2025, 11, 10), quarter="2025Q4")
        f.livestream(conn, c2, "L9", held_on=D(2025, 11, 3), quarter="2025Q4")
    return SimpleNamespace(engine=engine, c1=c1, c2=c2, gov=Principal("gov", Role.government, party_id=gov))


def version(engine: Engine, code: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(f.T["request"].c.version).where(f.T["request"].c.code == code))
                   .scalar_one())


def act(engine: Engine, fn: Callable[..., Any], code: str | None = None, **kw: Any) -> str:
    """One move in its own session, committed, at the request's current version; returns the request's code."""
    kw.setdefault("today", TODAY)
    kw.setdefault("actor", SW)
    with Session(engine) as s:
        req = fn(s, **kw) if code is None else fn(s, code, version=version(engine, code), **kw)
        out = str(req.code)
        s.commit()
    return out


def new(engine: Engine, live: str, raised_on: dt.date, category: str = "parcel_stacking") -> str:
    return act(engine, svc.collect, livestream_code=live, category=category, description="诉求", raised_on=raised_on)


def test_every_move_keeps_the_figures(desk: SimpleNamespace) -> None:
    e, gov, n = desk.engine, desk.gov, D(2025, 11, 1)
    day = {i: n.replace(day=i) for i in range(1, 31)}

    def classify(code: str, on: dt.date) -> None:
        act(e, svc.classify, code, category="parcel_stacking", priority="general", on=on)

    steps: list[Callable[[], object]] = []
    # Q3, C1: raised before National Day, routed the first working day after it (in time), explained, reported,
    # unreachable at the callback, closed, reopened, transferred, then escalated as overdue.
    r_e: list[str] = []
    steps += [
        lambda: r_e.append(new(e, "L0", D(2025, 9, 30))),
        lambda: classify(r_e[0], D(2025, 9, 30)),
        lambda: act(e, svc.route, r_e[0], lead_unit_code="VC", on=D(2025, 10, 9)),
        lambda: act(e, svc.accept, r_e[0], on=D(2025, 10, 10)),
        lambda: act(e, svc.finish, r_e[0], outcome="explained", resolution="已解释", on=D(2025, 10, 20)),
        lambda: act(e, svc.report, r_e[0], livestream_code="L1"),
        lambda: act(e, svc.callback, r_e[0], result="unreachable", tries=3, on=day[4]),
        lambda: act(e, svc.close, r_e[0], on=day[5]),
        lambda: act(e, svc.reopen, r_e[0], note="没解决", on=day[6]),
        lambda: act(e, svc.transfer, r_e[0], to_unit_code="MID", reason="归街道", on=day[7]),
    ]
    # Q4, C1: routed the next day, solved on time, reported, satisfied, closed.
    r_a: list[str] = []
    steps += [
        lambda: r_a.append(new(e, "L1", day[3])),
        lambda: classify(r_a[0], day[3]),
        lambda: act(e, svc.route, r_a[0], lead_unit_code="VC", on=day[4]),
        lambda: act(e, svc.accept, r_a[0], on=day[5]),
        lambda: act(e, svc.finish, r_a[0], outcome="solved", resolution="已清理", on=day[6]),
        lambda: act(e, svc.report, r_a[0], livestream_code="L2"),
        lambda: act(e, svc.callback, r_a[0], result="satisfied", tries=1, on=day[11]),
        lambda: act(e, svc.close, r_a[0], on=day[12]),
    ]
    # Q4, C1: routed late, sent back twice (the second escalates to TOP), partly solved by the government, called
    # back dissatisfied (reopened), then solved late.
    r_b: list[str] = []
    steps += [
        lambda: r_b.append(new(e, "L1", day[3], "sanitation")),
        lambda: classify(r_b[0], day[3]),
        lambda: act(e, svc.route, r_b[0], lead_unit_code="VC", on=day[7]),
        lambda: act(e, svc.send_back, r_b[0], reason_code="not_our_remit", note="不归我们", actor=SW, on=day[10]),
        lambda: act(e, svc.route, r_b[0], lead_unit_code="VC", on=day[10]),
        lambda: act(e, svc.send_back, r_b[0], reason_code="not_our_remit", note="还是不归", on=day[11]),
        lambda: act(e, svc.accept, r_b[0], actor=gov, on=day[12]),
        lambda: act(e, svc.finish, r_b[0], outcome="partly_solved", resolution="部分", actor=gov, on=day[13]),
        lambda: act(e, svc.callback, r_b[0], result="dissatisfied", tries=1, on=day[14]),
        lambda: act(e, svc.finish, r_b[0], outcome="solved", resolution="解决", actor=gov, on=day[28]),
    ]
    # Q4, C1: 不合理诉求 proposed and agreed by a second person; its callback stays out of the 满意率.
    r_c: list[str] = []
    steps += [
        lambda: r_c.append(new(e, "L1", day[4], "livestream_noise")),
        lambda: classify(r_c[0], day[4]),
        lambda: act(e, svc.route, r_c[0], lead_unit_code="VC", on=day[4]),
        lambda: act(e, svc.accept, r_c[0], on=day[5]),
        lambda: act(e, svc.finish, r_c[0], outcome="unreasonable", resolution="无理", on=day[6]),
        lambda: act(e, svc.agree_unreasonable, r_c[0], actor=SW2, on=day[7]),
        lambda: act(e, svc.callback, r_c[0], result="satisfied", tries=1, on=day[10]),
    ]
    # Q4, C2: routed, left open past its deadline; then the overdue run escalates C1's transferred Q3 request.
    r_d: list[str] = []
    steps += [
        lambda: r_d.append(new(e, "L9", day[3])),
        lambda: classify(r_d[0], day[3]),
        lambda: act(e, svc.route, r_d[0], lead_unit_code="C2U", on=day[3]),
        lambda: _escalate(e),
    ]
    assert check(e) == []
    for step in steps:
        step()
        assert check(e) != []
    q4 = figures_of(e, desk.c1, "2025Q4")
    assert (q4.collected, q4.finished, q4.unreasonable, q4.reopened, q4.sent_back) == (3, 3, 1, 1, 1)
    assert (q4.response.numerator, q4.satisfaction.numerator, q4.satisfaction.denominator) == (2, 1, 2)
    q3 = figures_of(e, desk.c1, "2025Q3")
    assert (q3.collected, q3.open, q3.response.numerator, q3.unreachable, q3.reopened) == (1, 1, 1, 1, 1)


def _escalate(engine: Engine) -> None:
    with Session(engine) as s:
        assert svc.escalate_overdue(s, today=TODAY, actor=SW) != []
        s.commit()


def figures_of(engine: Engine, community_id: int, quarter: str) -> Any:
    with Session(engine) as s:
        return figures(s, scope=RequestScope(community_id, quarter), quarters=[quarter], today=TODAY,
                       calendar=workdays.Calendar())[quarter]


def test_a_move_is_counted_in_its_own_session_and_forgotten_when_rolled_back(desk: SimpleNamespace) -> None:
    e = desk.engine
    code = new(e, "L1", D(2025, 11, 3))
    act(e, svc.classify, code, category="parcel_stacking", priority="general", on=D(2025, 11, 3))
    act(e, svc.route, code, lead_unit_code="VC", on=D(2025, 11, 4))
    act(e, svc.accept, code, on=D(2025, 11, 5))
    before = check(e)
    scope, cal = RequestScope(desk.c1, "2025Q4"), workdays.Calendar()
    with Session(e) as s:
        svc.finish(s, code, version=version(e, code), outcome="solved", resolution="好", actor=SW,
                   on=D(2025, 11, 6), today=TODAY)
        inside = figures(s, scope=scope, quarters=["2025Q4"], today=TODAY, calendar=cal)
        assert inside == figures(s, scope=scope, quarters=["2025Q4"], today=TODAY, calendar=cal, live=True)
        assert inside["2025Q4"].finished == 1
        s.rollback()
    assert check(e) == before
    with Session(e) as s:      # a move refused after another's: nothing of it, nor a recount, is written
        with pytest.raises(RuleError):
            svc.finish(s, code, version=1, outcome="solved", resolution="好", actor=SW, on=D(2025, 11, 6),
                       today=TODAY)
        s.rollback()
    assert check(e) == before


def as_csv(rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode("utf-8")


HEADER = ["诉求编号", "直播编号", "提出日期", "诉求类别", "主办单位编号", "办理期限", "状态", "办结日期", "转办日期",
          "办结类型"]


def test_an_import_and_its_undo_keep_the_figures(desk: SimpleNamespace) -> None:
    e = desk.engine
    imported = [
        ["R1", "L0", "2025-09-30", "parcel_stacking", "VC", "2025-10-16", "in_progress", "", "2025-10-09", ""],
        ["R2", "L1", "2025-11-03", "sanitation", "VC", "2025-11-10", "resolved", "2025-11-07", "2025-11-03", "solved"],
        ["R3", "L9", "2025-11-03", "parcel_stacking", "C2U", "2025-11-10", "routed", "", "2025-11-03", ""]]
    first = importer.import_file(e, "requests", as_csv([HEADER, *imported]), "r.csv", actor="测试", today=TODAY)
    assert first.status == "committed", first.errors
    after_first = check(e)
    assert {(c, q) for q, c, *_ in after_first} == {(desk.c1, "2025Q3"), (desk.c1, "2025Q4"), (desk.c2, "2025Q4")}
    # R1 moves from Q3 to Q4 (its old pair must be recounted: it is left without requests), R2 is finished late.
    changed = [
        ["R1", "L1", "2025-11-04", "parcel_stacking", "VC", "2025-11-11", "resolved", "2025-11-12", "2025-11-04",
         "solved"],
        ["R2", "L1", "2025-11-03", "sanitation", "VC", "2025-11-10", "resolved", "2025-11-20", "2025-11-03", "solved"]]
    second = importer.import_file(e, "requests", as_csv([HEADER, *changed]), "r2.csv", actor="测试", today=TODAY)
    assert second.status == "committed" and second.updated == 2, second.errors
    after_second = check(e)
    assert (desk.c1, "2025Q3") not in {(c, q) for q, c, *_ in after_second}
    importer.undo_last(e, "requests", actor="测试")
    assert check(e) == after_first
    importer.undo_last(e, "requests", actor="测试")
    assert check(e) == []


def test_a_calendar_change_recounts_the_response(desk: SimpleNamespace) -> None:
    """Raised Friday 2025-11-07, first routed Monday 11-10: in time, until Saturday 11-08 becomes a working day."""
    e = desk.engine
    code = new(e, "L1", D(2025, 11, 7))
    act(e, svc.classify, code, category="parcel_stacking", priority="general", on=D(2025, 11, 7))
    act(e, svc.route, code, lead_unit_code="VC", on=D(2025, 11, 10))
    assert figures_of(e, desk.c1, "2025Q4").response.numerator == 1
    with e.begin() as conn:
        conn.execute(table_of(CalendarDay).insert().values(day=D(2025, 11, 8), is_workday=True, note="调休"))
        request_stats.after_import(conn, table_of(CalendarDay), [], set())
    check(e)
    with Session(e) as s:
        calendar = workdays.load(s.connection())
        got = figures(s, scope=RequestScope(desk.c1, "2025Q4"), quarters=["2025Q4"], today=TODAY,
                      calendar=calendar)["2025Q4"]
    assert got.response.numerator == 0


@pytest.mark.parametrize("today", [D(2025, 9, 30), D(2025, 10, 8), D(2025, 10, 9), D(2025, 10, 10),
                                   D(2025, 11, 7), D(2025, 11, 8), D(2025, 11, 10), D(2025, 11, 11)])
def test_requests_waiting_to_be_routed_are_counted_on_every_day(desk: SimpleNamespace, today: dt.date) -> None:
    """Not yet routed and still within their working day: left out of the 响应率 until it passes. Raised on
    2025-09-30 (before the National Day holidays: it has until 10-09, in the next quarter) and on Friday 11-07 (until
    Monday 11-10), one of each pair routed in time; the kept figures (the waiting read from the last quarters only)
    are the live ones on each day around them."""
    e = desk.engine
    for live, raised in (("L0", D(2025, 9, 30)), ("L1", D(2025, 11, 7))):
        for routed in (True, False):
            code = new(e, live, raised)
            act(e, svc.classify, code, category="parcel_stacking", priority="general", on=raised, today=raised)
            if routed:
                act(e, svc.route, code, lead_unit_code="VC", on=raised, today=raised)
    check(e, today=today)
    check(e, ["2025Q2", "2025Q3"], today=today)


def test_moves_at_once_keep_the_figures(desk: SimpleNamespace) -> None:
    """Several sessions move requests of one community-quarter at the same time: each commit recounts the pair
    after the one before it (PostgreSQL: no second row for the pair, no lost count)."""
    e = desk.engine
    codes = []
    for _ in range(6):
        code = new(e, "L1", D(2025, 11, 3))
        act(e, svc.classify, code, category="parcel_stacking", priority="general", on=D(2025, 11, 3))
        act(e, svc.route, code, lead_unit_code="VC", on=D(2025, 11, 4))
        codes.append(code)
    barrier = threading.Barrier(len(codes))
    errors: list[BaseException] = []

    def run(code: str) -> None:
        try:
            with Session(e) as s:
                seen = version(e, code)
                barrier.wait()
                svc.accept(s, code, version=seen, actor=SW, on=D(2025, 11, 5), today=TODAY)
                svc.finish(s, code, version=seen + 1, outcome="solved", resolution="好", actor=SW,
                           on=D(2025, 11, 6), today=TODAY)
                s.commit()
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in codes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    check(e)
    assert figures_of(e, desk.c1, "2025Q4").finished == len(codes)


def test_the_seed_keeps_the_figures(demo_engine: Engine) -> None:
    rows = check(demo_engine, DEMO_QUARTERS, D(2026, 10, 15))
    assert sum(r[4] for r in rows) > 0


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_the_migration_fills_the_table_of_a_database_with_requests(fresh_database_url: str) -> None:
    engine = make_engine(fresh_database_url)
    loaded = load_demo_at(engine, "0009")      # today's rows in the 0009 forms (tests/legacy.py)
    engine.dispose()
    engine = init_database(fresh_database_url)
    rows = check(engine, DEMO_QUARTERS, D(2026, 10, 15))
    assert sum(r[4] for r in rows) == loaded["request"] == len(generate("demo")["request"]["code"]) - 7
    engine.dispose()
