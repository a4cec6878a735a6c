"""Training workbooks: a course's roster for its trainer (filled in and imported back) and the funder's subsidy claim.

The roster's enrolment sheet carries the enrolments import's own headers, so the filled file is imported as it is;
its name and phone columns are locked, masked unless the reader may see personal data, and ignored by the import.
The subsidy claim lists dashboard.services.subsidy.course_subsidies with money as numbers (2 decimals) and a totals
row summed in integer cents.
"""

import datetime as dt
import io
from typing import Any

import sqlalchemy as sa
import xlsxwriter
from sqlmodel import Session

from dashboard.excel.spec import ENTITIES, Field
from dashboard.i18n import fmt_yuan, t, use_language
from dashboard.privacy import mask_name, mask_phone
from dashboard.queries import Scope
from dashboard.services.errors import RuleError
from dashboard.services.subsidy import course_subsidies
from data_models import Community, Course, Enrolment, Party, Practitioner, SubsidyRule
from data_models.base import table_of

COURSE, ENROLMENT, PRACTITIONER = table_of(Course), table_of(Enrolment), table_of(Practitioner)
PARTY, COMMUNITY, RULE = table_of(Party), table_of(Community), table_of(SubsidyRule)
# The cells a trainer fills in: the rest of the roster is locked (the sheet is protected without a password).
FILLED = ("attended", "completed", "pre_score", "post_score", "certified", "income_before_cents", "satisfaction")


def _workbook(buf: io.BytesIO) -> xlsxwriter.Workbook:
    # Text stays text: a name such as "=1+1" or a phone "+86…" is never read as a formula or a number.
    return xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                                     "strings_to_urls": False})


def _cover(wb: xlsxwriter.Workbook, lines: list[tuple[str, str]]) -> None:
    cover = wb.add_worksheet(t("excel.sheet_cover"))
    bold = wb.add_format({"bold": True, "valign": "top"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    for r, (key, value) in enumerate(lines):
        cover.write_string(r, 0, key, bold)
        cover.write_string(r, 1, value, wrap)
    cover.set_column(0, 0, 18)
    cover.set_column(1, 1, 90)


def course_roster(session: Session, course_code: str, *, lang: str, personal: bool) -> bytes:
    """The course's enrolments under the enrolments import's own headers (in `lang`), for the trainer to fill in
    attendance, completion, scores, certificate and satisfaction and import back unchanged; a cover with the course;
    name and phone read-only beside them, masked unless `personal`. Raises RuleError for an unknown course."""
    with use_language(lang):
        return _roster(session, course_code, lang=lang, personal=personal)


def _roster(session: Session, course_code: str, *, lang: str, personal: bool) -> bytes:
    conn = session.connection()
    c = COURSE.c
    course = conn.execute(sa.select(c.id, c.code, c.title, c.level, c.topic, c.start_date, c.end_date, c.hours,
                                    PARTY.c.code.label("provider_code"), PARTY.c.name.label("provider"))
                          .outerjoin(PARTY, PARTY.c.id == c.provider_party_id)
                          .where(c.code == course_code)).first()
    if course is None:
        raise RuleError("excel.unknown_ref", entity=t("entity.courses"), code=course_code)
    e, p = ENROLMENT.c, PRACTITIONER.c
    rows = conn.execute(sa.select(e.code, p.code.label("practitioner_code"), e.enrolled_on, e.attended, e.completed,
                                  e.pre_score, e.post_score, e.certified, e.income_before_cents, e.satisfaction,
                                  p.name, p.phone)
                        .join(PRACTITIONER, p.id == e.practitioner_id)
                        .where(e.course_id == course.id).order_by(e.code)).mappings().all()
    fields = ENTITIES["enrolments"].fields
    courses = {f.column: f for f in ENTITIES["courses"].fields}

    buf = io.BytesIO()
    wb = _workbook(buf)
    sheet_name = t("entity.enrolments")
    provider = "" if course.provider is None else f"{course.provider_code} {course.provider}"
    _cover(wb, [
        (courses["code"].header(lang), course.code), (courses["title"].header(lang), course.title),
        (courses["level"].header(lang), t(f"enum.CourseLevel.{course.level}")),
        (courses["topic"].header(lang), t(f"enum.CourseTopic.{course.topic}")),
        (courses["start_date"].header(lang), course.start_date.isoformat()),
        (courses["end_date"].header(lang), course.end_date.isoformat()),
        (courses["hours"].header(lang), str(course.hours)), (t("excel.roster_provider"), provider),
        (t("excel.cover_rows"), f"{len(rows):,}"),
        (t("excel.roster_note"), t("excel.roster_note_text", sheet=sheet_name)),
        *([] if personal else [(t("excel.cover_masked"), t("excel.cover_masked_note"))]),
    ])
    ws = wb.add_worksheet(sheet_name)
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "locked": True})
    fill_head = wb.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1, "locked": True})
    grey = wb.add_format({"bg_color": "#EEEEEE", "locked": True})
    formats = {"date": wb.add_format({"num_format": "yyyy-mm-dd", "locked": True}),
               "money": wb.add_format({"num_format": "0.00", "locked": False}),
               "open": wb.add_format({"locked": False}), "fixed": wb.add_format({"locked": True})}
    yes, no = t("common.yes"), t("common.no")
    for col, f in enumerate(fields):
        ws.write_string(0, col, f.header(lang), fill_head if f.column in FILLED else head)
        ws.set_column(col, col, max(12, len(f.header(lang)) * 2 + 2))
        if f.kind == "bool":
            ws.data_validation(1, col, max(len(rows), 1), col, {"validate": "list", "source": [yes, no]})
        elif f.column in ("pre_score", "post_score", "satisfaction"):
            low, high = (1, 5) if f.column == "satisfaction" else (0, 100)
            ws.data_validation(1, col, max(len(rows), 1), col, {"validate": "integer", "criteria": "between",
                                                                "minimum": low, "maximum": high})
    extra = len(fields)
    for i, key in enumerate(("excel.roster_name", "excel.roster_phone")):
        ws.write_string(0, extra + i, t(key), head)
        ws.set_column(extra + i, extra + i, 24)
    for r, row in enumerate(rows, start=1):
        # References are written as the codes the import reads.
        codes = {"course_id": course.code, "practitioner_id": row["practitioner_code"]}
        for col, f in enumerate(fields):
            _write(ws, r, col, f, codes.get(f.column, row.get(f.column)), formats, yes, no)
        name, phone = row["name"], row["phone"]
        ws.write_string(r, extra, (name if personal else mask_name(name)) or "", grey)
        ws.write_string(r, extra + 1, (phone if personal else mask_phone(phone)) if phone else "", grey)
    ws.freeze_panes(1, 1)
    ws.protect("", {"format_columns": True, "sort": True, "autofilter": True})
    wb.close()
    return buf.getvalue()


def _write(ws: Any, r: int, col: int, f: Field, value: Any, formats: dict[str, Any], yes: str, no: str) -> None:
    open_ = f.column in FILLED
    fmt = formats["open"] if open_ else formats["fixed"]
    if value is None:
        ws.write_blank(r, col, None, fmt)
    elif f.kind == "bool":
        ws.write_string(r, col, yes if value else no, fmt)
    elif f.kind == "money":
        ws.write_number(r, col, int(value) / 100, formats["money"])
    elif f.kind == "date":
        ws.write_datetime(r, col, dt.datetime.combine(value, dt.time()), formats["date"])
    elif f.kind in ("int", "float"):
        ws.write_number(r, col, value, fmt)
    else:
        ws.write_string(r, col, str(value), fmt)


# --- the subsidy claim ---------------------------------------------------------------------------------------------

# (DataFrame column, header key, kind): money in cents is written as yuan with 2 decimals.
CLAIM_COLUMNS = [
    ("code", "excel.subsidy_course", "text"), ("title", "excel.subsidy_title", "text"),
    ("level", "excel.subsidy_level", "level"), ("end_date", "excel.subsidy_end", "date"),
    ("rule_code", "excel.subsidy_rule", "text"), ("per_person_cents", "excel.subsidy_per_person", "money"),
    ("certified", "excel.subsidy_certified", "int"), ("employed_in_window", "excel.subsidy_employed", "int"),
    ("need_more", "excel.subsidy_need_more", "int"), ("total_cents", "excel.subsidy_total_amount", "money"),
    ("first_cents", "excel.subsidy_first", "money"), ("first_state", "excel.subsidy_first_state", "state"),
    ("second_cents", "excel.subsidy_second", "money"), ("second_state", "excel.subsidy_second_state", "state"),
    ("claimable_cents", "excel.subsidy_claimable", "money"), ("pending_cents", "excel.subsidy_pending", "money"),
    ("lost_cents", "excel.subsidy_lost", "money"), ("window_ends", "excel.subsidy_window_ends", "date"),
    ("claim_by", "excel.subsidy_claim_by", "date"),
]
SUMMED = ("certified", "employed_in_window", "total_cents", "first_cents", "second_cents", "claimable_cents",
          "pending_cents", "lost_cents")


def _rule_lines(session: Session, codes: list[str]) -> list[str]:
    """The rules the courses fall under, each said in full (amounts per level, tranches, window)."""
    if not codes:
        return [t("excel.subsidy_no_rule")]
    r = RULE.c
    out = []
    for rule in session.connection().execute(sa.select(RULE).where(r.code.in_(codes)).order_by(r.valid_from)):
        out.append(t("excel.subsidy_rule_line", code=rule.code, title=rule.title, start=rule.valid_from.isoformat(),
                     end="" if rule.valid_to is None else t("excel.subsidy_rule_until", end=rule.valid_to.isoformat()),
                     basic=fmt_yuan(rule.basic_cents).lstrip("¥"),
                     intermediate=fmt_yuan(rule.intermediate_cents).lstrip("¥"),
                     advanced=fmt_yuan(rule.advanced_cents).lstrip("¥"), first=rule.first_pct,
                     pct=rule.employment_pct, months=rule.window_months))
    return out


def subsidy_workbook(session: Session, *, scope: Scope, as_of: dt.date, lang: str) -> bytes:
    """For the funder: a cover (community, quarter, as_of, the rules in force) and one row per course in scope
    with both tranches, their states and what is claimable, pending or lost; a totals row equal to the sum."""
    with use_language(lang):
        return _claim(session, scope=scope, as_of=as_of)


def _claim(session: Session, *, scope: Scope, as_of: dt.date) -> bytes:
    frame = course_subsidies(session, scope=scope, as_of=as_of)
    community = t("filter.all_communities")
    if scope.community_id is not None:
        found = session.connection().execute(sa.select(COMMUNITY.c.code, COMMUNITY.c.name)
                                             .where(COMMUNITY.c.id == scope.community_id)).first()
        community = "" if found is None else f"{found.code} {found.name}"
    codes = sorted({str(c) for c in frame["rule_code"].dropna()}) if len(frame) else []
    buf = io.BytesIO()
    wb = _workbook(buf)
    _cover(wb, [(t("excel.cover_community"), community),
                (t("excel.cover_quarter"), scope.quarter or t("filter.all_quarters")),
                (t("excel.subsidy_as_of"), as_of.isoformat()), (t("excel.cover_rows"), f"{len(frame):,}"),
                *[(t("excel.subsidy_rules_in_force") if i == 0 else "", line)
                  for i, line in enumerate(_rule_lines(session, codes))],
                (t("excel.subsidy_money_note"), "")])
    ws = wb.add_worksheet(t("excel.subsidy_sheet"))
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    money = wb.add_format({"num_format": "#,##0.00"})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    bold = wb.add_format({"bold": True, "top": 1})
    bold_money = wb.add_format({"bold": True, "top": 1, "num_format": "#,##0.00"})
    for col, (_, key, _kind) in enumerate(CLAIM_COLUMNS):
        ws.write_string(0, col, t(key), head)
        ws.set_column(col, col, 28 if key == "excel.subsidy_title" else 14)
    records = frame.to_dict("records")
    for r, row in enumerate(records, start=1):
        for col, (name, _, kind) in enumerate(CLAIM_COLUMNS):
            value = row.get(name)
            if value is None or value != value:          # None or NaN: a course no rule covers has no window
                ws.write_blank(r, col, None)
            elif kind == "money":
                ws.write_number(r, col, int(value) / 100, money)
            elif kind == "date":
                ws.write_datetime(r, col, dt.datetime.combine(value, dt.time()), date)
            elif kind == "int":
                ws.write_number(r, col, int(value))
            elif kind == "state":
                ws.write_string(r, col, t(f"excel.subsidy_state_{value}"))
            elif kind == "level":
                ws.write_string(r, col, t(f"enum.CourseLevel.{value}"))
            else:
                ws.write_string(r, col, str(value))
    total_row = len(records) + 1
    ws.write_string(total_row, 0, t("excel.subsidy_total"), bold)
    for col, (name, _, kind) in enumerate(CLAIM_COLUMNS):
        if name in SUMMED:
            # Summed in integer cents, then written once: the total is the sum to the cent, not a float sum.
            cents = sum(int(row[name]) for row in records)
            ws.write_number(total_row, col, cents / 100 if kind == "money" else cents,
                            bold_money if kind == "money" else bold)
        elif col:
            ws.write_blank(total_row, col, None, bold)
    ws.freeze_panes(1, 2)
    wb.close()
    return buf.getvalue()
