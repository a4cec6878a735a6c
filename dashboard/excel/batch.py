"""批量导入: several filled-in templates at once, each recognised by its header, checked and written in dependency
order (practitioners before needs, courses before enrolments, livestreams before requests) in ONE transaction.

Built on the importer's public `import_file`, which takes an Engine and opens its own connections and transaction.
Here it is handed a stand-in (`_Shared`) whose every connection is the batch's one connection and whose every
transaction is a SAVEPOINT inside the batch's transaction: each file's checks see the rows of the files before it
(a needs file may name practitioners of the same batch), and nothing is committed unless every file passed. The
preview runs the same writes and rolls them back, so what it says is exactly what the import will do.
"""

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, cast

from sqlalchemy.engine import Connection, Engine

from dashboard import access
from dashboard.excel import normalize as norm
from dashboard.excel.importer import HEADER_SCAN, ImportResult, RowError, import_file
from dashboard.excel.reader import RefusedFile, read_sheets
from dashboard.excel.spec import ENTITIES, Entity
from dashboard.i18n import label, t, use_language
from data_models.enums import Role

Progress = Callable[[float, str], object]


@dataclass(frozen=True)
class Upload:
    """One uploaded file and, once recognised, the entity its rows are (None: not recognised, `problem` says why)."""
    name: str
    data: bytes
    entity: str | None = None
    problem: str | None = None


@dataclass
class FileOutcome:
    """What became of one file. status: valid | committed | rejected (its rows have errors; `result` lists them) |
    unrecognised | refused (the role may not import the entity) | waiting (a file it depends on failed)."""
    name: str
    entity: str | None
    status: str
    result: ImportResult | None = None
    message: str = ""

    @property
    def errors(self) -> list[RowError]:
        return self.result.errors if self.result is not None else []


@dataclass
class BatchResult:
    status: str                                        # committed | valid | rejected
    files: list[FileOutcome] = field(default_factory=list)   # in the order they were (or would be) imported

    @property
    def order(self) -> list[str]:
        """The entities in the order they are written."""
        return [f.entity for f in self.files if f.entity is not None]

    def total(self, counter: str) -> int:
        """created, updated, unchanged or rows, over every file."""
        return sum(getattr(f.result, counter) for f in self.files if f.result is not None)


def _header_names(entity: Entity) -> dict[str, str]:
    """Every header a file may use for a field of `entity` (Chinese, English, the column's own name) -> column."""
    out: dict[str, str] = {}
    for f in entity.fields:
        for name in (f.zh, f.name, f.column):
            out[name.lower()] = f.column
    return out


HEADERS = {name: _header_names(e) for name, e in ENTITIES.items()}


def _sheet_names(entity: str) -> set[str]:
    """What a template's data sheet is called in either language (the template names it after its entity)."""
    names = set()
    for lang in ("zh", "en"):
        with use_language(lang):
            names.add(t(f"entity.{entity}").lower())
    return names | {entity, ENTITIES[entity].zh.lower()}


def _fits(row: Sequence[Any], sheet_name: str) -> list[tuple[tuple[int, bool, int], str]]:
    """The entities whose template header `row` is (its code and every required column present), each with how well
    it fits (lower is better): it uses more of the row's headers, the sheet is named after it (as the template's
    is), it misses fewer of its own columns. A parties file fits units too (the same required columns): units'
    other columns, or the sheet's name, tell them apart. Best first; where two fit equally, in the templates' order."""
    cells = set()
    for cell in row:
        text = norm.clean_text(cell)
        if text is not None:
            cells.add(str(text).lstrip("*").rstrip("*").strip().lower())
    scored = []
    for name, entity in ENTITIES.items():
        names = HEADERS[name]
        present = {names[c] for c in cells if c in names}
        if entity.code.column not in present or any(f.column not in present for f in entity.fields if f.required):
            continue
        named = sheet_name.strip().lower() in _sheet_names(name)
        scored.append(((-len(present), not named, len(entity.fields) - len(present)), name))
    return sorted(scored, key=lambda s: (s[0], list(ENTITIES).index(s[1])))


def fitting(row: Sequence[Any], sheet_name: str = "") -> list[str]:
    """The entities whose template header `row` is, best first (see _fits)."""
    return [name for _, name in _fits(row, sheet_name)]


def recognise(data: bytes, file_name: str, *, max_bytes: int) -> str:
    """The entity a file holds, from the first sheet (in order) with a template header in its first rows, as the
    importer itself finds the header. Raises RefusedFile (with a message key) if no sheet has one, if two entities
    fit equally well, or if the file cannot be read."""
    for sheet in read_sheets(data, file_name, max_bytes=max_bytes):
        for r in range(min(HEADER_SCAN, sheet.height)):
            found = _fits(sheet.row(r), sheet.name)
            if len(found) > 1 and found[0][0] == found[1][0]:
                raise RefusedFile("io.batch.ambiguous", entities="、".join(t(f"entity.{e}") for _, e in found[:2]))
            if found:
                return found[0][1]
    raise RefusedFile("io.batch.unknown")


def recognised(upload: Upload, *, max_bytes: int) -> Upload:
    """`upload` with its entity, or with the reason it has none."""
    try:
        return replace(upload, entity=recognise(upload.data, upload.name, max_bytes=max_bytes), problem=None)
    except RefusedFile as refused:
        return replace(upload, entity=None, problem=t(refused.key, **refused.params))


def depends_on(entity: str) -> set[str]:
    """The other entities whose codes `entity`'s rows name (a need names its practitioner), transitively."""
    out: set[str] = set()
    todo = [entity]
    while todo:
        for f in ENTITIES[todo.pop()].fields:
            if f.kind == "ref" and f.ref is not None and f.ref != entity and f.ref not in out:
                out.add(f.ref)
                todo.append(f.ref)
    return out


def import_order(uploads: Sequence[Upload]) -> list[Upload]:
    """Recognised files in an order where every entity comes after the entities it names (the templates' own order
    where nothing decides; files of one entity in upload order). Unrecognised files come last."""
    position = {name: i for i, name in enumerate(ENTITIES)}
    known = [u for u in uploads if u.entity is not None]
    done: list[Upload] = []
    left = list(known)
    while left:
        present = {u.entity for u in left}
        ready = [u for u in left if not (depends_on(u.entity) & present - {u.entity})]  # type: ignore[arg-type]
        first = min(ready or left, key=lambda u: position[u.entity])  # type: ignore[index]
        same = [u for u in left if u.entity == first.entity]
        done.extend(same)
        left = [u for u in left if u.entity != first.entity]
    return done + [u for u in uploads if u.entity is None]


class _Shared:
    """The Engine the importer is given: its connect() is the batch's connection and its begin() a SAVEPOINT in the
    batch's transaction, so each file's write can fail alone (and be reported) while the batch stays usable. Only
    what the importer uses is offered; anything else raises AttributeError instead of escaping the transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.dialect = conn.dialect
        self.url = conn.engine.url

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        yield self._conn

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self._conn.begin_nested():
            yield self._conn


@contextmanager
def _one_transaction(engine: Engine) -> Iterator[Connection]:
    """One connection in one transaction, left to the caller to commit; rolled back otherwise. On SQLite the write
    lock is taken first (BEGIN IMMEDIATE), as dashboard.locks does: the checks read what the writes will see."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.begin()
        try:
            yield conn
        finally:
            if conn.in_transaction():
                conn.rollback()


def run_batch(engine: Engine, uploads: Sequence[Upload], *, role: Role | str, actor: str, commit: bool,
              max_bytes: int = 50 * 2**20, today: dt.date | None = None,
              progress: Progress | None = None) -> BatchResult:
    """Check (commit False) or import (commit True) recognised `uploads`, all or nothing.

    Every file is imported in dependency order inside one transaction; the transaction is committed only if
    `commit` and every file passed, and rolled back otherwise (so a preview writes nothing). A file the role may not
    import is refused by its entity's name; a file that depends on one that failed is not checked (its codes would
    all read as unknown) but waits for it."""
    ordered = import_order(uploads)
    outcomes: list[FileOutcome] = []
    failed: set[str] = set()
    report = progress or (lambda _f, _m: None)
    with _one_transaction(engine) as conn:
        shared = cast(Engine, _Shared(conn))
        for n, upload in enumerate(ordered):
            entity = upload.entity
            if entity is None:
                outcomes.append(FileOutcome(upload.name, None, "unrecognised", message=upload.problem or ""))
                continue
            if not access.can_import(role, entity):
                failed.add(entity)
                outcomes.append(FileOutcome(upload.name, entity, "refused", message=t(
                    "access.denied_import", role=label(Role(role)), entity=t(f"entity.{entity}"))))
                continue
            blocking = sorted(depends_on(entity) & failed, key=list(ENTITIES).index)
            if blocking:
                failed.add(entity)
                outcomes.append(FileOutcome(upload.name, entity, "waiting", message=t(
                    "io.batch.waiting", entity="、".join(t(f"entity.{e}") for e in blocking))))
                continue

            def step(fraction: float, message: str, n: int = n, name: str = upload.name) -> None:
                report((n + min(fraction, 1.0)) / len(ordered), t("io.batch.progress", file=name, step=message))

            result = import_file(shared, entity, upload.data, upload.name, actor=actor, max_bytes=max_bytes,
                                 progress=step, today=today)
            if result.status != "committed":
                failed.add(entity)
                outcomes.append(FileOutcome(upload.name, entity, "rejected", result))
                continue
            outcomes.append(FileOutcome(upload.name, entity, "committed" if commit else "valid", result))
        passed = all(o.status in ("valid", "committed") for o in outcomes) and bool(outcomes)
        if commit and passed:
            conn.commit()
    for o in outcomes:
        if o.result is not None and (not commit or not passed) and o.result.status == "committed":
            # Rolled back: what the file would do, not a batch that exists.
            o.result = replace(o.result, status="valid", batch_id=None)
            o.status = "valid"
    if not passed:
        return BatchResult("rejected", outcomes)
    return BatchResult("committed" if commit else "valid", outcomes)
