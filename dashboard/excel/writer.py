"""Styled workbooks out: exports of any entity (filtered, typed cells, safe text) and import templates.

An export's data rows are rendered by sheetxml (xlsxwriter's per-cell cost is too high for 100,000 rows) and
spliced into a workbook xlsxwriter makes. Text is always an inline string cell, so a value such as
"=HYPERLINK(...)" or "+86 138…" is never read as a formula.
"""

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import xlsxwriter
from sqlalchemy.engine import Engine
from sqlmodel import col

from dashboard import access
from dashboard.access import PERSONAL_COLUMNS
from dashboard.excel import examples, sheetxml
from dashboard.excel.spec import ENTITIES, Entity, Field
from dashboard.i18n import get_language, t
from dashboard.privacy import TEXT_COLUMNS, mask_name, mask_phone, mask_text
from data_models import Community, PractitionerGroup, RequestSupport, Unit
from data_models.base import table_of

SHANGHAI = ZoneInfo("Asia/Shanghai")


def applied_filters(entity_name: str) -> tuple[bool, bool]:
    """Which of the sidebar's filters an export of the entity applies: (community, quarter). A table without
    the column is exported whole (communities, members, agenda items have neither; practitioners no quarter)."""
    columns = ENTITIES[entity_name].table.c
    return "community_id" in columns, "quarter" in columns


def routed_to_party(requests: sa.Table, party_id: Any) -> sa.ColumnElement[bool]:
    """Requests whose lead or a supporting unit is one the party acts for."""
    units = sa.select(col(Unit.id)).where(col(Unit.party_id) == party_id)
    supported = sa.select(col(RequestSupport.request_id)).where(col(RequestSupport.unit_id).in_(units))
    return sa.or_(requests.c.lead_unit_id.in_(units), requests.c.id.in_(supported))


def _select(entity: Entity, community_code: str | None, quarter: str | None,
            scope: dict[str, Any] | None = None) -> sa.Select[Any]:
    """The entity's rows with every reference written as the referenced code, filtered like the pages."""
    table = entity.table
    cols: list[Any] = [table.c.id] if "id" in table.c else []
    joins = []
    for f in entity.exported:
        if f.kind == "groups":
            continue
        if f.kind == "ref":
            assert f.ref is not None
            target = ENTITIES[f.ref].table.alias(f"ref_{f.column}")
            joins.append((target, target.c.id == table.c[f.column]))
            cols.append(target.c.code.label(f.column))
        else:
            cols.append(table.c[f.column])
    stmt = sa.select(*cols).select_from(table)
    for target, on in joins:
        stmt = stmt.join_from(table, target, on, isouter=True)
    by_community, by_quarter = applied_filters(entity.name)
    if community_code is not None and by_community:
        community = sa.select(col(Community.id)).where(col(Community.code) == community_code).scalar_subquery()
        stmt = stmt.where(table.c.community_id == community)
    if quarter is not None and by_quarter:
        stmt = stmt.where(table.c.quarter == quarter)
    for column, value in (scope or {}).items():    # the role's own rows (access.row_scope); None matches none
        if value is None:
            stmt = stmt.where(sa.false())
        elif column == access.UNIT_PARTY:
            stmt = stmt.where(routed_to_party(table, value))
        else:
            stmt = stmt.where(table.c[column] == value)
    return stmt.order_by(*(table.c[k] for k in entity.key_columns))


def rows(engine: Engine, entity_name: str, *, community_code: str | None = None,
         quarter: str | None = None, scope: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    entity = ENTITIES[entity_name]
    stmt = _select(entity, community_code, quarter, scope)
    with engine.connect() as conn:
        groups: dict[int, list[str]] = {}
        if entity.name == "practitioners":
            # Only the tags of the practitioners being exported, not the whole tag table.
            g = table_of(PractitionerGroup)
            ids = stmt.with_only_columns(entity.table.c.id).order_by(None).scalar_subquery()
            for pid, group in conn.execute(sa.select(g.c.practitioner_id, g.c.group)
                                           .where(g.c.practitioner_id.in_(ids))):
                groups.setdefault(pid, []).append(group)
        for row in conn.execute(stmt).mappings():
            out = dict(row)
            if entity.name == "practitioners":
                out["groups"] = sorted(groups.get(row["id"], []))
            yield out


def _converter(f: Field) -> Callable[[Any], Any]:
    """How a stored value is written, as the template and the importer read it: labels for codes, 是/否."""
    if f.kind == "enum":
        assert f.enum is not None
        labels = {m.value: t(f"enum.{f.enum.__name__}.{m.value}") for m in f.enum}
        return lambda v: None if v is None else labels[str(v)]
    if f.kind == "groups":
        assert f.enum is not None
        names = {m.value: t(f"enum.VulnerableGroup.{m.value}") for m in f.enum}
        return lambda v: "、".join(names[g] for g in v) or None if v else None
    if f.kind == "bool":
        yes, no = t("common.yes"), t("common.no")
        return lambda v: None if v is None else (yes if v else no)
    return lambda v: v


MASKS: dict[str, Callable[[str | None], str]] = {"name": mask_name, "phone": mask_phone, "text": mask_text}


def masked_columns(entity_name: str) -> dict[str, str]:
    """The columns an export masks for a role that may not see personal data: column -> how (MASKS)."""
    return PERSONAL_COLUMNS.get(entity_name, {}) | {c: "text" for c in TEXT_COLUMNS.get(entity_name, ())}


def _plan(entity: Entity, personal: bool) -> list[tuple[int, Field, Callable[[Any], Any]]]:
    """Each column's converter; without `personal`, the entity's personal columns are masked (张*华, 138****1234)
    and so is the personal data in its free text (*先生, 138****5678)."""
    hidden = {} if personal else masked_columns(entity.name)
    plan = []
    for c, f in enumerate(entity.exported):
        convert = _converter(f)
        if f.column in hidden:
            mask = MASKS[hidden[f.column]]
            convert = (lambda m: lambda v: None if v is None else m(str(v)))(mask)
        plan.append((c, f, convert))
    return plan


def export_xlsx(engine: Engine, entity_name: str, *, community_code: str | None = None,
                quarter: str | None = None, lang: str | None = None, personal: bool = True,
                scope: dict[str, Any] | None = None) -> tuple[bytes, int]:
    """The workbook and how many rows it holds; personal columns masked unless `personal`."""
    entity = ENTITIES[entity_name]
    lang = lang or get_language()
    plan = [(f.column, convert, sheetxml.cell_writer(f.kind)) for _, f, convert in _plan(entity, personal)]
    chunks, count = sheetxml.rows_xml(rows(engine, entity_name, community_code=community_code, quarter=quarter,
                                           scope=scope), plan)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                                   "strings_to_urls": False})
    cover = wb.add_worksheet(t("excel.sheet_cover"))
    data = wb.add_worksheet(t(f"entity.{entity.name}"))
    bold = wb.add_format({"bold": True})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    money_fmt = wb.add_format({"num_format": "#,##0.00"})
    # Wide enough for the header, and for a phone number, a date or a code beneath it.
    widths = [max(13 if f.kind in ("date", "code", "ref", "text") else 8, len(f.header(lang)) * 2 + 2)
              for f in entity.exported]
    for c, f in enumerate(entity.exported):
        data.write_string(0, c, f.header(lang), head)
        data.set_column(c, c, min(widths[c], 40))
    data.freeze_panes(1, 0)
    # One probe row gives the date and money formats their style numbers; the real rows replace it below.
    data.write_datetime(1, 0, dt.datetime(2000, 1, 1), date_fmt)
    data.write_number(1, 1, 0, money_fmt)
    data.autofilter(0, 0, max(count, 1), len(entity.exported) - 1)
    now = dt.datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    by_community, by_quarter = applied_filters(entity.name)     # the cover claims only the filters applied
    for i, (key, value) in enumerate([
        (t("excel.cover_entity"), t(f"entity.{entity.name}")),
        (t("excel.cover_community"), (by_community and community_code) or t("filter.all_communities")),
        (t("excel.cover_quarter"), (by_quarter and quarter) or t("filter.all_quarters")),
        (t("excel.cover_rows"), f"{count:,}"), (t("excel.cover_time"), f"{now}（Asia/Shanghai）"),
        *([] if personal or not masked_columns(entity.name) else [(t("excel.cover_masked"),
                                                                        t("excel.cover_masked_note"))]),
    ]):
        cover.write_string(i, 0, key, bold)
        cover.write_string(i, 1, value)
    cover.set_column(0, 0, 16)
    cover.set_column(1, 1, 40)
    wb.close()
    last = f"{xlsxwriter.utility.xl_col_to_name(len(entity.exported) - 1)}{count + 1}"
    return sheetxml.splice(buf.getvalue(), "xl/worksheets/sheet2.xml", chunks, last, date_fmt.xf_index,
                           money_fmt.xf_index), count


def export_csv(engine: Engine, entity_name: str, *, community_code: str | None = None,
               quarter: str | None = None, lang: str | None = None, personal: bool = True,
               scope: dict[str, Any] | None = None) -> bytes:
    """UTF-8 with a BOM, so Excel shows the Chinese; personal columns masked unless `personal`."""
    entity = ENTITIES[entity_name]
    lang = lang or get_language()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f.header(lang) for f in entity.exported])
    plan = _plan(entity, personal)
    for row in rows(engine, entity_name, community_code=community_code, quarter=quarter, scope=scope):
        cells = []
        for _, f, convert in plan:
            value = convert(row.get(f.column))
            if value is not None and f.kind == "money":
                value = f"{value // 100}.{value % 100:02d}"
            if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
                value = "'" + value            # CSV has no cell types: the apostrophe keeps it text in Excel
            cells.append("" if value is None else value)
        writer.writerow(cells)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(entity_name: str, lang: str | None = None) -> bytes:
    """An empty sheet with the headers, dropdowns for lists, formats, a frozen header, and instructions."""
    entity = ENTITIES[entity_name]
    lang = lang or get_language()
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet(t(f"entity.{entity.name}"))
    help_ws = wb.add_worksheet(t("excel.sheet_help"))
    lists = wb.add_worksheet("lists")
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    required_head = wb.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1})
    formats = {"date": wb.add_format({"num_format": "yyyy-mm-dd"}), "money": wb.add_format({"num_format": "0.00"}),
               "code": wb.add_format({"num_format": "@"}), "text": wb.add_format({"num_format": "@"})}
    list_col = 0
    for c, f in enumerate(entity.fields):
        ws.write_string(0, c, f.header(lang), required_head if f.required else head)
        ws.set_column(c, c, max(12, len(f.header(lang)) * 2 + 2), formats.get(f.kind))
        if f.kind == "enum":
            assert f.enum is not None
            labels = [t(f"enum.{f.enum.__name__}.{m.value}") for m in f.enum]
            for i, text in enumerate(labels):
                lists.write_string(i, list_col, text)
            ref = xlsxwriter.utility.xl_range_abs(0, list_col, len(labels) - 1, list_col)
            ws.data_validation(1, c, 100_000, c, {"validate": "list", "source": f"=lists!{ref}"})
            list_col += 1
        elif f.kind == "bool":
            ws.data_validation(1, c, 100_000, c, {"validate": "list", "source": [t("common.yes"), t("common.no")]})
        elif f.kind == "date":
            ws.data_validation(1, c, 100_000, c, {"validate": "date", "criteria": ">",
                                                   "value": dt.datetime(1900, 1, 2), "ignore_blank": True,
                                                   "error_message": t("excel.not_date")})
    ws.freeze_panes(1, 0)
    lists.hide()
    columns = [t("excel.help_column"), t("excel.help_english"), t("excel.help_required"), t("excel.help_type"),
               t("excel.help_allowed"), t("excel.help_example")]
    for c, name in enumerate(columns):
        help_ws.write_string(0, c, name, head)
    example_row = examples.examples(entity)       # one real row of the demo data, valid as a whole
    for r, f in enumerate(entity.fields, start=1):
        allowed = ""
        if f.kind in ("enum", "groups"):
            assert f.enum is not None
            allowed = "、".join(t(f"enum.{f.enum.__name__}.{m.value}") for m in f.enum)
        elif f.kind == "ref":
            allowed = t("excel.help_ref", entity=t(f"entity.{f.ref}"))
        example = example_row[f.column]
        for c, value in enumerate([f.zh, f.name, t("common.yes") if f.required else t("common.no"),
                                   t(f"excel.kind_{f.kind}"), allowed, example]):
            help_ws.write_string(r, c, value)
    help_ws.set_column(0, 1, 22)
    help_ws.set_column(2, 3, 14)
    help_ws.set_column(4, 4, 80)
    help_ws.set_column(5, 5, 20)
    help_ws.freeze_panes(1, 0)
    wb.close()
    return buf.getvalue()
