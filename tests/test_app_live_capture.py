"""直播现场 · 现场录入 in AppTest, in both languages: a social worker opens today's livestream, captures requests (a
refused one keeps what was typed), sees them in the recent list and withdraws the last; a government account and a
viewer see the list without the form; all communities asks for one.

It drives app_pages/live_capture.py (imported by app_pages/live.py)
and the section picker app_pages/sections.py."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from dashboard.accounts import Principal
from dashboard.db import make_engine
from dashboard.i18n import t, use_language
from dashboard.periods import shanghai_today
from dashboard.services import capture as service
from data_models import Request
from data_models.base import table_of
from data_models.enums import Role
from tests.apptest_helpers import ROOT, add_user, clear_caches, click, sign_in

PAGE = "app_pages/live.py"
R = table_of(Request)
COMMUNITY_A = 1          # the demo's urban community GA


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    database = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", database)
    clear_caches()
    yield database
    clear_caches()


def open_as(url: str, role: str, *, party: str | None = None, lang: str = "zh") -> AppTest:
    """The app on a fresh demo database, signed in as a new account of `role`, on the live page (capture)."""
    add_user(url, "admin")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240).run()     # seeds the demo and its parties
    assert not at.exception, at.exception
    sign_in(at, *add_user(url, role, party=party))
    at.radio(key="lang").set_value(lang).run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def captured(url: str) -> list[tuple[str, str, str, str, str]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(R.c.code, R.c.description, R.c.resident, R.c.priority, R.c.source)
                            .where(R.c.source == "live").order_by(R.c.id)).all()
    engine.dispose()
    return [tuple(str(v) for v in r) for r in rows]      # type: ignore[misc]


def texts(at: AppTest) -> str:
    return " ".join(str(e.value) for group in (at.info, at.error, at.success, at.caption, at.markdown)
                    for e in group)


def fill(at: AppTest, category: str | None, description: str, resident: str = "", urgency: str = "general") -> None:
    if category is not None:
        at.selectbox(key="live_capture_category").set_value(category)
    at.radio(key="live_capture_urgency").set_value(urgency)
    at.text_input(key="live_capture_description").input(description)
    at.text_input(key="live_capture_resident").input(resident)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_social_worker_opens_todays_livestream_captures_and_withdraws_the_last(url: str, lang: str) -> None:
    at = open_as(url, "social_worker", party="GA-SW", lang=lang)
    with use_language(lang):
        assert t("live.capture.pick_community") in texts(at)                  # all communities: choose one
        assert not [w for w in at.text_input if w.key and w.key.startswith("live_capture")]
        at.selectbox(key="filter_community").set_value(COMMUNITY_A).run()
        assert not at.exception, at.exception
        day = shanghai_today().isoformat()
        assert t("live.capture.none_on_air", community=at.session_state["community_name"], day=day) in texts(at)
        assert at.text_input(key="live_capture_open_title").value == t("live.capture.default_title", day=day)
        click(at, t("live.capture.open_button"))
        assert not at.error, [e.value for e in at.error]
        code = f"L-GA-{shanghai_today():%Y%m%d}"
        assert code in texts(at)
        assert [k for k in ("live_capture_category", "live_capture_description", "live_capture_resident")
                if not any(w.key == k for w in [*at.selectbox, *at.text_input])] == []

        # the category's options are numbered, so a digit and Enter choose one
        options = at.selectbox(key="live_capture_category").options
        assert options[0].startswith("1 ") and options[2].startswith("3 ")

        fill(at, "parcel_stacking", "快递堆在三号楼楼道", "3栋201 13812345678", urgency="urgent")
        click(at, t("live.capture.save"))
        assert not at.error, [e.value for e in at.error]
        fill(at, "livestream_noise", "晚上十一点还在直播", "小燕子")
        click(at, t("live.capture.save"))
        rows = captured(url)
        expected = [("快递堆在三号楼楼道", "3栋201 138****5678", "urgent", "live"),
                    ("晚上十一点还在直播", "小燕子", "general", "live")]
        assert [(r[1], r[2], r[3], r[4]) for r in rows] == expected
        # saved: the form is empty again, the message names the code, the list shows both, newest first
        assert at.text_input(key="live_capture_description").value == ""
        assert at.selectbox(key="live_capture_category").value is None
        assert any(rows[1][0] in s.value for s in at.success)
        table = at.table[0].value
        assert list(table.iloc[:, 0]) == [rows[1][0], rows[0][0]]
        assert t("enum.RequestPriority.urgent") in list(table.iloc[:, 5])

        # refused: an empty description; what was typed stays, nothing is written
        fill(at, "sanitation", "   ", "王阿姨")
        click(at, t("live.capture.save"))
        assert [e.value for e in at.error] == [t("capture.description_required")]
        assert at.text_input(key="live_capture_resident").value == "王阿姨"
        fill(at, None, "没有选类别", "")
        at.selectbox(key="live_capture_category").set_value(None)
        click(at, t("live.capture.save"))
        assert [e.value for e in at.error] == [t("live.capture.category_required")]
        assert len(captured(url)) == 2

        # 撤销上一条 withdraws the newest
        click(at, t("live.capture.undo", code=rows[1][0]))
        assert not at.error, [e.value for e in at.error]
        assert [r[0] for r in captured(url)] == [rows[0][0]]
        assert any(t("live.capture.undone", code=rows[1][0]) == s.value for s in at.success)
        assert list(at.table[0].value.iloc[:, 0]) == [rows[0][0]]


@pytest.mark.parametrize(("role", "party"), [("government", "GA-GOV"), ("viewer", None)])
def test_without_request_write_the_list_shows_and_no_form(url: str, role: str, party: str | None) -> None:
    at = open_as(url, role, party=party, lang="en")
    sw = Principal("sw-on-air", Role.social_worker)
    engine = make_engine(url)
    with Session(engine) as s:
        live = service.open_session(s, community_id=COMMUNITY_A, today=shanghai_today(), actor=sw, title="今晚直播",
                                    platform="douyin", hosts="李社工")
        service.capture(s, livestream_code=live.code, category="sanitation", description="垃圾没人收，电话13812345678",
                        resident="王先生", priority="general", actor=sw, now=dt.datetime.now(dt.UTC))
        s.commit()
    engine.dispose()
    with use_language("en"):
        at.selectbox(key="filter_community").set_value(COMMUNITY_A).run()
        assert not at.exception, at.exception
        assert not [w for w in at.text_input if w.key and w.key.startswith("live_capture")]
        assert not [b for b in at.button if b.label in (t("live.capture.save"), t("live.capture.open_button"))]
        assert not [b for b in at.button if b.key == "live_capture_undo"]
        assert t("live.capture.read_only") in texts(at)
        table = at.table[0].value
        assert len(table) == 1
        # no personal data for these roles: the phone and the resident's name are masked, as in an export
        assert "138****5678" in table.iloc[0, 3] and "13812345678" not in table.iloc[0, 3]
        assert table.iloc[0, 4] == "*先生"
        assert table.iloc[0, 6] == "sw-on-air"


def _capture_elsewhere(url: str, code: str, username: str, description: str) -> str:
    """The same account captures one more in another tab (its own session)."""
    engine = make_engine(url)
    with Session(engine) as s:
        new = service.capture(s, livestream_code=code, category="sanitation", description=description, resident="",
                              priority="general", actor=Principal(username, Role.social_worker),
                              now=dt.datetime.now(dt.UTC))
        s.commit()
        made = str(new.code)
    engine.dispose()
    return made


def _one_captured(url: str) -> tuple[AppTest, str]:
    """A social worker's page (in English) after one capture, and its code."""
    at = open_as(url, "social_worker", party="GA-SW", lang="en")
    with use_language("en"):
        at.selectbox(key="filter_community").set_value(COMMUNITY_A).run()
        click(at, t("live.capture.open_button"))
        fill(at, "parcel_stacking", "快递堆在楼道")
        click(at, t("live.capture.save"))
    (first,) = [r[0] for r in captured(url)]
    return at, first


def test_undo_withdraws_the_request_it_named_not_one_captured_since(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the data version checked on each rerun the click's own run reads the list as it is now. Its last capture
    there was one made in another tab after the button was drawn: the click withdrew that one, never shown to it."""
    monkeypatch.setenv("DASHBOARD_DATA_VERSION_CHECK", "true")
    at, first = _one_captured(url)
    with use_language("en"):
        live = f"L-GA-{shanghai_today():%Y%m%d}"
        other = _capture_elsewhere(url, live, at.session_state["principal"].username, "另一个标签页录入的")
        click(at, t("live.capture.undo", code=first))         # the button as drawn names the first
        assert [e.value for e in at.error] == [t("capture.undo_not_last", code=first, newer=other)]
    assert [r[0] for r in captured(url)] == [first, other]     # nothing withdrawn


def test_undo_of_a_request_handled_meanwhile_says_so(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Someone classifies the capture between the button drawn and the click: the click's run no longer draws the
    button (the request is not undoable), and the click was lost without a word. Now it is refused with the reason."""
    monkeypatch.setenv("DASHBOARD_DATA_VERSION_CHECK", "true")
    at, first = _one_captured(url)
    with use_language("en"):
        engine = make_engine(url)
        with engine.begin() as conn:      # another social worker classifies it meanwhile
            conn.execute(R.update().where(R.c.code == first).values(status="classified", version=R.c.version + 1))
        engine.dispose()
        click(at, t("live.capture.undo", code=first))
        assert len(at.error) == 1 and first in at.error[0].value, [e.value for e in at.error]
    assert [r[0] for r in captured(url)] == [first]
