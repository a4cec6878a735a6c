"""Shared AppTest steps: open a page on a fresh demo database, click a button by its label."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.settings import get_settings

ROOT = Path(__file__).resolve().parents[1]


def clear_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()
    get_settings.cache_clear()


def open_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str) -> Iterator[AppTest]:
    """The app on a new SQLite file (it seeds itself), switched to `page`; caches cleared before and after."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    clear_caches()
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    app.switch_page(page).run()
    assert not app.exception, app.exception
    yield app
    clear_caches()


def click(at: AppTest, label: str) -> None:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
