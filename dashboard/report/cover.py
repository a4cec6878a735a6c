"""What the handout workbook and the PDF both say about a report (its title, version, times, notes, each figure's
note), in the current language, so the two files read the same."""

import datetime as dt
from zoneinfo import ZoneInfo

from dashboard.i18n import t
from dashboard.report.compare import SMALL_BASE, Against, change
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
