"""The 季度汇报 page's cached reads, its writes (publish, confirm) and its files (handout .xlsx, PDF): the one place
that calls the report's figures, suppression, narrative, publishing, versions and file builders.

Live figures are cached unsuppressed (one read serves every role) and suppressed per viewer on the way out; a
published version is stored unsuppressed too (dashboard.report.types.Figure.hidden) and suppressed the same way."""

import contextvars
import datetime as dt
import hashlib
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import replace

import streamlit as st
from sqlmodel import Session

from dashboard import access
from dashboard.access import Action
from dashboard.i18n import get_language
from dashboard.loaders import TTL, get_engine, principal, read_engine, write
from dashboard.queries import report_versions as versions
from dashboard.report import figures, narrative
from dashboard.report import suppress as suppression
from dashboard.report.diff import FigureChange, diff
from dashboard.report.types import ReportData, ReportMeta, to_json
from dashboard.services import report as service
from dashboard.settings import get_settings

LANGS = ("zh", "en")
MAX_NARRATIVE = service.MAX_NARRATIVE      # what publishing accepts of one area's text: the editors stop there
Narrative = dict[str, str]           # area -> text, in one language


@st.cache_data(ttl=TTL, show_spinner=False)
def load_live(community_id: int | None, quarter: str, on: dt.date) -> ReportData:
    """The quarter's figures as the database holds them now (unsuppressed; `suppress` before showing)."""
    with Session(read_engine()) as session:
        return figures.report_data(session, community_id=community_id, quarter=quarter, today=on)


def read_live(community_id: int | None, quarter: str, on: dt.date) -> ReportData:
    """The quarter's figures read now, past the cache: what a publish click checks the page's figures against (the
    cache may still hold what another server's write has changed)."""
    with Session(get_engine()) as session:
        return figures.report_data(session, community_id=community_id, quarter=quarter, today=on)


def same_figures(a: ReportData, b: ReportData) -> bool:
    """Every figure, base, chart bar and name alike: the same report whenever each was read (the cut-off aside)."""
    return to_json(replace(a, cut_off=b.cut_off)) == to_json(b)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_published(community_id: int | None, quarter: str) -> versions.Published | None:
    """The latest published version of the community-quarter, or None."""
    with Session(read_engine()) as session:
        return versions.latest(session, community_id=community_id, quarter=quarter)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_history(community_id: int | None, quarter: str) -> list[versions.Published]:
    with Session(read_engine()) as session:
        return list(versions.history(session, community_id=community_id, quarter=quarter))


def meta_of(published: versions.Published) -> ReportMeta:
    return versions.meta(published)


def suppress(data: ReportData, min_cell: int | None) -> ReportData:
    return suppression.suppress(data, min_cell)


def public_min_cell() -> int:
    """The published narrative is read by every party, most of whom may not see personal data: it is drafted from
    the figures as they see them, whoever publishes it."""
    return get_settings().min_cell_size


@st.cache_data(ttl=TTL, show_spinner=False)
def _draft(community_id: int | None, quarter: str, on: dt.date, lang: str, min_cell: int) -> Narrative:
    public = suppression.suppress(load_live(community_id, quarter, on), min_cell)
    return dict(narrative.draft(public, lang=lang, min_cell=min_cell))


def load_draft(community_id: int | None, quarter: str, on: dt.date, lang: str | None = None) -> Narrative:
    """The narrative drafted from today's figures by templates (never a remote service), in `lang` (the page's)."""
    return _draft(community_id, quarter, on, lang or get_language(), public_min_cell())


def restatement_start(published: versions.Published, community_id: int | None, quarter: str, on: dt.date,
                      lang: str) -> tuple[Narrative, set[str]]:
    """The narrative a restatement of `published` starts from in `lang`: today's draft where the version was
    published as drafted, the version's own text where someone edited it (those areas named, to be checked)."""
    min_cell = public_min_cell()
    then = narrative.draft(suppression.suppress(published.data, min_cell), lang=lang, min_cell=min_cell)
    return narrative.restatement_start(published.narrative.get(lang, {}), then,
                                       load_draft(community_id, quarter, on, lang))


def changes(old: ReportData, new: ReportData) -> list[FigureChange]:
    """The figures that differ between two reports (a restatement's table; live data against a version)."""
    return diff(old, new)


def viewer_party_kind() -> str | None:
    """The party the signed-in account confirms for (government, platform, association), or None: as the service
    decides it (an admin speaks for their own party, if it is one of the three)."""
    with get_engine().connect() as conn:
        return service.party_of(conn, principal())


# --- writes: each in its own transaction, as the signed-in account; RuleError when refused ---

def publish(data: ReportData, texts: dict[str, Narrative], *, expected_version: int,
            reason: str = "") -> versions.Published:
    """Freeze `data` (unsuppressed, as read) with the narrative in both languages as version expected_version + 1."""
    return write(service.publish, permission=Action.report_publish, data=data, narrative=texts, actor=principal(),
                 expected_version=expected_version, reason=reason)


def confirm(version_id: int, note: str = "") -> None:
    write(service.confirm, permission=Action.report_confirm, version_id=version_id, actor=principal(), note=note)


def forget() -> None:
    """After a refusal (someone published meanwhile) every read is made again."""
    st.cache_data.clear()


# --- files: in the page's language, of the figures shown; a restated version's with its reason and changes (a
# hidden side already None: the files print — for it) ---

def _later(build: Callable[[], bytes]) -> Callable[[], bytes]:
    # The click is served outside this script run: keep its language (a context variable) for the build.
    context = contextvars.copy_context()
    return lambda: context.copy().run(build)


def handout_file(data: ReportData, texts: Narrative, meta: ReportMeta, min_cell: int | None, *,
                 changes: Sequence[FigureChange] = (), reason: str = "") -> Callable[[], bytes]:
    """The workbook, built when its download is clicked (a few hundred ms; it does not fail but on a bug)."""
    access.require(principal().role, Action.export)
    lang = get_language()

    def build() -> bytes:
        from dashboard.report import handout  # xlsxwriter and the charts' code: loaded on the first click

        return handout.handout_xlsx(data, texts, meta, lang=lang, min_cell=min_cell,
                                    changes=list(changes), reason=reason)
    return _later(build)


def pdf_available() -> bool:
    """The PDF is LibreOffice's conversion of the .docx (dashboard.minutes_doc.pdf_bytes): none without it."""
    return shutil.which("soffice") is not None


def pdf_file(data: ReportData, texts: Narrative, meta: ReportMeta, min_cell: int | None, *,
             changes: Sequence[FigureChange] = (), reason: str = "") -> bytes:
    """The PDF, built now (seconds: LibreOffice); RuleError report.file.pdf_failed when it cannot be made."""
    access.require(principal().role, Action.export)
    from dashboard.report import pdf  # LibreOffice and the chart pictures: loaded on the first build

    return pdf.report_pdf(data, texts, meta, lang=get_language(), min_cell=min_cell,
                          changes=list(changes), reason=reason)


def file_key(data: ReportData, texts: Narrative, meta: ReportMeta, min_cell: int | None,
             changes: Sequence[FigureChange], reason: str) -> str:
    """What a built file was made of (the figures, narrative, version, language and threshold): a PDF built for one
    is not offered for another."""
    made = [to_json(data), texts, str(meta), get_language(), min_cell, [repr(c) for c in changes], reason]
    return hashlib.sha256(json.dumps(made, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
