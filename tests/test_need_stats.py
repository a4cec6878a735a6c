"""need_stats and practitioner_stats keep up with every write: the triggers of migration 0017 mark the pairs a write
touches, the pages recount them before reading, and the figures summed from the tables equal those counted live from
the needs and practitioners — on the demo seed, after a need's lifecycle, SQL typed by hand, an import and its undo,
on both backends."""

import csv
import datetime as dt
import io
from collections.abc import Iterator

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import need_stats as ns
from dashboard.excel import importer
from dashboard.i18n import set_language
from dashboard.periods import previous_quarter
from dashboard.queries import Scope, needs_board, overview, report_kept
from dashboard.report.figures import report_data, year_ago_quarter
from dashboard.services import needs as needs_service
from tests.conftest import BACKENDS, own_demo_database

D = dt.date
TODAY = D(2026, 9, 30)
QUARTERS = ["2026Q3", "2026Q2", "2025Q4"]
MID_QUARTER = [D(2026, 7, 2), D(2026, 8, 15), D(2026, 5, 20)]


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database of its own holding the demo seed: these tests write to it, in order."""
    yield from own_demo_database(request.param, tmp_path_factory)


def _frame(df: pd.DataFrame) -> list[tuple]:
    """A frame's rows as plain values, in order (the two paths may return rows in another order)."""
    return sorted(tuple(str(v) if not isinstance(v, (int, float)) or isinstance(v, bool) else v for v in row)
                  for row in df.itertuples(index=False))


def scopes(engine: Engine) -> list[Scope]:
    with engine.connect() as conn:
        community = conn.execute(sa.text("SELECT min(id) FROM community")).scalar_one()
    out = []
    for q in QUARTERS:
        out += [Scope(None, q), Scope(community, q), Scope(None, q, ("group", "migrant_women")),
                Scope(community, q, ("group", "disabled"))]
    return out


def same_figures(engine: Engine) -> None:
    """Every scope's needs page, overview and quarterly report: summed from the kept tables (after catching up) as
    counted live."""
    for scope in scopes(engine):
        assert needs_board.catch_up(engine, scope)
        kept = needs_board.page(engine, scope=scope, today=TODAY, live=False)
        live = needs_board.page(engine, scope=scope, today=TODAY, live=True)
        assert kept.board == live.board, scope
        for d in needs_board.DIMENSIONS:
            assert _frame(kept.composition[d]) == _frame(live.composition[d]), (scope, d)
        for by in ("employment_type", "group"):
            assert _frame(kept.heatmap[by]) == _frame(live.heatmap[by]), (scope, by)
        assert _frame(kept.trend) == _frame(live.trend), scope
        assert _frame(kept.funnel) == _frame(live.funnel), scope
        assert (kept.backlog_total, _frame(kept.backlog)) == (live.backlog_total, _frame(live.backlog)), scope
        # Inside the quarter the backlog is counted at today: needs identified or closed later are taken back out
        with Session(engine) as session:
            for day in MID_QUARTER:
                assert (needs_board.backlog_total(session, scope=scope, today=day, live=False)
                        == needs_board.backlog_total(session, scope=scope, today=day, live=True)), (scope, day)
        if scope.drill is None:
            with Session(engine) as session:
                k = overview.overview(session, scope=scope, today=TODAY, live=False)
                v = overview.overview(session, scope=scope, today=TODAY, live=True)
            assert k == v, scope
            with Session(engine) as session:
                qs = [scope.quarter, previous_quarter(scope.quarter), year_ago_quarter(scope.quarter)]
                assert report_kept.catch_up(session, qs)
                now = dt.datetime(2026, 9, 30, 8, tzinfo=dt.UTC)
                k_report = report_data(session, community_id=scope.community_id, quarter=scope.quarter,
                                       today=TODAY, now=now, live=False)
                v_report = report_data(session, community_id=scope.community_id, quarter=scope.quarter,
                                       today=TODAY, now=now, live=True)
            assert k_report == v_report, scope
    with engine.connect() as conn:
        assert ns.dirty(conn) == []


def marks(engine: Engine) -> set[tuple[int, str]]:
    with engine.connect() as conn:
        return {(c, q) for c, q, _ in ns.dirty(conn)}


def test_the_seed_fills_the_tables_and_they_equal_the_live_counts(seeded: Engine) -> None:
    assert marks(seeded) == set()
    with seeded.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM need_stats")).scalar_one() > 0
        kept = {q for (q,) in conn.execute(sa.text("SELECT quarter FROM practitioner_stats_quarter"))}
    assert set(QUARTERS) <= kept
    same_figures(seeded)


def _practitioner(engine: Engine) -> tuple[str, int]:
    with engine.connect() as conn:
        code, community = conn.execute(sa.text(
            "SELECT p.code, p.community_id FROM practitioner p JOIN practitioner_group g ON g.practitioner_id = p.id "
            "WHERE g.\"group\" = 'migrant_women' ORDER BY p.id LIMIT 1")).one()
    return str(code), int(community)


def needs_of(engine: Engine, code: str) -> set[tuple[int, str]]:
    """The (community, quarter) pairs of a practitioner's needs, which a change to the practitioner marks too."""
    with engine.connect() as conn:
        return {(int(c), str(q)) for c, q in conn.execute(sa.text(
            "SELECT n.community_id, n.quarter FROM need_assessment n JOIN practitioner p ON p.id = n.practitioner_id "
            "WHERE p.code = :c"), {"c": code})}


def test_a_needs_lifecycle_through_the_service_keeps_the_figures(seeded: Engine) -> None:
    code, community = _practitioner(seeded)
    with Session(seeded) as session:
        need = needs_service.record_need(session, practitioner_code=code, category="rights_protection",
                                         severity="high", description="lifecycle", identified_on=D(2026, 7, 3),
                                         actor="社工甲", today=TODAY)
        need_code = need.code
        session.commit()
    assert marks(seeded) == {(community, "2026Q3")}
    same_figures(seeded)
    steps = [("assessed", D(2026, 7, 6), None), ("responded", D(2026, 7, 20), None),
             ("feedback", D(2026, 8, 30), 2), ("closed", D(2026, 9, 2), None)]
    for to, on, satisfaction in steps:
        with Session(seeded) as session:
            needs_service.advance_need(session, need_code=need_code, to_status=to, on=on, actor="社工甲", today=TODAY,
                                       satisfaction=satisfaction)
            session.commit()
        same_figures(seeded)


def test_sql_typed_by_hand_on_practitioners_their_tags_and_sales_is_counted(seeded: Engine) -> None:
    """No code path at all: an admin's UPDATE of an employment type and a new group tag mark (community, '*'); an
    UPDATE of a sale marks its (community, quarter), and the overview's sales follow it."""
    code, community = _practitioner(seeded)
    with seeded.begin() as conn:
        pid = conn.execute(sa.text("SELECT id FROM practitioner WHERE code = :c"), {"c": code}).scalar_one()
        conn.execute(sa.text("UPDATE practitioner SET employment_type = 'independent_operator', "
                             "has_pension = NOT has_pension WHERE id = :p"), {"p": pid})
        conn.execute(sa.text("DELETE FROM practitioner_group WHERE practitioner_id = :p AND \"group\" = 'disabled'"),
                     {"p": pid})
        conn.execute(sa.text("INSERT INTO practitioner_group (practitioner_id, \"group\") VALUES (:p, 'disabled')"),
                     {"p": pid})
    assert marks(seeded) == {(community, "*")} | needs_of(seeded, code)
    same_figures(seeded)
    with seeded.begin() as conn:       # a sale of the running quarter (its distribution run is a draft)
        sale, where = conn.execute(sa.text("SELECT id, community_id FROM sale WHERE quarter = '2026Q3' "
                                           "ORDER BY id LIMIT 1")).one()
        conn.execute(sa.text("UPDATE sale SET revenue_cents = revenue_cents + 12345, cost_cents = cost_cents + 1 "
                             "WHERE id = :s"), {"s": sale})
    assert marks(seeded) == {(where, "2026Q3")}
    with Session(seeded) as session:
        before = overview.sales(session, scope=Scope(None, "2026Q3"), live=False)
    same_figures(seeded)
    with Session(seeded) as session:
        after = overview.sales(session, scope=Scope(None, "2026Q3"), live=False)
    assert after.revenue_cents == before.revenue_cents + 12345


HEAD = ["需求编号", "从业者编号", "需求类别", "紧急程度", "状态", "需求描述", "识别日期", "评估日期", "响应日期",
        "反馈日期", "结案日期", "满意度", "负责社工"]


def test_an_import_and_its_undo_keep_the_figures(seeded: Engine) -> None:
    set_language("zh")
    code, _ = _practitioner(seeded)
    before = needs_board.page(seeded, scope=Scope(None, "2026Q3"), today=TODAY)
    buf = io.StringIO()
    csv.writer(buf).writerows([
        HEAD,
        ["NIMP001", code, "rights_protection", "medium", "closed", "imported", "2026-07-01", "2026-07-02",
         "2026-07-05", "2026-08-01", "2026-08-03", "5", "社工乙"],
        ["NIMP002", code, "social_support", "low", "identified", "", "2025-11-03", "", "", "", "", "", "社工乙"],
    ])
    result = importer.import_file(seeded, "needs", buf.getvalue().encode("utf-8"), "n.csv", actor="社工乙",
                                  today=TODAY)
    assert result.status == "committed", result.errors
    assert marks(seeded)
    same_figures(seeded)
    after = needs_board.page(seeded, scope=Scope(None, "2026Q3"), today=TODAY)
    assert after.board.current.needs_closed == before.board.current.needs_closed + 1
    importer.undo_last(seeded, "needs", actor="社工乙")
    same_figures(seeded)
    again = needs_board.page(seeded, scope=Scope(None, "2026Q3"), today=TODAY)
    assert again.board == before.board


def test_a_quarter_never_asked_for_is_counted_the_first_time(seeded: Engine) -> None:
    with seeded.begin() as conn:
        conn.execute(sa.text("DELETE FROM practitioner_stats WHERE quarter = '2025Q4'"))
        conn.execute(sa.text("DELETE FROM practitioner_stats_quarter WHERE quarter = '2025Q4'"))
    same_figures(seeded)
    with seeded.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM practitioner_stats WHERE quarter = '2025Q4'")).scalar_one()


def _a_committed_mark(engine: Engine) -> tuple[str, int]:
    """A practitioner's change committed and not yet recounted: their community and their needs' pairs marked."""
    code, community = _practitioner(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE practitioner SET has_pension = NOT has_pension WHERE code = :c"), {"c": code})
    assert marks(engine) == {(community, "*")}      # its needs' rows do not carry a pension: not marked
    return code, community


def test_a_locked_sqlite_database_is_counted_live(seeded: Engine) -> None:
    """A write left marks; while another connection holds SQLite's write lock, catch_up cannot recount them: the
    page counts live, and gives the figures of the write."""
    if seeded.dialect.name != "sqlite":
        pytest.skip("PostgreSQL: test_a_page_view_does_not_wait_for_an_uncommitted_write")
    _, community = _a_committed_mark(seeded)
    impatient = sa.create_engine(seeded.url, connect_args={"timeout": 0.1})
    other = seeded.connect()
    try:
        other.exec_driver_sql("BEGIN IMMEDIATE")
        scope = Scope(None, "2026Q3")
        assert not needs_board.catch_up(impatient, scope)
        shown = needs_board.page(impatient, scope=scope, today=TODAY)
        assert shown.board == needs_board.page(impatient, scope=scope, today=TODAY, live=True).board
    finally:
        other.rollback()
        other.close()
        impatient.dispose()
    assert marks(seeded) == {(community, "*")}
    same_figures(seeded)


def test_a_practitioner_who_moved_keeps_their_old_communitys_needs_current(seeded: Engine) -> None:
    """A need stays in the community it was recorded in when its practitioner moves. A later change to that
    practitioner's employment type or group tags changes the old community's need rows too, so it must mark them."""
    with seeded.connect() as conn:
        first = conn.execute(sa.text("SELECT min(id) FROM community")).scalar_one()
        other = conn.execute(sa.text("SELECT min(id) FROM community WHERE id > :c"), {"c": first}).scalar_one()
        pid = conn.execute(sa.text(
            "SELECT n.practitioner_id FROM need_assessment n JOIN practitioner p ON p.id = n.practitioner_id "
            "WHERE n.community_id = :c AND p.community_id = :c AND n.quarter = '2026Q3' "
            "AND NOT EXISTS (SELECT 1 FROM practitioner_group g WHERE g.practitioner_id = p.id AND g.\"group\" = "
            "'disabled') ORDER BY n.id LIMIT 1"), {"c": first}).scalar_one()
        kind = conn.execute(sa.text("SELECT employment_type FROM practitioner WHERE id = :p"), {"p": pid}).scalar_one()
    with seeded.begin() as conn:
        conn.execute(sa.text("UPDATE practitioner SET community_id = :o WHERE id = :p"), {"o": other, "p": pid})
    same_figures(seeded)
    with seeded.begin() as conn:
        conn.execute(sa.text("UPDATE practitioner SET employment_type = :k WHERE id = :p"),
                     {"k": "platform_employee" if kind != "platform_employee" else "independent_operator", "p": pid})
        conn.execute(sa.text("INSERT INTO practitioner_group (practitioner_id, \"group\") VALUES (:p, 'disabled')"),
                     {"p": pid})
    assert (first, "2026Q3") in marks(seeded) or (first, "*") in marks(seeded)
    same_figures(seeded)


def _other_session_holds(engine: Engine, sql: str, params: dict) -> tuple[sa.Connection, sa.Transaction]:
    conn = engine.connect()
    tx = conn.begin()
    conn.execute(sa.text(sql), params)
    return conn, tx


def _within(seconds: float, fn, *args):      # type: ignore[no-untyped-def]
    """fn(*args) in a thread; its result, or a failure if it has not returned after `seconds`."""
    import concurrent.futures

    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:
        return pool.submit(fn, *args).result(timeout=seconds)
    except concurrent.futures.TimeoutError:
        pytest.fail(f"{getattr(fn, '__name__', fn)} still waiting after {seconds} s")
    finally:
        pool.shutdown(wait=False)


def test_a_page_view_does_not_wait_for_an_uncommitted_write(seeded: Engine) -> None:
    """PostgreSQL: a committed write left a mark; an import in progress (not committed) has marked the same pair
    again, so it holds that mark's row. The page's catch-up must not wait for the import to commit (every other page
    view would queue behind it, and the two could deadlock): it recounts what it can, counts live, and the figures
    are those of the committed write."""
    if seeded.dialect.name != "postgresql":
        pytest.skip("SQLite: covered by test_a_locked_sqlite_database_is_counted_live")
    code, _ = _a_committed_mark(seeded)
    other, tx = _other_session_holds(
        seeded, "UPDATE practitioner SET has_injury_insurance = NOT has_injury_insurance WHERE code = :c", {"c": code})
    try:
        scope = Scope(None, "2026Q3")
        assert _within(10, needs_board.catch_up, seeded, scope) is False
        shown = _within(10, lambda: needs_board.page(seeded, scope=scope, today=TODAY))
        assert shown.board == needs_board.page(seeded, scope=scope, today=TODAY, live=True).board
    finally:
        tx.rollback()
        other.close()
    same_figures(seeded)


def test_a_page_view_does_not_queue_behind_a_long_recount(seeded: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: while another catch-up holds the summary's lock (a big recount), a page view waits a moment at
    most, then counts live."""
    if seeded.dialect.name != "postgresql":
        pytest.skip("SQLite: BEGIN IMMEDIATE waits for the busy timeout, covered above")
    from dashboard import catchup, locks

    monkeypatch.setattr(catchup, "LOCK_WAIT_MS", 200)
    _, community = _a_committed_mark(seeded)
    other, tx = _other_session_holds(seeded, "SELECT pg_advisory_xact_lock(:k)", {"k": locks.lock_key(ns.LOCK)})
    try:
        scope = Scope(None, "2026Q3")
        assert _within(5, needs_board.catch_up, seeded, scope) is False
        assert marks(seeded) == {(community, "*")}
    finally:
        tx.rollback()
        other.close()
    same_figures(seeded)


def test_the_marks_are_taken_in_one_order(seeded: Engine) -> None:
    """PostgreSQL: two imports that mark the same pairs must lock their rows in the same order, or each can end up
    waiting for the other (a deadlock, and PostgreSQL aborts one import). Every marking function orders its pairs."""
    if seeded.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    with seeded.connect() as conn:
        bodies = dict(conn.execute(sa.text(
            "SELECT proname, prosrc FROM pg_proc WHERE proname LIKE '%stats_mark_%' "
            "AND pronamespace = current_schema()::regnamespace")).all())
    assert len(bodies) >= 7, sorted(bodies)
    for name, body in bodies.items():
        inserts = [part for part in body.split("INSERT INTO")[1:]]
        assert inserts, name
        for part in inserts:
            assert "ORDER BY" in part.split("ON CONFLICT")[0], (name, part)
