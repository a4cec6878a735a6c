"""The quarterly report's drafted narrative: a paragraph per area, written from the figures by the i18n templates
`report.narr.*` (never by a remote service), for the social worker to edit before publishing.

Figures and changes are written by `dashboard.report.present`, so they read as on the page, the handout and the
slides. A change on a small base (compare.SMALL_BASE) is said to be one, not quoted as a trend; a figure hidden for
the viewer is never quoted (a hidden count reads "fewer than 5", anything else hidden is left out).

A figure's clause reads "<label> <value>" unless i18n holds `report.narr.fig.<key>` (with `{value}`), e.g.
"共收集诉求 {value} 件" for a wording of its own.
"""

from dashboard.i18n import STRINGS, get_language, t, use_language
from dashboard.report.compare import SMALL_BASE, Against, change
from dashboard.report.present import change_text, figure_text, value_text
from dashboard.report.suppress import suppress
from dashboard.report.types import AreaReport, Chart, Figure, ReportData

AGAINST: tuple[Against, ...] = ("previous", "year_ago")


def draft(data: ReportData, *, lang: str, min_cell: int | None) -> dict[str, str]:
    """Area -> its paragraph in `lang`. `data` is suppressed at `min_cell` here too (suppressing twice changes
    nothing), so a draft never quotes what the viewer may not see even when handed the figures as stored."""
    shown = suppress(data, min_cell)
    with use_language(lang):
        return {a.area: paragraph(a, min_cell) for a in shown.areas}


def paragraph(a: AreaReport, min_cell: int | None) -> str:
    if empty(a):
        return t("report.narr.empty", area=t(f"report.area.{a.area}"))
    clauses = [c for f in a.figures if (c := clause(f, min_cell))]
    text = t("report.narr.paragraph", clauses=t("report.narr.sep").join(clauses)) if clauses else ""
    top = chart_sentence(a.chart, min_cell)
    return t("report.narr.join", first=text, second=top) if text and top else text or top


def empty(a: AreaReport) -> bool:
    """Nothing this quarter: every figure and point is 0 or missing (a hidden one is 1 or more, and a rate of 0% is
    taken over something, so neither is empty)."""
    figures = all(f.value is None or (f.value == 0 and f.kind != "rate") for f in a.figures if "value" not in f.hidden)
    points = all(not p.value for p in a.chart.points if "value" not in p.hidden)
    hidden = any("value" in f.hidden for f in a.figures) or any("value" in p.hidden for p in a.chart.points)
    return figures and points and not hidden


def clause(f: Figure, min_cell: int | None) -> str | None:
    """What the narrative says of one figure, or None when there is nothing it may say."""
    label = t(f"report.fig.{f.key}")
    if "value" in f.hidden:
        if f.kind == "count" and "value" not in f.withheld:
            return t("report.narr.fewer", label=label, n=min_cell or 5)
        return None                     # a hidden rate or a withheld total: not even a bound is true of it
    if f.value is None:
        return None
    value = figure_text(f, min_cell=min_cell)
    own = f"report.narr.fig.{f.key}"
    head = t(own, value=value) if own in STRINGS[get_language()] else t("report.narr.figure", label=label,
                                                                          value=value)
    parts = [p for against in AGAINST if (p := change_phrase(f, against, min_cell))]
    small = [against for against in AGAINST if small_base(f, against)]
    if small:
        which = "both" if len(small) == 2 else small[0]
        parts.append(t(f"report.narr.small.{which}", n=SMALL_BASE))
    return t("report.narr.figure_end", text=head + "".join(t("report.narr.then", part=p) for p in parts))


def small_base(f: Figure, against: Against) -> bool:
    """A change that could be quoted but rests on a small base: it is said to, and not quoted."""
    c = change(f, against)
    return c.small_base and not c.hidden and c.value is not None


def change_phrase(f: Figure, against: Against, min_cell: int | None) -> str | None:
    """环比增长 12.5% · 同比下降 2.1 个百分点 · 上季度为 0; None where there is nothing to say or it is said as a
    small base."""
    c = change(f, against)
    if c.hidden:
        return None
    if c.value is None:
        return t(f"report.narr.new.{against}") if c.new else None
    if c.small_base:
        return None
    text = change_text(c, min_cell=min_cell)
    when = t(f"report.narr.against.{against}")
    if text.startswith("±"):
        return t("report.narr.flat", against=when)
    direction = "rise" if c.value > 0 else "fall"
    return t(f"report.narr.{direction}.{c.kind}", against=when, n=text.lstrip("+−"))


def chart_sentence(chart: Chart, min_cell: int | None) -> str:
    """Which category came first this quarter, when that can be said truly of what the viewer sees."""
    shown = [p for p in chart.points if "value" not in p.hidden and p.value]
    if len(chart.points) < 2 or not shown:
        return ""
    top = max(p.value or 0 for p in shown)
    # A withheld point is at most the smallest shown one: when that is the top too, it could be as large.
    if any("value" in p.withheld for p in chart.points) and top == min(p.value or 0 for p in shown):
        return ""
    lang = get_language()
    names = [p.names.get(lang) or p.names.get("zh") or p.code for p in shown if p.value == top]
    return t("report.narr.chart_top", chart=t(f"report.chart.{chart.key}"),
             names=t("report.narr.names_sep").join(names), value=value_text(chart.kind, top, min_cell=min_cell))


def restatement_start(stored: dict[str, str], then: dict[str, str], now: dict[str, str]) -> tuple[dict[str, str],
                                                                                                 set[str]]:
    """Where each area's narrative starts when a version is restated, in one language: `stored` is the version's
    published text, `then` the draft its own figures give, `now` the draft of today's figures.

    A paragraph published as drafted quoted only that version's figures: it starts again from today's draft, so the
    restatement does not print the old numbers beside the new table. A paragraph someone edited by hand is kept (it
    may say what no template can) and named in the second value, so the page asks for it to be checked."""
    out: dict[str, str] = {}
    kept: set[str] = set()
    for area, fresh in now.items():
        text = stored.get(area)
        if text is not None and text.strip() != then.get(area, "").strip():
            out[area] = text
            kept.add(area)
        else:
            out[area] = fresh
    return out, kept
