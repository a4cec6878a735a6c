"""training_stats keeps up with every write: the triggers mark the pairs a write touches, the reader recounts them,
and the kept board equals the one counted live from the enrolments — on both backends."""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import training_stats as ts
from dashboard.queries import Scope
from dashboard.queries.training import TrainingBoard, training_board
from tests import factories as fx
from tests.training_factories import learner

D = dt.date
AS_OF = D(2026, 2, 1)
F = fx.T["training_followup"]
E = fx.T["enrolment"]


def boards(engine: Engine, scope: Scope) -> tuple[TrainingBoard, TrainingBoard]:
    with Session(engine) as session:
        return (training_board(session, scope=scope, as_of=AS_OF),
                training_board(session, scope=scope, as_of=AS_OF, live=True))


def marks(engine: Engine) -> set[tuple[int, str]]:
    with engine.connect() as conn:
        return {(c, q) for c, q, _ in ts.dirty(conn)}


def setup(engine: Engine) -> dict[str, int]:
    with engine.begin() as conn:
        c1 = fx.community(conn, "C1")
        k1 = fx.course(conn, c1, "K1")
        a = learner(conn, k1, c1, "a", groups=["disabled"], m3="trying", m6="waiting")
        b = learner(conn, k1, c1, "b", m3="ecommerce", m6="ecommerce")
    return {"c1": c1, "k1": k1, "a": a, "b": b}


def test_a_write_marks_its_pair_and_the_reader_recounts_it(engine: Engine) -> None:
    ids = setup(engine)
    assert marks(engine) == {(ids["c1"], "2025Q3")}
    scope = Scope(ids["c1"], "2025Q3")
    kept, live = boards(engine, scope)
    assert kept.current == live.current and kept.current.m3_reached == 1
    assert marks(engine) == set()                         # caught up

    # a follow-up recorded as a service would: reached, employed
    with engine.begin() as conn:
        conn.execute(F.update().where(F.c.enrolment_id == ids["a"], F.c.wave == "m3").values(
            status="reached", reached_on=D(2025, 10, 8), employment="ecommerce_self", version=F.c.version + 1))
    assert marks(engine) == {(ids["c1"], "2025Q3")}
    kept, live = boards(engine, scope)
    assert (kept.current.m3_reached, kept.current.m3_employed) == (2, 2)
    assert kept.current == live.current


def test_moving_an_enrolment_recounts_both_quarters(engine: Engine) -> None:
    ids = setup(engine)
    boards(engine, Scope(ids["c1"], "2025Q3"))
    with engine.begin() as conn:
        conn.execute(E.update().where(E.c.id == ids["b"]).values(enrolled_on=D(2025, 6, 20), quarter="2025Q2"))
    assert marks(engine) == {(ids["c1"], "2025Q3"), (ids["c1"], "2025Q2")}
    kept, live = boards(engine, Scope(ids["c1"], "2025Q3"))
    assert (kept.current.enrolled, kept.previous.enrolled) == (1, 1)
    assert (kept.current, kept.previous) == (live.current, live.previous)


def test_group_tags_and_deletes_are_followed(engine: Engine) -> None:
    ids = setup(engine)
    scope = Scope(ids["c1"], "2025Q3")
    boards(engine, scope)
    pg = fx.T["practitioner_group"]
    with engine.begin() as conn:
        pid = conn.execute(sa.select(E.c.practitioner_id).where(E.c.id == ids["b"])).scalar_one()
        conn.execute(pg.insert().values(practitioner_id=pid, group="elderly"))
    kept, live = boards(engine, scope)
    elderly = kept.groups[kept.groups["key"] == "elderly"].iloc[0]
    assert int(elderly["enrolled"]) == 1
    assert kept.groups.equals(live.groups)
    with engine.begin() as conn:
        conn.execute(F.delete().where(F.c.enrolment_id == ids["a"]))
        conn.execute(sa.delete(fx.T["certificate"]).where(fx.T["certificate"].c.enrolment_id == ids["a"]))
        conn.execute(E.delete().where(E.c.id == ids["a"]))
    kept, live = boards(engine, scope)
    assert kept.current.enrolled == 1 and kept.current == live.current
    assert int(kept.groups[kept.groups["key"] == "disabled"].iloc[0]["enrolled"]) == 0


def test_a_write_after_the_recount_began_stays_marked(engine: Engine) -> None:
    """The marks are cleared by their gen as read: a pair written again meanwhile (a higher gen) stays."""
    ids = setup(engine)
    with engine.connect() as conn:
        (_, _, gen), = ts.dirty(conn)
    with engine.begin() as conn:                      # another write to the same pair
        conn.execute(E.update().where(E.c.id == ids["b"]).values(certified=True))
    with engine.begin() as conn:                      # what catch_up does with the marks it read before
        conn.execute(ts.DIRTY.delete().where(ts.DIRTY.c.gen == gen))
    assert marks(engine) == {(ids["c1"], "2025Q3")}


def test_refresh_all_matches_live(engine: Engine) -> None:
    ids = setup(engine)
    with engine.begin() as conn:
        ts.refresh_all(conn)
    assert marks(engine) == set()
    kept, live = boards(engine, Scope(None, None))
    assert kept.current == live.current
    assert kept.courses.equals(live.courses)
    assert ids
