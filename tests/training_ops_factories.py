"""Small helpers for the follow-up, certificate and subsidy tests: courses, learners and rules with Core."""

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from dashboard import audit, training_sync
from tests import factories as f

D = dt.date
TODAY = D(2025, 12, 1)
END = D(2025, 7, 4)              # the course's last day: m3 due 2025-10-04, m6 due 2026-01-04


def course(conn: Connection, community_id: int, code: str = "K1", *, end: dt.date = END, level: str = "basic",
           quarter: str = "2025Q3", **kw: Any) -> int:
    return f.course(conn, community_id, code, level=level, start_date=end - dt.timedelta(days=3), end_date=end,
                    quarter=quarter, **kw)


def learner(conn: Connection, community_id: int, course_id: int, code: str = "E1", *, certified: bool = True,
            completed: bool = True, name: str = "王秀英", phone: str | None = "13812345678", **kw: Any) -> int:
    """A practitioner (P-<code>) enrolled on the course; completed and certified unless told otherwise."""
    person = f.practitioner(conn, community_id, f"P-{code}", name=name, phone=phone)
    return f.enrolment(conn, course_id, person, community_id, code, attended=kw.pop("attended", completed),
                       completed=completed, certified=certified, **kw)


def sync(conn: Connection, today: dt.date = TODAY) -> None:
    """Follow-ups for the completed, certificates for the certified, as training_sync keeps them."""
    training_sync.sync(conn, None, today=today)


def followup_id(conn: Connection, enrolment_id: int, wave: str = "m3") -> int:
    t = f.T["training_followup"]
    return int(conn.execute(sa.select(t.c.id).where(t.c.enrolment_id == enrolment_id, t.c.wave == wave))
               .scalar_one())


def followup_row(engine: Engine, followup_id: int) -> sa.RowMapping:
    t = f.T["training_followup"]
    with engine.connect() as conn:
        return conn.execute(sa.select(t).where(t.c.id == followup_id)).mappings().one()


def certificate_of(conn: Connection, enrolment_id: int) -> str:
    t = f.T["certificate"]
    return str(conn.execute(sa.select(t.c.number).where(t.c.enrolment_id == enrolment_id)).scalar_one())


def rule(conn: Connection, code: str = "BT", **kw: Any) -> int:
    values = {"code": code, "title": "培训补贴", "valid_from": D(2020, 1, 1), "valid_to": None,
              "basic_cents": 80_000, "intermediate_cents": 150_000, "advanced_cents": 250_000, "first_pct": 60,
              "employment_pct": 50, "window_months": 6, "claim_grace_days": 30}
    return f.insert(conn, "subsidy_rule", **{**values, **kw})


def reached(conn: Connection, enrolment_id: int, wave: str, *, on: dt.date, employment: str = "ecommerce_self",
            **kw: Any) -> None:
    """Mark a synced follow-up reached with an answer (as record_reached would, without its checks)."""
    t = f.T["training_followup"]
    conn.execute(t.update().where(t.c.enrolment_id == enrolment_id, t.c.wave == wave).values(
        status="reached", reached_on=on, tries=1, last_tried_on=on, employment=employment, **kw))


def audited(engine: Engine, entity: str) -> list[sa.RowMapping]:
    a = audit.TABLE.c
    with engine.connect() as conn:
        return list(conn.execute(sa.select(a.action, a.entity_id, a.actor, a.before, a.after)
                                 .where(a.entity == entity).order_by(a.id)).mappings())
