"""直播现场 (issue 16): what happens during and after a governance livestream.

Four sections, one at a time (as on the training page: only the chosen section loads its data), named in the URL
(?section=comments):
* 现场录入 (capture): the keyboard-only form for the session on air, the last requests captured, undo of the last;
* 评论导入 (comments): a comment export grouped into candidate requests with their 附议;
* 五步协商 (cases): neighbourhood disputes settled step by step, then weekly checks and monthly feedback;
* 每月一题 (topics): the quarter's hot topics across sessions, against the last quarter.
Each section is a module app_pages/live_<section>.py with a `render(ctx)`."""

import importlib
from dataclasses import dataclass

import streamlit as st

from app_pages import sections
from dashboard import loaders
from dashboard import presenters_live as view
from dashboard.i18n import t
from dashboard.periods import previous_quarter, quarter_state
from dashboard.text import plain


@dataclass(frozen=True)
class Context:
    community_id: int | None
    quarter: str | None
    today: object
    personal_data: bool


st.header(t("live.title"))
f = st.session_state.filters
if message := loaders.pop_flash():
    st.success(message, icon=":material/check_circle:")
today = loaders.today()
quarter = f.quarter or t("filter.all_quarters")
if f.quarter is not None and quarter_state(f.quarter, today) == "current":
    quarter = t("filter.in_progress", quarter=f.quarter)
st.caption(t("overview.caption", community=plain(st.session_state.community_name), quarter=quarter,
             previous=previous_quarter(f.quarter) if f.quarter else "—"))

section = sections.pick("live", view.SECTIONS)

ctx = Context(f.community_id, f.quarter, today, loaders.personal_data_visible())
importlib.import_module(f"app_pages.live_{section}").render(ctx)
