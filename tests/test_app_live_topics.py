"""直播现场 · 每月一题 in AppTest (app_pages/live_topics.py): a social worker (zh, en) sees the quarter's ranked topics
as the query counts them and the agenda's candidates; a viewer sees the same counts with small topics' text hidden;
a government account counts only its units' requests and is not shown the community's candidates; an empty quarter,
an empty community and an empty database say so.

It drives app_pages/live_topics.py (imported by app_pages/live.py)
and the section picker app_pages/sections.py."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from dashboard.db import make_engine
from dashboard.i18n import t, use_language
from dashboard.queries.hot_topics import Topic, hot_topics
from dashboard.services.agenda import topic_proposals
from dashboard.text import plain
from tests import factories as f
from tests.apptest_helpers import ROOT, add_user, clear_caches, sign_in

PAGE = "app_pages/live.py"
COMMUNITY_A = 1          # the demo's community GA; its street office acts for the party GA-GOV


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    database = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", database)
    clear_caches()
    yield database
    clear_caches()


def open_as(url: str, role: str, *, lang: str = "zh", party: str | None = None) -> AppTest:
    """A fresh demo database, a new account of `role`, on the live page's 每月一题 section."""
    add_user(url, "admin")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()      # seeds the demo
    assert not at.exception, at.exception
    sign_in(at, *add_user(url, role, party=party))
    at.radio(key="lang").set_value(lang).run()
    at.switch_page(PAGE).run()
    at.button_group(key="live_section").set_value("topics").run()
    assert not at.exception, at.exception
    return at


def quarter_of(at: AppTest) -> str:
    return str(at.selectbox(key="filter_quarter").value)


def expected(url: str, quarter: str, community_id: int | None, party_id: int | None = None) -> list[Topic]:
    engine = make_engine(url)
    with engine.connect() as conn:
        out = hot_topics(conn, quarter=quarter, community_id=community_id, party_id=party_id)
    engine.dispose()
    return out


def column(at: AppTest, index: int, key: str) -> list[object]:
    frame = at.table[index].value
    return list(frame[t(key)])


def texts(at: AppTest) -> list[str]:
    return [el.value for el in [*at.info, *at.caption, *at.subheader]]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_social_worker_sees_the_ranked_topics_and_the_agenda_candidates(url: str, lang: str) -> None:
    at = open_as(url, "social_worker", lang=lang)
    with use_language(lang):
        quarter = quarter_of(at)
        assert t("live.topics.title") in texts(at)
        everywhere = expected(url, quarter, None)
        assert everywhere, "the demo has requests in its default quarter"
        assert column(at, 0, "hot_topics.col.rank") == [x.rank for x in everywhere]
        assert column(at, 0, "hot_topics.col.requests") == [x.requests for x in everywhere]
        assert column(at, 0, "hot_topics.col.label") == [plain(x.label) for x in everywhere]
        assert at.get("plotly_chart"), "the chart is drawn"
        assert t("live.topics.agenda_pick_community") in texts(at)          # all communities: no meeting to offer to

        at.selectbox(key="filter_community").set_value(COMMUNITY_A).run()
        assert not at.exception, at.exception
        mine = expected(url, quarter, COMMUNITY_A)
        assert column(at, 0, "hot_topics.col.sessions") == [x.sessions for x in mine]
        assert column(at, 0, "hot_topics.col.endorsements") == [x.endorsements for x in mine]
        assert column(at, 0, "hot_topics.col.reopenings") == [x.reopenings for x in mine]
        assert column(at, 0, "hot_topics.col.previous") == [x.previous for x in mine]
        arrows = column(at, 0, "hot_topics.col.trend")
        assert [str(a)[0] for a in arrows] == [{"new": "★", "up": "↑", "down": "↓", "same": "→"}[x.trend] for x in mine]
        engine = make_engine(url)
        with engine.connect() as conn:
            offered = topic_proposals(conn, community_id=COMMUNITY_A, quarter=quarter)
        engine.dispose()
        assert offered, "the demo's community A has topics of at least 3 requests"
        assert column(at, 2, "hot_topics.col.item") == [plain(p.title) for p in offered]
        assert column(at, 2, "hot_topics.col.minutes") == [p.minutes for p in offered]
        assert t("live.topics.agenda_caption", n=3, min=3) in texts(at)
        assert not at.error


def test_a_viewer_sees_the_counts_and_no_small_topic_text(url: str) -> None:
    at = open_as(url, "viewer")
    at.selectbox(key="filter_community").set_value(COMMUNITY_A).run()
    mine = expected(url, quarter_of(at), COMMUNITY_A)
    assert column(at, 0, "hot_topics.col.requests") == [x.requests for x in mine]
    labels = column(at, 0, "hot_topics.col.label")
    for topic, shown in zip(mine, labels, strict=True):
        assert shown == plain(t("hot_topics.hidden_text", n=5) if topic.requests < 5 else topic.label)
    assert t("hot_topics.hidden_note", n=5) in texts(at)
    assert [b.key for b in at.button] == ["sign_out"] and not at.text_input   # nothing to write here


def test_a_small_topic_is_hidden_from_a_viewer_but_shown_to_a_social_worker(url: str) -> None:
    """A single complaint with a name and a phone number in it: masked and hidden for the viewer (fewer than 5),
    shown as typed to the social worker, who may see personal data."""
    at = open_as(url, "viewer")
    quarter = quarter_of(at)
    engine = make_engine(url)
    with engine.begin() as conn:
        session = conn.execute(sa.text("SELECT id, held_on FROM livestream_session WHERE community_id = :c AND "
                                       "quarter = :q ORDER BY held_on LIMIT 1"), {"c": COMMUNITY_A, "q": quarter}).one()
        held = session.held_on if isinstance(session.held_on, dt.date) else dt.date.fromisoformat(session.held_on)
        f.request(conn, session.id, COMMUNITY_A, "RZ1", category="other", description="王先生13812345678家门口漏水",
                  raised_on=held, quarter=quarter, deadline=None)
    engine.dispose()
    clear_caches()
    at.selectbox(key="filter_community").set_value(COMMUNITY_A).run()
    shown = " ".join(str(v) for v in column(at, 0, "hot_topics.col.label"))
    assert "13812345678" not in shown and "138****5678" not in shown and "漏水" not in shown
    clear_caches()
    sw = open_as(url, "social_worker")
    sw.selectbox(key="filter_community").set_value(COMMUNITY_A).run()
    assert plain("王先生13812345678家门口漏水") in [str(v) for v in column(sw, 0, "hot_topics.col.label")]


def test_a_government_account_counts_only_its_units_requests(url: str) -> None:
    at = open_as(url, "government", party="GA-GOV")
    engine = make_engine(url)
    with engine.connect() as conn:
        party = conn.execute(sa.text("SELECT id FROM party WHERE code = 'GA-GOV'")).scalar_one()
    engine.dispose()
    theirs = expected(url, quarter_of(at), None, party)
    assert theirs and sum(x.requests for x in theirs) < sum(x.requests for x in expected(url, quarter_of(at), None))
    assert column(at, 0, "hot_topics.col.requests") == [x.requests for x in theirs]
    assert t("requests.page.own_units") in texts(at)
    assert t("live.topics.agenda_units") in texts(at)
    assert len(at.table) == 2                                                  # no candidates table


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_empty_quarter_and_an_empty_community(url: str, lang: str) -> None:
    engine = make_engine(url)
    at = open_as(url, "social_worker", lang=lang)
    with engine.begin() as conn:
        empty = f.community(conn, "ZZ", name="空社区")
        pid = f.practitioner(conn, empty, "PZZ")
        f.need(conn, pid, empty, "NZZ", identified_on=dt.date(2027, 1, 5), quarter="2027Q1")  # a quarter, no request
    engine.dispose()
    clear_caches()
    at.run()
    with use_language(lang):
        at.selectbox(key="filter_quarter").set_value("2027Q1").run()
        assert not at.exception, at.exception
        assert t("live.topics.empty", quarter="2027Q1") in texts(at)
        quarter = sorted(q for q in at.selectbox(key="filter_quarter").options if q != "2027Q1")[-1]
        at.selectbox(key="filter_quarter").set_value(quarter).run()
        at.selectbox(key="filter_community").set_value(empty).run()
        assert not at.exception, at.exception
        assert t("live.topics.empty", quarter=quarter) in texts(at)
        assert t("live.topics.agenda_none", min=3) in texts(at)
        assert not at.table


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_empty_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    database = f"sqlite:///{tmp_path / 'empty.db'}"
    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setenv("DASHBOARD_AUTO_SEED", "false")
    clear_caches()
    add_user(database, "admin")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    sign_in(at, *add_user(database, "social_worker"))
    at.radio(key="lang").set_value(lang).run()
    at.switch_page(PAGE).run()
    at.button_group(key="live_section").set_value("topics").run()
    assert not at.exception, at.exception
    with use_language(lang):
        assert t("common.no_data") in texts(at)
    clear_caches()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_section_speaks_only_the_chosen_language(url: str, lang: str) -> None:
    """Everything the section shows (table headers and cells, captions, the chart's titles, legend and labels, the
    agenda's candidates) is in the chosen language; residents' descriptions, as data, are left as typed."""
    from tests.test_language_scan import data_strings, leaks, shown_texts

    found = []
    for role in ("social_worker", "viewer"):
        at = open_as(url, role, lang=lang)
        at.selectbox(key="filter_community").set_value(COMMUNITY_A).run()
        raw = data_strings(url)        # as stored, and as shown in Markdown (the sidebar's social\_worker-…)
        names = sorted({*raw, *(plain(n) for n in raw)}, key=len, reverse=True)
        assert len(at.table) == 3 and any(w.startswith("chart") for w, _ in shown_texts(at))
        found += [f"{role}: {leak}" for leak in leaks(at, lang, names)]
        clear_caches()
    assert not found, "\n".join(found)
