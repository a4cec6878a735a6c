"""training_stats keeps up with every write: the triggers mark the pairs a write touches, the reader recounts them,
and the kept board equals the one counted live from the enrolments — on both backends."""

import csv
import datetime as dt
import io

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import training_stats as ts
from dashboard.excel import importer
from dashboard.i18n import set_language
from dashboard.queries import Scope
from dashboard.queries.training import TrainingBoard, training_board
from dashboard.queries.training_levels import LevelsBoard, levels_board, per_course, scope_totals, totals
from dashboard.services import followups
from dashboard.services.subsidy import course_subsidies
from seed import load_demo
from tests import factories as fx
from tests import training_ops_factories as tf
from tests.training_factories import learner

D = dt.date
AS_OF = D(2026, 2, 1)
F = fx.T["training_followup"]
E = fx.T["enrolment"]


def levels(engine: Engine, scope: Scope) -> LevelsBoard:
    """levels_board summed from training_stats, checked against the same counted live from the enrolments."""
    with Session(engine) as session:
        kept = levels_board(session, scope=scope, as_of=AS_OF)
        live = levels_board(session, scope=scope, as_of=AS_OF, live=True)
    for name in ("reaction", "learning", "behaviour", "income_reported", "income_verified"):
        pd.testing.assert_frame_equal(getattr(kept, name), getattr(live, name), obj=name)
    assert kept.learning_all == live.learning_all
    with Session(engine) as session:      # the outcomes section's income row sums the scope without its courses
        for is_live in (False, True):
            assert scope_totals(session, scope=scope, as_of=AS_OF, live=is_live) == totals(
                per_course(session, scope=scope, as_of=AS_OF, live=is_live))
    return kept


def boards(engine: Engine, scope: Scope) -> tuple[TrainingBoard, TrainingBoard]:
    """training_board from the table and live; levels_board's two are compared on the way (after the same write)."""
    with Session(engine) as session:
        kept = training_board(session, scope=scope, as_of=AS_OF)
    levels(engine, scope)
    with Session(engine) as session:
        return kept, training_board(session, scope=scope, as_of=AS_OF, live=True)


def marks(engine: Engine) -> set[tuple[int, str]]:
    with engine.connect() as conn:
        return {(c, q) for c, q, _ in ts.dirty(conn)}


def setup(engine: Engine) -> dict[str, int]:
    with engine.begin() as conn:
        c1 = fx.community(conn, "C1")
        k1 = fx.course(conn, c1, "K1")
        a = learner(conn, k1, c1, "a", groups=["disabled"], m3="trying", m6="waiting", satisfaction=4,
                    pre_score=40, post_score=70, income_before_cents=300_000)
        b = learner(conn, k1, c1, "b", m3="ecommerce", m6="ecommerce", satisfaction=5, pre_score=60,
                    post_score=80, income_before_cents=250_000, m3_income=260_000, m6_income=240_000)
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
    m3 = levels(engine, scope).behaviour.to_dict("records")[0]
    assert (m3["reached"], m3["ecommerce"], m3["opened_store"]) == (2, 2, 0)


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


HEAD = ["报名编号", "回访批次", "回访状态", "尝试次数", "最近尝试日期", "联系上日期", "就业情况", "开设网店",
        "每周直播场次", "回访时月收入（元）", "备注", "记录人"]


def test_levels_follow_an_import_and_its_undo(engine: Engine) -> None:
    """Answers imported for a follow-up count in levels 3 and 4 from the table as live; undo takes them back out."""
    set_language("zh")
    ids = setup(engine)
    scope = Scope(ids["c1"], "2025Q3")
    before = levels(engine, scope)
    assert before.behaviour["reached"].tolist() == [1, 1]
    assert before.reaction.values.tolist() == [["K1", "直播带货", 4, 1], ["K1", "直播带货", 5, 1]]
    assert before.learning_all.n == 2 and before.learning_all.mean_pre == 50
    buf = io.StringIO()
    csv.writer(buf).writerows([HEAD, ["E-a", "m3", "已联系上", "2", "2025-10-05", "2025-10-06", "电商自主经营", "是",
                                      "4", "3500", "", "社工甲"]])
    result = importer.import_file(engine, "followups", buf.getvalue().encode("utf-8"), "f.csv", actor="社工甲",
                                  today=D(2026, 3, 1))
    assert result.status == "committed", result.errors
    after = levels(engine, scope)
    m3 = after.behaviour.to_dict("records")[0]
    assert (m3["reached"], m3["ecommerce"], m3["opened_store"], m3["streams_answered"], m3["livestreams_3plus"]) == (
        2, 2, 1, 1, 1)
    income = after.income_reported.to_dict("records")[0]
    assert (income["n"], income["mean_change_cents"], income["up"], income["median_change_cents"]) == (
        2, 30_000, 2, 30_000)
    importer.undo_last(engine, "followups", actor="社工甲")
    again = levels(engine, scope)
    for name in ("reaction", "learning", "behaviour", "income_reported"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(before, name), obj=name)


def test_levels_after_refresh_all_for_every_scope(engine: Engine) -> None:
    ids = setup(engine)
    with engine.begin() as conn:
        ts.refresh_all(conn)
    for scope in (Scope(None, None), Scope(None, "2025Q3"), Scope(ids["c1"], None), Scope(ids["c1"], "2024Q1")):
        levels(engine, scope)


def same_as_live(engine: Engine, scopes: list[Scope], as_of: dt.date) -> int:
    """Every figure the page sums from the summary tables equals the same counted from the enrolments; the learners
    counted employed for a subsidy, over the scopes."""
    employed = 0
    for scope in scopes:
        kept, live = boards(engine, scope)
        assert (kept.current, kept.previous) == (live.current, live.previous)
        for name, frame in kept.by.items():
            pd.testing.assert_frame_equal(frame, live.by[name], check_dtype=False, obj=name)
        pd.testing.assert_frame_equal(kept.groups, live.groups)
        pd.testing.assert_frame_equal(kept.courses, live.courses)
        with Session(engine) as session:
            subsidies = course_subsidies(session, scope=scope, as_of=as_of)
            pd.testing.assert_frame_equal(subsidies, course_subsidies(session, scope=scope, as_of=as_of, live=True))
        employed += int(subsidies["employed_in_window"].sum())
        with Session(engine) as session:      # the work list's count: from training_stats_due for all communities
            for days in (0, 7, 400):
                assert followups.worklist_count(session, community_id=scope.community_id, as_of=as_of,
                                                days_ahead=days) == followups.worklist_count(
                    session, community_id=scope.community_id, as_of=as_of, days_ahead=days, live=True)
    assert marks(engine) == set()
    return employed


def test_the_demo_seed_summed_equals_counted_after_writes_an_import_and_an_undo(engine: Engine) -> None:
    """On the demo seed: as loaded (one refresh at its end), after follow-ups are worked, an enrolment moves quarter
    and a group tag goes, after a follow-up import and after its undo."""
    set_language("zh")
    load_demo(engine, "demo")
    with engine.begin() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(fx.T["subsidy_rule"])).scalar_one() == 0:
            tf.rule(conn)
    with engine.connect() as conn:
        quarter, community = conn.execute(sa.select(E.c.quarter, E.c.community_id).where(E.c.certified.is_(True))
                                          .order_by(E.c.quarter.desc()).limit(1)).one()
        earlier = conn.execute(sa.select(sa.func.min(E.c.quarter))).scalar_one()
        pending = conn.execute(
            sa.select(F.c.id, F.c.enrolment_id, F.c.due_on, E.c.code, E.c.quarter)
            .select_from(F.join(E, E.c.id == F.c.enrolment_id))
            .where(F.c.status == "pending", F.c.wave == "m3", E.c.certified.is_(True))
            .order_by(F.c.due_on, F.c.id).limit(3)).all()
    assert len(pending) == 3
    quarters = sorted({quarter, earlier, *(p.quarter for p in pending)})
    scopes = [Scope(None, q) for q in quarters] + [Scope(community, quarter), Scope(community, None)]
    as_of = D(2026, 12, 1)
    assert same_as_live(engine, scopes, as_of) > 0

    first, second, third = pending
    with engine.begin() as conn:          # worked follow-ups: one employed, one not; an enrolment moves; a tag goes
        conn.execute(F.update().where(F.c.id == first.id).values(
            status="reached", reached_on=first.due_on,
            employment="ecommerce_employed", version=F.c.version + 1))
        conn.execute(F.update().where(F.c.id == second.id).values(
            status="reached", reached_on=second.due_on,
            employment="not_employed", version=F.c.version + 1))
        moved = conn.execute(sa.select(E.c.id, E.c.enrolled_on).where(E.c.quarter == quarter).limit(1)).one()
        conn.execute(E.update().where(E.c.id == moved.id).values(quarter=earlier))
        pg = fx.T["practitioner_group"]
        tag = conn.execute(sa.select(pg.c.practitioner_id, pg.c.group).limit(1)).one()
        conn.execute(pg.delete().where(pg.c.practitioner_id == tag.practitioner_id, pg.c.group == tag.group))
    assert marks(engine)
    same_as_live(engine, scopes, as_of)

    buf = io.StringIO()
    on = third.due_on.isoformat()
    csv.writer(buf).writerows([HEAD, [third.code, "m3", "已联系上", "1", on, on, "电商自主经营", "是", "4", "3500", "",
                                      "社工甲"]])
    result = importer.import_file(engine, "followups", buf.getvalue().encode("utf-8"), "f.csv", actor="社工甲",
                                  today=as_of)
    assert result.status == "committed", result.errors
    assert marks(engine)
    same_as_live(engine, scopes, as_of)
    importer.undo_last(engine, "followups", actor="社工甲")
    assert marks(engine)
    same_as_live(engine, scopes, as_of)
