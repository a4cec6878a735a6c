"""直播治理诉求: the quarter's requests against the last (three rates and the on-time rate, overdue, by category and
unit, the trend), the list with each request's history and the moves this user may make, and the report-back."""

import streamlit as st

from dashboard import charts, loaders, presenters
from dashboard import loaders_requests as data
from dashboard import presenters_requests as view
from dashboard.access import Action
from dashboard.i18n import t
from dashboard.periods import previous_quarter
from dashboard.queries.requests import RequestFilters
from dashboard.services.errors import RuleError
from dashboard.text import plain, plain_table, rule_message
from data_models.enums import (
    CallbackResult,
    RequestCategory,
    RequestMove,
    RequestOutcome,
    RequestPriority,
    RequestStatus,
    ReturnReason,
)

st.header(t("requests.page.title"))
f = st.session_state.filters
scope = None if f.quarter is None else data.scope(f.community_id, f.quarter)
if f.quarter is None:
    st.info(t("common.no_data"))
    st.stop()
if scope is None:
    st.info(t("requests.page.no_party"), icon=":material/info:")
    st.stop()
if message := loaders.pop_flash():
    st.success(message, icon=":material/check_circle:")
today = loaders.today()
visible = loaders.personal_data_visible()
st.caption(t("overview.caption", community=plain(st.session_state.community_name), quarter=f.quarter,
             previous=previous_quarter(f.quarter)))
if data.own_units_only():
    st.caption(t("requests.page.own_units"))
figures_box = st.container()    # drawn once the list's filters below are known: one load serves the whole page


def forget_form() -> None:
    """Another request opened: its form starts empty (a date typed for the last one must not be reused)."""
    for key in view.FORM_KEYS:
        st.session_state.pop(key, None)


st.subheader(t("requests.page.list"))
if loaders.can(Action.request_write):
    with st.expander(t("requests.page.collect"), icon=":material/add_comment:"):
        if f.community_id is None:
            st.info(t("requests.page.collect_pick_community"), icon=":material/location_city:")
        else:
            lives = data.load_livestream_sessions(f.community_id)
            held = {c: f"{c} · {d} · {n}" for c, d, n in lives.itertuples(index=False)}
            kinds, priorities = view.labels(RequestCategory), view.labels(RequestPriority, "requests.page.no_priority")
            with st.form("requests_collect_form", clear_on_submit=True):
                live_code = st.selectbox(t("requests.page.collect_session"), list(held), key="requests_collect_session",
                                         format_func=held.__getitem__, help=t("requests.page.collect_session_help"))
                left, mid, right, last = st.columns(4)
                new_category = left.selectbox(t("requests.page.col_category"), list(kinds),
                                              key="requests_collect_category", format_func=kinds.__getitem__)
                new_priority = mid.selectbox(t("requests.page.col_priority"), list(priorities),
                                             key="requests_collect_priority", format_func=priorities.__getitem__,
                                             help=t("requests.page.collect_priority_help"))
                new_endorsements = right.number_input(t("requests.page.col_endorsements"), 0, 100_000, 0,
                                                      key="requests_collect_endorsements",
                                                      help=t("requests.page.endorsements_help"))
                new_raised = last.date_input(t("requests.page.col_raised_on"), value=today, max_value=today,
                                             key="requests_collect_raised_on")
                new_text = st.text_area(t("requests.page.col_description"), key="requests_collect_description",
                                        max_chars=1000, help=t("requests.page.collect_description_help"))
                collected = st.form_submit_button(t("requests.page.collect_button"), type="primary",
                                                  disabled=not held)
            if not held:
                st.caption(t("requests.page.no_sessions"))
            if collected and live_code is not None:
                try:
                    new = data.collect(livestream_code=live_code, category=new_category, description=new_text,
                                       endorsements=int(new_endorsements), raised_on=new_raised,
                                       priority=new_priority or None, today=today)
                    st.session_state["requests_pick"] = new.code
                    forget_form()
                    loaders.flash(view.collected_message(new.code, str(new.status), new.quarter))
                    st.rerun()
                except RuleError as err:
                    st.error(rule_message(err))
    if st.button(t("requests.page.escalate"), key="requests_escalate", icon=":material/trending_up:",
                 help=t("requests.page.escalate_help")):
        st.session_state["requests_escalate_preview"] = data.escalation_preview(today)
    preview = st.session_state.get("requests_escalate_preview")
    if preview is not None and not preview:
        st.info(t("requests.page.escalate_none"), icon=":material/check_circle:")
        del st.session_state["requests_escalate_preview"]
    elif preview:
        st.warning(view.escalation_question(preview), icon=":material/trending_up:")
        yes, no, _ = st.columns([2, 1, 4])
        if yes.button(t("requests.page.escalate_confirm", n=len(preview)), key="requests_escalate_yes",
                      type="primary"):
            del st.session_state["requests_escalate_preview"]
            try:
                escalated = data.escalate_overdue(today)
                loaders.flash(view.escalated_message(escalated))
                st.rerun()
            except RuleError as err:
                st.error(rule_message(err))
        if no.button(t("requests.page.escalate_cancel"), key="requests_escalate_no"):
            del st.session_state["requests_escalate_preview"]
            st.rerun()
units = data.load_request_units(scope.party_id)
community_code = loaders.community_code(f.community_id)
if community_code is not None:
    units = units[units["community"].isna() | (units["community"] == community_code)]
unit_names = dict(zip(units["code"], units["name"], strict=True))
left, mid, right, last = st.columns([2, 2, 3, 2], vertical_alignment="bottom")
statuses = view.labels(RequestStatus, "requests.page.all_statuses")
status = left.selectbox(t("requests.page.col_status"), list(statuses), key="requests_status",
                        format_func=statuses.__getitem__)
categories = view.labels(RequestCategory, "requests.page.all_categories")
category = mid.selectbox(t("requests.page.col_category"), list(categories), key="requests_category",
                         format_func=categories.__getitem__)
if st.session_state.get("requests_unit") not in ("", None, *unit_names):
    st.session_state["requests_unit"] = ""        # a unit of another community: the filter starts over
unit_choices = {"": t("requests.page.all_units"), **unit_names}
unit = right.selectbox(t("requests.page.col_unit"), list(unit_choices), key="requests_unit",
                       format_func=unit_choices.__getitem__)
overdue_only = last.toggle(t("requests.page.overdue_only"), key="requests_overdue")
filters = RequestFilters(status or None, category or None, unit or None, overdue_only)
board = data.load_requests_page(scope, filters, today)
summary = board.summary

with figures_box:
    st.subheader(t("requests.page.figures"))
    if view.is_empty(summary.current):
        st.info(t("requests.page.empty_quarter", quarter=f.quarter))
    if summary.unknown_years:
        years = t("requests.page.sep").join(str(y) for y in summary.unknown_years)
        st.warning(t("requests.page.unknown_years", years=years), icon=":material/event_busy:")
    for row in (view.rate_metrics(summary), view.count_metrics(summary)):
        for col, m in zip(st.columns(5), row, strict=True):
            col.metric(m.label, m.value, m.delta, delta_color=m.delta_color, help=m.help)
    st.caption(t("requests.rate.unreasonable_apart", n=summary.current.unreasonable) + " "
               + t("requests.page.resolution_rule"))
    left, right = st.columns(2)
    left.plotly_chart(charts.request_category_chart(view.category_frame(board.by_category),
                                                    t("requests.page.by_category")), width="stretch")
    right.plotly_chart(charts.request_trend_chart(board.trend, t("requests.page.trend")), width="stretch")
    # The ranking across the page: in half of 1280 pixels its rate and numerator/denominator were scrolled away.
    st.markdown(f"**{t('requests.page.by_unit')}**")
    if board.by_unit.empty:
        st.caption(t("chart.empty"))
    else:
        st.dataframe(view.unit_frame(board.by_unit), hide_index=True, width="stretch",
                     height=view.table_height(len(board.by_unit), 300))
    st.caption(t("requests.rate.ranking_help", n=view.MIN_RANKED))

shown = view.list_frame(board.requests, visible)
codes = shown["code"].tolist()


def pick_row() -> None:
    """A row clicked in the list opens that request below."""
    rows = st.session_state["requests_table"].selection.get("rows", [])
    if rows and rows[0] < len(codes):
        st.session_state["requests_pick"] = codes[rows[0]]
        forget_form()


st.caption(t("requests.page.shown", shown=f"{len(shown):,}", total=f"{board.total:,}"))
# A request recorded here has a 12-character code (R + day + number): sized by its Chinese header it was cut.
st.dataframe(presenters.table(shown, view.LIST_COLUMNS), hide_index=True, width="stretch",
             height=view.table_height(len(shown), 400),
             column_config={t("requests.page.col_code"): st.column_config.TextColumn(width=130, pinned=True)},
             key="requests_table", on_select=pick_row, selection_mode="single-row")
extra = view.filters_cover(status, category, unit_names.get(unit, unit) if unit else None, overdue_only)
data.download_requests(scope, filters, today, total=board.total, shown=len(shown), title=t("requests.page.file"),
                       key="requests_xlsx", extra_filters=extra)

gone = loaders.vanished("request", st.session_state.get("requests_pick"), codes, (scope, filters))
if gone is not None:      # moved out of the list (or withdrawn) by someone else since the page showed it
    st.warning(t("forms.row_gone", item=plain(str(gone))), icon=":material/sync_problem:")
if st.session_state.get("requests_pick") not in (None, *codes):
    st.session_state["requests_pick"] = None
pick = st.selectbox(t("requests.page.pick"), codes, index=None, key="requests_pick",
                    placeholder=t("requests.page.pick_placeholder"), help=t("requests.page.pick_help"),
                    on_change=forget_form)
if pick is not None:
    row = shown[shown["code"] == pick].iloc[0]
    detail = data.load_request_detail(pick, scope.party_id)
    if bool(row["unknown_year"]):
        st.warning(t("requests.deadline_unknown_year", deadline=str(row["deadline"]), years=row["deadline"].year),
                   icon=":material/event_busy:")
    left, right = st.columns([2, 3])
    left.table(plain_table(view.detail_facts(row, detail, visible), keep="" if visible else "*"), hide_index=True)
    with right:
        st.markdown(f"**{t('requests.page.history')}**")
        history = view.history_frame(data.load_request_history(pick, scope.party_id), visible)
        st.dataframe(presenters.table(history, view.HISTORY_COLUMNS), hide_index=True, width="stretch")

    st.markdown(f"**{t('requests.page.act')}**")
    # The form acts on the request as the last run drew it: the click's own run may read it as someone else left it.
    version = loaders.as_shown("request", pick, int(row["version"]))
    moves = loaders.as_drawn("request-moves", pick, data.request_moves(pick, int(row["version"])))
    if not (loaders.can(Action.request_write) or loaders.can(Action.request_handle)):
        st.caption(t("access.read_only"), help=t("access.read_only_help"))
    elif not moves:
        st.caption(t("requests.page.no_moves", status=t(f"enum.RequestStatus.{row['status']}")))
    else:
        if st.session_state.get("requests_move") not in moves:
            st.session_state["requests_move"] = moves[0]
        step = st.radio(t("requests.page.move"), moves, key="requests_move", horizontal=True,
                        format_func=view.move_labels(moves).__getitem__)
        # Any active unit of the request's community (or above communities) may receive it, not only the user's.
        own = data.load_request_units(None)
        own = own[own["community"].isna() | (own["community"] == (detail or {}).get("community_code"))]
        names = dict(zip(own["code"], own["name"], strict=True))
        fields: dict[str, object] = {}
        with st.form("requests_move_form"):
            if step == RequestMove.classify:
                kinds, priorities = view.labels(RequestCategory), view.labels(RequestPriority)
                fields["category"] = st.selectbox(
                    t("requests.page.col_category"), list(kinds), key="requests_new_category",
                    index=list(kinds).index(row["category"]), format_func=kinds.__getitem__)
                fields["priority"] = st.selectbox(
                    t("requests.page.col_priority"), list(priorities), key="requests_priority",
                    index=list(priorities).index(row["priority"]), format_func=priorities.__getitem__,
                    help=t("requests.page.priority_help"))
            if step in (RequestMove.route, RequestMove.transfer):
                key = "lead_unit_code" if step == RequestMove.route else "to_unit_code"
                fields[key] = st.selectbox(t("requests.page.lead_unit"), list(names), key="requests_lead",
                                           index=None, format_func=names.__getitem__,
                                           placeholder=t("requests.page.pick_unit"))
                supports = st.multiselect(t("requests.page.support_units"), list(names), key="requests_support",
                                          format_func=names.__getitem__, placeholder=t("requests.page.pick_units"))
                fields["support_unit_codes"] = supports if step == RequestMove.route or supports else None
            if step == RequestMove.transfer:
                fields["reason"] = st.text_input(t("requests.page.transfer_reason"), key="requests_transfer_reason",
                                                 max_chars=500)
            if step == RequestMove.finish:
                outcomes = view.labels(RequestOutcome)
                fields["outcome"] = st.selectbox(t("requests.page.col_outcome"), list(outcomes), key="requests_outcome",
                                                 format_func=outcomes.__getitem__, help=t("requests.page.outcome_help"))
                fields["resolution"] = st.text_area(t("requests.page.col_resolution"), key="requests_resolution",
                                                    max_chars=500)
            if step == RequestMove.send_back:
                reasons = view.labels(ReturnReason)
                fields["reason_code"] = st.selectbox(t("requests.page.col_reason"), list(reasons),
                                                     key="requests_reason", format_func=reasons.__getitem__)
                fields["note"] = st.text_input(t("requests.page.col_note"), key="requests_note", max_chars=500)
            if step == RequestMove.reopen:
                fields["note"] = st.text_input(t("requests.page.reopen_note"), key="requests_reopen_note",
                                               max_chars=500)
            if step == RequestMove.callback:
                results = view.labels(CallbackResult)
                fields["result"] = st.selectbox(t("requests.page.col_result"), list(results), key="requests_result",
                                                format_func=results.__getitem__)
                fields["tries"] = st.number_input(t("requests.page.col_tries"), 1, 10, 1, key="requests_tries",
                                                  help=t("requests.page.tries_help"))
            if step == RequestMove.report:
                sessions = data.load_livestream_sessions(int(detail["community_id"])) if detail else None
                held = {} if sessions is None else {c: f"{c} · {d} · {n}" for c, d, n in sessions.itertuples(
                    index=False)}
                fields["livestream_code"] = st.selectbox(t("requests.page.session"), list(held), key="requests_session",
                                                         format_func=held.__getitem__)
            on = st.date_input(t("requests.page.on"), value=today, max_value=today, key="requests_on") \
                if step in view.DATED else None
            submitted = st.form_submit_button(view.move_label(step), type="primary")
        if submitted:
            try:
                moved = data.move(pick, RequestMove(step), version=version, on=on, today=today,
                                  **fields)
                loaders.flash(view.moved_message(pick, step, str(moved.status)))
                st.rerun()
            except RuleError as err:
                if err.key == "requests.changed_meanwhile":
                    data.forget_request()
                    loaders.forget_shown("request", pick)
                    loaders.forget_shown("request-moves", pick)
                st.error(rule_message(err))

st.subheader(t("requests.page.report_back"))
if data.own_units_only():
    st.caption(t("requests.page.report_back_units"))
elif f.community_id is None:
    st.info(t("requests.page.pick_community"), icon=":material/location_city:")
else:
    queue = data.load_report_back(f.community_id, today)
    due = queue[queue["needs_report"]]
    st.caption(t("requests.page.queue", n=len(queue), due=len(due)))
    st.dataframe(presenters.table(view.queue_frame(queue, visible), view.QUEUE_COLUMNS), hide_index=True,
                 width="stretch", height=view.table_height(len(queue), 400))
    shown_versions = loaders.as_shown_all("request-report", due["code"], due["version"])
    if loaders.can(Action.request_write) and not due.empty:
        sessions = data.load_livestream_sessions(f.community_id)
        held = {c: f"{c} · {d} · {n}" for c, d, n in sessions.itertuples(index=False)}
        with st.form("requests_report_form", clear_on_submit=True):
            chosen = st.multiselect(t("requests.page.report_codes"), due["code"].tolist(), key="requests_report_codes",
                                    help=t("requests.page.report_codes_help"),
                                    placeholder=t("requests.page.pick_codes"))
            live = st.selectbox(t("requests.page.session"), list(held), key="requests_report_session",
                                format_func=held.__getitem__)
            reported = st.form_submit_button(t("requests.page.report_button"), type="primary")
        if reported:
            done, refused = [], []
            for code in chosen:
                try:
                    data.move(code, RequestMove.report, version=shown_versions[code], on=None, today=today,
                              livestream_code=live)
                    done.append(code)
                except RuleError as err:
                    refused.append(rule_message(err))
            if refused:
                data.forget_request()
                if done:
                    st.success(t("requests.page.reported", n=len(done), session=live))
                for message in refused:
                    st.error(message)
            elif done:
                loaders.flash(t("requests.page.reported", n=len(done), session=live))
                st.rerun()
    st.markdown(f"**{t('requests.page.readout')}**")
    st.caption(t("requests.page.readout_help"))
    text = view.readout(data.load_readout(f.community_id, "zh", today), visible)
    st.code(text, language=None, wrap_lines=True)
    if loaders.can(Action.export):        # a file, as every export: not for viewers (the README's matrix)
        st.download_button(t("requests.page.readout_download"), text.encode("utf-8"),
                           file_name=f"{t('requests.page.readout_file')}_{community_code}_{today.isoformat()}.txt",
                           mime="text/plain", key="requests_readout_txt", on_click="ignore",
                           icon=":material/download:")
