"""An import may not change a meeting whose minutes have left draft: its row in meetings, nor the rows of its agenda
items and action items (circulated minutes are amended and locked ones corrected on the page, where each change is
checked and audited; action items move there too). New rows may not be added to such a meeting either; rows the
file leaves as they are stored pass."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dashboard.excel.spec import Entity
from dashboard.i18n import label
from data_models import Meeting
from data_models.base import table_of
from data_models.enums import MinutesStatus

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
