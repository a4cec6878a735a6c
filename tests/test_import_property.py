"""Property: whatever rows the import validator accepts, the database accepts, on SQLite and PostgreSQL alike.

Rows are generated from the entity's spec: every required column and a random choice of the optional ones, each
cell either a plausible value or one of the things people (and other systems) put in spreadsheets: huge and
negative numbers, exponents, control characters, over-long text, impossible and future dates, unknown codes.
"""

import csv
import datetime as dt
import io
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from dashboard.excel import importer
from dashboard.excel.spec import ENTITIES, Field
from dashboard.i18n import set_language, t
from data_models.enums import RequestStatus
from tests import factories as f

TODAY = dt.date(2025, 12, 31)
ENTITY_NAMES = ["practitioners", "sales", "cooperatives", "requests", "needs", "livestreams"]
KNOWN = {"communities": "C1", "cooperatives": "CO1", "practitioners": "P1", "livestreams": "L1", "members": "M1",
         "units": "U1"}

NUMBERS = st.one_of(
    st.integers(-10, 3000), st.integers(-(2**70), 2**70),
    st.sampled_from(["2147483647", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808",
                     "1e30", "1e400", "-1e400", "1e999999999", "1e-30", "0.5", "1,000", "１２", "NaN", "inf", ""]),
)
MONEY = st.one_of(
    st.decimals(min_value=-1000, max_value=10**6, places=2, allow_nan=False),
    st.sampled_from(["92233720368547758.07", "92233720368547758.08", "99999999999999999999.99", "1e30",
                     "1e-3", "-0", "¥1,234.50", "3200.5000000000005", ""]),
)
TEXT = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
    st.text(st.sampled_from("ab长\x00\x01\x07\t\n\r\x1f\x7f\u3000 *"), max_size=8),
    st.integers(1, 600).map(lambda n: "字" * n),
)
DATES = st.one_of(
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)).map(dt.date.isoformat),
    st.dates(dt.date(2025, 1, 1), dt.date(2026, 1, 31)).map(dt.date.isoformat),
    st.sampled_from(["2025-02-30", "2025年3月1日", "20250301", "45000", "0", "9999-12-31", "0001-01-01", ""]),
)


def plausible(fld: Field) -> st.SearchStrategy[Any]:
    """A value a careful person would type: most rows then pass, and reach the database."""
    if fld.enum is RequestStatus:     # a new request is 已收集: a later status needs a unit, dates, an outcome
        return st.just("collected")
    if fld.zh == "关闭日期":           # and only a closed request has a closing date
        return st.just("")
    if fld.kind == "int":
        return st.integers(1950, 2005) if fld.column == "birth_year" else st.integers(1, 5)
    if fld.kind == "float":
        return st.integers(0, 24)
    if fld.kind == "money":
        return st.decimals(min_value=0, max_value=10**5, places=2)
    if fld.kind == "date":
        return st.just("2025-07-01")
    if fld.kind in ("text", "code"):
        return st.sampled_from(["X1", "X2", "文字"]) if fld.kind == "text" else st.sampled_from(["X1", "X2", "X3"])
    if fld.kind == "ref":
        return st.just(KNOWN.get(fld.ref or "", "C1"))
    if fld.kind == "enum":
        assert fld.enum is not None
        return st.sampled_from([m.value for m in fld.enum])
    if fld.kind == "bool":
        return st.sampled_from(["是", "否"])
    return st.just("")


def wild(fld: Field) -> st.SearchStrategy[Any]:
    if fld.kind == "code":
        return st.sampled_from(["X1", "X2", "X3", "Ｘ4", "X\x005", "X" * 41])
    if fld.kind == "ref":
        return st.sampled_from([KNOWN.get(fld.ref or "", "C1"), "NOPE", ""])
    if fld.kind == "enum":
        assert fld.enum is not None
        labels = [t(f"enum.{fld.enum.__name__}.{m.value}") for m in fld.enum]
        return st.sampled_from([*(m.value for m in fld.enum), *labels, "别的", ""])
    if fld.kind == "groups":
        return st.sampled_from(["", "低收入", "流动女性、低收入", "low_income,rural_women", "外星人"])
    if fld.kind == "bool":
        return st.sampled_from(["是", "否", "Y", "×", "1", "0", "", "也许"])
    if fld.kind in ("int", "float"):
        return NUMBERS
    if fld.kind == "money":
        return MONEY
    if fld.kind == "date":
        return DATES
    return TEXT


@st.composite
def files(draw: st.DrawFn, entity: str) -> bytes:
    fields = ENTITIES[entity].fields
    chosen = [fld for fld in fields if fld.required or draw(st.booleans())]
    row = st.one_of(st.tuples(*(plausible(fld) for fld in chosen)), st.tuples(*(wild(fld) for fld in chosen)),
                    st.tuples(*(st.one_of(plausible(fld), wild(fld)) for fld in chosen)))
    rows = draw(st.lists(row, min_size=1, max_size=3, unique_by=lambda r: r[0]))      # codes
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([fld.zh for fld in chosen])
    writer.writerows([[str(c) for c in row] for row in rows])
    return buf.getvalue().encode("utf-8")


@pytest.fixture
def known(engine: Engine) -> Engine:
    set_language("zh")
    with engine.begin() as conn:
        c = f.community(conn, "C1")
        f.practitioner(conn, c, "P1")
        co = f.cooperative(conn, c, "CO1")
        f.member(conn, co, "M1")
        f.livestream(conn, c, "L1")
        f.insert(conn, "unit", code="U1", name="居委会", kind="village_committee", community_id=c, township="",
                 is_active=True)
        for priority, days in (("urgent", 1), ("general", 5), ("complex", 15)):     # as the migration inserts
            f.insert(conn, "request_sla", priority=priority, working_days=days)
    return engine


@pytest.mark.parametrize("entity", ENTITY_NAMES)
def test_what_the_validator_accepts_the_database_accepts(known: Engine, entity: str) -> None:
    committed = 0
    # derandomize: the same examples every run, so "at least 5 reached the database" cannot fail by chance
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
              derandomize=True, database=None)
    @given(data=files(entity))
    def check(data: bytes) -> None:
        nonlocal committed
        dry = importer.import_file(known, entity, data, "p.csv", actor="p", dry_run=True, today=TODAY)
        if dry.status != "valid":          # refused with reasons, each naming its row (and column, but for
            nothing = [e for e in dry.errors if not e.column]          # a file with no rows at all)
            assert dry.errors and all(e.row > 0 for e in dry.errors), dry.errors
            assert not nothing or (len(dry.errors) == 1 and dry.rows == 0), dry.errors
            return
        with known.connect() as conn:
            before = conn.execute(sa.select(sa.func.count()).select_from(ENTITIES[entity].table)).scalar_one()
        done = importer.import_file(known, entity, data, "p.csv", actor="p", today=TODAY)
        assert done.status == "committed", done.errors
        with known.connect() as conn:
            after = conn.execute(sa.select(sa.func.count()).select_from(ENTITIES[entity].table)).scalar_one()
        assert after == before + done.created
        committed += 1

    check()
    assert committed >= 5          # the property was tried on the database, not only on refusals
