"""What the 直播现场 page's 每月一题 section draws: the ranked topics as labelled frames, the chart's frame, the
agenda's candidates. Residents' text is masked unless the viewer may see personal data, and a topic of fewer
requests than the small-cell size shows no text where personal data is hidden (one complaint can name a household)."""

from collections.abc import Sequence

import pandas as pd

from dashboard.i18n import label, t
from dashboard.privacy import mask_text
from dashboard.queries.hot_topics import Topic
from dashboard.services.meeting_types import Proposal
from data_models.enums import RequestCategory

ARROWS = {"new": "★", "up": "↑", "down": "↓", "same": "→"}
CODES_SHOWN = 20


def topic_text(text: str, requests: int, visible: bool, min_cell: int | None) -> str:
    """A topic's text as this viewer may see it."""
    if min_cell is not None and requests < min_cell:
        return t("hot_topics.hidden_text", n=min_cell)
    shown = text.strip() if visible else mask_text(text.strip())
    return shown or t("hot_topics.no_description")


def trend(topic: Topic) -> str:
    """↑ +5, ↓ -3, → 0 or ★ new: the change against the previous quarter's matched topics."""
    if topic.trend == "new":
        return f"{ARROWS['new']} {t('hot_topics.trend.new')}"
    return f"{ARROWS[topic.trend]} {topic.change:+d}" if topic.change else f"{ARROWS['same']} 0"


def category(topic: Topic) -> str:
    return label(topic.category, RequestCategory)


def topics_frame(topics: Sequence[Topic], visible: bool, min_cell: int | None) -> pd.DataFrame:
    """One row per topic, rank order, headed in the user's language."""
    rows = [{t("hot_topics.col.rank"): x.rank, t("hot_topics.col.category"): category(x),
             t("hot_topics.col.label"): topic_text(x.label, x.requests, visible, min_cell),
             t("hot_topics.col.requests"): x.requests, t("hot_topics.col.sessions"): x.sessions,
             t("hot_topics.col.endorsements"): x.endorsements, t("hot_topics.col.reopenings"): x.reopenings,
             t("hot_topics.col.open"): x.open, t("hot_topics.col.closed"): x.closed,
             t("hot_topics.col.previous"): x.previous, t("hot_topics.col.trend"): trend(x)} for x in topics]
    return pd.DataFrame(rows)


def detail_frame(topics: Sequence[Topic], visible: bool, min_cell: int | None) -> pd.DataFrame:
    """Each topic's distinct descriptions and its request codes (the first CODES_SHOWN, «…» after them)."""
    sep = t("agenda.sep")
    rows = []
    for x in topics:
        texts = ([topic_text(x.label, x.requests, visible, min_cell)] if min_cell is not None and x.requests < min_cell
                 else [topic_text(s, x.requests, visible, min_cell) for s in x.texts[:CODES_SHOWN]])
        codes = sep.join(x.codes[:CODES_SHOWN]) + ("…" if x.requests > CODES_SHOWN else "")
        rows.append({t("hot_topics.col.rank"): x.rank, t("hot_topics.col.texts"): " / ".join(texts)
                     + (" …" if len(x.texts) > CODES_SHOWN else ""),
                     t("hot_topics.col.codes"): codes})
    return pd.DataFrame(rows)


def chart_frame(topics: Sequence[Topic]) -> pd.DataFrame:
    """The chart's rows: «rank. category» (our words only: no resident's text goes into the chart), this quarter's
    requests, the previous quarter's, and the trend's label."""
    return pd.DataFrame([{"key": f"{x.rank}. {category(x)}", "requests": x.requests, "previous": x.previous,
                          "trend": trend(x), "endorsements": x.endorsements} for x in topics],
                        columns=["key", "requests", "previous", "trend", "endorsements"])


def proposal_title(p: Proposal, visible: bool, min_cell: int | None) -> str:
    """An item's title as this viewer may see it: a topic of fewer than `min_cell` requests keeps its text hidden,
    as in the ranked table (its rank and category stay)."""
    requests = int(p.evidence.get("requests", 0))
    if visible or min_cell is None or requests >= min_cell:
        return p.title
    return t("agenda.topic.title", rank=p.evidence.get("rank", ""),
             category=label(str(p.evidence.get("category", "other")), RequestCategory),
             label=t("hot_topics.hidden_text", n=min_cell))


def proposals_frame(proposals: Sequence[Proposal], visible: bool = True, min_cell: int | None = None) -> pd.DataFrame:
    """The agenda builder's 每月一题 items: title, minutes and the figures on one line."""
    return pd.DataFrame([{t("hot_topics.col.item"): proposal_title(p, visible, min_cell),
                          t("hot_topics.col.minutes"): p.minutes,
                          t("hot_topics.col.figures"): t("meetings.lines_sep").join(
                              line.rstrip("。.;；") for line in p.lines)} for p in proposals])
