"""四方联席会议 reads: the open action items that roll over into a meeting's 上次决议落实情况, and a party's own list.

Both are small (a community's or a party's action items) and filtered in SQL on indexed columns; days overdue are
computed here from `today`, which the caller passes (the tests fix it).
"""

import datetime as dt

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_models import ActionItem, Meeting, Party
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
    """上次决议落实情况 of a meeting: open or in-progress items decided at the same community's earlier meetings."""
    this = sa.select(M.c.community_id, M.c.held_on).where(M.c.id == meeting_id).subquery()
    stmt = (_actions().join(this, sa.and_(M.c.community_id == this.c.community_id, M.c.held_on < this.c.held_on))
            .where(X.c.status.in_(OPEN)))
    return _frame(conn, stmt, today)


def party_actions(conn: Connection, *, party_id: int, today: dt.date, open_only: bool = False) -> pd.DataFrame:
    """A party's action items: the open ones first with the overdue at the top, then the finished."""
    stmt = _actions().where(X.c.owner_party_id == party_id)
    if open_only:
        stmt = stmt.where(X.c.status.in_(OPEN))
    return _frame(conn, stmt, today)
