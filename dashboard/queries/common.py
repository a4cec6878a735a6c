"""Lists the filters offer: communities and the quarters that have data."""

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from data_models import Community, NeedAssessment, Request, Sale


def communities(session: Session) -> pd.DataFrame:
    rows = session.execute(sa.select(Community.id, Community.code, Community.name, Community.kind)
                           .order_by(Community.id)).all()
    return pd.DataFrame(rows, columns=["id", "code", "name", "kind"])


def quarters(session: Session) -> list[str]:
    """Every quarter in which needs, sales or requests were recorded, newest first."""
    union = sa.union(
        sa.select(NeedAssessment.quarter.label("q")).distinct(),  # type: ignore[attr-defined]
        sa.select(Sale.quarter.label("q")).distinct(),  # type: ignore[attr-defined]
        sa.select(Request.quarter.label("q")).distinct(),  # type: ignore[attr-defined]
    ).subquery()
    return [q for (q,) in session.execute(sa.select(union.c.q).order_by(union.c.q.desc())).all()]


def has_quarter(session: Session, quarter: str) -> bool:
    """Whether anything was recorded in the quarter: three indexed EXISTS probes, not a scan."""
    return any(
        session.execute(sa.select(sa.exists().where(model.quarter == quarter))).scalar()  # type: ignore[attr-defined]
        for model in (NeedAssessment, Sale, Request)
    )


def has_data(session: Session, *, community_id: int | None, quarter: str | None) -> bool:
    """Whether any need, sale or request was recorded in the community and quarter (None: any); indexed probes."""
    for model in (NeedAssessment, Sale, Request):
        cond = []
        if community_id is not None:
            cond.append(model.community_id == community_id)  # type: ignore[attr-defined]
        if quarter is not None:
            cond.append(model.quarter == quarter)  # type: ignore[attr-defined]
        if session.execute(sa.select(sa.literal(1)).select_from(model).where(*cond).limit(1)).first():
            return True
    return False
