"""四方联席会议, the meeting as it runs: the projector's card (current item, presenter, countdown, next item) with
its buttons, the forms that record a decision, an action item and the notes for the current item, and the attendance
with its quorum line. Imported by app_pages/meetings.py (kept apart to keep each under ~400 lines)."""

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import loaders
from dashboard import loaders_meetings as data
from dashboard import presenters_meetings as view
from dashboard.i18n import t
from dashboard.services import agenda as agenda_rules
from dashboard.services.errors import RuleError
from dashboard.text import plain, plain_table, rule_message
from data_models.enums import AttendanceStatus


@dataclass(frozen=True)
class Chosen:
    """The meeting the page shows, as the run section needs it."""

    id: int
    version: int
    starts_at: str
    agenda: pd.DataFrame
    party_names: dict[int, str]
    today: dt.date
    writer: bool


def attempt(write: Callable[[], Any], message: Callable[[Any], str] | str) -> None:
    """Run a write; on success flash its message (a text, or made from what the write returned) and draw the page
    again; on refusal say why, the reads made again (someone may have changed the meeting meanwhile)."""
    try:
        result = write()
    except RuleError as err:
        data.forget()
        loaders.forget_form_versions("meeting")     # the next run draws the forms from the meeting as it is now
        st.error(rule_message(err))
        return
    loaders.forget_form_versions("meeting")
    loaders.flash(message(result) if callable(message) else message)
    st.rerun()


def times_of(starts_at: str, minutes: list[int]) -> list[tuple[str, str]]:
    try:
        return agenda_rules.schedule(starts_at, minutes)
    except RuleError as err:
        st.warning(rule_message(err))
        return [("", "")] * len(minutes)


def attendance_quorum(meeting_id: int) -> tuple[bool, tuple[str, ...], pd.DataFrame]:
    rows = data.load_attendance(meeting_id)
    quorate, missing = view.quorate_of(zip(rows["kind"], rows["status"], rows["deputy"], strict=True))
    return quorate, missing, rows


def run(c: Chosen) -> None:
    st.html(view.PROJECTOR_CSS)
    if c.agenda.empty:
        st.info(t("meetings.agenda.empty"))
    else:
        projector(c)
    attendance(c)


def projector(c: Chosen) -> None:
    state_key = f"meetings_run_{c.id}"
    index, started = st.session_state.get(state_key, (0, None))
    index = max(0, min(int(index), len(c.agenda) - 1))

    def move(step: int) -> None:
        i, s = st.session_state.get(state_key, (0, None))
        i = max(0, min(int(i) + step, len(c.agenda) - 1))
        st.session_state[state_key] = (i, None if s is None else time.time())   # a running clock goes on

    def start() -> None:
        st.session_state[state_key] = (st.session_state.get(state_key, (0, None))[0], time.time())

    times = times_of(c.starts_at, [int(x) for x in c.agenda["minutes"]])
    card = view.card_of(c.agenda, index, times)
    if card is None:
        return

    @st.fragment(run_every=1 if started is not None else None)
    def clock() -> None:
        text, over = view.countdown(card.minutes, started, time.time())
        st.html(view.projector_html(card, text, over))

    with st.container(key="meetings_projector"):
        clock()
        left, mid_, right, _ = st.columns([1, 1, 1.3, 2.7])
        left.button(t("meetings.run.prev"), key="meetings_prev", on_click=move, args=(-1,), disabled=index == 0,
                    icon=":material/skip_previous:", width="stretch")
        mid_.button(t("meetings.run.next_button"), key="meetings_nextitem", on_click=move, args=(1,),
                    disabled=index >= len(c.agenda) - 1, icon=":material/skip_next:", width="stretch")
        right.button(t("meetings.run.start"), key="meetings_start", on_click=start, type="primary",
                     icon=":material/timer:", width="stretch")
    item = c.agenda.iloc[index]
    decisions = data.load_decisions(c.id)
    quorate, _, _ = attendance_quorum(c.id)
    here = decisions[decisions["agenda_item_id"] == int(item["id"])]
    for _, d in here.iterrows():
        st.markdown(f"**{plain(d['code'])}** {plain(view.decision_text(str(d['text']), not quorate))}")
    if not c.writer:
        return
    with st.expander(t("meetings.run.record"), icon=":material/edit_note:", expanded=True):
        record_forms(c, item, here)


def record_forms(c: Chosen, item: pd.Series, decisions: pd.DataFrame) -> None:
    item_id = int(item["id"])
    left, right = st.columns(2)
    with left.form("meetings_decision_form", clear_on_submit=True):
        text = st.text_area(t("meetings.decision.text"), key="meetings_decision_text", max_chars=1000, height=100)
        decided = st.form_submit_button(t("meetings.decision.submit"), type="primary")
    if decided:
        attempt(lambda: data.add_decision(c.id, version=c.version, agenda_item_id=item_id, text=text, on=c.today),
                lambda made: t("meetings.decision.done", code=made))
    owners = {int(k): v for k, v in c.party_names.items()}
    tied = {0: t("meetings.action.no_decision"), **{int(r["id"]): f"{r['code']} {r['text'][:30]}"
                                                   for _, r in decisions.iterrows()}}
    with right.form("meetings_action_form", clear_on_submit=True):
        title = st.text_input(t("meetings.action.title"), key="meetings_action_title", max_chars=300)
        a, b = st.columns(2)
        owner = a.selectbox(t("meetings.action.owner"), list(owners), key="meetings_action_owner",
                            format_func=owners.__getitem__)
        person = b.text_input(t("meetings.action.person"), key="meetings_action_person", max_chars=100)
        third, fourth = st.columns(2)
        due = third.date_input(t("meetings.action.due"), value=c.today + dt.timedelta(days=30),
                               key="meetings_action_due")
        decision = fourth.selectbox(t("meetings.action.decision"), list(tied), key="meetings_action_decision",
                                    format_func=tied.__getitem__)
        added = st.form_submit_button(t("meetings.action.submit"), type="primary")
    if added and owner is not None:
        attempt(lambda: data.add_action(c.id, version=c.version, decision_id=decision or None, title=title,
                                        owner_party_id=int(owner), owner_person=person, due_on=due, on=c.today),
                lambda made: t("meetings.action.done", code=made))
    with st.form(f"meetings_notes_form_{item_id}"):
        notes = st.text_area(t("meetings.notes.label"), value=view.text(item["notes"]), key=f"meetings_notes_{item_id}",
                             max_chars=4000, height=100)
        noted = st.form_submit_button(t("meetings.notes.submit"))
    if noted:
        attempt(lambda: data.save_notes(item_id, version=c.version, notes=notes, on=c.today), t("meetings.notes.done"))


def attendance(c: Chosen) -> None:
    st.subheader(t("meetings.attendance.title"))
    quorate, missing, rows = attendance_quorum(c.id)
    (st.success if quorate else st.warning)(view.quorum_line(quorate, missing))
    st.table(plain_table(view.attendance_frame(rows)), hide_index=True)
    if not c.writer:
        return
    states = {s.value: t(f"enum.AttendanceStatus.{s.value}") for s in AttendanceStatus}
    # Keys per meeting and version: a keyed widget keeps its value when only its default changes, so keys per party
    # alone carried one meeting's attendance into another's form (and a save wrote it there).
    with st.expander(t("meetings.attendance.edit"), icon=":material/how_to_reg:"):
        with st.form("meetings_attendance_form"):
            entered = []
            for _, r in rows.iterrows():
                pid = int(r["party_id"])
                a, b, e = st.columns([2, 3, 2])
                s = a.selectbox(str(r["party"]), list(states), index=list(states).index(str(r["status"])),
                                key=f"meetings_att_status_{c.id}_{c.version}_{pid}", format_func=states.__getitem__)
                who = b.text_input(t("meetings.attendance.attendees"), value=view.text(r["attendees"]),
                                   key=f"meetings_att_who_{c.id}_{c.version}_{pid}", max_chars=300)
                dep = e.text_input(t("meetings.attendance.deputy"), value=view.text(r["deputy"]),
                                   key=f"meetings_att_deputy_{c.id}_{c.version}_{pid}", max_chars=100)
                entered.append((pid, str(s), who, dep))
            saved = st.form_submit_button(t("meetings.attendance.submit"), type="primary")
        if saved:
            rows_in = view.attendance_inputs(entered)
            attempt(lambda: data.set_attendance(c.id, version=c.version, rows=rows_in, on=c.today),
                    t("meetings.attendance.done"))
