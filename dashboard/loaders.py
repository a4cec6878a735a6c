"""The one Streamlit-aware data module: the cached engine and the cached load_* wrappers pages call."""

import contextvars
import datetime as dt
import hashlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import access, audit, data_version, db
from dashboard import loaders_forms as forms
from dashboard.access import Action
from dashboard.accounts import Principal
from dashboard.db import init_database
from dashboard.excel import annotate, importer, writer
from dashboard.excel.tables import backlog_xlsx, table_xlsx
from dashboard.i18n import get_language, t
from dashboard.loaders_forms import as_drawn as as_drawn
from dashboard.loaders_forms import as_shown as as_shown
from dashboard.loaders_forms import as_shown_all as as_shown_all
from dashboard.loaders_forms import forget_form_versions as forget_form_versions
from dashboard.loaders_forms import forget_shown as forget_shown
from dashboard.loaders_forms import form_version as form_version
from dashboard.loaders_forms import new_run as new_run
from dashboard.loaders_forms import vanished as vanished
from dashboard.queries import Scope, audit_log, common, cooperative, needs_board, overview, practitioner
from dashboard.queries.audit_log import AuditFilter
from dashboard.services import statements
from dashboard.settings import get_settings
from seed.load import DatabaseNotEmpty, is_empty, load_demo

T = TypeVar("T")
TTL = get_settings().cache_ttl_seconds
SHANGHAI = ZoneInfo("Asia/Shanghai")


@st.cache_resource(show_spinner=False)
def get_engine() -> Engine:
    """Create and migrate the database once per process."""
    return init_database(get_settings().database_url)


@st.cache_resource(show_spinner=False)
def read_engine() -> Engine:
    """The engine of the pages' cached reads: the read replica of DATABASE_READ_URL where one is set, else the
    primary. Writes, the sign-in gate and the data version check always use get_engine()."""
    url = get_settings().database_read_url
    return db.read_engine(url, get_engine()) if url else get_engine()


class _SeenVersion:
    """The data version this process's cached results were loaded at (Streamlit's cache is per process)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.version: int | None = None


@st.cache_resource(show_spinner=False)
def _seen_version() -> _SeenVersion:
    return _SeenVersion()


def drop_stale_caches() -> bool:
    """On each rerun: when the data version moved since this process last looked (a write anywhere: another app
    server, the command line, SQL by hand), drop every cached result. True when they were dropped.

    The version is read on the primary. With a read replica the version seen is then read again on the replica,
    whose data the loaders read: while the replica lags behind the primary the two differ, and the caches are
    dropped again at each rerun until it has caught up, so nothing stays cached from before the write."""
    with get_engine().connect() as conn:
        now = data_version.current(conn)
    seen = _seen_version()
    with seen.lock:
        if seen.version == now:
            return False
        moved = seen.version is not None
        if moved:
            st.cache_data.clear()
        reader = read_engine()
        if reader is get_engine():
            seen.version = now
        else:
            with reader.connect() as conn:
                seen.version = data_version.current(conn)
        return moved


_SEED_LOCK = threading.Lock()


@st.cache_resource(show_spinner=False)
def _seed_checked() -> dict[str, bool]:
    return {"done": False}


def ensure_demo_data() -> int:
    """On an empty database, load the demo scale once, with a spinner meanwhile (it takes 5-25 s).

    Returns how many rows this call loaded: only the session that seeded gets a number, every later session 0,
    so the notice is shown to the one who saw it happen and not to everyone until the server restarts."""
    checked = _seed_checked()
    if checked["done"]:
        return 0
    with _SEED_LOCK:                 # a second session waits here, then finds the data and says nothing
        if checked["done"]:
            return 0
        engine = get_engine()
        rows = 0
        if get_settings().auto_seed and is_empty(engine):
            with st.spinner(t("app.seeding"), show_time=True):
                try:
                    rows = sum(load_demo(engine, "demo").values())
                except DatabaseNotEmpty:  # another app server seeded it first
                    rows = 0
        checked["done"] = True
        return rows


def today() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


@st.cache_data(ttl=TTL, show_spinner=False)
def load_communities() -> pd.DataFrame:
    with Session(read_engine()) as session:
        return common.communities(session)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_quarters() -> list[str]:
    with Session(read_engine()) as session:
        return common.quarters(session)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_has_data(community_id: int | None, quarter: str | None) -> bool:
    with Session(read_engine()) as session:
        return common.has_data(session, community_id=community_id, quarter=quarter)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_overview(community_id: int | None, quarter: str, on: dt.date) -> overview.Overview:
    with Session(read_engine()) as session:
        return overview.overview(session, scope=Scope(community_id, quarter), today=on)


def principal() -> Principal:
    """Who is signed in (set by app.py through dashboard.gate before any page runs)."""
    p = st.session_state.get("principal")
    if p is None:  # a page reached without app.py's gate: nothing is shown or written
        st.stop()
    return p


def current_actor() -> str:
    """Who is writing, as the audit log records it."""
    return principal().username


def can(action: Action) -> bool:
    return access.can(principal().role, action)


def can_import(entity: str) -> bool:
    return access.can_import(principal().role, entity)


def write(action: Callable[..., T], *, permission: Action, cooperative: str | None = None, **kwargs: Any) -> T:
    """Run one write from dashboard/ in its own transaction, if the matrix lets the signed-in role make it
    (and, for a write to a cooperative, on that cooperative); then every cached query result is stale."""
    p = principal()
    access.require(p.role, permission)
    if cooperative is not None:
        access.require_cooperative(p.role, p.cooperative_code, cooperative)
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            result = action(session, **kwargs)
            session.commit()
        except Exception:
            session.rollback()
            raise
    st.cache_data.clear()
    forms.forget_drawn()
    return result


def flash(message: str) -> None:
    """A success message that survives the st.rerun() after a write."""
    st.session_state["flash"] = message


def pop_flash() -> str | None:
    return st.session_state.pop("flash", None)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_cooperatives(community_id: int | None) -> pd.DataFrame:
    with Session(read_engine()) as session:
        return cooperative.cooperatives(session, community_id=community_id)


def visible_cooperatives(community_id: int | None) -> pd.DataFrame:
    """The cooperatives the signed-in account may see: all of them, or a manager's own one."""
    p = principal()
    coops = load_cooperatives(community_id)
    if not access.own_cooperative_only(p.role):
        return coops
    return coops[coops["code"] == p.cooperative_code].reset_index(drop=True)


def own_cooperative_only() -> bool:
    """The signed-in account sees one cooperative only (a manager)."""
    return access.own_cooperative_only(principal().role)


def member_names_visible(cooperative_code: str) -> bool:
    """Members' names unmasked: roles that see personal data and the cooperative's own manager; never in
    meeting mode."""
    p = principal()
    return access.sees_member_names(p.role, p.cooperative_code, cooperative_code) and not meeting_mode()


@st.cache_data(ttl=TTL, show_spinner=False)
def load_coop_sales_by_month(cooperative_id: int) -> pd.DataFrame:
    with Session(read_engine()) as session:
        return cooperative.sales_by_month(session, cooperative_id=cooperative_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_coop_channels(cooperative_id: int, period: str | None) -> pd.DataFrame:
    with Session(read_engine()) as session:
        return cooperative.sales_by_channel(session, cooperative_id=cooperative_id, period=period)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_coop_top_members(cooperative_id: int, period: str | None, n: int) -> pd.DataFrame:
    with Session(read_engine()) as session:
        return cooperative.top_members(session, cooperative_id=cooperative_id, period=period, n=n)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_coop_runs(cooperative_id: int) -> pd.DataFrame:
    with Session(read_engine()) as session:
        return cooperative.runs(session, cooperative_id=cooperative_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_run_lines(run_code: str) -> pd.DataFrame:
    with Session(read_engine()) as session:
        return cooperative.run_lines(session, run_code=run_code)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_coop_splits(cooperative_id: int) -> pd.DataFrame:
    with Session(read_engine()) as session:
        return cooperative.splits(session, cooperative_id=cooperative_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_fund_ledger(cooperative_id: int) -> pd.DataFrame:
    with Session(read_engine()) as session:
        return cooperative.fund_ledger(session, cooperative_id=cooperative_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_statement(run_code: str, member_code: str) -> statements.Statement:
    with Session(read_engine()) as session:
        return statements.statement(session, run_code=run_code, member_code=member_code)


def min_cell() -> int | None:
    """Aggregates over fewer people than DASHBOARD_MIN_CELL_SIZE are not shown wherever personal data is not:
    in meeting mode, and to every role that may not see personal data (a cell of 2 people names them)."""
    return None if personal_data_visible() else get_settings().min_cell_size


def personal_data_visible() -> bool:
    """Names, phone numbers and ID-like fields: only social workers and admins see them, never in meeting mode."""
    return access.sees_personal_data(principal().role) and not meeting_mode()


def meeting_mode() -> bool:
    return bool(st.session_state.get("meeting_mode", False))


@st.cache_data(ttl=TTL, show_spinner=False)
def load_needs_page(scope: Scope, on: dt.date) -> needs_board.NeedsPage:
    return needs_board.page(read_engine(), scope=scope, today=on)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_practitioner_matches(community_id: int | None, text: str) -> pd.DataFrame:
    with Session(read_engine()) as session:
        return practitioner.find(session, community_id=community_id, text=text)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_practitioner_card(code: str) -> practitioner.Card | None:
    with Session(read_engine()) as session:
        return practitioner.card(session, code=code)


def community_code(community_id: int | None) -> str | None:
    if community_id is None:
        return None
    rows = load_communities()
    return str(rows.loc[rows["id"] == community_id, "code"].iloc[0])


@st.cache_data(ttl=3600, show_spinner=False)
def _template(entity: str, lang: str) -> bytes:
    return writer.template_xlsx(entity, lang)


def template_bytes(entity: str) -> bytes:
    return _template(entity, get_language())


def check_import(entity: str, data: bytes, file_name: str) -> importer.ImportResult:
    """The preview: every row validated against the database, nothing written; a progress bar meanwhile.

    Kept for the session by the file's hash (not st.cache_data: the bar draws while it runs).
    """
    access.require_import(principal().role, entity)
    key = (entity, hashlib.sha256(data).hexdigest(), get_language())
    kept = st.session_state.get("io_preview")
    if kept is not None and kept[0] == key:
        return kept[1]
    bar = st.progress(0.0)
    result = importer.import_file(get_engine(), entity, data, file_name, actor=current_actor(), dry_run=True,
                                  max_bytes=get_settings().max_upload_mb * 2**20,
                                  progress=lambda f, m: bar.progress(min(f, 1.0), text=m))
    bar.empty()
    st.session_state["io_preview"] = (key, result)
    return result


def write_import(entity: str, data: bytes, file_name: str) -> importer.ImportResult:
    access.require_import(principal().role, entity)
    bar = st.progress(0.0)
    result = importer.import_file(get_engine(), entity, data, file_name, actor=current_actor(),
                                  max_bytes=get_settings().max_upload_mb * 2**20,
                                  progress=lambda f, m: bar.progress(min(f, 1.0), text=m))
    bar.empty()
    st.session_state.pop("io_preview", None)
    st.cache_data.clear()
    return result


RowScope = tuple[tuple[str, Any], ...] | None


def export_scope(entity: str) -> RowScope:
    """The rows of `entity` the signed-in role may export (access.row_scope), hashable for the cache."""
    p = principal()
    scope = access.row_scope(p.role, entity, party_id=p.party_id, cooperative_id=p.cooperative_id)
    return None if scope is None else tuple(sorted(scope.items()))


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def _export(entity: str, community: str | None, quarter: str | None, lang: str, personal: bool,
            scope: RowScope) -> tuple[bytes, int]:
    return writer.export_xlsx(read_engine(), entity, community_code=community, quarter=quarter, lang=lang,
                              personal=personal, scope=None if scope is None else dict(scope))


def export_personal(entity: str) -> bool:
    """Whether an export of `entity` shows personal columns unmasked for the signed-in role (never in meeting
    mode)."""
    return access.sees_personal_columns(principal().role, entity) and not meeting_mode()


def export_bytes(entity: str, community: str | None, quarter: str | None) -> tuple[bytes, int]:
    """The entity's rows as the signed-in role may see them: its own rows, personal columns masked where
    it may not see them."""
    access.require(principal().role, Action.export)
    return _export(entity, community, quarter, get_language(), export_personal(entity), export_scope(entity))


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def _export_csv(entity: str, community: str | None, quarter: str | None, lang: str, personal: bool,
                scope: RowScope) -> bytes:
    return writer.export_csv(read_engine(), entity, community_code=community, quarter=quarter, lang=lang,
                             personal=personal, scope=None if scope is None else dict(scope))


def export_csv_bytes(entity: str, community: str | None, quarter: str | None) -> bytes:
    access.require(principal().role, Action.export)
    return _export_csv(entity, community, quarter, get_language(), export_personal(entity), export_scope(entity))


def annotated_upload(data: bytes, file_name: str, result: importer.ImportResult) -> bytes | None:
    """The upload with its error cells marked, or None where the file cannot be reopened (old .xls).

    Made once per preview and kept for the session: reopening a large workbook on every rerun is slow. The
    preview itself is kept by the file's hash (check_import), so the same result object means the same file.
    """
    kept = st.session_state.get("io_marked_copy")
    if kept is not None and kept[0] is result:
        return kept[1]
    try:
        marked: bytes | None = annotate.annotated(data, file_name, result.errors)
    except Exception:  # noqa: BLE001  (a file we cannot reopen simply gets no marked copy)
        marked = None
    st.session_state["io_marked_copy"] = (result, marked)
    return marked


def latest_import(entity: str) -> Any:
    """The import undo would undo now, read on the primary on every run (not cached): the page names it."""
    return importer.latest_import(get_engine(), entity)


def write_undo(entity: str, batch_id: int | None = None) -> dict[str, object]:
    """Undo the entity's latest import (admins only); `batch_id`, the one the page showed: refused if another came."""
    access.require(principal().role, Action.import_undo)
    summary = importer.undo_last(get_engine(), entity, actor=current_actor(), batch_id=batch_id)
    st.cache_data.clear()
    return summary


def cover_filters(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The page's filters as an export's cover names them."""
    f = st.session_state.get("filters")
    return {t("filter.community"): st.session_state.get("community_name", ""),
            t("filter.quarter"): getattr(f, "quarter", None) or t("filter.all_quarters"), **(extra or {})}


def download_table(df: pd.DataFrame, columns: list[tuple[str, str, str]], *, title: str, key: str) -> None:
    """The export button under a table: the rows shown (the whole table), with the page's filters on the cover
    sheet. Roles that may not export (viewers, the demo) get no button."""
    if not can(Action.export):
        return
    st.download_button(t("common.download_table"), table_xlsx(df, columns, title=title, filters=cover_filters()),
                       file_name=f"{title}.xlsx", key=key, on_click="ignore", icon=":material/download:",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def backlog_file(scope: Scope, on: dt.date, *, title: str, shown: int,
                 extra_filters: dict[str, str] | None = None) -> Callable[[], bytes]:
    """Every open need that matches the page's filters as a workbook, built when the button is clicked (its own
    query, not the rows the page shows). Refused for roles that may not export."""
    access.require(principal().role, Action.export)
    engine, personal, filters = get_engine(), personal_data_visible(), cover_filters(extra_filters)
    # The click is served outside this script run: keep its language (a context variable) for the build.
    context = contextvars.copy_context()
    return lambda: context.copy().run(lambda: backlog_xlsx(engine, scope=scope, today=on, title=title, filters=filters,
                                                    personal=personal, shown=shown)[0])


def download_backlog(scope: Scope, on: dt.date, *, total: int, shown: int, title: str, key: str,
                     extra_filters: dict[str, str] | None = None) -> None:
    """The backlog's export button: all matching rows, and it says so."""
    if not can(Action.export):
        return
    st.download_button(t("common.download_all", n=f"{total:,}"),
                       backlog_file(scope, on, title=title, shown=shown, extra_filters=extra_filters),
                       file_name=f"{title}.xlsx", key=key, on_click="ignore", icon=":material/download:",
                       help=t("common.download_all_help", n=f"{total:,}", shown=f"{shown:,}"),
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def load_audit(filters: AuditFilter) -> tuple[pd.DataFrame, int]:
    """Not cached: the log the admin reads must include the write they made a second ago."""
    access.require(principal().role, Action.audit_view)
    with Session(get_engine()) as session:
        return audit_log.entries(session, filters=filters)


def load_audit_facets() -> tuple[list[str], list[str]]:
    access.require(principal().role, Action.audit_view)
    with Session(get_engine()) as session:
        return audit_log.facets(session)


def verify_audit() -> audit.Verdict:
    access.require(principal().role, Action.audit_view)
    with get_engine().connect() as conn:
        return audit.verify(conn)
