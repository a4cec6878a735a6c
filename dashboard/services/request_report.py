"""Report-back (收集 → 处理 → 反馈): what a community's next livestream reports on, and the text read out in it.

The queue is every request of the community that is 已办结 and not yet reported, and every other open request
whose state changed since the community's last livestream. The read-out text (上期诉求办理进展) says how many,
which were finished and how, and which are still in progress, where and why. Phone numbers in residents' text are
masked: the text is read on air.

The read-out also tells how the 五步协商 cases stand (dashboard/services/consultation.py): a request taken into a case
is read as such (the case and its step, not a unit and a deadline), then each open case with its step, the agreed
measures, the latest check and the checks missed, and the cases closed since the last session.
"""

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from dashboard.i18n import label, t, use_language
from dashboard.periods import shanghai_today
from dashboard.privacy import mask_text
from dashboard.queries import consultation as cases_query
from dashboard.services.errors import RuleError
from data_models import CaseRequest, Community, ConsultationCase, LivestreamSession, Request, RequestEvent, Unit
from data_models.base import table_of
from data_models.enums import CaseStep, RequestCategory, RequestOutcome, RequestStatus, ReturnReason

R = table_of(Request)
EVENTS = table_of(RequestEvent)
UNITS = table_of(Unit)
SESSIONS = table_of(LivestreamSession)
LINKS = table_of(CaseRequest)
CASES = table_of(ConsultationCase)
DONE = (RequestStatus.reported, RequestStatus.closed)


@dataclass(frozen=True)
class QueueRow:
    """One request of a community's report-back queue (what the next livestream reports on)."""

    code: str
    category: str
    description: str
    status: str
    lead_unit: str | None
    outcome: str | None
    resolution: str
    deadline: dt.date | None
    overdue: bool
    last_move: str | None
    last_move_on: dt.date | None
    last_reason: str | None      # the return reason when the last move was 退回
    last_note: str
    needs_report: bool           # 已办结 and not reported yet: report() it in the next session
    case: str | None = None      # the 五步协商 case that settles it, if any
    case_step: str | None = None


def _last_session_before(session: Session, community_id: int, day: dt.date, *, inclusive: bool) -> dt.date | None:
    held = SESSIONS.c.held_on
    return session.execute(sa.select(sa.func.max(held)).where(
        SESSIONS.c.community_id == community_id, held <= day if inclusive else held < day)).scalar()


def _queue(session: Session, community_id: int, since: dt.date | None, until: dt.date,
           today: dt.date) -> list[QueueRow]:
    changed = sa.exists().where(EVENTS.c.request_id == R.c.id, EVENTS.c.on <= until,
                                *([EVENTS.c.on > since] if since is not None else []))
    mine = sa.select(R.c.id).where(R.c.community_id == community_id).scalar_subquery()
    last = (sa.select(EVENTS.c.request_id, sa.func.max(EVENTS.c.id).label("last_id"))
            .where(EVENTS.c.request_id.in_(mine)).group_by(EVENTS.c.request_id).subquery())
    e = EVENTS.alias("last_event")
    stmt = (sa.select(R.c.code, R.c.category, R.c.description, R.c.status, UNITS.c.name.label("unit"), R.c.outcome,
                      R.c.resolution, R.c.deadline, e.c.move, e.c.on, e.c.reason_code, e.c.note,
                      CASES.c.code.label("case"), CASES.c.step.label("case_step"))
            .select_from(R)
            .join(UNITS, UNITS.c.id == R.c.lead_unit_id, isouter=True)
            .join(LINKS, LINKS.c.request_id == R.c.id, isouter=True)
            .join(CASES, CASES.c.id == LINKS.c.case_id, isouter=True)
            .join(last, last.c.request_id == R.c.id, isouter=True)
            .join(e, e.c.id == last.c.last_id, isouter=True)
            .where(R.c.community_id == community_id, R.c.status.not_in(DONE),
                   sa.or_(R.c.status == RequestStatus.resolved, changed))
            .order_by(R.c.status != RequestStatus.resolved, R.c.code))
    out = []
    for row in session.execute(stmt):
        status = RequestStatus(row.status)
        out.append(QueueRow(
            code=row.code, category=row.category, description=row.description, status=status,
            lead_unit=row.unit, outcome=row.outcome, resolution=row.resolution, deadline=row.deadline,
            overdue=status != RequestStatus.resolved and row.deadline is not None and row.deadline < today,
            last_move=row.move, last_move_on=row.on, last_reason=row.reason_code, last_note=row.note or "",
            needs_report=status == RequestStatus.resolved, case=row.case, case_step=row.case_step))
    return out


def report_back_queue(session: Session, *, community_id: int, today: dt.date | None = None) -> list[QueueRow]:
    """What the community's next livestream reports on: every request 已办结 and not reported yet, then every other
    open request whose state changed since the community's last livestream held by `today`; finished first."""
    today = today or shanghai_today()
    since = _last_session_before(session, community_id, today, inclusive=True)
    return _queue(session, community_id, since, today, today)




def _masked(text: str) -> str:
    """Read on air: residents' names, phone numbers (however written) and ID numbers masked."""
    return mask_text((text or "").strip())


def _why(row: QueueRow) -> str:
    parts = []
    if row.last_reason:
        parts.append(label(ReturnReason(row.last_reason)))
    if row.last_note and row.last_move != "callback":
        parts.append(_masked(row.last_note))
    return t("requests.readout_why", why="：".join(parts)) if parts else ""


def readout_text(session: Session, *, community_id: int, livestream_code: str | None, lang: str = "zh",
                 today: dt.date | None = None) -> str:
    """上期诉求办理进展: the text the social worker reads out in a livestream, in Chinese (or English with
    lang="en"). With `livestream_code` it is the text for that session (what changed since the session before it);
    without, for the next one (since the last session held by `today`). It describes the requests as they are now."""
    today = today or shanghai_today()
    until = today
    if livestream_code is None:
        since = _last_session_before(session, community_id, today, inclusive=True)
    else:
        live = session.execute(sa.select(SESSIONS.c.community_id, SESSIONS.c.held_on)
                               .where(SESSIONS.c.code == livestream_code.strip())).first()
        if live is None:
            raise RuleError("requests.unknown_livestream", code=livestream_code)
        if live.community_id != community_id:
            raise RuleError("requests.livestream_not_community", livestream=livestream_code)
        since = _last_session_before(session, community_id, live.held_on, inclusive=False)
        until = min(today, live.held_on)
    rows = _queue(session, community_id, since, until, today)
    community = session.execute(sa.select(table_of(Community).c.name)
                                .where(table_of(Community).c.id == community_id)).scalar() or ""
    open_cases = cases_query.cases(session, community_id=community_id, today=today, open_only=True)
    closed = cases_query.closed_between(session, community_id=community_id, since=since, until=until)
    with use_language(lang):
        return _compose(rows, community, since, until, _cases_lines(open_cases, closed))


def _measures(text: str) -> str:
    return "；".join(_masked(line) for line in (text or "").splitlines() if line.strip())


def _cases_lines(open_cases: pd.DataFrame, closed: pd.DataFrame) -> list[str]:
    """五步协商进展: each open case (step, measures, latest check, checks missed), then the cases closed since."""
    if open_cases.empty and closed.empty:
        return []
    lines = [t("consultation.readout_title")]
    for i, c in enumerate(open_cases.itertuples(index=False), start=1):
        supervised = c.step == CaseStep.supervision
        measures = t("consultation.readout_measures", measures=_measures(c.measures)) if c.measures else ""
        last = ""
        if supervised and c.last_check_on is not None:
            last = t("consultation.readout_last", date=c.last_check_on.isoformat(),
                     verdict=t("consultation.readout_holds" if c.last_check_holds else "consultation.readout_fails"))
        elif supervised:
            last = t("consultation.readout_no_check")
        overdue = (t("consultation.readout_overdue", checks=int(c.overdue_checks), feedback=int(c.overdue_feedback))
                   if c.overdue_checks or c.overdue_feedback else "")
        lines.append(t("consultation.readout_open_line", i=i, title=_masked(c.title), code=c.code,
                       step=label(CaseStep(c.step)), measures=measures, last=last, overdue=overdue).rstrip())
    if not closed.empty:
        lines.append(t("consultation.readout_closed"))
        for i, c in enumerate(closed.itertuples(index=False), start=1):
            measures = t("consultation.readout_measures", measures=_measures(c.measures)) if c.measures else ""
            lines.append(t("consultation.readout_closed_line", i=i, title=_masked(c.title), code=c.code,
                           on=c.closed_on.isoformat(), measures=measures).rstrip())
    return lines


def _compose(rows: list[QueueRow], community: str, since: dt.date | None, until: dt.date,
             cases: list[str] | None = None) -> str:
    done = [r for r in rows if r.needs_report]
    still = [r for r in rows if not r.needs_report]
    lines = [t("requests.readout_title", community=community)]
    if not rows:
        lines.append(t("requests.readout_none"))
        if not cases:
            return "\n".join(lines)
        return "\n".join([*lines, "", *cases, "", t("requests.readout_closing")])
    counts = {"n": len(rows), "done": len(done), "open": len(still)}
    lines.append(t("requests.readout_since", date=since.isoformat(), **counts) if since is not None
                 else t("requests.readout_first", date=until.isoformat(), **counts))
    overdue = sum(r.overdue for r in still)
    if overdue:
        lines.append(t("requests.readout_overdue_count", n=overdue))
    if done:
        lines += ["", t("requests.readout_done")]
        for i, r in enumerate(done, start=1):
            lines.append(t("requests.readout_done_line", i=i, code=r.code,
                           category=label(RequestCategory(r.category)), description=_masked(r.description),
                           outcome=label(RequestOutcome(r.outcome)) if r.outcome else "—",
                           resolution=_masked(r.resolution)).rstrip())
    if still:
        lines += ["", t("requests.readout_open")]
        for i, r in enumerate(still, start=1):
            if r.case is not None:
                lines.append(t("consultation.readout_in_case", i=i, code=r.code, case=r.case,
                               category=label(RequestCategory(r.category)), description=_masked(r.description),
                               step=label(CaseStep(r.case_step or CaseStep.collection))))
                continue
            lines.append(t("requests.readout_open_line", i=i, code=r.code,
                           category=label(RequestCategory(r.category)), description=_masked(r.description),
                           status=label(RequestStatus(r.status)),
                           unit=r.lead_unit or t("requests.readout_no_unit"),
                           deadline=r.deadline.isoformat() if r.deadline else t("requests.readout_no_deadline"),
                           overdue=t("requests.readout_overdue") if r.overdue else "", why=_why(r)).rstrip())
    if cases:
        lines += ["", *cases]
    lines += ["", t("requests.readout_closing")]
    return "\n".join(lines)
