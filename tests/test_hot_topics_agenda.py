"""每月一题 in the joint meeting's agenda builder: the top topics with enough requests are offered as items of their
own, with their figures and trend, after the overdue requests; the thresholds move them; residents' phone numbers
never reach the agenda; both backends, both languages."""

import datetime as dt
import json

import pytest
from sqlalchemy.engine import Connection, Engine

from dashboard.i18n import use_language
from dashboard.services.agenda import Thresholds, propose, topic_proposals
from dashboard.services.errors import RuleError
from tests import factories as f

D = dt.date
TODAY = D(2025, 12, 1)
PARCELS = "快递包裹堆在楼道里"
LIGHTS = "路灯不亮"
NOISE = "晚上直播太吵，3栋王先生电话13812345678"


def _data(conn: Connection) -> tuple[int, int, int]:
    """Community C1 with its social-work party and a meeting on 2025-11-20 (its period: 2025Q3). 2025Q3: parcels
    4 requests in 2 sessions (one reopened), lights 3, noise 3 (with a phone number), a one-off 1; 2025Q2: parcels
    2. Another community's 9 parcels do not count."""
    cid = f.community(conn, "C1")
    sw = f.party(conn, cid, "C1-SW", "social_work")
    meeting = f.meeting(conn, cid, "C1-JM", held_on=D(2025, 11, 20), quarter="2025Q4")
    l1 = f.livestream(conn, cid, "L1", held_on=D(2025, 7, 2))
    l2 = f.livestream(conn, cid, "L2", held_on=D(2025, 8, 6))
    l0 = f.livestream(conn, cid, "L0", held_on=D(2025, 5, 7), quarter="2025Q2")
    n = 0

    def req(session: int, category: str, text: str, q2: bool = False, **kw: object) -> None:
        nonlocal n
        n += 1
        day = D(2025, 5, 7) if q2 else D(2025, 7, 2) if session == l1 else D(2025, 8, 6)
        f.request(conn, session, cid, f"R{n:02d}", category=category, description=text, raised_on=day,
                  quarter="2025Q2" if q2 else "2025Q3", deadline=None, **kw)

    for s in (l1, l1, l2, l2):
        req(s, "parcel_stacking", PARCELS, endorsements=5, reopen_count=1 if s == l2 else 0)
    for _ in range(3):
        req(l1, "road_lighting", LIGHTS, endorsements=1)
    for _ in range(3):
        req(l2, "livestream_noise", NOISE)
    req(l2, "other", "希望多开几场直播培训")
    req(l0, "parcel_stacking", PARCELS, q2=True)
    req(l0, "parcel_stacking", PARCELS, q2=True)
    other = f.community(conn, "C2")
    ls = f.livestream(conn, other, "LX")
    for i in range(9):
        f.request(conn, ls, other, f"X{i}", category="parcel_stacking", description=PARCELS, deadline=None)
    return cid, sw, meeting


def test_top_topics_are_offered_with_their_figures(engine: Engine) -> None:
    with engine.begin() as conn:
        cid, sw, _ = _data(conn)
    with engine.connect() as conn:
        items = topic_proposals(conn, community_id=cid, quarter="2025Q3", presenter_party_id=sw)
    assert [p.source for p in items] == ["hot_topic"] * 3
    assert [p.evidence["rank"] for p in items] == [1, 2, 3]
    first = items[0]
    assert first.title == "每月一题 1：快递包裹堆在楼道里（快递堆放）"
    assert first.presenter_party_id == sw and first.minutes == 5
    assert first.lines == ("2025Q3 直播中提出 4 件，涉及 2 场直播，附议 20，重新打开 2 次；未办结 4 件，已办结 0 件。",
                           "比上季度（2025Q2）的 2 件多 2 件。",
                           "诉求编号：R01、R02、R03、R04")
    assert {k: first.evidence[k] for k in ("quarter", "previous_quarter", "category", "label", "requests",
                                           "sessions", "endorsements", "reopenings", "open", "closed", "previous",
                                           "trend", "codes", "min_requests")} == {
        "quarter": "2025Q3", "previous_quarter": "2025Q2", "category": "parcel_stacking", "label": PARCELS,
        "requests": 4, "sessions": 2, "endorsements": 20, "reopenings": 2, "open": 4, "closed": 0, "previous": 2,
        "trend": "up", "codes": ["R01", "R02", "R03", "R04"], "min_requests": 3}
    assert items[1].lines[1] == "上季度（2025Q2）没有相近的话题，是新出现的。"
    for p in items:
        json.dumps(p.evidence)
    with use_language("en"), engine.connect() as conn:
        en = topic_proposals(conn, community_id=cid, quarter="2025Q3", presenter_party_id=sw)
    assert en[0].title == "Topic of the month 1: 快递包裹堆在楼道里 (Parcel stacking)"
    assert en[0].lines[0] == ("4 requests in 2 livestreams of 2025Q3; endorsements 20, reopenings 2; open 4, "
                              "finished 0.")
    assert en[0].lines[1] == "Up by 2 from 2 in the quarter before (2025Q2)."
    assert [p.evidence for p in en] == [p.evidence for p in items]


def test_residents_phone_numbers_and_names_never_reach_the_agenda(engine: Engine) -> None:
    with engine.begin() as conn:
        cid, sw, _ = _data(conn)
    with engine.connect() as conn:
        items = topic_proposals(conn, community_id=cid, quarter="2025Q3", presenter_party_id=sw)
    noise = next(p for p in items if p.evidence["category"] == "livestream_noise")
    text = json.dumps(noise.evidence, ensure_ascii=False) + noise.title + "".join(noise.lines)
    assert "13812345678" not in text and "王先生" not in text
    assert "138****5678" in noise.title


@pytest.mark.parametrize(("th", "labels"), [
    (Thresholds(), [PARCELS, LIGHTS, "noise"]),
    (Thresholds(topic_items=1), [PARCELS]),
    (Thresholds(topic_items=0), []),
    (Thresholds(topic_min_requests=4), [PARCELS]),
    (Thresholds(topic_min_requests=5), []),
    (Thresholds(topic_items=10, topic_min_requests=1), [PARCELS, LIGHTS, "noise", "希望多开几场直播培训"]),
])
def test_the_thresholds_choose_the_topics(engine: Engine, th: Thresholds, labels: list[str]) -> None:
    with engine.begin() as conn:
        cid, _, _ = _data(conn)
    with engine.connect() as conn:
        items = topic_proposals(conn, community_id=cid, quarter="2025Q3", thresholds=th)
    shown = ["noise" if p.evidence["category"] == "livestream_noise" else p.evidence["label"] for p in items]
    assert shown == labels


@pytest.mark.parametrize(("th", "named"), [
    (Thresholds(topic_items=11), "每月一题候选议题个数"), (Thresholds(topic_items=-1), "每月一题候选议题个数"),
    (Thresholds(topic_min_requests=0), "每月一题最少诉求件数"),
])
def test_bad_topic_thresholds_are_refused_by_name(engine: Engine, th: Thresholds, named: str) -> None:
    with engine.connect() as conn, pytest.raises(RuleError) as err:
        topic_proposals(conn, community_id=1, quarter="2025Q3", thresholds=th)
    assert err.value.key == "agenda.bad_threshold" and named in str(err.value)


def test_propose_puts_the_topics_after_the_overdue_requests(engine: Engine) -> None:
    with engine.begin() as conn:
        cid, sw, meeting = _data(conn)
    with engine.connect() as conn:
        items = propose(conn, meeting_id=meeting, today=TODAY)
        alone = topic_proposals(conn, community_id=cid, quarter="2025Q3", presenter_party_id=sw)
    assert [p.source for p in items] == ["overdue_requests", "hot_topic", "hot_topic", "hot_topic"]
    assert items[1:] == alone                       # the same items, the social workers presenting
    with engine.connect() as conn:
        fewer = propose(conn, meeting_id=meeting, today=TODAY, thresholds=Thresholds(topic_min_requests=4))
    assert [p.source for p in fewer] == ["overdue_requests", "hot_topic"]


def test_a_quarter_without_requests_offers_no_topic(engine: Engine) -> None:
    with engine.begin() as conn:
        cid, _, _ = _data(conn)
    with engine.connect() as conn:
        assert topic_proposals(conn, community_id=cid, quarter="2024Q1") == []
        assert topic_proposals(conn, community_id=999, quarter="2025Q3") == []
