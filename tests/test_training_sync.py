"""Follow-ups and certificates follow the enrolments (dashboard/training_sync.py), and migration 0011 keeps what an
enrolment said about employment and income after the course as a reached 6-month follow-up."""

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard import training_sync
from dashboard.db import make_engine, upgrade
from dashboard.training_sync import add_months, certificate_number, check_char
from tests import factories as f
from tests.conftest import BACKENDS
from tests.legacy import load_demo_at

D = dt.date


@pytest.mark.parametrize(("day", "months", "expected"), [
    (D(2026, 1, 15), 3, D(2026, 4, 15)), (D(2026, 11, 30), 3, D(2027, 2, 28)), (D(2027, 11, 30), 3, D(2028, 2, 29)),
    (D(2026, 8, 31), 6, D(2027, 2, 28)), (D(2026, 3, 31), 6, D(2026, 9, 30)), (D(2026, 12, 31), 6, D(2027, 6, 30)),
])
def test_add_months_keeps_the_day_or_takes_the_months_last(day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected


def test_check_character_is_the_resident_id_rule() -> None:
    # Two published example ID numbers: the 18th character is the ISO 7064 MOD 11-2 check of the first 17.
    assert check_char("11010519491231002") == "X"
    assert check_char("44052418800101001") == "4"
    assert certificate_number(2026, 1234) == f"ZS-2026-00001234-{check_char('202600001234')}"


def _rows(engine: Engine, sql: str) -> list[tuple]:
    """Rows with dates as ISO text, as SQLite returns them to raw SQL."""
    with engine.connect() as conn:
        return [tuple(v.isoformat() if isinstance(v, dt.date) else v for v in r)
                for r in conn.execute(sa.text(sql)).all()]


def test_completed_gets_two_followups_and_certified_a_certificate(engine: Engine) -> None:
    with engine.begin() as conn:
        c = f.community(conn, "C1")
        p1, p2 = f.practitioner(conn, c, "P1"), f.practitioner(conn, c, "P2")
        k = f.course(conn, c, end_date=D(2026, 8, 31))
        e1 = f.enrolment(conn, k, p1, c, "E1", certified=True)
        f.enrolment(conn, k, p2, c, "E2", completed=False)
        done = training_sync.sync(conn)
    assert (done.followups_added, done.certificates_issued) == (2, 1)
    assert _rows(engine, "SELECT enrolment_id, wave, due_on, status, tries FROM training_followup ORDER BY wave") == [
        (e1, "m3", '2026-11-30', "pending", 0), (e1, "m6", '2027-02-28', "pending", 0)]
    assert _rows(engine, "SELECT number, issued_on, revoked_on FROM certificate") == [
        (certificate_number(2026, e1), '2026-08-31', None)]
    with engine.begin() as conn:       # run again: nothing to do
        assert training_sync.sync(conn) == training_sync.SyncResult()


def test_corrections_move_remove_revoke_and_restore_but_keep_worked_followups(engine: Engine) -> None:
    with engine.begin() as conn:
        c = f.community(conn, "C1")
        p1, p2 = f.practitioner(conn, c, "P1"), f.practitioner(conn, c, "P2")
        k = f.course(conn, c, end_date=D(2026, 8, 31))
        e1 = f.enrolment(conn, k, p1, c, "E1", certified=True)
        e2 = f.enrolment(conn, k, p2, c, "E2")
        training_sync.sync(conn)
        # Someone tried E2's 3-month follow-up once.
        conn.execute(sa.text("UPDATE training_followup SET tries = 1, last_tried_on = '2026-11-30' "
                             "WHERE enrolment_id = :e AND wave = 'm3'"), {"e": e2})
        # The course ended a day later than typed; E1 was not certified after all; E2 did not complete (its tried
        # follow-up stays as it was, the other goes).
        conn.execute(sa.text("UPDATE course SET end_date = '2026-09-01'"))
        conn.execute(sa.text("UPDATE enrolment SET certified = :f WHERE id = :e"), {"f": False, "e": e1})
        conn.execute(sa.text("UPDATE enrolment SET completed = :f WHERE id = :e"), {"f": False, "e": e2})
        done = training_sync.sync(conn, [e1, e2], today=D(2026, 12, 1))
    assert (done.followups_moved, done.followups_removed, done.certificates_revoked) == (2, 1, 1)
    assert _rows(engine, "SELECT enrolment_id, wave, due_on, tries FROM training_followup "
                         "ORDER BY enrolment_id, wave") == [
        (e1, "m3", '2026-12-01', 0), (e1, "m6", '2027-03-01', 0), (e2, "m3", '2026-11-30', 1)]
    assert _rows(engine, "SELECT revoked_on, revoked_by FROM certificate") == [('2026-12-01', "system")]
    with engine.begin() as conn:       # certified again: the same number, no longer revoked
        conn.execute(sa.text("UPDATE enrolment SET certified = :t WHERE id = :e"), {"t": True, "e": e1})
        assert training_sync.sync(conn, [e1]).certificates_restored == 1
    assert _rows(engine, "SELECT number, revoked_on FROM certificate") == [(certificate_number(2026, e1), None)]


def test_the_demo_seed_is_already_in_step(demo_engine: Engine) -> None:
    with demo_engine.begin() as conn:
        done = training_sync.sync(conn)
        conn.rollback()
    assert done == training_sync.SyncResult()


@pytest.fixture
def at_0010(fresh_database_url: str) -> Engine:
    engine = make_engine(fresh_database_url)
    load_demo_at(engine, "0010")
    yield engine
    engine.dispose()


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_0011_keeps_employment_and_income_after_as_a_six_month_followup(at_0010: Engine) -> None:
    engine = at_0010
    old = {e: (bool(emp), inc) for e, emp, inc in _rows(
        engine, "SELECT id, employed_after, income_after_cents FROM enrolment "
                "WHERE employed_after OR income_after_cents IS NOT NULL")}
    completed = _rows(engine, "SELECT COUNT(*) FROM enrolment WHERE completed")[0][0]
    certified = _rows(engine, "SELECT COUNT(*) FROM enrolment WHERE certified")[0][0]
    assert old and any(emp for emp, _ in old.values())

    upgrade(engine)

    carried = {e: (emp != "not_employed", inc) for e, emp, inc in _rows(
        engine, "SELECT enrolment_id, employment, income_cents FROM training_followup WHERE recorded_by = "
                "'migration 0011'")}
    assert carried == old
    assert _rows(engine, "SELECT COUNT(*) FROM training_followup")[0][0] == 2 * completed
    assert _rows(engine, "SELECT COUNT(*) FROM certificate")[0][0] == certified
    cols = {c["name"] for c in sa.inspect(engine).get_columns("enrolment")}
    assert not cols & {"employed_after", "income_after_cents"}


def test_a_certificate_a_person_revoked_stays_revoked_and_its_enrolment_uncertified(engine: Engine) -> None:
    """An undo (or any write) that puts 取得证书 back after a person revoked the certificate does not make the
    learner certified again: the funnel and the subsidy would count a certificate that looks up as revoked."""
    with engine.begin() as conn:
        c = f.community(conn, "C1")
        k = f.course(conn, c, end_date=D(2026, 8, 31))
        e1 = f.enrolment(conn, k, f.practitioner(conn, c, "P1"), c, "E1", certified=True)
        training_sync.sync(conn)
        conn.execute(sa.text("UPDATE certificate SET revoked_on = '2026-09-10', revoked_reason = '代考', "
                             "revoked_by = '协会甲'"))
        conn.execute(sa.text("UPDATE enrolment SET certified = :t WHERE id = :e"), {"t": True, "e": e1})
        done = training_sync.sync(conn, [e1], today=D(2026, 12, 1))
    assert (done.kept_revoked, done.certificates_restored) == (1, 0)
    assert _rows(engine, "SELECT certified FROM enrolment")[0][0] in (False, 0)
    assert _rows(engine, "SELECT revoked_on, revoked_by FROM certificate") == [('2026-09-10', "协会甲")]


def test_follow_ups_and_certificate_move_with_their_enrolment_to_another_community(engine: Engine) -> None:
    with engine.begin() as conn:
        c1, c2 = f.community(conn, "C1"), f.community(conn, "C2")
        k1 = f.course(conn, c1, "K1", end_date=D(2026, 8, 31))
        k2 = f.course(conn, c2, "K2", end_date=D(2026, 8, 31))
        e1 = f.enrolment(conn, k1, f.practitioner(conn, c1, "P1"), c1, "E1", certified=True)
        training_sync.sync(conn)
        conn.execute(sa.text("UPDATE enrolment SET course_id = :k, community_id = :c"), {"k": k2, "c": c2})
        training_sync.sync(conn, [e1])
    assert _rows(engine, "SELECT DISTINCT community_id FROM training_followup") == [(c2,)]
    assert _rows(engine, "SELECT community_id FROM certificate") == [(c2,)]


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_0011_keeps_what_an_enrolment_not_completed_said_too(fresh_database_url: str) -> None:
    engine = make_engine(fresh_database_url)
    upgrade(engine, "0010")
    with engine.begin() as conn:
        c = f.community(conn, "C1")
        k = f.course(conn, c)
        p = f.practitioner(conn, c, "P1")
        conn.execute(sa.text(
            "INSERT INTO enrolment (code, course_id, practitioner_id, community_id, enrolled_on, quarter, attended, "
            "completed, certified, employed_after, income_after_cents) VALUES ('E1', :k, :p, :c, '2025-07-01', "
            "'2025Q3', :t, :f, :f, :t, 520000)"), {"k": k, "p": p, "c": c, "t": True, "f": False})
    upgrade(engine)
    assert _rows(engine, "SELECT wave, status, employment, income_cents FROM training_followup") == [
        ("m6", "reached", "other_work", 520000)]
    engine.dispose()
