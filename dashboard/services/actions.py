"""An action item's status moves: open -> in_progress -> done | cancelled, open -> done | cancelled; done and cancelled
are final. Made by the owner party's accounts (or an admin) whatever the minutes' state: actions live on after the
lock. Compare-and-set on the item's version and status; a history row and an audit entry per move."""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from dashboard import access, audit
from dashboard.access import Action
from dashboard.accounts import Principal
from dashboard.i18n import label
from dashboard.services.errors import RuleError
from data_models import ActionItem, ActionUpdate, Party
from data_models.base import table_of
from data_models.core import utcnow
from data_models.enums import ActionStatus

X = table_of(ActionItem)
XU = table_of(ActionUpdate)
P = table_of(Party)
S = ActionStatus
MAX_NOTE = 500
# The moves an action item may make; done and cancelled are final, and in_progress never goes back to open.
MOVES: dict[ActionStatus, frozenset[ActionStatus]] = {
    S.open: frozenset({S.in_progress, S.done, S.cancelled}),
    S.in_progress: frozenset({S.done, S.cancelled}),
    S.done: frozenset(),
    S.cancelled: frozenset(),
}


def move_action(session: Session, *, action_id: int, version: int, to_status: str, note: str, actor: Principal,
                today: dt.date, done_on: dt.date | None = None) -> None:
    """An action item's status move by its owner party's account (or an admin), whatever the minutes' state, with a
    note saying what was done or why (required: it is what the next meeting's 落实情况 reads)."""
    access.require(actor.role, Action.action_update)
    conn = session.connection()
    item = conn.execute(sa.select(X, P.c.name.label("party")).join(P, P.c.id == X.c.owner_party_id)
                        .where(X.c.id == action_id)).one_or_none()
    if item is None:
        raise RuleError("action.unknown", id=action_id)
    if not access.acts_for_party(actor.role, actor.party_id, item.owner_party_id):
        raise RuleError("action.not_your_party", action=item.code, party=item.party)
    if item.version != version:
        raise _action_changed(conn, item.code, action_id)
    start = S(item.status)
    try:
        target = S(str(to_status))
    except ValueError:
        raise RuleError("action.bad_status", value=to_status) from None
    if target not in MOVES[start]:
        raise RuleError("action.bad_move", action=item.code, current=label(start), to=label(target))
    text = (note or "").strip()
    if not text:
        raise RuleError("action.note_required", action=item.code)
    if len(text) > MAX_NOTE:
        raise RuleError("action.note_too_long", n=len(text), max=MAX_NOTE)
    finished: dt.date | None = None
    if target is S.done:
        if done_on is None:
            raise RuleError("action.done_on_missing", action=item.code)
        if done_on > today or done_on < item.created_on:
            raise RuleError("action.done_on_range", date=done_on.isoformat(), created=item.created_on.isoformat(),
                            today=today.isoformat())
        finished = done_on
    at = utcnow()
    values = {"status": target, "done_on": finished, "note": text, "updated_by": actor.username,
              "updated_at": at}
    result = conn.execute(X.update().where(X.c.id == action_id, X.c.version == version, X.c.status == start)
                          .values(**values, version=X.c.version + 1))
    if result.rowcount != 1:
        raise _action_changed(conn, item.code, action_id)
    conn.execute(XU.insert().values(action_item_id=action_id, at=at, by=actor.username, from_status=start,
                                    to_status=target, note=text))
    audit.record(conn, actor=actor.username, action="action_move", entity="action_item", entity_id=item.code,
                 before={"status": start.value, "version": version},
                 after={"status": target.value, "done_on": None if finished is None else finished.isoformat(),
                        "note": text, "version": version + 1})


def _action_changed(conn: Connection, code: str, action_id: int) -> RuleError:
    now = conn.execute(sa.select(X.c.status, X.c.updated_by).where(X.c.id == action_id)).one_or_none()
    return RuleError("action.changed_meanwhile", action=code,
                     current=label(S(now.status)) if now is not None else "—",
                     by=(now.updated_by if now is not None and now.updated_by else "—"))
