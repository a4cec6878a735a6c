"""The 直播治理诉求 page's cached loaders and its writes (loaders.py split by area, as STYLE.md asks past ~400 lines).

Every loader takes the scope it shows: a government, platform or association account reads only the requests routed
to a unit its party acts for (RequestScope.party_id), here as in the export and the CLI.
"""

import contextvars
import datetime as dt
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from dashboard import access
from dashboard.access import Action
from dashboard.accounts import Principal
from dashboard.excel.tables import requests_xlsx
from dashboard.i18n import t
from dashboard.loaders import TTL, can, cover_filters, get_engine, personal_data_visible, principal, read_engine, write
from dashboard.presenters_requests import MOVES
from dashboard.queries import request_detail
from dashboard.queries import requests as queries
from dashboard.queries.requests import RequestFilters, RequestScope, RequestsPage
from dashboard.services import requests as service
from dashboard.services import workdays
from dashboard.services.workdays import Calendar
from data_models import Request
from data_models.enums import RequestMove, Role

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def own_units_only() -> bool:
    """The signed-in account sees only what is routed to its units (government, platform, association)."""
    return access.own_units_only(principal().role)


def scope(community_id: int | None, quarter: str) -> RequestScope | None:
    """The page's scope for the signed-in account; None for a unit role without a party (it sees nothing)."""
    p = principal()
    if not access.own_units_only(p.role):
        return RequestScope(community_id, quarter)
    return None if p.party_id is None else RequestScope(community_id, quarter, p.party_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_calendar() -> Calendar:
    with read_engine().connect() as conn:
        return workdays.load(conn)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_requests_page(request_scope: RequestScope, filters: RequestFilters, on: dt.date) -> RequestsPage:
    return queries.page(read_engine(), scope=request_scope, filters=filters, today=on, calendar=load_calendar())


@st.cache_data(ttl=TTL, show_spinner=False)
def load_request_history(code: str, party_id: int | None) -> pd.DataFrame:
    with Session(read_engine()) as session:
        return queries.history(session, code, party_id=party_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_request_detail(code: str, party_id: int | None) -> dict[str, Any] | None:
    with Session(read_engine()) as session:
        return request_detail.detail(session, code, party_id=party_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_request_units(party_id: int | None) -> pd.DataFrame:
    with Session(read_engine()) as session:
        return queries.units(session, party_id=party_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_livestream_sessions(community_id: int) -> pd.DataFrame:
    with Session(read_engine()) as session:
        return request_detail.sessions(session, community_id=community_id)


QUEUE_COLUMNS = ["code", "category", "description", "status", "lead_unit", "outcome", "resolution", "deadline",
                 "overdue", "last_move", "last_move_on", "last_reason", "last_note", "needs_report", "version"]


@st.cache_data(ttl=TTL, show_spinner=False)
def load_report_back(community_id: int, on: dt.date) -> pd.DataFrame:
    """The community's report-back queue, each row with the version it had when read (a report names it)."""
    with Session(read_engine()) as session:
        rows = [asdict(r) for r in service.report_back_queue(session, community_id=community_id, today=on)]
        seen = request_detail.versions(session, [r["code"] for r in rows])
    return pd.DataFrame([{**r, "status": str(r["status"]), "version": seen.get(r["code"], 0)} for r in rows],
                        columns=QUEUE_COLUMNS)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_readout(community_id: int, lang: str, on: dt.date) -> str:
    """上期诉求办理进展 for the community's next livestream."""
    with Session(read_engine()) as session:
        return service.readout_text(session, community_id=community_id, livestream_code=None, lang=lang, today=on)


def request_moves(code: str, version: int) -> list[RequestMove]:
    """The moves the signed-in account may make on the request at the version the page shows.

    Keyed on that version: the form offered stays the one drawn for what the user sees, so a click on a request
    someone else moved meanwhile reaches the service and is refused with its message (not silently redrawn)."""
    if not (can(Action.request_write) or can(Action.request_handle)):
        return []
    p = principal()
    return [RequestMove(m) for m in _moves(code, version, p.username, str(p.role), p.party_id)]


@st.cache_data(ttl=TTL, show_spinner=False)
def _moves(code: str, version: int, username: str, role: str, party_id: int | None) -> list[str]:
    del version    # part of the cache key only
    with Session(read_engine()) as session:
        return [str(m) for m in service.allowed_moves(session, code, Principal(username, Role(role),
                                                                                party_id=party_id))]


def move(code: str, step: RequestMove, *, version: int, on: dt.date | None, today: dt.date, **fields: Any) -> Any:
    """Make one move on a request as the signed-in account, naming the version it saw; RuleError on refusal."""
    function, permission = MOVES[step]
    dated: dict[str, Any] = {} if on is None else {"on": on}
    return write(function, permission=permission, code=code, version=version, actor=principal(), today=today,
                 **dated, **fields)


def _collect(session: Session, *, priority: str | None, actor: Principal, today: dt.date, **fields: Any) -> Request:
    """Record a request; with a priority it is classified at once, in the same transaction (two steps in its
    history, both dated the day it was raised): the category was chosen when it was recorded."""
    req = service.collect(session, actor=actor, today=today, **fields)
    if priority:
        req = service.classify(session, req.code, version=req.version, category=str(req.category),
                               priority=priority, actor=actor, on=req.raised_on, today=today)
    return req


def collect(*, livestream_code: str, category: str, description: str, endorsements: int, raised_on: dt.date,
            priority: str | None, today: dt.date) -> Request:
    """登记诉求 as the signed-in account (social worker, admin); RuleError on refusal."""
    return write(_collect, permission=Action.request_write, livestream_code=livestream_code, category=category,
                 description=description, endorsements=endorsements, raised_on=raised_on, priority=priority,
                 actor=principal(), today=today)


def escalation_preview(today: dt.date) -> list[str]:
    """The codes 升级逾期诉求 would escalate now: the service run and rolled back (its rules in one place), so the
    confirmation names exactly what the click does. Not cached: it is asked for once, by a click."""
    access.require(principal().role, Action.request_write)
    with Session(get_engine()) as session:
        try:
            return service.escalate_overdue(session, today=today, actor=principal())
        finally:
            session.rollback()


def escalate_overdue(today: dt.date) -> list[str]:
    """Escalate every overdue request one step up its unit ladder (all communities); the codes escalated."""
    return write(service.escalate_overdue, permission=Action.request_write, today=today, actor=principal())


def forget_request() -> None:
    """After a refusal (someone else moved it first) the request is read again, so the page shows its new state."""
    for loader in (load_requests_page, load_request_detail, load_request_history, load_report_back, load_readout,
                   _moves):
        loader.clear()


def requests_file(request_scope: RequestScope, filters: RequestFilters, on: dt.date, *, title: str,
                  cover: dict[str, str]) -> Callable[[], bytes]:
    """The list as the page filters it (every matching row, not only those shown), built when clicked."""
    access.require(principal().role, Action.export)
    engine, personal = get_engine(), personal_data_visible()
    context = contextvars.copy_context()     # the click is served outside this run: keep its language
    return lambda: context.copy().run(lambda: requests_xlsx(engine, scope=request_scope, filters=filters, today=on,
                                                            title=title, cover=cover, personal=personal)[0])


def download_requests(request_scope: RequestScope, filters: RequestFilters, on: dt.date, *, total: int, shown: int,
                      title: str, key: str, extra_filters: dict[str, str]) -> None:
    """The list's export button, for roles that may export: all matching rows, and it says so."""
    if not can(Action.export):
        return
    st.download_button(t("common.download_all", n=f"{total:,}"),
                       requests_file(request_scope, filters, on, title=title, cover=cover_filters(extra_filters)),
                       file_name=f"{title}.xlsx", key=key, on_click="ignore", icon=":material/download:",
                       help=t("common.download_all_help", n=f"{total:,}", shown=f"{shown:,}"), mime=XLSX)

