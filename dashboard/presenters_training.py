"""What the 培训成效 page draws: the funnel and its rates beside last quarter and paper 002, labelled frames, small
counts hidden where personal data is, phones and names masked. No Streamlit."""

from collections.abc import Iterable
from dataclasses import fields
from enum import StrEnum
from typing import Any

import pandas as pd

from dashboard.i18n import fmt_int, fmt_pct, fmt_yuan, t
from dashboard.presenters import Metric, change
from dashboard.services.request_rates import Rate
from dashboard.services.training_funnel import SMALL_BASE, Funnel, employment_rate, funnel_steps, reach, stability_rate

# The page's sections, in the picker's order (the first is the default).
SECTIONS = ("outcomes", "levels", "courses", "groups", "followups", "certificates", "subsidy")


def section_of(value: object) -> str:
    """The section a URL's ?section= names; the first for anything else."""
    return value if isinstance(value, str) and value in SECTIONS else SECTIONS[0]


DIMENSIONS = ("level", "topic", "provider", "target_group", "community")
# The enum whose labels name a dimension's keys; provider and community come with their own "label" column.
DIMENSION_ENUM = {"level": "CourseLevel", "topic": "CourseTopic", "target_group": "TargetGroup"}
WARN = "⚠"
# Paper 002's outcome figures (Alibaba cloud customer service; the Minning workshop).
PAPER_EMPLOYED = 110_000 / 350_000          # 31.4%: employed of all trained
PAPER_DISABLED_STABLE = 32_000 / 50_000     # 64%: disabled trained in stable work
PAPER_STABILITY = 0.85                      # employment stability "over 85%"


def funnel_frame(rows: pd.DataFrame) -> Funnel:
    """A Funnel from a one-row frame (or a row) carrying the Funnel fields."""
    return Funnel(**{f.name: int(rows[f.name]) for f in fields(Funnel)})


def is_empty(f: Funnel) -> bool:
    return f.enrolled == 0


def fraction(rate: Rate) -> str:
    return t("training.fraction", num=f"{int(rate.numerator):,}", den=f"{rate.denominator:,}")


def hidden(n: int, min_cell: int | None) -> bool:
    """A figure over 1..min_cell-1 people, where personal data is hidden (0 names nobody)."""
    return min_cell is not None and 0 < n < min_cell


def count_cell(n: int, min_cell: int | None) -> str:
    return f"<{min_cell}" if hidden(n, min_cell) else fmt_int(n)


def rate_cell(rate: Rate, min_cell: int | None, *, warn: bool = False) -> str:
    """A rate as text: hidden when its base is small where personal data is hidden, ⚠ under SMALL_BASE on request."""
    if hidden(rate.denominator, min_cell) or hidden(int(rate.numerator), min_cell):
        return f"<{min_cell}"
    text = fmt_pct(rate.value)
    return f"{text} {WARN}" if warn and 0 < rate.denominator < SMALL_BASE else text


def income_rate(f: Funnel) -> Rate:
    return Rate(f.m6_income_up, f.m6_income_known)


def _metric(label_key: str, cur: Rate, prev: Rate, help_text: str) -> Metric:
    return Metric(t(label_key), fmt_pct(cur.value), change("pct", cur.value, prev.value), "normal",
                  f"{help_text}\n\n{t('training.this_quarter', part=fraction(cur))}")


def headline(cur: Funnel, prev: Funnel) -> list[Metric]:
    """Enrolled and certified counts and the four rates, each against the previous quarter; a rate's help is its
    formula, its own numerator and denominator, and for the follow-up rates how many were reached of those due."""
    out = [
        Metric(t("training.m.enrolled"), fmt_int(cur.enrolled), change("int", cur.enrolled, prev.enrolled), "normal",
               t("training.m.enrolled_help")),
        _metric("training.m.completion", Rate(cur.completed, cur.enrolled), Rate(prev.completed, prev.enrolled),
                t("training.m.completion_help")),
        Metric(t("training.m.certified"), fmt_int(cur.certified), change("int", cur.certified, prev.certified),
               "normal", t("training.m.certified_help")),
    ]
    m3, m6 = reach(cur.m3_reached, cur.m3_due), reach(cur.m6_reached, cur.m6_due)
    out.append(_metric("training.m.employed_m3", employment_rate(cur), employment_rate(prev),
                       t("training.m.employed_m3_help") + "\n\n" + reached_text(m3, cur.m3_unreachable)))
    out.append(_metric("training.m.income_up_m6", income_rate(cur), income_rate(prev),
                       t("training.m.income_up_m6_help") + "\n\n" + reached_text(m6, cur.m6_unreachable)))
    out.append(_metric("training.m.stability", stability_rate(cur), stability_rate(prev),
                       t("training.m.stability_help")))
    return out


def reached_text(rate: Rate, unreachable: int) -> str:
    """«reached 40 of 52 due (3 could not be reached)»: the base the follow-up rates stand on."""
    return t("training.reached_of_due", r=f"{int(rate.numerator):,}", d=f"{rate.denominator:,}",
             u=f"{unreachable:,}")


def reach_line(f: Funnel) -> str:
    return t("training.reach_line", m3=reached_text(reach(f.m3_reached, f.m3_due), f.m3_unreachable),
             m6=reached_text(reach(f.m6_reached, f.m6_due), f.m6_unreachable))


def paper_frame(cur: Funnel, disabled: Funnel | None, income: tuple[str | None, int | None]) -> pd.DataFrame:
    """This scope beside paper 002's reference figures; each row says what its own figure counts."""
    dis = Rate(0, 0) if disabled is None else employment_rate(disabled)
    rows = [
        (t("training.paper.employed"), fmt_pct(employment_rate(cur).value), fmt_pct(PAPER_EMPLOYED),
         t("training.paper.employed_note")),
        (t("training.paper.disabled"), fmt_pct(dis.value), fmt_pct(PAPER_DISABLED_STABLE),
         t("training.paper.disabled_note")),
        (t("training.paper.stability"), fmt_pct(stability_rate(cur).value), "> " + fmt_pct(PAPER_STABILITY, 0),
         t("training.paper.stability_note")),
        (t("training.paper.income", wave=t(f"enum.FollowupWave.{income[0]}") if income[0] else "—"),
         fmt_yuan(income[1]), t("training.paper.income_ref"),
         t("training.paper.income_note")),
    ]
    return pd.DataFrame(rows, columns=[t("training.col.indicator"), t("training.col.this_scope"),
                                       t("common.paper"), t("training.col.note")])


STEP_BASE = ("attended", "completed", "certified")      # the steps whose rate is of the step before


def steps_frame(f: Funnel, min_cell: int | None) -> pd.DataFrame:
    """The funnel as a table: each step's count and its rate of the step before (or of those reached)."""
    rows = []
    for step in funnel_steps(f):
        base = {"employed_m3": reached_text(reach(f.m3_reached, f.m3_due), f.m3_unreachable),
                "income_up_m6": reached_text(reach(f.m6_reached, f.m6_due), f.m6_unreachable)}.get(step.key, "")
        rows.append({"step": t(f"training.step.{step.key}"), "count": count_cell(step.count, min_cell),
                     "rate": "" if step.key == "enrolled" else rate_cell(step.rate, min_cell, warn=True),
                     "base": base or (t(f"training.step_base.{step.key}") if step.key in STEP_BASE else "")})
    frame = pd.DataFrame(rows, columns=["step", "count", "rate", "base"])
    return frame.rename(columns={"step": t("training.col.step"), "count": t("training.col.count"),
                                 "rate": t("training.col.rate"), "base": t("training.col.base")})


def chart_steps(f: Funnel, min_cell: int | None) -> pd.DataFrame:
    """The funnel for the chart: step label, count (0 where hidden) and the text on its bar."""
    rows = [{"step": t(f"training.step.{s.key}"), "count": 0 if hidden(s.count, min_cell) else s.count,
             "text": count_cell(s.count, min_cell)} for s in funnel_steps(f)]
    return pd.DataFrame(rows, columns=["step", "count", "text"]) if f.enrolled else pd.DataFrame(
        columns=["step", "count", "text"])


def key_label(dimension: str, row: Any) -> str:
    if dimension in DIMENSION_ENUM:
        return t(f"enum.{DIMENSION_ENUM[dimension]}.{row['key']}")
    if dimension == "group":
        return t("training.group_all") if row["key"] == "all" else t(f"enum.VulnerableGroup.{row['key']}")
    label = row.get("label") if hasattr(row, "get") else None
    return str(label) if label is not None and not pd.isna(label) else t("training.none")


def breakdown_frame(df: pd.DataFrame, dimension: str, min_cell: int | None) -> pd.DataFrame:
    """One row per level / topic / provider / target group / community (or vulnerable group): counts and rates."""
    rows = []
    for _, row in df.iterrows():
        f = funnel_frame(row)
        rows.append({
            t(f"training.by.{dimension}"): key_label(dimension, row),
            t("training.step.enrolled"): count_cell(f.enrolled, min_cell),
            t("training.step.completed"): count_cell(f.completed, min_cell),
            t("training.col.completion"): rate_cell(Rate(f.completed, f.enrolled), min_cell, warn=True),
            t("training.step.certified"): count_cell(f.certified, min_cell),
            t("training.col.employed_m3"): rate_cell(employment_rate(f), min_cell, warn=True),
            t("training.col.reached_m3"): t("training.r_of_d", r=count_cell(f.m3_reached, min_cell),
                                            d=count_cell(f.m3_due, min_cell)),
            t("training.col.income_up_m6"): rate_cell(income_rate(f), min_cell, warn=True),
            t("training.col.stability"): rate_cell(stability_rate(f), min_cell, warn=True),
        })
    return pd.DataFrame(rows)


def rates_long(df: pd.DataFrame, dimension: str, min_cell: int | None) -> pd.DataFrame:
    """Per key the three outcome rates for a grouped bar chart; a hidden rate is left out (its bar says so)."""
    rows = []
    for _, row in df.iterrows():
        f = funnel_frame(row)
        for name, rate in (("completion", Rate(f.completed, f.enrolled)), ("employed_m3", employment_rate(f)),
                           ("income_up_m6", income_rate(f))):
            small = hidden(rate.denominator, min_cell) or hidden(int(rate.numerator), min_cell)
            rows.append({"key": key_label(dimension, row), "rate": t(f"training.col.{name}"),
                         "value": None if small else rate.value,
                         "text": f"<{min_cell}" if small else fmt_pct(rate.value, 0)})
    return pd.DataFrame(rows, columns=["key", "rate", "value", "text"])


COURSE_COLUMNS = ("code", "title", "level", "topic", "provider", "target_group", "end_date")


def course_frame(df: pd.DataFrame, min_cell: int | None) -> pd.DataFrame:
    """The course comparison: every rate with a ⚠ where fewer than SMALL_BASE people stand behind it."""
    rows = []
    for _, row in df.iterrows():
        f = funnel_frame(row)
        n_paired = int(row.get("n_paired", 0) or 0)
        gain = row.get("mean_gain")
        gain_text = "—" if gain is None or pd.isna(gain) or hidden(n_paired, min_cell) else f"{float(gain):.2f}"
        rows.append({
            t("training.col.code"): row["code"], t("training.col.title"): row["title"],
            t("training.by.level"): t(f"enum.CourseLevel.{row['level']}"),
            t("training.by.topic"): t(f"enum.CourseTopic.{row['topic']}"),
            t("training.step.enrolled"): count_cell(f.enrolled, min_cell),
            t("training.col.completion"): rate_cell(Rate(f.completed, f.enrolled), min_cell, warn=True),
            t("training.col.certification"): rate_cell(Rate(f.certified, f.completed), min_cell, warn=True),
            t("training.col.employed_m3"): rate_cell(employment_rate(f), min_cell, warn=True),
            t("training.col.income_up_m6"): rate_cell(income_rate(f), min_cell, warn=True),
            t("training.col.mean_gain"): gain_text + (f" {WARN}" if gain_text != "—" and n_paired < SMALL_BASE
                                                      else ""),
            # last: a provider's long name would push the rates off a projector's width
            t("training.by.provider"): "" if row.get("provider") is None or pd.isna(row.get("provider"))
            else str(row["provider"]),
        })
    return pd.DataFrame(rows)


def groups_frame(groups: pd.DataFrame, min_cell: int | None) -> pd.DataFrame:
    """Vulnerable groups reached and their outcomes, "everyone" first."""
    if groups.empty:
        return breakdown_frame(groups, "group", min_cell)
    ordered = pd.concat([groups[groups["key"] == "all"], groups[groups["key"] != "all"]])
    return breakdown_frame(ordered, "group", min_cell)


def group_funnel(groups: pd.DataFrame, key: str) -> Funnel | None:
    row = groups[groups["key"] == key]
    return None if row.empty else funnel_frame(row.iloc[0])


# ---- the four levels ----

def reaction_long(reaction: pd.DataFrame, min_cell: int | None = None) -> pd.DataFrame:
    """Per course and satisfaction score the number of answers, with the course's label; a course answered by
    fewer than min_cell people is left out where personal data is hidden (its bar would show each one's score)."""
    if reaction.empty:
        return pd.DataFrame(columns=["course", "score", "n"])
    answered = reaction.groupby("code")["n"].transform("sum")
    reaction = reaction[[not hidden(int(n), min_cell) for n in answered]]
    out = reaction.assign(course=reaction["code"] + " " + reaction["title"].astype(str),
                          score=reaction["satisfaction"].astype(int).astype(str))
    return out[["course", "score", "n"]]


def gain_points(learning: pd.DataFrame, min_cell: int | None) -> pd.DataFrame:
    """The courses whose gains the chart may show: not those of 1..min_cell-1 paired learners where personal data is
    hidden (as learning_frame shows them as —)."""
    if learning.empty:
        return learning
    return learning[[not hidden(int(n), min_cell) for n in learning["n_paired"]]]


def learning_frame(learning: pd.DataFrame, min_cell: int | None) -> pd.DataFrame:
    def num(v: Any, fmt: str = "{:.1f}") -> str:
        return "—" if v is None or pd.isna(v) else fmt.format(float(v))
    rows = []
    for _, r in learning.iterrows():
        n = int(r["n_paired"])
        small = hidden(n, min_cell)
        rows.append({t("training.col.code"): r["code"], t("training.col.title"): r["title"],
                     t("training.col.n_paired"): count_cell(n, min_cell),
                     t("training.col.mean_pre"): "—" if small else num(r["mean_pre"]),
                     t("training.col.mean_post"): "—" if small else num(r["mean_post"]),
                     t("training.col.mean_change"): "—" if small else num(r["mean_change"], "{:+.1f}"),
                     t("training.col.mean_gain"): "—" if small else num(r["mean_gain"], "{:.2f}")
                     + (f" {WARN}" if 0 < n < SMALL_BASE else ""),
                     t("training.col.sd_gain"): "—" if small else num(r["sd_gain"], "{:.2f}"),
                     t("training.col.iqr"): "—" if small else t("training.iqr", q1=num(r["q1"], "{:.2f}"),
                                                                 median=num(r["median"], "{:.2f}"),
                                                                 q3=num(r["q3"], "{:.2f}"))})
    return pd.DataFrame(rows)


def behaviour_frame(behaviour: pd.DataFrame, min_cell: int | None) -> pd.DataFrame:
    rows = []
    for _, r in behaviour.iterrows():
        reached = int(r["reached"])
        answered = int(r["streams_answered"])
        mean = r["mean_livestreams"]
        rows.append({t("training.col.wave"): t(f"enum.FollowupWave.{r['wave']}"),
                     t("training.col.reached"): count_cell(reached, min_cell),
                     t("training.col.ecommerce"): rate_cell(Rate(int(r["ecommerce"]), reached), min_cell),
                     t("training.col.opened_store"): rate_cell(Rate(int(r["opened_store"]), int(r["store_answered"])),
                                                               min_cell),
                     t("training.col.mean_livestreams"): "—" if mean is None or pd.isna(mean) or hidden(
                         answered, min_cell) else f"{float(mean):.1f}",
                     t("training.col.livestreams_3plus"): rate_cell(Rate(int(r["livestreams_3plus"]), answered),
                                                                    min_cell)})
    return pd.DataFrame(rows)


def income_frame(reported: pd.DataFrame, verified: pd.DataFrame, min_cell: int | None) -> pd.DataFrame:
    """Level 4: the income change self-reported at each wave and the one verified from cooperative pay-outs, each
    row naming its source."""
    rows = []
    for source, frame in (("reported", reported), ("verified", verified)):
        for _, r in frame.iterrows():
            n = int(r["n"])
            small = hidden(n, min_cell)
            what = t(f"enum.FollowupWave.{r['wave']}") if "wave" in r and source == "reported" else t(
                "training.verified_members")
            rows.append({t("training.col.source"): t(f"training.source.{source}"), t("training.col.who"): what,
                         t("training.col.n"): count_cell(n, min_cell),
                         t("training.col.before"): "—" if small else fmt_yuan(_cents(r["mean_before_cents"])),
                         t("training.col.after"): "—" if small else fmt_yuan(_cents(r["mean_after_cents"])),
                         t("training.col.up"): rate_cell(Rate(int(r["up"]), n), min_cell)})
    return pd.DataFrame(rows)


def _cents(v: Any) -> int | None:
    return None if v is None or pd.isna(v) else round(float(v))


def income_after(reported: pd.DataFrame) -> tuple[str | None, int | None]:
    """(wave, mean monthly income after) self-reported at the latest wave anyone answered (paper 002's incomes are
    monthly too): 6 months where known, else 3 months, else nothing."""
    for wave in ("m6", "m3"):
        rows = reported[(reported["wave"] == wave) & (reported["n"] > 0)] if not reported.empty else reported
        if not rows.empty:
            return wave, _cents(rows.iloc[0]["mean_after_cents"])
    return None, None


# ---- follow-ups, certificates, subsidy ----

def worklist_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The week's follow-ups, most overdue first (names and phones come masked where personal data is hidden)."""
    out = pd.DataFrame({
        t("training.col.wave"): [t(f"enum.FollowupWave.{w}") for w in df["wave"]],
        t("training.col.due_on"): df["due_on"].astype(str),
        t("training.col.overdue_days"): [fmt_int(int(d)) if int(d) > 0 else "" for d in df["overdue_days"]],
        t("training.col.tries"): df["tries"].astype(int).astype(str),
        t("training.col.last_tried_on"): [("" if d is None or pd.isna(d) else str(d)) for d in df["last_tried_on"]],
        t("training.col.enrolment"): df["enrolment_code"],
        t("training.col.name"): df["practitioner_name"].fillna(""),
        t("training.col.phone"): df["phone"].fillna(""),
        t("training.col.course"): df["course_code"] + " " + df["course_title"].astype(str),
    })
    return out.reset_index(drop=True)


def worklist_choices(df: pd.DataFrame) -> dict[int, str]:
    """{followup_id: "E… · 张*华 · 3个月回访 · due"} for the form's selectbox; a follow-up given up on (found by its
    enrolment code) says so."""
    out = {}
    for r in df.itertuples(index=False):
        parts = [str(r.enrolment_code), str(r.practitioner_name), t(f"enum.FollowupWave.{r.wave}"), str(r.due_on)]
        if str(getattr(r, "status", "pending")) == "unreachable":
            parts.append(t("enum.FollowupStatus.unreachable"))
        out[int(r.followup_id)] = " · ".join(parts)
    return out


def labels(enum: type[StrEnum]) -> dict[str, str]:
    return {m.value: t(f"enum.{enum.__name__}.{m.value}") for m in enum}


def verdict_text(v: Any) -> tuple[str, str]:
    """(kind, message) for a certificate check: kind is success / error / warning for the page's box."""
    kind = {"valid": "success", "revoked": "error"}.get(v.status, "warning")
    return kind, t(f"training.cert.{v.status}", number=v.number or "", name=v.masked_name or "",
                   course=v.course_title or "", issued=str(v.issued_on or ""), revoked=str(v.revoked_on or ""),
                   reason=v.revoked_reason or "")


SUBSIDY_STATES = ("claimable", "pending", "lost")


def subsidy_totals(df: pd.DataFrame) -> dict[str, int]:
    """Claimable, pending and lost cents over the courses shown (integer sums: to the cent)."""
    return {s: int(df[f"{s}_cents"].sum()) if not df.empty else 0 for s in SUBSIDY_STATES}


def subsidy_frame(df: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, r in df.iterrows():
        rows.append({t("training.col.code"): r["code"], t("training.col.title"): r.get("title", ""),
                     t("training.col.rule"): "" if r.get("rule_code") is None else str(r["rule_code"]),
                     t("training.col.per_person"): fmt_yuan(_cents(r.get("per_person_cents"))),
                     t("training.step.certified"): fmt_int(int(r["certified"])),
                     t("training.col.employed_window"): fmt_int(int(r["employed_in_window"])),
                     t("training.col.first"): _tranche(r, "first"), t("training.col.second"): _tranche(r, "second"),
                     t("training.col.claimable"): fmt_yuan(int(r["claimable_cents"])),
                     t("training.col.pending"): fmt_yuan(int(r["pending_cents"])),
                     t("training.col.lost"): fmt_yuan(int(r["lost_cents"]))})
    return pd.DataFrame(rows)


def _tranche(r: Any, which: str) -> str:
    state = str(r.get(f"{which}_state", "none"))
    return f"{fmt_yuan(_cents(r.get(f'{which}_cents')))} · {t(f'training.subsidy_state.{state}')}"


def codes(values: Iterable[Any]) -> list[str]:
    return [str(v) for v in values]
