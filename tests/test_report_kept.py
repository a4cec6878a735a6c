"""季度汇报's needs area and sales from need_stats and sale_stats: the report reads the kept tables once they have
caught up (a figure changed in them shows), counts live when the snapshot finds the scope marked since or the tables
could not catch up, and the kept figures equal the live ones (here on the seed; after writes, an import and its undo
in tests/test_need_stats.py's same_figures). On SQLite and PostgreSQL."""

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import need_stats as ns
from dashboard.queries import report_kept
from dashboard.report.figures import report_data
from dashboard.report.types import ReportData
from tests.conftest import BACKENDS, own_demo_database

TODAY = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC)
QUARTER = "2026Q3"


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database of its own holding the demo seed: these tests change need_stats by hand."""
    yield from own_demo_database(request.param, tmp_path_factory)


def report(engine: Engine, community_id: int | None, live: bool | None = None) -> ReportData:
    with Session(engine) as s:
        return report_data(s, community_id=community_id, quarter=QUARTER, today=TODAY, now=NOW, live=live)


def figure(data: ReportData, area: str, key: str) -> int:
    value = next(f.value for f in data.area(area).figures if f.key == key)
    assert value is not None
    return int(value)


def identified(data: ReportData) -> int:
    return figure(data, "needs", "needs_identified")


def revenue(data: ReportData) -> tuple[int, int]:
    """The revenue figure and the sum of its chart: both from the same rows."""
    return figure(data, "cooperative", "revenue"), sum(int(p.value or 0) for p in data.area("cooperative").chart.points)


@pytest.fixture
def tampered(seeded: Engine) -> Iterator[Engine]:
    """need_stats says 1,000 more needs were identified in QUARTER (every community's and community 1's rows), and
    sale_stats 1 yuan more of community 1's revenue, without a mark: only a read of the kept tables shows them.
    Recounted afterwards."""
    with seeded.begin() as conn:
        conn.execute(sa.text("UPDATE need_stats SET n = n + 1000 WHERE quarter = :q AND grp = '' AND kind = 'sev' "
                             "AND community_id IN (0, 1) AND k1 = 'high'"), {"q": QUARTER})
        channel = conn.execute(sa.text("SELECT min(channel) FROM sale_stats WHERE quarter = :q AND community_id = 1"),
                               {"q": QUARTER}).scalar_one()
        conn.execute(sa.text("UPDATE sale_stats SET revenue_cents = revenue_cents + 100 WHERE quarter = :q "
                             "AND community_id = 1 AND channel = :ch"), {"q": QUARTER, "ch": channel})
    yield seeded
    with seeded.begin() as conn:
        ns.refresh_all(conn)


@pytest.mark.parametrize("community_id", [None, 1])
def test_kept_equals_live_on_the_seed(seeded: Engine, community_id: int | None) -> None:
    live = report(seeded, community_id, live=True)
    assert report(seeded, community_id, live=False) == live
    assert report(seeded, community_id) == live
    assert identified(live) and revenue(live)[0]


@pytest.mark.parametrize("community_id", [None, 1])
def test_the_report_reads_the_kept_tables(tampered: Engine, community_id: int | None) -> None:
    live = report(tampered, community_id, live=True)
    for kept in (report(tampered, community_id), report(tampered, community_id, live=False)):
        assert identified(kept) == identified(live) + 1000
        assert revenue(kept) == (revenue(live)[0] + 100, revenue(live)[1] + 100)


def test_a_scope_marked_after_the_catch_up_is_counted_live(tampered: Engine,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A write committed between the catch-up and the snapshot: its mark is in the snapshot, the kept rows are not
    current, and the needs are counted from the base table (another community's mark leaves community 1 kept)."""
    live = identified(report(tampered, None, live=True))
    monkeypatch.setattr(report_kept, "catch_up", lambda session, quarters: True)
    with tampered.begin() as conn:
        conn.execute(sa.text("INSERT INTO need_stats_dirty (community_id, quarter, gen) VALUES (2, :q, 1)"),
                     {"q": QUARTER})
    assert identified(report(tampered, None)) == live
    one = identified(report(tampered, 1, live=True))
    assert identified(report(tampered, 1)) == one + 1000
    with tampered.begin() as conn:
        conn.execute(sa.text("DELETE FROM need_stats_dirty"))


def test_a_lock_that_cannot_be_had_is_counted_live(tampered: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    live = identified(report(tampered, None, live=True))
    monkeypatch.setattr(ns, "catch_up", lambda engine, quarters, reader=None: False)
    assert identified(report(tampered, None)) == live


def test_a_quarter_practitioner_stats_does_not_hold_is_counted_first(seeded: Engine) -> None:
    with seeded.begin() as conn:
        conn.execute(sa.text("DELETE FROM practitioner_stats WHERE quarter = '2025Q3'"))
        conn.execute(sa.text("DELETE FROM practitioner_stats_quarter WHERE quarter = '2025Q3'"))
    assert report(seeded, None) == report(seeded, None, live=True)
    with seeded.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM practitioner_stats_quarter WHERE quarter = '2025Q3'")
                            ).scalar_one() == 1
