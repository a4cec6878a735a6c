"""Lists the filters offer: communities and the quarters that have data."""

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col

from data_models import Community, NeedAssessment, Request, Sale


def communities(session: Session) -> pd.DataFrame:
    rows = session.execute(sa.select(col(Community.id), col(Community.code), col(Community.name), col(Community.kind))
                           .order_by(col(Community.id))).all()
    return pd.DataFrame(rows, columns=["id", "code", "name", "kind"])


def quarters(session: Session) -> list[str]:
    """Every quarter in which needs, sales or requests were recorded, newest first."""
    union = sa.union(
        sa.select(col(NeedAssessment.quarter).label("q")).distinct(),
        sa.select(col(Sale.quarter).label("q")).distinct(),
        sa.select(col(Request.quarter).label("q")).distinct(),
    ).subquery()
    return [q for (q,) in session.execute(sa.select(union.c.q).order_by(union.c.q.desc())).all()]


def has_quarter(session: Session, quarter: str) -> bool:
    """Whether anything was recorded in the quarter: three indexed EXISTS probes, not a scan."""
    return any(
        session.execute(sa.select(sa.exists().where(col(model.quarter) == quarter))).scalar()
        for model in (NeedAssessment, Sale, Request)
    )


def has_data(session: Session, *, community_id: int | None, quarter: str | None) -> bool:
    """Whether any need, sale or request was recorded in the community and quarter (None: any); indexed probes."""
    for model in (NeedAssessment, Sale, Request):
        cond: list[sa.ColumnElement[bool]] = []
        if community_id is not None:
            cond.append(col(model.community_id) == community_id)
        if quarter is not None:
            cond.append(col(model.quarter) == quarter)
        if session.execute(sa.select(sa.literal(1)).select_from(model).where(*cond).limit(1)).first():
            return True
    return False
