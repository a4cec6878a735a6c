"""四方联席会议 reads: the open action items that roll over into a meeting's 上次决议落实情况, a party's own list, and
the page's reads of a meeting (list, attendance, agenda, decisions, actions, signatures, addenda, parties).

Both are small (a community's or a party's action items) and filtered in SQL on indexed columns; days overdue are
computed here from `today`, which the caller passes (the tests fix it).
"""

import datetime as dt
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_models import (
    ActionItem,
    AgendaItem,
    Community,
    Decision,
    Meeting,
    MeetingAttendance,
    MinutesAddendum,
    MinutesSignature,
    Party,
    User,
)
from data_models.base import table_of
from data_models.enums import ActionStatus

M = table_of(Meeting)
X = table_of(ActionItem)
P = table_of(Party)
OPEN = (ActionStatus.open.value, ActionStatus.in_progress.value)
ACTION_COLUMNS = ["id", "code", "title", "owner_party_id", "owner_party", "owner_person", "created_on", "due_on",
                  "status", "done_on", "note", "updated_by", "updated_at", "version", "meeting_id", "meeting_code",
                  "days_overdue"]


def _date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _actions() -> sa.Select[tuple[object, ...]]:
    return (sa.select(X.c.id, X.c.code, X.c.title, X.c.owner_party_id, P.c.name.label("owner_party"),
                      X.c.owner_person, X.c.created_on, X.c.due_on, X.c.status, X.c.done_on, X.c.note,
                      X.c.updated_by, X.c.updated_at, X.c.version, X.c.meeting_id, M.c.code.label("meeting_code"))
            .join(M, M.c.id == X.c.meeting_id).join(P, P.c.id == X.c.owner_party_id))


def _frame(conn: Connection, stmt: sa.Select[tuple[object, ...]], today: dt.date) -> pd.DataFrame:
    rows = conn.execute(stmt).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows], columns=ACTION_COLUMNS[:-1])
    open_ = frame["status"].isin(OPEN)
    overdue = [max((today - _date(d)).days, 0) if o else 0 for d, o in zip(frame["due_on"], open_, strict=True)]
    frame["days_overdue"] = pd.Series(overdue, index=frame.index, dtype="int64")
    # Open before finished; among the open, the most overdue first, then the nearest due date.
    frame["_open"] = (~open_).astype(int)
    frame = frame.sort_values(["_open", "days_overdue", "due_on", "code"], ascending=[True, False, True, True])
    return frame.drop(columns="_open").reset_index(drop=True)


def carried_over(conn: Connection, *, meeting_id: int, today: dt.date) -> pd.DataFrame:
    """上次决议落实情况 of a meeting: open or in-progress items decided at the same community's earlier meetings of the
    same kind (a consultation's items are followed up by consultations); earlier means an earlier day, or the same
    day and made before it (a lower id)."""
    this = sa.select(M.c.id, M.c.community_id, M.c.held_on, M.c.kind).where(M.c.id == meeting_id).subquery()
    earlier = sa.or_(M.c.held_on < this.c.held_on, sa.and_(M.c.held_on == this.c.held_on, M.c.id < this.c.id))
    stmt = (_actions().join(this, sa.and_(M.c.community_id == this.c.community_id, M.c.kind == this.c.kind, earlier))
            .where(X.c.status.in_(OPEN)))
    return _frame(conn, stmt, today)


def party_actions(conn: Connection, *, party_id: int, today: dt.date, open_only: bool = False) -> pd.DataFrame:
    """A party's action items: the open ones first with the overdue at the top, then the finished."""
    stmt = _actions().where(X.c.owner_party_id == party_id)
    if open_only:
        stmt = stmt.where(X.c.status.in_(OPEN))
    return _frame(conn, stmt, today)


# --- the page's reads ------------------------------------------------------------------------------------------------

A = table_of(AgendaItem)
DEC = table_of(Decision)
ATT = table_of(MeetingAttendance)
SIG = table_of(MinutesSignature)
ADD = table_of(MinutesAddendum)
U = table_of(User)
C = table_of(Community)
MEETING_COLUMNS = ["id", "code", "title", "community_id", "community", "held_on", "quarter", "starts_at", "location",
                   "minutes_status", "version", "items", "decisions", "actions", "open_actions"]
KIND_ORDER = {k: i for i, k in enumerate(("government", "platform", "association", "social_work", "cooperative"))}


def _df(conn: Connection, stmt: sa.Select[Any], columns: list[str]) -> pd.DataFrame:
    rows = conn.execute(stmt).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows], columns=columns)
    for col in ("kind", "status", "source", "minutes_status"):
        if col in frame.columns:
            frame[col] = frame[col].map(str)
    return frame


def _count(table: sa.Table, *where: sa.ColumnElement[bool]) -> sa.ScalarSelect[Any]:
    return (sa.select(sa.func.count()).select_from(table).where(table.c.meeting_id == M.c.id, *where)
            .correlate(M).scalar_subquery())


def meetings(conn: Connection, *, community_id: int | None) -> pd.DataFrame:
    """The meetings (of one community, or all), newest first, with counts of items, decisions and actions."""
    stmt = (sa.select(M.c.id, M.c.code, M.c.title, M.c.community_id, C.c.name.label("community"), M.c.held_on,
                      M.c.quarter, M.c.starts_at, M.c.location, M.c.minutes_status, M.c.version,
                      _count(A).label("items"), _count(DEC).label("decisions"), _count(X).label("actions"),
                      _count(X, X.c.status.in_(OPEN)).label("open_actions"))
            .join(C, C.c.id == M.c.community_id).order_by(M.c.held_on.desc(), M.c.id.desc()))
    if community_id is not None:
        stmt = stmt.where(M.c.community_id == community_id)
    return _df(conn, stmt, MEETING_COLUMNS)


def attendance(conn: Connection, meeting_id: int) -> pd.DataFrame:
    """Who was invited and who came: the four parties first, then the others."""
    stmt = (sa.select(ATT.c.party_id, P.c.name.label("party"), P.c.kind, ATT.c.status, ATT.c.attendees,
                      ATT.c.deputy, P.c.code)
            .join(P, P.c.id == ATT.c.party_id).where(ATT.c.meeting_id == meeting_id))
    frame = _df(conn, stmt, ["party_id", "party", "kind", "status", "attendees", "deputy", "code"])
    frame["_k"] = frame["kind"].map(lambda k: KIND_ORDER.get(k, 9))
    frame = frame.sort_values(["_k", "code"]).reset_index(drop=True)
    return frame[["party_id", "party", "kind", "status", "attendees", "deputy"]]


def agenda(conn: Connection, meeting_id: int) -> pd.DataFrame:
    stmt = (sa.select(A.c.id, A.c.order_no, A.c.title, A.c.presenter_party_id, P.c.name.label("presenter"),
                      A.c.minutes, A.c.source, A.c.evidence, A.c.notes)
            .outerjoin(P, P.c.id == A.c.presenter_party_id).where(A.c.meeting_id == meeting_id)
            .order_by(A.c.order_no))
    return _df(conn, stmt, ["id", "order_no", "title", "presenter_party_id", "presenter", "minutes", "source",
                            "evidence", "notes"])


def decisions(conn: Connection, meeting_id: int) -> pd.DataFrame:
    stmt = (sa.select(DEC.c.id, DEC.c.code, DEC.c.agenda_item_id, DEC.c.text).where(DEC.c.meeting_id == meeting_id)
            .order_by(DEC.c.id))
    return _df(conn, stmt, ["id", "code", "agenda_item_id", "text"])


def actions(conn: Connection, meeting_id: int, today: dt.date) -> pd.DataFrame:
    """The action items decided at the meeting (carried_over's columns), open first, the overdue at the top."""
    return _frame(conn, _actions().where(X.c.meeting_id == meeting_id), today)


def signatures(conn: Connection, meeting_id: int) -> pd.DataFrame:
    """Who signed, by the account's display name where it has one (as people know them), else its username; the
    audit log keeps the username."""
    who = sa.func.coalesce(sa.func.nullif(U.c.display_name, ""), SIG.c.signed_by).label("signed_by")
    stmt = (sa.select(SIG.c.party_id, P.c.name.label("party"), P.c.kind, who, SIG.c.signed_at, SIG.c.sha256)
            .join(P, P.c.id == SIG.c.party_id).outerjoin(U, U.c.username == SIG.c.signed_by)
            .where(SIG.c.meeting_id == meeting_id).order_by(SIG.c.signed_at))
    return _df(conn, stmt, ["party_id", "party", "kind", "signed_by", "signed_at", "sha256"])


def addenda(conn: Connection, meeting_id: int) -> pd.DataFrame:
    stmt = (sa.select(ADD.c.no, ADD.c.text, ADD.c.sha256, ADD.c.created_by, ADD.c.created_at)
            .where(ADD.c.meeting_id == meeting_id).order_by(ADD.c.no))
    return _df(conn, stmt, ["no", "text", "sha256", "created_by", "created_at"])


def community_parties(conn: Connection, community_id: int) -> pd.DataFrame:
    stmt = (sa.select(P.c.id, P.c.code, P.c.name, P.c.kind).where(P.c.community_id == community_id)
            .order_by(P.c.code))
    return _df(conn, stmt, ["id", "code", "name", "kind"])
