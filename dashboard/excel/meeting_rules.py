"""An import may not change a meeting whose minutes have left draft: its row in meetings, nor the rows of its agenda
items and action items (circulated minutes are amended and locked ones corrected on the page, where each change is
checked and audited; action items move there too). New rows may not be added to such a meeting either; rows the
file leaves as they are stored pass. The write checks again under each meeting's lock (a page move may have
circulated one since the checks), and an undo of these entities is refused on the same grounds.

Action items: the owner party is one of the meeting's community; an existing item's status (and done day) moves
only on the page, which keeps the history (action_update) and the lifecycle; a new row may carry any status."""

import json
from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dashboard import locks
from dashboard.bulk import among
from dashboard.excel.spec import Entity
from dashboard.i18n import label
from dashboard.services.errors import RuleError
from data_models import Meeting
from data_models.base import table_of
from data_models.enums import ActionStatus, MinutesStatus

CHECKED = ("meetings", "agenda_items", "action_items")
M = table_of(Meeting)
Problem = tuple[int, str, str, dict[str, Any]]      # (row index, column, message key, params)


def facts(conn: Connection) -> dict[int, tuple[str, str]]:
    """Meetings whose minutes are not draft: id -> (code, status)."""
    rows = conn.execute(sa.select(M.c.id, M.c.code, M.c.minutes_status).where(M.c.minutes_status != "draft"))
    return {r.id: (r.code, str(r.minutes_status)) for r in rows}


def problems(entity: Entity, frozen: dict[int, tuple[str, str]], columns: dict[str, list[Any]], codes: list[Any],
             existing: dict[Any, dict[str, Any]], touched: set[int]) -> list[Problem]:
    """Rows `touched` (new, or changing what is stored) that belong, or would move, to a meeting in `frozen`;
    `columns` hold ids after references. A file exported with every meeting re-imports: unchanged rows pass."""
    if not frozen:
        return []
    out: list[Problem] = []
    for j, code in enumerate(codes):
        if j not in touched:
            continue
        stored = existing.get(code) if code is not None else None
        if entity.name == "meetings":
            ids = [] if stored is None else [stored.get("_id")]
            column = "code"
        else:
            ids = [columns["meeting_id"][j] if "meeting_id" in columns else None,
                   None if stored is None else stored.get("meeting_id")]
            column = "meeting_id"
        hit = next((frozen[i] for i in ids if i in frozen), None)
        if hit is not None:
            out.append((j, column, "excel.meeting_not_draft",
                        {"meeting": hit[0], "state": label(MinutesStatus(hit[1]))}))
    return out


def action_problems(entity: Entity, columns: dict[str, list[Any]], communities: dict[str, list[Any]],
                    meeting_codes: dict[int, str], codes: list[Any], existing: dict[Any, dict[str, Any]]
                    ) -> list[Problem]:
    """An owner party of another community than the meeting's (`columns` hold ids, `communities` each referenced
    row's community, `meeting_codes` id -> code); a changed status or done day of a stored item."""
    if entity.name != "action_items":
        return []
    out: list[Problem] = []
    meetings, owners = columns["meeting_id"], columns["owner_party_id"]
    for j, (meeting, owner, held_in, owned_in) in enumerate(zip(meetings, owners, communities["meeting_id"],
                                                                 communities["owner_party_id"], strict=True)):
        if meeting is not None and owner is not None and held_in != owned_in:
            out.append((j, "owner_party_id", "excel.action_owner_elsewhere",
                        {"meeting": meeting_codes.get(meeting, "")}))
    for j, code in enumerate(codes):
        stored = existing.get(code) if code is not None else None
        if stored is None:
            continue
        status = columns["status"][j]
        if status is not None and str(status) != str(stored["status"]):
            out.append((j, "status", "excel.action_status_on_page",
                        {"action": code, "stored": label(ActionStatus(str(stored["status"])))}))
        elif "done_on" in columns and columns["done_on"][j] != stored["done_on"]:
            done = stored["done_on"]
            out.append((j, "done_on", "excel.action_done_on_on_page",
                        {"action": code, "stored": "—" if done is None else done.isoformat()}))
    return out


def recheck(conn: Connection, entity: Entity, columns: dict[str, list[Any]], codes: list[Any],
            touched: Collection[int]) -> None:
    """In the write's transaction: the meetings the written rows belong to, or come from, are still draft. Each
    meeting's lock (the one the page's moves take) is held until commit, so a circulation either committed before
    this read, and the import is refused, or waits for the import and assembles its rows."""
    if entity.name not in CHECKED or not touched:
        return
    written = [codes[j] for j in touched if codes[j] is not None]
    ids = set(_stored_meetings(conn, entity, written))
    if entity.name != "meetings":
        ids.update(columns["meeting_id"][j] for j in touched if columns["meeting_id"][j] is not None)
    _refuse_unless_draft(conn, ids, "excel.meeting_not_draft")


def before_undo(conn: Connection, entity: Entity, changes: Sequence[tuple[str, str | None]]) -> None:
    """Undo deletes the rows its batch created and restores those it changed (code, earlier values as JSON, or
    None for a created row): refused, before anything changes, if one of them belongs to, or would go back to, a
    meeting whose minutes have left draft."""
    if entity.name not in CHECKED or not changes:
        return
    ids = set(_stored_meetings(conn, entity, [code for code, _ in changes]))
    for _, before in changes:
        back = None if before is None else json.loads(before).get("meeting_id")
        if back is not None:
            ids.add(int(back))
    _refuse_unless_draft(conn, ids, "excel.undo_meeting_not_draft")


def _stored_meetings(conn: Connection, entity: Entity, codes: list[Any]) -> list[int]:
    """The meetings the stored rows with these codes are, or belong to."""
    if not codes:
        return []
    table = entity.table
    column = table.c.id if entity.name == "meetings" else table.c.meeting_id
    return [int(i) for i in conn.execute(sa.select(column).where(among(conn, table.c.code, [str(c) for c in codes])))
            .scalars() if i is not None]


def _refuse_unless_draft(conn: Connection, ids: set[int], key: str) -> None:
    if not ids:
        return
    locks.serialise(conn, *(f"meeting:{i}" for i in ids))
    hit = conn.execute(sa.select(M.c.code, M.c.minutes_status)
                       .where(among(conn, M.c.id, list(ids)), M.c.minutes_status != MinutesStatus.draft.value)
                       .order_by(M.c.code).limit(1)).first()
    if hit is not None:
        raise RuleError(key, meeting=hit.code, state=label(MinutesStatus(str(hit.minutes_status))))
