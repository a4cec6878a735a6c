"""The command line starts light (issue 12 item 15): a command imports only what it uses. No timings here; those are
in bench/cli_startup.py. What is checked is which modules a command loads, and that the names written out in
dashboard/cli.py for that reason stay exactly those the models define."""

import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import cli

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "numpy", "pyarrow", "sqlalchemy", "sqlmodel", "alembic", "argon2", "data_models", "seed",
         "dashboard.db", "dashboard.accounts", "dashboard.excel.spec")


def loaded_modules(code: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", f"{code}\nimport sys\nprint('MODULES', *sorted(sys.modules))"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("MODULES "))
    return set(line.split()[1:])


@pytest.mark.parametrize("argv", [["entities"], ["--lang", "en", "entities"], ["db", "--help"]])
def test_a_light_command_imports_nothing_heavy(argv: list[str]) -> None:
    code = f"from dashboard.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass"
    modules = loaded_modules(code)
    assert not [m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY]


def test_the_names_written_out_for_the_parser_are_the_models_names() -> None:
    from dashboard.excel.spec import ENTITIES
    from data_models.enums import Role
    from seed.common import SCALES

    assert tuple(ENTITIES) == cli.ENTITY_NAMES
    assert tuple(r.value for r in Role) == cli.ROLE_NAMES
    assert tuple(SCALES) == cli.SCALE_NAMES


def test_entities_lists_every_entity_with_its_label() -> None:
    done = subprocess.run([sys.executable, "-m", "dashboard", "--lang", "zh", "entities"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=True)
    assert [line.split("\t")[0] for line in done.stdout.splitlines()] == list(cli.ENTITY_NAMES)
    assert "practitioners\t从业者" in done.stdout and "action_items\tentity." not in done.stdout


def test_importing_the_accounts_module_hashes_nothing() -> None:
    """The dummy hash used for unknown usernames is written out, not computed when the module loads."""
    loaded_modules("import argon2\n"
                   "def refuse(*a, **k):\n    raise SystemExit('hashed at import')\n"
                   "argon2.PasswordHasher.hash = refuse\n"
                   "import dashboard.accounts")


def test_the_dummy_hash_costs_what_a_real_hash_costs() -> None:
    """Else an unknown username would answer faster than a known one."""
    from argon2.exceptions import VerificationError

    from dashboard.accounts import _DUMMY_HASH, HASHER

    assert not HASHER.check_needs_rehash(_DUMMY_HASH)
    with pytest.raises(VerificationError):
        HASHER.verify(_DUMMY_HASH, "any password at all")


IMPORT_SPY = """
import json, sys
from dashboard.excel import sandbox
started = []
real = sandbox.SandboxedWorkbook.__init__
def spy(self):
    started.append(sorted(m for m in ("sqlalchemy", "argon2", "pandas", "pyarrow") if m in sys.modules))
    real(self)
sandbox.SandboxedWorkbook.__init__ = spy
from dashboard.cli import main
code = main(["import", "communities", sys.argv[1], "--json", "--user", "boss"])
print("SPY", json.dumps({"code": code, "started": started, "pandas": "pandas" in sys.modules}))
"""


@pytest.mark.parametrize("fresh_database_url", ["sqlite"], indirect=True)
def test_the_import_command_starts_its_parser_first_and_loads_no_pandas(fresh_database_url: str,
                                                                       tmp_path: Path) -> None:
    """The parser's child starts before the parent imports SQLAlchemy or the password hasher (it checks and parses
    the workbook meanwhile), and nothing on the import's way imports pandas (0.3 s or more)."""
    import json
    import os

    import openpyxl

    from tests.test_cli import accounts_for, run

    assert run(fresh_database_url, "db", "upgrade").returncode == 0
    pw = accounts_for(fresh_database_url)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["社区编号", "社区名称", "类型"])
    ws.append(["X1", "新社区", "农村"])
    book = tmp_path / "communities.xlsx"
    wb.save(book)
    env = {**os.environ, "DATABASE_URL": fresh_database_url, "DASHBOARD_PASSWORD": pw["boss"]}
    done = subprocess.run([sys.executable, "-c", IMPORT_SPY, str(book)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=True)
    spy = json.loads(next(x for x in done.stdout.splitlines() if x.startswith("SPY "))[4:])
    assert '"status": "committed"' in done.stdout
    assert spy == {"code": 0, "started": [[]], "pandas": False}


def test_the_head_read_from_the_migration_files_is_alembics() -> None:
    from dashboard.db import head_of_files
    from tests.test_schema import head_revision

    assert head_of_files() == head_revision()


@pytest.mark.parametrize("fresh_database_url", ["sqlite"], indirect=True)
def test_a_database_at_head_is_upgraded_without_alembic(fresh_database_url: str) -> None:
    """`db upgrade` (and every command's start) on a database already at the newest migration: one query."""
    code = ("import sys\nfrom dashboard import db\ne = db.make_engine(sys.argv[1])\nprint('BEFORE', db.at_head(e))\n"
            "db.upgrade(e)\nprint('AFTER', db.at_head(e), 'alembic' in sys.modules)\n"
            "sys.modules.pop('alembic', None)\nfor m in [m for m in sys.modules if m.startswith('alembic.')]:\n"
            "    del sys.modules[m]\ndb.upgrade(e)\nprint('AGAIN', 'alembic' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code, fresh_database_url], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=True)
    assert done.stdout.split() == ["BEFORE", "False", "AFTER", "True", "True", "AGAIN", "False"]
