"""季度汇报's live figures (dashboard.report.figures.report_data): on the demo seed each equals what the area's own
page reads for the same scope, the quarter before and a year ago equal those quarters' own figures, empty scopes give
zeros and None, the snapshot's JSON round-trips, and a write shows at once. On SQLite and PostgreSQL."""

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.accounts import Principal
from dashboard.i18n import STRINGS, use_language
from dashboard.periods import previous_quarter, quarter_bounds
from dashboard.queries import Scope, needs_board, overview
from dashboard.queries import cooperative as coop_queries
from dashboard.queries import meetings as meeting_queries
from dashboard.queries import needs as needs_queries
from dashboard.queries import report as report_queries
from dashboard.queries.requests import RequestFilters, RequestScope, by_category
from dashboard.queries.requests import page as requests_page
from dashboard.queries.training import training_board
from dashboard.report.figures import report_data, year_ago_quarter
from dashboard.report.types import AREAS, ReportData, from_json, to_json
from dashboard.services import needs as needs_service
from dashboard.services import requests as request_service
from dashboard.services.request_rates import Rate
from dashboard.services.training_funnel import employment_rate
from data_models import NeedAssessment
from data_models.base import table_of
from data_models.enums import Role
from tests import factories as f

D = dt.date
TODAY = D(2026, 11, 20)                 # the demo's data run to 2026-09-30
QUARTERS = ["2026Q3", "2026Q2"]         # 2026Q3 has no approved distribution run yet; 2026Q2 has
SCOPES = [1, None]
N = table_of(NeedAssessment)


def report(engine: Engine, community_id: int | None, quarter: str, today: dt.date = TODAY) -> ReportData:
    with Session(engine) as s:
        return report_data(s, community_id=community_id, quarter=quarter, today=today)


def values(data: ReportData, area: str) -> dict[str, Any]:
    return {x.key: x.value for x in data.area(area).figures}


def bases(data: ReportData, area: str) -> dict[str, Any]:
    return {x.key: x.base for x in data.area(area).figures if x.kind == "rate"}


def points(data: ReportData, area: str, which: str = "value") -> dict[str, Any]:
    return {p.code: getattr(p, which) for p in data.area(area).chart.points}


@pytest.fixture(scope="module")
def demo(demo_engine: Engine) -> dict[tuple[int | None, str], ReportData]:
    """The report of each scope and quarter the tests compare (read once per backend)."""
    quarters = {*QUARTERS, *(previous_quarter(q) for q in QUARTERS), *(year_ago_quarter(q) for q in QUARTERS)}
    return {(c, q): report(demo_engine, c, q) for c in SCOPES for q in quarters}


# --- each figure is its area page's --------------------------------------------------------------------------------

@pytest.mark.parametrize("quarter", QUARTERS)
@pytest.mark.parametrize("community_id", SCOPES)
def test_needs_are_the_needs_page_figures(demo_engine: Engine, demo: dict[Any, ReportData], community_id: int | None,
                                          quarter: str) -> None:
    data = demo[(community_id, quarter)]
    scope = Scope(community_id, quarter)
    start, end = quarter_bounds(quarter)
    with Session(demo_engine) as s:
        summary = needs_queries.needs_summary(s, scope=scope)
        practitioners = needs_queries.profile(s, scope=scope).practitioners
        funnel = needs_board.funnel(s, scope=scope).set_index("stage")["count"]
        heat = needs_board.heatmap(s, scope=scope, by="employment_type").groupby("category")["count"].sum()
        where: list[sa.ColumnElement[bool]] = [N.c.feedback_on.between(start, end), N.c.satisfaction.is_not(None)]
        if community_id is not None:
            where.append(N.c.community_id == community_id)
        scored, satisfied, mean = s.execute(sa.select(
            sa.func.count(), sa.func.sum(sa.case((N.c.satisfaction >= 4, 1), else_=0)), sa.func.avg(N.c.satisfaction),
        ).where(*where)).one()
    assert values(data, "needs") == {
        "practitioners": practitioners, "needs_identified": summary.identified, "needs_closed": summary.closed,
        "needs_closure_rate": Rate(int(funnel["closed"]), int(funnel["identified"])).value,
        "needs_satisfaction": Rate(int(satisfied), int(scored)).value, "needs_open": summary.open_at_end}
    assert bases(data, "needs") == {"needs_closure_rate": summary.identified, "needs_satisfaction": scored}
    assert summary.satisfaction == pytest.approx(float(mean))      # the page's mean is over the same scores
    assert points(data, "needs") == {str(k): int(v) for k, v in heat.items() if v}
    assert sum(points(data, "needs").values()) == summary.identified > 0


@pytest.mark.parametrize("quarter", QUARTERS)
@pytest.mark.parametrize("community_id", SCOPES)
def test_training_is_the_training_page_funnel(demo_engine: Engine, demo: dict[Any, ReportData],
                                              community_id: int | None, quarter: str) -> None:
    data = demo[(community_id, quarter)]
    with Session(demo_engine) as s:
        board = training_board(s, scope=Scope(community_id, quarter), as_of=TODAY)
    cur = board.current
    assert values(data, "training") == {
        "enrolled": cur.enrolled, "completed": cur.completed,
        "completion_rate": Rate(cur.completed, cur.enrolled).value, "certified": cur.certified,
        "employment_rate": employment_rate(cur).value, "reached": cur.m3_reached}
    assert bases(data, "training") == {"completion_rate": cur.enrolled, "employment_rate": cur.m3_reached}
    levels = board.by["level"].set_index("key")["enrolled"]
    assert points(data, "training") == {str(k): int(v) for k, v in levels.items() if v}
    assert cur.enrolled > 0 and cur.m3_reached > 0


@pytest.mark.parametrize("quarter", QUARTERS)
@pytest.mark.parametrize("community_id", SCOPES)
def test_cooperative_is_the_overview_and_the_cooperative_page(demo_engine: Engine, demo: dict[Any, ReportData],
                                                              community_id: int | None, quarter: str) -> None:
    data = demo[(community_id, quarter)]
    months = {f"{quarter[:4]}-{m:02d}" for m in range(3 * int(quarter[-1]) - 2, 3 * int(quarter[-1]) + 1)}
    with Session(demo_engine) as s:
        sales = overview.sales(s, scope=Scope(community_id, quarter))
        channels: dict[str, int] = {}
        pool, members, approved = 0, set(), False
        for coop_id in coop_queries.cooperatives(s, community_id=community_id)["id"]:
            for row in coop_queries.sales_by_channel(s, cooperative_id=int(coop_id), period=quarter).itertuples():
                channels[str(row.channel)] = channels.get(str(row.channel), 0) + int(row.revenue_cents)
            runs = coop_queries.runs(s, cooperative_id=int(coop_id))
            for run in runs[(runs["status"] == "approved") & runs["period"].isin({quarter, *months})].itertuples():
                pool += int(run.member_pool_cents)
                approved = True
                lines = coop_queries.run_lines(s, run_code=run.code)
                members |= set(lines.loc[lines["amount_cents"] > 0, "code"])
    # A quarter whose distribution nobody approved yet (the demo's 2026Q3 runs are drafts) has no figure paid: "—",
    # not ¥0.00 and −100% against the quarter before
    assert values(data, "cooperative") == {
        "revenue": sales.revenue_cents, "profit": sales.profit_cents, "orders": sales.orders,
        "paid_to_members": pool if approved else None, "members_paid": len(members) if approved else None,
        "fund_spent": sales.fund_spent_cents}
    assert points(data, "cooperative") == {k: v for k, v in channels.items() if v}
    assert data.area("cooperative").chart.kind == "money"
    assert [x.people for x in data.area("cooperative").figures] == [False, False, False, False, True, False]
    # the amount paid is over the members paid: suppression hides it where they are few (one member's income)
    assert {x.key: x.over for x in data.area("cooperative").figures if x.over} == {"paid_to_members": "members_paid"}


@pytest.mark.parametrize("quarter", QUARTERS)
@pytest.mark.parametrize("community_id", SCOPES)
def test_requests_are_the_request_page_figures(demo_engine: Engine, demo: dict[Any, ReportData],
                                               community_id: int | None, quarter: str) -> None:
    data = demo[(community_id, quarter)]
    scope = RequestScope(community_id, quarter)
    page = requests_page(demo_engine, scope=scope, filters=RequestFilters(), today=TODAY)
    cur = page.summary.current
    with Session(demo_engine) as s:
        tiles = overview.requests(s, scope=Scope(community_id, quarter), as_of=TODAY)
        table = by_category(s, scope=scope, today=TODAY).set_index("category")["collected"]
    assert values(data, "requests") == {
        "sessions": tiles.sessions, "requests_raised": cur.collected, "requests_done_rate": tiles.done_rate,
        "requests_on_time_rate": cur.on_time.value, "requests_satisfaction": cur.satisfaction.value,
        "requests_overdue": cur.overdue}
    assert (tiles.raised, tiles.overdue_open, tiles.on_time_rate) == (cur.collected, cur.overdue, cur.on_time.value)
    assert bases(data, "requests") == {"requests_done_rate": cur.collected,
                                       "requests_on_time_rate": cur.on_time.denominator,
                                       "requests_satisfaction": cur.satisfaction.denominator}
    assert points(data, "requests") == {str(k): int(v) for k, v in table.items() if v}


@pytest.mark.parametrize("quarter", QUARTERS)
@pytest.mark.parametrize("community_id", SCOPES)
def test_meetings_are_the_overview_and_the_meeting_list(demo_engine: Engine, demo: dict[Any, ReportData],
                                                        community_id: int | None, quarter: str) -> None:
    data = demo[(community_id, quarter)]
    as_of = min(TODAY, quarter_bounds(quarter)[1])
    with Session(demo_engine) as s:
        tiles = overview.meetings(s, scope=Scope(community_id, quarter), as_of=as_of)
        listed = meeting_queries.meetings(s.connection(), community_id=community_id)
    listed = listed[listed["quarter"] == quarter]
    assert values(data, "meetings") == {
        "meetings": tiles.meetings, "decisions": int(listed["decisions"].sum()), "actions": tiles.actions,
        "actions_done": tiles.actions_done, "actions_done_rate": Rate(tiles.actions_done, tiles.actions).value,
        "actions_overdue": tiles.actions_overdue}
    assert len(listed) == tiles.meetings and int(listed["actions"].sum()) == tiles.actions
    assert sum(points(data, "meetings").values()) == tiles.actions > 0


# --- the quarter before and a year ago -----------------------------------------------------------------------------

@pytest.mark.parametrize("quarter", QUARTERS)
@pytest.mark.parametrize("community_id", SCOPES)
def test_previous_and_year_ago_are_those_quarters_figures(demo: dict[Any, ReportData], community_id: int | None,
                                                          quarter: str) -> None:
    data = demo[(community_id, quarter)]
    assert (data.previous_quarter, data.year_ago_quarter) == (previous_quarter(quarter), year_ago_quarter(quarter))
    for side, key in (("previous", data.previous_quarter), ("year_ago", data.year_ago_quarter)):
        other = demo[(community_id, key)]
        for area in AREAS:
            mine = {x.key: (getattr(x, side), getattr(x, f"{side}_base")) for x in data.area(area).figures}
            assert mine == {x.key: (x.value, x.base) for x in other.area(area).figures}, (area, side)
            theirs = points(other, area)
            assert points(data, area, side) == {code: theirs.get(code, 0) for code in points(data, area, side)}
            assert {code for code, n in theirs.items() if n} <= set(points(data, area, side))


@pytest.mark.parametrize("community_id", SCOPES)
def test_each_chart_adds_up_to_the_figure_it_names(demo: dict[Any, ReportData], community_id: int | None) -> None:
    """Secondary suppression relies on it: a hidden point must not be the total less the others."""
    data = demo[(community_id, "2026Q3")]
    for area in data.areas:
        assert area.chart.total is not None
        total = area.figure(area.chart.total)
        for side in ("value", "previous", "year_ago"):
            assert sum(getattr(p, side) for p in area.chart.points) == getattr(total, side), (area.area, side)
        assert area.chart.people == total.people


def test_a_quarter_before_the_data_is_no_figure(demo: dict[Any, ReportData]) -> None:
    """2025Q2 is the demo's first quarter: a year before it nothing was recorded, so 同比 has no figure (None), not
    0 (which would read "new" or −100%)."""
    data = demo[(1, "2026Q2")]
    old = demo[(1, "2025Q2")]
    for area in AREAS:
        assert all(x.year_ago is not None for x in data.area(area).figures), area
        assert all(x.year_ago is None and x.year_ago_base is None for x in old.area(area).figures), area
        assert all(p.year_ago is None for p in old.area(area).chart.points)


# --- empty scopes --------------------------------------------------------------------------------------------------

def assert_empty(data: ReportData, *, practitioners: int = 0) -> None:
    assert [a.area for a in data.areas] == list(AREAS)
    for area in data.areas:
        for x in area.figures:
            if x.key == "practitioners":
                assert x.value == practitioners
            elif x.kind == "rate":
                assert (x.value, x.base) == (None, 0), x
            elif x.key in ("paid_to_members", "members_paid"):      # no distribution approved: no figure
                assert x.value is None, x
            else:
                assert x.value == 0, x
            assert (x.previous, x.year_ago) == (None, None), x
        assert area.chart.points == []


def test_an_empty_quarter_gives_zeros_and_none(demo_engine: Engine) -> None:
    data = report(demo_engine, 1, "2024Q1")
    with Session(demo_engine) as s:
        practitioners = needs_queries.profile(s, scope=Scope(1, "2024Q1")).practitioners
    assert_empty(data, practitioners=practitioners)


def test_an_empty_database_and_an_empty_community(engine: Engine) -> None:
    data = report(engine, None, "2025Q3")
    assert_empty(data)
    assert (data.community_code, data.community_names) == (None, {"zh": "全部社区", "en": "All communities"})
    with engine.begin() as conn:
        c = f.community(conn, "C9")
    data = report(engine, c, "2025Q3")
    assert_empty(data)
    assert (data.community_id, data.community_code, data.community_names) == (c, "C9", {"zh": "社区C9",
                                                                                         "en": "社区C9"})
    with pytest.raises(ValueError, match="no community"):
        report(engine, c + 1, "2025Q3")


# --- the snapshot, the cut-off, the labels --------------------------------------------------------------------------

@pytest.mark.parametrize("community_id", SCOPES)
def test_json_round_trips_a_real_report_exactly(demo: dict[Any, ReportData], community_id: int | None) -> None:
    data = demo[(community_id, "2026Q3")]
    text = to_json(data)
    assert from_json(text) == data
    assert to_json(from_json(text)) == text
    kinds = {type(x.value) for a in data.areas for x in a.figures if x.value is not None}
    assert kinds <= {int, float}                  # no Decimal from PostgreSQL's SUM, no numpy


def test_cut_off_is_now_in_utc(engine: Engine) -> None:
    at = dt.datetime(2025, 10, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with Session(engine) as s:
        given = report_data(s, community_id=None, quarter="2025Q3", today=D(2025, 10, 1), now=at)
        naive = report_data(s, community_id=None, quarter="2025Q3", today=D(2025, 10, 1), now=dt.datetime(2025, 10, 1))
        before = dt.datetime.now(dt.UTC)
        default = report_data(s, community_id=None, quarter="2025Q3", today=D(2025, 10, 1))
    assert given.cut_off == at and given.cut_off.utcoffset() == dt.timedelta(0)
    assert naive.cut_off == dt.datetime(2025, 10, 1, tzinfo=dt.UTC)
    assert before <= default.cut_off <= dt.datetime.now(dt.UTC)


def test_every_figure_chart_and_area_is_named_shortly_in_both_languages(demo: dict[Any, ReportData]) -> None:
    data = demo[(None, "2026Q3")]
    keys = [x.key for a in data.areas for x in a.figures]
    assert len(keys) == len(set(keys))            # one label per key across the areas
    for lang, longest in (("zh", 8), ("en", 24)):  # they sit on a 1280×720 slide
        table = STRINGS[lang]
        for key in keys:
            assert 0 < len(table[f"report.fig.{key}"]) <= longest, (lang, key)
            assert table[f"report.help.{key}"]
        for a in data.areas:
            assert table[f"report.area.{a.area}"] and table[f"report.chart.{a.chart.key}"]
            for p in a.chart.points:
                assert p.names[lang] and not p.names[lang].startswith("enum."), p
    with use_language("en"):
        assert data.community_names == {"zh": "全部社区", "en": "All communities"}
    assert STRINGS["zh"]["report.fig.requests_on_time_rate"] == STRINGS["zh"]["metric.on_time_rate"]


def test_needs_satisfaction_is_named_as_the_share_scoring_4_or_5() -> None:
    """The needs page shows the mean score (满意度（1-5）); the report's figure is the share of feedback scored 4 or
    5: its label says so (short enough for a slide), and its help tells it from the page's mean."""
    for lang in ("zh", "en"):
        table = STRINGS[lang]
        label, help_text = table["report.fig.needs_satisfaction"], table["report.help.needs_satisfaction"]
        assert "4–5" in label, (lang, label)
        assert label != table["metric.satisfaction"] and "1" not in label
        assert "4" in help_text and "5" in help_text and table["metric.satisfaction"] in help_text, (lang, help_text)


# --- a write shows at once ------------------------------------------------------------------------------------------

def test_a_write_changes_the_live_figures(engine: Engine) -> None:
    """A need recorded, a request collected and an enrolment made (through the triggers' training_stats) are in
    the next read, with no cache to clear."""
    today = D(2025, 8, 1)
    with engine.begin() as conn:
        c = f.community(conn)
        f.practitioner(conn, c, "P1")
        f.livestream(conn, c, "L1")
    before = report(engine, c, "2025Q3", today)
    assert (values(before, "needs")["needs_identified"], values(before, "requests")["requests_raised"],
            values(before, "training")["enrolled"]) == (0, 0, 0)
    sw = Principal("sw", Role.social_worker)
    with Session(engine) as s:
        needs_service.record_need(s, practitioner_code="P1", category="rights_protection", severity="high",
                                  description="", identified_on=today, actor="sw", today=today)
        request_service.collect(s, livestream_code="L1", category="sanitation", description="垃圾", raised_on=today,
                                actor=sw, today=today)
        s.commit()
    with engine.begin() as conn:
        p = int(conn.execute(sa.select(f.T["practitioner"].c.id)).scalar_one())
        f.enrolment(conn, f.course(conn, c), p, c, "E1", enrolled_on=D(2025, 7, 10), quarter="2025Q3")
    after = report(engine, c, "2025Q3", today)
    assert values(after, "needs")["needs_identified"] == 1
    assert points(after, "needs") == {"rights_protection": 1}
    assert values(after, "requests")["requests_raised"] == 1
    assert points(after, "requests") == {"sanitation": 1}
    assert values(after, "training")["enrolled"] == 1


# --- one consistent state --------------------------------------------------------------------------------------------

def _collect(engine: Engine, category: str, today: dt.date) -> None:
    """A request collected and committed by another session (request_stats moves with it, as on the page)."""
    with Session(engine) as other:
        request_service.collect(other, livestream_code="L1", category=category, description="快递驿站门口堆放",
                                raised_on=today,
                                actor=Principal("sw", Role.social_worker), today=today)
        other.commit()


def test_the_figures_are_read_from_one_state_while_another_session_writes(engine: Engine,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """report_data reads in about a dozen statements. A request committed by another session between two of them
    (after the requests raised, before the chart by category) is in neither: the chart still adds up to its total,
    and both are the state before the write; the next read has it. On PostgreSQL the reads run in one REPEATABLE
    READ, READ ONLY transaction, on SQLite in one transaction; either ends with report_data."""
    today = D(2025, 8, 1)
    with engine.begin() as conn:
        c = f.community(conn)
        f.livestream(conn, c, "L1")
    for category in ("sanitation", "logistics"):
        _collect(engine, category, today)
    real = report_queries.requests_by_category
    seen: list[tuple[str, str]] = []

    def write_between(session: Session, **kw: Any) -> Any:
        _collect(engine, "sanitation", today)
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            seen.append((conn.exec_driver_sql("SHOW transaction_isolation").scalar_one(),
                         conn.exec_driver_sql("SHOW transaction_read_only").scalar_one()))
        return real(session, **kw)

    monkeypatch.setattr(report_queries, "requests_by_category", write_between)
    with Session(engine) as s:
        during = report_data(s, community_id=c, quarter="2025Q3", today=today)
        raised = values(during, "requests")["requests_raised"]
        assert (raised, points(during, "requests")) == (2, {"sanitation": 1, "logistics": 1})
        assert not s.in_transaction()
    assert seen == ([] if engine.dialect.name == "sqlite" else [("repeatable read", "on")])
    monkeypatch.undo()
    after = report(engine, c, "2025Q3", today)
    assert values(after, "requests")["requests_raised"] == 3 == sum(points(after, "requests").values())


def test_training_stats_caught_up_before_the_snapshot_or_counted_in_it(engine: Engine,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The enrolments' summary table is recounted before the transaction (a recount committed inside it would not
    be seen); an enrolment written after that, before the first read, leaves its pair dirty in the snapshot, and
    the pair is counted from the enrolments in it instead of from the stale table."""
    with engine.begin() as conn:
        c = f.community(conn)
        p = f.practitioner(conn, c, "P1")
        course = f.course(conn, c)
        f.enrolment(conn, course, p, c, "E1", enrolled_on=D(2025, 7, 10), quarter="2025Q3")
    real = report_queries.catch_up_training

    def catch_up_then_write(session: Session) -> None:
        real(session)
        with engine.begin() as conn:
            f.enrolment(conn, course, f.practitioner(conn, c, "P2"), c, "E2", enrolled_on=D(2025, 7, 11),
                        quarter="2025Q3")

    monkeypatch.setattr(report_queries, "catch_up_training", catch_up_then_write)
    data = report(engine, c, "2025Q3", D(2025, 8, 1))
    assert values(data, "training")["enrolled"] == 2 == sum(points(data, "training").values())


def test_a_session_with_its_own_writes_reads_them_and_keeps_its_transaction(engine: Engine) -> None:
    today = D(2025, 8, 1)
    with engine.begin() as conn:
        c = f.community(conn)
        f.livestream(conn, c, "L1")
    with Session(engine) as s:
        request_service.collect(s, livestream_code="L1", category="logistics", description="快递驿站门口堆放",
                                raised_on=today,
                                actor=Principal("sw", Role.social_worker), today=today)
        data = report_data(s, community_id=c, quarter="2025Q3", today=today)
        assert s.in_transaction()                  # the caller's: not ended by a read
        assert values(data, "requests")["requests_raised"] == 1 == sum(points(data, "requests").values())
        s.rollback()
    assert values(report(engine, c, "2025Q3", today), "requests")["requests_raised"] == 0
