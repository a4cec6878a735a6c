"""What the 需求评估 page draws: figures beside last quarter and the papers, labelled slices, masked people."""

from typing import Any

import pandas as pd

from dashboard import presenters
from dashboard.i18n import fmt_pct, fmt_yuan, t
from dashboard.presenters import FORMAT, Column, Metric, change
from dashboard.privacy import mask_name, mask_phone
from data_models import enums
from data_models.enums import EmploymentType, NeedCategory, VulnerableGroup

NEEDS_METRICS: list[tuple[str, str, str, str | None]] = [
    # (label key, figure, kind, paper key)
    ("metric.practitioners", "practitioners", "int", None),
    ("profile.labour_contract", "labour_contract", "pct", "labour_contract"),
    ("profile.pension", "pension", "pct", "pension"),
    ("profile.injury_insurance", "injury_insurance", "pct", None),
    ("profile.over_10h", "over_10h", "pct", "over_10h"),
    ("profile.association_member", "association_member", "pct", None),
    ("metric.needs_open", "needs_open", "int", None),
    ("metric.needs_closed", "needs_closed", "int", None),
    ("needs.median_days", "median_days_to_feedback", "days", None),
    ("metric.satisfaction", "satisfaction", "score", None),
]
# Lower is better for these: more open needs, longer waits and longer hours are bad news.
NEEDS_INVERSE = {"needs_open", "median_days_to_feedback", "over_10h"}


def _figure(fig: Any, name: str) -> Any:
    return fig.rates[name] if name in fig.rates else getattr(fig, name)


def slice_withheld(board: Any, min_cell: int | None) -> bool:
    """Personal data is hidden and the page's slice has fewer than `min_cell` people: none of its figures show."""
    return min_cell is not None and 0 < board.current.practitioners < min_cell


def needs_metrics(board: Any, min_cell: int | None = None) -> list[Metric]:
    """The figure tiles. With `min_cell` (meeting mode), a slice of fewer people shows no rates at all."""
    out = []
    small = slice_withheld(board, min_cell)
    for key, name, kind, paper in NEEDS_METRICS:
        if small:   # the head count says "<5"; every other figure of so few people is withheld
            value = t("needs.small_cell", n=min_cell) if name == "practitioners" else "—"
            out.append(Metric(t(key), value, None, "off", t("needs.suppressed", n=min_cell)))
            continue
        cur = _figure(board.current, name)
        prev = None if board.previous is None else _figure(board.previous, name)
        if kind == "days":
            value = "—" if cur is None else t("needs.days", n=f"{cur:g}")
            delta = None if cur is None or prev is None or cur == prev else f"{cur - prev:+g}"
        elif kind == "score":
            value = "—" if cur is None else f"{cur:.2f}"
            delta = None if cur is None or prev is None or round(cur - prev, 2) == 0 else f"{cur - prev:+.2f}"
        else:
            value, delta = FORMAT[kind](cur), change(kind, cur, prev)
        ref = None if paper is None else t("needs.paper_ref", value=fmt_pct(board.paper[paper], 0))
        colour = "inverse" if name in NEEDS_INVERSE else "normal"
        out.append(Metric(t(key), value, delta, colour, ref))
    return out


DIMENSION_ENUM = {"education": "Education", "hukou": "Hukou", "employment_type": "EmploymentType",
                  "group": "VulnerableGroup"}
AGE_ORDER = ["under_18", "18_25", "26_35", "36_45", "46_55", "56_plus"]


def code_label(dimension: str, code: str) -> str:
    if dimension == "age_group":
        return t(f"needs.age.{code}")
    return t(f"enum.{DIMENSION_ENUM[dimension]}.{code}")


def composition_frame(dimension: str, df: pd.DataFrame, min_cell: int | None = None) -> pd.DataFrame:
    """Counts with their labels and the text on each bar, in the dimension's natural order (ages ascending,
    enums as declared).

    With `min_cell` (personal data hidden), a slice of fewer people keeps its place on the axis but has no bar
    (count missing) and reads "<5", so nobody can be picked out and nothing silently vanishes.
    """
    order = AGE_ORDER if dimension == "age_group" else [m.value for m in getattr(enums, DIMENSION_ENUM[dimension])]
    df = df.assign(rank=df["code"].map({c: i for i, c in enumerate(order)})).sort_values("rank")
    counts = df["count"].astype("float")
    text = [f"{int(c):,}" for c in counts]
    if min_cell is not None:
        small = counts < min_cell
        counts = counts.mask(small)
        text = [t("needs.small_cell", n=min_cell) if s else x for s, x in zip(small, text, strict=True)]
    return pd.DataFrame({"code": df["code"].tolist(), "label": [code_label(dimension, c) for c in df["code"]],
                         "count": counts.tolist(), "text": text})


def heatmap_frame(df: pd.DataFrame, by: str, min_cell: int | None = None) -> pd.DataFrame:
    """Needs as a category x column matrix with labels, zeros where nothing was recorded.

    With `min_cell` (personal data hidden), cells of 1 to min_cell-1 have no value (heatmap_text labels them
    "<5").
    """
    columns = [m.value for m in (enums_for(by))]
    matrix = df.pivot_table(index="category", columns="column", values="count", aggfunc="sum", fill_value=0)
    matrix = matrix.reindex(index=[m.value for m in NeedCategory], columns=columns, fill_value=0)
    matrix.index = [t(f"enum.NeedCategory.{c}") for c in matrix.index]
    matrix.columns = [code_label("group" if by == "group" else "employment_type", c) for c in matrix.columns]
    matrix = matrix.astype(int)
    if min_cell is not None:
        matrix = matrix.astype("float").mask((matrix > 0) & (matrix < min_cell))
    return matrix


def heatmap_text(matrix: pd.DataFrame, min_cell: int | None = None) -> pd.DataFrame:
    """What each heatmap cell reads: its count, or "<5" where heatmap_frame withheld it."""
    hidden = t("needs.small_cell", n=min_cell) if min_cell is not None else ""
    return matrix.map(lambda v: hidden if pd.isna(v) else f"{int(v):,}")


def enums_for(by: str) -> Any:
    return VulnerableGroup if by == "group" else EmploymentType


def funnel_frame(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(label=[t(f"enum.NeedStatus.{s}") for s in df["stage"]],
                     days=[None if pd.isna(d) else t("needs.days", n=f"{d:g}") for d in df["median_days"]])


BACKLOG_COLUMNS: list[Column] = [
    ("code", "needs.col_code", "text"), ("practitioner_code", "needs.col_practitioner", "text"),
    ("practitioner_name", "coop.col_member_name", "text"), ("category", "needs.col_category", "enum:NeedCategory"),
    ("severity", "needs.col_severity", "enum:Severity"), ("status", "coop.col_status", "enum:NeedStatus"),
    ("identified_on", "needs.col_identified_on", "text"), ("days_open", "needs.col_days_open", "int"),
    ("social_worker", "needs.col_social_worker", "text"),
]
PROFILE_NEEDS_COLUMNS: list[Column] = [
    ("code", "needs.col_code", "text"), ("category", "needs.col_category", "enum:NeedCategory"),
    ("severity", "needs.col_severity", "enum:Severity"), ("status", "coop.col_status", "enum:NeedStatus"),
    ("identified_on", "needs.col_identified_on", "text"), ("feedback_on", "needs.col_feedback_on", "text"),
    ("satisfaction", "metric.satisfaction", "int"), ("description", "needs.col_description", "text"),
]
PROFILE_EVENT_COLUMNS: list[Column] = [
    ("at", "needs.col_moved_at", "datetime"), ("code", "needs.col_code", "text"),
    ("status", "needs.col_moved_to", "enum:NeedStatus"), ("actor", "needs.col_moved_by", "text"),
    ("note", "needs.note", "text"),
]
TRAINING_COLUMNS: list[Column] = [
    ("title", "needs.col_course", "text"), ("level", "needs.col_level", "enum:CourseLevel"),
    ("enrolled_on", "needs.col_enrolled_on", "text"), ("completed", "needs.col_completed", "bool"),
    ("certified", "metric.certified", "bool"), ("employed_after", "needs.col_employed", "bool"),
    ("income_before_cents", "needs.col_income_before", "yuan"), ("income_after_cents", "needs.col_income_after",
                                                                 "yuan"),
]


def masked(df: pd.DataFrame, visible: bool, name_col: str = "practitioner_name") -> pd.DataFrame:
    """The backlog's practitioner names masked unless personal data may be shown."""
    return presenters.masked(df, visible, name_col)


def profile_facts(basics: dict[str, Any], groups: list[str], visible: bool) -> pd.DataFrame:
    """The practitioner's basic data as (item, value) rows, masked unless personal data may be shown."""
    hours = basics["daily_work_hours"]
    rows = [
        (t("needs.col_practitioner"), basics["code"]),
        (t("coop.col_member_name"), basics["name"] if visible else mask_name(basics["name"])),
        (t("needs.phone"), (basics.get("phone") or "—") if visible else mask_phone(basics.get("phone"))),
        (t("filter.community"), basics["community"]),
        (t("needs.birth_year"), str(basics["birth_year"])),
        (t("needs.dim.education"), t(f"enum.Education.{basics['education']}")),
        (t("needs.dim.hukou"), t(f"enum.Hukou.{basics['hukou']}")),
        (t("needs.dim.employment_type"), t(f"enum.EmploymentType.{basics['employment_type']}")),
        (t("needs.occupation"), t(f"enum.Occupation.{basics['occupation']}")),
        (t("needs.hours"), t("needs.hours_value", n=f"{hours:g}")),
        (t("profile.labour_contract"), t("common.yes") if basics["has_labour_contract"] else t("common.no")),
        (t("profile.pension"), t("common.yes") if basics["has_pension"] else t("common.no")),
        (t("profile.injury_insurance"), t("common.yes") if basics["has_injury_insurance"] else t("common.no")),
        (t("needs.income"), fmt_yuan(basics["monthly_income_cents"])),
        (t("needs.dim.group"), "、".join(t(f"enum.VulnerableGroup.{g}") for g in groups) or "—"),
    ]
    return pd.DataFrame(rows, columns=[t("statement.item"), t("statement.value")])
