"""What the 会议纪要 section draws: the minutes as blocks of text and tables in the order of the document (暂定 on a
non-quorate meeting's decisions, carried items with their days overdue), and who of the four parties has signed, when,
in Beijing time; which party the signed-in account may still sign for. No Streamlit."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.i18n import t
from dashboard.presenters_meetings import FOUR, decision_text, enum_label, overdue_cell
from dashboard.services.meeting_types import MinutesAction, MinutesContent


@dataclass(frozen=True)
class Block:
    kind: str                  # "heading", "text" or "table"
    text: str = ""
    table: pd.DataFrame | None = None


def _action_rows(actions: Sequence[MinutesAction], carried: bool) -> pd.DataFrame:
    cols = ["code", "action", "owner_party", "owner_person", "due", "status"] + (["overdue", "meeting"] if carried
                                                                                 else [])
    rows = []
    for a in actions:
        row = {"code": a.code, "action": a.title, "owner_party": a.owner_party, "owner_person": a.owner_person or "—",
               "due": a.due_on, "status": enum_label("ActionStatus", a.status),
               "overdue": overdue_cell(a.days_overdue, a.status), "meeting": a.meeting_code}
        rows.append({t(f"meetings.col.{c}"): row[c] for c in cols})
    return pd.DataFrame(rows, columns=[t(f"meetings.col.{c}") for c in cols])


def minutes_blocks(c: MinutesContent) -> list[Block]:
    """The minutes on screen, in the order of the document: head, attendance, quorum, carried items, items with
    their decisions (暂定 when not quorate), action items, distribution. Text is data: the page shows it as text."""
    out = [Block("heading", c.title),
           Block("text", t("meetings.minutes.head", code=c.meeting_code, date=c.held_on, time=c.starts_at,
                           place=c.location or "—", community=c.community)),
           Block("heading", t("meetings.minutes.attendance")),
           Block("table", table=pd.DataFrame(
               [{t("meetings.col.party"): a.party, t("meetings.col.attendance"): enum_label("AttendanceStatus",
                                                                                              a.status),
                 t("meetings.col.attendees"): a.attendees or "—", t("meetings.col.deputy"): a.deputy or "—"}
                for a in c.attendance],
               columns=[t(f"meetings.col.{x}") for x in ("party", "attendance", "attendees", "deputy")])),
           Block("text", t("meetings.minutes.quorate") if c.quorate else t("meetings.minutes.not_quorate"))]
    if c.carried:
        out += [Block("heading", t("meetings.minutes.carried")), Block("table", table=_action_rows(c.carried, True))]
    out.append(Block("heading", t("meetings.minutes.items")))
    if not c.items:
        out.append(Block("text", t("meetings.minutes.no_items")))
    for item in c.items:
        head = t("meetings.minutes.item", n=item.order_no, title=item.title, presenter=item.presenter or "—",
                 minutes=item.minutes)
        out.append(Block("text", head))
        if item.notes:
            out.append(Block("text", t("meetings.minutes.notes", notes=item.notes)))
        for d in item.decisions:
            out.append(Block("text", t("meetings.minutes.decision", code=d.code,
                                       text=decision_text(d.text, d.provisional))))
    out += [Block("heading", t("meetings.minutes.actions")),
            Block("table", table=_action_rows(c.actions, False)) if c.actions
            else Block("text", t("meetings.minutes.no_actions")),
            Block("heading", t("meetings.minutes.distribution")),
            Block("text", t("meetings.list_sep").join(c.distribution) or "—")]
    if c.previous_sha256:
        out.append(Block("text", t("meetings.minutes.previous", sha=c.previous_sha256)))
    return out


def signature_rows(parties: pd.DataFrame, signatures: pd.DataFrame) -> pd.DataFrame:
    """The four parties of the community and whether each has signed (by whom, when)."""
    signed = {int(r["party_id"]): r for _, r in signatures.iterrows()}
    rows = []
    for kind in FOUR:
        for _, p in parties[parties["kind"] == kind].iterrows():
            s = signed.get(int(p["id"]))
            rows.append({t("meetings.col.party"): p["name"], t("meetings.col.kind"): enum_label("PartyKind", kind),
                         t("meetings.col.signed"): t("meetings.sign.pending") if s is None
                         else t("meetings.sign.done", who=s["signed_by"], at=_local(s["signed_at"]))})
    return pd.DataFrame(rows, columns=[t(f"meetings.col.{c}") for c in ("party", "kind", "signed")])


def _local(value: object) -> str:
    """A stored UTC timestamp as Asia/Shanghai time, to the minute."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    return str(value)


def may_sign_for(parties: pd.DataFrame, signatures: pd.DataFrame, party_id: int | None) -> str | None:
    """The party name the account signs for, if its party is one of the four of this community and has not
    signed; None otherwise."""
    if party_id is None:
        return None
    mine = parties[(parties["id"] == party_id) & parties["kind"].isin(FOUR)]
    if mine.empty or party_id in {int(p) for p in signatures["party_id"]}:
        return None
    return str(mine.iloc[0]["name"])
