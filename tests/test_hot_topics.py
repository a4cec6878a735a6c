"""每月一题: the quarter's requests grouped into topics across sessions (by category, then by text), ranked by
requests, 附议 and reopenings, matched to the quarter before for the trend; on SQLite and PostgreSQL with hand-built
requests."""

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.engine import Connection, Engine

from dashboard.queries import hot_topics as module
from dashboard.queries.hot_topics import Topic, hot_topics, similar
from tests import factories as f

D = dt.date
PARCELS = "快递包裹堆在楼道里"
NOISE = "晚上直播太吵"
LIGHTS = "路灯不亮"
PICKUP = "驿站取件排长队"


class Requests:
    """Requests of one community, numbered R1, R2, … in the order made."""

    def __init__(self, conn: Connection, cid: int, prefix: str = "R") -> None:
        self.conn, self.cid, self.prefix, self.n = conn, cid, prefix, 0
        self.sessions: dict[str, int] = {}
        self.ids: dict[str, int] = {}

    def session(self, code: str, held_on: dt.date) -> int:
        from dashboard.periods import quarter_key

        self.sessions[code] = f.livestream(self.conn, self.cid, f"{self.prefix}-{code}", held_on=held_on,
                                           quarter=quarter_key(held_on))
        return self.sessions[code]

    def add(self, session: str, category: str, description: str, **kw: Any) -> str:
        from dashboard.periods import quarter_key

        self.n += 1
        code = f"{self.prefix}{self.n:03d}"
        sid = self.sessions[session]
        raised = kw.pop("raised_on", None) or {"L1": D(2025, 7, 2), "L2": D(2025, 8, 6), "L3": D(2025, 9, 3),
                                               "L0": D(2025, 5, 7)}[session]
        self.ids[code] = f.request(self.conn, sid, self.cid, code, raised_on=raised, quarter=quarter_key(raised),
                                   category=category, description=description, deadline=None, **kw)
        return code


def _sessions(r: Requests) -> None:
    r.session("L0", D(2025, 5, 7))
    r.session("L1", D(2025, 7, 2))
    r.session("L2", D(2025, 8, 6))
    r.session("L3", D(2025, 9, 3))


def _quarter(conn: Connection) -> tuple[int, int, Requests]:
    """2025Q3 in community C1: parcels raised in three sessions under three spellings (4 requests), a different
    parcel complaint (1), noise once with 50 附议, lights 3 times (one reopened, two finished); 2025Q2: parcels 6,
    lights 3, and the same words under another category (sanitation). Community C2: parcels 9 in 2025Q3."""
    cid, other = f.community(conn, "C1"), f.community(conn, "C2")
    r = Requests(conn, cid)
    _sessions(r)
    r.add("L1", "parcel_stacking", PARCELS, endorsements=2)
    r.add("L2", "parcel_stacking", PARCELS + "了", endorsements=1)
    r.add("L3", "parcel_stacking", PARCELS + "！", endorsements=0, status="resolved", resolved_on=D(2025, 9, 10),
          outcome="solved")
    r.add("L3", "parcel_stacking", PARCELS, endorsements=3)
    r.add("L2", "parcel_stacking", PICKUP, endorsements=7)
    r.add("L1", "livestream_noise", NOISE, endorsements=50)
    r.add("L1", "road_lighting", LIGHTS, reopen_count=1)
    r.add("L2", "road_lighting", LIGHTS, status="closed", resolved_on=D(2025, 8, 10), closed_on=D(2025, 8, 20),
          outcome="solved")
    r.add("L3", "road_lighting", LIGHTS, status="reported", resolved_on=D(2025, 9, 5), outcome="explained")
    for _ in range(6):
        r.add("L0", "parcel_stacking", PARCELS)
    for _ in range(3):
        r.add("L0", "road_lighting", LIGHTS)
    r.add("L0", "sanitation", NOISE)                     # same words, another category: not the noise topic
    o = Requests(conn, other, "X")
    o.session("L1", D(2025, 7, 2))
    for _ in range(9):
        o.add("L1", "parcel_stacking", PARCELS)
    return cid, other, r


def _by_label(topics: list[Topic]) -> dict[tuple[str, str], Topic]:
    return {(x.category, x.label): x for x in topics}


def test_topics_are_grouped_across_sessions_by_category_then_text(engine: Engine) -> None:
    with engine.begin() as conn:
        cid, _, _ = _quarter(conn)
    with engine.connect() as conn:
        topics = hot_topics(conn, quarter="2025Q3", community_id=cid)
    assert [(x.rank, x.category, x.label, x.requests) for x in topics] == [
        (1, "parcel_stacking", PARCELS, 4),
        (2, "road_lighting", LIGHTS, 3),
        (3, "livestream_noise", NOISE, 1),
        (4, "parcel_stacking", PICKUP, 1),
    ]
    parcels = topics[0]
    assert parcels.texts == (PARCELS, PARCELS + "了", PARCELS + "！")    # the most common spelling first
    assert parcels.sessions == 3 and parcels.endorsements == 6
    assert (parcels.open, parcels.closed) == (3, 1)
    assert parcels.codes == ("R001", "R002", "R003", "R004")            # earliest raised first
    assert parcels.first_raised == D(2025, 7, 2)
    lights = topics[1]
    assert lights.reopenings == 1 and (lights.open, lights.closed) == (1, 2) and lights.sessions == 3
    assert lights.score == (3, 0, 1)


def test_trend_against_the_previous_quarter(engine: Engine) -> None:
    with engine.begin() as conn:
        cid, _, _ = _quarter(conn)
    with engine.connect() as conn:
        topics = _by_label(hot_topics(conn, quarter="2025Q3", community_id=cid))
    parcels = topics[("parcel_stacking", PARCELS)]
    assert (parcels.previous, parcels.trend, parcels.change) == (6, "down", -2)
    assert (topics[("road_lighting", LIGHTS)].previous, topics[("road_lighting", LIGHTS)].trend) == (3, "same")
    # The same words were raised under 环境卫生 last quarter: another category is another topic.
    assert (topics[("livestream_noise", NOISE)].previous, topics[("livestream_noise", NOISE)].trend) == (0, "new")
    # The previous quarter's parcels count once, for the first (hottest) topic they match.
    assert (topics[("parcel_stacking", PICKUP)].previous, topics[("parcel_stacking", PICKUP)].trend) == (0, "new")


def test_a_topic_grows_against_a_small_previous_one(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = f.community(conn, "C1")
        r = Requests(conn, cid)
        _sessions(r)
        r.add("L0", "livestream_noise", NOISE + "了")
        for s in ("L1", "L2", "L3"):
            r.add(s, "livestream_noise", NOISE)
    with engine.connect() as conn:
        (noise,) = hot_topics(conn, quarter="2025Q3", community_id=cid)
        (before,) = hot_topics(conn, quarter="2025Q2", community_id=cid)
    assert (noise.requests, noise.previous, noise.trend, noise.change) == (3, 1, "up", 2)
    assert (before.label, before.trend, before.previous) == (NOISE + "了", "new", 0)    # 2025Q1 had none


@pytest.mark.parametrize(("rows", "order"), [
    # (label, requests, endorsements each, reopenings each): requests first, then 附议, then reopenings.
    ([("甲", 2, 0, 0), ("乙", 3, 0, 0)], ["乙", "甲"]),
    ([("甲", 2, 1, 0), ("乙", 2, 5, 0)], ["乙", "甲"]),
    ([("甲", 2, 1, 0), ("乙", 2, 1, 1)], ["乙", "甲"]),
    ([("甲", 1, 100, 0), ("乙", 2, 0, 0)], ["乙", "甲"]),               # 附议 does not beat a second request
    ([("甲", 2, 1, 1), ("乙", 2, 1, 1)], ["甲", "乙"]),                 # a full tie: the earlier raised first
])
def test_rank_is_requests_then_endorsements_then_reopenings(engine: Engine, rows: list[tuple[str, int, int, int]],
                                                            order: list[str]) -> None:
    words = {"甲": "垃圾桶满了没人清", "乙": "小区门口积水严重"}
    with engine.begin() as conn:
        cid = f.community(conn, "C1")
        r = Requests(conn, cid)
        _sessions(r)
        for i, (name, n, endorsed, reopened) in enumerate(rows):
            for _ in range(n):
                r.add("L1", "sanitation", words[name], endorsements=endorsed, reopen_count=reopened,
                      raised_on=D(2025, 7, 2 + i))
    with engine.connect() as conn:
        topics = hot_topics(conn, quarter="2025Q3", community_id=cid)
    assert [x.label for x in topics] == [words[o] for o in order]
    assert [x.rank for x in topics] == [1, 2]
    assert topics[0].score >= topics[1].score


def test_community_scope_all_communities_and_limit(engine: Engine) -> None:
    with engine.begin() as conn:
        cid, other, _ = _quarter(conn)
    with engine.connect() as conn:
        everywhere = hot_topics(conn, quarter="2025Q3", community_id=None)
        theirs = hot_topics(conn, quarter="2025Q3", community_id=other)
        top2 = hot_topics(conn, quarter="2025Q3", community_id=None, limit=2)
        none = hot_topics(conn, quarter="2025Q3", community_id=cid, limit=0)
    assert (everywhere[0].label, everywhere[0].requests, everywhere[0].previous) == (PARCELS, 13, 6)
    assert everywhere[0].sessions == 4                                  # C1's three and C2's one
    assert [(x.label, x.requests) for x in theirs] == [(PARCELS, 9)]
    assert [x.label for x in top2] == [PARCELS, LIGHTS]
    assert none == []


def test_an_empty_quarter_community_or_database_has_no_topics(engine: Engine) -> None:
    with engine.connect() as conn:
        assert hot_topics(conn, quarter="2025Q3", community_id=None) == []
    with engine.begin() as conn:
        cid, _, _ = _quarter(conn)
        empty = f.community(conn, "C3")
    with engine.connect() as conn:
        assert hot_topics(conn, quarter="2026Q1", community_id=cid) == []
        assert hot_topics(conn, quarter="2025Q3", community_id=empty) == []
        q2 = hot_topics(conn, quarter="2025Q2", community_id=cid)
    assert [x.trend for x in q2] == ["new"] * len(q2) and q2[0].requests == 6


def test_a_unit_party_counts_only_its_units_requests(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = f.community(conn, "C1")
        gov, plt = f.party(conn, cid, "C1-GOV"), f.party(conn, cid, "C1-PLT", "platform")
        office = f.insert(conn, "unit", code="U1", name="街道办", kind="township_department", community_id=cid,
                          party_id=gov)
        helper = f.insert(conn, "unit", code="U2", name="平台", kind="platform", community_id=cid, party_id=plt)
        r = Requests(conn, cid)
        _sessions(r)
        r.add("L1", "road_lighting", LIGHTS, lead_unit_id=office)
        r.add("L2", "road_lighting", LIGHTS, lead_unit_id=helper)
        supported = r.add("L3", "road_lighting", LIGHTS, lead_unit_id=helper)
        r.add("L3", "road_lighting", LIGHTS)                           # not routed yet
        r.add("L0", "road_lighting", LIGHTS, lead_unit_id=helper)
        f.insert(conn, "request_support", request_id=r.ids[supported], unit_id=office)
    with engine.connect() as conn:
        (mine,) = hot_topics(conn, quarter="2025Q3", community_id=cid, party_id=gov)
        (all_,) = hot_topics(conn, quarter="2025Q3", community_id=cid)
    assert mine.requests == 2 and mine.codes == ("R001", supported) and mine.sessions == 2
    assert (mine.previous, mine.trend) == (0, "new")                   # last quarter's went to the platform alone
    assert (all_.requests, all_.previous, all_.trend) == (4, 1, "up")


def test_codes_are_capped_and_sessions_are_read_across_chunks(engine: Engine, monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    monkeypatch.setattr(module, "CODES_MAX", 5)
    monkeypatch.setattr(module, "CHUNK", 2)
    with engine.begin() as conn:
        cid = f.community(conn, "C1")
        r = Requests(conn, cid)
        _sessions(r)
        for i, s in enumerate(("L3", "L2", "L1", "L1", "L2", "L3", "L1")):
            r.add(s, "parcel_stacking", PARCELS + "！" * (i % 4), raised_on=D(2025, 9, 20 - i))
    with engine.connect() as conn:
        (topic,) = hot_topics(conn, quarter="2025Q3", community_id=cid)
    assert topic.requests == 7 and len(topic.texts) == 4 and topic.sessions == 3
    assert topic.codes == ("R007", "R006", "R005", "R004", "R003")      # the earliest raised five


def test_an_empty_description_is_a_topic_of_its_own(engine: Engine) -> None:
    with engine.begin() as conn:
        cid = f.community(conn, "C1")
        r = Requests(conn, cid)
        _sessions(r)
        r.add("L1", "other", "")
        r.add("L2", "other", "")
        r.add("L2", "other", "希望多开几场直播培训")
    with engine.connect() as conn:
        topics = hot_topics(conn, quarter="2025Q3", community_id=cid)
    assert [(x.label, x.requests) for x in topics] == [("", 2), ("希望多开几场直播培训", 1)]


def test_similar_is_the_grouping_engines_judgement() -> None:
    assert similar(PARCELS, PARCELS + "了")
    assert not similar(PARCELS, PICKUP)


def test_a_session_serves_as_well_as_a_connection(engine: Engine) -> None:
    from sqlmodel import Session

    with engine.begin() as conn:
        cid, _, _ = _quarter(conn)
    with engine.connect() as conn:
        by_connection = hot_topics(conn, quarter="2025Q3", community_id=cid)
    with Session(engine) as session:
        assert hot_topics(session, quarter="2025Q3", community_id=cid) == by_connection


def test_a_tie_on_the_day_keeps_the_codes_in_code_point_order_whatever_the_collation(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The earliest codes are sorted by the database: on a PostgreSQL database created with a language's collation
    (zh_CN, en_US) «a-001» sorts before «B001», where the page's own order (and SQLite's) is by code point. The
    request codes' column is given such a collation here to stand for that database."""
    monkeypatch.setattr(module, "CODES_MAX", 1)
    with engine.begin() as conn:
        cid = f.community(conn, "C1")
        lower, upper = Requests(conn, cid, prefix="a-"), Requests(conn, cid, prefix="B")
        _sessions(lower)
        _sessions(upper)
        lower.add("L1", "parcel_stacking", PARCELS)
        upper.add("L1", "parcel_stacking", PARCELS)
        pg = conn.dialect.name == "postgresql"
        if pg:
            conn.exec_driver_sql('ALTER TABLE request ALTER COLUMN code TYPE varchar(40) COLLATE "en-x-icu"')
    try:
        with engine.connect() as conn:
            (topic,) = hot_topics(conn, quarter="2025Q3", community_id=cid)
    finally:
        if pg:
            with engine.begin() as conn:
                conn.exec_driver_sql('ALTER TABLE request ALTER COLUMN code TYPE varchar(40) COLLATE "default"')
    assert topic.requests == 2 and topic.codes == ("B001",)
