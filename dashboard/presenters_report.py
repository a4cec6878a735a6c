"""What the 季度汇报 page and its slideshow draw: figure tables with 环比 and 同比, the status and cut-off lines, the
restatement's differences, the parties' confirmations, the versions, and each area's chart as a long frame. Every
figure and change is written by dashboard.report.present, so it reads as in the handout, the PDF and the narrative.
No Streamlit.
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.i18n import fmt_int, get_language, t
from dashboard.queries.report_versions import Confirmation, Published
from dashboard.report.compare import SMALL_BASE, Change, change
from dashboard.report.diff import FigureChange
from dashboard.report.present import change_text, difference_text, figure_text, point_text, value_text
from dashboard.report.types import AreaReport, Chart, Figure, Kind, Number, ReportData, ReportMeta

SECTIONS = ("report", "slides")
SHANGHAI = ZoneInfo("Asia/Shanghai")
WARN = "⚠"
SLIDE_FIGURES = 4           # a slide shows an area's first four figures (the figures module puts the key ones first)
PARTIES = ("government", "platform", "association")   # who confirms (accepts, for the government) a version
SERIES = ("value", "previous", "year_ago")


def shanghai(at: dt.datetime | None) -> str:
    """A stored UTC time as the dashboard shows times: Asia/Shanghai, to the minute."""
    if at is None:
        return "—"
    aware = at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
    return aware.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def is_empty(data: ReportData) -> bool:
    """Nothing recorded in the quarter: no figure and no chart bar of it other than none or zero."""
    values = [f.value for a in data.areas for f in a.figures] + [p.value for a in data.areas for p in a.chart.points]
    return all(v is None or v == 0 for v in values)


def status_text(meta: ReportMeta) -> str:
    """草稿（实时数据，未发布） or 第 2 版 · 发布于 2026-10-08 09:30 由 王社工（修订）."""
    if meta.version is None:
        return t("report.page.status_draft")
    text = t("report.page.status_published", version=meta.version, at=shanghai(meta.published_at),
             by=meta.published_by or "—")
    return text + (t("report.page.restated") if meta.restated else "")


def cut_off_text(meta: ReportMeta) -> str:
    return t("report.page.cut_off", at=shanghai(meta.cut_off))


def version_line(meta: ReportMeta) -> str:
    """What every slide says of its figures: 第 2 版（修订） · 截至 2026-10-01 08:00, or 草稿 · 截至 …."""
    if meta.version is None:
        version = t("report.slide.draft")
    else:
        version = t("report.slide.version", version=meta.version) + (t("report.page.restated") if meta.restated
                                                                     else "")
    return t("report.slide.as_of", version=version, at=shanghai(meta.cut_off))


def scope_name(data: ReportData) -> str:
    lang = get_language()
    return data.community_names.get(lang) or data.community_names.get("zh") or t("filter.all_communities")


def marked(c: Change) -> bool:
    """A change shown as a number that rests on a small base (a "—" or "<5" needs no warning)."""
    return c.small_base and c.value is not None and not c.hidden


def change_cell(c: Change, min_cell: int | None) -> str:
    """A change as the page writes it, marked ⚠ where it rests on a small base."""
    text = change_text(c, min_cell=min_cell)
    return f"{text} {WARN}" if marked(c) else text


def has_small_base(area: AreaReport) -> bool:
    return any(marked(change(f, which)) for f in area.figures for which in ("previous", "year_ago"))


def figure_columns(data: ReportData) -> list[str]:
    return [t("report.page.col_figure"), t("report.page.col_quarter", quarter=data.quarter),
            t("report.page.col_previous", quarter=data.previous_quarter), t("report.page.col_previous_change"),
            t("report.page.col_year_ago", quarter=data.year_ago_quarter), t("report.page.col_year_change")]


def figure_frame(area: AreaReport, data: ReportData, min_cell: int | None) -> pd.DataFrame:
    """One row per figure: the quarter, the quarter before and 环比, the same quarter a year ago and 同比."""
    rows = [(t(f"report.fig.{f.key}"), figure_text(f, "value", min_cell=min_cell),
             figure_text(f, "previous", min_cell=min_cell), change_cell(change(f, "previous"), min_cell),
             figure_text(f, "year_ago", min_cell=min_cell), change_cell(change(f, "year_ago"), min_cell))
            for f in area.figures]
    return pd.DataFrame(rows, columns=figure_columns(data))


@dataclass(frozen=True)
class Card:
    """A key figure on a slide: its label, its value, its 环比 and 同比 and whether one rests on a small base."""
    label: str
    value: str
    previous_change: str
    year_change: str
    small_base: bool


def _card(f: Figure, min_cell: int | None) -> Card:
    prev, year = change(f, "previous"), change(f, "year_ago")
    return Card(t(f"report.fig.{f.key}"), figure_text(f, min_cell=min_cell),
                t("report.slide.previous_change", change=change_text(prev, min_cell=min_cell)),
                t("report.slide.year_change", change=change_text(year, min_cell=min_cell)),
                marked(prev) or marked(year))


def cards(area: AreaReport, min_cell: int | None, n: int = SLIDE_FIGURES) -> list[Card]:
    return [_card(f, min_cell) for f in area.figures[:n]]


def series_names(data: ReportData) -> dict[str, str]:
    return {"value": t("report.page.series_value", quarter=data.quarter),
            "previous": t("report.page.series_previous", quarter=data.previous_quarter),
            "year_ago": t("report.page.series_year_ago", quarter=data.year_ago_quarter)}


def _plotted(kind: Kind, value: Number | None) -> float | None:
    """The bar's height: yuan for money (cents stored), the share for a rate, the number otherwise."""
    if value is None:
        return None
    return float(value) / 100 if kind == "money" else float(value)


def chart_frame(chart: Chart, data: ReportData, min_cell: int | None) -> pd.DataFrame:
    """The chart as a long frame (category, series, value, text, suppressed, label): one row per bar; a suppressed
    bar keeps its place at zero height and reads "<5" (or 已隐去 where withheld). `text` is the exact figure (the
    hover), `label` the one written over the bar (money rounded as the tiles are). Empty when no bar has a figure."""
    lang, names = get_language(), series_names(data)
    rows = []
    for p in chart.points:
        name = p.names.get(lang) or p.names.get("zh") or p.code
        for which in SERIES:
            suppressed = which in p.hidden or which in p.withheld
            rows.append((name, names[which], None if suppressed else _plotted(chart.kind, getattr(p, which)),
                         point_text(p, chart.kind, which, min_cell=min_cell), suppressed,
                         point_text(p, chart.kind, which, min_cell=min_cell, short=True)))
    frame = pd.DataFrame(rows, columns=["category", "series", "value", "text", "suppressed", "label"])
    if frame.empty or (frame["value"].isna().all() and not frame["suppressed"].any()):
        return frame.iloc[0:0]
    return frame


# A change names the side of a figure it is about (FigureChange.which, "value" where the row has none); a rate's base
# is hidden with its side.
SIDE_OF = {"value": "value", "previous": "previous", "year_ago": "year_ago", "base": "value",
           "previous_base": "previous", "year_ago_base": "year_ago"}


@dataclass(frozen=True)
class Visible:
    """What a viewer may see of one report (already suppressed for them) in a table of changes: per figure and chart
    bar, by `area.key` and `area.chart.code` as ReportData.figure_values and FigureChange.key name them, the sides
    suppression hid, each "hidden" (under the threshold: <5) or "withheld" (hidden so that a total does not give one
    away); and the keys that count people, whose small differences are small cells too."""
    marks: Mapping[str, Mapping[str, str]]
    people: frozenset[str]

    def mark(self, key: str, side: str) -> str | None:
        return self.marks.get(key, {}).get(side)


def _side_marks(hidden: tuple[str, ...], withheld: tuple[str, ...]) -> dict[str, str]:
    return {side: "withheld" if side in withheld else "hidden" for side in hidden}


def visible(data: ReportData) -> Visible:
    marks: dict[str, dict[str, str]] = {}
    people: set[str] = set()
    for a in data.areas:
        for f in a.figures:
            key = f"{a.area}.{f.key}"
            if f.hidden:
                marks[key] = _side_marks(f.hidden, f.withheld)
            if f.people:
                people.add(key)
        for p in a.chart.points:
            key = f"{a.area}.{a.chart.key}.{p.code}"
            if p.hidden:
                marks[key] = _side_marks(p.hidden, p.withheld)
            if a.chart.people:
                people.add(key)
    return Visible(marks, frozenset(people))


def _mark(seen: Visible | None, key: str, side: str | None) -> str | None:
    """The mark of a side of `key` (side None, a side this module does not know: the first of any, to be safe)."""
    if seen is None:
        return None
    if side is None:
        return next(iter(seen.marks.get(key, {}).values()), None)
    return seen.mark(key, side)


def _which(c: FigureChange) -> str:
    return str(getattr(c, "which", "value") or "value")


def change_label(c: FigureChange) -> str:
    """A figure's label, or a chart's title and the bar's category (报名人次（按课程级别） · 初级); followed by the
    quarter (or the rate's base) that changed where it is not the report's own value: 收集诉求（上季度）."""
    name = (c.names.get(get_language()) or c.names.get("zh")) if c.names else None
    label = f"{t(c.label_key)} · {name}" if name else t(c.label_key)
    if c.which == "value":
        return label
    return t("report.diff.with_side", label=label, side=t(f"report.diff.side.{c.which}"))


@dataclass(frozen=True)
class _Cells:
    old: str | None          # the mark of each side where it is hidden; None: shown
    new: str | None
    small: bool              # a difference of 1 to min_cell-1 people


def _cells(c: FigureChange, old: Visible | None, new: Visible | None, min_cell: int | None) -> _Cells:
    side = SIDE_OF.get(_which(c))
    before = _mark(old, c.key, side)
    after = _mark(new, c.key, side)
    people = any(v is not None and c.key in v.people for v in (old, new))
    small = (min_cell is not None and people and c.kind == "count" and c.difference is not None
             and 0 < abs(c.difference) < min_cell)
    return _Cells(before, after, small)


def _mark_text(kind: Kind, mark: str, min_cell: int | None) -> str:
    return value_text(kind, None, hidden=mark == "hidden", withheld=mark == "withheld", min_cell=min_cell)


def change_cells(c: FigureChange, old: Visible | None, new: Visible | None,
                 min_cell: int | None) -> tuple[str, str, str]:
    """(before, now, difference) of a changed figure. Each side reads "<5" (or 已隐去) where the report it comes from
    hid it; the difference then reads the same mark when both sides carry it (two counts under 5 differ by less than
    5) and "—" otherwise, as it would give the hidden side away; a difference of 1 to min_cell-1 people reads "<5"."""
    cells = _cells(c, old, new, min_cell)
    before = value_text(c.kind, c.old) if cells.old is None else _mark_text(c.kind, cells.old, min_cell)
    now = value_text(c.kind, c.new) if cells.new is None else _mark_text(c.kind, cells.new, min_cell)
    if cells.old is not None or cells.new is not None:
        difference = before if cells.old == cells.new else "—"
    elif cells.small:
        difference = _mark_text(c.kind, "hidden", min_cell)
    else:
        difference = difference_text(c.kind, c.difference, c.old, c.new)
    return before, now, difference


def changes_frame(changes: Sequence[FigureChange], *, old: Visible | None = None, new: Visible | None = None,
                  min_cell: int | None = None) -> pd.DataFrame:
    """The figures that differ between two versions (or a version and today's data): area, figure, before, now and
    the difference, as a viewer who sees `old` of the one and `new` of the other may see them (None: all of it)."""
    rows = [(t(f"report.area.{c.area}"), change_label(c), *change_cells(c, old, new, min_cell)) for c in changes]
    return pd.DataFrame(rows, columns=[t("report.page.col_area"), t("report.page.col_figure"),
                                       t("report.page.col_old"), t("report.page.col_new"),
                                       t("report.page.col_difference")])


def shown_changes(changes: Sequence[FigureChange], *, old: Visible | None, new: Visible | None,
                  min_cell: int | None) -> list[FigureChange]:
    """The changes as the handout and the PDF get them for this viewer: a hidden side, a difference that would give
    it away and a difference of a few people are no figure (None); the rest of each row as it is."""
    out = []
    for c in changes:
        cells = _cells(c, old, new, min_cell)
        if cells.old is None and cells.new is None and not cells.small:
            out.append(c)
            continue
        out.append(replace(c, old=None if cells.old else c.old, new=None if cells.new else c.new, difference=None))
    return out


def decision_label(party_kind: str, decision: str | None) -> str:
    """已确认 / 已认可, or 未确认 / 未认可 (the government accepts, the platform and association confirm)."""
    verb = "accept" if party_kind == "government" else "confirm"
    return t(f"report.page.{verb}_{'done' if decision else 'pending'}")


def confirmations_frame(confirmations: Sequence[Confirmation]) -> pd.DataFrame:
    """One row per confirming party, in a fixed order, whether it has given its word on this version or not."""
    given = {c.party_kind: c for c in confirmations}
    rows = []
    for kind in PARTIES:
        c = given.get(kind)
        rows.append((t(f"enum.PartyKind.{kind}"), decision_label(kind, c.decision if c else None),
                     (c.by_name or c.by) if c else "", shanghai(c.at) if c else "", c.note if c else ""))
    return pd.DataFrame(rows, columns=[t("report.page.col_party"), t("report.page.col_decision"),
                                       t("report.page.col_by"), t("report.page.col_at"), t("report.page.col_note")])


def history_frame(history: Sequence[Published]) -> pd.DataFrame:
    """Every version of the quarter, newest first: when, by whom, the data's cut-off, the reason and how many
    figures changed from the one before."""
    rows = [(t("report.slide.version", version=p.version), shanghai(p.published_at),
             p.published_by_name or p.published_by, shanghai(p.cut_off_at), p.reason or "—",
             fmt_int(len(p.changes)) if p.version > 1 else "—")
            for p in sorted(history, key=lambda p: p.version, reverse=True)]
    return pd.DataFrame(rows, columns=[t("report.page.col_version"), t("report.page.col_published_at"),
                                       t("report.page.col_published_by"), t("report.page.col_cut_off"),
                                       t("report.page.col_reason"), t("report.page.col_changed")])


def hidden_note(min_cell: int) -> str:
    """What "<5" and 已隐去 mean, where personal data is hidden."""
    return t("report.page.hidden") + t("report.withheld_note", n=min_cell)


def small_base_note(*, short: bool = False) -> str:
    """What ⚠ means; `short`: in one line, for a slide."""
    return t("report.slide.small_base" if short else "report.page.small_base", warn=WARN, n=SMALL_BASE)
