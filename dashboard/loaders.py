"""The one Streamlit-aware data module: the cached engine and the cached load_* wrappers pages call."""

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.db import init_database
from dashboard.queries import Scope, common, overview
from dashboard.settings import get_settings
from seed.load import is_empty, load_demo

TTL = get_settings().cache_ttl_seconds
SHANGHAI = ZoneInfo("Asia/Shanghai")


@st.cache_resource(show_spinner=False)
def get_engine() -> Engine:
    """Create and migrate the database once per process."""
    return init_database(get_settings().database_url)


@st.cache_resource(show_spinner=False)
def ensure_demo_data() -> int:
    """On an empty database, load the demo scale once; returns how many rows were loaded (0 if none)."""
    engine = get_engine()
    if not get_settings().auto_seed or not is_empty(engine):
        return 0
    return sum(load_demo(engine, "demo").values())


def today() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


@st.cache_data(ttl=TTL, show_spinner=False)
def load_communities() -> pd.DataFrame:
    with Session(get_engine()) as session:
        return common.communities(session)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_quarters() -> list[str]:
    with Session(get_engine()) as session:
        return common.quarters(session)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_overview(community_id: int | None, quarter: str, on: dt.date) -> overview.Overview:
    with Session(get_engine()) as session:
        return overview.overview(session, scope=Scope(community_id, quarter), today=on)
