"""数字画像: one practitioner's profile, strengths, needs history, training and income over time."""

from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col

from data_models import (
    Community,
    Course,
    Enrolment,
    NeedAssessment,
    NeedEvent,
    Practitioner,
    PractitionerGroup,
    TrainingFollowup,
    User,
)

P = Practitioner


def find(session: Session, *, community_id: int | None, text: str, limit: int = 50) -> pd.DataFrame:
    """Practitioners whose code or name contains `text` (bound parameter, never pasted into SQL)."""
    pattern = f"%{text.strip()}%"
    stmt = sa.select(col(P.code), col(P.name)).where(sa.or_(col(P.code).like(pattern), col(P.name).like(pattern)))
    if community_id is not None:
        stmt = stmt.where(col(P.community_id) == community_id)
    return pd.DataFrame(session.execute(stmt.order_by(col(P.code)).limit(limit)).all(), columns=["code", "name"])


@dataclass(frozen=True)
class Card:
    basics: dict[str, object]
    groups: list[str]
    needs: pd.DataFrame
    events: pd.DataFrame
    training: pd.DataFrame
    income: pd.DataFrame


def card(session: Session, *, code: str) -> Card | None:
    row = session.execute(sa.select(P, col(Community.name)).join(Community, col(Community.id) == P.community_id)
                          .where(col(P.code) == code)).first()
    if row is None:
        return None
    p, community = row
    basics = p.model_dump(mode="json") | {"community": community}
    groups = [g for (g,) in session.execute(sa.select(col(PractitionerGroup.group))
                                            .where(col(PractitionerGroup.practitioner_id) == p.id))]
    n = NeedAssessment
    needs = pd.DataFrame(session.execute(
        sa.select(col(n.code), col(n.category), col(n.severity), col(n.status), col(n.identified_on),
                  col(n.feedback_on), col(n.satisfaction), col(n.description))
        .where(col(n.practitioner_id) == p.id).order_by(col(n.identified_on).desc())).all(),
        columns=["code", "category", "severity", "status", "identified_on", "feedback_on", "satisfaction",
                 "description"])
    # Who moved it by display name where the account has one; otherwise the name the move recorded.
    mover = sa.func.coalesce(sa.func.nullif(User.display_name, ""), NeedEvent.actor)
    events = pd.DataFrame(session.execute(
        sa.select(col(n.code), col(NeedEvent.to_status), col(NeedEvent.at), mover, col(NeedEvent.note))
        .join(n, col(n.id) == NeedEvent.need_id)
        .outerjoin(User, col(User.username) == NeedEvent.actor)
        .where(col(n.practitioner_id) == p.id)
        .order_by(col(NeedEvent.at).desc(), col(NeedEvent.id).desc()).limit(50)).all(),
        columns=["code", "status", "at", "actor", "note"])
    e, c, f = Enrolment, Course, TrainingFollowup

    def latest(value: Any) -> Any:
        """What the latest reached follow-up (6 months before 3) found."""
        return (sa.select(value).where(col(f.enrolment_id) == e.id, col(f.status) == "reached")
                .order_by(col(f.wave).desc()).limit(1).scalar_subquery())
    training = pd.DataFrame(session.execute(
        sa.select(col(c.title), col(c.level), col(e.enrolled_on), col(c.end_date), col(e.completed),
                  col(e.certified), latest(col(f.employment) != "not_employed"), col(e.income_before_cents),
                  latest(col(f.income_cents)), latest(col(f.reached_on)))
        .join(c, col(c.id) == e.course_id).where(col(e.practitioner_id) == p.id).order_by(col(e.enrolled_on))).all(),
        columns=["title", "level", "enrolled_on", "end_date", "completed", "certified", "employed_after",
                 "income_before_cents", "income_after_cents", "reached_on"])
    points = [{"on": p.registered_on, "income_cents": p.monthly_income_cents, "source": "registered"}]
    for t in training.itertuples():
        if t.income_before_cents is not None and not pd.isna(t.income_before_cents):
            points.append({"on": t.enrolled_on, "income_cents": int(t.income_before_cents), "source": "before"})
        if t.income_after_cents is not None and not pd.isna(t.income_after_cents):
            points.append({"on": t.reached_on, "income_cents": int(t.income_after_cents), "source": "after"})
    income = pd.DataFrame(points).sort_values("on", kind="stable").reset_index(drop=True)
    return Card(basics, groups, needs, events, training, income)
