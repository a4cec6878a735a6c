"""The one import engine behind the CLI and the page: read, normalise, validate every row, then all or nothing.

Each error names the sheet, the Excel row as the user sees it, the column header as written in the file, the
value, and a message in the user's language. If any row is rejected nothing is written. Re-importing updates
rows by their code; rows that did not change are counted as unchanged.
"""

import datetime as dt
import gc
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from enum import Enum
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from dashboard import audit, locks, request_stats
from dashboard import codes as codes_
from dashboard.access import PERSONAL_COLUMNS
from dashboard.bulk import among, bulk_insert, bulk_insert_columns, listed
from dashboard.excel import meeting_rules, rules, training_rules
from dashboard.excel import normalize as norm
from dashboard.excel.reader import BLANK_CHARS, RefusedFile, Sheet, arrow_ints, as_numpy, blank, read_sheets
from dashboard.excel.sandbox import SandboxedWorkbook
from dashboard.excel.sheetscan import column_letters
from dashboard.excel.spec import ENTITIES, Entity, Field
from dashboard.i18n import get_language, t
from dashboard.periods import month_key, quarter_key
from dashboard.privacy import TEXT_COLUMNS, looks_masked
from dashboard.services import workdays
from dashboard.services.errors import RuleError
from data_models import CaseRequest, Enrolment, ImportBatch, ImportChange, PractitionerGroup, Request, RequestSla
from data_models.base import table_of
from data_models.core import utcnow
from data_models.enums import RequestPriority

HEADER_SCAN = 10          # the header may sit below a title row or two
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class RowError:
    sheet: str
    row: int
    column: str
    value: str
    message: str


@dataclass
class ImportResult:
    status: str                       # committed | valid | rejected
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    sheet: str | None = None
    batch_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("batch_id")
        out.pop("sheet")
        return out


def _normaliser(f: Field) -> Callable[[Any], Any]:
    if f.kind == "enum":
        assert f.enum is not None
        lookup = norm.enum_lookup(f.enum)
        allowed = t("excel.list_sep").join(t(f"enum.{f.enum.__name__}.{m.value}") for m in f.enum)
        return lambda raw: norm.enum_value(raw, lookup, allowed)
    if f.kind == "groups":
        lookup = norm.enum_lookup(f.enum)  # type: ignore[arg-type]
        allowed = t("excel.list_sep").join(t(f"enum.VulnerableGroup.{m.value}") for m in f.enum)  # type: ignore[union-attr]

        def groups(raw: Any) -> list[str] | None:
            text = norm.clean_text(raw)
            if text is None:
                return None
            parts = [p for p in text.replace("，", ",").replace("、", ",").replace(";", ",").split(",") if p.strip()]
            return sorted({norm.enum_value(p, lookup, allowed) for p in parts})  # type: ignore[misc]
        return groups
    if f.kind == "int":
        return partial(norm.integer, lo=None if f.lo is None else int(f.lo), hi=None if f.hi is None else int(f.hi))
    if f.kind == "float":
        return partial(norm.number, lo=f.lo, hi=f.hi)
    if f.kind == "money":
        return partial(norm.money, hi=None if f.hi is None else int(f.hi))
    simple: dict[str, Callable[[Any], Any]] = {
        "code": norm.code, "ref": norm.code, "date": norm.date, "bool": norm.boolean, "text": norm.clean_text,
    }
    return simple[f.kind]


Verdict = tuple[bool, Any]          # (True, normalised value) or (False, (message key, params))


_CONTROL_RE2 = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]"      # norm.CONTROL, as Arrow's regular expressions write it


def _clean_already(f: Field, cells: pa.Array) -> np.ndarray | None:
    """Which of a text or code column's distinct cells (Arrow strings) pass as they are, found by Arrow over the
    whole column: not blank, nothing to trim, no control character, no "*" (every masked form has one), not too
    long, and for a code only ASCII (which NFKC leaves as it is). What _verdicts would make of such a cell is the
    cell itself; the others (few in a tidy file) go through it one by one. None for other kinds."""
    if f.kind not in ("text", "code", "ref") or not len(cells):
        return None
    length = pc.utf8_length(cells)
    ok = pc.and_(pc.and_(pc.greater(length, _int32(0)), pc.equal(length, pc.utf8_length(
        pc.utf8_trim(cells, characters=BLANK_CHARS)))),
        pc.invert(pc.or_(pc.match_substring_regex(cells, _CONTROL_RE2), pc.match_substring(cells, "*"))))
    if f.max_len:
        ok = pc.and_(ok, pc.less_equal(length, _int32(f.max_len)))
    if f.kind != "text":
        ok = pc.and_(ok, pc.string_is_ascii(cells))
    return as_numpy(ok) & ~as_numpy(cells.is_null())


def _int32(n: int) -> pa.Array:
    """A one-value int32 array that Arrow broadcasts (a Python int would be a pa.scalar, which imports pandas)."""
    return pa.Array.from_buffers(pa.int32(), 1, [None, pa.py_buffer(np.array([n], np.int32))])[0]


def _verdicts(f: Field, distinct: list[Any], *, masked_check: Callable[[str], bool] | None,
              not_after: dt.date | None = None, clean: np.ndarray | None = None) -> list[Verdict]:
    """Each distinct cell of a column normalised and checked once: lists, flags, dates and amounts repeat a lot.

    `not_after` (an event date's column) refuses dates after that day. `clean`: which cells pass as they are
    (_clean_already)."""
    normalise = _normaliser(f)
    passed = clean.tolist() if clean is not None else [False] * len(distinct)
    # Control characters are rare: one search over the column's text finds whether any cell needs a look.
    controls = norm.control_char("".join(c for c, ok in zip(distinct, passed, strict=True)
                                         if not ok and isinstance(c, str))) is not None
    out: list[Verdict] = []
    for cell, ok in zip(distinct, passed, strict=True):
        if ok:
            out.append((True, cell))
            continue
        char = norm.control_char(cell) if controls and isinstance(cell, str) else None
        if char is not None:
            out.append((False, ("excel.control_char", {"char": char})))
            continue
        try:
            value = normalise(cell)
        except norm.NormError as err:
            out.append((False, (err.key, err.params)))
            continue
        if not_after is not None and value is not None and value > not_after:
            out.append((False, ("excel.future_date", {"today": not_after.isoformat()})))
        elif value is None and f.required:
            out.append((False, ("excel.required", {})))
        elif value is not None and f.max_len and isinstance(value, str) and len(value) > f.max_len:
            out.append((False, ("excel.too_long", {"max": f.max_len})))
        elif masked_check is not None and isinstance(value, str) and masked_check(value):
            # A masked export (张*华, 138****1234) re-imported would overwrite real names.
            out.append((False, ("excel.masked_value", {})))
        else:
            out.append((True, value))
    return out


def _column_letter(index: int) -> str:
    """0 -> A, 26 -> AA: the column as Excel names it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _match_header(entity: Entity, row: list[Any]) -> dict[int, Field] | None:
    """Which file column fills which field, if `row` is the entity's header. Two headers for one field (姓名
    twice, or 姓名 and name) are refused, naming both: which one was meant cannot be guessed."""
    names: dict[str, Field] = {}
    for f in entity.fields:
        names[f.zh.lower()] = f
        names[f.name.lower()] = f
        names[f.column.lower()] = f
    found: dict[int, Field] = {}
    first: dict[Field, int] = {}
    twice: tuple[int, int] | None = None
    for i, cell in enumerate(row):
        text = norm.clean_text(cell)
        if text is None:
            continue
        key = text.lstrip("*").rstrip("*").strip().lower()
        if key in names:
            if names[key] in first:
                twice = twice or (first[names[key]], i)
                continue
            found[i] = names[key]
            first[names[key]] = i
    if entity.code not in found.values():
        return None
    if not all(f in found.values() for f in entity.fields if f.required):
        return None
    if twice is not None:
        a, b = twice
        raise RefusedFile("excel.duplicate_header", first=_cut(str(norm.clean_text(row[a]))),
                          first_col=_column_letter(a), second=_cut(str(norm.clean_text(row[b]))),
                          second_col=_column_letter(b))
    return found


def _find_table(entity: Entity, sheets: Iterable[Sheet]) -> tuple[Sheet, int, dict[int, Field]]:
    """The first sheet, in order, with the entity's header in its first rows; later sheets are not read."""
    for sheet in sheets:
        for r in range(min(HEADER_SCAN, sheet.height)):
            try:
                mapping = _match_header(entity, sheet.row(r))
            except RefusedFile as refused:
                refused.where = (sheet.name, r + 1)  # type: ignore[attr-defined]
                raise
            if mapping:
                return sheet, r, mapping
    zh = get_language() == "zh"
    required = "、".join(f.zh if zh else f"{f.zh} ({f.name})" for f in entity.fields if f.required)
    raise RefusedFile("excel.no_header", entity=t(f"entity.{entity.name}"), required=required)


def _load_refs(conn: Connection, entity: Entity, wanted: dict[str, set[str]]
               ) -> tuple[dict[str, dict[str, tuple]], dict[str, codes_.Lookup]]:
    """code as written -> (id, community_id or None) for every referenced code found, exactly or regardless of
    case where only one stored code fits ("ga" is GA); and per reference the lookup, for what was not found."""
    out: dict[str, dict[str, tuple]] = {}
    lookups: dict[str, codes_.Lookup] = {}
    for ref, codes in wanted.items():
        table = ENTITIES[ref].table
        community = table.c.community_id if "community_id" in table.c else sa.null()
        lookups[ref] = codes_.lookup(conn, table, codes, [table.c.id, community])
        out[ref] = {code: (id_, community_id) for code, (_, id_, community_id) in lookups[ref].found.items()}
    return out, lookups


def _defaults(entity: Entity) -> dict[str, Any]:
    """What a blank optional cell becomes: the model's own default (分配依据 blank is 按销售额, 时长 blank is 10)."""
    out = {}
    for f in entity.fields:
        if f.kind in ("groups", "ref"):
            continue
        col = entity.table.c[f.column]
        default = col.default
        if isinstance(default, ScalarElementColumnDefault) and default.arg is not None:
            value = default.arg
            out[f.column] = value.value if isinstance(value, Enum) else value
        elif not col.nullable:
            out[f.column] = False if f.kind == "bool" else (0 if f.kind in ("int", "money", "float") else "")
    # A new row's columns the template does not have (a request's counters and version) take the model's default.
    listed_columns = {f.column for f in entity.fields}
    for col in entity.table.c:
        default = col.default
        if col.name not in listed_columns and isinstance(default, ScalarElementColumnDefault) \
                and default.arg is not None:
            out[col.name] = default.arg.value if isinstance(default.arg, Enum) else default.arg
    out.update(entity.import_values)          # a column the template does not have: only new rows take it
    return out


Progress = Callable[[float, str], object]       # what it returns is ignored (a Streamlit bar returns itself)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """An import makes millions of short-lived cell objects, none in reference cycles. The cyclic collector
    would walk them over and over: a quarter of the time of a 100,000-row import. It is paused meanwhile."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def shanghai_today() -> dt.date:
    """Today where the dashboard is used: an event dated after it has not happened yet."""
    return dt.datetime.now(SHANGHAI).date()


def import_file(engine: Engine, entity_name: str, data: bytes, file_name: str, *, actor: str,
                dry_run: bool = False, max_bytes: int = 50 * 2**20, progress: Progress | None = None,
                today: dt.date | None = None, parser: SandboxedWorkbook | None = None) -> ImportResult:
    """Validate `data` as rows of `entity_name`; unless `dry_run`, write them all in one transaction.

    `progress(fraction, message)` is told how far it has got, for a progress bar on long files. Event dates
    (registration, sale, need, enrolment, livestream) after `today` (by default today in Asia/Shanghai) are refused.
    `parser`: the parser's child process, started earlier by the caller (see reader.read_sheets).
    """
    with _collector_paused():
        return _import_file(engine, entity_name, data, file_name, actor=actor, dry_run=dry_run,
                            max_bytes=max_bytes, progress=progress, today=today or shanghai_today(), parser=parser)


def _case_requests(engine: Engine, codes: list[Any]) -> set[str]:
    """The codes among `codes` of requests a 五步协商 case took (their rows need no unit nor report-back)."""
    wanted = sorted({str(c) for c in codes if c})
    if not wanted:
        return set()
    request, link = table_of(Request), table_of(CaseRequest)
    found: set[str] = set()
    with engine.connect() as conn:
        for start in range(0, len(wanted), 5000):
            found.update(conn.execute(sa.select(request.c.code).join(link, link.c.request_id == request.c.id)
                                      .where(request.c.code.in_(wanted[start:start + 5000]))).scalars())
    return found


def _import_file(engine: Engine, entity_name: str, data: bytes, file_name: str, *, actor: str,
                 dry_run: bool, max_bytes: int, progress: Progress | None, today: dt.date,
                 parser: SandboxedWorkbook | None = None) -> ImportResult:
    entity = ENTITIES[entity_name]
    report = progress or (lambda _f, _m: None)
    report(0.02, t("io.progress_reading"))
    try:
        sheet, header_row, mapping = _find_table(entity, read_sheets(data, file_name, max_bytes=max_bytes,
                                                                          parser=parser))
    except RefusedFile as refused:
        sheet_name, row = getattr(refused, "where", ("", 0))
        return ImportResult("rejected", errors=[RowError(sheet_name, row, "", _cut(file_name),
                                                         t(refused.key, **refused.params))])

    headers = {i: str(norm.clean_text(sheet.cell(header_row, i))) for i in mapping}
    # A formula saved without its value (openpyxl and some scripts write them so) would read as a blank cell.
    uncomputed = sorted((r, c) for r, c in sheet.formulas if r > header_row and c in mapping)
    if uncomputed:
        return ImportResult("rejected", rejected=len({r for r, _ in uncomputed}), sheet=sheet.name, errors=[
            RowError(sheet.name, r + 1, headers[c], "",
                     t("excel.formula_no_value", cell=f"{column_letters(c + 1)}{r + 1}"))
            for r, c in uncomputed])
    by_field = {f.column: i for i, f in mapping.items()}
    errors: list[RowError] = []
    bad_rows: set[int] = set()
    told: set[tuple[int, int | str | None]] = set()      # (row, column) already given a message

    def fail(excel_row: int, column: int | str | None, cell: Any, key: str, /, **params: Any) -> None:
        """`column` is the file's column index, or the template's header of a column the file does not have."""
        header = column if isinstance(column, str) else headers.get(column, "") if column is not None else ""
        errors.append(RowError(sheet.name, excel_row, header, "" if cell is None else _cut(str(cell)),
                               t(key, **params)))
        bad_rows.add(excel_row)
        told.add((excel_row, column))

    # Blank rows are skipped: a blank code cell is rare, and only then are the other cells looked at.
    first = header_row + 1
    body = [col.slice(first) for col in sheet.columns]
    key = entity.key
    blank_code = blank(body[by_field[key]])
    if blank_code.any():
        blank_row = blank_code.copy()
        for col in body:
            blank_row &= blank(col)
        kept = np.flatnonzero(~blank_row)
    else:
        kept = np.arange(len(blank_code))
    excel_rows: list[int] = (kept + first + 1).tolist()
    if not excel_rows:          # a header and nothing under it: nothing to import, and nothing is written
        return ImportResult("rejected", sheet=sheet.name, errors=[
            RowError(sheet.name, header_row + 1, "", "", t("excel.no_rows", sheet=sheet.name))])
    whole = len(kept) == len(blank_code)          # no blank rows: columns are taken whole, not gathered
    taken = arrow_ints(kept)

    # Column by column: each distinct cell is normalised and checked once (Arrow finds them), then mapped onto
    # the rows by index.
    personal = PERSONAL_COLUMNS.get(entity.name, {})
    texts = TEXT_COLUMNS.get(entity.name, ())
    columns: dict[str, list[Any]] = {}
    for n, (i, f) in enumerate(mapping.items(), start=1):
        report(0.1 + 0.6 * n / len(mapping), t("io.progress_columns", rows=f"{len(kept):,}", done=n,
                                                 total=len(mapping)))
        # A blank cell (null) is one of the distinct values too.
        encoded = (body[i] if whole else body[i].take(taken)).dictionary_encode(null_encoding="encode")
        distinct = encoded.dictionary.to_pylist()
        which = as_numpy(encoded.indices)          # each row's distinct value
        masked = (lambda v: "*" in v) if f.column in personal else looks_masked if f.column in texts else None
        verdicts = _verdicts(f, distinct, masked_check=masked,
                             not_after=today if f.column in entity.event_dates else None,
                             clean=_clean_already(f, encoded.dictionary))
        clean = np.fromiter((value if ok else None for ok, value in verdicts), dtype=object, count=len(verdicts))
        columns[f.column] = clean[which].tolist()
        failing = [k for k, (ok, _) in enumerate(verdicts) if not ok]
        if failing:
            for j in np.flatnonzero(np.isin(which, failing)).tolist():
                err_key, params = verdicts[which[j]][1]
                fail(excel_rows[j], i, distinct[which[j]], err_key, **params)

    # The rules rules.check_row states. Where each reads one column (ranges, positive amounts), each distinct
    # value is checked once; otherwise (dates in order, a stage before the next) row by row over the columns read.
    index: Any                  # the file's column a message names, from here on
    ruled = [c for c in rules.RULE_COLUMNS if c in columns]
    single = rules.single_rules(entity)
    settled = _case_requests(engine, columns.get("code", [])) if entity.name == "requests" and ruled else set()
    if ruled and entity.name not in rules.ROW_RULE_ENTITIES and all(c in single for c in ruled):
        for column in ruled:
            allowed, message = single[column]
            wrong = {v for v in set(columns[column]) if v is not None and not allowed(v)}
            if wrong:
                index = by_field[column]
                for j, v in enumerate(columns[column]):
                    if v in wrong:
                        fail(excel_rows[j], index, sheet.cell(excel_rows[j] - 1, index), message)
    elif ruled:
        for j, excel_row in enumerate(excel_rows):
            values = {c: columns[c][j] for c in ruled}
            in_case = bool(settled) and columns["code"][j] in settled
            for column, message, params in rules.check_row(entity, values, settled=in_case):
                index = by_field.get(column)
                if (excel_row, index) in told:       # a cell refused as written is not told it is blank as well
                    continue
                fail(excel_row, index, None if index is None else sheet.cell(excel_row - 1, index), message,
                     **params)
    # The same code twice in one file: the later row is rejected, naming the first. A key of several columns (a
    # follow-up's enrolment and wave) is a tuple.
    first_seen: dict[Any, int] = {}
    code_col = by_field[key]
    codes = _row_keys(entity, columns)
    for excel_row, code in zip(excel_rows, codes, strict=True):
        if code is None:
            continue
        if code in first_seen:
            fail(excel_row, code_col, code, "excel.duplicate_code", first=first_seen[code])
        else:
            first_seen[code] = excel_row

    report(0.7, t("io.progress_refs"))
    ref_fields = [f for f in entity.fields if f.kind == "ref" and f.column in by_field]
    with engine.connect() as conn:
        seen = _audit_head(conn, entity)   # the write reads these rows again only if they may have changed since
        wanted: dict[str, set[str]] = {}
        for f in ref_fields:
            wanted.setdefault(f.ref, set()).update(c for c in columns[f.column] if c)  # type: ignore[arg-type]
        refs, lookups = _load_refs(conn, entity, wanted)
        if len(entity.key_columns) > 1:       # the key as stored: references as ids
            codes = _row_keys(entity, columns, refs)
        existing = _existing(conn, entity, [c for c in codes if c is not None])
        training = training_rules.facts(conn, entity, codes) if entity.name in training_rules.CHECKED else None
        frozen = meeting_rules.facts(conn) if entity.name in meeting_rules.CHECKED else {}
        stored_parents = _stored_parents(conn, entity)
        deadlines = _deadline_rules(conn) if entity.name == "requests" and "routed_on" in columns else None

    # A unit's parent may be a unit of the same file (resolved once both are written), never the unit itself or
    # one of its own descendants.
    pending: dict[str, str] = {}          # a new parent of the file: unit code -> parent code
    if stored_parents is not None and "parent_id" in columns:
        for j, message, params in rules.unit_tree(codes, columns["parent_id"], stored_parents):
            fail(excel_rows[j], by_field["parent_id"], columns["parent_id"][j], message, **params)
        pending = {code: parent for code, parent in zip(codes, columns["parent_id"], strict=True)
                   if parent is not None and parent not in stored_parents and parent in first_seen}

    # References become ids, column by column; the community comes with the reference it is taken from.
    communities: dict[str, list[Any]] = {}         # per reference, the community of each row's referenced row
    for f in ref_fields:
        found = refs[f.ref]  # type: ignore[index]
        missing = {c for c in set(columns[f.column]) if c is not None and c not in found}
        if f.ref == entity.name:
            missing -= set(pending.values())
        if missing:
            for excel_row, code in zip(excel_rows, columns[f.column], strict=True):
                if code in missing:
                    message, params = _unknown_ref(lookups[f.ref], f.ref, code)  # type: ignore[index,arg-type]
                    fail(excel_row, by_field[f.column], code, message, **params)
        hits = [None if c is None else found.get(c) for c in columns[f.column]]
        communities[f.column] = [None if h is None else h[1] for h in hits]
        columns[f.column] = [None if h is None else h[0] for h in hits]
        if entity.community_from == f.column:
            columns["community_id"] = communities[f.column]
    if entity.name == "requests" and "reported_session_id" in communities:
        # Reported back in a livestream of the community it was raised in, not a neighbour's.
        index = by_field["reported_session_id"]
        for excel_row, raised_in, reported_in in zip(excel_rows, communities["session_id"],
                                                     communities["reported_session_id"], strict=True):
            if raised_in is not None and reported_in is not None and raised_in != reported_in:
                fail(excel_row, index, sheet.cell(excel_row - 1, index), "excel.reported_elsewhere")
    if entity.name == "requests" and "lead_unit_id" in communities:
        # Led by a unit of its own community (or one above communities), as the page's routing requires: a unit
        # of a neighbour would let that unit's party see the request.
        index = by_field["lead_unit_id"]
        for excel_row, raised_in, unit_in in zip(excel_rows, communities["session_id"], communities["lead_unit_id"],
                                                 strict=True):
            if raised_in is not None and unit_in is not None and raised_in != unit_in:
                fail(excel_row, index, sheet.cell(excel_row - 1, index), "excel.unit_elsewhere")
    # An action item's owner party of the meeting's community; a stored item's status moves on the page only.
    if entity.name == "action_items":
        meeting_codes = {id_: code for code, (id_, _) in refs.get("meetings", {}).items()}
        for j, column, message, params in meeting_rules.action_problems(entity, columns, communities, meeting_codes,
                                                                        codes, existing):
            index = by_field[column]
            fail(excel_rows[j], index, sheet.cell(excel_rows[j] - 1, index), message, **params)

    # Follow-ups of completed enrolments only, answered after the course; subsidy rules that do not overlap.
    if training is not None:
        for j, column, message, params in training_rules.problems(entity, training, columns, codes, existing,
                                                                   excel_rows):
            index = by_field.get(column)
            fail(excel_rows[j], rules.header(entity, column) if index is None else index,
                 None if index is None else sheet.cell(excel_rows[j] - 1, index), message, **params)

    # An update leaves the columns the file does not have as stored: the rules across columns (a date after
    # another, a status and the stages it needs) are checked again on the stored values with the file's, or the
    # database would refuse the batch. A new row of an entity with such rules has those columns blank.
    absent = [c for c in rules.RULE_COLUMNS if c in entity.table.c and c not in columns]
    if absent and ruled and (existing or entity.name in rules.ROW_RULE_ENTITIES):
        for j, (excel_row, code) in enumerate(zip(excel_rows, codes, strict=True)):
            old = existing.get(code) if code is not None else None
            if old is None and entity.name not in rules.ROW_RULE_ENTITIES:
                continue
            own = {c: columns[c][j] for c in ruled}
            in_case = code in settled
            said = {p[:2] for p in rules.check_row(entity, own, settled=in_case)}           # already reported above
            for column, message, params in rules.check_row(entity, own | {c: (old or {}).get(c) for c in absent},
                                                           settled=in_case):
                if (column, message) in said:
                    continue
                clash = next((e for later, e in rules.DATE_ORDER if later == column and e in by_field), None) \
                    if message == "excel.date_order" else None
                if column in by_field or clash is not None:    # a stored date: name the file's date it clashes with
                    index = by_field[column if column in by_field else clash]   # type: ignore[index]
                    fail(excel_row, index, sheet.cell(excel_row - 1, index), message, **params)
                else:                                          # a column the file lacks: name it as the template does
                    fail(excel_row, rules.header(entity, column), None, message, **params)
    if entity.name == "requests" and existing:
        for excel_row, code, status in zip(excel_rows, codes, columns["status"], strict=True):
            stored = existing.get(code, {}).get("status")
            if rules.status_backwards(stored, status):
                fail(excel_row, by_field["status"], sheet.cell(excel_row - 1, by_field["status"]),
                     "excel.request_status_backwards", stored=t(f"enum.RequestStatus.{stored}"))

    if deadlines is not None and not errors:
        for j, priority in _routing_dates(columns, [existing.get(c, {}) for c in codes], *deadlines):
            fail(excel_rows[j], by_field.get("deadline", rules.header(entity, "deadline")), None, "excel.no_sla",
                 priority=t(f"enum.RequestPriority.{priority}"))

    result = ImportResult("rejected", rows=len(excel_rows), sheet=sheet.name)
    if errors:
        result.errors = sorted(errors, key=lambda e: e.row)      # stable: within a row, columns in file order
        result.rejected = len(bad_rows)
        return result

    # A blank cell takes the column's default; a column the file does not have is left as it is, except that
    # a new row takes every default. Quarter and month follow the date they come from.
    defaults = _defaults(entity)
    for name, default in defaults.items():
        if name in columns and None in columns[name]:
            columns[name] = [default if v is None else v for v in columns[name]]
    if entity.period_from:
        days = columns[entity.period_from]
        quarters = {d: quarter_key(d) for d in set(days)}
        columns["quarter"] = [quarters[d] for d in days]
        if "month" in entity.table.c:
            months = {d: month_key(d) for d in set(days)}
            columns["month"] = [months[d] for d in days]
    fresh = [j for j, code in enumerate(codes) if code not in existing]
    new = {name: (values if len(fresh) == len(codes) else [values[j] for j in fresh])
           for name, values in columns.items()}
    count = len(fresh)
    for name, default in defaults.items():
        new.setdefault(name, [default] * count)
    changed = []
    touched = set(fresh)
    if len(fresh) < len(codes):
        names = list(columns)
        is_fresh = set(fresh)
        for j, code in enumerate(codes):
            if j in is_fresh:
                continue
            row = {name: columns[name][j] for name in names}
            if _differs(existing[code], row):
                changed.append(row)
                touched.add(j)
    # A row that would add to or change a meeting whose minutes left draft (unchanged rows of it pass).
    for j, column, message, params in meeting_rules.problems(entity, frozen, columns, codes, existing, touched):
        index = by_field[column]
        fail(excel_rows[j], index, sheet.cell(excel_rows[j] - 1, index), message, **params)
    if errors:
        result.errors = sorted(errors, key=lambda e: e.row)
        result.rejected = len(bad_rows)
        return result
    result.created, result.updated = count, len(changed)
    result.unchanged = len(codes) - count - len(changed)
    result.status = "valid"
    if dry_run:
        return result

    report(0.85, t("io.progress_writing"))
    digest = hashlib.sha256(data).hexdigest()
    try:
        with engine.begin() as conn:
            # One import (or undo) of an entity at a time, and the values undo will restore are those stored
            # now: if another import changed these rows since they were checked, nothing is written.
            _serialise_imports(conn, entity)
            if _audit_head(conn, entity) != seen and not _same_rows(_existing(conn, entity, [c for c in codes if c]),
                                                             existing):
                raise RuleError("excel.changed_meanwhile")
            meeting_rules.recheck(conn, entity, columns, codes, touched)     # a meeting circulated since the checks
            batch_id = conn.execute(sa.insert(table_of(ImportBatch)).values(  # type: ignore[index]  # SQLAlchemy types inserted_primary_key Optional
                entity=entity.name, file_name=file_name[:255], sha256=digest, actor=actor,
                at=utcnow(), created=result.created, updated=result.updated, unchanged=result.unchanged,
                rejected=0)).inserted_primary_key[0]
            stats_before = request_stats.pairs_of(conn, entity.table, [c for c in codes if c])
            _write(conn, entity, new, changed)
            _set_parents(conn, entity, pending)
            training_rules.after_import(conn, entity, [c for c in codes if c], today=today)
            _record_changes(conn, entity, int(batch_id), new, changed, existing)
            audit.record(conn, actor=actor, action="import", entity=entity.table.name, entity_id=file_name[:64],
                         after={"created": result.created, "updated": result.updated,
                                "unchanged": result.unchanged, "sha256": digest},
                         import_batch_id=batch_id)
            request_stats.after_import(conn, entity.table, [c for c in codes if c], stats_before)
    except sa.exc.IntegrityError as exc:
        # A rule the checks above do not know: still nothing is written, and the user is told which.
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None) or str(exc.orig)[:200]
        return ImportResult("rejected", rows=len(excel_rows), rejected=len(excel_rows),
                            errors=[RowError(sheet.name, 0, "", "", t("excel.db_refused", rule=constraint))])
    except RuleError as refused:
        return ImportResult("rejected", rows=len(excel_rows), rejected=len(excel_rows),
                            errors=[RowError(sheet.name, 0, "", "", refused.message())])
    result.status = "committed"
    result.batch_id = int(batch_id)
    return result


VERSION_AFTER = "_version_after"


def _key_label(conn: Connection, entity: Entity, key_text: str) -> str:
    """A row's key as the user typed it: a follow-up's «E00012 / m3» (its enrolment's code, not its id)."""
    if len(entity.key_columns) == 1:
        return key_text
    first, *rest = key_text.split("|")
    code = conn.execute(sa.select(table_of(Enrolment).c.code).where(table_of(Enrolment).c.id == int(first))
                        ).scalar() if entity.name == "followups" else first
    return " / ".join([str(code or first), *rest])


# The tables whose writes mark need_stats' and training_stats' pairs (migrations 0012, 0017, 0019). Their imports
# overlap in the pairs they mark (a practitioner's change marks their needs' and enrolments' pairs) and write row by
# row: two at once could each hold a mark the other waits for, a deadlock PostgreSQL ends by aborting one of them.
SUMMARY_WATCHED = frozenset({"practitioner", "need_assessment", "sale", "enrolment", "training_followup"})


def _serialise_imports(conn: Connection, entity: Entity) -> None:
    """One import (or undo) of an entity at a time; and one at a time of all the tables the summaries watch. That
    lock first and on its own, so a batch import that takes several entities' locks never waits in a cycle."""
    if entity.table.name in SUMMARY_WATCHED:
        locks.serialise(conn, "import:summary-marks")
    locks.serialise(conn, f"import:{entity.name}")


def _audit_head(conn: Connection, entity: Entity) -> int | None:
    """The last audit entry about this entity's table (or all data, as a demo reset). Every write is audited under
    its table's name and appends are serialised, so a write to these rows committed after this was read has a
    larger id; sign-ins and other tables' writes, which happen all day, do not make an import read its rows again."""
    t_ = audit.TABLE
    return conn.execute(sa.select(sa.func.max(t_.c.id)).where(t_.c.entity.in_((entity.table.name, "*")))).scalar()


def _same_rows(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]]) -> bool:
    """The stored rows of two reads are the same (a practitioner's groups in any order)."""
    return a.keys() == b.keys() and all(
        {**row, "groups": sorted(row.get("groups") or [])} == {**b[code], "groups": sorted(b[code].get("groups") or [])}
        for code, row in a.items())


def _differs(old: dict[str, Any], row: dict[str, Any]) -> bool:
    if any(old.get(k) != v for k, v in row.items() if k != "groups"):
        return True
    return "groups" in row and sorted(old.get("groups") or []) != sorted(row["groups"] or [])


def _unknown_ref(found: codes_.Lookup, ref: str, code: str) -> tuple[str, dict[str, Any]]:
    """Why a reference was not found: two stored codes differ only in case, a close one exists, or none."""
    if code in found.ambiguous:
        return "excel.ambiguous_ref", {"entity": _entity_zh(ref), "code": _cut(code),
                                       "codes": "、".join(found.ambiguous[code])}
    if code in found.close:
        return "excel.unknown_ref_close", {"entity": _entity_zh(ref), "code": _cut(code), "close": found.close[code]}
    return "excel.unknown_ref", {"entity": _entity_zh(ref), "code": _cut(code)}


def _cut(text: str, limit: int = 60) -> str:
    """A cell as an error message quotes it: a 100,000-character cell is not echoed back whole."""
    return text if len(text) <= limit else text[:limit] + t("excel.cut", n=f"{len(text):,}")


def _entity_zh(name: str) -> str:
    return t(f"entity.{name}")


def _keyed(conn: Connection, entity: Entity, keys: list[Any]) -> sa.ColumnElement[bool]:
    """The rows whose key is one of `keys`. A key that is not a code (a calendar day, an SLA's priority) belongs
    to a table of a few hundred rows: a plain IN list."""
    column = entity.table.c[entity.key]
    return among(conn, column, keys) if entity.key == "code" else column.in_(keys)


def _stored_parents(conn: Connection, entity: Entity) -> dict[str, str | None] | None:
    """For an entity whose rows have a parent of their own kind (units): every stored code -> its parent's code.
    A township's units are a few hundred rows."""
    if not any(f.ref == entity.name for f in entity.fields):
        return None
    table = entity.table
    parent = table.alias("parent")
    return dict(conn.execute(sa.select(table.c.code, parent.c.code)
                             .join_from(table, parent, parent.c.id == table.c.parent_id, isouter=True)).all())


def _set_parents(conn: Connection, entity: Entity, pending: dict[str, str]) -> None:
    """Parents that are rows of the same file, now that both are written."""
    if not pending:
        return
    table = entity.table
    parent = table.alias("parent")
    by_code = sa.select(parent.c.id).where(parent.c.code == sa.bindparam("_parent")).scalar_subquery()
    conn.execute(table.update().where(table.c.code == sa.bindparam("_code")).values(parent_id=by_code),
                 [{"_code": code, "_parent": p} for code, p in pending.items()])


def _deadline_rules(conn: Connection) -> tuple[workdays.Calendar, dict[str, int]]:
    """The working-day calendar and the working days each priority has (request_sla)."""
    sla = table_of(RequestSla)
    return workdays.load(conn), {str(p): int(n) for p, n in conn.execute(sa.select(sla.c.priority,
                                                                                   sla.c.working_days))}


def _routing_dates(columns: dict[str, list[Any]], stored: list[dict[str, Any]], calendar: workdays.Calendar,
                   sla: dict[str, int]) -> list[tuple[int, str]]:
    """A routed request with no deadline gets its priority's working days after 转办 on the Chinese calendar (as
    routing on the page does); the first routing date is the earlier of the stored one and the file's. Returns
    the rows whose priority has no SLA row (an admin deleted it), with the priority."""
    routed = columns["routed_on"]
    given = columns.get("priority") or [None] * len(routed)
    priority = [str(p or s.get("priority") or RequestPriority.general) for p, s in zip(given, stored, strict=True)]
    deadline = columns.get("deadline") or [s.get("deadline") for s in stored]
    missing = [(j, p) for j, (d, r, p) in enumerate(zip(deadline, routed, priority, strict=True))
               if d is None and r is not None and p not in sla]
    columns["deadline"] = [d if d is not None or r is None or p not in sla else calendar.add_working_days(r, sla[p])
                           for d, r, p in zip(deadline, routed, priority, strict=True)]
    columns["first_routed_on"] = [min((d for d in (s.get("first_routed_on"), r) if d is not None), default=None)
                                  for s, r in zip(stored, routed, strict=True)]
    return missing


def _existing(conn: Connection, entity: Entity, codes: list[Any]) -> dict[Any, dict[str, Any]]:
    """The stored values of rows whose code is in the file, to tell updated from unchanged."""
    table = entity.table
    columns = [c for c in table.c if c.name != "id"]
    id_ = [table.c.id] if "id" in table.c else []
    out: dict[Any, dict[str, Any]] = {}
    keys = entity.key_columns
    if len(keys) > 1:       # (enrolment id, wave): the rows of the file's enrolments, then the file's keys
        wanted = set(codes)
        first = list({c[0] for c in wanted})
        for row in conn.execute(sa.select(*id_, *columns).where(among(conn, table.c[keys[0]], first))).mappings():
            row_key = tuple(row[k] for k in keys)
            if row_key in wanted:
                out[row_key] = {k: v for k, v in row.items() if k != "id"} | {"_id": row.get("id")}
        return out
    for row in conn.execute(sa.select(*id_, *columns).where(_keyed(conn, entity, codes))).mappings():
        out[row[entity.key]] = {k: v for k, v in row.items() if k != "id"} | {"_id": row.get("id")}
    if entity.name == "practitioners" and out:
        g = table_of(PractitionerGroup)
        ids = {v["_id"]: code for code, v in out.items()}
        for pid, group in conn.execute(sa.select(g.c.practitioner_id, g.c.group)
                                       .where(among(conn, g.c.practitioner_id, list(ids)))):
            out[ids[pid]].setdefault("groups", []).append(group)
    return out


def _record_changes(conn: Connection, entity: Entity, batch_id: int, new: dict[str, list[Any]],
                    changed: list[dict[str, Any]], existing: dict[Any, dict[str, Any]]) -> None:
    """What undo needs: the codes this batch created, and the earlier values of the columns it changed."""
    table = table_of(ImportChange)
    key = entity.key
    if new[key]:
        codes = listed(conn, [str(k) for k in new[key]], table.c.code.type).subquery()
        conn.execute(table.insert().from_select(
            ["batch_id", "code", "before"],
            sa.select(sa.literal(batch_id), codes.c.value, sa.null())))
    rows: list[tuple[int, str, str | None]] = []
    keys = entity.key_columns
    for r in changed:
        row_key = tuple(r[k] for k in keys) if len(keys) > 1 else r[key]
        old = existing[row_key]
        before = {k: (old.get(k) or []) if k == "groups" else old.get(k) for k in r if k not in keys}
        if "version" in entity.table.c:       # the version this import leaves: undo checks nobody moved it since
            before[VERSION_AFTER] = int(old["version"]) + 1
        rows.append((batch_id, _key_text(row_key), json.dumps(before, ensure_ascii=False, default=str)))
    if rows:
        bulk_insert(conn, table, ["batch_id", "code", "before"], rows)


def _latest(conn: Connection, entity: Entity) -> Any:
    batches = table_of(ImportBatch)
    return conn.execute(sa.select(batches.c.id, batches.c.file_name, batches.c.at, batches.c.actor, batches.c.created,
                                  batches.c.updated)
                        .where(batches.c.entity == entity.name, batches.c.undone_at.is_(None))
                        .order_by(batches.c.id.desc()).limit(1)).first()


def latest_import(engine: Engine, entity_name: str) -> Any:
    """The import of an entity that undo would undo now (id, file_name, at, actor, created, updated), or None."""
    with engine.connect() as conn:
        return _latest(conn, ENTITIES[entity_name])


def undo_last(engine: Engine, entity_name: str, *, actor: str, batch_id: int | None = None) -> dict[str, Any]:
    """Undo the latest batch of an entity: delete what it created, restore what it changed. All or nothing.
    `batch_id`: the batch the user was shown; refused if another import has come since (it would undo that one)."""
    entity = ENTITIES[entity_name]
    table, batches = entity.table, table_of(ImportBatch)
    changes_t = table_of(ImportChange)
    try:
        with engine.begin() as conn:
            _serialise_imports(conn, entity)
            batch = _latest(conn, entity)
            if batch is None:
                raise RuleError("excel.nothing_to_undo", entity=t(f"entity.{entity.name}"))
            if batch_id is not None and batch.id != batch_id:
                shown = conn.execute(sa.select(batches.c.file_name).where(batches.c.id == batch_id)).scalar()
                raise RuleError("excel.undo_not_latest", file=shown or "?", newer=batch.file_name, who=batch.actor)
            changes = conn.execute(sa.select(changes_t.c.code, changes_t.c.before)
                                   .where(changes_t.c.batch_id == batch.id)).all()
            meeting_rules.before_undo(conn, entity, [(code, before) for code, before in changes])
            created = [_restore(table, entity.key, code) for code, before in changes if before is None]
            stats_before = request_stats.pairs_of(conn, table, [code for code, _ in changes])
            restored = 0
            # Restored first: an updated unit may name a unit this batch created as its parent.
            for code, before in changes:
                if before is None:
                    continue
                saved = json.loads(before)
                seen = saved.pop(VERSION_AFTER, None)
                values = {k: _restore(table, k, v) for k, v in saved.items()}
                if seen is not None:
                    # A row with a version (a request, a follow-up) recorded on the page after this import would
                    # lose that record to the import's old values: refused, naming the row.
                    now = conn.execute(sa.select(table.c.version).where(*_key_match(entity, code))).scalar()
                    if now is not None and int(now) != int(seen):
                        raise RuleError("excel.undo_changed_since", entity=t(f"entity.{entity.name}"),
                                        code=_key_label(conn, entity, code))
                groups = values.pop("groups", None)
                conn.execute(table.update().where(*_key_match(entity, code)).values(**values, **_bumped(table)))
                if entity.name == "practitioners" and groups is not None:
                    _restore_groups(conn, table, code, groups)
                restored += 1
            training_rules.before_delete(conn, entity, created)
            conn.execute(table.delete().where(_keyed(conn, entity, created)))
            training_rules.after_import(conn, entity, [code for code, before in changes if before is not None],
                                        today=shanghai_today())
            conn.execute(batches.update().where(batches.c.id == batch.id).values(undone_at=utcnow()))
            summary = {"batch": batch.id, "file": batch.file_name, "deleted": len(created), "restored": restored}
            audit.record(conn, actor=actor, action="undo_import", entity=table.name, entity_id=str(batch.id),
                         after=summary, import_batch_id=batch.id)
            request_stats.after_import(conn, table, [code for code, _ in changes], stats_before)
    except sa.exc.IntegrityError as exc:
        raise RuleError("excel.undo_referenced", entity=t(f"entity.{entity.name}")) from exc
    return summary


def _row_keys(entity: Entity, columns: dict[str, list[Any]],
              refs: dict[str, dict[str, tuple]] | None = None) -> list[Any]:
    """Each row's key: its code, or for a key of several columns a tuple (None where a part is blank). With
    `refs`, a referenced code in the key becomes the id it is stored as."""
    keys = entity.key_columns
    if len(keys) == 1:
        return columns[keys[0]]
    parts = []
    for k in keys:
        f = next(f for f in entity.fields if f.column == k)
        values = columns[k]
        if refs is not None and f.kind == "ref":
            found = refs[f.ref]  # type: ignore[index]
            values = [None if v is None or v not in found else found[v][0] for v in values]
        parts.append(values)
    return [None if any(p is None for p in row) else row for row in zip(*parts, strict=True)]


def _key_text(row_key: Any) -> str:
    """A key as undo keeps it: a code, or the parts of a key of several columns joined by '|' (ids and codes)."""
    return "|".join(str(p) for p in row_key) if isinstance(row_key, tuple) else str(row_key)


def _key_match(entity: Entity, text: str) -> list[sa.ColumnElement[bool]]:
    """The row undo restores, from its kept key."""
    table, keys = entity.table, entity.key_columns
    parts = text.split("|") if len(keys) > 1 else [text]
    out = []
    for k, part in zip(keys, parts, strict=True):
        value: Any = int(part) if isinstance(table.c[k].type, sa.Integer) else _restore(table, k, part)
        out.append(table.c[k] == value)
    return out


def _bumped(table: sa.Table) -> dict[str, Any]:
    """A row with a version (a request) changed by an import or its undo: a page move that saw the old version is
    refused instead of overwriting the import."""
    return {"version": table.c.version + 1} if "version" in table.c else {}


def _restore(table: sa.Table, column: str, value: Any) -> Any:
    if value is not None and column in table.c and isinstance(table.c[column].type, sa.Date):
        return dt.date.fromisoformat(value)
    return value


def _restore_groups(conn: Connection, table: sa.Table, code: str, groups: list[str]) -> None:
    g = table_of(PractitionerGroup)
    pid = conn.execute(sa.select(table.c.id).where(table.c.code == code)).scalar_one()
    conn.execute(g.delete().where(g.c.practitioner_id == pid))
    for group in groups:
        conn.execute(g.insert().values(practitioner_id=pid, group=group))


def _write(conn: Connection, entity: Entity, new: dict[str, list[Any]], changed: list[dict[str, Any]]) -> None:
    """`new` is column by column (every column the same length); `changed` is row by row."""
    table = entity.table
    key = entity.key
    if new[key]:
        data = {c: new[c] for c in sorted(new) if c != "groups"}
        for c, values in data.items():
            if isinstance(table.c[c].type, sa.Date):     # dates as ISO text for the raw bulk path, each once
                iso = {d: d.isoformat() for d in set(values) if d is not None}
                data[c] = [None if d is None else iso[d] for d in values]
        bulk_insert_columns(conn, table, data)
    if changed:
        # Only the columns the file has (and those derived from them) change; every changed row has the same.
        keys = entity.key_columns
        columns = sorted(k for k in changed[0] if k not in ("groups", *keys))
        update = (table.update().where(*(table.c[k] == sa.bindparam(f"_key_{k}") for k in keys))
                  .values({c: sa.bindparam(f"_{c}") for c in columns} | _bumped(table)))
        conn.execute(update, [{**{f"_key_{k}": row[k] for k in keys}, **{f"_{c}": row.get(c) for c in columns}}
                              for row in changed])
    if entity.name == "practitioners":
        # The file's groups replace the stored ones; a new practitioner has none to replace.
        groups_of = dict(zip(new["code"], new["groups"], strict=True)) if "groups" in new else {}
        replaced = {r["code"]: r["groups"] for r in changed if "groups" in r}
        groups_of.update(replaced)
        if groups_of:
            g = table_of(PractitionerGroup)
            ids = dict(conn.execute(sa.select(table.c.code, table.c.id)
                                    .where(among(conn, table.c.code, list(groups_of)))).all())
            if replaced:
                conn.execute(g.delete().where(among(conn, g.c.practitioner_id, [ids[code] for code in replaced])))
            pairs = [(ids[code], grp) for code, groups in groups_of.items() for grp in (groups or [])]
            if pairs:
                bulk_insert(conn, g, ["practitioner_id", "group"], pairs)
