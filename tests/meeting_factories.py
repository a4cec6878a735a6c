"""The joint meeting tests' community: five parties, an account per role, and short ways to write."""

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.accounts import Principal
from dashboard.services import meetings as svc
from dashboard.services.meeting_types import AgendaInput
from data_models.enums import Role
from tests import factories as f

D = dt.date
TODAY = D(2026, 12, 1)
HELD = D(2026, 12, 10)


@pytest.fixture
def town(engine: Engine) -> dict[str, Any]:
    """Community C1 with its five parties, C2 with a government party, and an account per role."""
    with engine.begin() as conn:
        c1 = f.community(conn, "C1")
        c2 = f.community(conn, "C2")
        ids = {k: f.party(conn, c1, f"C1-{k}", kind) for k, kind in
               [("GOV", "government"), ("PLT", "platform"), ("ASN", "association"), ("SW", "social_work"),
                ("COOP", "cooperative")]}
        ids["C2GOV"] = f.party(conn, c2, "C2-GOV", "government")
    who = {
        "sw": Principal("sw", Role.social_worker, party_id=ids["SW"]),
        "gov": Principal("gov", Role.government, party_id=ids["GOV"]),
        "plt": Principal("plt", Role.platform, party_id=ids["PLT"]),
        "asn": Principal("asn", Role.association, party_id=ids["ASN"]),
        "viewer": Principal("viewer", Role.viewer),
        "admin": Principal("root", Role.admin),
    }
    return {"engine": engine, "c1": c1, "c2": c2, "p": ids, "who": who}


def new_meeting(town: dict[str, Any], held: dt.date = HELD, **kw: Any) -> int:
    with Session(town["engine"], expire_on_commit=False) as s:
        m = svc.create_meeting(s, community_id=town["c1"], held_on=held, actor=town["who"]["sw"], **kw)
        s.commit()
        assert m.id is not None
        return m.id


def version(engine: Engine, meeting_id: int) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(svc.M.c.version).where(svc.M.c.id == meeting_id)).scalar_one())


def run(engine: Engine, fn: Any, **kw: Any) -> Any:
    with Session(engine, expire_on_commit=False) as s:
        out = fn(s, **kw)
        s.commit()
        return out


def item(title: str, minutes: int = 10, presenter: int | None = None, notes: str = "") -> AgendaInput:
    return AgendaInput(title, presenter, minutes, notes=notes)
