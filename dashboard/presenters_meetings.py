"""What the 四方联席会议 page draws: labelled frames of meetings, attendance, the agenda editor and the saved agenda,
decisions marked 暂定 when the meeting was not quorate, action items with their days overdue, the projector card, the
countdown, the minutes as blocks of text, who has signed. No Streamlit."""

import datetime as dt
import html
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dashboard.i18n import fmt_int, t
from dashboard.services.meeting_types import AgendaInput, AttendanceInput, Proposal

# The page's sections, in the picker's order (the first is the default and keeps the plain /meetings address).
SECTIONS = ("meetings", "agenda", "run", "actions", "minutes")
# The four parties of a quorum and of the 会签, in the order every list names them.
FOUR = ("government", "platform", "association", "social_work")
OPEN = ("open", "in_progress")
# Where an action item may go from where it stands (done and cancelled are final; in_progress never back to open).
NEXT: dict[str, tuple[str, ...]] = {"open": ("in_progress", "done", "cancelled"),
                                    "in_progress": ("done", "cancelled"), "done": (), "cancelled": ()}
OVERDUE_MARK = "⚠"


# The page's keyed choices whose labels are words (relabelled after a language switch).
RELABELLED = ("meetings_section", "meetings_meeting", "meetings_move_pick", "meetings_move_to",
              "meetings_action_decision")


def relabelled(key: str) -> bool:
    return key in RELABELLED or key.startswith("meetings_att_status_")


def section_of(value: object) -> str:
    """The section a URL's ?section= names; the first for anything else."""
    return value if isinstance(value, str) and value in SECTIONS else SECTIONS[0]


def enum_label(enum: str, code: object) -> str:
    return t(f"enum.{enum}.{code}") if code is not None and str(code) else ""


def day(value: object) -> str:
    """A date as ISO text; an empty cell as —."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return "—"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return text[:10] if text else "—"


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == ""


def text(value: object, empty: str = "") -> str:
    """A cell as text: None, NaN and blanks as `empty` (pandas reads a NULL text as NaN, which is truthy)."""
    return empty if _blank(value) else str(value)


def as_date(value: object) -> dt.date:
    """A date from the database (a date, or ISO text on SQLite)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def quorate_of(rows: Iterable[tuple[str, str, str]]) -> tuple[bool, tuple[str, ...]]:
    """(quorate, the missing kinds of the four): each of the four present, or represented by a named deputy.

    The rule itself is dashboard.services.meetings.quorum; this copy lets the page mark meetings in a list without a
    service call per meeting, and the tests hold the two to the same answers."""
    ok = {kind for kind, status, deputy in rows
          if status == "present" or (status == "deputy" and text(deputy).strip())}
    missing = tuple(k for k in FOUR if k not in ok)
    return not missing, missing


def quorum_line(quorate: bool, missing: Sequence[str]) -> str:
    if quorate:
        return t("meetings.quorum.yes")
    return t("meetings.quorum.no", missing=t("meetings.list_sep").join(enum_label("PartyKind", k) for k in missing))


def meetings_frame(meetings: pd.DataFrame, quorate: Mapping[int, bool]) -> pd.DataFrame:
    """The community's meetings as the list shows them, newest first (the query's order)."""
    rows = [{t("meetings.col.date"): day(r["held_on"]), t("meetings.col.code"): r["code"],
             t("meetings.col.title"): r["title"],
             t("meetings.col.status"): enum_label("MinutesStatus", r["minutes_status"]),
             t("meetings.col.quorate"): t("common.yes") if quorate.get(int(r["id"])) else t("common.no"),
             t("meetings.col.items"): int(r["items"]), t("meetings.col.decisions"): int(r["decisions"]),
             t("meetings.col.open_actions"): int(r["open_actions"])}
            for _, r in meetings.iterrows()]
    return pd.DataFrame(rows, columns=[t(f"meetings.col.{c}") for c in (
        "date", "code", "title", "status", "quorate", "items", "decisions", "open_actions")])


def meeting_choice(row: Mapping[str, Any]) -> str:
    return f"{day(row['held_on'])} · {row['title']} · {enum_label('MinutesStatus', row['minutes_status'])}"


def attendance_frame(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame([{t("meetings.col.party"): r["party"],
                          t("meetings.col.kind"): enum_label("PartyKind", r["kind"]),
                          t("meetings.col.attendance"): enum_label("AttendanceStatus", r["status"]),
                          t("meetings.col.attendees"): text(r["attendees"], "—"),
                          t("meetings.col.deputy"): text(r["deputy"], "—")}
                         for _, r in rows.iterrows()],
                        columns=[t(f"meetings.col.{c}") for c in ("party", "kind", "attendance", "attendees",
                                                                   "deputy")])


def attendance_inputs(rows: Iterable[tuple[int, str, str, str]]) -> list[AttendanceInput]:
    """The form's rows (party_id, status, attendees, deputy) as the service takes them, text trimmed; a deputy's name
    is kept only where the status says 代为出席."""
    return [AttendanceInput(party_id=int(p), status=s, attendees=a.strip(), deputy=d.strip() if s == "deputy" else "")
            for p, s, a, d in rows]


# The agenda editor's rows; the editor shows the first six under their labels, source and evidence ride along by row.
EDITOR_COLUMNS = ["include", "order", "title", "presenter", "minutes", "figures", "source", "evidence"]
EDITOR_SHOWN = EDITOR_COLUMNS[:6]


def editor_labels() -> dict[str, str]:
    return {k: t(f"meetings.editor.{k}") for k in EDITOR_SHOWN}


def editor_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """What st.data_editor shows: the visible columns under their labels (the user reads them in the language)."""
    return pd.DataFrame(list(rows), columns=EDITOR_COLUMNS)[EDITOR_SHOWN].rename(columns=editor_labels())


def from_editor(edited: pd.DataFrame, rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The editor's frame back under the row keys, each kept row with its source and evidence (the editor keeps a
    row's index; a row added by hand has a new one and is "manual")."""
    frame = edited.rename(columns={v: k for k, v in editor_labels().items()}).copy()
    for key in ("source", "evidence"):
        frame[key] = [rows[int(i)][key] if pd.api.types.is_integer(i) and 0 <= int(i) < len(rows) else None
                      for i in frame.index]
    return frame.reindex(columns=EDITOR_COLUMNS)


def editor_rows(proposals: Sequence[Proposal], presenters: Mapping[int, str]) -> list[dict[str, Any]]:
    """The proposals as rows of the editor: all included, in the builder's order, the figures on one line."""
    return [{"include": True, "order": i, "title": p.title,
             "presenter": presenters.get(p.presenter_party_id, "") if p.presenter_party_id is not None else "",
             "minutes": int(p.minutes), "source": p.source,
             "figures": t("meetings.lines_sep").join(line.rstrip("。.;；") for line in p.lines),
             "evidence": json.dumps(p.evidence, ensure_ascii=False, sort_keys=True)}
            for i, p in enumerate(proposals, start=1)]


def saved_rows(agenda: pd.DataFrame) -> list[dict[str, Any]]:
    """The saved agenda as the editor's rows, to edit it again (the figures are the stored evidence's)."""
    return [{"include": True, "order": int(r["order_no"]), "title": r["title"], "presenter": text(r["presenter"]),
             "minutes": int(r["minutes"]), "figures": "", "source": r["source"], "evidence": text(r["evidence"])}
            for _, r in agenda.iterrows()]




def chosen_rows(edited: pd.DataFrame) -> pd.DataFrame:
    """What the editor holds that goes into the agenda: the included rows with a title, by the order the user gave
    (rows added by hand without an order go last, in the order they were added)."""
    if edited.empty:
        return edited
    frame = edited.reset_index(drop=True).copy()
    include = frame["include"].map(lambda v: True if v is None or (isinstance(v, float) and pd.isna(v)) else bool(v))
    frame = frame[include & ~frame["title"].map(_blank)].copy()
    frame["_order"] = pd.to_numeric(frame["order"], errors="coerce").fillna(10_000)
    frame["_added"] = range(len(frame))
    return frame.sort_values(["_order", "_added"]).drop(columns=["_order", "_added"]).reset_index(drop=True)


def editor_minutes(chosen: pd.DataFrame) -> list[int]:
    """The minutes of the chosen rows; a row left empty counts 10 (the model's default)."""
    return [10 if _blank(m) else max(int(float(m)), 0) for m in chosen.get("minutes", pd.Series(dtype=object))]


def agenda_inputs(chosen: pd.DataFrame, party_ids: Mapping[str, int]) -> list[AgendaInput]:
    """The chosen rows as the service saves them (it refuses bad titles and minutes, naming them)."""
    out = []
    for (_, r), minutes in zip(chosen.iterrows(), editor_minutes(chosen), strict=True):
        presenter = None if _blank(r.get("presenter")) else party_ids.get(str(r["presenter"]))
        source = "manual" if _blank(r.get("source")) else str(r["source"])
        evidence = "" if _blank(r.get("evidence")) else str(r["evidence"])
        out.append(AgendaInput(title=str(r["title"]).strip(), presenter_party_id=presenter, minutes=minutes,
                               source=source, evidence=evidence))
    return out


def agenda_frame(agenda: pd.DataFrame, times: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """The saved agenda with each item's start and end."""
    return pd.DataFrame([{t("meetings.col.order"): int(r["order_no"]), t("meetings.col.time"): f"{a}–{b}",
                          t("meetings.col.item"): r["title"], t("meetings.col.presenter"): text(r["presenter"], "—"),
                          t("meetings.col.minutes"): int(r["minutes"]),
                          t("meetings.col.source"): enum_label("AgendaSource", r["source"])}
                         for (_, r), (a, b) in zip(agenda.iterrows(), times, strict=True)],
                        columns=[t(f"meetings.col.{c}") for c in ("order", "time", "item", "presenter", "minutes",
                                                                   "source")])


def decision_text(text: str, provisional: bool) -> str:
    return t("meetings.provisional_mark", text=text) if provisional else text


def decisions_frame(decisions: pd.DataFrame, items: Mapping[int, str], provisional: bool) -> pd.DataFrame:
    return pd.DataFrame([{t("meetings.col.code"): r["code"],
                          t("meetings.col.item"): items.get(int(r["agenda_item_id"]), "—")
                          if not _blank(r["agenda_item_id"]) else "—",
                          t("meetings.col.decision"): decision_text(str(r["text"]), provisional)}
                         for _, r in decisions.iterrows()],
                        columns=[t(f"meetings.col.{c}") for c in ("code", "item", "decision")])


def overdue_cell(days: int, status: str) -> str:
    if status in OPEN and days > 0:
        return t("meetings.overdue_days", mark=OVERDUE_MARK, n=fmt_int(days))
    return ""


ACTION_COLUMNS = ("code", "action", "owner_party", "owner_person", "due", "status", "overdue", "note", "meeting")
# A party's own list leaves out the owner party (it is theirs): the note and the meeting fit on a projector's width.
MINE_COLUMNS = ("code", "action", "owner_person", "due", "status", "overdue", "note", "meeting")


def actions_frame(actions: pd.DataFrame, columns: Sequence[str] = ACTION_COLUMNS) -> pd.DataFrame:
    """Action items as a table: overdue ones say by how many days (the query puts them first)."""
    rows = [{t("meetings.col.code"): r["code"], t("meetings.col.action"): r["title"],
             t("meetings.col.owner_party"): r["owner_party"],
             t("meetings.col.owner_person"): text(r["owner_person"], "—"),
             t("meetings.col.due"): day(r["due_on"]), t("meetings.col.status"): enum_label("ActionStatus", r["status"]),
             t("meetings.col.overdue"): overdue_cell(int(r["days_overdue"]), str(r["status"])),
             t("meetings.col.note"): text(r["note"]), t("meetings.col.meeting"): r["meeting_code"]}
            for _, r in actions.iterrows()]
    return pd.DataFrame(rows, columns=[t(f"meetings.col.{c}") for c in ACTION_COLUMNS])[
        [t(f"meetings.col.{c}") for c in columns]]


def overdue_rows(actions: pd.DataFrame) -> list[bool]:
    """Which rows of actions_frame(actions) to mark in red."""
    return [str(s) in OPEN and int(d) > 0 for s, d in zip(actions["status"], actions["days_overdue"], strict=True)]


def style_overdue(frame: pd.DataFrame, marks: Sequence[bool]) -> Any:
    """The frame with its overdue rows in red (a pandas Styler; st.dataframe draws it)."""
    red = "color: #b42318; font-weight: 600"
    flags = list(marks)
    return frame.style.apply(lambda row: [red if flags[row.name] else ""] * len(row), axis=1)


def action_choice(row: Mapping[str, Any]) -> str:
    overdue = overdue_cell(int(row["days_overdue"]), str(row["status"]))
    return " · ".join(x for x in (str(row["code"]), str(row["title"]), enum_label("ActionStatus", row["status"]),
                                  overdue) if x)


def editable(status: str, amend_until: object, today: dt.date) -> bool:
    """Whether the meeting's agenda, attendance, decisions and actions may still change: minutes a draft, or
    circulated with the amendment window open (the rule of dashboard/services/meetings.editable, for drawing forms)."""
    if status == "draft":
        return True
    return status == "circulated" and amend_until is not None and not pd.isna(amend_until) \
        and today <= as_date(amend_until)


def next_statuses(status: str) -> tuple[str, ...]:
    return NEXT.get(status, ())


# --- the projector ---

def countdown(minutes: int, started: float | None, now: float) -> tuple[str, bool]:
    """(the clock's text, over time) for an item of `minutes` started at `started` (epoch seconds): mm:ss left,
    or 超时 +mm:ss once past; the full time when not started."""
    total = int(minutes) * 60
    if started is None:
        return _mmss(total), False
    left = total - int(now - started)
    if left >= 0:
        return _mmss(left), False
    return t("meetings.run.over", time=_mmss(-left)), True


def _mmss(seconds: int) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m:02d}:{s:02d}"


@dataclass(frozen=True)
class Card:
    order: int
    count: int
    title: str
    presenter: str
    minutes: int
    span: str                  # 09:30–09:45
    next_title: str | None


def card_of(agenda: pd.DataFrame, index: int, times: Sequence[tuple[str, str]]) -> Card | None:
    if agenda.empty:
        return None
    index = max(0, min(index, len(agenda) - 1))
    row = agenda.iloc[index]
    nxt = agenda.iloc[index + 1]["title"] if index + 1 < len(agenda) else None
    a, b = times[index] if index < len(times) else ("", "")
    return Card(order=int(row["order_no"]), count=len(agenda), title=str(row["title"]),
                presenter=text(row["presenter"], "—"), minutes=int(row["minutes"]), span=f"{a}–{b}",
                next_title=None if nxt is None else str(nxt))


def projector_html(card: Card, clock: str, over: bool) -> str:
    """The projector's card: every value escaped (titles are typed by people)."""
    e = html.escape
    nxt = card.next_title if card.next_title else t("meetings.run.last")
    return (f'<div class="jm-card"><div class="jm-meta">{e(t("meetings.run.item_of", n=card.order, total=card.count))}'
            f' · {e(card.span)}</div><div class="jm-title">{e(card.title)}</div>'
            f'<div class="jm-row"><div class="jm-presenter">'
            f'{e(t("meetings.run.presenter_line", party=card.presenter, n=card.minutes))}</div>'
            f'<div class="jm-clock{" jm-over" if over else ""}" data-testid="jm-clock">{e(clock)}</div></div>'
            f'<div class="jm-next">{e(t("meetings.run.next_line", title=nxt))}</div></div>')


PROJECTOR_CSS = """<style>
/* The projector's section starts higher: the current item must fit a 1280x720 screen without scrolling. */
[data-testid=stMainBlockContainer] {padding-top: 3.2rem;}
.jm-card {border: 2px solid #1d4ed8; border-radius: 12px; padding: 18px 28px; background: #f8fafc;
  max-height: 440px; overflow: hidden;}
.jm-meta {font-size: 1.4rem; color: #475569;}
.jm-title {font-size: 2.9rem; font-weight: 700; line-height: 1.2; margin: 6px 0 10px 0; color: #0f172a;
  display: -webkit-box; -webkit-line-clamp: 3; -webkit-box-orient: vertical; overflow: hidden;}
.jm-row {display: flex; justify-content: space-between; align-items: center; gap: 24px;}
.jm-presenter {font-size: 1.8rem; color: #1e293b;}
.jm-clock {font-size: 4.2rem; font-weight: 700; font-variant-numeric: tabular-nums; color: #15803d;
  white-space: nowrap;}
.jm-clock.jm-over {color: #b42318;}
.jm-next {font-size: 1.5rem; color: #475569; margin-top: 8px; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis;}
</style>"""
