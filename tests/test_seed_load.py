"""The seed's fast load (area by area, indexes built once, summary triggers held back) writes what the plain load
wrote: the same rows in every table, the same audit entries and summaries, and a schema just as the migrations left it.
"""

import hashlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

import data_models
from dashboard import audit
from dashboard.bulk import bulk_insert, reset_sequences
from dashboard.db import init_database
from dashboard.training_sync import certificate_number
from seed import generate, load, load_demo, meeting_minutes, training_outcomes
from seed.common import Columns
from tests.conftest import BACKENDS, fresh_url

SKIP = {"alembic_version", "data_version"}    # the stamp: a row per writing backend (its pid)


def plain_load(engine: Engine, scale_name: str) -> dict[str, int]:
    """The seed as it was before the fast load: every table generated first, each inserted whole with its indexes
    and triggers in place, then the same steps after."""
    data = generate(scale_name)
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        tables = data_models.metadata.tables
        for name, cols in data.items():
            rows = zip(*[v.tolist() if isinstance(v, np.ndarray) else list(v) for v in cols.values()], strict=True)
            counts[name] = bulk_insert(conn, tables[name], list(cols), rows)
        reset_sequences(conn, [tables[name] for name in data])
        counts["distribution_run"] = load.distribute(conn, data["cooperative"]["code"])
        load.append_audit(conn, meeting_minutes.lock_entries(data))
        audit.record(conn, actor="system", action="seed", entity="*", entity_id=scale_name, after={"rows": counts})
        load.refresh_summaries(conn)
    return counts


def contents(engine: Engine) -> dict[str, tuple[int, str, list[Any]]]:
    """Per table: its row count, a checksum of all its rows in key order, and a few sums of its number columns
    (the audit log without the seed's own entry, which records how long the seed took, and without the times and
    hashes, as some entries are stamped with the clock)."""
    out = {}
    with engine.connect() as conn:
        for table in data_models.metadata.sorted_tables:
            if table.name in SKIP:
                continue
            query = sa.select(table).order_by(*table.primary_key.columns)
            if table.name == "audit_log":
                query = query.where(table.c.action != "seed").with_only_columns(
                    *[c for c in table.c if c.name not in {"at", "prev_hash", "hash"}])
            rows = conn.execute(query).all()
            sums = [conn.execute(sa.select(sa.func.sum(c))).scalar() for c in table.c
                    if isinstance(c.type, sa.Integer) and not c.primary_key]
            out[table.name] = (len(rows), hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest(), sums)
    return out


def schema(engine: Engine) -> set[tuple[str, ...]]:
    """Every index and trigger (and on PostgreSQL every constraint) with its definition."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            return {tuple(r) for r in conn.exec_driver_sql(
                "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')")}
        indexes = conn.exec_driver_sql(
            "SELECT 'index', indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = current_schema()")
        triggers = conn.exec_driver_sql(
            "SELECT 'trigger', t.tgname, c.relname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal "
            "AND c.relnamespace = current_schema()::regnamespace")
        constraints = conn.exec_driver_sql(
            "SELECT 'constraint', k.conname, c.relname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
            "JOIN pg_class c ON c.oid = k.conrelid WHERE c.relnamespace = current_schema()::regnamespace")
        return {tuple(r) for r in [*indexes, *triggers, *constraints]}


@pytest.fixture(params=BACKENDS)
def two_engines(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                _cleanups: list) -> Iterator[tuple[Engine, Engine]]:
    engines = [init_database(fresh_url(request.param, tmp_path_factory, _cleanups)) for _ in range(2)]
    yield engines[0], engines[1]
    for engine in engines:
        engine.dispose()


def test_the_fast_load_writes_what_the_plain_load_wrote(two_engines: tuple[Engine, Engine]) -> None:
    fast, plain = two_engines
    migrated = schema(fast)
    assert load_demo(fast, "demo") == plain_load(plain, "demo")
    got, want = contents(fast), contents(plain)
    assert {t: c[0] for t, c in got.items()} == {t: c[0] for t, c in want.items()}
    assert got == want
    assert got["sale"][0] == 20_000 and got["training_stats"][0] > 0 and got["request_stats"][0] > 0
    assert got["training_stats_dirty"][0] == 0
    assert schema(fast) == migrated


def test_a_load_that_fails_leaves_the_schema_as_it_was(two_engines: tuple[Engine, Engine],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The indexes and triggers are dropped inside the seed's transaction, so a failure brings them back."""
    engine, _ = two_engines
    before = schema(engine)
    real = load.tables

    def failing(scale_name: str) -> Iterator[tuple[str, Columns]]:
        for name, cols in real(scale_name):
            if name == "sale":
                raise RuntimeError("generator failed")
            yield name, cols

    monkeypatch.setattr(load, "tables", failing)
    with pytest.raises(RuntimeError, match="generator failed"):
        load_demo(engine, "demo")
    assert schema(engine) == before
    with engine.connect() as conn:
        community = data_models.metadata.tables["community"]
        assert conn.execute(sa.select(sa.func.count()).select_from(community)).scalar() == 0


def test_the_tables_come_in_an_order_the_foreign_keys_allow() -> None:
    seen: set[str] = set()
    for name, _ in load.tables("demo"):
        parents = {fk.column.table.name for fk in data_models.metadata.tables[name].foreign_keys} - {name}
        assert parents <= seen | load.KEPT, (name, parents - seen)
        seen.add(name)


def test_the_seeds_certificate_numbers_are_the_services() -> None:
    rng = np.random.default_rng(7)
    years = rng.integers(2020, 2031, size=2_000)
    ids = np.concatenate([np.arange(1, 1_001), rng.integers(1, 100_000_000, size=1_000)])
    assert training_outcomes.certificate_numbers(years, ids) == [
        certificate_number(int(y), int(i)) for y, i in zip(years, ids, strict=True)]


def test_a_row_that_breaks_a_foreign_key_fails_the_load(two_engines: tuple[Engine, Engine],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL loads without the foreign keys and adds them back: adding them checks every row."""
    engine, _ = two_engines
    before = schema(engine)
    real = load.tables

    def dangling(scale_name: str) -> Iterator[tuple[str, Columns]]:
        for name, cols in real(scale_name):
            if name == "need_event":
                cols["need_id"] = np.asarray(cols["need_id"]).copy()
                cols["need_id"][-1] = 10_000_000
            yield name, cols

    monkeypatch.setattr(load, "tables", dangling)
    with pytest.raises(sa.exc.IntegrityError):
        load_demo(engine, "demo")
    assert schema(engine) == before


def test_the_loaded_tables_have_the_planners_statistics(two_engines: tuple[Engine, Engine]) -> None:
    """A freshly loaded database has no statistics, and the planners then guess: SQLite walked need_assessment by an
    index in community order and fetched each row (0.7 s at province scale where a scan and a sort took 0.3 s). The
    load analyses what it loaded before anything reads it (a sampled ANALYZE on SQLite: 0.1 s at province scale)."""
    engine, _ = two_engines
    load_demo(engine, "demo")
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            analysed = {t for (t,) in conn.exec_driver_sql("SELECT DISTINCT tbl FROM sqlite_stat1")}
        else:
            analysed = {t for (t,) in conn.exec_driver_sql(      # rows only ANALYZE writes
                "SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = current_schema()")}
    assert {"need_assessment", "practitioner", "sale", "enrolment", "request"} <= analysed


@pytest.mark.parametrize("backend", [b for b in BACKENDS if "postgresql" in str(b)])
def test_on_postgresql_the_seed_leaves_its_tables_vacuumed(backend: str, tmp_path_factory: pytest.TempPathFactory,
                                                           _cleanups: list) -> None:
    """Until a table is vacuumed, a read of an index holding every column it needs (the live page's topics, the
    request page's counts) still visits each row's table page: the seed vacuums what it loaded, the summary tables
    too (they were rewritten after the load's ANALYZE), as autovacuum would later. Read from the manual VACUUM's
    counter (autovacuum has its own): whether VACUUM could mark every page visible depends on the other
    transactions open on the server at the time, so that is not asserted."""
    engine = init_database(fresh_url(backend, tmp_path_factory, _cleanups))
    load_demo(engine, "demo")
    engine.dispose()          # a new connection reads the counters as they are now
    with engine.connect() as conn:
        counts = dict(conn.exec_driver_sql(
            "SELECT relname, vacuum_count FROM pg_stat_user_tables WHERE schemaname = current_schema() "
            "AND relname IN ('request', 'request_stats', 'need_assessment', 'need_stats', 'sale')").all())
    engine.dispose()
    assert counts == {name: 1 for name in ("request", "request_stats", "need_assessment", "need_stats", "sale")}


def test_the_summaries_are_refreshed_with_their_indexes_held_back(two_engines: tuple[Engine, Engine],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The seed's summary refresh writes only tables of load.SUMMARIES, and those have no secondary index while it
    runs (built once afterwards: need_stats' 620,000 rows at province scale went in a quarter quicker)."""
    engine, _ = two_engines
    written: set[str] = set()
    indexed: set[str] = set()
    real = load.refresh_summaries

    def watch(conn: sa.Connection, cursor: Any, statement: str, *_: Any) -> None:
        words = statement.split()
        if words[:2] in (["INSERT", "INTO"], ["DELETE", "FROM"]) or words[:1] == ["UPDATE"]:
            written.add((words[1] if words[0] == "UPDATE" else words[2]).strip('"'))

    def refresh(conn: sa.Connection) -> None:
        if conn.dialect.name == "sqlite":
            indexed.update(t for (t,) in conn.exec_driver_sql(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))
        else:
            indexed.update(t for (t,) in conn.exec_driver_sql(
                "SELECT tablename FROM pg_indexes WHERE schemaname = current_schema() "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)"))
        sa.event.listen(conn, "before_cursor_execute", watch)
        try:
            real(conn)
        finally:
            sa.event.remove(conn, "before_cursor_execute", watch)

    monkeypatch.setattr(load, "refresh_summaries", refresh)
    load_demo(engine, "demo")
    assert written and written <= set(load.SUMMARIES)
    assert "need_stats" in written and not indexed & set(load.SUMMARIES)
