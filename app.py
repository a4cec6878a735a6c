"""Streamlit entry: page config, login, language, shared sidebar filters, navigation. A picture frame, nothing more."""

import logging
import uuid
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from dashboard import access, gate, loaders
from dashboard.access import Page
from dashboard.i18n import LANGUAGES, TABS, label, relabel, set_language, t
from dashboard.periods import default_quarter, quarter_state
from dashboard.settings import get_settings
from dashboard.text import plain

# The icon is a file: Streamlit fetches a :material: page icon from Google's font server, unreachable on an intranet.
st.set_page_config(page_title="协同治理看板", layout="wide",
                   page_icon=str(Path(__file__).with_name("assets") / "favicon.svg"))

if "lang" not in st.session_state:
    st.session_state.lang = get_settings().language
set_language(st.session_state.lang)

# A keyed selectbox or radio keeps the label of its choice in the browser, so after a language switch it would
# go on showing the old language's word (or nothing). Giving each its value again makes Streamlit send the label
# in the new language. A value of None is never sent: their "all" choice is a sentinel (ALL, "") instead.
RELABEL_ON_LANGUAGE_CHANGE = ("filter_community", "io_entity", "needs_drill", "needs_heat_by", "needs_new_category",
                              "needs_new_severity", "needs_move_to", "audit_action", "audit_entity",
                              "requests_status", "requests_category", "requests_unit", "requests_move",
                              "requests_new_category", "requests_priority", "requests_outcome", "requests_reason",
                              "requests_result", "training_section", "live_section", "training_by", "training_outcome",
                              "training_employment", "training_store", "report_section")
if st.session_state.get("lang_shown") != st.session_state.lang:
    for widget_key in RELABEL_ON_LANGUAGE_CHANGE:
        if widget_key in st.session_state:
            st.session_state[widget_key] = st.session_state[widget_key]
    for widget_key, keys in TABS.items():    # a tab's value is its label: the same tab, in the new language
        if (same := relabel(st.session_state.get(widget_key), keys)) is not None:
            st.session_state[widget_key] = same
    st.session_state.lang_shown = st.session_state.lang


def run_page(page: StreamlitPage) -> None:
    """The page, or a short message with an error id; the traceback goes to the server log, never to the user.

    st.stop, st.rerun and st.switch_page raise BaseExceptions (not Exception), so they pass through.
    """
    try:
        page.run()
    except Exception:
        error_id = uuid.uuid4().hex[:8]
        logging.getLogger("dashboard").exception("unexpected error %s on page %s", error_id, page.url_path)
        st.error(t("app.error", id=error_id), icon=":material/error:")


if seeded_rows := loaders.ensure_demo_data():  # this session loaded the demo: say so once, after signing in
    st.session_state.seeded_rows = seeded_rows
user = gate.current()
loaders.new_run()
if get_settings().data_version_check:   # several app servers: a write made on another one drops this one's cache
    loaders.drop_stale_caches()

PAGES = [
    (Page.overview, "app_pages/overview.py", ":material/dashboard:", "overview"),
    (Page.needs, "app_pages/needs.py", ":material/diversity_3:", "needs"),
    (Page.requests, "app_pages/requests.py", ":material/campaign:", "requests"),
    (Page.live, "app_pages/live.py", ":material/podcasts:", "live"),
    (Page.training, "app_pages/training.py", ":material/school:", "training"),
    (Page.meetings, "app_pages/meetings.py", ":material/groups:", "meetings"),
    (Page.report, "app_pages/report.py", ":material/summarize:", "report"),
    (Page.cooperative, "app_pages/cooperative.py", ":material/storefront:", "cooperative"),
    (Page.data_io, "app_pages/data_io.py", ":material/upload_file:", "data"),
    (Page.audit, "app_pages/audit.py", ":material/policy:", "audit"),
]

if user is None:
    # Nobody has signed in: every page URL shows the login form, and after signing in that page opens.
    login = "app_pages/login.py"
    page = st.navigation([st.Page(login, title=t("nav.login"), icon=":material/login:", url_path="login",
                                  default=True)]
                         + [st.Page(login, title=t("nav.login"), url_path=url) for *_, url in PAGES],
                         position="hidden")
    with st.sidebar:
        st.markdown(f"### {t('app.title')}")
        st.radio(t("sidebar.language"), list(LANGUAGES), format_func=LANGUAGES.__getitem__, key="lang",
                 horizontal=True)
    run_page(page)
    st.stop()

# Navigation first after the gate: only the pages the role may see exist for this session.
visible = [(key, path, icon, url) for key, path, icon, url in PAGES if access.can_see(user.role, key)]
page = st.navigation([st.Page(path, title=t(f"nav.{key}"), icon=icon, url_path=url, default=i == 0)
                      for i, (key, path, icon, url) in enumerate(visible)])


@dataclass(frozen=True)
class Filters:
    community_id: int | None
    quarter: str | None


ALL = 0    # "all communities" in the filter: ids start at 1, and None would never be relabelled (see above)
communities = loaders.load_communities()
quarters = loaders.load_quarters()
names = dict(zip(communities["id"].tolist(), communities["name"].tolist(), strict=True))

with st.sidebar:
    st.markdown(f"### {t('app.title')}")
    st.caption(t("app.subtitle"))
    st.radio(t("sidebar.language"), list(LANGUAGES), format_func=LANGUAGES.__getitem__, key="lang",
             horizontal=True)
    community_choice = st.selectbox(
        t("filter.community"), [ALL, *names], key="filter_community",
        format_func={ALL: t("filter.all_communities"), **names}.__getitem__,
    )
    community_id = None if community_choice == ALL else community_choice
    # Opens on the last complete quarter (a need recorded today must not turn everyone's page to a quarter
    # that has barely begun). The options stay plain keys: a label that changes with the language would lose
    # the choice when the language is switched. The state of the chosen one is said under it.
    today = loaders.today()
    opening = default_quarter(quarters, today)
    quarter = st.selectbox(t("filter.quarter"), quarters, key="filter_quarter",
                           index=quarters.index(opening) if opening else 0) if quarters else None
    if quarter is not None and quarter_state(quarter, today) != "past":
        st.caption(t(f"filter.{'in_progress' if quarter_state(quarter, today) == 'current' else 'future'}",
                     quarter=quarter))
    st.toggle(t("app.meeting_mode"), key="meeting_mode", help=t("app.meeting_mode_help"))
    st.divider()
    if user.demo:
        st.warning(t("auth.demo_banner"), icon=":material/visibility:")
        st.caption(t("auth.demo_help"))
    else:
        st.caption(t("auth.signed_in_as", name=plain(user.display_name or user.username), role=label(user.role)))
        st.button(t("auth.sign_out"), key="sign_out", on_click=gate.sign_out, icon=":material/logout:")

# Printing a page for the meeting: no sidebar, no toolbar, charts kept whole. Metric labels wrap instead of
# ending in "…" (a 1280 px projector cut "Works more than 10 h a day" to "Works more than 1…").
st.html("""<style>
[data-testid=stMetricLabel], [data-testid=stMetricLabel] * {white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important; height: auto !important;}
@media print {
  @page {size: A4 landscape; margin: 10mm;}
  [data-testid=stSidebar], [data-testid=stHeader], [data-testid=stToolbar] {display: none !important;}
  [data-testid=stMain] {margin-left: 0 !important;}
  /* Charts and tables keep the pixel width the screen gave them (print runs no script): laid out at the paper's
     277 mm they were cut on the right, and a row of three charts fell apart into one chart a page. Zoomed, the
     paper is as wide as a 1,690 px screen, so rows stay rows and every column is on the page. Streamlit's own
     print style turns a row holding a chart into blocks (one chart a line): rows are rows again here. */
  [data-testid=stMain] {zoom: 0.62;}
  [data-testid=stMainBlockContainer] {max-width: none !important; padding: 0 !important;}
  [data-testid=stHorizontalBlock] {display: flex !important; flex-direction: row !important;
    flex-wrap: nowrap !important;}
  [data-testid=stColumn] {min-width: 0 !important;}
  .stPlotlyChart, [data-testid=stMetric], [data-testid=stTable] {break-inside: avoid;}
}</style>""")

st.session_state.filters = Filters(community_id, quarter)
st.session_state.community_name = t("filter.all_communities") if community_id is None else names[community_id]

if seeded_rows := st.session_state.pop("seeded_rows", 0):
    st.info(t("app.seeded", rows=seeded_rows), icon=":material/database:")
if quarter is not None and quarter_state(quarter, today) == "current":
    st.info(t("filter.in_progress_note", quarter=quarter, today=today.isoformat()), icon=":material/schedule:")

run_page(page)
