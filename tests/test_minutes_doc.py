"""The joint meeting's files: the minutes as .docx read back with python-docx, as PDF read back with poppler, and the
action items as .xlsx read back with openpyxl and LibreOffice Calc."""

import csv
import datetime as dt
import io
import os
import re
import shutil
import stat
import subprocess
import threading
import time
from dataclasses import replace
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from sqlalchemy.engine import Engine

from dashboard import minutes_doc as md
from dashboard.queries.meetings import ACTION_COLUMNS, party_actions
from dashboard.services.errors import RuleError
from dashboard.services.meeting_types import (
    MinutesAction,
    MinutesAttendance,
    MinutesContent,
    MinutesDecision,
    MinutesItem,
    MinutesSignatureLine,
)
from tests import factories as f

HAS_LO = shutil.which("soffice") is not None and shutil.which("pdftotext") is not None
needs_lo = pytest.mark.skipif(not HAS_LO, reason="LibreOffice or poppler-utils is not installed")
PARTIES = ("GA社区党委政府", "快送平台", "电商行业协会", "阳光社工")
PREVIOUS = "ab" * 32


def content(*, quorate: bool = False) -> MinutesContent:
    attendance = (MinutesAttendance(PARTIES[0], "government", "present", "王建国、李红", ""),
                  MinutesAttendance(PARTIES[1], "platform", "deputy", "", "赵六"),
                  MinutesAttendance(PARTIES[2], "association", "present" if quorate else "absent",
                                    "孙七" if quorate else "", ""),
                  MinutesAttendance(PARTIES[3], "social_work", "present", "陈静", ""),
                  MinutesAttendance("GA合作社", "cooperative", "present", "刘强", ""))
    decision = MinutesDecision("GA-2026Q4-D1", "同意设立骑手驿站，\x07由平台提供场地。", not quorate)
    items = (MinutesItem(1, "上次决议落实情况", PARTIES[3], 15, "action_item", "逐项核对。\n第二行\x00记录。"),
             MinutesItem(2, "逾期诉求（按承办单位）", PARTIES[0], 20, "overdue_requests", "", (decision,)))
    actions = (MinutesAction("GA-2026Q4-A1", "骑手驿站选址", PARTIES[1], "赵六", "2026-12-31", "open"),
               MinutesAction("GA-2026Q4-A2", "培训课程调整方案", PARTIES[2], "孙七", "2027-01-15", "in_progress"))
    carried = (MinutesAction("GA-2026Q3-A3", "补贴发放核对", PARTIES[0], "王建国", "2026-10-01", "in_progress",
                             meeting_code="GA-2026Q3", days_overdue=61),)
    return MinutesContent("GA-2026Q4", "GA社区2026年第四季度四方联席会议", "GA社区", "2026-12-01", "14:30",
                          "社区服务中心三楼会议室", quorate, attendance, items, actions, carried, PARTIES,
                          previous_sha256=PREVIOUS, assembled_at="2026-12-01T06:00:00+00:00")


SIGNED = (MinutesSignatureLine(PARTIES[0], "gov_ga", "2026-12-02T01:15:00+00:00"),)
ADDENDA = ((1, "更正：驿站面积为 40 平方米。", "cd" * 32),)


def open_docx(data: bytes) -> DocxDocument:
    return Document(io.BytesIO(data))


def texts(doc: DocxDocument) -> list[str]:
    return [p.text for p in doc.paragraphs]


def cells(doc: DocxDocument, index: int) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in doc.tables[index].rows]


def test_the_word_minutes_hold_what_was_decided() -> None:
    doc = open_docx(md.docx_bytes(content(), lang="zh", status="locked", signatures=SIGNED, addenda=ADDENDA))
    paras = texts(doc)
    assert paras[0] == "GA社区2026年第四季度四方联席会议"
    style = doc.paragraphs[0].style
    assert style is not None and style.name == "Title"
    assert paras[1:6] == ["会议编号：GA-2026Q4", "日期：2026年12月1日", "时间：14:30", "地点：社区服务中心三楼会议室",
                          "社区：GA社区"]
    attendance, carried, actions, signatures = (cells(doc, i) for i in range(4))
    assert attendance[0] == ["参与方", "出席情况", "出席代表", "代为出席人"]
    assert attendance[1:] == [[PARTIES[0], "出席", "王建国、李红", ""], [PARTIES[1], "代为出席", "", "赵六"],
                              [PARTIES[2], "缺席", "", ""], [PARTIES[3], "出席", "陈静", ""],
                              ["GA合作社", "出席", "刘强", ""]]
    assert "四方未全部出席，法定人数未到：本次会议的决议均为暂定。" in paras
    assert carried == [["编号", "事项", "责任方", "责任人", "完成期限", "状态", "逾期天数"],
                       ["GA-2026Q3-A3", "补贴发放核对", PARTIES[0], "王建国", "2026-10-01", "进行中", "61"]]
    assert actions == [["编号", "事项", "责任方", "责任人", "完成期限", "状态"],
                       ["GA-2026Q4-A1", "骑手驿站选址", PARTIES[1], "赵六", "2026-12-31", "未开始"],
                       ["GA-2026Q4-A2", "培训课程调整方案", PARTIES[2], "孙七", "2027-01-15", "进行中"]]
    # The control characters are gone, the text around them kept.
    assert "【暂定】决议 GA-2026Q4-D1：同意设立骑手驿站，由平台提供场地。" in paras
    assert paras[paras.index("汇报方：阳光社工；时长：15 分钟") + 1:][:2] == ["逐项核对。", "第二行记录。"]
    assert [p for p in paras if p.startswith("1. ") or p.startswith("2. ")] == [
        "1. 上次决议落实情况", "2. 逾期诉求（按承办单位）"]
    # 会签: who signed and when, in Beijing time; a blank to sign on paper for the others (the four parties only).
    assert signatures[1] == [PARTIES[0], "gov_ga", "2026-12-02 09:15"]
    assert [r[0] for r in signatures[1:]] == list(PARTIES)
    assert all(r[1].startswith("___") and r[2].startswith("___") for r in signatures[2:])
    assert "分送：" + "、".join(PARTIES) in paras
    assert paras[-3:] == ["补充更正 1", "更正：驿站面积为 40 平方米。", "SHA-256：" + "cd" * 32]


@pytest.mark.parametrize(("status", "word"), [("draft", "草稿"), ("circulated", "征求意见稿"), ("locked", "定稿")])
def test_every_page_says_the_status_and_locked_minutes_print_their_hash(status: str, word: str) -> None:
    minutes = content()
    doc = open_docx(md.docx_bytes(minutes, lang="zh", status=status))
    section = doc.sections[0]
    assert section.header.paragraphs[0].text.endswith(word)
    assert not section.different_first_page_header_footer       # the same header on every page
    footer = "\n".join(p.text for p in section.footer.paragraphs)
    assert f"上次定稿纪要 SHA-256：{PREVIOUS}" in footer
    assert (minutes.sha256() in footer) == (status == "locked")
    assert minutes.sha256() == MinutesContent.from_json(minutes.to_json()).sha256()
    fields = [el.text.strip() for el in section.footer._element.iter(qn("w:instrText"))]
    assert fields == ["PAGE", "NUMPAGES"]
    assert section.page_width is not None and section.page_height is not None
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


def test_a_quorate_meeting_has_no_provisional_decision_and_no_previous_minutes_is_said() -> None:
    minutes = replace(content(quorate=True), previous_sha256=None)
    doc = open_docx(md.docx_bytes(minutes, lang="zh", status="draft"))
    paras = texts(doc)
    assert "四方均已出席或由代表代为出席，法定人数已到。" in paras
    assert "决议 GA-2026Q4-D1：同意设立骑手驿站，由平台提供场地。" in paras
    assert not any("暂定" in p for p in paras)
    assert "上次定稿纪要：无" in doc.sections[0].footer.paragraphs[0].text


def test_every_run_names_an_east_asian_font() -> None:
    doc = open_docx(md.docx_bytes(content(), lang="zh", status="locked", signatures=SIGNED, addenda=ADDENDA))
    section = doc.sections[0]
    parts = [doc.element.body, section.header._element, section.footer._element]
    runs = [r for part in parts for r in part.iter(qn("w:r")) if r.find(qn("w:t")) is not None]
    assert len(runs) > 50
    fonts = {r.find(qn("w:rPr")).find(qn("w:rFonts")).get(qn("w:eastAsia")) for r in runs}
    assert fonts == {"宋体", "黑体"}
    title_font = doc.paragraphs[0].runs[0]._r.find(qn("w:rPr")).find(qn("w:rFonts"))
    assert title_font.get(qn("w:eastAsia")) == "黑体"
    normal = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert normal.get(qn("w:eastAsia")) == "宋体" and normal.get(qn("w:eastAsiaTheme")) is None
    # East Asian text is Chinese (the template said en-US, and LibreOffice then chose a Japanese CJK face).
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"


def test_the_english_minutes_translate_the_labels_and_keep_the_data() -> None:
    doc = open_docx(md.docx_bytes(content(), lang="en", status="circulated", signatures=SIGNED))
    paras = texts(doc)
    assert paras[0] == "GA社区2026年第四季度四方联席会议"
    assert paras[1:3] == ["Meeting no.: GA-2026Q4", "Date: 1 Dec 2026"]
    assert cells(doc, 0)[2] == [PARTIES[1], "Represented by a deputy", "", "赵六"]
    assert cells(doc, 2)[0] == ["Code", "Item", "Owner party", "Owner", "Due", "Status"]
    assert cells(doc, 2)[2][-1] == "In progress"
    assert "[Provisional] Decision GA-2026Q4-D1: 同意设立骑手驿站，由平台提供场地。" in paras
    assert doc.sections[0].header.paragraphs[0].text.endswith("DRAFT FOR COMMENT")
    assert "Distribution: " + ", ".join(PARTIES) in paras
    assert not any(re.search(r"[\u4e00-\u9fff]", p) for p in paras
                   if p.startswith(("Meeting", "Date", "Time", "Attendance", "Agenda", "Action", "Signatures")))


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("minutes-pdf")
    files = {}
    for lang in ("zh", "en"):
        docx = md.docx_bytes(content(), lang=lang, status="locked", signatures=SIGNED, addenda=ADDENDA)
        files[lang] = out / f"minutes-{lang}.pdf"
        files[lang].write_bytes(md.pdf_bytes(docx))
    return files


def pdf_text(path: Path) -> str:
    """The PDF's text without white space (pdftotext puts spaces between Chinese and Latin letters), read across
    the page, cell by cell and in content order: a code may wrap in its table cell (it did with DejaVu Sans as the
    Latin font), and read across, the row's other cells come between its two lines."""
    texts = [subprocess.run(["pdftotext", *mode, str(path), "-"], check=True, capture_output=True,
                            text=True).stdout for mode in (["-layout"], [], ["-raw"])]
    return "\n".join(re.sub(r"\s+", "", text) for text in texts)


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))      # type: ignore[union-attr]


@needs_lo
def test_the_pdf_shows_the_chinese_text_the_codes_and_its_page_count(pdfs: dict[str, Path]) -> None:
    text = pdf_text(pdfs["zh"])
    pages = pdf_pages(pdfs["zh"])
    assert pages >= 2
    for expected in ("GA社区2026年第四季度四方联席会议", "出席情况", "上次决议落实情况", "【暂定】决议", "骑手驿站选址",
                     "GA-2026Q4-A1", "GA-2026Q4-A2", "GA-2026Q3-A3", "代为出席", "定稿", "会签", "分送",
                     content().sha256(), PREVIOUS):
        assert re.sub(r"\s+", "", expected) in text, expected
    # Word's PAGE / NUMPAGES fields were filled in by the layout.
    assert [f"第{n}页，共{pages}页" in text for n in range(1, pages + 1)] == [True] * pages
    fonts = subprocess.run(["pdffonts", str(pdfs["zh"])], check=True, capture_output=True, text=True).stdout
    assert "CJK" in fonts                           # fontconfig put a Chinese font where 宋体 was asked for


@needs_lo
def test_the_english_pdf(pdfs: dict[str, Path]) -> None:
    text = pdf_text(pdfs["en"])
    pages = pdf_pages(pdfs["en"])
    for expected in ("Attendance", "Progress on earlier decisions", "[Provisional] Decision", "FINAL",
                     "GA-2026Q4-A1", "骑手驿站选址", f"Page {pages} of {pages}"):
        assert re.sub(r"\s+", "", expected) in text, expected


def fake_soffice(tmp_path: Path, body: str) -> str:
    script = tmp_path / "soffice"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_no_libreoffice_is_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(md.shutil, "which", lambda name: None)
    with pytest.raises(RuleError) as err:
        md.pdf_bytes(b"docx")
    assert err.value.key == "minutes.pdf_failed"
    assert "LibreOffice" in str(err.value) and ".docx" in str(err.value)


def test_libreoffice_exiting_0_without_a_pdf_is_a_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exe = fake_soffice(tmp_path, "exit 0")
    monkeypatch.setattr(md.shutil, "which", lambda name: exe)
    monkeypatch.setattr(md.tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    with pytest.raises(RuleError) as err:
        md.pdf_bytes(b"docx")
    assert err.value.key == "minutes.pdf_failed"
    assert list((tmp_path / "tmp").iterdir()) == []          # its temporary directory is gone


def test_a_hung_libreoffice_is_killed_at_the_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pid_file = tmp_path / "child.pid"
    # The wrapper starts a child and waits for it, as soffice does with soffice.bin.
    exe = fake_soffice(tmp_path, f"sleep 60 &\necho $! > {pid_file}\nwait")
    monkeypatch.setattr(md.shutil, "which", lambda name: exe)
    started = time.monotonic()
    with pytest.raises(RuleError) as err:
        md.pdf_bytes(b"docx", timeout=1)
    assert err.value.key == "minutes.pdf_failed"
    assert time.monotonic() - started < 10
    child = int(pid_file.read_text())
    for _ in range(50):                                      # the child is killed with its group, not left behind
        if not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]:
            break
        time.sleep(0.1)
    else:
        os.kill(child, 9)
        pytest.fail("the child of a timed-out soffice was left running")


@needs_lo
def test_two_conversions_at_the_same_moment_both_succeed() -> None:
    docs = {lang: md.docx_bytes(content(), lang=lang, status="draft") for lang in ("zh", "en")}
    results: dict[str, bytes | Exception] = {}
    barrier = threading.Barrier(2)

    def convert(lang: str) -> None:
        barrier.wait()
        try:
            results[lang] = md.pdf_bytes(docs[lang])
        except Exception as exc:     # noqa: BLE001 - reported by the assertion below
            results[lang] = exc

    threads = [threading.Thread(target=convert, args=(lang,)) for lang in docs]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=180)
    assert all(isinstance(v, bytes) and v.startswith(b"%PDF") for v in results.values()), results
    assert set(results) == {"zh", "en"}


def action_frame() -> pd.DataFrame:
    rows = [
        {"id": 1, "code": "GA-2026Q3-A3", "title": "补贴发放核对\x01", "owner_party_id": 7, "owner_party": PARTIES[0],
         "owner_person": "王建国", "created_on": dt.date(2026, 8, 20), "due_on": dt.date(2026, 10, 1),
         "status": "in_progress", "done_on": None, "note": "=HYPERLINK(\"http://x\")", "updated_by": "gov_ga",
         "updated_at": dt.datetime(2026, 11, 30, 16, 30, tzinfo=dt.UTC), "version": 2, "meeting_id": 3,
         "meeting_code": "GA-2026Q3", "days_overdue": 61},
        {"id": 2, "code": "GA-2026Q2-A1", "title": "驿站选址", "owner_party_id": 7, "owner_party": PARTIES[0],
         "owner_person": "李红", "created_on": "2026-05-20", "due_on": "2026-06-30", "status": "done",
         "done_on": "2026-06-28", "note": "", "updated_by": None, "updated_at": None, "version": 1,
         "meeting_id": 2, "meeting_code": "GA-2026Q2", "days_overdue": 0},
    ]
    return pd.DataFrame(rows, columns=ACTION_COLUMNS)


def test_the_action_workbook_has_typed_cells_and_chinese_headers() -> None:
    data = md.actions_xlsx(action_frame(), lang="zh", title="阳光社工的行动事项")
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    assert sheet.title == "行动事项"
    assert sheet["A1"].value == "阳光社工的行动事项"
    header = [c.value for c in sheet[2]]
    assert header == ["编号", "事项", "责任方", "责任人", "所属会议", "提出日期", "完成期限", "状态", "逾期天数",
                      "完成日期", "进展说明", "更新人", "更新时间"]
    first = {h: c for h, c in zip(header, sheet[3], strict=True)}
    assert first["编号"].value == "GA-2026Q3-A3"
    assert first["事项"].value == "补贴发放核对"                         # the control character stripped
    assert first["完成期限"].is_date and first["完成期限"].value == dt.datetime(2026, 10, 1)
    assert first["更新时间"].value == dt.datetime(2026, 12, 1, 0, 30)     # Beijing time
    assert first["状态"].value == "进行中"
    assert first["逾期天数"].value == 61 and first["逾期天数"].data_type == "n"
    assert first["进展说明"].data_type == "s" and first["进展说明"].value.startswith("=HYPERLINK")
    assert first["完成日期"].value is None
    second = {h: c.value for h, c in zip(header, sheet[4], strict=True)}
    assert second["完成日期"] == dt.datetime(2026, 6, 28) and second["状态"] == "已完成"
    assert second["逾期天数"] == 0
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == "A2:M4"


def test_the_english_action_workbook() -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(md.actions_xlsx(action_frame(), lang="en", title="Mine"))).active
    assert sheet.title == "Action items"
    assert [c.value for c in sheet[2]][:4] == ["Code", "Item", "Owner party", "Owner"]
    assert sheet["H3"].value == "In progress" and sheet["H4"].value == "Done"


def test_an_empty_action_list_is_a_workbook_with_its_headers() -> None:
    frame = pd.DataFrame(columns=ACTION_COLUMNS)
    sheet = openpyxl.load_workbook(io.BytesIO(md.actions_xlsx(frame, lang="zh", title="无"))).active
    assert sheet.max_row == 2 and sheet["A2"].value == "编号"


def test_a_partys_actions_from_the_database_export(engine: Engine) -> None:
    """The frame the page passes (party_actions) on each backend: its date and time types become typed cells."""
    with engine.begin() as conn:
        community = f.community(conn, "GA")
        party = f.party(conn, community, "GA-GOV")
        meeting = f.meeting(conn, community, "GA-2025Q3", held_on=dt.date(2025, 8, 15))
        f.action(conn, meeting, party, "GA-2025Q3-A1", due_on=dt.date(2026, 11, 1), status="in_progress",
                 updated_by="gov_ga", updated_at=dt.datetime(2026, 11, 2, 3, 4, tzinfo=dt.UTC))
        f.action(conn, meeting, party, "GA-2025Q3-A2", status="done", done_on=dt.date(2025, 9, 1))
        frame = party_actions(conn, party_id=party, today=dt.date(2026, 12, 1))
    sheet = openpyxl.load_workbook(io.BytesIO(md.actions_xlsx(frame, lang="zh", title="GA-GOV"))).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert [r[0] for r in rows] == ["GA-2025Q3-A1", "GA-2025Q3-A2"]          # open and overdue first
    assert rows[0][5:10] == [dt.datetime(2025, 8, 15), dt.datetime(2026, 11, 1), "进行中", 30, None]
    assert rows[0][12] == dt.datetime(2026, 11, 2, 11, 4)
    assert rows[1][7:10] == ["已完成", 0, dt.datetime(2025, 9, 1)]


@needs_lo
def test_libreoffice_calc_reads_the_action_workbook(tmp_path: Path) -> None:
    source = tmp_path / "actions.xlsx"
    source.write_bytes(md.actions_xlsx(action_frame(), lang="zh", title="阳光社工的行动事项"))
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=120)
    out = tmp_path / "actions.csv"
    assert out.exists(), "LibreOffice could not load the workbook"
    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    assert rows[0][0] == "阳光社工的行动事项"
    assert rows[1][:3] == ["编号", "事项", "责任方"]
    assert rows[2][:9] == ["GA-2026Q3-A3", "补贴发放核对", PARTIES[0], "王建国", "GA-2026Q3", "2026-08-20",
                           "2026-10-01", "进行中", "61"]
    assert rows[2][10] == "=HYPERLINK(\"http://x\")"                    # text, not a formula
    assert rows[3][9] == "2026-06-28"
