"""Small SQL pieces that differ between SQLite and PostgreSQL, written once."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement


class days_between(FunctionElement[int]):  # lower case: reads like the SQL function it stands for
    """Whole days from the first date to the second."""

    type = sa.Integer()
    inherit_cache = True


@compiles(days_between, "sqlite")
def _days_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    a, b = list(element.clauses)
    return f"CAST(julianday({compiler.process(b, **kw)}) - julianday({compiler.process(a, **kw)}) AS INTEGER)"


@compiles(days_between, "postgresql")
def _days_pg(element: days_between, compiler: Any, **kw: Any) -> str:
    a, b = list(element.clauses)
    return f"({compiler.process(b, **kw)} - {compiler.process(a, **kw)})"


def count_if(cond: ColumnElement[bool]) -> ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)


def median(session: Any, values: sa.Select[Any]) -> float | None:
    """The median of a one-column SELECT of small integers (such as days).

    The database groups the values (GROUP BY v, COUNT), and the median is read off that short histogram:
    SQLite has no MEDIAN, and a GROUP BY is cheaper than sorting every row with window functions.
    """
    sub = values.subquery()
    col = next(iter(sub.c))
    rows = session.execute(sa.select(col, sa.func.count()).where(col.is_not(None)).group_by(col).order_by(col)).all()
    return histogram_median([(v, int(c)) for v, c in rows])


def histogram_median(rows: list[tuple[Any, int]]) -> float | None:
    """The median of values given as (value, how many), in ascending order of value."""
    n = sum(int(c) for _, c in rows)
    if n == 0:
        return None
    wanted = {(n - 1) // 2, n // 2}          # 0-based positions of the middle one or two values
    picked: list[float] = []
    seen = 0
    for value, c in rows:
        for pos in sorted(wanted):
            if seen <= pos < seen + int(c):
                picked.append(float(value))
        seen += int(c)
    return sum(picked) / len(picked)


class quarter_of(FunctionElement[str]):  # lower case: reads like the SQL function it stands for
    """The quarter key ('2025Q3') of a date column, NULL where the date is: for grouping by the quarter of a date
    that the table keeps no quarter key for (a need's closing day). On SQLite it is cut from the stored ISO text
    (no strftime per row)."""

    type = sa.String()
    inherit_cache = True


@compiles(quarter_of, "sqlite")
def _quarter_sqlite(element: quarter_of, compiler: Any, **kw: Any) -> str:
    d = compiler.process(next(iter(element.clauses)), **kw)
    return f"(substr({d}, 1, 4) || 'Q' || ((CAST(substr({d}, 6, 2) AS INTEGER) + 2) / 3))"


@compiles(quarter_of, "postgresql")
def _quarter_pg(element: quarter_of, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(next(iter(element.clauses)), **kw)}, 'YYYY\"Q\"Q')"
