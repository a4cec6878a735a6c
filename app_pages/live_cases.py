"""直播现场 · 五步协商: the cases with their step and overdue checks; one case's five steps, requests, parties, record,
measures and checks; the form of its next step only (for roles that may write cases); a new case from the
community's 已分类 dispute requests."""

import datetime as dt
import re
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import loaders
from dashboard import loaders_cases as data
from dashboard import presenters_live as view
from dashboard.access import Action
from dashboard.i18n import get_language, label, t
from dashboard.privacy import mask_text
from dashboard.services.errors import RuleError
from dashboard.text import plain, plain_table, rule_message
from data_models.enums import CaseCheckKind, CasePartyKind, CaseStep, RequestCategory, RequestStatus

STEPS = (CaseStep.collection, CaseStep.invitation, CaseStep.meeting, CaseStep.solution, CaseStep.supervision)
NAMES = re.compile(r"[、,，;；\n]+")


def _date(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else ""


def _overdue(row: Any) -> str:
    if row.step == CaseStep.closed or not (row.overdue_checks or row.overdue_feedback):   # closed: nothing due
        return ""
    return t("live.cases.overdue_mark", checks=int(row.overdue_checks), feedback=int(row.overdue_feedback))


def _case_table(cases: pd.DataFrame, all_communities: bool) -> pd.DataFrame:
    """The list as st.dataframe shows it (options and dataframe cells are drawn as text, never as Markdown)."""
    out = pd.DataFrame({
        t("live.cases.col.code"): cases["code"],
        **({t("live.cases.col.community"): cases["community"]} if all_communities else {}),
        t("live.cases.col.title"): cases["title"],
        t("live.cases.col.step"): [label(CaseStep(s)) for s in cases["step"]],
        t("live.cases.col.opened_on"): [_date(d) for d in cases["opened_on"]],
        t("live.cases.col.updated_on"): [_date(d) for d in cases["updated_on"]],
        t("live.cases.col.requests"): cases["requests"].astype(int),
        t("live.cases.col.overdue"): [_overdue(r) for r in cases.itertuples(index=False)],
        t("live.cases.col.next"): [" / ".join(x for x in (_date(a), _date(b)) if x)
                                   for a, b in zip(cases["next_check"], cases["next_feedback"], strict=True)],
    })
    return out          # st.dataframe draws text as it is (no Markdown): nothing to escape


def _done(message: str) -> None:
    loaders.flash(message)
    st.rerun()


def _progress(step: CaseStep) -> None:
    """The five steps as a line: done ✓, the current one marked, the rest to come."""
    at = len(STEPS) if step == CaseStep.closed else STEPS.index(step)
    cols = st.columns(len(STEPS))
    for i, (col, s) in enumerate(zip(cols, STEPS, strict=True)):
        mark = "✓" if i < at else ("●" if i == at else "○")
        col.markdown(f"**{mark} {label(s)}**" if i == at else f"{mark} {label(s)}")


def _open_form(community_id: int, today: dt.date) -> None:
    requests = data.load_dispute_requests(community_id)
    with st.expander(t("live.cases.open.title"), icon=":material/diversity_3:", expanded=False):
        if requests.empty:
            st.info(t("live.cases.open.none"))
            return
        names = {r.code: f"{r.code} · {label(RequestCategory(r.category))} · {r.description[:40]}"
                 for r in requests.itertuples(index=False)}
        shown = loaders.as_shown_all("request", requests["code"], requests["version"])
        with st.form("live_cases_open_form"):
            picked = st.multiselect(t("live.cases.open.requests"), list(names), key="live_cases_open_requests",
                                    format_func=names.__getitem__)
            title = st.text_input(t("live.cases.open.case_title"), key="live_cases_open_title", max_chars=200)
            summary = st.text_area(t("live.cases.open.summary"), key="live_cases_open_summary", max_chars=1000)
            on = st.date_input(t("live.cases.on"), value=today, max_value=today, key="live_cases_open_on")
            confirm = st.checkbox(t("live.cases.open.confirm_other"), key="live_cases_open_confirm")
            submitted = st.form_submit_button(t("live.cases.open.submit"), type="primary")
        others = set(requests.loc[~requests["dispute"], "code"])
        if submitted:
            versions = shown
            try:
                code = data.open_case(request_codes=picked, versions=[int(versions[c]) for c in picked],
                                      title=title, summary=summary, on=on, today=today,
                                      confirm_other=confirm)
                st.session_state["live_cases_pick"] = code
                _done(t("live.cases.done_open", code=code))
            except RuleError as err:
                st.error(rule_message(err))
                if set(picked) & others:
                    st.caption(t("live.cases.open.other_note"))


def _facts(detail: Any) -> None:
    case = detail.case
    if case["summary"]:
        st.markdown(f"**{t('live.cases.summary')}**")
        st.text(case["summary"])
    st.markdown(f"**{t('live.cases.requests')}**")
    reqs = detail.requests
    table = pd.DataFrame({t("requests.page.col_code"): reqs["code"],
                          t("requests.page.col_description"): reqs["description"],
                          t("requests.page.col_status"): [label(RequestStatus(s)) for s in reqs["status"]]})
    st.table(plain_table(table), hide_index=True)
    links = st.columns(max(len(reqs), 1))
    for col, code in zip(links, reqs["code"], strict=False):
        if col.button(code, key=f"live_cases_request_{code}", icon=":material/open_in_new:"):
            st.session_state["requests_pick"] = code
            st.switch_page("app_pages/requests.py")
    st.markdown(f"**{t('live.cases.parties')}**")
    parties = detail.parties
    if parties.empty:
        st.caption(t("live.cases.no_parties"))
    else:
        st.table(plain_table(pd.DataFrame({
            t("live.cases.parties"): [label(CasePartyKind(k)) for k in parties["kind"]],
            t("live.cases.party_name"): parties["name"],
            t("live.cases.on"): [_date(d) for d in parties["invited_on"]],
            t("live.cases.attended"): ["✓" if a else "" for a in parties["attended"]]})), hide_index=True)
    if case["meeting_on"] is not None:
        st.markdown(f"**{plain(t('live.cases.meeting', on=_date(case['meeting_on']), place=case['meeting_place']))}**")
        st.text(case["meeting_record"])
    if case["measures"]:
        st.markdown(f"**{t('live.cases.measures')}**")
        for line in case["measures"].splitlines():
            st.markdown(f"- {plain(line)}")
    if case["supervision_from"] is not None:
        st.markdown(f"**{t('live.cases.checks')}**")
        checks = detail.checks
        if checks.empty:
            st.caption(t("live.cases.no_checks"))
        else:
            st.table(plain_table(pd.DataFrame({
                t("live.cases.on"): [_date(d) for d in checks["on"]],
                t("live.cases.check.kind"): [label(CaseCheckKind(k)) for k in checks["kind"]],
                t("live.cases.holds"): ["✓" if h else "✗" for h in checks["holds"]],
                t("live.cases.check.note"): checks["note"]})), hide_index=True)
    with st.expander(t("live.cases.history"), icon=":material/history:"):
        events = detail.events
        st.table(plain_table(pd.DataFrame({
            t("live.cases.on"): [_date(d) for d in events["on"]],
            t("live.cases.col.step"): [label(CaseStep(s)) for s in events["to_step"]],
            "👤": events["actor"], t("live.cases.check.note"): events["note"]})), hide_index=True)


def _run(name: str, code: str, version: int, on: dt.date, today: dt.date, **fields: Any) -> None:
    try:
        step = data.move(name, code, version=version, on=on, today=today, **fields)
    except RuleError as err:
        st.error(rule_message(err))
        return
    if name == "record_check":
        message = t("live.cases.done_check", code=code, kind=label(CaseCheckKind(fields["kind"])))
    elif name == "add_requests":
        message = t("live.cases.done_add", code=code)
    else:
        message = t("live.cases.done", code=code, step=label(CaseStep(step)))
    _done(message)


def _next_form(detail: Any, community_id: int, today: dt.date) -> None:
    case = detail.case
    code, step = case["code"], CaseStep(case["step"])
    version = loaders.as_shown("case", code, int(case["version"]))
    if step == CaseStep.closed:
        return
    last = max([d for d in detail.events["on"] if d is not None], default=case["opened_on"])
    start = min(max(last, case["opened_on"]), today)
    if step != CaseStep.supervision:
        nxt = STEPS[STEPS.index(step) + 1]
        st.subheader(t("live.cases.next", step=label(nxt)))
    if step == CaseStep.collection:
        with st.form("live_cases_invite_form"):
            st.caption(t("live.cases.invite.hint"))
            typed = {k: st.text_input(label(k), key=f"live_cases_invite_{k}", max_chars=300) for k in CasePartyKind}
            on = st.date_input(t("live.cases.on"), value=today, min_value=start, max_value=today,
                               key="live_cases_invite_on")
            if st.form_submit_button(t("live.cases.invite.submit"), type="primary"):
                parties = [(str(k), n) for k, text in typed.items() for n in NAMES.split(text or "") if n.strip()]
                _run("invite", code, version, on, today, parties=parties)
        requests = data.load_dispute_requests(community_id)
        if not requests.empty:
            with st.expander(t("live.cases.add.title")):
                names = {r.code: f"{r.code} · {label(RequestCategory(r.category))} · {r.description[:40]}"
                         for r in requests.itertuples(index=False)}
                shown = loaders.as_shown_all("case-request", requests["code"], requests["version"])
                with st.form("live_cases_add_form"):
                    picked = st.multiselect(t("live.cases.open.requests"), list(names), key="live_cases_add_requests",
                                            format_func=names.__getitem__)
                    confirm = st.checkbox(t("live.cases.open.confirm_other"), key="live_cases_add_confirm")
                    if st.form_submit_button(t("live.cases.add.submit")):
                        versions = shown
                        _run("add_requests", code, version, today, today, request_codes=picked,
                             versions=[int(versions[c]) for c in picked], confirm_other=confirm)
    elif step == CaseStep.invitation:
        parties = {int(p.id): f"{label(CasePartyKind(p.kind))}：{p.name}"
                   for p in detail.parties.itertuples(index=False)}
        with st.form("live_cases_meeting_form"):
            on = st.date_input(t("live.cases.on"), value=today, min_value=start, max_value=today,
                               key="live_cases_meeting_on")
            place = st.text_input(t("live.cases.meeting.place"), key="live_cases_meeting_place", max_chars=200)
            attended = st.multiselect(t("live.cases.meeting.attended"), list(parties), default=list(parties),
                                      key="live_cases_meeting_attended", format_func=parties.__getitem__)
            record = st.text_area(t("live.cases.meeting.record"), key="live_cases_meeting_record", height=160)
            if st.form_submit_button(t("live.cases.meeting.submit"), type="primary"):
                _run("hold_meeting", code, version, on, today, place=place, record=record, attended=attended)
    elif step == CaseStep.meeting:
        with st.form("live_cases_agree_form"):
            on = st.date_input(t("live.cases.on"), value=today, min_value=start, max_value=today,
                               key="live_cases_agree_on")
            measures = st.text_area(t("live.cases.agree.measures"), key="live_cases_agree_measures", height=120)
            if st.form_submit_button(t("live.cases.agree.submit"), type="primary"):
                _run("agree", code, version, on, today, measures=measures)
    elif step == CaseStep.solution:
        with st.form("live_cases_supervise_form"):
            st.caption(t("live.cases.supervise.hint", check=case["check_every_days"],
                         feedback=case["feedback_every_days"]))
            on = st.date_input(t("live.cases.on"), value=today, min_value=start, max_value=today,
                               key="live_cases_supervise_on")
            if st.form_submit_button(t("live.cases.supervise.submit"), type="primary"):
                _run("supervise", code, version, on, today)
    else:
        _supervision_forms(case, code, version, start, today)


def _supervision_forms(case: dict[str, Any], code: str, version: int, start: dt.date, today: dt.date) -> None:
    st.subheader(t("live.cases.check.title"))
    kinds = {str(k): label(k) for k in CaseCheckKind}
    with st.form("live_cases_check_form", clear_on_submit=True):
        kind = st.radio(t("live.cases.check.kind"), list(kinds), key="live_cases_check_kind",
                        format_func=kinds.__getitem__, horizontal=True)
        on = st.date_input(t("live.cases.on"), value=today, min_value=case["supervision_from"], max_value=today,
                           key="live_cases_check_on")
        holds = st.checkbox(t("live.cases.check.holds"), value=True, key="live_cases_check_holds")
        note = st.text_input(t("live.cases.check.note"), key="live_cases_check_note", max_chars=500)
        if st.form_submit_button(t("live.cases.check.submit"), type="primary"):
            _run("record_check", code, version, on, today, kind=kind or "", holds=holds, note=note)
    st.subheader(t("live.cases.close.title"))
    blocker = data.load_close_blocker(int(case["id"]), version, get_language())
    if blocker is not None:
        st.info(t("live.cases.close.blocked", why=blocker), icon=":material/pending:")
        return
    with st.form("live_cases_close_form"):
        st.caption(t("live.cases.close.hint"))
        on = st.date_input(t("live.cases.on"), value=today, min_value=start, max_value=today,
                           key="live_cases_close_on")
        note = st.text_input(t("live.cases.close.note"), key="live_cases_close_note", max_chars=500)
        if st.form_submit_button(t("live.cases.close.submit"), type="primary"):
            _run("close", code, version, on, today, note=note)


def render(ctx: Any) -> None:
    today: dt.date = ctx.today
    writer = loaders.can(Action.case_write)
    if ctx.community_id is None:
        st.info(t("live.cases.choose_community"), icon=":material/location_city:")
    elif writer:
        _open_form(ctx.community_id, today)
    else:
        st.caption(t("live.cases.read_only"))
    cases = data.load_cases(ctx.community_id, today)
    if cases.empty:
        st.info(t("live.cases.empty"))
        return
    st.subheader(t("live.cases.list"))
    if not ctx.personal_data:
        cases = cases.assign(title=[mask_text(x) for x in cases["title"]])
    st.dataframe(_case_table(cases, ctx.community_id is None), hide_index=True, width="stretch")
    codes = cases["code"].tolist()
    titles = dict(zip(codes, cases["title"] if ctx.personal_data else [mask_text(x) for x in cases["title"]],
                      strict=True))
    if st.session_state.get("live_cases_pick") not in (None, *codes):
        st.session_state["live_cases_pick"] = None
    pick = st.selectbox(t("live.cases.pick"), codes, index=None, key="live_cases_pick",
                        format_func=lambda c: f"{c} · {titles[c]}", placeholder=t("live.cases.none_picked"))
    if pick is None:
        return
    detail = data.load_case(pick, today)
    if detail is None:
        return
    if not ctx.personal_data:          # residents' names and numbers in the texts: masked, as on the request page
        detail = view.masked_case(detail)
    case = detail.case
    st.subheader(plain(case["title"]))
    st.caption(plain(f"{case['code']} · {detail.community} · {_date(case['opened_on'])} · {case['opened_by']}"))
    step = CaseStep(case["step"])
    _progress(step)
    figures = detail.figures
    if step == CaseStep.supervision:
        if figures.get("overdue_checks") or figures.get("overdue_feedback"):
            st.warning(t("live.cases.overdue_warning", checks=int(figures["overdue_checks"]),
                         feedback=int(figures["overdue_feedback"])), icon=":material/alarm:")
        st.caption(t("live.cases.next_due", check=_date(figures.get("next_check")),
                     feedback=_date(figures.get("next_feedback"))))
    if step == CaseStep.closed:
        st.success(plain(t("live.cases.closed_info", on=_date(case["closed_on"]), note=case["close_note"])))
    _facts(detail)
    if writer:
        _next_form(detail, int(case["community_id"]), today)
