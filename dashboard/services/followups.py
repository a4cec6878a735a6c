"""培训回访: recording the 3- and 6-month contacts (a try, or what was found) and the list of those due.

Each write names the follow-up's version the user saw; the UPDATE checks that version and the status the write
starts from, so of two people recording the same contact at once exactly one wins and the other is told
(followup.changed_meanwhile); nothing of the loser's is written. The audit entry comes after the row's update (the
audit lock is held to the end of the transaction).

A person not reached stays `pending` until UNREACHABLE_TRIES tries, then is `unreachable`: never "not employed".
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from dashboard import access, audit, locks
from dashboard import training_stats as ts
from dashboard.access import Action
from dashboard.accounts import Principal
from dashboard.i18n import label, t
from dashboard.privacy import mask_name, mask_phone
from dashboard.services.errors import RuleError
from data_models import Course, Enrolment, Practitioner, TrainingFollowup
from data_models.base import table_of
from data_models.core import utcnow
from data_models.enums import EmploymentStatus, FollowupStatus, FollowupWave

UNREACHABLE_TRIES = 3
MAX_INCOME_CENTS = 10_000_000 * 100          # a month's income of ten million yuan or more is a typing error
MAX_LIVESTREAMS = 50
MAX_NOTE = 500
FOLLOWUP = table_of(TrainingFollowup)
ENROLMENT = table_of(Enrolment)
COURSE = table_of(Course)
PRACTITIONER = table_of(Practitioner)
DONE = ENROLMENT.alias("done")          # the enrolment in _due's EXISTS, apart from the work list's own join
S = FollowupStatus


@dataclass(frozen=True)
class Answer:
    """What a reached person said. Income is a month's, in cents; None where the question was not answered."""

    employment: str
    opened_store: bool | None
    livestreams_per_week: int | None
    income_cents: int | None
    note: str = ""


@dataclass(frozen=True)
class _Context:
    enrolment_code: str
    course_end: dt.date
    completed: bool


# --- reading and checking ------------------------------------------------------------------------------------------

def _load(session: Session, followup_id: int) -> tuple[TrainingFollowup, _Context]:
    row = session.execute(
        sa.select(TrainingFollowup, ENROLMENT.c.code, COURSE.c.end_date, ENROLMENT.c.completed)
        .join(ENROLMENT, ENROLMENT.c.id == FOLLOWUP.c.enrolment_id)
        .join(COURSE, COURSE.c.id == ENROLMENT.c.course_id)
        .where(FOLLOWUP.c.id == followup_id)
        .execution_options(populate_existing=True)).one_or_none()
    if row is None:
        raise RuleError("followup.unknown", id=followup_id)
    return row[0], _Context(row[1], row[2], bool(row[3]))


def _name(fu: TrainingFollowup, ctx: _Context) -> str:
    return t("followup.name", code=ctx.enrolment_code, wave=label(FollowupWave(fu.wave)))


def _changed(session: Session, fu: TrainingFollowup, ctx: _Context) -> RuleError:
    now = session.connection().execute(
        sa.select(FOLLOWUP.c.status, FOLLOWUP.c.recorded_by).where(FOLLOWUP.c.id == fu.id)).one_or_none()
    return RuleError("followup.changed_meanwhile", followup=_name(fu, ctx),
                     current=label(S(now.status)) if now is not None else "—",
                     by=(now.recorded_by if now is not None and now.recorded_by else "—"))


def _start(session: Session, followup_id: int, version: int, actor: Principal,
           *starts: FollowupStatus) -> tuple[TrainingFollowup, _Context]:
    access.require(actor.role, Action.followup_record)
    fu, ctx = _load(session, followup_id)
    if fu.version != version:
        raise _changed(session, fu, ctx)
    if S(fu.status) not in starts:
        raise RuleError("followup.wrong_status", followup=_name(fu, ctx), current=label(S(fu.status)))
    if not ctx.completed:
        raise RuleError("followup.not_completed", followup=_name(fu, ctx))
    return fu, ctx


def _check_on(on: dt.date, ctx: _Context, today: dt.date) -> None:
    if on > today:
        raise RuleError("followup.future_date", date=on.isoformat(), today=today.isoformat())
    if on < ctx.course_end:
        raise RuleError("followup.before_course_end", date=on.isoformat(), end=ctx.course_end.isoformat())


def _note(text: str | None) -> str | None:
    value = (text or "").strip()
    if len(value) > MAX_NOTE:
        raise RuleError("followup.note_too_long", n=len(value), max=MAX_NOTE)
    return value or None


def check_answer(answer: Answer) -> EmploymentStatus:
    """The answer's employment as the enum; refuses, naming the field, what cannot be true."""
    try:
        employment = EmploymentStatus(str(answer.employment).strip())
    except ValueError:
        raise RuleError("followup.bad_employment", value=answer.employment,
                        allowed="、".join(label(e) for e in EmploymentStatus)) from None
    income = answer.income_cents
    if income is not None and (isinstance(income, bool) or not 0 <= int(income) < MAX_INCOME_CENTS):
        raise RuleError("followup.bad_income", value=_yuan(income), max=f"{MAX_INCOME_CENTS // 100:,}")
    streams = answer.livestreams_per_week
    if streams is not None and (isinstance(streams, bool) or not 0 <= int(streams) <= MAX_LIVESTREAMS):
        raise RuleError("followup.bad_livestreams", value=streams, max=MAX_LIVESTREAMS)
    return employment


def _yuan(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    yuan, fen = divmod(abs(int(cents)), 100)
    return f"{sign}{yuan:,}.{fen:02d}"


# --- writing -------------------------------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value) if value is not None and not isinstance(value, bool | int) else value


def _write(session: Session, fu: TrainingFollowup, ctx: _Context, *, seen: int, values: dict[str, Any],
           action: str, actor: Principal) -> TrainingFollowup:
    """The compare-and-set: changes the row only if it still has version `seen` and its status; then the audit."""
    conn = session.connection()
    # The follow-ups import's lock: an import checks its rows and writes them under it, so a record made here cannot
    # slip in between and be overwritten (the import sees it and refuses; or this sees the import's new version).
    locks.serialise(conn, "import:followups")
    result = conn.execute(FOLLOWUP.update()
                          .where(FOLLOWUP.c.id == fu.id, FOLLOWUP.c.version == seen,
                                 FOLLOWUP.c.status == S(fu.status))
                          .values(**values, version=FOLLOWUP.c.version + 1))
    if result.rowcount != 1:
        raise _changed(session, fu, ctx)
    before = {k: _plain(getattr(fu, k)) for k in values} | {"version": seen}
    for key, value in values.items():
        set_committed_value(fu, key, value)
    set_committed_value(fu, "version", seen + 1)
    after = {k: _plain(v) for k, v in values.items()} | {"version": seen + 1}
    audit.record(conn, actor=actor.username, action=action, entity="training_followup",
                 entity_id=f"{ctx.enrolment_code}/{fu.wave}", before=before, after=after)
    return fu


def record_try(session: Session, followup_id: int, *, version: int, on: dt.date, note: str, actor: Principal,
               today: dt.date) -> TrainingFollowup:
    """A contact tried and not reached: one more try; at UNREACHABLE_TRIES the follow-up is given up (unreachable)."""
    fu, ctx = _start(session, followup_id, version, actor, S.pending)
    _check_on(on, ctx, today)
    if fu.last_tried_on is not None and on < fu.last_tried_on:
        raise RuleError("followup.before_last_try", date=on.isoformat(), last=fu.last_tried_on.isoformat())
    tries = fu.tries + 1
    values: dict[str, Any] = {
        "tries": tries, "last_tried_on": on,
        "status": S.unreachable if tries >= UNREACHABLE_TRIES else S.pending,
        "note": _note(note) or fu.note, "recorded_by": actor.username, "recorded_at": utcnow(),
    }
    return _write(session, fu, ctx, seen=version, values=values, action="followup_try", actor=actor)


def record_reached(session: Session, followup_id: int, *, version: int, on: dt.date, answer: Answer,
                   actor: Principal, today: dt.date) -> TrainingFollowup:
    """The person was reached on `on`: the answers are kept. Also on one given up as unreachable (reached later)."""
    fu, ctx = _start(session, followup_id, version, actor, S.pending, S.unreachable)
    _check_on(on, ctx, today)
    employment = check_answer(answer)
    values: dict[str, Any] = {
        "status": S.reached, "reached_on": on, "tries": min(fu.tries + 1, 20), "last_tried_on": on,
        "employment": employment, "opened_store": answer.opened_store,
        "livestreams_per_week": None if answer.livestreams_per_week is None else int(answer.livestreams_per_week),
        "income_cents": None if answer.income_cents is None else int(answer.income_cents),
        "note": _note(answer.note), "recorded_by": actor.username, "recorded_at": utcnow(),
    }
    return _write(session, fu, ctx, seen=version, values=values, action="followup_reached", actor=actor)


# --- the work list -------------------------------------------------------------------------------------------------

WORKLIST_COLUMNS = ["followup_id", "version", "wave", "due_on", "overdue_days", "tries", "last_tried_on",
                    "enrolment_code", "practitioner_code", "practitioner_name", "phone", "course_code",
                    "course_title", "course_end"]


def _listed() -> sa.Select[Any]:
    """A follow-up with its enrolment, course and practitioner: the rows of the work list and of open_of."""
    f, e, c, p = FOLLOWUP.c, ENROLMENT.c, COURSE.c, PRACTITIONER.c
    return (sa.select(f.id.label("followup_id"), f.version, f.wave, f.due_on, f.tries, f.last_tried_on, f.status,
                      e.code.label("enrolment_code"), p.code.label("practitioner_code"),
                      p.name.label("practitioner_name"), p.phone, c.code.label("course_code"),
                      c.title.label("course_title"), c.end_date.label("course_end"))
            .select_from(FOLLOWUP)
            .join(ENROLMENT, e.id == f.enrolment_id)
            .join(COURSE, c.id == e.course_id)
            .join(PRACTITIONER, p.id == e.practitioner_id))


def _frame(session: Session, stmt: sa.Select[Any], *, as_of: dt.date, personal: bool,
           columns: list[str]) -> pd.DataFrame:
    """The rows with days overdue, name and phone masked unless `personal`."""
    df = pd.DataFrame(session.connection().execute(stmt).mappings().all())
    if df.empty:
        return pd.DataFrame(columns=columns)
    df["overdue_days"] = [(as_of - d).days for d in df["due_on"]]
    df["status"] = df["status"].map(str)
    if not personal:
        df["practitioner_name"] = df["practitioner_name"].map(mask_name)
        df["phone"] = df["phone"].map(mask_phone)
    return df[columns]


def worklist(session: Session, *, community_id: int | None, as_of: dt.date, days_ahead: int = 7,
             personal: bool = False, limit: int | None = None) -> pd.DataFrame:
    """Pending follow-ups due on or before as_of + days_ahead, most overdue first (then fewest tries).

    Name and phone are masked unless `personal` is True (dashboard.loaders.personal_data_visible(): a social
    worker or admin, not in meeting mode), so a caller that forgets asks for less, not more. `limit` caps the
    rows (a province's backlog); `worklist_count` says how many there are in all."""
    f = FOLLOWUP.c
    stmt = _listed().where(*_due(community_id, as_of, days_ahead)).order_by(f.due_on, f.tries, f.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return _frame(session, stmt, as_of=as_of, personal=personal, columns=WORKLIST_COLUMNS)


def worklist_count(session: Session, *, community_id: int | None, as_of: dt.date, days_ahead: int = 7,
                   live: bool = False) -> int:
    """How many the work list holds. For all communities, summed from training_stats_due once it has caught up: it
    keeps the pending follow-ups of completed enrolments by due day (a province's backlog, counted by reading
    200,000 follow-ups, took 90-110 ms on PostgreSQL). One community's is an indexed count of its own."""
    engine = session.get_bind()
    if community_id is None and not live and isinstance(engine, sa.Engine) and ts.catch_up(engine,
                                                                                          session.connection()):
        d = ts.DUE.c
        kept = sa.select(sa.func.coalesce(sa.func.sum(d.pending), 0)).where(
            d.grp == ts.EVERYONE, d.due_on <= as_of + dt.timedelta(days=days_ahead))
        return int(session.connection().execute(kept).scalar_one())
    stmt = sa.select(sa.func.count()).select_from(FOLLOWUP).where(*_due(community_id, as_of, days_ahead))
    return int(session.connection().execute(stmt).scalar_one())


def _due(community_id: int | None, as_of: dt.date, days_ahead: int) -> list[sa.ColumnElement[bool]]:
    f = FOLLOWUP.c
    # A follow-up left on an enrolment no longer completed (someone had tried it) is kept, not worked: no figure
    # counts it and the import refuses it.
    where = [f.status == S.pending, f.due_on <= as_of + dt.timedelta(days=days_ahead),
             sa.exists().where(DONE.c.id == f.enrolment_id, DONE.c.completed)]
    if community_id is not None:
        where.append(f.community_id == community_id)
    return where


def open_of(session: Session, *, enrolment_code: str, community_id: int | None, as_of: dt.date,
            personal: bool = False) -> pd.DataFrame:
    """The follow-ups of one enrolment that can still be recorded: pending, and unreachable ones (a person given up
    on may be reached later), whatever their due date; the work list's columns plus `status`. Masked as there."""
    f, e = FOLLOWUP.c, ENROLMENT.c
    stmt = (_listed().where(e.code == enrolment_code.strip().upper(), e.completed,
                            f.status.in_([S.pending, S.unreachable]))
            .order_by(f.due_on, f.id))
    if community_id is not None:
        stmt = stmt.where(f.community_id == community_id)
    return _frame(session, stmt, as_of=as_of, personal=personal, columns=[*WORKLIST_COLUMNS, "status"])
