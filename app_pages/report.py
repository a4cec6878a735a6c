"""季度汇报: the quarter's figures per area against the quarter before and a year ago, the narrative, publishing."""

import streamlit as st

from dashboard.i18n import t

st.header(t("nav.report"))
