"""四方联席会议 (placeholder until the page lands in this issue)."""

import streamlit as st

from dashboard.i18n import t

st.header(t("nav.meetings"))
