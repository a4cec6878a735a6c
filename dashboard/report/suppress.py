"""Small-cell suppression of a quarterly report for viewers who may not see personal data (issue 17 item 1).

The rules of the needs and training pages (presenters_needs, presenters_training), applied to report figures:
- Primary: a people figure or chart point over 1 to min_cell-1 people is hidden; 0 is shown (it names nobody). A
  count is judged by its value; a rate by its base and by the people it counts (value × base, as the training page's
  rate cells); a figure of another kind by its base where it has one. Each of the three quarters on its own.
- A rate taken over a hidden count of its area is hidden too: its base would give the count away. So is a figure
  that names the count it is over (`Figure.over`: the amount paid to members over the members paid, which for one
  member is their income); not small itself, it reads "withheld" (a rate "<5", as the rates above).
- Secondary: where a chart's points add up to a figure that is shown (`Chart.total`), hidden points could be worked
  out as the total minus the rest. Points are withheld, the smallest first (never a 0, which protects nothing),
  until no hidden point can be pinned down; if none is left to withhold, the total is. A hidden total needs none.
Pure: no I/O, no Streamlit; the same data and min_cell give the same result, and suppressing twice changes nothing.
"""

from dataclasses import replace

from dashboard.report.types import AreaReport, Chart, Figure, Number, Point, ReportData

SIDES = ("value", "previous", "year_ago")
BASES = {"value": "base", "previous": "previous_base", "year_ago": "year_ago_base"}


def suppress(data: ReportData, min_cell: int | None) -> ReportData:
    """The report as a viewer who may not see personal data sees it (min_cell None: as it is)."""
    if min_cell is None:
        return data
    return replace(data, areas=[_area(a, min_cell) for a in data.areas])


def small(n: Number | None, min_cell: int) -> bool:
    """A number of people that could name them: 1 to min_cell-1 (0 names nobody)."""
    return n is not None and 0 < n < min_cell


def _area(a: AreaReport, min_cell: int) -> AreaReport:
    figures = [_primary_figure(f, min_cell) for f in a.figures]
    figures = _over_hidden_counts(a.figures, figures)
    chart = _primary_chart(a.chart, min_cell)
    for side in SIDES:
        figures, chart = _secondary(figures, chart, side, min_cell)
    figures = _over_hidden_counts(a.figures, figures)       # a total withheld above hides what is over it too
    return replace(a, figures=figures, chart=chart)


def _marks(marks: tuple[str, ...], side: str) -> tuple[str, ...]:
    """`marks` with `side` added, in the order value, previous, year_ago."""
    return tuple(s for s in SIDES if s in marks or s == side)


def _hide(f: Figure, side: str, *, withheld: bool = False) -> Figure:
    """`f` with the side's value (and its base, which would tell as much) taken out and marked."""
    changes: dict[str, object] = {side: None, "hidden": _marks(f.hidden, side)}
    if f.kind != "count":
        changes[BASES[side]] = None
    if withheld:
        changes["withheld"] = _marks(f.withheld, side)
    return replace(f, **changes)  # type: ignore[arg-type]


def _primary_figure(f: Figure, min_cell: int) -> Figure:
    if not f.people:
        return f
    for side in SIDES:
        value, base = getattr(f, side), getattr(f, BASES[side])
        if f.kind == "count":
            hide = small(value, min_cell)
        else:
            counted = round(value * base) if f.kind == "rate" and value is not None and base is not None else None
            hide = small(base, min_cell) or small(counted, min_cell)
        if hide:
            f = _hide(f, side)
    return f


def _over_hidden_counts(before: list[Figure], after: list[Figure]) -> list[Figure]:
    """Figures over a count of the area that is now hidden, hidden as well: rates whose base is the count's value,
    and any figure naming it as `over` (withheld, unless a rate)."""
    out = list(after)
    for side in SIDES:
        gone = {getattr(b, side) for b, f in zip(before, after, strict=True)
                if f.kind == "count" and side in f.hidden and getattr(b, side) is not None}
        named = {f.key for f in after if side in f.hidden}
        for i, f in enumerate(out):
            if side in f.hidden:
                continue
            if f.over is not None and f.over in named:
                out[i] = _hide(f, side, withheld=f.kind != "rate")
            elif f.kind == "rate" and getattr(f, BASES[side]) in gone:
                out[i] = _hide(f, side)
    return out


def _primary_chart(chart: Chart, min_cell: int) -> Chart:
    """Points of a people chart of counts over 1 to min_cell-1 (a chart of money or rates has no head count)."""
    if not chart.people or chart.kind != "count":
        return chart
    points = []
    for p in chart.points:
        for side in SIDES:
            if small(getattr(p, side), min_cell):
                p = replace(p, **{side: None, "hidden": _marks(p.hidden, side)})  # type: ignore[arg-type]
        points.append(p)
    return replace(chart, points=points)


def _secondary(figures: list[Figure], chart: Chart, side: str, min_cell: int) -> tuple[list[Figure], Chart]:
    """Withhold points (then the total) of one quarter until no hidden point follows from the total and the rest."""
    total_at = next((i for i, f in enumerate(figures) if f.key == chart.total), None)
    if total_at is None:
        return figures, chart
    total = figures[total_at]
    points = list(chart.points)
    while True:
        if side in total.hidden or getattr(total, side) is None:
            break
        if not derivable(getattr(total, side), points, side, min_cell):
            break
        shown = [(getattr(p, side), i) for i, p in enumerate(points)
                 if side not in p.hidden and (getattr(p, side) or 0) > 0]
        if shown:
            _, i = min(shown)
            p = points[i]
            points[i] = replace(p, **{side: None, "hidden": _marks(p.hidden, side),  # type: ignore[arg-type]
                                      "withheld": _marks(p.withheld, side)})
        else:
            total = _hide(total, side, withheld=True)
    figures = [*figures[:total_at], total, *figures[total_at + 1:]]
    return figures, replace(chart, points=points)


def derivable(total: Number, points: list[Point], side: str, min_cell: int) -> bool:
    """Whether a reader who knows the rules could pin down a hidden point of `side` from the total and the rest.

    The hidden points add up to the total minus the shown ones. A reader knows each "<5" is 1 to min_cell-1 and each
    "withheld" at least min_cell and at most the smallest shown point over 0 (the smallest are withheld first). A
    hidden point is pinned down when its range, narrowed by the sum, holds one number (or none: the points do not
    add up to the total, and nothing can be promised)."""
    hidden = [p for p in points if side in p.hidden]
    if not hidden:
        return False
    shown = [getattr(p, side) or 0 for p in points if side not in p.hidden]
    rest = total - sum(shown)
    ceiling = min((v for v in shown if v > 0), default=rest)
    bounds = [(min_cell, ceiling) if side in p.withheld else (1, min_cell - 1) for p in hidden]
    low_sum, high_sum = sum(lo for lo, _ in bounds), sum(hi for _, hi in bounds)
    for lo, hi in bounds:
        least = max(lo, rest - (high_sum - hi))
        most = min(hi, rest - (low_sum - lo))
        if least >= most:
            return True
    return False
