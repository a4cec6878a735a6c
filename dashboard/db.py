"""Engine and sessions from DATABASE_URL, with SQLite tuned for a desktop and Alembic migrations on start."""

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

import data_models  # noqa: F401  (registers every table on the metadata)
from dashboard import data_version, locks
from dashboard.settings import PROJECT_ROOT, get_settings

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = PROJECT_ROOT / "data_models" / "migrations"
MIGRATIONS = "migrations"   # the lock name (dashboard.locks) a migration holds until it commits
BUSY_TIMEOUT_MS = 10_000    # SQLite: how long a writer waits for another's write lock
MIGRATION_WAIT_MS = 600_000  # SQLite: how long a process starting waits for another one's migration


def normalise_url(url: str) -> str:
    """Accept the plain postgresql:// form people copy from their DBA and use the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.close()


def make_engine(url: str | None = None) -> Engine:
    url = normalise_url(url or get_settings().database_url)
    sa_url = sa.make_url(url)
    if sa_url.get_backend_name() == "sqlite":
        if sa_url.database and sa_url.database != ":memory:":
            Path(sa_url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        data_version.watch(engine)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def read_engine(url: str, primary: Engine) -> Engine:
    """An engine on a read replica (DATABASE_READ_URL). A read that must write first (training_stats.catch_up
    recounts the summary on the way) finds the primary through `primary_of`; a replica is never migrated."""
    return make_engine(url).execution_options(primary=primary)


def primary_of(engine: Engine) -> Engine:
    """The engine writes go to: the primary behind a read engine, else the engine itself."""
    primary = engine.get_execution_options().get("primary")
    return primary if isinstance(primary, Engine) else engine


def alembic_config(engine: Engine | None = None) -> "Config":
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; safe to call on every start.

    On SQLite, foreign keys are off while migrations run, as SQLite's procedure for rebuilding a table asks
    (https://www.sqlite.org/lang_altertable.html): dropping the old copy of a table must not cascade to the rows
    that refer to it. Before committing, every reference is checked; one that points nowhere rolls it all back."""
    if revision == "head" and at_head(engine):
        return
    from alembic import command

    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")     # outside a transaction, or SQLite ignores it
            # A second process waits for the write lock as long as a migration may take at province scale (the
            # pool's 10 s would fail it with «database is locked»); the pool's own value is put back below.
            conn.exec_driver_sql(f"PRAGMA busy_timeout={MIGRATION_WAIT_MS}")
            conn.commit()
        else:
            # Each statement sees what was committed before it: after waiting for the lock below, Alembic reads the
            # revision the server before it left, whatever isolation the database's default asks.
            conn.execution_options(isolation_level="READ COMMITTED")
        try:
            with conn.begin():
                if sqlite:
                    # pysqlite opens a transaction only before a DML statement: without this, the DDL before a
                    # migration's first INSERT or UPDATE commits on its own and a failed migration stays half done.
                    # IMMEDIATE takes the write lock now: a second process migrating waits for this one to commit.
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                elif conn.dialect.name == "postgresql":
                    # Several app servers started at once migrate one at a time: the others wait here until the
                    # first commits, then Alembic reads the revision it left (the head: nothing to do). Without
                    # it two of them ran the same DDL at once and deadlocked or failed on a duplicate.
                    locks.serialise(conn, MIGRATIONS)
                cfg = alembic_config(engine)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration left references that point nowhere: {broken[:5]}")
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                conn.commit()


_REVISION = re.compile(r"""^(down_revision|revision)\b[^=\n]*=\s*(None|["']([^"'\n]+)["'])\s*$""", re.MULTILINE)


def head_of_files() -> str | None:
    """The newest migration's revision, read from the migration files as text (Alembic and its loading of every
    migration cost a command 0.25 s): the one revision no other names as its down_revision. None if the files do
    not say it plainly (a branch, a merge, a revision that is not a literal): then Alembic decides."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        if not path.name[0].isalnum():      # an editor's lock or backup file, which Alembic skips too
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        said = {m.group(1): m.group(3) for m in _REVISION.finditer(text)}
        if "revision" not in said or "down_revision" not in said or said["revision"] is None:
            return None
        revisions.add(said["revision"])
        if said["down_revision"] is not None:
            parents.add(said["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def at_head(engine: Engine) -> bool:
    """Whether the database is already at the newest migration: one query, no Alembic."""
    head = head_of_files()
    if head is None:
        return False
    try:
        with engine.connect() as conn:
            found = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    except sa.exc.DBAPIError:                 # no alembic_version yet: a new database
        return False
    return found == [head]


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def init_database(url: str | None = None) -> Engine:
    engine = make_engine(url)
    upgrade(engine)
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One session per unit of work: commit on success, roll back on any error."""
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


def gather(engine: Engine, tasks: dict[str, Callable[[Session], Any]], workers: int = 4) -> dict[str, Any]:
    """Run independent read queries side by side, each in its own session (WAL lets SQLite readers overlap).

    A page that needs a dozen aggregates waits for the slowest few instead of their sum.
    """
    def run(task: Callable[[Session], Any]) -> Any:
        with Session(engine) as session:
            return task(session)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(run, task) for name, task in tasks.items()}
        return {name: future.result() for name, future in futures.items()}
