"""每月一题 (issue 16): a quarter's livestream requests grouped into topics across sessions, ranked, against the
quarter before.

A topic is the requests of one category whose descriptions `dashboard.comments.grouping.group` puts together (the
engine the comment import uses). Identical descriptions are counted in SQL first (GROUP BY category, description),
so the grouping sees each distinct text of a category once, the most requested first; a topic's label is its most
common description (the earliest raised on a tie).

Rank: by requests, then 附议 (endorsements), then reopenings, then the earliest raised; i.e. the score is the tuple
(requests, endorsements, reopenings) compared in that order, highest first.

Trend: each topic is matched to the previous quarter's topics of the same category whose label `group` puts with
its own (in rank order: a previous topic counts for the first topic it matches only). `previous` is the matched
topics' requests; the change is new (none matched), up, down or same.

Bounded at province scale: only the quarter's rows are read, as one row per distinct (category, description) with
its sums, from ix_request_topic alone (migration 0024: the quarter, the text and every column counted here); the
texts are grouped within their category only; sessions and request codes are counted and sorted in the database,
for the topics returned only (at most CODES_MAX codes each). bench/hot_topics.py and bench/province.py (the live
page) time it for all communities on the province seed.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from dashboard.comments.grouping import group
from dashboard.excel.writer import routed_to_party
from dashboard.periods import previous_quarter
from dashboard.queries.sqlfuncs import count_if
from dashboard.request_stats import OPEN
from data_models import Request
from data_models.base import table_of

R = table_of(Request)
CODES_MAX = 50          # request codes kept per topic (the earliest raised); `requests` counts them all
CHUNK = 2000            # descriptions per IN list (well under SQLite's 32,766 and PostgreSQL's 65,535 parameters)
TRENDS = ("new", "up", "down", "same")


@dataclass(frozen=True)
class TopicScope:
    """The quarter, the community (None: all) and, for unit roles, the party whose units' requests alone count."""

    quarter: str
    community_id: int | None = None
    party_id: int | None = None


@dataclass(frozen=True)
class Topic:
    category: str
    label: str                       # the most common description of the topic (the earliest raised on a tie)
    texts: tuple[str, ...]           # its distinct descriptions, the most common first
    requests: int
    endorsements: int                # 附议, summed
    reopenings: int                  # reopen_count, summed
    open: int                        # not yet 已办结 (collected, classified, routed, in progress)
    closed: int                      # 已办结 and after (resolved, reported, closed)
    first_raised: dt.date
    rank: int = 0                    # 1 = the hottest
    sessions: int = 0                # livestream sessions it came up in
    codes: tuple[str, ...] = ()      # at most CODES_MAX request codes, the earliest raised first
    previous: int = 0                # requests of the matched topics of the previous quarter
    trend: str = "new"               # one of TRENDS

    @property
    def score(self) -> tuple[int, int, int]:
        """What the rank orders by, highest first: requests, then endorsements, then reopenings."""
        return self.requests, self.endorsements, self.reopenings

    @property
    def change(self) -> int:
        return self.requests - self.previous


@dataclass(frozen=True)
class _Text:
    category: str
    description: str
    requests: int
    endorsements: int
    reopenings: int
    open: int
    first_raised: dt.date


def _as_date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _where(scope: TopicScope, quarter: str) -> list[sa.ColumnElement[bool]]:
    out: list[sa.ColumnElement[bool]] = [R.c.quarter == quarter]
    if scope.community_id is not None:
        out.append(R.c.community_id == scope.community_id)
    if scope.party_id is not None:
        out.append(routed_to_party(R, scope.party_id))
    return out


def _texts(conn: Connection | Session, scope: TopicScope, quarter: str) -> list[_Text]:
    """One row per distinct (category, description) of the quarter, with its sums: counted in SQL. Grouped in
    ix_request_topic's order (the text before the category), so PostgreSQL sums the index's rows as they come
    instead of hashing them (34,000 a quarter at province scale: 25-35 -> 20-23 ms); SQLite finds that order
    either way. The rows' order does not matter: _topics sorts them."""
    n = sa.func.count()
    stmt = (sa.select(R.c.category, R.c.description, n, sa.func.coalesce(sa.func.sum(R.c.endorsements), 0),
                      sa.func.coalesce(sa.func.sum(R.c.reopen_count), 0), count_if(R.c.status.in_(OPEN)),
                      sa.func.min(R.c.raised_on))
            .where(*_where(scope, quarter)).group_by(R.c.description, R.c.category))
    return [_Text(str(c), str(d or ""), int(k), int(e), int(r), int(o), _as_date(first))
            for c, d, k, e, r, o, first in conn.execute(stmt)]


def _rank_key(t: Topic) -> tuple[int, int, int, dt.date, str, str]:
    return -t.requests, -t.endorsements, -t.reopenings, t.first_raised, t.category, t.label


def _topics(rows: list[_Text]) -> list[Topic]:
    """The rows grouped into topics within each category, ranked (rank 1 first)."""
    by_category: dict[str, list[_Text]] = defaultdict(list)
    for row in rows:
        by_category[row.category].append(row)
    out = []
    def commonest(x: _Text) -> tuple[int, dt.date, str]:
        return -x.requests, x.first_raised, x.description

    for category, texts in by_category.items():
        texts.sort(key=commonest)           # the most common first: the grouping's leaders are the usual wording
        for members in group([x.description for x in texts]):
            part = sorted((texts[i] for i in members), key=commonest)
            requests, opened = sum(x.requests for x in part), sum(x.open for x in part)
            out.append(Topic(category=category, label=part[0].description,
                             texts=tuple(x.description for x in part), requests=requests,
                             endorsements=sum(x.endorsements for x in part),
                             reopenings=sum(x.reopenings for x in part), open=opened, closed=requests - opened,
                             first_raised=min(x.first_raised for x in part)))
    out.sort(key=_rank_key)
    return [_with(t, rank=i) for i, t in enumerate(out, start=1)]


def _with(topic: Topic, **changes: object) -> Topic:
    return Topic(**{**topic.__dict__, **changes})


def similar(a: str, b: str) -> bool:
    """Whether the grouping engine puts the two texts together."""
    return len(group([a, b])) == 1


def _trend(topics: Sequence[Topic], before: Sequence[Topic]) -> list[Topic]:
    claimed: set[int] = set()
    out = []
    for topic in topics:
        matched = [i for i, p in enumerate(before)
                   if i not in claimed and p.category == topic.category and similar(topic.label, p.label)]
        claimed.update(matched)
        previous = sum(before[i].requests for i in matched)
        trend = ("new" if not matched else "up" if topic.requests > previous
                 else "down" if topic.requests < previous else "same")
        out.append(_with(topic, previous=previous, trend=trend))
    return out


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


def _details(conn: Connection | Session, scope: TopicScope, topics: Sequence[Topic]) -> list[Topic]:
    """The topics' sessions and earliest CODES_MAX request codes, counted and sorted by the database from
    ix_request_topic alone (no row of the table is read, none but the codes returned): per topic, and per CHUNK of
    its texts, its distinct sessions (counted there, or returned to be united here when the topic spans chunks) and
    its earliest raised codes (merged here across chunks)."""
    return [_details_one(conn, scope, t) for t in topics]


def _details_one(conn: Connection | Session, scope: TopicScope, topic: Topic) -> Topic:
    parts = list(_chunks(topic.texts))
    # Codes in code-point order, as they are merged here (and as SQLite sorts): a PostgreSQL database created with a
    # language's collation would put «a-001» before «B001».
    dialect = conn.get_bind().dialect if isinstance(conn, Session) else conn.dialect
    by_code = R.c.code.collate("C") if dialect.name == "postgresql" else R.c.code
    sessions: set[int] = set()
    n_sessions = 0
    codes: list[tuple[dt.date, str]] = []
    for part in parts:
        where = [*_where(scope, scope.quarter), R.c.category == topic.category, R.c.description.in_(part)]
        if len(parts) == 1:
            n_sessions = int(conn.execute(sa.select(sa.func.count(sa.distinct(R.c.session_id))).where(*where))
                             .scalar_one())
        else:
            sessions.update(int(s) for s in conn.execute(sa.select(R.c.session_id).where(*where).distinct())
                            .scalars())
        codes += [(_as_date(raised), str(code)) for raised, code in conn.execute(
            sa.select(R.c.raised_on, R.c.code).where(*where).order_by(R.c.raised_on, by_code).limit(CODES_MAX))]
    return _with(topic, sessions=n_sessions if len(parts) == 1 else len(sessions),
                 codes=tuple(c for _, c in sorted(codes)[:CODES_MAX]))


def hot_topics(conn: Connection | Session, *, quarter: str, community_id: int | None,
               party_id: int | None = None, limit: int | None = 10) -> list[Topic]:
    """The quarter's top `limit` topics (all when None), ranked, each with its sessions, codes and its trend
    against the previous quarter (see the module's docstring). `party_id` counts only the requests routed to a unit
    that party acts for (unit roles), in this quarter and the previous one alike. Empty when there is none."""
    scope = TopicScope(quarter, community_id, party_id)
    ranked = _topics(_texts(conn, scope, quarter))
    top = ranked if limit is None else ranked[:max(limit, 0)]
    if not top:
        return []
    before = _topics(_texts(conn, scope, previous_quarter(quarter)))
    return _details(conn, scope, _trend(top, before))
