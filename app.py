"""Streamlit entry: page config, language, shared sidebar filters, navigation. A picture frame, nothing more."""

from dataclasses import dataclass

import streamlit as st

from dashboard import loaders
from dashboard.i18n import LANGUAGES, set_language, t
from dashboard.settings import get_settings

st.set_page_config(page_title="协同治理看板", page_icon=":material/handshake:", layout="wide")

if "lang" not in st.session_state:
    st.session_state.lang = get_settings().language
set_language(st.session_state.lang)

# Navigation first and unconditionally, so a direct visit to a page URL never shows the automatic page list.
page = st.navigation([
    st.Page("app_pages/overview.py", title=t("nav.overview"), icon=":material/dashboard:", url_path="overview",
            default=True),
    st.Page("app_pages/needs.py", title=t("nav.needs"), icon=":material/diversity_3:", url_path="needs"),
    st.Page("app_pages/cooperative.py", title=t("nav.cooperative"), icon=":material/storefront:",
            url_path="cooperative"),
    st.Page("app_pages/data_io.py", title=t("nav.data_io"), icon=":material/upload_file:", url_path="data"),
])


@dataclass(frozen=True)
class Filters:
    community_id: int | None
    quarter: str | None


seeded_rows = loaders.ensure_demo_data()
communities = loaders.load_communities()
quarters = loaders.load_quarters()
names = dict(zip(communities["id"].tolist(), communities["name"].tolist(), strict=True))

with st.sidebar:
    st.markdown(f"### {t('app.title')}")
    st.caption(t("app.subtitle"))
    st.radio(t("sidebar.language"), list(LANGUAGES), format_func=LANGUAGES.__getitem__, key="lang",
             horizontal=True)
    community_id = st.selectbox(
        t("filter.community"), [None, *names], key="filter_community",
        format_func=lambda c: t("filter.all_communities") if c is None else names.get(c, str(c)),
    )
    quarter = st.selectbox(t("filter.quarter"), quarters, key="filter_quarter") if quarters else None
    st.toggle(t("app.meeting_mode"), key="meeting_mode", help=t("app.meeting_mode_help"))

# Printing a page for the meeting: no sidebar, no toolbar, charts kept whole.
st.html("""<style>@media print {
  [data-testid=stSidebar], [data-testid=stHeader], [data-testid=stToolbar] {display: none !important;}
  [data-testid=stMain] {margin-left: 0 !important;}
  .stPlotlyChart, [data-testid=stMetric], [data-testid=stTable] {break-inside: avoid;}
}</style>""")

st.session_state.filters = Filters(community_id, quarter)
st.session_state.community_name = t("filter.all_communities") if community_id is None else names[community_id]

if seeded_rows and not st.session_state.get("seed_notice_shown"):
    st.session_state.seed_notice_shown = True
    st.info(t("app.seeded", rows=seeded_rows), icon=":material/database:")

page.run()
