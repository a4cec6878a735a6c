"""The audit log as the admin page reads it: filtered in SQL, newest first, a page at a time."""

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from data_models import AuditLog
from data_models.base import table_of

A = table_of(AuditLog).c
COLUMNS = ["id", "at", "actor", "action", "entity", "entity_id", "before", "after"]


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None          # a part of the name, any case
    action: str | None = None
    entity: str | None = None
    since: dt.date | None = None      # both days inclusive, in Asia/Shanghai's calendar
    until: dt.date | None = None


def _where(f: AuditFilter) -> list[sa.ColumnElement[bool]]:
    shanghai = dt.timezone(dt.timedelta(hours=8))
    where: list[sa.ColumnElement[bool]] = []
    if f.actor:
        where.append(sa.func.lower(A.actor).contains(f.actor.strip().lower(), autoescape=True))
    if f.action:
        where.append(A.action == f.action)
    if f.entity:
        where.append(A.entity == f.entity)
    if f.since:
        where.append(A.at >= dt.datetime.combine(f.since, dt.time(), shanghai).astimezone(dt.UTC))
    if f.until:
        end = dt.datetime.combine(f.until + dt.timedelta(days=1), dt.time(), shanghai)
        where.append(A.at < end.astimezone(dt.UTC))
    return where


def entries(session: Session, *, filters: AuditFilter, limit: int = 500) -> tuple[pd.DataFrame, int]:
    """The newest `limit` entries that match, and how many match in all."""
    where = _where(filters)
    total = session.execute(sa.select(sa.func.count()).select_from(table_of(AuditLog)).where(*where)).scalar_one()
    rows = session.execute(sa.select(*(A[c] for c in COLUMNS)).where(*where).order_by(A.id.desc())
                           .limit(limit)).all()
    return pd.DataFrame(rows, columns=COLUMNS), int(total)


def facets(session: Session) -> tuple[list[str], list[str]]:
    """The actions and entities that occur, for the filter lists."""
    actions = session.execute(sa.select(A.action).distinct().order_by(A.action)).scalars().all()
    entities = session.execute(sa.select(A.entity).distinct().order_by(A.entity)).scalars().all()
    return list(actions), list(entities)
