"""Each template's example row, taken from the demo data generator: codes that exist in the demo (GA, P00001),
values that pass the import's rules. No database is read: a template can be made before there is one.

For each entity the example is one whole generated row, so the values agree with each other (a closed need has
every date of its loop, a completed enrolment was attended): among the first rows, the earliest with the most
columns filled. Running the generator takes seconds, so the rows are kept in examples.json, written by
`python -m dashboard.excel.examples`; a test checks that the file is what the generator gives.
"""

import datetime as dt
import json
import math
from functools import cache
from pathlib import Path
from typing import Any

from dashboard.excel.spec import ENTITIES, Entity, Field
from dashboard.i18n import t

SCANNED = 500        # rows looked at per table for the most complete one
STORED = Path(__file__).with_name("examples.json")


@cache
def _demo() -> dict[str, dict[str, list[Any]]]:
    """The demo scale's tables as plain lists (about a second, once per process)."""
    from seed import generate  # here, not at import: seed builds on dashboard, and only templates need it

    return {table: {c: (v.tolist() if hasattr(v, "tolist") else list(v)) for c, v in cols.items()}
            for table, cols in generate("demo").items()}


def _blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


@cache
def _codes(table: str) -> dict[Any, str]:
    cols = _demo()[table]
    return dict(zip(cols["id"], cols["code"], strict=True))


@cache
def _groups() -> dict[Any, list[str]]:
    out: dict[Any, list[str]] = {}
    g = _demo()["practitioner_group"]
    for pid, group in zip(g["practitioner_id"], g["group"], strict=True):
        out.setdefault(pid, []).append(group)
    return out


# Tables the demo data leaves alone (the migration fills request_sla, an admin calendar_day): their examples are
# written out. 2027 is a year chinese-calendar 1.11 does not know, the case the calendar table is for.
WRITTEN: dict[str, dict[str, Any]] = {
    "calendar_days": {"day": "2027-01-01", "is_workday": False, "note": "元旦"},
    "request_slas": {"priority": "general", "working_days": 5},
    # The rule migration 0011 puts in every database.
    "subsidy_rules": {"code": "BT-DEFAULT",
                      "title": "职业技能培训补贴（通用规则：取证后拨付60%，六个月内就业率达50%再拨付40%）",
                      "valid_from": "2020-01-01", "valid_to": None, "basic_cents": 80_000,
                      "intermediate_cents": 150_000, "advanced_cents": 250_000, "first_pct": 60,
                      "employment_pct": 50, "window_months": 6, "claim_grace_days": 30},
}


def derive(entity_name: str) -> dict[str, Any]:
    """column -> the chosen demo row's stored value, references as the code they name, groups as a list."""
    if entity_name in WRITTEN:
        return WRITTEN[entity_name]
    entity = ENTITIES[entity_name]
    cols = _demo()[entity.table.name]
    height = len(next(iter(cols.values())))

    def value(f: Field, i: int) -> Any:
        if f.kind == "groups":
            return sorted(_groups().get(cols["id"][i], [])) or None
        v = cols[f.column][i] if f.column in cols else None     # a column the demo leaves at its default
        if f.kind == "ref" and not _blank(v):
            assert f.ref is not None
            return _codes(ENTITIES[f.ref].table.name)[v]
        return None if _blank(v) else v

    def filled(i: int) -> int:
        return sum(value(f, i) is not None for f in entity.fields)

    best = max(range(min(height, SCANNED)), key=lambda i: (filled(i), -i))
    return {f.column: value(f, best) for f in entity.fields}


@cache
def _stored() -> dict[str, dict[str, Any]]:
    return json.loads(STORED.read_text(encoding="utf-8"))


def example_row(entity_name: str) -> dict[str, Any]:
    return _stored()[entity_name]


def _text(f: Field, v: Any) -> str:
    """A stored value as a person types it into the template, in the current language."""
    if _blank(v):
        return ""
    if f.kind == "enum":
        assert f.enum is not None
        return t(f"enum.{f.enum.__name__}.{v}")
    if f.kind == "groups":
        return "、".join(t(f"enum.VulnerableGroup.{g}") for g in v)
    if f.kind == "bool":
        return t("common.yes") if v else t("common.no")
    if f.kind == "money":
        return f"{int(v) // 100}.{int(v) % 100:02d}"
    if f.kind == "int":
        return str(int(v))
    if f.kind == "float":
        return f"{float(v):g}"
    if f.kind == "date":
        return v.isoformat() if isinstance(v, dt.date) else str(v)
    return str(v)


def examples(entity: Entity) -> dict[str, str]:
    """column -> the example text for the template's instructions."""
    row = example_row(entity.name)
    return {f.column: _text(f, row[f.column]) for f in entity.fields}


if __name__ == "__main__":
    STORED.write_text(json.dumps({name: derive(name) for name in ENTITIES}, ensure_ascii=False, indent=1) + "\n",
                      encoding="utf-8")
    print(STORED)
