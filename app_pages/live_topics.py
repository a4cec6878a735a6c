"""直播现场 · topics section (issue 16). Replaced by its owner."""

from typing import Any

import streamlit as st

from dashboard.i18n import t


def render(ctx: Any) -> None:
    st.info(t("common.no_data"))
