"""The agenda builder: what the data puts on a joint meeting's agenda, with the figures, and the running clock.

propose() reads one meeting's community and proposes, in this order: 上次决议落实情况 (every open action item of
the community's earlier meetings), overdue requests by unit with the quarter's hot topics, the quarter's top topics
(每月一题, one item each: topic_proposals), needs left open too long, weak training courses, and the period's
cooperative distribution for notice. An area with nothing to raise proposes
nothing. The quarterly report is not built yet, so it proposes nothing either. The user accepts, drops, edits and
reorders the proposals on the page; schedule() gives each item's start and end from the meeting's start time.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from dashboard.i18n import fmt_pct, fmt_yuan, label, t
from dashboard.periods import previous_quarter
from dashboard.privacy import mask_text
from dashboard.queries import agenda as q
from dashboard.queries.hot_topics import Topic, hot_topics
from dashboard.queries.meetings import carried_over
from dashboard.services.errors import RuleError
from dashboard.services.meeting_types import Proposal
from dashboard.services.training_funnel import SMALL_BASE
from data_models.enums import ActionStatus, AgendaSource, NeedCategory, PartyKind, RequestCategory, RunStatus

LIST_MAX = 5                   # units, categories or courses named on one line; the rest as «…»
MINUTES = {"overdue_requests": 10, "hot_topic": 5, "unmet_needs": 10, "training": 10, "distribution": 5}
CODES_NAMED = 10               # request codes a topic's evidence lists (its figures name LIST_MAX of them)


@dataclass(frozen=True)
class Thresholds:
    unmet_days: int = 30            # a need open longer than this many days is unmet
    completion_below: float = 0.6   # 结业率 under this is weak
    employment_below: float = 0.3   # 3个月就业率 under this is weak
    min_enrolled: int = 10          # a course with fewer enrolments is too small to judge
    min_reached: int = SMALL_BASE   # an employment rate over fewer people reached is not judged (as on the page)
    hot_topics: int = 3             # how many request categories the hot topics name
    # 每月一题: the top topics offered as items of their own (a quarterly meeting picks one for each month ahead),
    # each only when it gathered at least `topic_min_requests` requests in the quarter.
    topic_items: int = 3
    topic_min_requests: int = 3

    def check(self) -> None:
        """Refuse thresholds the page's inputs should not allow, naming the one that is wrong."""
        for name, value, low, high in (("unmet_days", self.unmet_days, 0, 3650),
                                       ("completion_below", self.completion_below, 0.0, 1.0),
                                       ("employment_below", self.employment_below, 0.0, 1.0),
                                       ("min_enrolled", self.min_enrolled, 1, 100_000),
                                       ("min_reached", self.min_reached, 1, 100_000),
                                       ("hot_topics", self.hot_topics, 1, 50),
                                       ("topic_items", self.topic_items, 0, 10),
                                       ("topic_min_requests", self.topic_min_requests, 1, 100_000)):
            if not low <= value <= high:
                raise RuleError("agenda.bad_threshold", name=t(f"agenda.threshold.{name}"), value=value, low=low,
                                high=high)


def carried_minutes(n: int) -> int:
    """5 minutes, and one more per 3 open items carried over, at most 20."""
    return min(5 + n // 3, 20)


def propose(conn: Connection, *, meeting_id: int, today: dt.date,
            thresholds: Thresholds = Thresholds()) -> list[Proposal]:
    """The agenda the data proposes for the meeting, in order (see the module's docstring)."""
    thresholds.check()
    facts = q.meeting_facts(conn, meeting_id, today)
    if facts is None:
        raise RuleError("agenda.unknown_meeting", id=meeting_id)
    out = [p for p in (_carried(conn, facts, today), _requests(conn, facts, today, thresholds)) if p is not None]
    out += topic_proposals(conn, community_id=facts.community_id, quarter=facts.period, thresholds=thresholds,
                           presenter_party_id=facts.parties.get(PartyKind.social_work.value))
    out += [p for p in (_needs(conn, facts, today, thresholds), _training(conn, facts, today, thresholds),
                        _distribution(conn, facts)) if p is not None]
    return out


def _sep() -> str:
    return t("agenda.sep")


def _named(parts: Sequence[str]) -> str:
    """The first LIST_MAX parts joined in the language's way, «…» after them when there are more."""
    text = _sep().join(parts[:LIST_MAX])
    return text + ("…" if len(parts) > LIST_MAX else "")


def _carried(conn: Connection, facts: q.MeetingFacts, today: dt.date) -> Proposal | None:
    frame = carried_over(conn, meeting_id=facts.id, today=today)
    if frame.empty:
        return None
    items: list[dict[str, Any]] = []
    lines = []
    for row in frame.itertuples(index=False):
        late = int(row.days_overdue)
        owner = row.owner_party + (f"·{row.owner_person}" if row.owner_person else "")
        due = q.as_date(row.due_on).isoformat()
        items.append({"code": row.code, "title": row.title, "meeting": row.meeting_code, "owner_party":
                      row.owner_party, "owner_person": row.owner_person, "status": str(row.status), "due_on": due,
                      "days_overdue": late})
        key = "agenda.carried.line_late" if late > 0 else "agenda.carried.line"
        lines.append(t(key, code=row.code, title=row.title, owner=owner, due=due, days=late,
                       status=label(str(row.status), ActionStatus)))
    overdue = sum(1 for i in items if i["days_overdue"] > 0)
    head = t("agenda.carried.head", n=len(items), overdue=overdue)
    return Proposal(source=AgendaSource.action_item.value, title=t("agenda.carried.title"),
                    presenter_party_id=facts.parties.get(PartyKind.government.value),
                    minutes=carried_minutes(len(items)), lines=(head, *lines),
                    evidence={"open": len(items), "overdue": overdue, "items": items})


def _requests(conn: Connection, facts: q.MeetingFacts, today: dt.date, th: Thresholds) -> Proposal | None:
    units = q.overdue_by_unit(conn, community_id=facts.community_id, today=today)
    hot = q.hot_topics(conn, community_id=facts.community_id, quarter=facts.period, top=th.hot_topics)
    if not units and not hot:
        return None
    lines = []
    total = sum(n for _, _, n in units)
    if units:
        named = [f"{name or t('agenda.requests.no_unit')} {n}" for _, name, n in units]
        lines.append(t("agenda.requests.overdue", n=total, units=_named(named)))
    if hot:
        named = [t("agenda.requests.topic", category=label(cat, RequestCategory), requests=k, endorsements=e)
                 for cat, k, e in hot]
        lines.append(t("agenda.requests.hot", quarter=facts.period, topics=_named(named)))
    return Proposal(source=AgendaSource.overdue_requests.value, title=t("agenda.requests.title", quarter=facts.period),
                    presenter_party_id=facts.parties.get(PartyKind.government.value),
                    minutes=MINUTES["overdue_requests"], lines=tuple(lines),
                    evidence={"as_of": today.isoformat(), "overdue": total,
                              "by_unit": [{"unit": code, "name": name, "overdue": n} for code, name, n in units],
                              "quarter": facts.period,
                              "hot_topics": [{"category": c, "requests": k, "endorsements": e} for c, k, e in hot]})


def topic_proposals(conn: Connection, *, community_id: int, quarter: str, thresholds: Thresholds = Thresholds(),
                    presenter_party_id: int | None = None) -> list[Proposal]:
    """每月一题: the quarter's top `topic_items` topics of the community's livestream requests (each with at least
    `topic_min_requests` requests), one agenda item each, in rank order, with their figures and the trend against
    the quarter before (dashboard/queries/hot_topics.py). The social workers, who record the requests, present.
    The minutes go to every party: residents' names and phone numbers in the topic's texts are masked."""
    thresholds.check()
    if thresholds.topic_items == 0:
        return []
    topics = hot_topics(conn, quarter=quarter, community_id=community_id, limit=thresholds.topic_items)
    return [_topic(topic, quarter, thresholds, presenter_party_id) for topic in topics
            if topic.requests >= thresholds.topic_min_requests]


def topic_title(topic: Topic) -> str:
    """每月一题 n: the topic's label (residents' names and phone numbers masked), cut to 60 characters."""
    label = mask_text(topic.label.strip()) or t("hot_topics.no_description")
    short = label if len(label) <= 60 else label[:59] + "…"
    return t("agenda.topic.title", rank=topic.rank, category=label_of(topic.category), label=short)


def label_of(category: str) -> str:
    return label(category, RequestCategory)


def trend_line(topic: Topic, quarter: str) -> str:
    """How the topic compares with the quarter before, as a sentence."""
    before = previous_quarter(quarter)
    if topic.trend == "new":
        return t("agenda.topic.trend_new", previous=before)
    return t(f"agenda.topic.trend_{topic.trend}", previous=before, n=topic.previous, change=abs(topic.change))


def _topic(topic: Topic, quarter: str, th: Thresholds, presenter: int | None) -> Proposal:
    lines = (t("agenda.topic.line", quarter=quarter, requests=topic.requests, sessions=topic.sessions,
               endorsements=topic.endorsements, reopenings=topic.reopenings, open=topic.open, closed=topic.closed),
             trend_line(topic, quarter),
             t("agenda.topic.codes", codes=_named(list(topic.codes))))
    evidence = {"quarter": quarter, "previous_quarter": previous_quarter(quarter), "rank": topic.rank,
                "category": topic.category, "label": mask_text(topic.label),
                "texts": [mask_text(x) for x in topic.texts[:CODES_NAMED]],
                "requests": topic.requests, "sessions": topic.sessions, "endorsements": topic.endorsements,
                "reopenings": topic.reopenings, "open": topic.open, "closed": topic.closed,
                "previous": topic.previous, "trend": topic.trend, "codes": list(topic.codes[:CODES_NAMED]),
                "min_requests": th.topic_min_requests}
    return Proposal(source=AgendaSource.hot_topic.value, title=topic_title(topic), presenter_party_id=presenter,
                    minutes=MINUTES["hot_topic"], lines=lines, evidence=evidence)


def _needs(conn: Connection, facts: q.MeetingFacts, today: dt.date, th: Thresholds) -> Proposal | None:
    rows = q.unmet_needs(conn, community_id=facts.community_id, today=today, days=th.unmet_days)
    if not rows:
        return None
    total = sum(n for _, n, _ in rows)
    oldest = max((today - first).days for _, _, first in rows)
    named = [f"{label(cat, NeedCategory)} {n}" for cat, n, _ in rows]
    lines = (t("agenda.needs.line", n=total, days=th.unmet_days, categories=_named(named)),
             t("agenda.needs.oldest", days=oldest))
    return Proposal(source=AgendaSource.unmet_needs.value, title=t("agenda.needs.title"),
                    presenter_party_id=facts.parties.get(PartyKind.social_work.value),
                    minutes=MINUTES["unmet_needs"], lines=lines,
                    evidence={"as_of": today.isoformat(), "open_longer_than_days": th.unmet_days, "unmet": total,
                              "oldest_days": oldest,
                              "by_category": [{"category": c, "unmet": n, "since": first.isoformat()}
                                              for c, n, first in rows]})


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def weak(course: q.CourseCounts, th: Thresholds) -> list[str]:
    """Which of the course's rates are under their threshold: 'completion' (completed ÷ enrolled) and 'employment'
    (employed ÷ reached at 3 months; judged only once `min_reached` people have been reached: the training page
    warns on a rate over fewer than SMALL_BASE, and 0 of 1 reached is not a 0% course)."""
    out = []
    completion = _rate(course.completed, course.enrolled)
    if course.enrolled >= th.min_enrolled and completion is not None and completion < th.completion_below:
        out.append("completion")
    employment = _rate(course.m3_employed, course.m3_reached)
    if (course.enrolled >= th.min_enrolled and course.m3_reached >= th.min_reached and employment is not None
            and employment < th.employment_below):
        out.append("employment")
    return out


def _training(conn: Connection, facts: q.MeetingFacts, today: dt.date, th: Thresholds) -> Proposal | None:
    courses = q.course_counts(conn, community_id=facts.community_id, quarter=facts.period,
                              min_enrolled=th.min_enrolled, ended_before=today)
    flagged = [(c, w) for c in courses if (w := weak(c, th))]
    if not flagged:
        return None
    head = t("agenda.training.head", n=len(flagged), quarter=facts.period, completion=fmt_pct(th.completion_below, 0),
             employment=fmt_pct(th.employment_below, 0), min=th.min_enrolled)
    lines = [t("agenda.training.line", code=c.code, title=c.title, enrolled=c.enrolled,
               completion=fmt_pct(_rate(c.completed, c.enrolled)),
               employment=fmt_pct(_rate(c.m3_employed, c.m3_reached)), reached=c.m3_reached)
             for c, _ in flagged]
    return Proposal(source=AgendaSource.training.value, title=t("agenda.training.title"),
                    presenter_party_id=facts.parties.get(PartyKind.association.value),
                    minutes=MINUTES["training"], lines=(head, *lines),
                    evidence={"quarter": facts.period, "completion_below": th.completion_below,
                              "employment_below": th.employment_below, "min_enrolled": th.min_enrolled,
                              "courses": [{"code": c.code, "title": c.title, "enrolled": c.enrolled,
                                           "completed": c.completed, "m3_reached": c.m3_reached,
                                           "m3_employed": c.m3_employed, "weak": w} for c, w in flagged]})


def _distribution(conn: Connection, facts: q.MeetingFacts) -> Proposal | None:
    runs = q.distribution_runs(conn, community_id=facts.community_id, quarter=facts.period)
    if not runs:
        return None
    lines = [t("agenda.distribution.line", cooperative=r["cooperative"], period=r["period"],
               status=label(r["status"], RunStatus), profit=fmt_yuan(r["profit_cents"]),
               members=fmt_yuan(r["member_pool_cents"]), fund=fmt_yuan(r["public_fund_cents"])) for r in runs]
    presenter = facts.parties.get(PartyKind.cooperative.value, facts.parties.get(PartyKind.social_work.value))
    return Proposal(source=AgendaSource.distribution.value, title=t("agenda.distribution.title", quarter=facts.period),
                    presenter_party_id=presenter, minutes=MINUTES["distribution"], lines=tuple(lines),
                    evidence={"quarter": facts.period, "runs": runs})


# --- the clock ---------------------------------------------------------------------------------------------------

def _minute_of(starts_at: str) -> int:
    try:
        hh, mm = starts_at.split(":")
        if not (len(hh) == len(mm) == 2 and (hh + mm).isascii() and (hh + mm).isdigit()):
            raise ValueError(starts_at)
        h, m = int(hh), int(mm)
    except ValueError:
        raise RuleError("agenda.bad_start", value=starts_at) from None
    if not (0 <= h < 24 and 0 <= m < 60):
        raise RuleError("agenda.bad_start", value=starts_at)
    return h * 60 + m


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def total(minutes: Sequence[int]) -> int:
    """The agenda's running minutes; an item of no or negative minutes is refused."""
    for i, m in enumerate(minutes, start=1):
        if int(m) <= 0:
            raise RuleError("agenda.bad_minutes", no=i, minutes=m)
    return sum(int(m) for m in minutes)


def schedule(starts_at: str, minutes: Sequence[int]) -> list[tuple[str, str]]:
    """Each item's start and end (HH:MM) when the meeting starts at `starts_at`; an agenda that would run past
    midnight is refused."""
    start = _minute_of(starts_at)
    end = start + total(minutes)
    if end > 24 * 60:
        raise RuleError("agenda.past_midnight", start=starts_at, minutes=end - start)
    out, at = [], start
    for m in minutes:
        out.append((_hhmm(at), _hhmm(at + int(m))))
        at += int(m)
    return out


def end_of(starts_at: str, minutes: Sequence[int]) -> str:
    """The estimated end (HH:MM); the start itself for an empty agenda. 24:00 when it ends exactly at midnight."""
    spans = schedule(starts_at, minutes)
    return spans[-1][1] if spans else _hhmm(_minute_of(starts_at))
