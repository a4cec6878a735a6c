"""季度汇报 reads: a community-quarter's published versions (the latest, the history), the quarters that have one,
and what every page of a handout, PDF or slide says about a version (`meta`).

A version comes back as it was frozen: the figures (`ReportData`, unsuppressed: suppression is applied per viewer),
the narrative per language, the restatement's reason and table of changed figures, and the parties' confirmations.
Names are the accounts' display names where they have one, else the username.
"""

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from dashboard.report.diff import FigureChange, changes_from_json
from dashboard.report.types import ReportData, ReportMeta, from_json
from data_models import ReportConfirmation, ReportVersion, User
from data_models.base import table_of

V = table_of(ReportVersion)
RC = table_of(ReportConfirmation)
U = table_of(User)
ALL = "all"


def scope_key(community_id: int | None) -> str:
    """The key a scope's versions are stored under: "all" for all communities, "c<id>" for one."""
    return ALL if community_id is None else f"c{int(community_id)}"


@dataclass(frozen=True)
class Confirmation:
    """A party's word on a version: `party_kind` government / platform / association; `decision` accepted (the
    government) or confirmed (the platform, the association)."""
    party_kind: str
    decision: str
    by: str
    by_name: str
    at: dt.datetime                  # aware UTC
    note: str


@dataclass(frozen=True)
class Published:
    id: int
    version: int
    community_id: int | None
    quarter: str
    cut_off_at: dt.datetime          # aware UTC
    published_at: dt.datetime        # aware UTC
    published_by: str                # username
    published_by_name: str           # display name (the username when the account has none or is gone)
    data: ReportData                 # the figures as published, unsuppressed
    narrative: dict[str, dict[str, str]]     # {"zh": {area: text}, "en": {area: text}}
    reason: str                      # why it was restated ("" for version 1)
    changes: list[FigureChange]      # the figures that changed from the version before ([] for version 1)
    sha256: str
    confirmations: list[Confirmation]

    @property
    def restated(self) -> bool:
        return self.version > 1


def aware(at: Any) -> dt.datetime:
    """A stored timestamp as aware UTC (SQLite hands them back naive)."""
    value = at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(str(at))
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def name_of(username: str, display: str | None) -> str:
    return display.strip() if display and display.strip() else username


def _confirmations(conn: Connection, ids: list[int]) -> dict[int, list[Confirmation]]:
    out: dict[int, list[Confirmation]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = conn.execute(sa.select(RC, U.c.display_name).outerjoin(U, U.c.username == RC.c.by)
                        .where(RC.c.report_version_id.in_(ids)).order_by(RC.c.at, RC.c.party_kind))
    for r in rows:
        out[r.report_version_id].append(Confirmation(r.party_kind, r.decision, r.by, name_of(r.by, r.display_name),
                                                     aware(r.at), r.note or ""))
    return out


def _versions(conn: Connection, where: list[Any]) -> list[Published]:
    rows = conn.execute(sa.select(V, U.c.display_name).outerjoin(U, U.c.username == V.c.published_by)
                        .where(*where).order_by(V.c.version.desc())).all()
    confirmed = _confirmations(conn, [int(r.id) for r in rows])
    return [Published(
        id=int(r.id), version=int(r.version), community_id=r.community_id, quarter=r.quarter,
        cut_off_at=aware(r.cut_off_at), published_at=aware(r.published_at), published_by=r.published_by,
        published_by_name=name_of(r.published_by, r.display_name), data=from_json(r.snapshot),
        narrative=json.loads(r.narrative), reason=r.reason or "", changes=changes_from_json(r.changes),
        sha256=r.sha256, confirmations=confirmed[int(r.id)]) for r in rows]


def history(session: Session, *, community_id: int | None, quarter: str) -> list[Published]:
    """Every published version of the community-quarter, newest first; [] when none has been published."""
    return _versions(session.connection(), [V.c.scope_key == scope_key(community_id), V.c.quarter == quarter])


def latest(session: Session, *, community_id: int | None, quarter: str) -> Published | None:
    """The version that stands (the highest), or None when the quarter has not been published."""
    conn = session.connection()
    newest = (sa.select(sa.func.max(V.c.version))
              .where(V.c.scope_key == scope_key(community_id), V.c.quarter == quarter).scalar_subquery())
    found = _versions(conn, [V.c.scope_key == scope_key(community_id), V.c.quarter == quarter,
                             V.c.version == newest])
    return found[0] if found else None


def by_id(session: Session, *, version_id: int) -> Published | None:
    found = _versions(session.connection(), [V.c.id == version_id])
    return found[0] if found else None


def latest_version_number(conn: Connection, *, community_id: int | None, quarter: str) -> int:
    """The highest version of the community-quarter, 0 when none: what a publisher's `expected_version` is."""
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(V.c.version), 0))
                            .where(V.c.scope_key == scope_key(community_id), V.c.quarter == quarter)).scalar_one())


def published_quarters(session: Session, *, community_id: int | None) -> list[str]:
    """The quarters of the scope that have a published version, newest first."""
    rows = session.connection().execute(sa.select(V.c.quarter).where(V.c.scope_key == scope_key(community_id))
                                        .group_by(V.c.quarter).order_by(V.c.quarter.desc()))
    return [str(q) for q in rows.scalars()]


def meta(published: Published) -> ReportMeta:
    """What a handout, PDF or slide says about the version it shows: its number, times and who published it (by
    display name), and (修订) from version 2 on."""
    return ReportMeta(version=published.version, cut_off=published.cut_off_at, published_at=published.published_at,
                      published_by=published.published_by_name, restated=published.restated)
