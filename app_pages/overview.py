"""首页: one block of real figures per area, this quarter against the last, and the profile beside the papers."""

import streamlit as st

from dashboard import charts, loaders, presenters
from dashboard.i18n import t
from dashboard.periods import previous_quarter
from dashboard.text import plain

st.header(t("overview.title"))
f = st.session_state.filters
if f.quarter is None or not loaders.load_has_data(f.community_id, f.quarter):
    st.info(t("common.no_data"))
    st.stop()

st.caption(t("overview.caption", community=plain(st.session_state.community_name), quarter=f.quarter,
             previous=previous_quarter(f.quarter)))
ov = loaders.load_overview(f.community_id, f.quarter, loaders.today())

blocks = presenters.overview_blocks(ov)
# Two cards a row: at 1280 px on a projector a third of the width cuts off amounts like ¥154.76万.
for row in (blocks[0:2], blocks[2:4], blocks[4:]):
    for col, block in zip(st.columns(2), row, strict=False):
        with col.container(border=True):
            st.subheader(block.title)
            left, right = st.columns(2)
            for i, m in enumerate(block.metrics):
                (left if i % 2 == 0 else right).metric(m.label, m.value, m.delta, delta_color=m.delta_color,
                                                       help=m.help)

st.subheader(t("overview.profile"))
st.caption(t("overview.profile_caption"))
left, right = st.columns([2, 3])
left.table(presenters.profile_table(ov), hide_index=True)
right.plotly_chart(charts.profile_chart(presenters.profile_long(ov)), width="stretch")
