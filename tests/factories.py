"""Small helpers that insert valid rows with Core, so a test states only what it is about."""

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

import data_models

T = data_models.metadata.tables
D = dt.date


def insert(conn: Connection, table: str, **values: Any) -> int:
    """Insert one row and return its id (or 0 for tables keyed by their references)."""
    result = conn.execute(T[table].insert().values(**values))
    pk = result.inserted_primary_key
    return int(pk[0]) if pk and pk[0] is not None and "id" in T[table].c else 0


def community(conn: Connection, code: str = "C1", **kw: Any) -> int:
    return insert(conn, "community", **{"code": code, "name": f"社区{code}", "kind": "urban", "city": "G市",
                                        "district": "", **kw})


def party(conn: Connection, community_id: int, code: str = "C1-GOV", kind: str = "government", **kw: Any) -> int:
    return insert(conn, "party", **{"code": code, "name": code, "kind": kind, "community_id": community_id, **kw})


def practitioner(conn: Connection, community_id: int, code: str = "P1", **kw: Any) -> int:
    values = {
        "code": code, "community_id": community_id, "name": "王秀英", "gender": "female", "birth_year": 1995,
        "education": "junior_high", "hukou": "rural", "employment_type": "flexible_worker",
        "occupation": "livestream_host", "daily_work_hours": 9.0, "has_labour_contract": False,
        "has_pension": False, "has_injury_insurance": False, "monthly_income_cents": 400_000,
        "is_association_member": False, "strengths": "", "registered_on": D(2025, 1, 1),
    }
    return insert(conn, "practitioner", **{**values, **kw})


def need(conn: Connection, practitioner_id: int, community_id: int, code: str = "N1", **kw: Any) -> int:
    values = {"code": code, "practitioner_id": practitioner_id, "community_id": community_id,
              "category": "skills_digital", "severity": "medium", "status": "identified", "description": "",
              "identified_on": D(2025, 7, 1), "quarter": "2025Q3", "social_worker": "李社工"}
    return insert(conn, "need_assessment", **{**values, **kw})


def course(conn: Connection, community_id: int, code: str = "K1", **kw: Any) -> int:
    values = {"code": code, "community_id": community_id, "title": "直播带货", "topic": "livestreaming",
              "level": "basic", "target_group": "all", "hours": 12, "start_date": D(2025, 7, 1),
              "end_date": D(2025, 7, 4), "quarter": "2025Q3"}
    return insert(conn, "course", **{**values, **kw})


def enrolment(conn: Connection, course_id: int, practitioner_id: int, community_id: int, code: str = "E1",
              **kw: Any) -> int:
    values = {"code": code, "course_id": course_id, "practitioner_id": practitioner_id,
              "community_id": community_id, "enrolled_on": D(2025, 7, 1), "quarter": "2025Q3",
              "attended": True, "completed": True, "certified": False}
    return insert(conn, "enrolment", **{**values, **kw})


def followup(conn: Connection, enrolment_id: int, community_id: int, wave: str = "m3", **kw: Any) -> int:
    """A follow-up; reached (employed in e-commerce) unless told otherwise."""
    values = {"enrolment_id": enrolment_id, "community_id": community_id, "wave": wave,
              "due_on": D(2025, 10, 4) if wave == "m3" else D(2026, 1, 4), "status": "reached", "tries": 1,
              "reached_on": D(2025, 10, 6) if wave == "m3" else D(2026, 1, 6), "employment": "ecommerce_employed",
              "version": 1}
    values.update(kw)
    if values["status"] != "reached":
        values.setdefault("reached_on", None)
        values["reached_on"] = kw.get("reached_on")
        values["employment"] = kw.get("employment")
    return insert(conn, "training_followup", **values)


def cooperative(conn: Connection, community_id: int, code: str = "COOP1", **kw: Any) -> int:
    return insert(conn, "cooperative", **{"code": code, "community_id": community_id, "name": "合作社",
                                          "carry_loss_forward": False, "distribution_basis": "revenue", **kw})


def split(conn: Connection, cooperative_id: int, **kw: Any) -> int:
    values = {"cooperative_id": cooperative_id, "effective_from": D(2025, 1, 1), "member_bp": 7000,
              "cooperative_bp": 2000, "public_fund_bp": 1000, "help_fund_bp": 0, "help_fund_basis": "none"}
    return insert(conn, "cooperative_split", **{**values, **kw})


def member(conn: Connection, cooperative_id: int, code: str = "M1", **kw: Any) -> int:
    return insert(conn, "member", **{"code": code, "cooperative_id": cooperative_id, "name": "李娟",
                                     "joined_on": D(2024, 1, 1), "shares_held": 1, "is_active": True, **kw})


def sale(conn: Connection, cooperative_id: int, community_id: int, code: str = "S1", **kw: Any) -> int:
    values = {"code": code, "cooperative_id": cooperative_id, "community_id": community_id,
              "sold_on": D(2025, 7, 1), "month": "2025-07", "quarter": "2025Q3", "channel": "douyin",
              "product": "茶叶", "quantity": 1, "revenue_cents": 10_000, "cost_cents": 6_000}
    return insert(conn, "sale", **{**values, **kw})


def livestream(conn: Connection, community_id: int, code: str = "L1", **kw: Any) -> int:
    values = {"code": code, "community_id": community_id, "held_on": D(2025, 7, 2), "quarter": "2025Q3",
              "title": "治理直播", "hosts": "", "platform": "douyin", "viewers": 100}
    return insert(conn, "livestream_session", **{**values, **kw})


def request(conn: Connection, session_id: int, community_id: int, code: str = "R1", **kw: Any) -> int:
    values = {"code": code, "session_id": session_id, "community_id": community_id, "raised_on": D(2025, 7, 2),
              "quarter": "2025Q3", "category": "parcel_stacking", "description": "", "deadline": D(2025, 7, 9),
              "status": "collected", "resolution": ""}
    return insert(conn, "request", **{**values, **kw})


def meeting(conn: Connection, community_id: int, code: str = "JM1", **kw: Any) -> int:
    values = {"code": code, "community_id": community_id, "kind": "joint_four_party", "title": "联席会议",
              "held_on": D(2025, 8, 15), "quarter": "2025Q3", "location": ""}
    return insert(conn, "meeting", **{**values, **kw})


def action(conn: Connection, meeting_id: int, owner_party_id: int, code: str = "X1", **kw: Any) -> int:
    values = {"code": code, "meeting_id": meeting_id, "title": "事项", "owner_party_id": owner_party_id,
              "created_on": D(2025, 8, 15), "due_on": D(2025, 9, 15), "status": "open"}
    return insert(conn, "action_item", **{**values, **kw})


def count(conn: Connection, table: str) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(T[table])).scalar_one())


