"""How a report figure and its change read, in the current language: the one formatter the page, the handout, the
PDF, the slideshow and the narrative share, so the same figure reads the same everywhere."""

from decimal import ROUND_HALF_UP, Decimal

from dashboard.i18n import fmt_int, fmt_yuan, fmt_yuan_short, t
from dashboard.report.compare import Change
from dashboard.report.types import Figure, Kind, Number, Point


def value_text(kind: Kind, value: Number | None, *, hidden: bool = False, withheld: bool = False,
               min_cell: int | None = None, short: bool = False) -> str:
    """1,234 · ¥12,345.67 · 83.7% · 4.5 天; "<5" where suppressed; "withheld" (已隐去) where hidden only so that a
    smaller hidden figure cannot be worked out from a total; "—" where there is no figure. `short`: money rounded
    as the overview's tiles (¥53.87万, ¥538.7k), for a label over a chart's bar."""
    if withheld:
        return t("report.withheld")
    if hidden:
        return t("report.hidden", n=min_cell or 5)
    if value is None:
        return "—"
    if kind == "money":
        return fmt_yuan_short(int(value)) if short else fmt_yuan(int(value))
    if kind == "rate":
        return f"{half_up(float(value) * 100)}%"
    if kind == "days":
        return t("report.days", n=half_up(float(value)))
    return fmt_int(int(value))


def half_up(x: float, digits: int = 1) -> str:
    """x to `digits` decimals, a half rounded away from zero as a spreadsheet rounds it (3.25 -> 3.3, where Python's
    format gives 3.2), so the page, the narrative and the handout's cells read the same. The shortest decimal that
    is the float (repr) is rounded, so 0.0625 * 100 reads 6.3 and not the binary 6.2499…"""
    return str(Decimal(repr(x)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def figure_text(f: Figure, which: str = "value", *, min_cell: int | None = None) -> str:
    """The figure's value for the quarter ("value"), the quarter before ("previous") or a year ago ("year_ago")."""
    return value_text(f.kind, getattr(f, which), hidden=which in f.hidden, withheld=which in f.withheld,
                      min_cell=min_cell)


def point_text(p: Point, kind: Kind, which: str = "value", *, min_cell: int | None = None,
               short: bool = False) -> str:
    """A chart point's value (its chart's `kind`) for the quarter, the quarter before or a year ago."""
    return value_text(kind, getattr(p, which), hidden=which in p.hidden, withheld=which in p.withheld,
                      min_cell=min_cell, short=short)


def change_text(c: Change, *, min_cell: int | None = None) -> str:
    """+12.5% · −3.0% · +2.1 个百分点 · 新增 · — (nothing to compare with, or a side suppressed: the figure itself
    reads "<5" beside it)."""
    if c.hidden:
        return "—"
    if c.value is None:
        return t("report.change_new") if c.new else "—"
    n = half_up(abs(c.value) * 100)
    # The sign of what is written: a change that rounds to 0.0 reads ±0.0, not +0.0 beside another's ±0.0.
    sign = "±" if float(n) == 0 else "+" if c.value > 0 else "−"
    if c.kind == "points":
        return t("report.change_points", sign=sign, n=n)
    return f"{sign}{n}%"


def difference_text(kind: Kind, difference: Number | None, old: Number | None = None,
                    new: Number | None = None) -> str:
    """new − old as a signed figure of its kind: +12 · −¥30.00 · +2.1 个百分点 · +0.5 天 (a restatement's table on the
    page, the handout and the PDF). A rate's or days' difference is taken between the two figures as written, so
    80.5% → 79.8% reads −0.7 个百分点 (the reader's subtraction), not the −0.6 of the unrounded shares."""
    if difference is None:
        return "—"
    size: Number | Decimal = abs(difference)
    if kind in ("rate", "days") and old is not None and new is not None:
        scale = 100 if kind == "rate" else 1
        exact = Decimal(half_up(float(new) * scale)) - Decimal(half_up(float(old) * scale))
        sign = "+" if exact > 0 else "−" if exact < 0 else "±"
        shown = str(abs(exact))
        return (t("report.change_points", sign=sign, n=shown) if kind == "rate"
                else sign + t("report.days", n=shown))
    sign = "+" if difference > 0 else "−" if difference < 0 else "±"
    if kind == "money":
        return sign + fmt_yuan(int(size))
    if kind == "rate":
        return t("report.change_points", sign=sign, n=half_up(float(size) * 100))
    if kind == "days":
        return sign + t("report.days", n=half_up(float(size)))
    return sign + fmt_int(int(size))
