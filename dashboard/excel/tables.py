"""Any table a page shows, as a workbook: the same columns and labels, typed cells, a cover naming the filters."""

import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import xlsxwriter
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.i18n import t
from dashboard.presenters import masked
from dashboard.presenters_needs import BACKLOG_COLUMNS
from dashboard.presenters_requests import LIST_COLUMNS, list_frame
from dashboard.queries import Scope, needs_board
from dashboard.queries import requests as request_queries
from dashboard.queries.requests import RequestFilters, RequestScope
from dashboard.services import workdays

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _label(kind: str, value: Any) -> Any:
    if kind.startswith("enum:"):
        return t(f"enum.{kind[5:]}.{value}")
    if kind.startswith("key:"):
        return t(f"{kind[4:]}{value}")
    if kind == "bool":
        return t("common.yes") if value else t("common.no")
    return value


def table_xlsx(df: pd.DataFrame, columns: list[tuple[str, str, str]], *, title: str,
               filters: dict[str, str]) -> bytes:
    """`columns` are the page's (data column, header key, kind) triples; money is written in yuan."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                                   "strings_to_urls": False})
    cover = wb.add_worksheet(t("excel.sheet_cover"))
    ws = wb.add_worksheet(title[:31])
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    fmt = {"yuan": wb.add_format({"num_format": "#,##0.00"}), "pct": wb.add_format({"num_format": "0.0%"}),
           "datetime": wb.add_format({"num_format": "yyyy-mm-dd hh:mm"}), "bp": wb.add_format({"num_format": "0%"})}
    for c, (_, header, _kind) in enumerate(columns):
        ws.write_string(0, c, t(header), head)
        ws.set_column(c, c, max(10, len(t(header)) * 2 + 2))
    for r, record in enumerate(df.to_dict("records"), start=1):
        for c, (column, _, kind) in enumerate(columns):
            value = record.get(column)
            if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
                continue
            if kind == "yuan":
                ws.write_number(r, c, int(value) / 100, fmt["yuan"])
            elif kind == "pct":
                ws.write_number(r, c, float(value), fmt["pct"])
            elif kind == "bp":
                ws.write_number(r, c, int(value) / 10_000, fmt["bp"])
            elif kind == "int":
                ws.write_number(r, c, int(value))
            elif kind == "datetime":
                stamp = pd.Timestamp(value)
                stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
                ws.write_datetime(r, c, stamp.tz_convert(SHANGHAI).tz_localize(None).to_pydatetime(), fmt["datetime"])
            elif isinstance(value, (dt.date, dt.datetime)) and kind == "text":
                ws.write_string(r, c, value.isoformat())
            else:
                ws.write_string(r, c, str(_label(kind, value)))
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(df), 1), max(len(columns) - 1, 0))
    now = dt.datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    bold = wb.add_format({"bold": True})
    items = [(t("excel.cover_entity"), title), *filters.items(), (t("excel.cover_rows"), f"{len(df):,}"),
             (t("excel.cover_time"), f"{now}（Asia/Shanghai）")]
    for i, (key, value) in enumerate(items):
        cover.write_string(i, 0, key, bold)
        cover.write_string(i, 1, value)
    cover.set_column(0, 0, 16)
    cover.set_column(1, 1, 44)
    wb.close()
    return buf.getvalue()


def backlog_xlsx(engine: Engine, *, scope: Scope, today: dt.date, title: str, filters: dict[str, str],
                 personal: bool, shown: int) -> tuple[bytes, int]:
    """Every open need that matches the page's filters (its own query, not the `shown` rows on the page), names
    masked unless `personal`; the cover names the filters, the count and that it is all of them."""
    with Session(engine) as session:
        rows, _ = needs_board.backlog(session, scope=scope, today=today, limit=None)
    rows = masked(rows, personal, "practitioner_name")
    note = {t("excel.cover_scope"): t("excel.cover_all_rows", shown=f"{shown:,}")}
    return table_xlsx(rows, BACKLOG_COLUMNS, title=title, filters=filters | note), len(rows)


def requests_xlsx(engine: Engine, *, scope: RequestScope, filters: RequestFilters, today: dt.date, title: str,
                  cover: dict[str, str], personal: bool) -> tuple[bytes, int]:
    """The 直播治理诉求 list as the page shows it (its filters, columns and order), every matching row: its own query,
    in the account's row scope (`scope.party_id`); residents' text masked unless `personal`."""
    with Session(engine) as session:
        calendar = workdays.load(session.connection())
        rows, _ = request_queries.request_list(session, scope=scope, filters=filters, today=today,
                                               calendar=calendar, limit=None)
    rows = list_frame(rows, personal)
    note = {t("excel.cover_scope"): t("requests.page.export_all")}
    return table_xlsx(rows, LIST_COLUMNS, title=title, filters=cover | note), len(rows)
