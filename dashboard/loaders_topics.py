"""The 直播现场 page's 每月一题 section: its cached loaders (loaders.py split by area, as STYLE.md asks)."""

import streamlit as st

from dashboard import access
from dashboard.i18n import get_language, use_language
from dashboard.loaders import TTL, principal, read_engine
from dashboard.queries.hot_topics import Topic, hot_topics
from dashboard.services import agenda
from dashboard.services.meeting_types import Proposal

TOP = 10                # topics the page ranks


def unit_role() -> bool:
    """Government, platform and association staff count only the requests routed to their party's units."""
    return access.own_units_only(principal().role)


def party_id() -> int | None:
    return principal().party_id


@st.cache_data(ttl=TTL, show_spinner=False)
def load_hot_topics(community_id: int | None, quarter: str, party: int | None, unit_only: bool,
                    limit: int = TOP) -> list[Topic]:
    """The quarter's ranked topics; a unit role's (`unit_only`) counts only its party's units' requests, and a unit
    role without a party sees none."""
    if unit_only and party is None:
        return []
    with read_engine().connect() as conn:
        return hot_topics(conn, quarter=quarter, community_id=community_id, party_id=party if unit_only else None,
                          limit=limit)


@st.cache_data(ttl=TTL, show_spinner=False)
def _topic_proposals(community_id: int, quarter: str, lang: str) -> list[Proposal]:
    with use_language(lang), read_engine().connect() as conn:
        return agenda.topic_proposals(conn, community_id=community_id, quarter=quarter)


def load_topic_proposals(community_id: int, quarter: str) -> list[Proposal]:
    """What the joint meeting's agenda builder would offer for the quarter, in the page's language."""
    return _topic_proposals(community_id, quarter, get_language())


def thresholds() -> agenda.Thresholds:
    return agenda.Thresholds()
