"""每月一题's presenters: the trend's words, what a viewer may read of a topic, the chart's labels (our words only)."""

import datetime as dt

import pytest

from dashboard.i18n import use_language
from dashboard.presenters_topics import chart_frame, detail_frame, topic_text, topics_frame, trend
from dashboard.queries.hot_topics import Topic

PHONE = "3栋王先生13812345678门口快递堆成山"


def topic(requests: int = 6, previous: int = 4, trend_: str = "up", label: str = PHONE) -> Topic:
    return Topic(category="parcel_stacking", label=label, texts=(label, label + "了"), requests=requests,
                 endorsements=3, reopenings=1, open=2, closed=requests - 2, first_raised=dt.date(2025, 7, 2),
                 rank=1, sessions=2, codes=("R1", "R2"), previous=previous, trend=trend_)


@pytest.mark.parametrize(("requests", "previous", "kind", "zh", "en"), [
    (6, 4, "up", "↑ +2", "↑ +2"), (3, 5, "down", "↓ -2", "↓ -2"), (4, 4, "same", "→ 0", "→ 0"),
    (4, 0, "new", "★ 新话题", "★ new"),
])
def test_trend_words(requests: int, previous: int, kind: str, zh: str, en: str) -> None:
    x = topic(requests, previous, kind)
    assert trend(x) == zh
    with use_language("en"):
        assert trend(x) == en


@pytest.mark.parametrize(("requests", "visible", "min_cell", "shown"), [
    (6, True, None, PHONE),                                     # a social worker reads it as typed
    (6, False, 5, "3栋*先生138****5678门口快递堆成山"),           # masked where personal data is hidden
    (4, False, 5, "（少于 5 件，不显示描述）"),                     # too few to show at all
    (4, True, None, PHONE),
])
def test_what_a_viewer_may_read(requests: int, visible: bool, min_cell: int | None, shown: str) -> None:
    assert topic_text(PHONE, requests, visible, min_cell) == shown
    frame = topics_frame([topic(requests)], visible, min_cell)
    assert frame.iloc[0]["话题（最常见的描述）"] == shown
    assert detail_frame([topic(requests)], visible, min_cell).iloc[0]["描述"].startswith(shown)


def test_an_empty_description_says_so() -> None:
    assert topic_text("  ", 9, True, None) == "（未填写描述）"


def test_the_chart_carries_no_residents_text() -> None:
    frame = chart_frame([topic()])
    assert list(frame["key"]) == ["1. 快递堆放"]
    assert not any(PHONE in str(v) for v in frame.to_numpy().ravel())
    assert chart_frame([]).empty


def test_the_chart_draws_an_empty_frame_and_a_full_one() -> None:
    from dashboard.charts_topics import topics_chart

    empty = topics_chart(chart_frame([]), "t", "2025Q3", "2025Q2")
    assert [a.text for a in empty.layout.annotations] == ["暂无数据"]
    full = topics_chart(chart_frame([topic()]), "t", "2025Q3", "2025Q2")
    assert [tr.name for tr in full.data] == ["2025Q2", "2025Q3"]
    assert list(full.data[1].x) == [6] and list(full.data[0].x) == [4] and list(full.data[1].text) == ["↑ +2"]


def test_an_agenda_candidate_of_a_small_topic_keeps_its_text_hidden_where_the_table_hides_it() -> None:
    """The ranked table hides the text of a topic with fewer than min_cell requests; the agenda candidates below it
    must not show that text either (review)."""
    from dashboard.presenters_topics import proposals_frame
    from dashboard.services.meeting_types import Proposal

    def item(requests: int) -> Proposal:
        return Proposal(source="hot_topic", title=f"每月一题 1：快递堆放 · 幸福路18号王家门口 ({requests})",
                        presenter_party_id=None, minutes=5, lines=("x",),
                        evidence={"requests": requests, "rank": 1, "category": "parcel_stacking"})

    with use_language("zh"):
        hidden = proposals_frame([item(3)], visible=False, min_cell=5).iloc[0, 0]
        assert "王家门口" not in hidden and "快递堆放" in hidden
        assert "王家门口" in proposals_frame([item(5)], visible=False, min_cell=5).iloc[0, 0]
        assert "王家门口" in proposals_frame([item(3)], visible=True, min_cell=None).iloc[0, 0]
