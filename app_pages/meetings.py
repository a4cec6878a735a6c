"""四方联席会议: a community's meetings, the agenda builder, the meeting as it runs (on a projector), the action items
each party owes and the minutes from draft to 会签 and lock. One section at a time, named in the URL (?section=run);
the meeting chosen is kept for the session and named too (?meeting=GA-JM-2026Q4)."""

import datetime as dt
import time

import pandas as pd
import streamlit as st

from app_pages.meetings_run import Chosen, attempt, run, times_of
from dashboard import loaders
from dashboard import loaders_meetings as data
from dashboard import presenters_meetings as view
from dashboard import presenters_minutes as minutes_view
from dashboard.access import Action
from dashboard.i18n import fmt_int, get_language, t
from dashboard.services import agenda as agenda_rules
from dashboard.services.errors import RuleError
from dashboard.services.meeting_types import MinutesContent
from dashboard.text import plain, plain_table, rule_message

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

st.header(t("meetings.title"))
f = st.session_state.filters
if message := loaders.pop_flash():
    st.success(message, icon=":material/check_circle:")
today = loaders.today()
me = loaders.principal()
writer = loaders.can(Action.meeting_write)

# A keyed choice keeps its label in the browser: after a language switch each is given its value again so the label
# comes in the new language (app.py does this for the shared widgets; the attendance form's keys are per party).
if st.session_state.get("meetings_lang_shown") != get_language():
    for key in [k for k in st.session_state if view.relabelled(str(k))]:
        st.session_state[key] = st.session_state[key]
    st.session_state.meetings_lang_shown = get_language()
sections = {k: t(f"meetings.tab.{k}") for k in view.SECTIONS}
if "meetings_section" not in st.session_state:      # a link such as /meetings?section=run opens that section
    st.session_state.meetings_section = view.section_of(st.query_params.get("section"))
section = st.segmented_control(t("meetings.section"), list(sections), key="meetings_section", required=True,
                               format_func=sections.__getitem__, label_visibility="collapsed",
                               persist_state="session") or view.SECTIONS[0]
# The sidebar's link is /meetings: the first section keeps that address, the others name themselves by code.
if section == view.SECTIONS[0]:
    st.query_params.pop("section", None)
elif st.query_params.get("section") != section:
    st.query_params["section"] = section


def my_actions() -> None:
    """My party's action items: open first, the overdue at the top in red; the move form for the owner's party."""
    if me.party_id is None:
        return
    mine = data.load_party_actions(me.party_id, today)
    st.subheader(t("meetings.actions.mine"))
    if mine.empty:
        st.caption(t("meetings.actions.none"))
        return
    st.dataframe(view.style_overdue(view.actions_frame(mine, view.MINE_COLUMNS), view.overdue_rows(mine)),
                 hide_index=True, width="stretch")
    export(mine, "mine")
    if loaders.can(Action.action_update):
        move_form(mine[mine["status"].isin(view.OPEN)])


def move_form(rows: pd.DataFrame) -> None:
    if rows.empty:
        return
    choices = {int(r["id"]): view.action_choice(r) for _, r in rows.iterrows()}
    # After a move the item's label changes (its status is in it), which makes a new widget: stay on the item just
    # moved rather than fall back to the first one, and never preselect a new status (done and cancelled are final).
    last = st.session_state.get("meetings_move_last")
    ids = list(choices)
    # The item picked was moved or closed by someone else since the page showed it: the choice would fall to another
    # item and the click move that one. Say so, and draw no form this run.
    gone = loaders.vanished("action", st.session_state.get("meetings_move_pick"), ids,
                            (me.party_id, st.session_state.get("meetings_meeting"), section))
    if gone is not None:
        st.session_state.pop("meetings_move_pick", None)
        st.warning(t("forms.row_gone", item=t("meetings.move.pick") + f" #{gone}"), icon=":material/sync_problem:")
        return
    pick = st.selectbox(t("meetings.move.pick"), ids, key="meetings_move_pick", format_func=choices.__getitem__,
                        index=ids.index(last) if last in ids else 0)
    row = rows[rows["id"] == pick].iloc[0]
    shown = loaders.as_shown("action", int(pick), int(row["version"]))
    targets = {s: t(f"enum.ActionStatus.{s}") for s in view.next_statuses(str(row["status"]))}
    with st.form("meetings_move_form", clear_on_submit=True):
        left, right = st.columns(2)
        to = left.selectbox(t("meetings.move.to"), list(targets), key="meetings_move_to", index=None,
                            placeholder=t("meetings.move.choose"), format_func=targets.__getitem__)
        done_on = right.date_input(t("meetings.move.done_on"), value=today, max_value=today, key="meetings_move_done",
                                   help=t("meetings.move.done_on_help"))
        note = st.text_input(t("meetings.move.note"), key="meetings_move_note", max_chars=500)
        moved = st.form_submit_button(t("meetings.move.submit"), type="primary")
    if moved and to is None:
        st.error(t("meetings.move.choose"))
    elif moved and to is not None:
        def move() -> None:
            data.move_action(int(pick), version=shown, to_status=str(to), note=note, on=today,
                             done_on=done_on if to == "done" else None)
            st.session_state["meetings_move_last"] = int(pick)      # stay on it; the form starts empty again
            for key in ("meetings_move_to", "meetings_move_note"):
                st.session_state.pop(key, None)
        attempt(move, t("meetings.move.saved", code=str(row["code"]), status=targets[str(to)]))


def export(frame: pd.DataFrame, name: str) -> None:
    if loaders.can(Action.export) and not frame.empty:
        title = t(f"meetings.file.{name}")
        st.download_button(t("meetings.download_xlsx"), data.actions_file(frame, title=title),
                           file_name=f"{title}.xlsx", key=f"meetings_xlsx_{name}", on_click="ignore",
                           icon=":material/download:", mime=XLSX)


if f.community_id is None:
    if section == "actions" and me.party_id is not None:
        my_actions()
    else:
        st.info(t("meetings.pick_community"), icon=":material/location_city:")
    st.stop()

community = int(f.community_id)
meetings = data.load_meetings(community)
parties = data.load_parties(community)
party_names = dict(zip(parties["id"].astype(int), parties["name"], strict=True))
party_ids = {v: k for k, v in party_names.items()}

if "meetings_next" in st.session_state:           # a meeting just created is the one chosen
    st.session_state.meetings_meeting = st.session_state.pop("meetings_next")
codes = meetings["code"].tolist()
if st.session_state.get("meetings_meeting") not in codes:
    asked = st.query_params.get("meeting")
    st.session_state.meetings_meeting = asked if asked in codes else (codes[0] if codes else None)


def create_form() -> None:
    last = meetings.iloc[0] if not meetings.empty else None
    with st.expander(t("meetings.create.title"), icon=":material/add:", expanded=meetings.empty):
        with st.form("meetings_create_form"):
            left, mid, right = st.columns([1, 1, 2])
            # The next meeting after the last one scheduled: a quarter on from it, and not before next week.
            after = today if last is None else max(today, view.as_date(last["held_on"]))
            default = after + dt.timedelta(days=7 if last is None or after == today else 91)
            held_on = left.date_input(t("meetings.create.date"), value=default, key="meetings_create_date")
            starts = mid.text_input(t("meetings.create.starts"), value="09:30", max_chars=5,
                                    key="meetings_create_starts", help=t("meetings.create.starts_help"))
            place = right.text_input(t("meetings.create.place"), max_chars=200, key="meetings_create_place",
                                     value="" if last is None else str(last["location"]))
            made = st.form_submit_button(t("meetings.create.submit"), type="primary")
        if made:
            def go() -> str:
                made = data.create_meeting(community, held_on=held_on, starts_at=starts.strip(), location=place)
                st.session_state.meetings_next = made
                return made
            attempt(go, lambda made: t("meetings.create.done", code=made))


if section == "meetings":
    st.subheader(t("meetings.list"))
    if meetings.empty:
        st.info(t("meetings.none"))
    else:
        st.dataframe(view.meetings_frame(meetings, data.load_quorate(community)), hide_index=True,
                     width="stretch")
    if writer:
        create_form()
if meetings.empty:
    if section != "meetings":
        st.info(t("meetings.none"))
    st.stop()

labels = {r["code"]: view.meeting_choice(r) for _, r in meetings.iterrows()}
code = st.selectbox(t("meetings.pick"), codes, key="meetings_meeting", format_func=labels.__getitem__)
if st.query_params.get("meeting") != code:
    st.query_params["meeting"] = code
m = meetings[meetings["code"] == code].iloc[0]
mid, current, status = int(m["id"]), int(m["version"]), str(m["minutes_status"])
# The forms (and the keys of those that start from stored values) keep the version they were first drawn with: a
# click after someone else's change is refused, not applied over it, and what was typed is not reset meanwhile.
version = loaders.form_version("meeting", f"{mid}:{section}", current)
seal = data.load_minutes_state(mid)
amend_until = seal["amend_until"]
agenda = data.load_agenda(mid)
# The meeting's rows change only while its minutes are a draft or out for amendment (services/meetings.editable):
# past that the forms are not drawn at all (a user test filled them in and was refused only on saving).
editing = writer and view.editable(status, amend_until, today)


def closed_note() -> None:
    if writer and not editing:
        st.info(t("meetings.closed_for_edits", state=t(f"enum.MinutesStatus.{status}")), icon=":material/lock:")


def saved_agenda() -> None:
    st.subheader(t("meetings.agenda.saved"))
    if agenda.empty:
        st.caption(t("meetings.agenda.empty"))
        return
    minutes = [int(x) for x in agenda["minutes"]]
    st.table(plain_table(view.agenda_frame(agenda, times_of(str(m["starts_at"]), minutes))), hide_index=True)
    st.caption(t("meetings.agenda.total", n=sum(minutes), start=m["starts_at"],
                 end=agenda_rules.end_of(str(m["starts_at"]), minutes)))


def prepare() -> None:
    if not editing:
        closed_note()
        saved_agenda()
        return
    draft_key = f"meetings_draft_{mid}"
    if st.button(t("meetings.agenda.propose"), key="meetings_propose", type="primary", icon=":material/auto_awesome:"):
        started = time.perf_counter()
        proposals = data.propose(mid, today)
        st.session_state[draft_key] = view.editor_rows(proposals, party_names)
        st.session_state["meetings_editor_n"] = st.session_state.get("meetings_editor_n", 0) + 1
        st.session_state["meetings_proposed_in"] = time.perf_counter() - started
    rows = st.session_state.get(draft_key) or view.saved_rows(agenda)
    if "meetings_proposed_in" in st.session_state and draft_key in st.session_state:
        st.caption(t("meetings.agenda.proposed", n=len(st.session_state[draft_key]),
                     s=f"{st.session_state['meetings_proposed_in']:.2f}"))
    st.caption(t("meetings.agenda.editor_help"))
    options = list(party_names.values())
    shown = view.editor_labels()
    edited = st.data_editor(
        view.editor_frame(rows),
        key=f"meetings_editor_{mid}_{st.session_state.get('meetings_editor_n', 0)}_{get_language()}",
        num_rows="dynamic", hide_index=True, width="stretch",
        column_config={
            # Widths in pixels: the six columns fit the 820 px a 1280 px screen leaves beside the sidebar.
            shown["include"]: st.column_config.CheckboxColumn(default=True, width=50),
            shown["order"]: st.column_config.NumberColumn(min_value=1, max_value=99, step=1, width=50),
            shown["title"]: st.column_config.TextColumn(max_chars=300, width=230, required=True),
            shown["presenter"]: st.column_config.SelectboxColumn(options=options, width=170),
            shown["minutes"]: st.column_config.NumberColumn(min_value=1, max_value=240, step=1, default=10,
                                                            width=60),
            shown["figures"]: st.column_config.TextColumn(disabled=True, width=250)})
    chosen = view.chosen_rows(view.from_editor(edited, rows))
    minutes = view.editor_minutes(chosen)
    if minutes:
        end = times_of(str(m["starts_at"]), minutes)[-1][1]
        st.markdown(f"**{t('meetings.agenda.total', n=sum(minutes), start=m['starts_at'], end=end)}**")
    figures = [r for r in rows if r.get("figures")]
    if figures:
        with st.expander(t("meetings.agenda.figures"), icon=":material/query_stats:", expanded=True):
            for r in figures:
                st.markdown(f"**{plain(r['title'])}**")
                st.caption(plain(r["figures"]))
    if st.button(t("meetings.agenda.save"), key="meetings_save_agenda", icon=":material/save:"):
        def go() -> None:
            data.save_agenda(mid, version=version, items=view.agenda_inputs(chosen, party_ids), on=today)
            st.session_state.pop(draft_key, None)
        attempt(go, t("meetings.agenda.saved_done", n=len(chosen)))
    saved_agenda()


def actions() -> None:
    my_actions()
    st.subheader(t("meetings.actions.carried", code=code))
    carried = data.load_carried(mid, today)
    if carried.empty:
        st.caption(t("meetings.actions.none"))
    else:
        st.dataframe(view.style_overdue(view.actions_frame(carried), view.overdue_rows(carried)), hide_index=True,
                     width="stretch")
        export(carried, "carried")
    st.subheader(t("meetings.actions.decided", code=code))
    decided = data.load_actions(mid, today)
    if decided.empty:
        st.caption(t("meetings.actions.none"))
    else:
        st.dataframe(view.style_overdue(view.actions_frame(decided), view.overdue_rows(decided)), hide_index=True,
                     width="stretch")
        export(decided, "decided")
    if me.role == "admin":      # an admin acts for any party
        st.subheader(t("meetings.actions.admin_move"))
        both = pd.concat([carried, decided], ignore_index=True)
        move_form(both[both["status"].isin(view.OPEN)].reset_index(drop=True))


def minutes_section() -> None:
    content = data.load_content(mid, today, current, get_language())
    signatures = data.load_signatures(mid)
    window = "" if amend_until is None or status != "circulated" else t("meetings.minutes.window",
                                                                        day=view.day(amend_until))
    st.markdown(f"**{t('meetings.minutes.status', status=t(f'enum.MinutesStatus.{status}'))}** {window}")
    if status == "locked":
        st.success(t("meetings.minutes.locked", sha=plain(seal["minutes_sha256"] or "")),
                   icon=":material/lock:")
        st.caption(t("meetings.minutes.verify"))
        st.code("python -m dashboard audit verify", language="bash")
    elif status == "circulated":
        st.caption(t("meetings.sign.rule"))
    lifecycle()
    st.subheader(t("meetings.sign.title"))
    if status == "draft":
        st.caption(t("meetings.sign.after_circulation"))
    else:
        st.table(plain_table(minutes_view.signature_rows(parties, signatures)), hide_index=True)
    party = minutes_view.may_sign_for(parties, signatures, me.party_id)
    signable = status == "circulated" and party is not None and loaders.can(Action.minutes_sign)
    # A signature is a party's word: it takes reading the text below and saying so (the hash names that text).
    read = signable and st.checkbox(t("meetings.sign.confirm", party=party, sha=content.sha256()[:16]),
                                    key=f"meetings_sign_read_{mid}_{version}")
    if signable and st.button(t("meetings.sign.button", party=party), key="meetings_sign", type="primary",
                              icon=":material/draw:", disabled=not read):
            attempt(lambda: data.sign(mid, version=version, on=today),
                    lambda locked: t("meetings.sign.locked") if locked else t("meetings.sign.signed", party=party))
    downloads(content)
    st.divider()
    for block in minutes_view.minutes_blocks(content):
        if block.kind == "heading":
            st.markdown(f"#### {plain(block.text)}")
        elif block.kind == "table" and block.table is not None:
            st.table(plain_table(block.table), hide_index=True)
        else:
            st.markdown(plain(block.text))
    addenda()


def lifecycle() -> None:
    if not writer:
        return
    if status == "draft":
        held = view.as_date(m["held_on"])
        if today < held:         # minutes record a meeting that has taken place
            st.warning(t("meetings.circulate.not_held", day=view.day(held)), icon=":material/event_upcoming:")
        with st.form("meetings_circulate_form"):
            until = st.date_input(t("meetings.circulate.until"), value=max(today, held) + dt.timedelta(days=7),
                                  min_value=today,
                                  key="meetings_circulate_until", help=t("meetings.circulate.help"))
            sent = st.form_submit_button(t("meetings.circulate.submit"), type="primary")
        if sent:
            attempt(lambda: data.circulate(mid, version=version, amend_until=until, on=today),
                    t("meetings.circulate.done", day=until.isoformat()))
    elif status == "circulated" and amend_until is not None and today <= view.as_date(amend_until):
        st.caption(t("meetings.reassemble.help"))
        if st.button(t("meetings.reassemble.submit"), key="meetings_reassemble", icon=":material/refresh:"):
            attempt(lambda: data.reassemble(mid, version=version, on=today),
                    lambda voided: t("meetings.reassemble.done", n=fmt_int(voided)))


def downloads(content: MinutesContent) -> None:
    if not loaders.can(Action.export):
        return
    left, right, _ = st.columns([1.3, 1.1, 1.6])
    left.download_button(t("meetings.download_docx"), data.minutes_docx_file(content, status=status, meeting_id=mid),
                         file_name=f"{code}.docx", key="meetings_docx",
                         on_click="ignore", icon=":material/description:", mime=DOCX, width="stretch")
    # Signatures and addenda do not bump the meeting's version, yet they are in the PDF: the key counts them too.
    signed, added = len(data.load_signatures(mid)), len(data.load_addenda(mid))
    pdf_key = f"meetings_pdf_{mid}_{current}_{signed}_{added}_{get_language()}"
    if pdf_key in st.session_state:
        right.download_button(t("meetings.download_pdf"), st.session_state[pdf_key], file_name=f"{code}.pdf",
                              key="meetings_pdf", on_click="ignore", icon=":material/picture_as_pdf:",
                              mime="application/pdf", width="stretch")
    elif right.button(t("meetings.build_pdf"), key="meetings_build_pdf", icon=":material/picture_as_pdf:",
                      width="stretch"):
        with st.spinner(t("meetings.building_pdf")):
            try:
                st.session_state[pdf_key] = data.minutes_pdf(content, status=status, meeting_id=mid)
            except RuleError as err:
                st.error(rule_message(err))
                return
        st.rerun()


def addenda() -> None:
    if status != "locked":
        return
    st.subheader(t("meetings.addenda.title"))
    rows = data.load_addenda(mid)
    for _, r in rows.iterrows():
        st.markdown(f"**{t('meetings.addenda.no', n=int(r['no']))}** {plain(r['text'])}")
        st.caption(f"SHA-256 {r['sha256']}")
    if rows.empty:
        st.caption(t("meetings.addenda.none"))
    if writer:
        with st.form("meetings_addendum_form", clear_on_submit=True):
            text = st.text_area(t("meetings.addenda.text"), key="meetings_addendum_text", max_chars=4000)
            added = st.form_submit_button(t("meetings.addenda.submit"), type="primary")
        if added:
            attempt(lambda: data.add_addendum(mid, text=text), lambda n: t("meetings.addenda.done", n=n))


chosen = Chosen(id=mid, version=version, starts_at=str(m["starts_at"]), agenda=agenda, party_names=party_names,
                today=today, writer=editing)
if section == "run":
    closed_note()
if section == "agenda":
    prepare()
elif section == "run":
    run(chosen)
elif section == "actions":
    actions()
elif section == "minutes":
    minutes_section()
signs = loaders.can(Action.minutes_sign) and me.party_id is not None
if not writer and (section in ("agenda", "run") or (section == "minutes" and not signs)):
    st.caption(t("access.read_only"), help=t("access.read_only_help"))
