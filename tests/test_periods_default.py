"""The quarter pages open on: the last complete one, whatever was recorded today or mistyped into the future."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from dashboard import loaders
from dashboard.db import init_database
from dashboard.periods import default_quarter, quarter_state
from seed import load_demo
from tests import factories as f
from tests.apptest_helpers import clear_caches, start_as

TODAY = dt.date(2026, 12, 1)


@pytest.mark.parametrize(("quarters", "expected"), [
    (["2026Q4", "2026Q3", "2026Q2"], "2026Q3"),            # a need recorded today made 2026Q4
    (["2099Q1", "2026Q3", "2026Q2"], "2026Q3"),            # a sale mistyped as 2099-01-01
    (["2099Q1", "2026Q4", "2025Q1"], "2025Q1"),            # the newest complete one, even if old
    (["2026Q4"], "2026Q4"),                                # only the current one: show it
    (["2099Q1"], "2099Q1"),
    ([], None),
])
def test_default_is_the_last_complete_quarter(quarters: list[str], expected: str | None) -> None:
    assert default_quarter(quarters, TODAY) == expected


@pytest.mark.parametrize(("quarter", "state"), [
    ("2026Q3", "past"), ("2026Q4", "current"), ("2027Q1", "future"), ("2099Q1", "future")])
def test_quarter_state(quarter: str, state: str) -> None:
    assert quarter_state(quarter, TODAY) == state
    assert quarter_state("2026Q3", dt.date(2026, 9, 30)) == "current"    # its last day has not ended yet


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    """The demo data with a need recorded today and a sale dated 2099-01-01, as in the issue."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = init_database(url)
    load_demo(engine, "demo")
    with engine.begin() as conn:
        f.need(conn, 1, 1, "NTODAY", identified_on=TODAY, quarter="2026Q4")
        f.sale(conn, 1, 1, "S2099", sold_on=dt.date(2099, 1, 1), month="2099-01", quarter="2099Q1")
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr(loaders, "today", lambda: TODAY)
    clear_caches()
    yield start_as(url, "viewer")
    clear_caches()


def test_every_user_opens_on_the_last_complete_quarter(app: AppTest) -> None:
    box = app.selectbox(key="filter_quarter")
    assert box.options[:3] == ["2099Q1", "2026Q4", "2026Q3"]
    assert box.value == "2026Q3"
    assert not any("进行中" in c.value for c in app.sidebar.caption)
    box.set_value("2026Q4").run()
    assert any("2026Q4（进行中）" in c.value for c in app.sidebar.caption)
    assert any("2026Q4 进行中" in i.value for i in app.info)        # on the page, where a printout shows it
    app.radio(key="lang").set_value("en").run()
    assert app.selectbox(key="filter_quarter").value == "2026Q4"
    assert any("2026Q4 (in progress)" in c.value for c in app.sidebar.caption)
    app.selectbox(key="filter_quarter").set_value("2099Q1").run()
    assert any("after today" in c.value for c in app.sidebar.caption)


def test_the_spending_form_refuses_a_date_after_today(engine) -> None:  # type: ignore[no-untyped-def]
    from dashboard.services import fund
    from dashboard.services.errors import RuleError
    with engine.begin() as conn:
        coop = f.cooperative(conn, f.community(conn))
    with Session(engine) as s, pytest.raises(RuleError) as err:
        fund.add_spending(s, cooperative_id=coop, spent_on=TODAY + dt.timedelta(days=1), purpose="路灯",
                          amount_cents=100, approver="理事会", actor="m", today=TODAY)
    assert err.value.key == "fund.future_date" and "2026-12-02" in err.value.message()
