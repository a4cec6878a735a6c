"""The joint meeting's files: the minutes as Word (.docx) and PDF, and the action items as a workbook (.xlsx).

The .docx is built from a `MinutesContent` (for locked minutes, exactly the signed JSON), so a file printed today
says what was signed. Every fixed label goes through i18n in the language asked for; the user's text goes in as
plain text runs with the characters XML refuses removed.
"""

import datetime as dt
import io
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import xlsxwriter
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

from dashboard.access import MEETING_PARTIES
from dashboard.docx_parts import add_page_numbers, add_para, add_run, add_table, clean, setup_a4
from dashboard.i18n import MONTH_NAMES, label, t, use_language
from dashboard.services.errors import RuleError
from dashboard.services.meeting_types import MinutesAction, MinutesContent, MinutesSignatureLine
from data_models.enums import ActionStatus, AttendanceStatus

log = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def fmt_date(iso_date: str) -> str:
    d = dt.date.fromisoformat(iso_date[:10])
    return t("minutes_doc.date", y=d.year, m=d.month, d=d.day, month_name=MONTH_NAMES[d.month - 1])


def shanghai_time(iso_ts: str) -> str:
    """An ISO timestamp (UTC when it carries no offset) as Beijing time, to the minute."""
    at = dt.datetime.fromisoformat(iso_ts)
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _header_footer(doc: Any, content: MinutesContent, status: str) -> None:
    section = doc.sections[0]
    head = section.header.paragraphs[0]
    head.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    add_run(head, f"{content.title} · {content.meeting_code}　", size=9, grey=True)
    add_run(head, t(f"minutes_doc.status.{status}"), size=10, bold=True, heading=True)
    foot = section.footer
    hashes = foot.paragraphs[0]
    if status == "locked":
        add_run(hashes, t("minutes_doc.sha_this", hash=content.sha256()), size=7, grey=True)
        hashes.add_run().add_break()
    previous = content.previous_sha256
    add_run(hashes, t("minutes_doc.sha_previous", hash=previous) if previous else t("minutes_doc.sha_previous_none"),
         size=7, grey=True)
    add_page_numbers(add_para(foot, align=WD_ALIGN_PARAGRAPH.CENTER), t("minutes_doc.page"), 9)


def _action_row(a: MinutesAction, *, carried: bool) -> list[object]:
    row: list[object] = [a.code, a.title, a.owner_party, a.owner_person, a.due_on[:10],
                         label(a.status, ActionStatus)]
    if carried:
        row.append(a.days_overdue if a.days_overdue > 0 else "")
    return row


def _body(doc: Any, content: MinutesContent) -> None:
    add_para(doc, content.title, style="Title", heading=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for key, value in (("number", content.meeting_code), ("held_on", fmt_date(content.held_on)),
                       ("starts_at", content.starts_at), ("location", content.location),
                       ("community", content.community)):
        p = add_para(doc)
        add_run(p, t("minutes_doc.label", label=t(f"minutes_doc.{key}")), bold=True)
        add_run(p, value)

    add_para(doc, t("minutes_doc.attendance"), style="Heading 1", heading=True)
    add_table(doc, [t(f"minutes_doc.col.{k}") for k in ("party", "attendance", "attendees", "deputy")],
           [(a.party, label(a.status, AttendanceStatus), a.attendees, a.deputy) for a in content.attendance],
           (40, 28, 64, 28))
    quorum = add_para(doc, t("minutes_doc.quorate" if content.quorate else "minutes_doc.not_quorate"),
                   bold=not content.quorate)
    quorum.paragraph_format.space_before = Pt(6)

    action_cols = [t(f"minutes_doc.col.{k}") for k in ("code", "item", "owner_party", "owner_person", "due_on",
                                                       "status")]
    add_para(doc, t("minutes_doc.carried"), style="Heading 1", heading=True)
    if content.carried:
        add_table(doc, [*action_cols, t("minutes_doc.col.days_overdue")],
               [_action_row(a, carried=True) for a in content.carried], (26, 40, 24, 16, 20, 16, 18))
    else:
        add_para(doc, t("minutes_doc.carried_none"))

    add_para(doc, t("minutes_doc.agenda"), style="Heading 1", heading=True)
    for item in content.items:
        add_para(doc, t("minutes_doc.item", no=item.order_no, title=clean(item.title)), style="Heading 2",
              heading=True)
        facts = [t("minutes_doc.minutes", minutes=item.minutes)]
        if item.presenter:
            facts.insert(0, t("minutes_doc.presenter", party=clean(item.presenter)))
        add_para(doc, t("minutes_doc.sep").join(facts), grey=True, size=10)
        if item.notes:
            for line in clean(item.notes).splitlines():
                add_para(doc, line)
        for d in item.decisions:
            p = add_para(doc)
            if d.provisional:
                add_run(p, t("minutes_doc.provisional"), bold=True)
            add_run(p, t("minutes_doc.decision", code=d.code), bold=True)
            add_run(p, d.text)

    add_para(doc, t("minutes_doc.actions"), style="Heading 1", heading=True)
    if content.actions:
        add_table(doc, action_cols, [_action_row(a, carried=False) for a in content.actions],
               (26, 54, 24, 18, 20, 18))
    else:
        add_para(doc, t("minutes_doc.actions_none"))


def _signatures(doc: Any, content: MinutesContent, signatures: Sequence[MinutesSignatureLine]) -> None:
    add_para(doc, t("minutes_doc.signatures"), style="Heading 1", heading=True)
    by_party = {s.party: s for s in signatures}
    parties = [a.party for a in content.attendance if a.party_kind in MEETING_PARTIES]
    parties += [s.party for s in signatures if s.party not in parties]
    blank = "_" * 14
    table = add_table(doc, [t(f"minutes_doc.col.{k}") for k in ("party", "signed_by", "signed_at")],
                   [(p, by_party[p].signed_by, shanghai_time(by_party[p].signed_at)) if p in by_party
                    else (p, blank, blank) for p in parties], (50, 55, 55))
    for row in table.rows[1:]:          # room to sign the paper copy by hand
        row.height = Mm(11)
    add_para(doc, t("minutes_doc.beijing_time"), grey=True, size=9).paragraph_format.space_before = Pt(4)
    p = add_para(doc)
    add_run(p, t("minutes_doc.label", label=t("minutes_doc.distribution")), bold=True)
    add_run(p, t("audit.list_sep").join(clean(x) for x in content.distribution))


def docx_bytes(content: MinutesContent, *, lang: str, status: str,
               signatures: Sequence[MinutesSignatureLine] = (),
               addenda: Sequence[tuple[int, str, str]] = ()) -> bytes:
    """The minutes as a Word document in `lang`; `status` is the MinutesStatus value printed in every page's header.

    `addenda` are (number, text, sha256) of the corrections made after locking, printed after the body.
    """
    with use_language(lang):
        doc = Document()
        doc.core_properties.title = clean(content.title)
        doc.core_properties.identifier = clean(content.meeting_code)
        doc.core_properties.language = "zh-CN" if lang == "zh" else "en"
        setup_a4(doc, lang)
        _header_footer(doc, content, status)
        _body(doc, content)
        _signatures(doc, content, signatures)
        if addenda:
            add_para(doc, t("minutes_doc.addenda"), style="Heading 1", heading=True)
            for no, text, sha in addenda:
                add_para(doc, t("minutes_doc.addendum", no=no), style="Heading 2", heading=True)
                for line in clean(text).splitlines() or [""]:
                    add_para(doc, line)
                add_para(doc, t("minutes_doc.addendum_sha", hash=sha), grey=True, size=8)
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()


def pdf_bytes(docx: bytes, *, timeout: float = 120) -> bytes:
    """The .docx turned into PDF by LibreOffice headless.

    Why LibreOffice: the PDF is the same document as the .docx (one layout, one set of fields, nothing to keep in
    step), and it lays out Chinese with the machine's CJK fonts. WeasyPrint would need a second, HTML copy of the
    minutes, which would drift from the Word file that the parties sign.

    Each call has its own LibreOffice profile and temporary directory, so two users converting at once do not share
    a profile lock; both are removed afterwards. soffice exits 0 even when it failed, so the output is checked.
    """
    exe = shutil.which("soffice")
    if exe is None:
        log.error("minutes pdf: soffice is not installed")
        raise RuleError("minutes.pdf_failed")
    with tempfile.TemporaryDirectory(prefix="minutes-pdf-", ignore_cleanup_errors=True) as tmp:
        source = Path(tmp) / "minutes.docx"
        source.write_bytes(docx)
        profile = (Path(tmp) / f"lo-{uuid.uuid4().hex}").as_uri()
        cmd = [exe, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", tmp,
               str(source)]
        # Its own process group: on a timeout the whole of LibreOffice (soffice.bin under the wrapper) is killed.
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            log.error("minutes pdf: LibreOffice took longer than %ss", timeout)
            raise RuleError("minutes.pdf_failed") from None
        target = Path(tmp) / "minutes.pdf"
        data = target.read_bytes() if target.exists() else b""
        if not data.startswith(b"%PDF"):
            log.error("minutes pdf: LibreOffice exited %s without a PDF: %s %s", proc.returncode,
                      out.decode(errors="replace")[-500:], err.decode(errors="replace")[-500:])
            raise RuleError("minutes.pdf_failed")
        return data


# The workbook's columns: (ACTION_COLUMNS name, header key, kind, width).
XLSX_COLUMNS = (("code", "code", "text", 16), ("title", "item", "text", 40), ("owner_party", "owner_party", "text", 22),
                ("owner_person", "owner_person", "text", 12), ("meeting_code", "meeting", "text", 16),
                ("created_on", "created_on", "date", 12), ("due_on", "due_on", "date", 12),
                ("status", "status", "status", 10), ("days_overdue", "days_overdue", "int", 10),
                ("done_on", "done_on", "date", 12), ("note", "note", "text", 40),
                ("updated_by", "updated_by", "text", 12), ("updated_at", "updated_at", "time", 17))


def _as_datetime(value: object, *, local: bool) -> dt.datetime | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value) if local else dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        if local:       # stored in UTC: shown as the time in Beijing, without a zone (Excel has none)
            aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
            return aware.astimezone(SHANGHAI).replace(tzinfo=None)
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return None


def actions_xlsx(frame: pd.DataFrame, *, lang: str, title: str) -> bytes:
    """Action items (a frame of `dashboard.queries.meetings.ACTION_COLUMNS`) as one sheet: the title in the first
    row, headers in the second (frozen, with an autofilter), typed date cells, status labels in `lang`."""
    out = io.BytesIO()
    with use_language(lang):
        book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "strings_to_numbers": False})
        book.set_properties({"title": clean(title)})
        sheet = book.add_worksheet(t("minutes_doc.sheet"))
        heading = book.add_format({"bold": True, "font_size": 14, "font_name": "宋体"})
        head = book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1, "text_wrap": True,
                                "valign": "vcenter"})
        formats = {"date": book.add_format({"num_format": "yyyy-mm-dd"}),
                   "time": book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
                   "int": book.add_format({"num_format": "0"}), "text": None, "status": None}
        overdue = book.add_format({"num_format": "0", "font_color": "#B00020", "bold": True})
        sheet.write_string(0, 0, clean(title), heading)
        for c, (_, key, _, width) in enumerate(XLSX_COLUMNS):
            sheet.write_string(1, c, t(f"minutes_doc.col.{key}"), head)
            sheet.set_column(c, c, width)
        for r, rec in enumerate(frame.to_dict("records"), start=2):
            for c, (name, _, kind, _) in enumerate(XLSX_COLUMNS):
                value = rec.get(name)
                if kind in ("date", "time"):
                    when = _as_datetime(value, local=kind == "time")
                    if when is not None:
                        sheet.write_datetime(r, c, when, formats[kind])
                elif kind == "int":
                    days = int(value or 0)
                    sheet.write_number(r, c, days, overdue if days > 0 else formats["int"])
                elif kind == "status":
                    sheet.write_string(r, c, label(str(value), ActionStatus))
                elif value is not None and not (isinstance(value, float) and pd.isna(value)):
                    sheet.write_string(r, c, clean(value))
        sheet.freeze_panes(2, 0)
        sheet.autofilter(1, 0, max(1, len(frame) + 1), len(XLSX_COLUMNS) - 1)
        sheet.set_paper(9)              # A4
        sheet.set_landscape()
        sheet.repeat_rows(1)
        sheet.fit_to_pages(1, 0)
        book.close()
    return out.getvalue()
