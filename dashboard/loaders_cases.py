"""The 五步协商 section's cached loaders and its writes (app_pages/live_cases.py)."""

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from dashboard.access import Action
from dashboard.loaders import TTL, principal, read_engine, write
from dashboard.queries import consultation as queries
from dashboard.services import consultation as service
from dashboard.services.errors import RuleError


@st.cache_data(ttl=TTL, show_spinner=False)
def load_cases(community_id: int | None, on: dt.date) -> pd.DataFrame:
    with Session(read_engine()) as session:
        return queries.cases(session, community_id=community_id, today=on)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_case(code: str, on: dt.date) -> queries.CaseDetail | None:
    with Session(read_engine()) as session:
        return queries.case_detail(session, code, today=on)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_dispute_requests(community_id: int) -> pd.DataFrame:
    with Session(read_engine()) as session:
        return queries.dispute_requests(session, community_id=community_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_close_blocker(case_id: int, version: int, lang: str) -> str | None:
    """Why the case may not close yet, in the page's language `lang` (part of the cache key); None if it may."""
    with Session(read_engine()) as session:
        err = service.close_blocker(session, case_id)
    return None if err is None else err.message()


def open_case(*, request_codes: Sequence[str], versions: Sequence[int], title: str, summary: str, on: dt.date,
              today: dt.date, confirm_other: bool) -> str:
    case = write(service.open_case, permission=Action.case_write, request_codes=request_codes, versions=versions,
                 title=title, summary=summary, actor=principal(), on=on, today=today, confirm_other=confirm_other)
    return str(case.code)


MOVES: dict[str, Callable[..., Any]] = {
    "add_requests": service.add_requests, "invite": service.invite, "hold_meeting": service.hold_meeting,
    "agree": service.agree, "supervise": service.supervise, "record_check": service.record_check,
    "close": service.close,
}


def move(name: str, code: str, *, version: int, on: dt.date, today: dt.date, **fields: Any) -> str:
    """One step (or check) of a case, as the signed-in user; returns the case's step after it."""
    function = MOVES.get(name)
    if function is None:
        raise RuleError("consultation.unknown", code=code)
    case = write(function, permission=Action.case_write, code=code, version=version, actor=principal(), on=on,
                 today=today, **fields)
    return str(case.step)
