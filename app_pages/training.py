"""培训成效: the funnel from enrolment to income for the sidebar's community and quarter against the last and paper 002,
the four Kirkpatrick levels, courses and vulnerable groups compared, the follow-up work list, certificates, subsidy.

One section at a time: Streamlit runs the body of every st.tabs tab on each rerun, so seven tabs loaded seven
sections' data per click. The picker is keyed, kept for the session and named in the URL (?section=followups)."""

import pandas as pd
import streamlit as st

from app_pages import sections
from dashboard import charts_training as charts
from dashboard import loaders
from dashboard import loaders_training as data
from dashboard import presenters_training as view
from dashboard.access import Action
from dashboard.i18n import fmt_int, fmt_yuan, t
from dashboard.periods import previous_quarter, quarter_state
from dashboard.presenters import yuan_to_cents
from dashboard.queries import Scope
from dashboard.services.errors import RuleError
from dashboard.services.followups import Answer
from dashboard.text import plain, plain_table, rule_message
from data_models.enums import EmploymentStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

st.header(t("training.title"))
f = st.session_state.filters
if message := loaders.pop_flash():
    st.success(message, icon=":material/check_circle:")
today = loaders.today()
visible, min_cell = loaders.personal_data_visible(), loaders.min_cell()
scope = Scope(f.community_id, f.quarter)
quarter = f.quarter or t("filter.all_quarters")
if f.quarter is not None and quarter_state(f.quarter, today) == "current":
    quarter = t("filter.in_progress", quarter=f.quarter)
st.caption(t("overview.caption", community=plain(st.session_state.community_name), quarter=quarter,
             previous=previous_quarter(f.quarter) if f.quarter else "—"))

section = sections.pick("training", view.SECTIONS)


def has_data() -> bool:
    if f.quarter is not None and data.load_has_training(scope):
        return True
    st.info(t("training.empty", quarter=quarter))
    return False


def outcomes() -> None:
    board = data.load_outcomes(scope, today)
    if view.is_empty(board.current):     # courses in the quarter, nobody enrolled in it (yet)
        st.info(t("training.empty", quarter=quarter))
    for col, m in zip(st.columns(6), view.headline(board.current, board.previous), strict=True):
        col.metric(m.label, m.value, m.delta, help=m.help,
                   delta_color=m.delta_color)  # type: ignore[arg-type]  # Metric keeps it a str
    st.caption(view.reach_line(board.current) + " " + t("training.unreachable_apart"))
    st.markdown(f"**{t('training.paper.title')}**")
    # st.table reads Markdown: "> 85%" would be a quote and "2400~3500" a strikethrough.
    st.table(plain_table(view.paper_frame(board.current, view.group_funnel(board.groups, "disabled"),
                                          view.income_after(data.load_income_reported(scope, today)))),
             hide_index=True)
    st.subheader(t("training.funnel"))
    left, right = st.columns(2)
    left.plotly_chart(charts.funnel_chart(view.chart_steps(board.current, min_cell), ""), width="stretch")
    right.table(plain_table(view.steps_frame(board.current, min_cell)), hide_index=True)
    dims = {d: t(f"training.by.{d}") for d in view.DIMENSIONS}
    by = st.segmented_control(t("training.by_label"), list(dims), key="training_by", default="level",
                              format_func=dims.__getitem__) or "level"
    frame = board.by.get(by)
    if frame is None or frame.empty:
        st.caption(t("chart.empty"))
    else:
        st.plotly_chart(charts.rates_chart(view.rates_long(frame, by, min_cell),
                                           t("training.by_title", by=dims[by])), width="stretch")
        st.dataframe(view.breakdown_frame(frame, by, min_cell), hide_index=True, width="stretch")
    st.caption(t("training.small_base", n=view.SMALL_BASE, warn=view.WARN))
    if min_cell is not None:
        st.caption(t("training.hidden", n=min_cell))


def levels() -> None:
    board = data.load_levels(scope, today)
    st.subheader(t("training.level1"))
    st.caption(t("training.level1_help"))
    # The subheader names each chart: a chart title repeating it would say it twice.
    st.plotly_chart(charts.reaction_chart(view.reaction_long(board.reaction, min_cell), ""), width="stretch")
    st.subheader(t("training.level2"))
    st.caption(t("training.level2_help"))
    st.plotly_chart(charts.gain_chart(view.gain_points(board.learning, min_cell), ""), width="stretch")
    st.dataframe(view.learning_frame(board.learning, min_cell), hide_index=True, width="stretch")
    st.subheader(t("training.level3"))
    st.caption(t("training.level3_help"))
    st.table(plain_table(view.behaviour_frame(board.behaviour, min_cell)), hide_index=True)
    st.subheader(t("training.level4"))
    st.caption(t("training.level4_help"))
    st.table(plain_table(view.income_frame(board.income_reported, board.income_verified, min_cell)), hide_index=True)
    if min_cell is not None:
        st.caption(t("training.hidden", n=min_cell))


def courses() -> None:
    table = data.load_courses(scope, today)
    st.caption(t("training.courses_help", n=view.SMALL_BASE, warn=view.WARN))
    st.dataframe(view.course_frame(table, min_cell), hide_index=True, width="stretch")
    if loaders.can(Action.export) and not table.empty:
        titles = dict(zip(table["code"], table["title"], strict=True))
        left, right = st.columns([3, 2], vertical_alignment="bottom")
        code = left.selectbox(t("training.roster_course"), list(titles), key="training_roster_course",
                              format_func=lambda c: f"{c} · {titles[c]}")
        right.download_button(t("training.roster_download"), data.roster_file(code),
                              file_name=f"{t('training.roster_file')}_{code}.xlsx", key="training_roster",
                              on_click="ignore", icon=":material/download:", mime=XLSX)


def groups() -> None:
    table = data.load_groups(scope, today)
    st.caption(t("training.groups_help"))
    st.plotly_chart(charts.rates_chart(view.rates_long(table, "group", min_cell), t("training.groups")),
                    width="stretch")
    st.dataframe(view.groups_frame(table, min_cell), hide_index=True, width="stretch")
    st.caption(t("training.small_base", n=view.SMALL_BASE, warn=view.WARN))
    if min_cell is not None:
        st.caption(t("training.hidden", n=min_cell))


def followups() -> None:
    st.subheader(t("training.worklist"))
    st.caption(t("training.worklist_help"))
    work = data.load_worklist(f.community_id, today, visible)
    total = data.load_worklist_count(f.community_id, today) if len(work) >= data.WORKLIST_LIMIT else len(work)
    if total > len(work):
        capped = "training.worklist_capped" if f.community_id is not None else "training.worklist_capped_all"
        st.caption(t(capped, shown=fmt_int(len(work)), total=fmt_int(total)))
    st.dataframe(view.worklist_frame(work), hide_index=True, width="stretch")
    if not loaders.can(Action.followup_record):
        st.caption(t("access.read_only"), help=t("access.read_only_help"))
        return
    if st.session_state.pop("training_find_clear", False):     # a saved follow-up leaves the box empty
        st.session_state["training_find"] = ""
    code = st.text_input(t("training.find"), key="training_find", max_chars=20, placeholder="E01234",
                         help=t("training.find_help")).strip()
    if code:
        work = data.find_followups(code, f.community_id, today)
        if work.empty:
            st.info(t("training.find_none", code=plain(code)))
            return
    elif work.empty:
        st.caption(t("training.worklist_empty"))
        return
    followup_form(work, (f.community_id, code))


def followup_form(work: pd.DataFrame, context: object) -> None:
    choices = view.worklist_choices(work)
    # The follow-up picked was recorded (or moved) by someone else since the page showed it: the choice would fall to
    # the first of the list, and the click on the form would record it there. Say so, and draw no form this run.
    gone = loaders.vanished("followup", st.session_state.get("training_pick"), choices, context)
    if gone is not None:
        st.session_state.pop("training_pick", None)
        st.warning(t("forms.row_gone", item=t("training.form.pick") + f" #{gone}"), icon=":material/sync_problem:")
        return
    pick = st.selectbox(t("training.form.pick"), list(choices), key="training_pick", format_func=choices.__getitem__)
    row = work[work["followup_id"] == pick].iloc[0]
    shown = loaders.as_shown("followup", int(pick), int(row["version"]))
    if str(row.get("status", "pending")) == "unreachable":      # only "reached" may follow a given-up follow-up
        st.caption(t("training.form.unreachable_note"))
        outcome = "reached"
    else:
        outcomes = {k: t(f"training.form.{k}") for k in ("reached", "try")}
        outcome = st.radio(t("training.form.outcome"), list(outcomes), key="training_outcome", horizontal=True,
                           format_func=outcomes.__getitem__) or "reached"
    jobs = view.labels(EmploymentStatus)
    with st.form("training_followup_form"):
        on = st.date_input(t("training.form.on"), value=today, max_value=today, key="training_on")
        if outcome == "reached":
            left, mid, right = st.columns(3)
            employment = left.selectbox(t("training.form.employment"), list(jobs), key="training_employment",
                                        format_func=jobs.__getitem__)
            store = {"": t("training.form.unknown"), "yes": t("common.yes"), "no": t("common.no")}
            opened = mid.selectbox(t("training.form.opened_store"), list(store), key="training_store",
                                   format_func=store.__getitem__)
            streams = right.number_input(t("training.form.livestreams"), 0, 50, value=None, step=1,
                                         key="training_streams")
            income = st.number_input(t("training.form.income"), 0.0, 1_000_000.0, value=None, step=100.0,
                                     key="training_income", help=t("training.form.income_help"))
        note = st.text_input(t("training.form.note"), key="training_note", max_chars=500)
        submitted = st.form_submit_button(t("training.form.submit"), type="primary")
    if not submitted:
        return
    try:
        if outcome == "reached":
            answer = Answer(employment=employment, opened_store=None if not opened else opened == "yes",
                            livestreams_per_week=None if streams is None else int(streams),
                            income_cents=None if income is None else yuan_to_cents(income), note=note)
            done = data.record_reached(int(pick), version=shown, on=on, answer=answer, today=today)
        else:
            done = data.record_try(int(pick), version=shown, on=on, note=note, today=today)
    except RuleError as err:
        data.forget()
        st.error(rule_message(err))
        return
    loaders.flash(t("training.form.saved", who=choices[int(pick)], status=t(f"enum.FollowupStatus.{done.status}")))
    st.session_state["training_find_clear"] = True
    st.rerun()      # the picker is keyed: the page comes back on this section


def certificates() -> None:
    st.subheader(t("training.cert.title"))
    with st.form("training_cert_form"):
        number = st.text_input(t("training.cert.number"), key="training_cert_number", max_chars=40,
                               placeholder="ZS-2026-00001234-7", help=t("training.cert.help"))
        checked = st.form_submit_button(t("training.cert.check"))
    if checked and number.strip():
        kind, text = view.verdict_text(data.verify_certificate(number))
        getattr(st, kind)(plain(text))
    if not loaders.can(Action.certificate_revoke):
        return
    with st.expander(t("training.cert.revoke_title"), icon=":material/block:"):
        with st.form("training_revoke_form"):
            revoke_number = st.text_input(t("training.cert.number"), key="training_revoke_number", max_chars=40)
            reason = st.text_input(t("training.cert.reason"), key="training_revoke_reason", max_chars=200)
            revoked = st.form_submit_button(t("training.cert.revoke"), type="primary")
        if revoked:
            try:
                data.revoke(revoke_number, reason=reason, on=today, today=today)
            except RuleError as err:
                st.error(rule_message(err))
                return
            loaders.flash(t("training.cert.revoked_done", number=plain(revoke_number)))
            st.rerun()


def subsidy() -> None:
    st.subheader(t("training.subsidy"))
    st.caption(t("training.subsidy_help"))
    if f.quarter is None:
        st.info(t("common.no_data"))
        return
    subsidies = data.load_subsidies(scope, today)
    totals = view.subsidy_totals(subsidies)
    for col, state in zip(st.columns(3), view.SUBSIDY_STATES, strict=True):
        col.metric(t(f"training.col.{state}"), fmt_yuan(totals[state]), help=t(f"training.subsidy.{state}_help"))
    if subsidies.empty:
        st.info(t("training.empty", quarter=quarter))
    else:
        st.dataframe(view.subsidy_frame(subsidies), hide_index=True, width="stretch")
    if loaders.can(Action.export):
        st.download_button(t("training.subsidy_download"), data.subsidy_file(scope, today),
                           file_name=f"{t('training.subsidy_file')}_{f.quarter}.xlsx", key="training_subsidy_xlsx",
                           on_click="ignore", icon=":material/download:", mime=XLSX)


# The data sections need enrolments in the quarter; the work list, the certificate check and subsidy do not.
if section == "outcomes" and has_data():
    outcomes()
elif section == "levels" and has_data():
    levels()
elif section == "courses" and has_data():
    courses()
elif section == "groups" and has_data():
    groups()
elif section == "followups":
    followups()
elif section == "certificates":
    certificates()
elif section == "subsidy":
    subsidy()
