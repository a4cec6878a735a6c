"""The 培训成效 page's cached loaders, its writes (follow-ups, revoking a certificate) and files (roster, subsidy)."""

import contextvars
import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st
from sqlmodel import Session

from dashboard import access, training_stats
from dashboard.access import Action
from dashboard.excel import training_files
from dashboard.i18n import get_language
from dashboard.loaders import TTL, get_engine, personal_data_visible, principal, read_engine, write
from dashboard.queries import Scope, training_levels
from dashboard.queries import training as queries
from dashboard.queries.training import TrainingBoard
from dashboard.queries.training_levels import LevelsBoard
from dashboard.services import certificates, followups, subsidy
from dashboard.services.certificates import Verdict
from dashboard.services.followups import Answer
from data_models import TrainingFollowup


@st.cache_data(ttl=TTL, show_spinner=False)
def load_has_training(scope: Scope) -> bool:
    with Session(read_engine()) as session:
        return queries.has_training(session, scope=scope)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_outcomes(scope: Scope, on: dt.date) -> TrainingBoard:
    """The outcomes section's funnel, dimensions and groups (the board without its course table)."""
    with Session(read_engine()) as session:
        return queries.outcomes_board(session, scope=scope, as_of=on)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_courses(scope: Scope, on: dt.date) -> pd.DataFrame:
    with Session(read_engine()) as session:
        return queries.course_table(session, scope=scope, as_of=on)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_groups(scope: Scope, on: dt.date) -> pd.DataFrame:
    with Session(read_engine()) as session:
        return queries.group_table(session, scope=scope, as_of=on)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_income_reported(scope: Scope, on: dt.date) -> pd.DataFrame:
    """Self-reported income per wave, for the outcomes section's paper row: the scope's sums, not the levels board."""
    reader = read_engine()
    with Session(reader) as session:
        # As levels_board starts: the kept sums once brought up to date, else counted live. With the read engine,
        # whose primary it recounts on: through a replica the recount then moves the data version.
        live = not training_stats.catch_up(reader, session.connection())
        counts = training_levels.scope_totals(session, scope=scope, as_of=on, live=live)
        return training_levels.followup_answers(session, scope=scope, counts=[counts])[1]


@st.cache_data(ttl=TTL, show_spinner=False)
def load_levels(scope: Scope, on: dt.date) -> LevelsBoard:
    with Session(read_engine()) as session:
        return training_levels.levels_board(session, scope=scope, as_of=on)


# A province's backlog is thousands of rows: the page shows the most overdue ones and says how many there are.
WORKLIST_LIMIT = 200


@st.cache_data(ttl=TTL, show_spinner=False)
def load_worklist(community_id: int | None, on: dt.date, personal: bool) -> pd.DataFrame:
    """The WORKLIST_LIMIT most overdue; names and phones masked by the service itself where personal data is hidden:
    they never reach the page."""
    with Session(read_engine()) as session:
        return followups.worklist(session, community_id=community_id, as_of=on, personal=personal,
                                  limit=WORKLIST_LIMIT)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_worklist_count(community_id: int | None, on: dt.date) -> int:
    with Session(read_engine()) as session:
        return followups.worklist_count(session, community_id=community_id, as_of=on)


def find_followups(enrolment_code: str, community_id: int | None, on: dt.date) -> pd.DataFrame:
    """One enrolment's follow-ups still to record (pending or unreachable). Not cached: the form names the version
    it read, and a cached one would be refused after the first save."""
    with Session(get_engine()) as session:
        return followups.open_of(session, enrolment_code=enrolment_code, community_id=community_id, as_of=on,
                                 personal=personal_data_visible())


@st.cache_data(ttl=TTL, show_spinner=False)
def load_subsidies(scope: Scope, on: dt.date) -> pd.DataFrame:
    with Session(read_engine()) as session:
        return subsidy.course_subsidies(session, scope=scope, as_of=on)


def verify_certificate(text: str) -> Verdict:
    """Not cached: a lookup must see a revocation made a second ago (and shows no more than a masked name)."""
    with Session(get_engine()) as session:
        return certificates.verify(session, text)


def record_reached(followup_id: int, *, version: int, on: dt.date, answer: Answer,
                   today: dt.date) -> TrainingFollowup:
    """What the practitioner said, as the signed-in account, naming the version the page showed; RuleError else."""
    return write(followups.record_reached, permission=Action.followup_record, followup_id=followup_id,
                 version=version, on=on, answer=answer, actor=principal(), today=today)


def record_try(followup_id: int, *, version: int, on: dt.date, note: str, today: dt.date) -> TrainingFollowup:
    """A try that did not reach the practitioner (the third one marks the follow-up unreachable)."""
    return write(followups.record_try, permission=Action.followup_record, followup_id=followup_id,
                 version=version, on=on, note=note, actor=principal(), today=today)


def revoke(number: str, *, reason: str, on: dt.date, today: dt.date) -> None:
    write(certificates.revoke, permission=Action.certificate_revoke, number=number, reason=reason,
          actor=principal(), on=on, today=today)


def forget() -> None:
    """After a refusal (someone else recorded it first) the work list is read again."""
    for loader in (load_worklist, load_worklist_count, load_outcomes, load_courses, load_groups, load_levels,
                   load_income_reported):
        loader.clear()


def _later(build: Callable[[], bytes]) -> Callable[[], bytes]:
    # The click is served outside this script run: keep its language (a context variable) for the build.
    context = contextvars.copy_context()
    return lambda: context.copy().run(build)


def subsidy_file(scope: Scope, on: dt.date) -> Callable[[], bytes]:
    """The funder's workbook, built when clicked; refused for roles that may not export."""
    access.require(principal().role, Action.export)
    engine, lang = get_engine(), get_language()

    def build() -> bytes:
        with Session(engine) as session:
            return training_files.subsidy_workbook(session, scope=scope, as_of=on, lang=lang)
    return _later(build)


def roster_file(course_code: str) -> Callable[[], bytes]:
    """The trainer's roster of one course, names and phones masked where the page masks them."""
    access.require(principal().role, Action.export)
    engine, lang, personal = get_engine(), get_language(), personal_data_visible()

    def build() -> bytes:
        with Session(engine) as session:
            return training_files.course_roster(session, course_code, lang=lang, personal=personal)
    return _later(build)
