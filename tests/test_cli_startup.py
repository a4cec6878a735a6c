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
