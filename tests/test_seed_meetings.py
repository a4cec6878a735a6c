"""The demo's joint meetings: named representatives and a deputy, a meeting not quorate, decisions under their items,
overdue actions rolling over, minutes locked with four signatures (hash chained and in the audit log) but each
community's latest, circulated with its window open, and a planned meeting without an agenda."""

import datetime as dt
import json

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import audit
from dashboard.queries import meetings as q
from dashboard.services import meetings as svc
from dashboard.services import minutes
from dashboard.services.meeting_types import MinutesContent, text_sha256

TODAY = dt.date(2026, 12, 1)


def test_demo_minutes_are_locked_chained_signed_and_audited(demo_engine: Engine) -> None:
    with demo_engine.connect() as conn:
        listed = q.meetings(conn, community_id=None)
        assert minutes.verify_minutes(conn) == [] and audit.verify(conn).ok
        locks = {r.entity_id: json.loads(r.after) for r in conn.execute(
            sa.select(audit.TABLE).where(audit.TABLE.c.action == "minutes_lock"))}
        for community_id, group in listed.groupby("community_id"):
            held = group.sort_values("held_on")
            assert list(held["minutes_status"]) == ["locked"] * 5 + ["circulated", "draft"], community_id
            previous = None
            for row in held.itertuples():
                m = conn.execute(sa.select(svc.M).where(svc.M.c.id == row.id)).one()
                signed = q.signatures(conn, row.id)
                if row.minutes_status == "draft":
                    assert m.minutes_text is None and row.items == 0 and m.held_on == dt.date(2026, 12, 10)
                    continue
                content = MinutesContent.from_json(m.minutes_text)
                assert content.previous_sha256 == previous and content.meeting_code == row.code
                if row.minutes_status == "locked":
                    assert m.minutes_sha256 == text_sha256(m.minutes_text) == locks[row.code]["sha256"]
                    assert len(signed) == 4 and set(signed["sha256"]) == {m.minutes_sha256}
                    assert len(locks[row.code]["signatures"]) == 4
                    previous = m.minutes_sha256
                else:
                    assert m.amend_until >= TODAY and svc.editable(m, TODAY) and len(signed) < 4
                    assert set(signed["sha256"]) <= {text_sha256(m.minutes_text)}


def test_demo_minutes_are_what_assemble_makes_of_the_same_rows(demo_engine: Engine) -> None:
    """The seed builds the minutes as the service does: attendance, items, decisions, quorum, previous hash and the
    actions are the same (statuses there are as they were when circulated, so only codes are compared)."""
    with demo_engine.connect() as conn:
        listed = q.meetings(conn, community_id=None)
    with Session(demo_engine) as s:
        for row in listed[listed["minutes_status"] != "draft"].itertuples():
            stored = minutes.content_of(s, meeting_id=row.id, today=TODAY, now=dt.datetime.now(dt.UTC))
            live = minutes.assemble(s, meeting_id=row.id, today=TODAY, now=dt.datetime.now(dt.UTC))
            assert (stored.attendance, stored.items, stored.quorate, stored.previous_sha256, stored.distribution) == (
                live.attendance, live.items, live.quorate, live.previous_sha256, live.distribution), row.code
            assert [a.code for a in stored.actions] == [a.code for a in live.actions]
        s.rollback()


def test_demo_attendance_decisions_and_rolled_over_actions(demo_engine: Engine) -> None:
    with demo_engine.connect() as conn:
        att = conn.execute(sa.select(svc.ATT.c.meeting_id, svc.ATT.c.status, svc.ATT.c.deputy, svc.ATT.c.attendees,
                                     svc.P.c.kind).join(svc.P, svc.P.c.id == svc.ATT.c.party_id)).all()
        listed = q.meetings(conn, community_id=None)
        held = listed[listed["minutes_status"] != "draft"]
        decisions = conn.execute(sa.select(svc.DEC.c.agenda_item_id)).scalars().all()
        notes = conn.execute(sa.select(svc.AG.c.notes)).scalars().all()
        persons = conn.execute(sa.select(svc.X.c.owner_person)).scalars().all()
        planned = listed[listed["code"] == "GA-JM-2026Q4"]["id"].iloc[0]
        carried = q.carried_over(conn, meeting_id=int(planned), today=TODAY)
    assert any(a.status == "deputy" and a.deputy for a in att)
    assert all(a.attendees for a in att if a.status == "present")
    by_meeting: dict[int, list[tuple[str, str, str]]] = {}
    for a in att:
        by_meeting.setdefault(a.meeting_id, []).append((str(a.kind), str(a.status), a.deputy))
    quorate = {mid: svc.quorum(rows).quorate for mid, rows in by_meeting.items() if mid in set(held["id"])}
    assert any(quorate.values()) and not all(quorate.values())
    assert decisions and all(d is not None for d in decisions) and all(notes) and all(persons)
    assert (carried["days_overdue"] > 0).any()
    assert carried["meeting_code"].nunique() >= 2        # overdue items from more than one earlier meeting
