"""季度汇报's handout workbook (.xlsx): a cover (with a restated version's reason and changed figures), then one
sheet per area with its narrative, its figures as typed cells (numbers with number formats that read as the page
writes them) and its chart's table under a native Excel column chart, each sheet set up to print on A4 with the
community, quarter and version in the header.

The data comes in suppressed already (the caller's `suppress`): a hidden figure is written as the text "<5", one
withheld by secondary suppression as 已隐去 (present.figure_text / point_text, as the page writes them). The
narrative is the user's text and is written as a string, never read as a formula.
"""

import io
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from dashboard.docx_parts import clean
from dashboard.i18n import t, use_language
from dashboard.report import cover
from dashboard.report.compare import Change, change
from dashboard.report.diff import FigureChange
from dashboard.report.present import change_text, figure_text, half_up, point_text
from dashboard.report.types import AreaReport, Figure, Kind, Number, Point, ReportData, ReportMeta

# Columns of an area sheet: 指标, 本季度, 上季度, 环比, 去年同期, 同比, 说明 (widths in characters).
WIDTHS = (26, 13, 13, 14, 13, 14, 24)
LAST_COL = len(WIDTHS) - 1
SERIES = ("value", "previous", "year_ago")
COLOURS = {"value": "#1F4E79", "previous": "#6FA8DC", "year_ago": "#BFBFBF"}
CHART_HEIGHT = 340          # px: 17 default rows of 20 px
CHART_ROWS = 18
# The cover's columns: labels (and a restatement's areas), then the facts, notes and the restatement's figure, was,
# now and difference (widths in characters; B:E together as wide as the one column of 70 they replace).
COVER_WIDTHS = (28, 25, 15, 15, 15)
ROW_LINES = 12              # a narrative row's most lines (12 × 17 pt; a row holds 409 pt at most)
_NOT_IN_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def sheet_name(text: str, used: set[str]) -> str:
    """A sheet name Excel accepts (31 characters, none of []:*?/\\, not starting or ending with '), unique."""
    name = _NOT_IN_SHEET_NAME.sub(" ", text).strip().strip("'").strip()[:31] or "Sheet"
    base, n = name, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def _quoted(text: str) -> str:
    return '"' + text.replace('"', "") + '"' if text else ""


def _format_code(template: str, number: str, sign: str = "") -> str:
    """An Excel number format from a sentence of the language with \\x00 for the sign and \\x01 for the number,
    so "{sign}{n} 个百分点" shows +2.1 个百分点 in the cell as on the page."""
    out = []
    for piece in re.split("(\x00|\x01)", template):
        out.append(_quoted(sign) if piece == "\x00" else number if piece == "\x01" else _quoted(piece))
    return "".join(out)


def number_formats() -> dict[str, str]:
    """Per kind of value and change, the format whose text equals present.value_text / change_text."""
    points = t("report.change_points", sign="\x00", n="\x01")
    return {"count": "#,##0", "money": '"¥"#,##0.00', "rate": "0.0%",
            "days": _format_code(t("report.days", n="\x01"), "0.0"),
            "relative": ";".join(f'"{s}"0.0%' for s in "+−±"),
            "points": ";".join(_format_code(points, "0.0", s) for s in "+−±")}


def cell_number(kind: Kind, value: Number) -> float | int:
    """Money from int cents to yuan exactly (Decimal; xlsxwriter writes 16 significant digits, so the cell holds
    the cents as they were); the rest as they are."""
    if kind == "money":
        return float(Decimal(int(value)) / 100)
    if kind == "count":
        return int(value)
    return float(value)


def change_number(kind: str, value: float) -> float:
    """The change as change_text writes it: a percent (or points) rounded half up to a tenth, as a share (0.123) or a
    number of points (2.1). The format's sections pick the sign from the number, so +0.04% must be written as 0 to
    read ±0.0% (and never −0, which would read −0.0%)."""
    shown = Decimal(half_up(abs(value) * 100))
    if shown == 0:
        return 0.0
    signed = shown if value > 0 else -shown
    return float(signed if kind == "points" else signed / 100)


def _char_width(ch: str) -> float:
    """A character's width in column units (the width of a digit): a Chinese one takes two; a lowercase letter,
    a space or a stop about 0.85 in Calibri (and in LibreOffice's stand-in), so English rows are not sized a quarter
    taller than their text (white gaps between a long paragraph's rows); capitals and the rest one."""
    if unicodedata.east_asian_width(ch) in "WF":
        return 2
    return 0.85 if ch.islower() or ch in " .,;:'-()" else 1


def _display_width(text: str) -> float:
    return sum(_char_width(ch) for ch in text)


def _lines(text: str, chars: float) -> int:
    return max(1, math.ceil(_display_width(text) / chars))


def _text_height(text: str, chars: float, line_pt: float = 17.0) -> float:
    """A wrapped cell's row height: neither Excel (merged cells) nor LibreOffice (on opening) sizes it to the text."""
    return min(409.0, _lines(text, chars) * line_pt + 4)


# A sentence's end: 。；！？ (or their ASCII forms), or a full stop before a space (not the one in 8.4%), with any
# closing quote or bracket and the spaces after it, so the next row does not start with them.
_SENTENCE_END = re.compile(r"(?:[。；！？;!?]+|\.(?=\s))[”’」』）)]*\s*")
_BREAK_AFTER = "，、,：: "


def _sentences(text: str) -> list[str]:
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    return [text[a:b] for a, b in zip([0, *ends], [*ends, len(text)], strict=True) if b > a]


def _cut(text: str, width: float) -> tuple[str, str]:
    """`text` cut where its first part is at most `width` wide: after the last comma or space that allows, or where
    the width runs out (a sentence longer than a row)."""
    used, end = 0.0, 0
    for i, ch in enumerate(text):
        used += _char_width(ch)
        if used > width:
            break
        end = i + 1
    end = max(1, end)
    soft = max((i + 1 for i in range(end) if text[i] in _BREAK_AFTER), default=0)
    at = soft if soft > end // 2 else end
    return text[:at], text[at:]


def row_chunks(paragraph: str, chars: float, lines: int = ROW_LINES) -> list[str]:
    """A paragraph in pieces of at most `lines` wrapped lines of `chars`, each ending where a sentence does where it
    can, which together are the paragraph. A row holds 409 pt at most, so a paragraph of the 4,000 characters
    publishing accepts would be cut off in one; rows of a few hundred characters also break across pages."""
    width = chars * lines
    pieces: list[str] = []
    for sentence in _sentences(paragraph):
        while _display_width(sentence) > width:
            head, sentence = _cut(sentence, width)
            pieces.append(head)
        pieces.append(sentence)
    out: list[str] = []
    for piece in pieces:
        if out and _lines(out[-1] + piece, chars) <= lines:
            out[-1] += piece
        else:
            out.append(piece)
    return out or [""]


class _Book:
    """One handout being written: its workbook, formats and the page setup every sheet shares."""

    def __init__(self, out: io.BytesIO, data: ReportData, meta: ReportMeta, lang: str, min_cell: int | None):
        self.data, self.meta, self.lang, self.min_cell = data, meta, lang, min_cell
        self.wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False, "strings_to_numbers": False})
        self.wb.set_properties({"title": cover.title(data, lang), "subject": cover.version_text(meta)})
        add = self.wb.add_format
        border = {"border": 1, "border_color": "#A6A6A6", "valign": "vcenter"}
        self.f: dict[str, Format] = {
            "title": add({"bold": True, "font_size": 16}),
            "area": add({"bold": True, "font_size": 14}),
            "label": add({"bold": True, "valign": "vcenter"}),
            "label_top": add({"bold": True, "valign": "top"}),
            "value": add({"valign": "vcenter"}),
            "note": add({"font_color": "#555555", "text_wrap": True, "valign": "top", "font_size": 10}),
            "remark": add({"font_color": "#555555", "font_size": 10}),       # one line, running over empty cells
            "narrative": add({"text_wrap": True, "valign": "top"}),
            "head": add({**border, "bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "align": "center"}),
            "name": add({**border, "text_wrap": True}),
            "text": add({**border, "align": "right"}),
            "why": add({**border, "text_wrap": True, "font_size": 9, "font_color": "#9C5700"}),
            "subhead": add({"bold": True, "font_size": 12}),
            "link": add({"font_color": "#1F4E79", "underline": 1}),
        }
        self.codes = number_formats()
        self.num = {k: add({**border, "num_format": code}) for k, code in self.codes.items()}
        self.used: set[str] = set()

    def page_setup(self, ws: Worksheet, last_row: int, last_col: int, *, repeat: int | None = None) -> None:
        ws.set_paper(9)                     # A4
        ws.set_portrait()
        ws.fit_to_pages(1, 0)               # one page wide, as many long as it takes
        ws.set_margins(left=0.5, right=0.5, top=0.9, bottom=0.8)
        ws.center_horizontally()
        ws.print_area(0, 0, last_row, last_col)
        if repeat is not None:
            ws.repeat_rows(repeat)
        place, quarter, version = (x.replace("&", "&&") for x in cover.header_parts(self.data, self.meta, self.lang))
        # No font-size codes: "&9" before "2026Q3" would read as size 92026.
        ws.set_header(f"&L{place}&C{quarter}&R{version}", {"margin": 0.4})
        ws.set_footer(f"&C{t('report.file.page', page='&P', pages='&N')}", {"margin": 0.4})
        ws.hide_gridlines(2)

    def cover_sheet(self, names: list[tuple[str, str]], restatement: cover.Restatement) -> None:
        ws = self.wb.add_worksheet(sheet_name(t("report.file.sheet_cover"), self.used))
        for c, width in enumerate(COVER_WIDTHS):
            ws.set_column(c, c, width)
        last = len(COVER_WIDTHS) - 1
        text_chars = sum(COVER_WIDTHS[1:]) * 0.9          # a wrapped text across B:E
        ws.set_row(0, 30)
        ws.merge_range(0, 0, 0, last, "", self.f["title"])
        ws.write_string(0, 0, cover.title(self.data, self.lang), self.f["title"])
        r = 2
        for label, value in cover.facts(self.data, self.meta, self.lang):
            ws.set_row(r, 18)           # Chinese needs more than the default 15 pt (the bold face sat lower)
            ws.write_string(r, 0, label, self.f["label"])
            ws.write_string(r, 1, clean(value), self.f["value"])
            r += 1
        if cover.restatement_shown(self.meta, restatement.changes, restatement.reason):
            r = self._restatement(ws, r + 1, restatement, text_chars)
        r += 1
        ws.write_string(r, 0, t("report.file.notes"), self.f["label_top"])
        for text in cover.notes(self.data, self.meta, self.min_cell):
            ws.set_row(r, _text_height(text, text_chars * 11 / 10 * 0.95 / 0.9, 14))     # 10 pt text
            ws.merge_range(r, 1, r, last, "", self.f["note"])
            ws.write_string(r, 1, text, self.f["note"])
            r += 1
        r += 1
        ws.write_string(r, 0, t("report.file.contents"), self.f["label_top"])
        for title, name in names:
            ws.write_url(r, 1, f"internal:'{name}'!A1", self.f["link"], string=title)
            r += 1
        self.page_setup(ws, r - 1, last)

    def _restatement(self, ws: Worksheet, r: int, restatement: cover.Restatement, chars: float) -> int:
        """A restated version's reason (the user's text, over as many rows as it takes) and its table of changed
        figures from row `r`; returns the next free row."""
        last = len(COVER_WIDTHS) - 1
        ws.write_string(r, 0, t("report.file.restate_reason"), self.f["label_top"])
        for text in (chunk for line in clean(cover.reason_text(restatement.reason)).split("\n")
                     for chunk in row_chunks(line, chars)):
            ws.merge_range(r, 1, r, last, "", self.f["narrative"])
            ws.write_string(r, 1, text, self.f["narrative"])
            ws.set_row(r, _text_height(text, chars))
            r += 1
        if not restatement.changes:
            return r
        r += 1
        ws.write_string(r, 0, cover.restatement_heading(self.meta, restatement.changes), self.f["subhead"])
        r += 1
        for c, col in enumerate(cover.RESTATE_COLUMNS):
            ws.write_string(r, c, t(f"report.file.restate_col.{col}"), self.f["head"])
        for row in cover.change_rows(self.data, restatement.changes, lang=self.lang, min_cell=self.min_cell,
                                     suppressed=restatement.suppressed):
            r += 1
            lines = max(_lines(row[0], COVER_WIDTHS[0] - 1), _lines(row[1], COVER_WIDTHS[1] - 1))
            if lines > 1:
                ws.set_row(r, 15 * lines + 2)
            for c, text in enumerate(row):
                ws.write_string(r, c, clean(text), self.f["name"] if c < 2 else self.f["text"])
        return r + 1

    def _value(self, ws: Worksheet, r: int, c: int, f: Figure, which: str) -> None:
        value = getattr(f, which)
        if which in f.hidden or which in f.withheld or value is None:
            ws.write_string(r, c, figure_text(f, which, min_cell=self.min_cell), self.f["text"])
        else:
            ws.write_number(r, c, cell_number(f.kind, value), self.num[f.kind])

    def _change(self, ws: Worksheet, r: int, c: int, ch: Change) -> None:
        if ch.hidden or ch.value is None:
            ws.write_string(r, c, change_text(ch, min_cell=self.min_cell), self.f["text"])
        else:                           # points as the number of points (2.1), the words in the format
            ws.write_number(r, c, change_number(ch.kind, ch.value), self.num[ch.kind])

    def _point(self, ws: Worksheet, r: int, c: int, kind: Kind, p: Point, which: str) -> None:
        value = getattr(p, which)
        if which in p.hidden or which in p.withheld:        # "<5", or 已隐去 where withheld (not small itself)
            ws.write_string(r, c, point_text(p, kind, which, min_cell=self.min_cell), self.f["text"])
        elif value is None:
            ws.write_blank(r, c, None, self.num[kind])
        else:
            ws.write_number(r, c, cell_number(kind, value), self.num[kind])

    def area_sheet(self, a: AreaReport, name: str, narrative: str) -> None:
        ws = self.wb.add_worksheet(name)
        for c, width in enumerate(WIDTHS):
            ws.set_column(c, c, width)
        chars = sum(WIDTHS) * 0.9
        ws.set_row(0, 24)
        ws.write_string(0, 0, t(f"report.area.{a.area}"), self.f["area"])
        r = 1
        if not a.has_page:
            ws.write_string(r, 0, t("report.file.no_page"), self.f["remark"])
            r += 1
        paragraphs = clean(narrative).split("\n") if narrative.strip() else []
        for text in (chunk for paragraph in paragraphs for chunk in row_chunks(paragraph, chars)):
            ws.merge_range(r, 0, r, LAST_COL, "", self.f["narrative"])
            ws.write_string(r, 0, text, self.f["narrative"])
            ws.set_row(r, _text_height(text, chars))
            r += 1
        r += 1
        header_row = None
        if not a.figures and not a.chart.points:
            ws.write_string(r, 0, t("report.file.empty", quarter=self.data.quarter), self.f["remark"])
            self.page_setup(ws, r, LAST_COL)
            return
        if a.figures:
            header_row = r
            for c, col in enumerate(("figure", "value", "previous", "qoq", "year_ago", "yoy", "note")):
                ws.write_string(r, c, t(f"report.file.col.{col}"), self.f["head"])
            for f in a.figures:
                r += 1
                name, why = t(f"report.fig.{f.key}"), cover.figure_note(f)
                # A wrapped label or note takes the lines it needs (the 说明 font is 9 pt against 11).
                lines = max(_lines(name, WIDTHS[0] - 1), _lines(why, (WIDTHS[6] - 1) * 11 / 9))
                if lines > 1:
                    ws.set_row(r, 15 * lines + 2)
                ws.write_string(r, 0, name, self.f["name"])
                self._value(ws, r, 1, f, "value")
                self._value(ws, r, 2, f, "previous")
                self._change(ws, r, 3, change(f, "previous"))
                self._value(ws, r, 4, f, "year_ago")
                self._change(ws, r, 5, change(f, "year_ago"))
                if why:
                    ws.write_string(r, 6, why, self.f["why"])
                else:
                    ws.write_blank(r, 6, None, self.f["why"])
            r += 2
        last = self._chart(ws, a, r)
        self.page_setup(ws, last, LAST_COL, repeat=header_row)

    def _chart(self, ws: Worksheet, a: AreaReport, r: int) -> int:
        """The chart's table from row `r` and the native column chart under it; returns the last row printed."""
        chart = a.chart
        ws.write_string(r, 0, t(f"report.chart.{chart.key}"), self.f["subhead"])
        r += 1
        if not chart.points:
            ws.write_string(r, 0, t("report.file.chart_empty", quarter=self.data.quarter), self.f["remark"])
            return r
        head = r
        quarters = {"value": self.data.quarter, "previous": self.data.previous_quarter,
                    "year_ago": self.data.year_ago_quarter}
        ws.set_row(r, 32)             # the series' names take two lines
        ws.write_string(r, 0, t("report.file.col.category"), self.f["head"])
        for c, which in enumerate(SERIES, start=1):
            ws.write_string(r, c, t(f"report.file.series.{which}", quarter=quarters[which]), self.f["head"])
        for p in chart.points:
            r += 1
            ws.write_string(r, 0, clean(p.names.get(self.lang) or p.names.get("zh") or p.code), self.f["name"])
            for c, which in enumerate(SERIES, start=1):
                self._point(ws, r, c, chart.kind, p, which)
        for remark in cover.chart_remarks(chart, self.min_cell):
            r += 1
            ws.write_string(r, 0, remark, self.f["remark"])
        native = self.wb.add_chart({"type": "column"})      # clustered columns
        name = ws.get_name()
        first, last = head + 1, head + len(chart.points)
        for c, which in enumerate(SERIES, start=1):
            native.add_series({"name": [name, head, c], "categories": [name, first, 0, last, 0],
                               "values": [name, first, c, last, c], "fill": {"color": COLOURS[which]},
                               "border": {"none": True}, "gap": 80})
        native.set_title({"name": t(f"report.chart.{chart.key}"), "name_font": {"size": 12, "bold": True}})
        axis = '"¥"#,##0' if chart.kind == "money" else self.codes[chart.kind]      # whole yuan on the axis
        native.set_y_axis({"num_format": axis, "name": t(f"report.file.axis.{chart.kind}"),
                           "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        native.set_legend({"position": "bottom"})
        native.set_size({"width": int(sum(WIDTHS) * 7 + 5 * len(WIDTHS)) - 8, "height": CHART_HEIGHT})
        r += 2
        ws.insert_chart(r, 0, native, {"x_offset": 4, "y_offset": 4, "object_position": 2})
        return r + CHART_ROWS

    def close(self) -> None:
        self.wb.close()


def handout_xlsx(data: ReportData, narrative: dict[str, str], meta: ReportMeta, *, lang: str,
                 min_cell: int | None, changes: Sequence[FigureChange] = (), reason: str = "",
                 suppressed: Mapping[str, str] | None = None) -> bytes:
    """The handout in `lang`: a cover and one sheet per area, in the report's order. `data` is suppressed already;
    `min_cell` only says which number the "<n>" mark and its note give. For a restated version (`meta.restated`)
    the cover gives `reason` and the table of `changes` from the version before, as suppressed for the viewer by the
    caller (`suppressed`: key -> "hidden" / "withheld", see cover.change_rows)."""
    out = io.BytesIO()
    with use_language(lang):
        book = _Book(out, data, meta, lang, min_cell)
        cover_name = t("report.file.sheet_cover")
        book.used.add(cover_name.lower())          # reserved first: the cover is the first sheet
        names: list[tuple[str, str]] = []
        for a in data.areas:
            title = t(f"report.area.{a.area}")
            names.append((title, sheet_name(title, book.used)))
        book.used.discard(cover_name.lower())
        book.cover_sheet(names, cover.Restatement(changes, reason, suppressed))
        for a, (_, name) in zip(data.areas, names, strict=True):
            book.area_sheet(a, name, narrative.get(a.area, ""))
        book.close()
    return out.getvalue()

