"""五步协商 cases as the page and the read-out show them: the list with each case's step and overdue checks, one
case's detail, and the 已分类 requests a new case may take.

Missed checks: from `supervision_from` the weeks (check_every_days) and months (feedback_every_days) are counted
period by period; a period that has ended (its last day is before today, or before the day the case closed) with no
check of that kind dated in it is overdue. The database counts the periods that have a check; the few numbers per
case are then subtracted here.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from dashboard.queries.sqlfuncs import days_between
from dashboard.services.consultation import DISPUTES
from data_models import CaseCheck, CaseEvent, CaseParty, CaseRequest, Community, ConsultationCase, Request
from data_models.base import table_of
from data_models.enums import CaseCheckKind, CaseStep, RequestStatus

CASES = table_of(ConsultationCase)
PARTIES = table_of(CaseParty)
LINKS = table_of(CaseRequest)
CHECKS = table_of(CaseCheck)
EVENTS = table_of(CaseEvent)
R = table_of(Request)
COMMUNITIES = table_of(Community)
KINDS = (CaseCheckKind.weekly_check, CaseCheckKind.monthly_feedback)

LIST_COLUMNS = ["code", "community", "title", "step", "opened_on", "updated_on", "requests", "supervision_from",
                "closed_on", "overdue_checks", "overdue_feedback", "next_check", "next_feedback", "last_check_on",
                "last_check_holds", "last_feedback_on", "last_feedback_holds", "measures", "version"]


@dataclass(frozen=True)
class Supervision:
    """One kind of check of one case: periods ended, those without a check (overdue), the next due day, the latest."""

    overdue: int = 0
    next_due: dt.date | None = None
    last_on: dt.date | None = None
    last_holds: bool | None = None


def periods_ended(start: dt.date, end: dt.date, every: int) -> int:
    """Whole periods of `every` days from `start` whose last day is before `end`."""
    return max((end - start).days, 0) // every


def supervision(start: dt.date | None, every: int, end: dt.date, closed: bool, covered: int, last_index: int | None,
                last_on: dt.date | None, last_holds: bool | None) -> Supervision:
    """The figures of one kind of check from the database's counts: `covered` ended periods had a check; the latest
    check fell in period `last_index`. `end` is today, or the closing day of a closed case (it stops counting)."""
    if start is None:
        return Supervision()
    ended = periods_ended(start, end, every)
    due = None
    if not closed:
        current = ended           # the period today falls in
        upcoming = current + 1 if last_index is not None and last_index >= current else current
        due = start + dt.timedelta(days=(upcoming + 1) * every - 1)
    return Supervision(max(ended - covered, 0), due, last_on, last_holds)


def _check_counts(session: Session, case_ids: list[int], today: dt.date) -> dict[tuple[int, str], dict[str, Any]]:
    """Per case and kind: how many ended periods had a check, the latest period with one, the latest check."""
    if not case_ids:
        return {}
    every = sa.case((CHECKS.c.kind == CaseCheckKind.weekly_check, CASES.c.check_every_days),
                    else_=CASES.c.feedback_every_days)
    index = days_between(CASES.c.supervision_from, CHECKS.c.on) // every
    end = sa.func.coalesce(CASES.c.closed_on, sa.literal(today, sa.Date))
    ended = days_between(CASES.c.supervision_from, end) // every
    rows = session.execute(
        sa.select(CHECKS.c.case_id, CHECKS.c.kind,
                  sa.func.count(sa.distinct(sa.case((index < ended, index)))).label("covered"),
                  sa.func.max(index).label("last_index"), sa.func.max(CHECKS.c.on).label("last_on"))
        .join(CASES, CASES.c.id == CHECKS.c.case_id)
        .where(CHECKS.c.case_id.in_(case_ids), CASES.c.supervision_from.is_not(None))
        .group_by(CHECKS.c.case_id, CHECKS.c.kind)).all()
    out = {(r.case_id, str(r.kind)): {"covered": int(r.covered), "last_index": r.last_index, "last_on": r.last_on}
           for r in rows}
    # Whether the latest check of each kind held (the latest day's last entry).
    top = (sa.select(CHECKS.c.case_id, CHECKS.c.kind, sa.func.max(CHECKS.c.on).label("on"))
           .where(CHECKS.c.case_id.in_(case_ids)).group_by(CHECKS.c.case_id, CHECKS.c.kind).subquery())
    last = (sa.select(CHECKS.c.case_id, CHECKS.c.kind, sa.func.max(CHECKS.c.id).label("id"))
            .join(top, sa.and_(top.c.case_id == CHECKS.c.case_id, top.c.kind == CHECKS.c.kind,
                               top.c.on == CHECKS.c.on))
            .group_by(CHECKS.c.case_id, CHECKS.c.kind).subquery())
    for r in session.execute(sa.select(last.c.case_id, last.c.kind, CHECKS.c.holds)
                             .join(CHECKS, CHECKS.c.id == last.c.id)):
        entry = out.get((r.case_id, str(r.kind)))
        if entry is not None:
            entry["last_holds"] = bool(r.holds)
    return out


def cases(session: Session, *, community_id: int | None, today: dt.date, open_only: bool = False,
          code: str | None = None) -> pd.DataFrame:
    """The cases of a community (None: every community), open ones first, newest first, with their figures."""
    linked = (sa.select(LINKS.c.case_id, sa.func.count().label("n")).group_by(LINKS.c.case_id).subquery())
    moved = (sa.select(EVENTS.c.case_id, sa.func.max(EVENTS.c.on).label("on")).group_by(EVENTS.c.case_id)
             .subquery())
    stmt = (sa.select(CASES.c.id, CASES.c.code, COMMUNITIES.c.name.label("community"), CASES.c.title, CASES.c.step,
                      CASES.c.opened_on, moved.c.on.label("updated_on"),
                      sa.func.coalesce(linked.c.n, 0).label("requests"), CASES.c.supervision_from, CASES.c.closed_on,
                      CASES.c.check_every_days, CASES.c.feedback_every_days, CASES.c.measures, CASES.c.version)
            .join(COMMUNITIES, COMMUNITIES.c.id == CASES.c.community_id)
            .join(linked, linked.c.case_id == CASES.c.id, isouter=True)
            .join(moved, moved.c.case_id == CASES.c.id, isouter=True)
            .order_by(CASES.c.step == CaseStep.closed, CASES.c.opened_on.desc(), CASES.c.code.desc()))
    if community_id is not None:
        stmt = stmt.where(CASES.c.community_id == community_id)
    if open_only:
        stmt = stmt.where(CASES.c.step != CaseStep.closed)
    if code is not None:
        stmt = stmt.where(CASES.c.code == code)
    rows = session.execute(stmt).all()
    counts = _check_counts(session, [r.id for r in rows], today)
    out = []
    for r in rows:
        item = {c: getattr(r, c) for c in LIST_COLUMNS if hasattr(r, c)}
        closed = r.step == CaseStep.closed
        end = r.closed_on if closed and r.closed_on is not None else today
        for kind, every, name in ((CaseCheckKind.weekly_check, r.check_every_days, "check"),
                                  (CaseCheckKind.monthly_feedback, r.feedback_every_days, "feedback")):
            c = counts.get((r.id, str(kind)), {})
            s = supervision(r.supervision_from, every, end, closed, c.get("covered", 0), c.get("last_index"),
                            c.get("last_on"), c.get("last_holds"))
            key = "checks" if name == "check" else "feedback"
            item |= {f"overdue_{key}": s.overdue, f"next_{name}": s.next_due, f"last_{name}_on": s.last_on,
                     f"last_{name}_holds": s.last_holds}
        out.append(item)
    return pd.DataFrame(out, columns=LIST_COLUMNS)


def closed_between(session: Session, *, community_id: int, since: dt.date | None, until: dt.date) -> pd.DataFrame:
    """The community's cases closed after `since` (None: ever) up to `until`, with their measures."""
    stmt = (sa.select(CASES.c.code, CASES.c.title, CASES.c.closed_on, CASES.c.measures, CASES.c.close_note)
            .where(CASES.c.community_id == community_id, CASES.c.step == CaseStep.closed, CASES.c.closed_on <= until)
            .order_by(CASES.c.closed_on, CASES.c.code))
    if since is not None:
        stmt = stmt.where(CASES.c.closed_on > since)
    return pd.DataFrame(session.execute(stmt).mappings().all(),
                        columns=["code", "title", "closed_on", "measures", "close_note"])


def dispute_requests(session: Session, *, community_id: int) -> pd.DataFrame:
    """The community's 已分类 requests in no case, which a new case may take: the dispute categories first."""
    in_case = sa.select(LINKS.c.request_id).scalar_subquery()
    dispute = R.c.category.in_([str(c) for c in DISPUTES])
    stmt = (sa.select(R.c.code, R.c.raised_on, R.c.category, R.c.description, R.c.endorsements, R.c.version,
                      dispute.label("dispute"))
            .where(R.c.community_id == community_id, R.c.status == RequestStatus.classified, R.c.id.not_in(in_case))
            .order_by(sa.case((dispute, 0), else_=1), R.c.raised_on, R.c.code))
    frame = pd.DataFrame(session.execute(stmt).mappings().all(),
                         columns=["code", "raised_on", "category", "description", "endorsements", "version",
                                  "dispute"])
    frame["dispute"] = frame["dispute"].astype(bool)
    return frame


@dataclass(frozen=True)
class CaseDetail:
    case: dict[str, Any]
    community: str
    parties: pd.DataFrame
    requests: pd.DataFrame
    checks: pd.DataFrame
    events: pd.DataFrame
    figures: dict[str, Any] = field(default_factory=dict)


def case_detail(session: Session, code: str, *, today: dt.date) -> CaseDetail | None:
    """One case with its parties, requests, checks (oldest first), events and the figures of the list."""
    row = session.execute(sa.select(CASES, COMMUNITIES.c.name.label("community_name"))
                          .join(COMMUNITIES, COMMUNITIES.c.id == CASES.c.community_id)
                          .where(CASES.c.code == code.strip())).mappings().first()
    if row is None:
        return None
    case = dict(row)
    cid = case["id"]

    def frame(stmt: sa.Select[Any], columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame(session.execute(stmt).mappings().all(), columns=columns)

    parties = frame(sa.select(PARTIES.c.id, PARTIES.c.kind, PARTIES.c.name, PARTIES.c.invited_on, PARTIES.c.attended)
                    .where(PARTIES.c.case_id == cid).order_by(PARTIES.c.id),
                    ["id", "kind", "name", "invited_on", "attended"])
    requests = frame(sa.select(R.c.code, R.c.raised_on, R.c.category, R.c.description, R.c.status, R.c.version)
                     .join(LINKS, LINKS.c.request_id == R.c.id).where(LINKS.c.case_id == cid).order_by(R.c.code),
                     ["code", "raised_on", "category", "description", "status", "version"])
    checks = frame(sa.select(CHECKS.c.on, CHECKS.c.kind, CHECKS.c.holds, CHECKS.c.note, CHECKS.c.actor)
                   .where(CHECKS.c.case_id == cid).order_by(CHECKS.c.on, CHECKS.c.id),
                   ["on", "kind", "holds", "note", "actor"])
    events = frame(sa.select(EVENTS.c.on, EVENTS.c.from_step, EVENTS.c.to_step, EVENTS.c.actor, EVENTS.c.note)
                   .where(EVENTS.c.case_id == cid).order_by(EVENTS.c.id),
                   ["on", "from_step", "to_step", "actor", "note"])
    mine = cases(session, community_id=case["community_id"], today=today, code=case["code"])
    figures = mine.iloc[0].to_dict() if not mine.empty else {}
    return CaseDetail(case, case["community_name"], parties, requests, checks, events, figures)
