"""现场录入's cached loaders and its writes (the live page's capture section)."""

import datetime as dt

import streamlit as st
from sqlmodel import Session

from dashboard.access import Action
from dashboard.accounts import Principal
from dashboard.loaders import TTL, principal, read_engine, write
from dashboard.services import capture as service
from dashboard.services.capture import Captured, OnAir
from data_models import Request
from data_models.enums import Role


@st.cache_data(ttl=TTL, show_spinner=False)
def load_on_air(community_id: int, on: dt.date) -> OnAir | None:
    with Session(read_engine()) as session:
        return service.on_air(session, community_id=community_id, today=on)


def load_recent(livestream_code: str) -> list[Captured]:
    p = principal()
    return _recent(livestream_code, p.username, str(p.role))


@st.cache_data(ttl=TTL, show_spinner=False)
def _recent(livestream_code: str, username: str, role: str) -> list[Captured]:
    with Session(read_engine()) as session:
        return service.recent(session, livestream_code=livestream_code, actor=Principal(username, Role(role)))


def open_session(*, community_id: int, today: dt.date, title: str, platform: str, hosts: str) -> OnAir:
    """开播: today's livestream of the community, as the signed-in account; RuleError on refusal."""
    return write(service.open_session, permission=Action.request_write, community_id=community_id, today=today,
                 title=title, platform=platform, hosts=hosts, actor=principal())


def capture(*, livestream_code: str, category: str, description: str, resident: str, priority: str) -> Request:
    """Record what was raised on air, at this moment; RuleError on refusal."""
    return write(service.capture, permission=Action.request_write, livestream_code=livestream_code,
                 category=category, description=description, resident=resident, priority=priority,
                 actor=principal(), now=dt.datetime.now(dt.UTC))


def undo_last(*, code: str, version: int, today: dt.date) -> dict[str, object]:
    """撤销上一条 as the signed-in account; RuleError on refusal."""
    return write(service.undo_last, permission=Action.request_write, code=code, version=version,
                 actor=principal(), today=today)
