"""会议纪要: assembled from the rows, circulated, re-assembled (voiding signatures), signed by each party, locked by
the fourth signature with its hash in the audit chain, corrected by addenda, and checked by `audit verify`."""

import datetime as dt
import json
import os
import secrets
import subprocess
import sys
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import accounts, audit
from dashboard.accounts import Principal
from dashboard.queries import meetings as q
from dashboard.services import meetings as svc
from dashboard.services import minutes
from dashboard.services.errors import RuleError
from dashboard.services.meeting_types import AttendanceInput, MinutesContent, text_sha256
from data_models.enums import Role
from tests import factories as f
from tests.meeting_factories import HELD, TODAY, item, new_meeting, run, town, version

D = dt.date
NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
UNTIL = D(2026, 12, 8)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def prepared(town: dict[str, Any], *, platform: str = "present") -> int:
    """A meeting with attendance (platform as given), two items, a decision on the first and an action."""
    engine, p, sw = town["engine"], town["p"], town["who"]["sw"]
    mid = new_meeting(town)
    run(engine, svc.set_attendance, meeting_id=mid, version=1, actor=sw, today=TODAY,
        rows=[AttendanceInput(p["GOV"], "deputy", "", "李四"), AttendanceInput(p["PLT"], platform, "赵六"),
              AttendanceInput(p["ASN"], "present", "孙八"), AttendanceInput(p["SW"], "present", "周九")])
    run(engine, svc.save_agenda, meeting_id=mid, version=2, actor=sw, today=TODAY,
        items=[item("上次决议落实情况", 15, p["SW"], notes="逐项通报"), item("路灯", 20, p["GOV"])])
    with engine.connect() as conn:
        first = int(q.agenda(conn, mid)["id"].iloc[0])
    d = run(engine, svc.add_decision, meeting_id=mid, version=3, agenda_item_id=first, text="加装路灯", actor=sw,
            today=TODAY)
    run(engine, svc.add_action, meeting_id=mid, version=4, decision_id=d.id, title="联系供电所",
        owner_party_id=p["GOV"], owner_person="王主任", due_on=D(2027, 1, 10), actor=sw, today=TODAY)
    return mid


def circulated(town: dict[str, Any], until: dt.date = UNTIL) -> int:
    mid = prepared(town)
    run(town["engine"], minutes.circulate, meeting_id=mid, version=5, amend_until=until, actor=town["who"]["sw"],
        today=TODAY)
    return mid


def sign(town: dict[str, Any], mid: int, who: str, today: dt.date = TODAY) -> bool:
    return bool(run(town["engine"], minutes.sign, meeting_id=mid, version=version(town["engine"], mid),
                    actor=town["who"][who], today=today, now=NOW))


def meeting(engine: Engine, mid: int) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.select(svc.M).where(svc.M.c.id == mid)).one()


def log(engine: Engine, action: str) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(sa.select(audit.TABLE).where(audit.TABLE.c.action == action)
                            .order_by(audit.TABLE.c.id)).all()


def test_assembled_minutes_hold_attendance_items_decisions_actions_carried_and_the_previous_hash(
        town: dict[str, Any]) -> None:
    engine, p = town["engine"], town["p"]
    with engine.begin() as conn:
        old = f.meeting(conn, town["c1"], "C1-OLD", held_on=D(2026, 6, 1), quarter="2026Q2", minutes_status="locked",
                        amend_until=D(2026, 6, 8), minutes_sha256="ab" * 32, locked_at=NOW, minutes_text="{}")
        f.action(conn, old, p["PLT"], "X-OLD", created_on=D(2026, 6, 1), due_on=D(2026, 7, 1), status="in_progress")
        other = f.meeting(conn, town["c2"], "C2-OLD", held_on=D(2026, 9, 1), quarter="2026Q3",
                          minutes_status="locked", amend_until=D(2026, 9, 8), minutes_sha256="cd" * 32, locked_at=NOW,
                          minutes_text="{}")
        f.action(conn, other, p["C2GOV"], "X-C2", created_on=D(2026, 9, 1), due_on=D(2026, 10, 1))
    mid = prepared(town, platform="absent")
    with Session(engine) as s:
        content = minutes.assemble(s, meeting_id=mid, today=TODAY, now=NOW)
    assert [a.party_kind for a in content.attendance] == ["government", "platform", "association", "social_work",
                                                          "cooperative"]
    assert content.attendance[0].deputy == "李四" and content.attendance[1].status == "absent"
    assert not content.quorate
    assert [i.title for i in content.items] == ["上次决议落实情况", "路灯"] and content.items[0].notes == "逐项通报"
    assert [(d.text, d.provisional) for d in content.items[0].decisions] == [("加装路灯", True)]
    assert [(a.title, a.owner_person, a.owner_party) for a in content.actions] == [("联系供电所", "王主任", "C1-GOV")]
    assert [(a.code, a.meeting_code, a.days_overdue) for a in content.carried] == [
        ("X-OLD", "C1-OLD", (TODAY - D(2026, 7, 1)).days)]
    assert content.previous_sha256 == "ab" * 32 and content.held_on == "2026-12-10"
    assert content.distribution == tuple(a.party for a in content.attendance)
    assert MinutesContent.from_json(content.to_json()) == content
    run(engine, svc.set_attendance, meeting_id=mid, version=5, actor=town["who"]["sw"], today=TODAY,
        rows=[AttendanceInput(p["PLT"], "present", "赵六")])
    with Session(engine) as s:
        again = minutes.assemble(s, meeting_id=mid, today=TODAY, now=NOW)
    assert again.quorate and not again.items[0].decisions[0].provisional


def test_circulating_stores_the_text_and_content_of_reads_it_back(town: dict[str, Any]) -> None:
    engine, sw = town["engine"], town["who"]["sw"]
    mid = prepared(town)
    for kw, key in [({"amend_until": D(2026, 11, 30), "actor": sw}, "minutes.window_past"),
                    ({"amend_until": D(2026, 12, 8), "actor": town["who"]["gov"]}, "access.denied_action"),
                    ({"amend_until": D(2026, 12, 8), "actor": town["who"]["viewer"]}, "access.denied_action")]:
        with pytest.raises(RuleError) as err:
            run(engine, minutes.circulate, meeting_id=mid, version=5, today=TODAY, **kw)
        assert err.value.key == key
    run(engine, minutes.circulate, meeting_id=mid, version=5, amend_until=D(2026, 12, 8), actor=sw, today=TODAY)
    row = meeting(engine, mid)
    assert row.minutes_status == "circulated" and row.amend_until == D(2026, 12, 8) and row.version == 6
    with Session(engine) as s:
        stored = minutes.content_of(s, meeting_id=mid, today=TODAY, now=NOW)
    assert stored.to_json() == row.minutes_text
    # Edited in the window: an amendment, so the text out for signature is assembled again with it.
    with engine.connect() as conn:
        item_id = int(q.agenda(conn, mid)["id"].iloc[1])
    run(engine, svc.save_notes, agenda_item_id=item_id, version=6, notes="补充发言", actor=sw, today=TODAY)
    with Session(engine) as s:
        assert minutes.content_of(s, meeting_id=mid, today=TODAY, now=NOW).items[1].notes == "补充发言"
    with pytest.raises(RuleError) as err:
        run(engine, minutes.circulate, meeting_id=mid, version=7, amend_until=D(2026, 12, 8), actor=sw, today=TODAY)
    assert err.value.key == "minutes.not_draft"
    assert [json.loads(e.after)["sha256"] for e in log(engine, "minutes_circulate")] == [text_sha256(row.minutes_text)]


def test_each_party_signs_once_for_itself_and_the_fourth_signature_locks(town: dict[str, Any]) -> None:
    engine = town["engine"]
    mid = prepared(town)
    with pytest.raises(RuleError) as err:
        sign(town, mid, "gov")
    assert err.value.key == "minutes.not_circulated"       # a draft is not signed
    run(engine, minutes.circulate, meeting_id=mid, version=5, amend_until=D(2026, 12, 8), actor=town["who"]["sw"],
        today=TODAY)
    text = meeting(engine, mid).minutes_text
    assert sign(town, mid, "gov") is False
    assert sign(town, mid, "plt", today=D(2026, 12, 20)) is False        # after the window too
    with pytest.raises(RuleError) as err:
        sign(town, mid, "plt")
    assert err.value.key == "minutes.already_signed" and "C1-PLT" in err.value.message()
    town["who"]["c2"] = Principal("c2", Role.government, party_id=town["p"]["C2GOV"])
    town["who"]["coop"] = Principal("coop", Role.cooperative_manager, party_id=town["p"]["COOP"])
    town["who"]["nobody"] = Principal("nobody", Role.government)
    for who, key in [("c2", "minutes.not_a_signing_party"), ("nobody", "minutes.not_a_signing_party"),
                     ("coop", "access.denied_action"), ("viewer", "access.denied_action"),
                     ("admin", "minutes.not_a_signing_party")]:
        with pytest.raises(RuleError) as err:
            sign(town, mid, who)
        assert err.value.key == key, who
    assert sign(town, mid, "asn") is False
    assert meeting(engine, mid).minutes_status == "circulated"
    assert sign(town, mid, "sw") is True
    row = meeting(engine, mid)
    assert row.minutes_status == "locked" and row.minutes_text == text and row.minutes_sha256 == text_sha256(text)
    with engine.connect() as conn:
        signed = q.signatures(conn, mid)
        assert minutes.verify_minutes(conn) == [] and audit.verify(conn).ok
    assert set(signed["sha256"]) == {text_sha256(text)} and len(signed) == 4
    locks = log(engine, "minutes_lock")
    assert len(locks) == 1 and locks[0].entity_id == "C1-JM-2026Q4"
    assert json.loads(locks[0].after)["sha256"] == text_sha256(text)
    assert len(json.loads(locks[0].after)["signatures"]) == 4
    # Locked: the meeting no longer changes, its actions still move.
    with pytest.raises(RuleError) as err:
        run(engine, svc.save_agenda, meeting_id=mid, version=row.version, items=[], actor=town["who"]["sw"],
            today=TODAY)
    assert err.value.key == "meeting.not_editable" and "已会签锁定" in err.value.message()
    with pytest.raises(RuleError) as err:
        sign(town, mid, "gov")
    assert err.value.key == "minutes.not_circulated"
    with engine.connect() as conn:
        action = q.actions(conn, mid, TODAY).iloc[0]
    run(engine, svc.move_action, action_id=int(action["id"]), version=int(action["version"]), to_status="done",
        note="已装好", actor=town["who"]["gov"], today=D(2026, 12, 20), done_on=D(2026, 12, 15))


def test_reassembling_in_the_window_voids_the_signatures_and_is_refused_after_it(town: dict[str, Any]) -> None:
    engine, sw = town["engine"], town["who"]["sw"]
    mid = circulated(town)
    sign(town, mid, "gov")
    sign(town, mid, "plt")
    before = meeting(engine, mid).minutes_text
    voided = run(engine, minutes.reassemble, meeting_id=mid, version=6, actor=sw, today=TODAY, now=NOW)
    row = meeting(engine, mid)
    assert voided == 2 and row.version == 7
    assert MinutesContent.from_json(row.minutes_text).items == MinutesContent.from_json(before).items
    with engine.connect() as conn:
        assert q.signatures(conn, mid).empty
    entry = log(engine, "minutes_reassemble")[0]
    assert json.loads(entry.after) == {"sha256": text_sha256(row.minutes_text), "voided": 2, "version": 7}
    assert "C1-GOV" in json.loads(entry.before)["signatures"]
    # An edit in the window re-assembles by itself (see the amendment test): the notes are in the text.
    with engine.connect() as conn:
        item_id = int(q.agenda(conn, mid)["id"].iloc[1])
    run(engine, svc.save_notes, agenda_item_id=item_id, version=7, notes="补充发言", actor=sw, today=TODAY)
    assert MinutesContent.from_json(meeting(engine, mid).minutes_text).items[1].notes == "补充发言"
    with pytest.raises(RuleError) as err:
        run(engine, minutes.reassemble, meeting_id=mid, version=8, actor=sw, today=D(2026, 12, 9), now=NOW)
    assert err.value.key == "meeting.not_editable"
    with pytest.raises(RuleError) as err:       # the signer's page showed the version before the edit
        run(engine, minutes.sign, meeting_id=mid, version=7, actor=town["who"]["gov"], today=TODAY, now=NOW)
    assert err.value.key == "meeting.changed_meanwhile"


def lock(town: dict[str, Any]) -> int:
    mid = circulated(town)
    for who in ("gov", "plt", "asn", "sw"):
        sign(town, mid, who)
    return mid


def test_addenda_only_on_locked_minutes_numbered_and_hashed_into_the_log(town: dict[str, Any]) -> None:
    engine, sw = town["engine"], town["who"]["sw"]
    mid = circulated(town)
    with pytest.raises(RuleError) as err:
        run(engine, minutes.add_addendum, meeting_id=mid, text="更正", actor=sw, now=NOW)
    assert err.value.key == "minutes.addendum_not_locked"
    for who in ("gov", "plt", "asn", "sw"):
        sign(town, mid, who)
    with pytest.raises(RuleError) as err:
        run(engine, minutes.add_addendum, meeting_id=mid, text="  ", actor=sw, now=NOW)
    assert err.value.key == "minutes.addendum_empty"
    with pytest.raises(RuleError) as err:
        run(engine, minutes.add_addendum, meeting_id=mid, text="更正", actor=town["who"]["gov"], now=NOW)
    assert err.value.key == "access.denied_action"
    assert run(engine, minutes.add_addendum, meeting_id=mid, text="第二项发言人更正为王主任", actor=sw, now=NOW) == 1
    assert run(engine, minutes.add_addendum, meeting_id=mid, text="日期更正", actor=sw, now=NOW) == 2
    with engine.connect() as conn:
        added = q.addenda(conn, mid)
        assert minutes.verify_minutes(conn) == []
    assert list(added["no"]) == [1, 2] and added["sha256"].iloc[1] == text_sha256("日期更正")
    entries = log(engine, "minutes_addendum")
    assert [json.loads(e.after) for e in entries] == [{"no": 1, "sha256": text_sha256("第二项发言人更正为王主任")},
                                                      {"no": 2, "sha256": text_sha256("日期更正")}]
    assert meeting(engine, mid).minutes_status == "locked"


@pytest.mark.parametrize("tamper", ["text", "hash_and_text", "no_lock_entry"])
def test_verify_names_locked_minutes_changed_in_the_database(town: dict[str, Any], tamper: str) -> None:
    engine = town["engine"]
    mid = lock(town)
    code = meeting(engine, mid).code
    with engine.begin() as conn:
        forged = meeting(engine, mid).minutes_text.replace("加装路灯", "不装路灯")
        if tamper == "text":
            conn.execute(svc.M.update().where(svc.M.c.id == mid).values(minutes_text=forged))
        elif tamper == "hash_and_text":       # consistent in the row, but not what the audit chain says was signed
            conn.execute(svc.M.update().where(svc.M.c.id == mid)
                         .values(minutes_text=forged, minutes_sha256=text_sha256(forged)))
        else:
            text = "{}"
            f.meeting(conn, town["c2"], "C2-FAKE", held_on=D(2026, 6, 1), quarter="2026Q2",
                      minutes_status="locked", amend_until=D(2026, 6, 8), minutes_text=text,
                      minutes_sha256=text_sha256(text), locked_at=NOW)
            code = "C2-FAKE"
    with engine.connect() as conn:
        assert minutes.verify_minutes(conn) == [code]
        assert audit.verify(conn).ok            # the chain itself is intact: only the minutes check sees it


@pytest.mark.parametrize("tamper", ["unlocked_to_draft", "unlocked_to_circulated", "signature_deleted",
                                    "signature_renamed", "addendum_edited", "addendum_added"])
def test_verify_names_minutes_whose_lock_signatures_or_addenda_were_changed(town: dict[str, Any],
                                                                            tamper: str) -> None:
    """Past the text itself: a locked meeting set back to draft or circulated (editable again), a signature removed
    or put in another name, an addendum edited or slipped in without its audit entry."""
    engine, sw = town["engine"], town["who"]["sw"]
    mid = lock(town)
    run(engine, minutes.add_addendum, meeting_id=mid, text="日期更正", actor=sw, now=NOW)
    code = meeting(engine, mid).code
    with engine.connect() as conn:
        assert minutes.verify_minutes(conn) == []
    with engine.begin() as conn:
        if tamper == "unlocked_to_draft":
            conn.execute(svc.M.update().where(svc.M.c.id == mid).values(
                minutes_status="draft", minutes_sha256=None, locked_at=None))
        elif tamper == "unlocked_to_circulated":
            conn.execute(svc.M.update().where(svc.M.c.id == mid).values(
                minutes_status="circulated", minutes_sha256=None, locked_at=None))
        elif tamper == "signature_deleted":
            conn.execute(sa.text("DELETE FROM minutes_signature WHERE meeting_id = :m AND party_id = "
                                 "(SELECT MIN(party_id) FROM minutes_signature WHERE meeting_id = :m)"), {"m": mid})
        elif tamper == "signature_renamed":
            conn.execute(sa.text("UPDATE minutes_signature SET signed_by = 'mallory' WHERE meeting_id = :m"),
                         {"m": mid})
        elif tamper == "addendum_edited":
            conn.execute(sa.text("UPDATE minutes_addendum SET text = '日期不更正' WHERE meeting_id = :m"), {"m": mid})
        else:
            conn.execute(sa.text("INSERT INTO minutes_addendum (meeting_id, no, text, sha256, created_by, created_at) "
                                 "VALUES (:m, 2, '补一条', :h, 'x', :at)"),
                         {"m": mid, "h": text_sha256("补一条"), "at": NOW})
    with engine.connect() as conn:
        assert minutes.verify_minutes(conn) == [code]
        assert audit.verify(conn).ok


def test_audit_verify_on_the_command_line_fails_naming_edited_minutes(town: dict[str, Any]) -> None:
    engine = town["engine"]
    mid = lock(town)
    password = secrets.token_urlsafe(16)
    with Session(engine) as s:
        accounts.create_user(s, username="boss", role="admin", actor="setup", password=password)
        s.commit()
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "DATABASE_URL": url, "DASHBOARD_PASSWORD": password}

    def verify() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "dashboard", "audit", "verify", "--user", "boss"], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)

    ok = verify()
    assert ok.returncode == 0, ok.stderr
    with engine.begin() as conn:
        conn.execute(svc.M.update().where(svc.M.c.id == mid).values(minutes_text="{}"))
    bad = verify()
    assert bad.returncode == 1 and "C1-JM-2026Q4" in bad.stderr and "会议纪要" in bad.stderr


def test_a_viewer_can_do_nothing(town: dict[str, Any]) -> None:
    engine, viewer = town["engine"], town["who"]["viewer"]
    mid = circulated(town)
    with engine.connect() as conn:
        action_id = int(q.actions(conn, mid, TODAY)["id"].iloc[0])
    writes = [
        lambda s: svc.create_meeting(s, community_id=town["c1"], held_on=HELD, actor=viewer),
        lambda s: svc.set_attendance(s, meeting_id=mid, version=6, rows=[], actor=viewer, today=TODAY),
        lambda s: svc.save_agenda(s, meeting_id=mid, version=6, items=[], actor=viewer, today=TODAY),
        lambda s: svc.add_decision(s, meeting_id=mid, version=6, agenda_item_id=None, text="x", actor=viewer,
                                   today=TODAY),
        lambda s: svc.move_action(s, action_id=action_id, version=1, to_status="cancelled", note="取消", actor=viewer,
                                  today=TODAY),
        lambda s: minutes.reassemble(s, meeting_id=mid, version=6, actor=viewer, today=TODAY, now=NOW),
        lambda s: minutes.sign(s, meeting_id=mid, version=6, actor=viewer, today=TODAY, now=NOW),
        lambda s: minutes.add_addendum(s, meeting_id=mid, text="x", actor=viewer, now=NOW),
    ]
    for write in writes:
        with Session(engine) as s, pytest.raises(RuleError) as err:
            write(s)
        assert err.value.key == "access.denied_action"


__all__ = ["town"]   # the fixture, imported


def test_an_amendment_during_the_window_reassembles_the_text_and_voids_the_signatures(town: dict[str, Any]) -> None:
    """A decision added while the minutes are out for amendment is in the text that is signed: the signatures given
    to the earlier text are voided, as the re-assemble button does (otherwise the fourth signature locked a text
    without the decision, and the page showed the decision under locked minutes)."""
    engine, sw = town["engine"], town["who"]["sw"]
    mid = circulated(town)
    sign(town, mid, "gov")
    run(engine, svc.add_decision, meeting_id=mid, version=version(engine, mid), agenda_item_id=None,
        text="增设快递柜一处", actor=sw, today=TODAY)
    m = meeting(engine, mid)
    assert "增设快递柜一处" in m.minutes_text and m.minutes_status == "circulated"
    with engine.connect() as conn:
        assert q.signatures(conn, mid).empty
    assert [json.loads(e.after)["voided"] for e in log(engine, "minutes_reassemble")] == [1]
    for who in ("gov", "plt", "asn", "sw"):
        locked = sign(town, mid, who)
    assert locked and "增设快递柜一处" in meeting(engine, mid).minutes_text
    with engine.connect() as conn:
        assert minutes.verify_minutes(conn) == []


def test_a_signature_shows_the_signers_display_name(town: dict[str, Any]) -> None:
    """The page's table and the Word minutes name who signed as people know them (王主任), not by the account's
    username; an account without a display name, or gone, is named by its username. The audit entry keeps the
    username."""
    engine = town["engine"]
    mid = circulated(town)
    sign(town, mid, "gov")
    sign(town, mid, "plt")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO \"user\" (username, display_name, role, is_active, created_at) "
                             "VALUES ('gov', '王主任', 'government', true, :now)"), {"now": NOW})
        signed = q.signatures(conn, mid)
    assert dict(zip(signed["party"], signed["signed_by"], strict=True)) == {"C1-GOV": "王主任", "C1-PLT": "plt"}
    with engine.connect() as conn:
        assert minutes.verify_minutes(conn) == [] and audit.verify(conn).ok
