"""SQLite: each CHECK that lists allowed codes says `x = 'a' OR x = 'b'` instead of `x IN ('a', 'b')`.

The rules stay exactly as they were; only how SQLite evaluates them changes. SQLite evaluates an IN list inside
a CHECK by building a small temporary index for every row it checks. 100,000 practitioners carry six such
checks, which cost 0.25-0.5 s of a 0.5-0.7 s insert on the reference machine; written as OR chains they cost
next to nothing. Every table write on SQLite gains, imports most.

Only the text of the constraints changes, and to equivalent expressions, so no row is read or rewritten. This is
SQLite's documented procedure for changing constraints without rebuilding a table
(https://www.sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema Changes"): within one
transaction, the table definitions in sqlite_schema are updated with writable_schema, the schema version is
raised so every connection re-reads them, and an integrity check must pass before the transaction commits. Each
new definition is first created as a scratch table, so a definition SQLite would not parse is never written.

PostgreSQL keeps its IN lists: it plans them once per statement.

Revision ID: 0006
Revises: 0005
"""

import re
from collections.abc import Callable, Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = r"\"?[A-Za-z_][A-Za-z0-9_]*\"?"
LITERAL = r"'[^']*'"
IN_LIST = re.compile(rf"({NAME}) IN \(({LITERAL}(?:, {LITERAL})*)\)")
OR_CHAIN = re.compile(rf"\((({NAME}) = {LITERAL}(?: OR \2 = {LITERAL})+)\)")


def as_or_chain(match: re.Match[str]) -> str:
    column = match.group(1)
    return "(" + " OR ".join(f"{column} = {value}" for value in re.findall(LITERAL, match.group(2))) + ")"


def as_in_list(match: re.Match[str]) -> str:
    return f"{match.group(2)} IN ({', '.join(re.findall(LITERAL, match.group(1)))})"


def rewrite(pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str]) -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    tables = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table'").all()
    changes = [(name, pattern.sub(replace, sql)) for name, sql in tables if pattern.search(sql)]
    if not changes:
        return
    for _, sql in changes:
        scratch = re.sub(r"^CREATE TABLE (\"[^\"]+\"|\S+)", "CREATE TABLE temp._check_definition", sql, count=1)
        conn.exec_driver_sql(scratch)
        conn.exec_driver_sql("DROP TABLE temp._check_definition")
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar_one()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        for name, sql in changes:
            conn.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (sql, name))
        conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        conn.exec_driver_sql("PRAGMA writable_schema = OFF")
    verdict = conn.exec_driver_sql("PRAGMA integrity_check").all()
    if [tuple(row) for row in verdict] != [("ok",)]:
        raise RuntimeError(f"integrity check failed after rewriting CHECK constraints: {verdict[:5]}")


def upgrade() -> None:
    rewrite(IN_LIST, as_or_chain)


def downgrade() -> None:
    rewrite(OR_CHAIN, as_in_list)
