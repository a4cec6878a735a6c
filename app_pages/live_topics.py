"""直播现场 · 每月一题 (issue 16): the quarter's livestream requests grouped into topics across sessions, ranked, with
the trend against the quarter before, and the topics the joint meeting's agenda builder would offer."""

from typing import Any

import streamlit as st

from dashboard import loaders
from dashboard import loaders_topics as data
from dashboard import presenters_topics as view
from dashboard.charts_topics import topics_chart
from dashboard.i18n import t
from dashboard.periods import previous_quarter, quarter_state
from dashboard.queries.agenda import ended_quarter
from dashboard.text import plain_table


def render(ctx: Any) -> None:
    st.subheader(t("live.topics.title"))
    if ctx.quarter is None:          # no quarter to choose: nothing was recorded yet
        st.info(t("common.no_data"), icon=":material/inbox:")
        return
    unit_only, party = data.unit_role(), data.party_id()
    if unit_only and party is None:
        st.info(t("requests.page.no_party"), icon=":material/info:")
        return
    before = previous_quarter(ctx.quarter)
    st.caption(t("live.topics.caption", quarter=ctx.quarter, previous=before))
    if unit_only:
        st.caption(t("requests.page.own_units"))
    topics = data.load_hot_topics(ctx.community_id, ctx.quarter, party, unit_only)
    if not topics:
        st.info(t("live.topics.empty", quarter=ctx.quarter), icon=":material/forum:")
    else:
        min_cell = loaders.min_cell()
        st.plotly_chart(topics_chart(view.chart_frame(topics), t("live.topics.chart", quarter=ctx.quarter),
                                     ctx.quarter, before), width="stretch")
        st.table(plain_table(view.topics_frame(topics, ctx.personal_data, min_cell)), hide_index=True)
        st.caption(t("live.topics.rank_help"))
        if min_cell is not None:
            st.caption(t("hot_topics.hidden_note", n=min_cell))
        with st.expander(t("live.topics.detail"), icon=":material/list:"):
            st.table(plain_table(view.detail_frame(topics, ctx.personal_data, min_cell)), hide_index=True)
    _agenda(ctx, unit_only)


def _agenda(ctx: Any, unit_only: bool) -> None:
    """What the joint meeting's agenda builder would offer for this quarter (agenda.topic_proposals)."""
    st.subheader(t("live.topics.agenda"))
    if unit_only:              # the candidates count every request of the community, not only the party's units'
        st.caption(t("live.topics.agenda_units"))
        return
    if ctx.community_id is None:
        st.info(t("live.topics.agenda_pick_community"), icon=":material/location_city:")
        return
    th = data.thresholds()
    st.caption(t("live.topics.agenda_caption", n=th.topic_items, min=th.topic_min_requests))
    if quarter_state(ctx.quarter, ctx.today) != "past":
        st.caption(t("live.topics.agenda_unfinished", quarter=ctx.quarter, ended=ended_quarter(ctx.today)))
    proposals = data.load_topic_proposals(ctx.community_id, ctx.quarter)
    if not proposals:
        st.info(t("live.topics.agenda_none", min=th.topic_min_requests), icon=":material/event_busy:")
        return
    st.table(plain_table(view.proposals_frame(proposals, ctx.personal_data, loaders.min_cell())), hide_index=True)
