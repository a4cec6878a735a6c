"""The README documents every setting and the commands it promises exist."""

from pathlib import Path

import pytest

from dashboard.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_readme_documents_every_setting(field: str) -> None:
    conventional = {"database_url": "DATABASE_URL", "database_read_url": "DATABASE_READ_URL"}
    env = conventional.get(field, f"DASHBOARD_{field.upper()}")
    assert f"`{env}`" in README


@pytest.mark.parametrize("script", ["scripts/run.sh", "scripts/test.sh", "scripts/setup.sh", ".ci/run"])
def test_scripts_exist_and_are_executable(script: str) -> None:
    path = ROOT / script
    assert path.exists() and path.stat().st_mode & 0o111
