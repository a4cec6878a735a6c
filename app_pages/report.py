"""季度汇报 (issue 17): the sidebar's community and quarter across the five areas, each figure against the quarter
before (环比) and the same quarter a year ago (同比), a chart and the narrative per area; publishing freezes it, a
restatement says why and what changed, the parties confirm (the government accepts); the handout and the PDF.

Two sections, one at a time and named in the URL: the report, and its slideshow for the projector (?section=slides,
app_pages/report_slides.py). What is shown is the latest published version when there is one, else today's figures
marked as a draft; where personal data is hidden, small counts are suppressed before anything is drawn."""

from collections.abc import Sequence

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app_pages import report_slides, sections
from dashboard import charts_report as charts
from dashboard import loaders
from dashboard import loaders_report as data
from dashboard import presenters_report as view
from dashboard.access import Action
from dashboard.i18n import get_language, t
from dashboard.periods import quarter_state
from dashboard.report.diff import FigureChange
from dashboard.report.types import AreaReport, ReportData, ReportMeta
from dashboard.services.errors import RuleError
from dashboard.text import plain, plain_table, rule_message

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Printed for the meeting: the figures, charts and narrative; not the buttons, the picker or the restatement's form.
PRINT_CSS = """<style>@media print {
  [data-testid=stButton], [data-testid=stDownloadButton], [data-testid=stButtonGroup],
  [data-testid=stExpander] {display: none !important;}
}</style>"""
EDITS, SEEN = "report_edits", "report_seen"     # the narrative as edited, per scope; the version each scope showed
SHOWN = "report_shown"          # the live figures the page showed last ({scope: ReportData}): what a publish freezes
REFUSED = "report_refused"      # why the last publish click wrote nothing, said beside the button after the rerun
PDF = "report_pdf_built"        # the PDF last built in this session: (what it was made of, its bytes)

st.header(t("report.page.title"))
f = st.session_state.filters
if message := loaders.pop_flash():
    st.success(message, icon=":material/check_circle:")
if f.quarter is None:               # an empty database has no quarter to report on
    st.info(t("report.page.empty_db"))
    st.stop()
today, lang, min_cell = loaders.today(), get_language(), loaders.min_cell()
community = plain(st.session_state.community_name)
running = quarter_state(f.quarter, today) == "current"
quarter_label = t("filter.in_progress", quarter=f.quarter) if running else f.quarter
scope = (f.community_id, f.quarter)

published = data.load_published(f.community_id, f.quarter)
live = data.load_live(f.community_id, f.quarter, today)
# The figures the page showed before this run, and those it shows now: a publish click freezes the ones the user saw
# (and checked the narrative and the restatement's table against), never a newer read (any write empties the cache).
shown_before: ReportData | None = st.session_state.get(SHOWN, {}).get(scope)
st.session_state[SHOWN] = {scope: live}
st.caption(t("report.page.caption", community=community, quarter=quarter_label, previous=live.previous_quarter,
             year_ago=live.year_ago_quarter))
section = sections.pick("report", view.SECTIONS)

# The version this page showed the time before: a publish says it restates that one, so if someone else published
# meanwhile the service refuses it (compare-and-set) instead of silently restating a version nobody here has seen.
shown_version = published.version if published is not None else 0
seen_before = st.session_state.setdefault(SEEN, {}).get(scope, shown_version)
st.session_state[SEEN][scope] = shown_version

if published is None and view.is_empty(live):
    st.info(t("report.page.empty", community=community, quarter=quarter_label))
    st.stop()

report: ReportData = data.suppress(published.data if published is not None else live, min_cell)
meta: ReportMeta = data.meta_of(published) if published is not None else ReportMeta(None, live.cut_off)
if published is not None:
    texts = published.narrative.get(lang) or published.narrative.get("zh") or {}
else:
    texts = data.load_draft(f.community_id, f.quarter, today)
publisher = loaders.can(Action.report_publish)
editing = (*scope, lang, shown_version)         # what the narrative editors are editing: a new version's text

if section == "slides":
    report_slides.render(report, meta, min_cell)
    st.stop()


def live_changes_frame() -> pd.DataFrame:
    """The figures that differ between the version shown and today's data, as this viewer may see each side."""
    assert published is not None
    return view.changes_frame(data.changes(published.data, live), old=view.visible(report),
                              new=view.visible(data.suppress(live, min_cell)), min_cell=min_cell)


def version_changes() -> tuple[int, view.Visible, view.Visible]:
    """The version a restatement replaced and what this viewer may see of it and of the restatement."""
    assert published is not None
    previous = published.version - 1
    before = next((p for p in data.load_history(f.community_id, f.quarter) if p.version == previous), None)
    now = view.visible(report)
    # The version before is never deleted; were it missing, its figures are hidden as the current one's are.
    return previous, view.visible(data.suppress(before.data, min_cell)) if before is not None else now, now


def restated() -> None:
    """Under the status line of a restated version: why it was restated and the figures that changed, so the
    parties asked to confirm it see what they confirm (the version's own table, stored when it was published)."""
    assert published is not None
    previous, old, new = version_changes()
    with st.container(border=True, key="report_restated"):
        st.markdown(t("report.page.restated_reason", version=published.version, previous=previous,
                      reason=plain(published.reason)))
        if not published.changes:
            st.caption(t("report.page.restated_unchanged", previous=previous))
            return
        st.caption(t("report.page.restate_changes", version=previous, n=len(published.changes)))
        st.table(plain_table(view.changes_frame(published.changes, old=old, new=new, min_cell=min_cell)),
                 hide_index=True)


def status() -> None:
    line = f"{view.status_text(meta)} · {view.cut_off_text(meta)}"
    if meta.version is None:
        st.info(line, icon=":material/edit_note:")
    else:
        st.success(line, icon=":material/verified:")
    if published is None:
        return
    if published.restated:
        restated()
    changed = data.changes(published.data, live)
    if changed:
        st.warning(t("report.page.live_changed", n=len(changed), version=published.version),
                   icon=":material/update:")
        with st.expander(t("report.page.live_changed_table")):
            st.table(plain_table(live_changes_frame()), hide_index=True)


def file_changes() -> tuple[list[FigureChange], str]:
    """What a restated version's files say of it: its changes as this viewer may see them, and its reason."""
    if published is None or not published.restated:
        return [], ""
    _, old, new = version_changes()
    return view.shown_changes(published.changes, old=old, new=new, min_cell=min_cell), published.reason


def pdf_download(column: DeltaGenerator, name: str, changes: list[FigureChange], reason: str) -> None:
    """The PDF takes LibreOffice seconds and can fail: built on a click, with a spinner and the reason when it
    cannot be made, then offered for download (kept for the session while the figures shown stay the same)."""
    made_of = data.file_key(report, texts, meta, min_cell, changes, reason)
    built = st.session_state.get(PDF)
    if built is not None and built[0] == made_of:
        column.download_button(t("report.page.pdf"), built[1], file_name=f"{name}.pdf", key="report_pdf",
                               on_click="ignore", mime="application/pdf", icon=":material/picture_as_pdf:",
                               width="stretch")
        return
    available = data.pdf_available()
    if column.button(t("report.page.pdf_build"), key="report_pdf_build", icon=":material/picture_as_pdf:",
                     width="stretch", disabled=not available,
                     help=t("report.page.draft_file_help") if meta.version is None else None):
        with st.spinner(t("report.page.pdf_building")):
            try:
                pdf = data.pdf_file(report, texts, meta, min_cell, changes=changes, reason=reason)
            except RuleError as err:
                st.error(rule_message(err), icon=":material/error:")
                return
        st.session_state[PDF] = (made_of, pdf)      # one PDF a session: a new one replaces it
        st.rerun()
    if not available:
        st.caption(t("report.page.pdf_unavailable"))


def downloads() -> None:
    if not loaders.can(Action.export):
        return
    version = t("report.page.file_draft") if meta.version is None else f"v{meta.version}"
    name = f"{t('report.page.file')}_{report.community_code or t('report.page.file_all')}_{f.quarter}_{version}"
    changes, reason = file_changes()
    left, right, _ = st.columns([1, 1, 2])
    left.download_button(t("report.page.handout"),
                         data.handout_file(report, texts, meta, min_cell, changes=changes, reason=reason),
                         file_name=f"{name}.xlsx", key="report_handout", on_click="ignore", mime=XLSX,
                         icon=":material/download:", width="stretch",
                         help=t("report.page.draft_file_help") if meta.version is None else None)
    pdf_download(right, name, changes, reason)


def editor(area: str, text: str, height: int = 330) -> None:
    """The narrative of one area as the social worker edits it before publishing, prefilled with `text` (the draft,
    or the version that stands when restating). The edits are kept for the session per community, quarter, language
    and version (a keyed widget forgets its text while the slideshow is shown instead)."""
    key = f"report_narrative_{area}"
    edits = st.session_state.setdefault(EDITS, {}).setdefault(editing, {})
    if key not in st.session_state or st.session_state.get(f"{key}_for") != editing:
        st.session_state[key] = edits.get(area, text)
        st.session_state[f"{key}_for"] = editing

    def remember() -> None:
        st.session_state[EDITS].setdefault(editing, {})[area] = st.session_state[key]

    st.text_area(t("report.page.narrative_edit"), key=key, height=height, max_chars=data.MAX_NARRATIVE,
                 on_change=remember, help=t("report.page.narrative_edit_help"))


def redraft() -> None:
    """Every editor back to the narrative drafted from today's figures, in both languages (the other one's is
    published from its draft too, not from the version restated)."""
    for language in data.LANGS:
        draft = data.load_draft(f.community_id, f.quarter, today, language)
        st.session_state[EDITS][(*scope, language, shown_version)] = dict(draft)
        if language == lang:
            for area, text in draft.items():
                st.session_state[f"report_narrative_{area}"] = text


def redraft_unedited() -> None:
    """After the figures changed under a publish click: the editors whose text nobody edited start again from the
    new draft (the ones edited keep their text; the user checks them against the new figures)."""
    edited = st.session_state.get(EDITS, {}).get(editing, {})
    for a in live.areas:
        if a.area not in edited:
            st.session_state.pop(f"report_narrative_{a.area}", None)


def narrative(area: str, editable: bool) -> None:
    if editable:
        editor(area, texts.get(area, ""))
        return
    st.markdown(f"**{t('report.page.narrative')}**")
    text = texts.get(area, "")
    st.markdown(plain(text) if text else t("report.page.no_narrative"))
    if meta.version is None:
        st.caption(t("report.page.narrative_draft"))


def area_block(area: AreaReport, editable: bool) -> None:
    with st.container(border=True):
        st.subheader(t(f"report.area.{area.area}"))
        if not area.has_page:
            st.caption(t("report.page.no_page"))
        st.table(plain_table(view.figure_frame(area, report, min_cell)), hide_index=True)
        if view.has_small_base(area):
            st.caption(view.small_base_note())
        left, right = st.columns([3, 2])
        with left:
            # The chart's title above it, not in it: a legend of three quarters that wraps ran into a Plotly title.
            st.markdown(f"**{t(f'report.chart.{area.chart.key}')}**")
            st.plotly_chart(charts.area_chart(view.chart_frame(area.chart, report, min_cell), "", area.chart.kind),
                            width="stretch", key=f"report_chart_{area.area}")
        with right:
            narrative(area.area, editable)


def publish_texts(edited: Sequence[str]) -> dict[str, dict[str, str]]:
    """The narrative in both languages: the page's language as in its editors; the other one as its editors started
    (the version restated, else the draft from today's figures) with whatever was edited in it earlier in this
    session (the language switched meanwhile)."""
    out = {lang: {a: str(st.session_state.get(f"report_narrative_{a}", "")) for a in edited}}
    for other in data.LANGS:
        if other != lang:
            start = (data.restatement_start(published, f.community_id, f.quarter, today, other)[0]
                     if published is not None else data.load_draft(f.community_id, f.quarter, today, other))
            earlier = st.session_state.get(EDITS, {}).get((*scope, other, shown_version), {})
            out[other] = {**start, **earlier}
    return out


def do_publish(reason: str = "") -> None:
    areas = [a.area for a in live.areas]
    # Refused, not published as shown: freezing figures the database no longer holds would make a version that the
    # page at once reports as changed, and needs restating before anyone has confirmed it.
    if shown_before is None or not data.same_figures(shown_before, data.read_live(f.community_id, f.quarter, today)):
        data.forget()
        redraft_unedited()
        st.session_state[REFUSED] = t("report.page.figures_changed")
        st.rerun()
    assert shown_before is not None
    try:
        made = data.publish(shown_before, publish_texts(areas), expected_version=seen_before, reason=reason)
    except RuleError as err:
        data.forget()
        st.error(rule_message(err), icon=":material/block:")
        return
    st.session_state[EDITS].pop(editing, None)
    st.session_state.pop("report_reason", None)
    loaders.flash(t("report.page.published", version=made.version))
    st.rerun()


def refused() -> None:
    if message := st.session_state.pop(REFUSED, None):
        st.error(message, icon=":material/block:")


def first_publish() -> None:
    st.subheader(t("report.page.publish_title"))
    st.caption(t("report.page.publish_help"))
    refused()
    if st.button(t("report.page.publish", version=1), key="report_publish", type="primary",
                 icon=":material/lock:"):
        do_publish()


def restatement() -> None:
    assert published is not None
    following = published.version + 1
    with st.expander(t("report.page.restate_title", version=following), icon=":material/edit_document:"):
        st.caption(t("report.page.restate_help", version=published.version))
        changed = data.changes(published.data, live)
        if changed:
            st.markdown(f"**{t('report.page.restate_changes', version=published.version, n=len(changed))}**")
            st.table(plain_table(live_changes_frame()), hide_index=True)
        else:
            st.info(t("report.page.restate_unchanged", version=published.version))
        st.caption(t("report.page.restate_texts", version=published.version))
        st.button(t("report.page.redraft"), key="report_redraft", on_click=redraft,
                  icon=":material/restart_alt:", help=t("report.page.redraft_help"))
        start, kept = data.restatement_start(published, f.community_id, f.quarter, today, lang)
        for a in live.areas:
            st.markdown(f"**{t(f'report.area.{a.area}')}**")
            if a.area in kept:
                st.warning(t("report.page.restate_kept", version=published.version), icon=":material/edit_note:")
            editor(a.area, start.get(a.area, ""), height=180)
        reason = st.text_area(t("report.page.reason"), key="report_reason", max_chars=1000, height=90,
                              placeholder=t("report.page.reason_placeholder"))
        refused()
        if st.button(t("report.page.restate", version=following), key="report_publish", type="primary",
                     icon=":material/lock:"):
            do_publish(reason.strip())


def confirmations() -> None:
    assert published is not None
    st.subheader(t("report.page.confirmations", version=published.version))
    st.table(plain_table(view.confirmations_frame(published.confirmations)), hide_index=True)
    if not loaders.can(Action.report_confirm):
        return
    kind = data.viewer_party_kind()
    if kind is None:            # an admin of no party (or another): the service would refuse every click
        st.caption(t("report.page.no_party"))
        return
    mine = next((c for c in published.confirmations if c.party_kind == kind), None)
    if mine is not None:
        st.caption(t("report.page.yours", decision=view.decision_label(mine.party_kind, mine.decision),
                     at=view.shanghai(mine.at)))
        return
    verb = "accept" if kind == "government" else "confirm"
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    note = left.text_input(t("report.page.confirm_note"), key="report_confirm_note", max_chars=500)
    if right.button(t(f"report.page.{verb}_button", version=published.version), key="report_confirm",
                    type="primary", icon=":material/task_alt:", width="stretch"):
        try:
            data.confirm(published.id, note=note.strip())
        except RuleError as err:
            data.forget()
            st.error(rule_message(err), icon=":material/block:")
            return
        loaders.flash(t(f"report.page.{verb}_done_flash", version=published.version))
        st.rerun()


def history() -> None:
    st.subheader(t("report.page.history"))
    st.table(plain_table(view.history_frame(data.load_history(f.community_id, f.quarter))), hide_index=True)


st.html(PRINT_CSS)
status()
downloads()
editable = publisher and published is None
for area in report.areas:
    area_block(area, editable)
if min_cell is not None:
    st.caption(view.hidden_note(min_cell))
if publisher and published is None:
    first_publish()
elif publisher:
    restatement()
if published is not None:
    confirmations()
    history()
