"""The demo data: deterministic, loaded in bulk, and reproducing the papers' figures on both databases."""

import hashlib
import itertools
from collections import Counter

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

import data_models
from dashboard.queries import Scope, needs
from seed import generate, load_demo
from seed.load import DatabaseNotEmpty
from seed.people import MIGRANT_INCOME_YUAN, MIGRANT_SERVICES, MIGRANT_TARGETS, PROFILE_TARGETS

TOLERANCE = 0.02          # the "within 2 percentage points"
LATEST = Scope(quarter="2026Q3")


def digest(data: dict) -> str:
    h = hashlib.sha256()
    for table, cols in data.items():
        for name, values in cols.items():
            h.update(f"{table}.{name}".encode())
            h.update(repr(np.asarray(values).tolist()).encode())
    return h.hexdigest()


def test_generation_is_deterministic() -> None:
    assert digest(generate("demo")) == digest(generate("demo"))


def table_digest(engine: Engine) -> dict[str, str]:
    out = {}
    with engine.connect() as conn:
        for table in data_models.metadata.sorted_tables:
            if table.name in {"audit_log", "alembic_version", "data_version"}:   # data_version: a counter of writes
                continue
            rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
    return out


def test_loaded_data_is_the_same_twice(engine: Engine) -> None:
    load_demo(engine, "demo")
    first = table_digest(engine)
    load_demo(engine, "demo", reset=True)
    assert table_digest(engine) == first


def test_seed_refuses_a_database_with_data_unless_reset(engine: Engine) -> None:
    load_demo(engine, "demo")
    with pytest.raises(DatabaseNotEmpty):
        load_demo(engine, "demo")


def test_new_rows_after_seed_get_fresh_ids(engine: Engine) -> None:
    """After bulk loading explicit ids, PostgreSQL's sequences must have moved on."""
    load_demo(engine, "demo")
    with Session(engine) as session:
        c = data_models.Community(code="NEW", name="新社区", kind="urban")
        session.add(c)
        session.commit()
        assert c.id == 4


def test_seed_is_recorded_in_the_audit_log(engine: Engine) -> None:
    load_demo(engine, "demo")
    with engine.connect() as conn:
        rows = conn.execute(sa.select(data_models.AuditLog.action, data_models.AuditLog.entity_id)
                            .order_by(data_models.AuditLog.id)).all()
    actions = Counter(action for action, _ in rows)
    # The demo's distribution runs go through the real service, which audits them: 18 runs, 15 approved; and each
    # locked minutes (5 of 6 meetings in each of 3 communities) has its minutes_lock entry.
    assert actions == {"create": 18, "approve": 15, "minutes_lock": 15, "seed": 1}
    assert tuple(rows[-1]) == ("seed", "demo")


@pytest.mark.parametrize(("figure", "target"), sorted(PROFILE_TARGETS.items()))
def test_demo_reproduces_the_practitioner_profile(demo_engine: Engine, figure: str, target: float) -> None:
    with Session(demo_engine) as session:
        profile = needs.profile(session, scope=LATEST)
    assert profile.practitioners == 2000
    assert profile.rates[figure] == pytest.approx(target, abs=TOLERANCE)


@pytest.mark.parametrize("quarter", ["2025Q2", "2025Q4", "2026Q3"])
def test_profile_holds_in_every_quarter(demo_engine: Engine, quarter: str) -> None:
    with Session(demo_engine) as session:
        rates = needs.profile(session, scope=Scope(quarter=quarter)).rates
    for figure, target in PROFILE_TARGETS.items():
        assert rates[figure] == pytest.approx(target, abs=TOLERANCE), figure


def test_demo_reproduces_migrant_women_in_domestic_services(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        mig = needs.migrant_women(session, scope=LATEST)
    assert mig.count >= 100
    assert mig.age_35_50 == pytest.approx(MIGRANT_TARGETS["age_35_50"], abs=TOLERANCE)
    assert mig.junior_high_or_below == pytest.approx(MIGRANT_TARGETS["junior_high_or_below"], abs=TOLERANCE)
    total = sum(MIGRANT_SERVICES.values())
    for service, share in MIGRANT_SERVICES.items():
        assert mig.services[service] / mig.count == pytest.approx(share / total, abs=TOLERANCE), service
    lo, hi = MIGRANT_INCOME_YUAN
    assert mig.income_min_cents is not None and mig.income_min_cents >= lo * 100
    assert mig.income_max_cents is not None and mig.income_max_cents <= hi * 100


def test_demo_has_community_a_on_70_20_10(demo_engine: Engine) -> None:
    c, s, coop = data_models.Community, data_models.CooperativeSplit, data_models.Cooperative
    with Session(demo_engine) as session:
        row = session.execute(
            sa.select(c.name, s.member_bp, s.cooperative_bp, s.public_fund_bp, s.help_fund_basis)
            .join(coop, coop.community_id == c.id).join(s, s.cooperative_id == coop.id).where(c.code == "GA")
        ).one()
    assert tuple(row) == ("G市A社区", 7000, 2000, 1000, "none")


def test_demo_has_an_urban_community_and_a_rural_village(demo_engine: Engine) -> None:
    with demo_engine.connect() as conn:
        kinds = Counter(k for (k,) in conn.execute(sa.select(data_models.Community.kind)))
    assert kinds["urban"] >= 1 and kinds["rural"] >= 1


def test_demo_livestreams_are_weekly_and_hear_parcels_and_noise(demo_engine: Engine) -> None:
    ls, r = data_models.LivestreamSession, data_models.Request
    with demo_engine.connect() as conn:
        rows = conn.execute(sa.select(ls.community_id, ls.held_on).order_by(ls.community_id, ls.held_on)).all()
        categories = {c for (c,) in conn.execute(sa.select(r.category).distinct())}
    by_comm: dict[int, list] = {}
    for cid, day in rows:
        by_comm.setdefault(cid, []).append(day)
    for days in by_comm.values():
        assert {(b - a).days for a, b in itertools.pairwise(days)} == {7}
    assert {"parcel_stacking", "livestream_noise"} <= categories


def test_demo_holds_a_four_party_meeting_every_quarter(demo_engine: Engine) -> None:
    m, a, p = data_models.Meeting, data_models.MeetingAttendance, data_models.Party
    with demo_engine.connect() as conn:
        per = conn.execute(sa.select(m.community_id, sa.func.count(sa.distinct(m.quarter)))
                           .where(m.kind == "joint_four_party").group_by(m.community_id)).all()
        kinds = conn.execute(sa.select(m.id, sa.func.count(sa.distinct(p.kind))).join(a, a.meeting_id == m.id)
                             .join(p, p.id == a.party_id)
                             .where(p.kind.in_(["government", "platform", "association", "social_work"]))
                             .group_by(m.id)).all()
    assert len(per) == 3 and all(n == 7 for _, n in per)      # six held, and 2026Q4's planned one
    assert kinds and all(n == 4 for _, n in kinds)


def test_demo_has_six_quarters_of_activity_in_every_area(demo_engine: Engine) -> None:
    expected = {"2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"}
    with demo_engine.connect() as conn:
        for model in (data_models.NeedAssessment, data_models.Enrolment, data_models.Sale,
                      data_models.LivestreamSession, data_models.Request, data_models.Meeting):
            quarters = {q for (q,) in conn.execute(sa.select(model.quarter).distinct())}  # type: ignore[attr-defined]
            planned = {"2026Q4"} if model is data_models.Meeting else set()   # the next meeting, not held yet
            assert quarters == expected | planned, model.__name__


def test_no_demo_value_is_stored_as_raw_bytes(demo_engine: Engine) -> None:
    """A numpy scalar handed to SQLite is stored as its 8 bytes (a BLOB), which reads back as garbage: every demo
    value must be a plain Python value. (PostgreSQL would refuse it outright.)"""
    if demo_engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL refuses such a value at insert")
    with demo_engine.connect() as conn:
        blobs = [(t.name, c.name) for t in data_models.metadata.sorted_tables for c in t.columns
                 if conn.execute(sa.text(f'SELECT COUNT(*) FROM "{t.name}" WHERE typeof("{c.name}") = \'blob\''))
                 .scalar_one()]
    assert blobs == []
