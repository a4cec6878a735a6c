"""四方联席会议 writes: quorum, creating a meeting, attendance, agenda, decisions, action items and their moves,
what can still be edited, who may do what, and the open items that roll over into later meetings."""

import datetime as dt
import json
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from dashboard import audit
from dashboard.i18n import STRINGS
from dashboard.queries import meetings as q
from dashboard.services import meetings as svc
from dashboard.services.errors import RuleError
from dashboard.services.meeting_types import AgendaInput, AttendanceInput
from tests import factories as f
from tests.meeting_factories import HELD, TODAY, item, new_meeting, run, town, version

D = dt.date


# --- quorum ------------------------------------------------------------------------------------------------------

FOUR_PRESENT = [("government", "present", ""), ("platform", "present", ""), ("association", "present", ""),
                ("social_work", "present", "")]


@pytest.mark.parametrize(("rows", "quorate", "missing"), [
    (FOUR_PRESENT, True, ()),
    ([*FOUR_PRESENT, ("cooperative", "absent", "")], True, ()),
    ([("government", "deputy", "李四"), *FOUR_PRESENT[1:]], True, ()),
    ([("government", "deputy", " "), *FOUR_PRESENT[1:]], False, ("government",)),
    ([r for r in FOUR_PRESENT if r[0] != "platform"] + [("platform", "absent", "")], False, ("platform",)),
    ([], False, ("government", "platform", "association", "social_work")),
    ([("cooperative", "present", ""), ("other", "present", "")], False,
     ("government", "platform", "association", "social_work")),
    ([("government", "absent", ""), ("government", "present", ""), *FOUR_PRESENT[1:]], True, ()),
])
def test_quorum_needs_each_of_the_four_present_or_a_named_deputy(rows: list[tuple[str, str, str]], quorate: bool,
                                                                 missing: tuple[str, ...]) -> None:
    assert svc.quorum(rows) == svc.Quorum(quorate, missing)


# --- creating ------------------------------------------------------------------------------------------------------

def test_a_new_meeting_has_its_code_title_and_an_absent_row_per_invited_party(town: dict[str, Any]) -> None:
    first = new_meeting(town)
    second = new_meeting(town, location="会议室")
    with town["engine"].connect() as conn:
        codes = conn.execute(sa.select(svc.M.c.code, svc.M.c.title, svc.M.c.quarter, svc.M.c.starts_at)
                             .order_by(svc.M.c.id)).all()
        att = q.attendance(conn, first)
    assert [c.code for c in codes] == ["C1-JM-2026Q4", "C1-JM-2026Q4-2"]
    assert codes[0].title == "社区C1四方联席会议（2026Q4）" and codes[0].starts_at == "09:30"
    assert sorted(att["kind"]) == ["association", "cooperative", "government", "platform", "social_work"]
    assert set(att["status"]) == {"absent"} and second > first
    with pytest.raises(RuleError) as err:
        run(town["engine"], svc.create_meeting, community_id=town["c1"], held_on=HELD, actor=town["who"]["gov"])
    assert err.value.key == "access.denied_action"
    with pytest.raises(RuleError) as err:
        run(town["engine"], svc.create_meeting, community_id=town["c1"], held_on=HELD, actor=town["who"]["sw"],
            starts_at="9.30")
    assert "9.30" in err.value.message()


# --- attendance ----------------------------------------------------------------------------------------------------

def test_attendance_is_recorded_a_deputy_needs_a_name_and_a_stale_version_is_refused(town: dict[str, Any]) -> None:
    engine, p, sw = town["engine"], town["p"], town["who"]["sw"]
    mid = new_meeting(town)
    v = version(engine, mid)
    with pytest.raises(RuleError) as err:
        run(engine, svc.set_attendance, meeting_id=mid, version=v, actor=sw, today=TODAY,
            rows=[AttendanceInput(p["GOV"], "deputy", "", "")])
    assert err.value.key == "meeting.deputy_unnamed" and "C1-GOV" in err.value.message()
    with pytest.raises(RuleError) as err:
        run(engine, svc.set_attendance, meeting_id=mid, version=v, actor=sw, today=TODAY,
            rows=[AttendanceInput(p["C2GOV"], "present", "王五")])
    assert err.value.key == "meeting.party_not_of_community"
    run(engine, svc.set_attendance, meeting_id=mid, version=v, actor=sw, today=TODAY,
        rows=[AttendanceInput(p["GOV"], "deputy", "", "李四"), AttendanceInput(p["PLT"], "present", "赵六、钱七"),
              AttendanceInput(p["ASN"], "present", "孙八"), AttendanceInput(p["SW"], "present", "周九")])
    assert version(engine, mid) == v + 1
    with engine.connect() as conn:
        att = q.attendance(conn, mid).set_index("kind")
    assert att.loc["government", "deputy"] == "李四" and att.loc["platform", "attendees"] == "赵六、钱七"
    assert att.loc["cooperative", "status"] == "absent"
    assert svc.quorum(zip(att.index, att["status"], att["deputy"], strict=True)).quorate
    with pytest.raises(RuleError) as err:          # the form still shows the old version
        run(engine, svc.set_attendance, meeting_id=mid, version=v, actor=town["who"]["admin"], today=TODAY,
            rows=[AttendanceInput(p["PLT"], "absent")])
    assert err.value.key == "meeting.changed_meanwhile" and "sw" in err.value.message()


# --- agenda, notes, decisions, actions ----------------------------------------------------------------------------

@pytest.mark.parametrize(("items", "key"), [
    ([item("  ")], "meeting.item_title_empty"),
    ([item("甲", 0)], "meeting.item_minutes"),
    ([item("甲", 241)], "meeting.item_minutes"),
    ([item(f"第{i}项") for i in range(31)], "meeting.too_many_items"),
    ([item("甲", 10, -1)], "meeting.item_presenter"),
])
def test_bad_agenda_items_are_refused(town: dict[str, Any], items: list[AgendaInput], key: str) -> None:
    mid = new_meeting(town)
    with pytest.raises(RuleError) as err:
        run(town["engine"], svc.save_agenda, meeting_id=mid, version=1, items=items, actor=town["who"]["sw"],
            today=TODAY)
    assert err.value.key == key
    assert version(town["engine"], mid) == 1


def test_agenda_reorder_keeps_items_and_decisions_and_an_item_with_decisions_stays(town: dict[str, Any]) -> None:
    engine, p, sw = town["engine"], town["p"], town["who"]["sw"]
    mid = new_meeting(town)
    run(engine, svc.save_agenda, meeting_id=mid, version=1, actor=sw, today=TODAY, starts_at="14:00",
        items=[item("落实情况", 15, p["SW"]), item("诉求", 20, p["GOV"]), item("培训", 10, p["ASN"])])
    with engine.connect() as conn:
        first = q.agenda(conn, mid)
    assert list(first["order_no"]) == [1, 2, 3] and list(first["presenter"]) == ["C1-SW", "C1-GOV", "C1-ASN"]
    ids = dict(zip(first["title"], first["id"], strict=True))
    run(engine, svc.save_notes, agenda_item_id=ids["诉求"], version=2, notes="街道同意加装路灯", actor=sw, today=TODAY)
    decision = run(engine, svc.add_decision, meeting_id=mid, version=3, agenda_item_id=ids["诉求"],
                   text="加装路灯", actor=sw, today=TODAY)
    assert decision.code == f"D{decision.id:06d}"
    run(engine, svc.save_agenda, meeting_id=mid, version=4, actor=sw, today=TODAY,
        items=[item("诉求", 25, p["GOV"]), item("新增", 5), item("落实情况", 15, p["SW"])])
    with engine.connect() as conn:
        second = q.agenda(conn, mid)
        decisions = q.decisions(conn, mid)
        starts = conn.execute(sa.select(svc.M.c.starts_at).where(svc.M.c.id == mid)).scalar_one()
    assert list(second["title"]) == ["诉求", "新增", "落实情况"] and starts == "14:00"
    kept = second.set_index("title")
    assert kept.loc["诉求", "id"] == ids["诉求"] and kept.loc["诉求", "minutes"] == 25
    assert kept.loc["诉求", "notes"] == "街道同意加装路灯"
    assert list(decisions["agenda_item_id"]) == [ids["诉求"]]
    with pytest.raises(RuleError) as err:
        run(engine, svc.save_agenda, meeting_id=mid, version=5, actor=sw, today=TODAY, items=[item("新增", 5)])
    assert err.value.key == "meeting.item_has_decisions" and "诉求" in err.value.message()


def test_an_action_needs_a_party_of_the_community_a_person_and_a_due_date_after_the_meeting(
        town: dict[str, Any]) -> None:
    engine, p, sw = town["engine"], town["p"], town["who"]["sw"]
    mid = new_meeting(town)
    base = {"meeting_id": mid, "version": 1, "decision_id": None, "title": "加装路灯", "actor": sw, "today": TODAY}
    for kw, key in [({"owner_party_id": p["C2GOV"], "owner_person": "王", "due_on": HELD},
                     "meeting.party_not_of_community"),
                    ({"owner_party_id": p["GOV"], "owner_person": " ", "due_on": HELD}, "action.person_empty"),
                    ({"owner_party_id": p["GOV"], "owner_person": "王", "due_on": HELD - dt.timedelta(days=1)},
                     "action.due_before_meeting")]:
        with pytest.raises(RuleError) as err:
            run(engine, svc.add_action, **base, **kw)
        assert err.value.key == key
    action = run(engine, svc.add_action, **base, owner_party_id=p["GOV"], owner_person="王主任",
                 due_on=D(2027, 1, 10))
    assert action.code == f"X{action.id:06d}" and action.created_on == HELD and action.status == "open"
    with engine.connect() as conn:
        listed = q.actions(conn, mid, TODAY)
    assert list(listed["owner_person"]) == ["王主任"] and list(listed["owner_party"]) == ["C1-GOV"]


# --- action lifecycle --------------------------------------------------------------------------------------------

def gov_action(town: dict[str, Any], **kw: Any) -> int:
    with town["engine"].begin() as conn:
        mid = f.meeting(conn, town["c1"], "OLD", held_on=D(2026, 9, 1), quarter="2026Q3")
        return f.action(conn, mid, town["p"]["GOV"], "X-GOV", created_on=D(2026, 9, 1), due_on=D(2026, 10, 1), **kw)


@pytest.mark.parametrize(("start", "to", "ok"), [
    ("open", "in_progress", True), ("open", "done", True), ("open", "cancelled", True),
    ("in_progress", "done", True), ("in_progress", "cancelled", True), ("in_progress", "open", False),
    ("done", "open", False), ("done", "cancelled", False), ("cancelled", "in_progress", False),
    ("open", "open", False),
])
def test_action_lifecycle(town: dict[str, Any], start: str, to: str, ok: bool) -> None:
    extra = {"done_on": D(2026, 9, 20)} if start == "done" else {}
    xid = gov_action(town, status=start, **extra)
    move = {"action_id": xid, "version": 1, "to_status": to, "note": "已联系供电所", "actor": town["who"]["gov"],
            "today": TODAY, "done_on": D(2026, 11, 2)}
    if not ok:
        with pytest.raises(RuleError) as err:
            run(town["engine"], svc.move_action, **move)
        assert err.value.key == "action.bad_move"
        return
    run(town["engine"], svc.move_action, **move)
    with town["engine"].connect() as conn:
        row = conn.execute(sa.select(svc.X).where(svc.X.c.id == xid)).one()
        history = conn.execute(sa.select(svc.XU).where(svc.XU.c.action_item_id == xid)).all()
    assert (row.status, row.version, row.updated_by, row.note) == (to, 2, "gov", "已联系供电所")
    assert row.done_on == (D(2026, 11, 2) if to == "done" else None)
    assert [(h.from_status, h.to_status, h.by) for h in history] == [(start, to, "gov")]


@pytest.mark.parametrize(("done_on", "note", "key"), [
    (None, "已完成", "action.done_on_missing"),
    (D(2026, 12, 2), "已完成", "action.done_on_range"),
    (D(2026, 8, 31), "已完成", "action.done_on_range"),
    (D(2026, 11, 1), "长" * 501, "action.note_too_long"),
])
def test_done_needs_a_date_between_creation_and_today_and_a_short_note(town: dict[str, Any], done_on: dt.date | None,
                                                                       note: str, key: str) -> None:
    xid = gov_action(town)
    with pytest.raises(RuleError) as err:
        run(town["engine"], svc.move_action, action_id=xid, version=1, to_status="done", note=note,
            actor=town["who"]["gov"], today=TODAY, done_on=done_on)
    assert err.value.key == key


@pytest.mark.parametrize(("who", "key"), [
    ("plt", "action.not_your_party"), ("sw", "action.not_your_party"), ("viewer", "access.denied_action"),
    ("gov", None), ("admin", None),
])
def test_only_the_owner_party_or_an_admin_moves_an_action(town: dict[str, Any], who: str, key: str | None) -> None:
    xid = gov_action(town)
    move = {"action_id": xid, "version": 1, "to_status": "in_progress", "note": "已对接", "actor": town["who"][who],
            "today": TODAY}
    if key is None:
        run(town["engine"], svc.move_action, **move)
        return
    with pytest.raises(RuleError) as err:
        run(town["engine"], svc.move_action, **move)
    assert err.value.key == key
    if key == "action.not_your_party":
        assert "C1-GOV" in err.value.message()


def test_a_stale_action_version_names_who_moved_it(town: dict[str, Any]) -> None:
    xid = gov_action(town)
    gov = town["who"]["gov"]
    run(town["engine"], svc.move_action, action_id=xid, version=1, to_status="in_progress", note="已对接", actor=gov,
        today=TODAY)
    with pytest.raises(RuleError) as err:
        run(town["engine"], svc.move_action, action_id=xid, version=1, to_status="cancelled", note="取消",
            actor=town["who"]["admin"], today=TODAY)
    assert err.value.key == "action.changed_meanwhile"
    assert "gov" in err.value.message() and "进行中" in err.value.message()


# --- editability -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "amend_until", "today", "editable"), [
    ("draft", None, TODAY, True),
    ("circulated", D(2026, 12, 5), D(2026, 12, 5), True),
    ("circulated", D(2026, 12, 5), D(2026, 12, 6), False),
    ("locked", D(2026, 12, 5), D(2026, 12, 1), False),
])
def test_what_can_still_be_edited(town: dict[str, Any], status: str, amend_until: dt.date | None, today: dt.date,
                                  editable: bool) -> None:
    engine, sw = town["engine"], town["who"]["sw"]
    extra = {"minutes_sha256": "0" * 64, "locked_at": dt.datetime(2026, 12, 1, tzinfo=dt.UTC)} \
        if status == "locked" else {}
    with engine.begin() as conn:
        mid = f.meeting(conn, town["c1"], "JM", held_on=HELD, quarter="2026Q4", minutes_status=status,
                        amend_until=amend_until, **extra)
        xid = f.action(conn, mid, town["p"]["GOV"], "XA", created_on=HELD, due_on=D(2027, 1, 1))
    writes = [
        lambda s: svc.save_agenda(s, meeting_id=mid, version=1, items=[item("甲")], actor=sw, today=today),
        lambda s: svc.add_decision(s, meeting_id=mid, version=1, agenda_item_id=None, text="决定", actor=sw,
                                   today=today),
        lambda s: svc.set_attendance(s, meeting_id=mid, version=1, rows=[], actor=sw, today=today),
    ]
    for write in writes:
        with Session(engine) as s:
            if editable:
                write(s)          # not committed: each write starts from version 1
            else:
                with pytest.raises(RuleError) as err:
                    write(s)
                assert err.value.key == "meeting.not_editable" and "JM" in err.value.message()
    # An action's status moves whatever the minutes' state.
    run(engine, svc.move_action, action_id=xid, version=1, to_status="in_progress", note="已对接",
        actor=town["who"]["gov"], today=today)


# --- rollover and a party's list ---------------------------------------------------------------------------------

def test_open_items_of_earlier_meetings_roll_over_overdue_first(town: dict[str, Any]) -> None:
    engine, p = town["engine"], town["p"]
    with engine.begin() as conn:
        m1 = f.meeting(conn, town["c1"], "M1", held_on=D(2026, 5, 10), quarter="2026Q2")
        m2 = f.meeting(conn, town["c1"], "M2", held_on=D(2026, 8, 10), quarter="2026Q3")
        m3 = f.meeting(conn, town["c1"], "M3", held_on=D(2026, 12, 10), quarter="2026Q4")
        other = f.meeting(conn, town["c2"], "O1", held_on=D(2026, 5, 10), quarter="2026Q2")
        f.action(conn, m1, p["GOV"], "A-OVERDUE-LITTLE", created_on=D(2026, 5, 10), due_on=D(2026, 11, 1))
        f.action(conn, m1, p["PLT"], "A-OVERDUE-MUCH", created_on=D(2026, 5, 10), due_on=D(2026, 6, 1),
                 status="in_progress")
        f.action(conn, m1, p["ASN"], "A-DONE", created_on=D(2026, 5, 10), due_on=D(2026, 6, 1), status="done",
                 done_on=D(2026, 6, 1))
        f.action(conn, m1, p["ASN"], "A-CANCELLED", created_on=D(2026, 5, 10), due_on=D(2026, 6, 1),
                 status="cancelled")
        f.action(conn, m2, p["SW"], "A-NOT-DUE", created_on=D(2026, 8, 10), due_on=D(2027, 1, 1))
        f.action(conn, m3, p["SW"], "A-THIS-MEETING", created_on=D(2026, 12, 10), due_on=D(2027, 1, 1))
        f.action(conn, other, p["C2GOV"], "A-OTHER-COMMUNITY", created_on=D(2026, 5, 10), due_on=D(2026, 6, 1))
        carried = q.carried_over(conn, meeting_id=m3, today=TODAY)
        for_m2 = q.carried_over(conn, meeting_id=m2, today=TODAY)
        mine = q.party_actions(conn, party_id=p["ASN"], today=TODAY)
    assert list(carried["code"]) == ["A-OVERDUE-MUCH", "A-OVERDUE-LITTLE", "A-NOT-DUE"]
    assert list(carried["days_overdue"]) == [(TODAY - D(2026, 6, 1)).days, 30, 0]
    assert list(for_m2["code"]) == ["A-OVERDUE-MUCH", "A-OVERDUE-LITTLE"]
    assert set(mine["code"]) == {"A-DONE", "A-CANCELLED"}


# --- every field the log gets is labelled ------------------------------------------------------------------------

def test_every_field_written_to_the_log_has_a_label(town: dict[str, Any]) -> None:
    engine, p, sw = town["engine"], town["p"], town["who"]["sw"]
    mid = new_meeting(town)
    run(engine, svc.set_attendance, meeting_id=mid, version=1, actor=sw, today=TODAY,
        rows=[AttendanceInput(p["GOV"], "present", "张三")])
    run(engine, svc.save_agenda, meeting_id=mid, version=2, actor=sw, today=TODAY, items=[item("甲")])
    with engine.connect() as conn:
        item_id = int(q.agenda(conn, mid)["id"].iloc[0])
    run(engine, svc.save_notes, agenda_item_id=item_id, version=3, notes="记录", actor=sw, today=TODAY)
    d = run(engine, svc.add_decision, meeting_id=mid, version=4, agenda_item_id=item_id, text="定", actor=sw,
            today=TODAY)
    a = run(engine, svc.add_action, meeting_id=mid, version=5, decision_id=d.id, title="办", owner_party_id=p["SW"],
            owner_person="周", due_on=HELD, actor=sw, today=TODAY)
    run(engine, svc.move_action, action_id=a.id, version=1, to_status="done", note="好", actor=sw, today=HELD,
        done_on=HELD)
    with engine.connect() as conn:
        log = conn.execute(sa.select(audit.TABLE.c.action, audit.TABLE.c.entity, audit.TABLE.c.before,
                                     audit.TABLE.c.after)).all()
        assert audit.verify(conn).ok
    fields = {k for r in log for side in (r.before, r.after) if side for k in json.loads(side)}
    for language in ("zh", "en"):
        strings = STRINGS[language]
        assert sorted(x for x in fields if f"audit.field.{x}" not in strings) == []
        assert sorted(r.entity for r in log if f"audit.obj.{r.entity}" not in strings) == []
        assert sorted(r.action for r in log if f"audit.act.{r.action}" not in strings) == []
    assert len(log) == 7


__all__ = ["town"]   # the fixture, imported


@pytest.mark.parametrize("note", ["", "   "])
def test_a_move_says_why(town: dict[str, Any], note: str) -> None:
    """Every status move carries the owner's note (the four parties read it at the next meeting's 落实情况)."""
    xid = gov_action(town)
    with pytest.raises(RuleError) as err:
        run(town["engine"], svc.move_action, action_id=xid, version=1, to_status="in_progress", note=note,
            actor=town["who"]["gov"], today=TODAY)
    assert err.value.key == "action.note_required"
