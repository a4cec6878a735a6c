"""需求评估: the two-way data board — figures beside last quarter and the papers, who the practitioners are,
their needs and the closed loop, working a need, and one practitioner's strengths-based profile."""


import streamlit as st

from dashboard import charts, loaders, presenters
from dashboard import presenters_needs as view
from dashboard.access import Action
from dashboard.i18n import fmt_int, t
from dashboard.periods import previous_quarter
from dashboard.queries import Scope
from dashboard.queries.needs_board import DIMENSIONS
from dashboard.services import needs as needs_service
from dashboard.services.errors import RuleError
from dashboard.text import plain, plain_table, rule_message
from data_models.enums import NeedCategory, Severity

st.header(t("needs.title"))
f = st.session_state.filters
if f.quarter is None:
    st.info(t("common.no_data"))
    st.stop()
if message := loaders.pop_flash():
    st.success(message, icon=":material/check_circle:")
if not loaders.load_has_data(f.community_id, f.quarter):  # the charts draw empty; the forms stay usable
    st.info(t("common.no_data"))


def pick_slice(dimension: str, chart_key: str, codes: list[str]) -> None:
    """A bar clicked on a composition chart becomes the page's slice."""
    points = st.session_state[chart_key].selection.get("points", [])
    if points:
        st.session_state["needs_drill"] = f"{dimension}:{codes[points[0]['point_index']]}"


drill_text = st.session_state.get("needs_drill")
drill = tuple(drill_text.split(":", 1)) if drill_text else None
data = loaders.load_needs_page(Scope(f.community_id, f.quarter, drill), loaders.today())  # type: ignore[arg-type]
slices = [""] + [f"{d}:{c}" for d in DIMENSIONS for c in data.composition[d]["code"]]
if drill_text and drill_text not in slices:
    slices.append(drill_text)
left, right = st.columns([3, 2])
left.caption(t("overview.caption", community=plain(st.session_state.community_name), quarter=f.quarter,
               previous=previous_quarter(f.quarter)))
# Options worded now, in this run's language; "" (all) rather than None so a language switch relabels it.
slice_labels = {s: t("needs.drill_slice", dimension=t(f"needs.dim.{s.split(':')[0]}"),
                     value=view.code_label(*s.split(":", 1))) if s else t("needs.drill_none") for s in slices}
right.selectbox(t("needs.drill"), slices, key="needs_drill", help=t("needs.drill_hint"), format_func=slice_labels.get)

st.subheader(t("needs.figures"))
min_cell = loaders.min_cell()
metrics = view.needs_metrics(data.board, min_cell)
for row in (metrics[:5], metrics[5:]):
    for col, m in zip(st.columns(5), row, strict=True):
        col.metric(m.label, m.value, m.delta, delta_color=m.delta_color, help=m.help)

st.subheader(t("needs.composition"))
if min_cell is not None:
    st.caption(t("needs.small_cells_note", n=min_cell))
for row in (DIMENSIONS[:3], DIMENSIONS[3:]):
    for col, dim in zip(st.columns(3), row, strict=False):
        frame = view.composition_frame(dim, data.composition[dim], min_cell)
        chart_key = f"needs_chart_{dim}"
        col.plotly_chart(
            charts.composition_chart(frame, t(f"needs.dim.{dim}"), drill[1] if drill and drill[0] == dim else None),
            width="stretch", key=chart_key, on_select=lambda d=dim, k=chart_key, c=list(frame["code"]):
            pick_slice(d, k, c), selection_mode="points")

st.subheader(t("needs.needs"))
withheld = view.slice_withheld(data.board, min_cell)     # a slice of so few people: its need counts are not shown
if withheld:
    st.info(t("needs.suppressed", n=min_cell), icon=":material/visibility_off:")
else:
    left, right = st.columns(2)
    with left:
        by = st.radio(t("needs.heat_by"), ["employment_type", "group"], key="needs_heat_by", horizontal=True,
                      format_func={d: t(f"needs.dim.{d}") for d in ("employment_type", "group")}.get)
        heat = view.heatmap_frame(data.heatmap[by], by, min_cell)
        st.plotly_chart(charts.heatmap_chart(heat, t("needs.heat_title"), view.heatmap_text(heat, min_cell)),
                        width="stretch")
    right.plotly_chart(charts.severity_trend_chart(data.trend, t("needs.trend_title")), width="stretch")
if not withheld:                 # nor the loop or the open needs of so few people
    left, right = st.columns([2, 3])
    left.plotly_chart(charts.loop_funnel_chart(view.funnel_frame(data.funnel), t("needs.funnel_title")),
                      width="stretch")
    with right:
        st.markdown(f"**{t('needs.backlog', shown=fmt_int(len(data.backlog)), total=fmt_int(data.backlog_total))}**")
        backlog = view.masked(data.backlog, loaders.personal_data_visible())
        st.dataframe(presenters.table(backlog, view.BACKLOG_COLUMNS), hide_index=True, width="stretch", height=330)
        loaders.download_backlog(Scope(f.community_id, f.quarter, drill), loaders.today(),  # type: ignore[arg-type]
                                 total=data.backlog_total, shown=len(data.backlog), title=t("needs.backlog_file"),
                                 key="needs_backlog_xlsx", extra_filters={t("needs.drill"): view.code_label(*drill)}
                                 if drill else None)

st.subheader(t("needs.work"))
if not loaders.can(Action.need_write):
    st.caption(t("access.read_only"), help=t("access.read_only_help"))
else:
    left, right = st.columns(2)
    with left, st.form("needs_record_form", clear_on_submit=True):
        st.markdown(f"**{t('needs.record')}**")
        code = st.text_input(t("needs.practitioner_code"), key="needs_new_practitioner")
        category = st.selectbox(t("needs.col_category"), [c.value for c in NeedCategory],
                                key="needs_new_category",
                                format_func={c.value: t(f"enum.NeedCategory.{c}") for c in NeedCategory}.get)
        severity = st.selectbox(t("needs.col_severity"), [s.value for s in Severity], index=1,
                                key="needs_new_severity",
                                format_func={s.value: t(f"enum.Severity.{s}") for s in Severity}.get)
        description = st.text_area(t("needs.col_description"), key="needs_new_description", max_chars=500)
        identified_on = st.date_input(t("needs.date"), value=loaders.today(), key="needs_new_date")
        if st.form_submit_button(t("needs.record_button"), type="primary"):
            try:
                need = loaders.write(needs_service.record_need, permission=Action.need_write,
                                     practitioner_code=code, category=category, severity=severity,
                                     description=description, identified_on=identified_on,
                                     actor=loaders.current_actor(), today=loaders.today())
                loaders.flash(t("needs.recorded", code=need.code))
                st.rerun()
            except RuleError as err:
                st.error(rule_message(err))
    with right, st.form("needs_advance_form"):
        st.markdown(f"**{t('needs.advance')}**")
        need_code = st.text_input(t("needs.need_code"), key="needs_move_code", help=t("needs.need_code_help"))
        target = st.selectbox(t("needs.to_status"), [s.value for s in needs_service.LOOP[1:]],
                              key="needs_move_to",
                              format_func={s.value: t(f"enum.NeedStatus.{s}") for s in needs_service.LOOP}.get)
        on = st.date_input(t("needs.date"), value=loaders.today(), key="needs_move_date")
        satisfaction = st.slider(t("needs.satisfaction"), 1, 5, 4, key="needs_move_satisfaction",
                                 help=t("needs.satisfaction_help"))
        note = st.text_input(t("needs.note"), key="needs_move_note")
        if st.form_submit_button(t("needs.advance_button"), type="primary"):
            try:
                loaders.write(needs_service.advance_need, permission=Action.need_write,
                              need_code=need_code.strip(), to_status=target, on=on,
                              actor=loaders.current_actor(), today=loaders.today(),
                              satisfaction=satisfaction if target == "feedback" else None, note=note)
                loaders.flash(t("needs.advanced", code=plain(need_code.strip()),
                                status=t(f"enum.NeedStatus.{target}")))
                st.rerun()
            except RuleError as err:
                st.error(rule_message(err))

st.subheader(t("needs.profile"))
if loaders.meeting_mode():   # one person's birth year, income and needs are not for the projector
    st.info(t("needs.profile_hidden"), icon=":material/visibility_off:")
    st.stop()
search = st.text_input(t("needs.search"), key="needs_search", help=t("needs.search_help"))
matches = loaders.load_practitioner_matches(f.community_id, search) if search.strip() else None
if matches is not None and matches.empty:
    st.info(t("needs.no_match"))
elif matches is not None:
    visible = loaders.personal_data_visible()
    names = dict(zip(matches["code"], matches["name"], strict=True))
    picked = st.selectbox(t("needs.pick"), list(names), key="needs_pick",
                          format_func=lambda c: f"{c} {names[c] if visible else view.mask_name(names[c])}")
    card = loaders.load_practitioner_card(picked) if picked else None
    if card is not None:
        left, right = st.columns([2, 3])
        # Masked values keep their own * unescaped; everything else is the practitioner's data, shown as text.
        left.table(plain_table(view.profile_facts(card.basics, card.groups, visible), keep="" if visible else "*"),
                   hide_index=True)
        with right:
            st.markdown(t("needs.strengths_line", label=t("needs.strengths"),
                          value=plain(card.basics["strengths"]) or "—"))
            st.plotly_chart(charts.income_chart(card.income, t("needs.income_title")), width="stretch")
        st.markdown(f"**{t('needs.history')}**")
        st.dataframe(presenters.table(card.needs, view.PROFILE_NEEDS_COLUMNS), hide_index=True, width="stretch")
        loaders.download_table(card.needs, view.PROFILE_NEEDS_COLUMNS, title=f"{picked}_{t('needs.history')}",
                               key="needs_history_xlsx")
        st.markdown(f"**{t('needs.moves')}**")
        st.dataframe(presenters.table(card.events, view.PROFILE_EVENT_COLUMNS), hide_index=True, width="stretch")
        st.markdown(f"**{t('needs.training')}**")
        st.dataframe(presenters.table(card.training, view.TRAINING_COLUMNS), hide_index=True, width="stretch")
        loaders.download_table(card.training, view.TRAINING_COLUMNS, title=f"{picked}_{t('needs.training')}",
                               key="needs_training_xlsx")

