"""What the 直播治理诉求 page shows beside the list: one request's details, a community's livestream sessions, and
the versions of the report-back queue's requests (the version a report names is the one the user saw)."""

from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from dashboard.excel.writer import routed_to_party
from data_models import Community, LivestreamSession, Request, RequestSupport, Unit
from data_models.base import table_of

R = table_of(Request)
U = table_of(Unit)
SUP = table_of(RequestSupport)
LS = table_of(LivestreamSession)
C = table_of(Community)


def detail(session: Session, code: str, *, party_id: int | None = None) -> dict[str, Any] | None:
    """What the list does not carry: endorsements, outcome, resolution, the 不合理诉求 proposal, the session it was
    reported in, the callback's answer, the supporting units and the community. None outside the party's scope."""
    where = [R.c.code == code]
    if party_id is not None:
        where.append(routed_to_party(R, party_id))
    row = session.execute(
        sa.select(R.c.id, R.c.endorsements, R.c.outcome, R.c.resolution, R.c.unreasonable_by,
                  R.c.unreasonable_agreed_by, LS.c.code.label("reported_session"), R.c.satisfaction,
                  R.c.callback_tries, R.c.community_id, C.c.code.label("community_code"))
        .select_from(R).join(LS, LS.c.id == R.c.reported_session_id, isouter=True)
        .join(C, C.c.id == R.c.community_id).where(*where)).mappings().first()
    if row is None:
        return None
    supports = session.execute(sa.select(U.c.name).select_from(SUP).join(U, U.c.id == SUP.c.unit_id)
                               .where(SUP.c.request_id == row["id"]).order_by(U.c.code)).scalars().all()
    out = {k: (None if v is None else str(v) if k in ("outcome", "satisfaction") else v) for k, v in row.items()}
    return {**out, "support_units": list(supports)}


def sessions(session: Session, *, community_id: int, limit: int = 20) -> pd.DataFrame:
    """The community's latest `limit` livestream sessions (code, held_on, title), newest first."""
    rows = session.execute(sa.select(LS.c.code, LS.c.held_on, LS.c.title).where(LS.c.community_id == community_id)
                           .order_by(LS.c.held_on.desc(), LS.c.id.desc()).limit(limit)).all()
    return pd.DataFrame(rows, columns=["code", "held_on", "title"])


def versions(session: Session, codes: list[str]) -> dict[str, int]:
    """Each request's current version, by code."""
    if not codes:
        return {}
    return {c: int(v) for c, v in session.execute(sa.select(R.c.code, R.c.version).where(R.c.code.in_(codes)))}
