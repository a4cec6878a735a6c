"""Issue 12 items 4 and 6: only roles that may export see export buttons (viewers and the demo see none, and the
export path refuses them); the data page opens on the first entity the role may import."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import access
from dashboard.access import Action, Page
from dashboard.excel.spec import ENTITIES
from data_models.enums import Role
from tests.apptest_helpers import ROOT, clear_caches, start_as

PAGES = ["app_pages/needs.py", "app_pages/cooperative.py"]


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    database = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", database)
    clear_caches()
    yield database
    clear_caches()


def download_labels(at: AppTest) -> list[str]:
    return [b.label for b in at.get("download_button")]


@pytest.mark.parametrize("role", [None, "viewer", "government", "admin"])
def test_export_buttons_follow_the_matrix(url: str, role: str | None) -> None:
    at = start_as(url, role)
    may = role is not None and access.can(role, Action.export)
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, at.exception
        if page.endswith("needs.py"):
            at.text_input(key="needs_search").set_value("P00001").run()   # the profile's two tables too
        labels = download_labels(at)
        if may:
            assert labels, (role, page)
        else:
            assert labels == [], (role, page, labels)


def refusals() -> None:
    """Run by AppTest: the read-only demo calls every export path of the loaders directly."""
    import datetime as dt

    import pandas as pd
    import streamlit as st

    from dashboard import loaders
    from dashboard.accounts import DEMO
    from dashboard.queries import Scope
    from dashboard.services.errors import RuleError

    st.session_state["principal"] = DEMO
    st.session_state["filters"] = None
    calls = {
        "export_bytes": lambda: loaders.export_bytes("needs", None, None),
        "export_csv_bytes": lambda: loaders.export_csv_bytes("needs", None, None),
        "backlog_file": lambda: loaders.backlog_file(Scope(None, "2026Q3"), dt.date(2026, 11, 30), title="x",
                                                     shown=200),
    }
    for name, call in calls.items():
        try:
            call()
            st.write(f"{name}: allowed")
        except RuleError as err:
            st.error(f"{name}: {err.message()}")
    loaders.download_table(pd.DataFrame({"a": [1]}), [("a", "common.yes", "int")], title="x", key="k")


def test_the_export_path_refuses_the_demo(url: str) -> None:
    at = AppTest.from_function(refusals, default_timeout=60).run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 3 and all("没有权限导出数据" in e for e in errors), errors
    assert download_labels(at) == []


@pytest.mark.parametrize("role", [r for r in Role if Page.data_io in access.grant(r).pages])
def test_the_data_page_opens_on_an_entity_the_role_may_import(url: str, role: Role) -> None:
    at = start_as(url, role.value)
    at.switch_page("app_pages/data_io.py").run()
    assert not at.exception, at.exception
    first = next(e for e in ENTITIES if access.can_import(role, e))
    assert at.selectbox(key="io_entity").value == first
    assert first == "communities" if role is Role.admin else first != "communities"
    assert not any(i.icon == ":material/lock:" for i in at.info)          # no lock on arrival
    assert "io_upload_" + first in [w.proto.id.split("-")[-1] for w in at.get("file_uploader")] or \
        at.get("file_uploader")


def test_demo_accounts_one_per_role_passwords_printed_once_and_documented(tmp_path: Path) -> None:
    from dashboard.cli import DEMO_ACCOUNTS
    from tests.test_cli import run

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert run(url, "seed").returncode == 0
    made = run(url, "user", "demo-accounts")
    assert made.returncode == 0, made.stderr
    accounts_made = json.loads(made.stdout)
    assert {a["role"] for a in accounts_made} == {r.value for r in Role}
    assert all(len(a["password"]) >= 16 for a in accounts_made) and "只显示这一次" in made.stderr
    manager = next(a for a in accounts_made if a["role"] == "cooperative_manager")
    refused = run(url, "distribute", "SQC-COOP", "2026Q3", "--user", manager["username"],
                  password=manager["password"])
    assert refused.returncode == 1 and "只能查看自己所在的合作社" in refused.stderr
    admin = next(a for a in accounts_made if a["role"] == "admin")
    again = run(url, "user", "demo-accounts", "--user", admin["username"], password=admin["password"])
    assert again.returncode == 0 and all(a["password"] is None for a in json.loads(again.stdout))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for username, role, party in DEMO_ACCOUNTS:                     # the README's table names each account
        assert f"| `{username}` | `{role}` | {f'`{party}`' if party else '—'} |" in readme
    for a in accounts_made:
        assert a["password"] not in readme
