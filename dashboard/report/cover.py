"""What the handout workbook and the PDF both say about a report (its title, version, times, notes, each figure's
note, a restatement's reason and changed figures), in the current language, so the two files read the same."""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dashboard.i18n import t
from dashboard.report.compare import SMALL_BASE, Against, change
from dashboard.report.diff import FigureChange
from dashboard.report.present import difference_text, value_text
from dashboard.report.types import Chart, Figure, Point, ReportData, ReportMeta

SHANGHAI = ZoneInfo("Asia/Shanghai")
COMPARISONS: tuple[tuple[Against, str], ...] = (("previous", "qoq"), ("year_ago", "yoy"))


def beijing(at: dt.datetime | None) -> str:
    """A stored UTC time as Beijing time to the minute, saying so; "未发布" when there is none."""
    if at is None:
        return t("report.file.not_published")
    aware = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return t("report.file.time", time=aware.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"))


def version_text(meta: ReportMeta) -> str:
    """第 2 版（修订） · 第 1 版 · 草稿（未发布）."""
    if meta.version is None:
        return t("report.file.draft")
    return t("report.file.version_restated" if meta.restated else "report.file.version_n", n=meta.version)


def community(data: ReportData, lang: str) -> str:
    return data.community_names.get(lang) or data.community_names.get("zh") or data.community_code or ""


def title(data: ReportData, lang: str) -> str:
    return t("report.file.title", community=community(data, lang), quarter=data.quarter)


def facts(data: ReportData, meta: ReportMeta, lang: str) -> list[tuple[str, str]]:
    """The cover's (label, value) lines."""
    return [(t("report.file.community"), community(data, lang)),
            (t("report.file.quarter"), data.quarter),
            (t("report.file.previous"), data.previous_quarter),
            (t("report.file.year_ago"), data.year_ago_quarter),
            (t("report.file.version"), version_text(meta)),
            (t("report.file.cut_off"), beijing(meta.cut_off)),
            (t("report.file.published_at"), beijing(meta.published_at)),
            (t("report.file.published_by"), meta.published_by or "—")]


def any_hidden(data: ReportData) -> bool:
    return any(f.hidden for a in data.areas for f in a.figures) or any(
        p.hidden for a in data.areas for p in a.chart.points)


def _small(x: Figure | Point) -> bool:
    """Hidden as under the threshold ("<5") on some side, not only withheld."""
    return bool(set(x.hidden) - set(x.withheld))


def any_withheld(data: ReportData) -> bool:
    return any(f.withheld for a in data.areas for f in a.figures) or any(
        p.withheld for a in data.areas for p in a.chart.points)


def chart_remarks(chart: Chart, min_cell: int | None) -> list[str]:
    """The lines under a chart saying what its "<5" and 已隐去 bars mean (only those it has)."""
    out = []
    if any(_small(p) for p in chart.points):
        out.append(t("report.file.chart_hidden", mark=hidden_mark(min_cell)))
    if any(p.withheld for p in chart.points):
        out.append(t("report.file.chart_withheld", mark=t("report.withheld")))
    return out


def hidden_mark(min_cell: int | None) -> str:
    return t("report.hidden", n=min_cell or 5)


def notes(data: ReportData, meta: ReportMeta, min_cell: int | None) -> list[str]:
    """The cover's notes: what a draft is, what "<5" and 已隐去 mean (only where something is hidden or withheld),
    how changes read."""
    out = [t("report.file.draft_note")] if meta.version is None else []
    if any_hidden(data):
        out.append(t("report.file.hidden_note", mark=hidden_mark(min_cell), n=min_cell or 5))
    if any_withheld(data):
        out.append(t("report.file.withheld_note", mark=t("report.withheld"), n=min_cell or 5))
    out += [t("report.file.change_note"), t("report.file.small_base_note", n=SMALL_BASE)]
    return out


def figure_note(f: Figure) -> str:
    """The 说明 cell: which comparison rests on a small base (only where there is a change to read)."""
    which = [t(f"report.file.col.{col}") for against, col in COMPARISONS
             if (c := change(f, against)).small_base and not c.hidden and c.value is not None]
    return t("report.file.small_base", which=t("report.file.list_sep").join(which), n=SMALL_BASE) if which else ""


def header_parts(data: ReportData, meta: ReportMeta, lang: str) -> tuple[str, str, str]:
    """Every printed page's header: the community, the quarter and the version."""
    return community(data, lang), data.quarter, version_text(meta)


# --- a restated version: why, and which figures changed (old, new, difference) ---

SIDES = ("value", "previous", "year_ago")
RESTATE_COLUMNS = ("area", "figure", "old", "new", "difference")


@dataclass(frozen=True)
class Restatement:
    """What a restated version's cover says: why (`reason`) and what changed from the version before (`changes`,
    with `suppressed` as change_rows reads it)."""
    changes: Sequence[FigureChange] = ()
    reason: str = ""
    suppressed: Mapping[str, str] | None = None


def restatement_shown(meta: ReportMeta, changes: Sequence[FigureChange], reason: str) -> bool:
    """A restated version's files give its reason and table; a first version or a draft never, nor a caller that
    passes neither (the version line still says 修订)."""
    return meta.restated and bool(changes or reason.strip())


def restatement_heading(meta: ReportMeta, changes: Sequence[FigureChange]) -> str:
    return t("report.file.restate_changes", version=(meta.version or 2) - 1, n=len(changes))


def reason_text(reason: str) -> str:
    return reason.strip() or t("report.file.restate_no_reason")


def _side(c: FigureChange) -> str:
    """Which quarter of the figure changed: `which` where the diff says (a later field of FigureChange), else the
    report's own quarter."""
    side = getattr(c, "which", "value")
    return side if side in SIDES else "value"


def change_label(c: FigureChange, lang: str) -> str:
    """A figure's label, or a chart's title and the bar's category (需求类别 · 权益保障), and the quarter where it is
    not the report's own (· 上季度)."""
    parts = [t(c.label_key)]
    name = (c.names.get(lang) or c.names.get("zh")) if c.names else None
    if name:
        parts.append(name)
    if _side(c) != "value":
        parts.append(t(f"report.file.col.{_side(c)}"))
    return " · ".join(parts)


def _data_marks(data: ReportData) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Each figure's and chart bar's (hidden, withheld) sides in the data the file shows, by the diff's key."""
    out: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for a in data.areas:
        for f in a.figures:
            out[f"{a.area}.{f.key}"] = (f.hidden, f.withheld)
        for p in a.chart.points:
            out[f"{a.area}.{a.chart.key}.{p.code}"] = (p.hidden, p.withheld)
    return out


def change_rows(data: ReportData, changes: Sequence[FigureChange], *, lang: str, min_cell: int | None,
                suppressed: Mapping[str, str] | None = None) -> list[tuple[str, str, str, str, str]]:
    """(area, figure, was, now, difference) of each changed figure, as the viewer may see them: a change is shown
    as given, except that one the caller marks in `suppressed` ("hidden" or "withheld", by key, as the page's
    presenters_report.suppressed_keys gives them), or whose side the file's own (suppressed) data hides, reads "<5"
    (or 已隐去) in all three cells: its old value or its difference would tell what the figure hides."""
    marks = _data_marks(data)
    out = []
    for c in changes:
        hidden, withheld = marks.get(c.key, ((), ()))
        side = _side(c)
        given = {(suppressed or {}).get(c.key),
                 "withheld" if side in withheld else "hidden" if side in hidden else None}
        mark = "hidden" if "hidden" in given else "withheld" if "withheld" in given else None
        if mark is None:
            cells = (value_text(c.kind, c.old), value_text(c.kind, c.new),
                     difference_text(c.kind, c.difference, c.old, c.new))
        else:
            text = value_text(c.kind, None, hidden=mark == "hidden", withheld=mark == "withheld", min_cell=min_cell)
            cells = (text, text, text)
        out.append((t(f"report.area.{c.area}"), change_label(c, lang), *cells))
    return out
