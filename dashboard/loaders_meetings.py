"""The 四方联席会议 page's cached reads, its writes (each through dashboard.services.meetings / minutes, in its own
transaction, then every cached read cleared) and its files (minutes .docx / .pdf, action items .xlsx)."""

import contextvars
import datetime as dt
from collections.abc import Callable

import pandas as pd
import sqlalchemy as sa
import streamlit as st
from sqlmodel import Session

from dashboard import access
from dashboard.access import Action
from dashboard.i18n import get_language
from dashboard.loaders import TTL, get_engine, principal, read_engine, write
from dashboard.queries import meetings as queries
from dashboard.services import agenda, meetings, minutes
from dashboard.services.meeting_types import (
    AgendaInput,
    AttendanceInput,
    MinutesContent,
    MinutesSignatureLine,
    Proposal,
)
from data_models import Meeting, MeetingAttendance, Party
from data_models.base import table_of


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_meetings(community_id: int | None) -> pd.DataFrame:
    with read_engine().connect() as conn:
        return queries.meetings(conn, community_id=community_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_quorate(community_id: int) -> dict[int, bool]:
    """Whether each meeting of the community was quorate: its attendance rows of the four kinds, read in one query
    (a community's meetings times five parties) and judged by the service's rule."""
    a, p, m = table_of(MeetingAttendance), table_of(Party), table_of(Meeting)
    stmt = (sa.select(a.c.meeting_id, p.c.kind, a.c.status, a.c.deputy).join(p, p.c.id == a.c.party_id)
            .join(m, m.c.id == a.c.meeting_id).where(m.c.community_id == community_id))
    rows: dict[int, list[tuple[str, str, str]]] = {}
    with read_engine().connect() as conn:
        for mid, kind, status, deputy in conn.execute(stmt):
            rows.setdefault(int(mid), []).append((str(kind), str(status), str(deputy or "")))
    return {mid: meetings.quorum(r).quorate for mid, r in rows.items()}


@st.cache_data(ttl=TTL, show_spinner=False)
def load_minutes_state(meeting_id: int) -> dict[str, object]:
    """The minutes' window and seal (amend_until, minutes_sha256, locked_at): the meetings list leaves them out."""
    m = table_of(Meeting)
    with read_engine().connect() as conn:
        row = conn.execute(sa.select(m.c.amend_until, m.c.minutes_sha256, m.c.locked_at)
                           .where(m.c.id == meeting_id)).mappings().one()
    return dict(row)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_attendance(meeting_id: int) -> pd.DataFrame:
    with read_engine().connect() as conn:
        return queries.attendance(conn, meeting_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_agenda(meeting_id: int) -> pd.DataFrame:
    with read_engine().connect() as conn:
        return queries.agenda(conn, meeting_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_decisions(meeting_id: int) -> pd.DataFrame:
    with read_engine().connect() as conn:
        return queries.decisions(conn, meeting_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_actions(meeting_id: int, on: dt.date) -> pd.DataFrame:
    with read_engine().connect() as conn:
        return queries.actions(conn, meeting_id, on)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_carried(meeting_id: int, on: dt.date) -> pd.DataFrame:
    with read_engine().connect() as conn:
        return queries.carried_over(conn, meeting_id=meeting_id, today=on)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_party_actions(party_id: int, on: dt.date) -> pd.DataFrame:
    with read_engine().connect() as conn:
        return queries.party_actions(conn, party_id=party_id, today=on)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_signatures(meeting_id: int) -> pd.DataFrame:
    with read_engine().connect() as conn:
        return queries.signatures(conn, meeting_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_addenda(meeting_id: int) -> pd.DataFrame:
    with read_engine().connect() as conn:
        return queries.addenda(conn, meeting_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_parties(community_id: int) -> pd.DataFrame:
    with read_engine().connect() as conn:
        return queries.community_parties(conn, community_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_content(meeting_id: int, on: dt.date, version: int, lang: str) -> MinutesContent:
    """The minutes as circulated or signed (stored), or assembled from today's rows while a draft. Keyed by the
    meeting's version, so any write to it shows at once; by language, since a draft's labels follow it."""
    with Session(read_engine()) as session:
        return minutes.content_of(session, meeting_id=meeting_id, today=on, now=_utcnow())


def propose(meeting_id: int, on: dt.date) -> list[Proposal]:
    """The agenda builder's proposals, in the user's language (not cached: a click asks for today's figures)."""
    with get_engine().connect() as conn:
        return agenda.propose(conn, meeting_id=meeting_id, today=on)


# --- writes: each in its own transaction, as the signed-in account; RuleError when refused ---

def create_meeting(community_id: int, *, held_on: dt.date, starts_at: str, location: str) -> str:
    made = write(meetings.create_meeting, permission=Action.meeting_write, community_id=community_id,
                 held_on=held_on, actor=principal(), location=location, starts_at=starts_at)
    return str(made.code)


def save_agenda(meeting_id: int, *, version: int, items: list[AgendaInput], on: dt.date) -> None:
    write(meetings.save_agenda, permission=Action.meeting_write, meeting_id=meeting_id, version=version,
          items=items, actor=principal(), today=on)


def set_attendance(meeting_id: int, *, version: int, rows: list[AttendanceInput], on: dt.date) -> None:
    write(meetings.set_attendance, permission=Action.meeting_write, meeting_id=meeting_id, version=version,
          rows=rows, actor=principal(), today=on)


def save_notes(agenda_item_id: int, *, version: int, notes: str, on: dt.date) -> None:
    write(meetings.save_notes, permission=Action.meeting_write, agenda_item_id=agenda_item_id, version=version,
          notes=notes, actor=principal(), today=on)


def add_decision(meeting_id: int, *, version: int, agenda_item_id: int | None, text: str, on: dt.date) -> str:
    made = write(meetings.add_decision, permission=Action.meeting_write, meeting_id=meeting_id, version=version,
                 agenda_item_id=agenda_item_id, text=text, actor=principal(), today=on)
    return str(made.code)


def add_action(meeting_id: int, *, version: int, decision_id: int | None, title: str, owner_party_id: int,
               owner_person: str, due_on: dt.date, on: dt.date) -> str:
    made = write(meetings.add_action, permission=Action.meeting_write, meeting_id=meeting_id, version=version,
                 decision_id=decision_id, title=title, owner_party_id=owner_party_id, owner_person=owner_person,
                 due_on=due_on, actor=principal(), today=on)
    return str(made.code)


def move_action(action_id: int, *, version: int, to_status: str, note: str, on: dt.date,
                done_on: dt.date | None) -> None:
    write(meetings.move_action, permission=Action.action_update, action_id=action_id, version=version,
          to_status=to_status, note=note, actor=principal(), today=on, done_on=done_on)


def circulate(meeting_id: int, *, version: int, amend_until: dt.date, on: dt.date) -> None:
    write(minutes.circulate, permission=Action.meeting_write, meeting_id=meeting_id, version=version,
          amend_until=amend_until, actor=principal(), today=on)


def reassemble(meeting_id: int, *, version: int, on: dt.date) -> int:
    return write(minutes.reassemble, permission=Action.meeting_write, meeting_id=meeting_id, version=version,
                 actor=principal(), today=on, now=_utcnow())


def sign(meeting_id: int, *, version: int, on: dt.date) -> bool:
    return write(minutes.sign, permission=Action.minutes_sign, meeting_id=meeting_id, version=version,
                 actor=principal(), today=on, now=_utcnow())


def add_addendum(meeting_id: int, *, text: str) -> int:
    return write(minutes.add_addendum, permission=Action.meeting_write, meeting_id=meeting_id, text=text,
                 actor=principal(), now=_utcnow())


# --- files ---

def _later(build: Callable[[], bytes]) -> Callable[[], bytes]:
    # The click is served outside this script run: keep its language (a context variable) for the build.
    context = contextvars.copy_context()
    return lambda: context.copy().run(build)


def signature_lines(signatures: pd.DataFrame) -> list[MinutesSignatureLine]:
    return [MinutesSignatureLine(party=str(r["party"]), signed_by=str(r["signed_by"]),
                                 signed_at=pd.Timestamp(r["signed_at"]).isoformat())
            for _, r in signatures.iterrows()]


def addenda_lines(addenda: pd.DataFrame) -> list[tuple[int, str, str]]:
    return [(int(r["no"]), str(r["text"]), str(r["sha256"])) for _, r in addenda.iterrows()]


def minutes_docx_file(content: MinutesContent, *, status: str, meeting_id: int) -> Callable[[], bytes]:
    """The minutes as Word, in the page's language, with who signed and the addenda, built when the button is
    clicked (roles with the export right)."""
    access.require(principal().role, Action.export)
    lang = get_language()
    signatures, addenda = signature_lines(load_signatures(meeting_id)), addenda_lines(load_addenda(meeting_id))

    def build() -> bytes:
        from dashboard import minutes_doc

        return minutes_doc.docx_bytes(content, lang=lang, status=status, signatures=signatures, addenda=addenda)
    return _later(build)


def minutes_pdf(content: MinutesContent, *, status: str, meeting_id: int) -> bytes:
    """The same .docx through LibreOffice (2-4 s): built on a click, never on every run."""
    from dashboard import minutes_doc

    return minutes_doc.pdf_bytes(minutes_docx_file(content, status=status, meeting_id=meeting_id)())


def actions_file(frame: pd.DataFrame, *, title: str) -> Callable[[], bytes]:
    """The action items shown, as a workbook built when clicked; refused for roles that may not export."""
    access.require(principal().role, Action.export)
    lang = get_language()

    def build() -> bytes:
        from dashboard import minutes_doc

        return minutes_doc.actions_xlsx(frame, lang=lang, title=title)
    return _later(build)


def forget() -> None:
    """After a refusal (someone changed the meeting meanwhile) every read is made again."""
    st.cache_data.clear()
