"""Shared AppTest steps: open a page on a fresh demo database as a signed-in role, click a button by its label."""

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from dashboard import accounts
from dashboard.db import init_database
from dashboard.settings import get_settings

ROOT = Path(__file__).resolve().parents[1]
# A manager belongs to a cooperative: the demo's community A cooperative, as the demo accounts are.
ROLE_PARTY = {"cooperative_manager": "GA-COOP"}


def clear_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()
    get_settings.cache_clear()


def add_user(url: str, role: str, username: str | None = None, party: str | None = None) -> tuple[str, str]:
    """An account of `role` with a fresh random password (no fixed password anywhere); returns both."""
    username = username or f"{role}-{secrets.token_hex(3)}"
    password = accounts.new_password()
    engine = init_database(url)
    with Session(engine) as session:
        accounts.create_user(session, username=username, role=role, actor="test", password=password,
                             party_code=party)
        session.commit()
    engine.dispose()
    return username, password


def sign_in(at: AppTest, username: str, password: str) -> AppTest:
    """Through the login form, as a person would."""
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    next(b for b in at.button if b.label in ("登录", "Sign in")).click().run()
    return at


def start_as(url: str, role: str | None) -> AppTest:
    """The app on `url`, signed in as a new account of `role` (an admin exists too, so the demo is off);
    with role None, as the first visitor of a database without an admin: the read-only demo."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if role is not None:
        admin = add_user(url, "admin")
        at.run()                                    # seeds the demo (and its parties) before an account joins one
        assert not at.exception, at.exception
        username, password = admin if role == "admin" else add_user(url, role, party=ROLE_PARTY.get(role))
        sign_in(at, username, password)
    else:
        at.run()
    assert not at.exception, at.exception
    return at


def open_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str, role: str | None = "admin"
              ) -> Iterator[AppTest]:
    """The app on a new SQLite file (it seeds itself), signed in as `role`, switched to `page`; caches cleared."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    clear_caches()
    app = start_as(url, role)
    app.switch_page(page).run()
    assert not app.exception, app.exception
    yield app
    clear_caches()


def click(at: AppTest, label: str) -> None:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
