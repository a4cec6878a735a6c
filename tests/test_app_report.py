"""The 季度汇报 page (app_pages/report.py, its slideshow app_pages/report_slides.py, dashboard/loaders_report.py) in
AppTest: every role that sees it in both languages, as a draft and published; an empty quarter, community and
database; a social worker publishes version 1 with an edited narrative, the data changes, the page says so and the
restatement shows its differences and needs a reason; a publish after someone else's is refused with the rule's
message; the government accepts a version and the others see it; a viewer gets no downloads nor forms; meeting mode
hides small counts as "<5"; the slideshow moves by its buttons."""

import datetime as dt
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa
import streamlit as st
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

import dashboard.queries.report_versions as versions
import dashboard.report.figures as figures
import dashboard.services.report as service
from dashboard import accounts
from dashboard.db import init_database, make_engine
from dashboard.i18n import t, use_language
from dashboard.periods import quarter_key, shanghai_today
from dashboard.report.diff import FigureChange
from dashboard.report.types import AREAS
from dashboard.text import plain
from seed.load import load_demo
from tests import factories as fx
from tests.apptest_helpers import ROOT, add_user, clear_caches, sign_in

PAGE = "app_pages/report.py"
PARTY = {"social_worker": "GA-SW", "government": "GA-GOV", "association": "GA-ASN", "platform": "GA-PLT"}
QUARTER = "2026Q3"           # the demo's last ended quarter (the app's clock is today's)
SMALL = "ZZ"                 # a community with three needs in the quarter: under the small-cell threshold


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database made once, plus a small community; each test works on its own copy."""
    path = tmp_path_factory.mktemp("report") / "demo.db"
    engine = init_database(f"sqlite:///{path}")
    load_demo(engine, "demo")
    with engine.begin() as conn:
        small = fx.community(conn, SMALL, name="小社区")
        for i in range(3):
            person = fx.practitioner(conn, small, code=f"PZZ{i}")
            fx.need(conn, person, small, code=f"NZZ{i}", identified_on=dt.date(2026, 8, 1), quarter=QUARTER)
    engine.dispose()
    return path


@pytest.fixture
def url(demo_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    shutil.copy(demo_file, tmp_path / "app.db")
    database = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", database)
    clear_caches()
    yield database
    clear_caches()


def community_id(url: str, code: str = "GA") -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT id FROM community WHERE code = :c"), {"c": code}).scalar_one()
    engine.dispose()
    return int(found)


def open_as(url: str, role: str, lang: str = "zh", community: str | None = "GA") -> AppTest:
    add_user(url, "admin")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    sign_in(at, *add_user(url, role, party=PARTY.get(role)))
    at.radio(key="lang").set_value(lang).run()
    if community is not None:
        at.selectbox(key="filter_community").set_value(community_id(url, community)).run()
    at.switch_page(PAGE).run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not [e.value for e in at.error if t("app.error", id="")[:8] in e.value], [e.value for e in at.error]


def publish_directly(url: str, username: str, *, expected: int = 0, reason: str = "") -> None:
    """Someone else publishes community A's quarter (through the service, as another session would)."""
    engine = make_engine(url)
    with Session(engine) as session:
        actor = accounts.principal_of(session, username)
        assert actor is not None
        data = figures.report_data(session, community_id=community_id(url), quarter=QUARTER,
                                   today=dt.date.today())
        service.publish(session, data=data, narrative={"zh": {a: "甲" for a in AREAS}, "en": {a: "A" for a in AREAS}},
                        actor=actor, expected_version=expected, reason=reason)
        session.commit()
    engine.dispose()


def texts(at: AppTest) -> list[str]:
    return [e.value for e in [*at.info, *at.success, *at.warning, *at.error, *at.caption, *at.markdown]]


def refresh(at: AppTest) -> AppTest:
    """Another session changed the database: the next run reads it afresh."""
    st.cache_data.clear()
    at.run()
    ok(at)
    return at


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("role", ["admin", "social_worker", "government", "association", "platform", "viewer"])
def test_every_role_that_sees_the_page_reads_it_in_both_languages(url: str, role: str, lang: str) -> None:
    at = open_as(url, role, lang)
    with use_language(lang):
        assert at.header[0].value == t("report.page.title")
        assert at.info[-1].value.startswith(t("report.page.status_draft")) or any(
            i.value.startswith(t("report.page.status_draft")) for i in at.info)
        assert [s.value for s in at.subheader][:len(AREAS)] == [t(f"report.area.{a}") for a in AREAS]
        assert len(at.table) >= len(AREAS)
        table = at.table[0].value
        assert list(table.columns)[3] == t("report.page.col_previous_change")
        assert list(table.columns)[5] == t("report.page.col_year_change")
        publisher = role in ("admin", "social_worker")
        assert [ta.key for ta in at.text_area] == ([f"report_narrative_{a}" for a in AREAS] if publisher else [])
        assert any(b.key == "report_publish" for b in at.button) == publisher
        downloads = [d for d in at.get("download_button")]
        assert len(downloads) == (0 if role == "viewer" else 1)          # the handout; the PDF is built first
        assert any(b.key == "report_pdf_build" for b in at.button) == (role != "viewer")
        at.button_group(key="report_section").set_value("slides").run()
        ok(at)
        assert at.button(key="report_slide_prev").disabled
        at.button(key="report_slide_next").click().run()
        ok(at)
        assert any(t("report.area.needs") in h.proto.body for h in at.get("html"))


def test_a_social_worker_publishes_then_restates_with_a_reason_and_sees_the_differences(url: str) -> None:
    at = open_as(url, "social_worker")
    edited = "本季度需求评估工作平稳推进。"
    at.text_area(key="report_narrative_needs").set_value(edited).run()
    at.button(key="report_publish").click().run()
    ok(at)
    assert any(t("report.page.published", version=1) in s.value for s in at.success)
    assert any(s.value.startswith(t("report.page.status_published", version=1, at="", by="")[:4])
               for s in at.success)
    assert any(edited in m for m in texts(at))                # published: the narrative is text now
    restate = next(e for e in at.expander if e.label == t("report.page.restate_title", version=2))
    assert len(restate.text_area) == len(AREAS) + 1           # the editors (and the reason) restate it
    engine = make_engine(url)
    with Session(engine) as session:
        v1 = versions.latest(session, community_id=community_id(url), quarter=QUARTER)
    assert v1 is not None and v1.version == 1 and v1.narrative["zh"]["needs"] == edited
    assert v1.narrative["en"]["needs"]                         # the other language's draft is kept too

    with engine.begin() as conn:                             # a need of the quarter entered late
        person = conn.execute(sa.text("SELECT id FROM practitioner WHERE community_id = :c LIMIT 1"),
                              {"c": community_id(url)}).scalar_one()
        fx.need(conn, person, community_id(url), code="N-LATE", identified_on=dt.date(2026, 9, 30), quarter=QUARTER)
    engine.dispose()
    refresh(at)
    assert any(t("report.page.live_changed", n="", version=1)[:6] in w.value for w in at.warning)
    restate = next(e for e in at.expander if e.label == t("report.page.restate_title", version=2))
    diff = restate.table[0].value
    assert t("report.area.needs") in diff.iloc[:, 0].tolist()

    at.button(key="report_publish").click().run()           # no reason: refused, in words
    ok(at)
    assert at.error and not at.exception
    at.text_area(key="report_reason").set_value("补录 9 月 30 日的一条需求评估").run()
    at.button(key="report_publish").click().run()
    ok(at)
    assert any(t("report.page.published", version=2) in s.value for s in at.success)
    assert any(t("report.page.restated") in s.value for s in at.success)
    history = at.table[-1].value
    assert history.iloc[:, 0].tolist() == [t("report.slide.version", version=2), t("report.slide.version", version=1)]
    assert history.iloc[0].tolist()[4] == "补录 9 月 30 日的一条需求评估"


def test_a_late_entry_in_the_quarter_before_shows_as_changed_and_is_restated(url: str) -> None:
    """A need back-dated into the quarter before changes every 环比 version 1 shows: the page says the live data
    changed, the table names the side (上季度), and the restatement is taken (not refused as nothing changed)."""
    sw, _ = add_user(url, "social_worker", party=PARTY["social_worker"])
    publish_directly(url, sw)
    engine = make_engine(url)
    with engine.begin() as conn:
        person = conn.execute(sa.text("SELECT id FROM practitioner WHERE community_id = :c LIMIT 1"),
                              {"c": community_id(url)}).scalar_one()
        fx.need(conn, person, community_id(url), code="N-BACK", identified_on=dt.date(2026, 6, 30), quarter="2026Q2")
    engine.dispose()
    at = open_as(url, "social_worker")
    assert any(t("report.page.live_changed", n="", version=1)[:6] in w.value for w in at.warning)
    restate = next(e for e in at.expander if e.label == t("report.page.restate_title", version=2))
    labels = restate.table[0].value.iloc[:, 1].tolist()
    assert t("report.diff.with_side", label=t("report.fig.needs_identified"),
             side=t("report.diff.side.previous")) in labels
    at.text_area(key="report_reason").set_value("补录 6 月 30 日识别的一条需求").run()
    at.button(key="report_publish").click().run()
    ok(at)
    assert any(t("report.page.published", version=2) in s.value for s in at.success)


def test_a_publish_after_someone_elses_is_refused_in_words(url: str) -> None:
    at = open_as(url, "social_worker")
    other, _ = add_user(url, "social_worker", party=PARTY["social_worker"])
    publish_directly(url, other)
    at.button(key="report_publish").click().run()           # the page still showed the draft
    ok(at)
    assert at.error
    engine = make_engine(url)
    with Session(engine) as session:
        assert len(versions.history(session, community_id=community_id(url), quarter=QUARTER)) == 1
    engine.dispose()


def test_the_government_accepts_the_version_and_the_others_see_it(url: str) -> None:
    sw, _ = add_user(url, "social_worker", party=PARTY["social_worker"])
    publish_directly(url, sw)
    at = open_as(url, "government")
    assert at.button(key="report_confirm").label == t("report.page.accept_button", version=1)
    at.text_input(key="report_confirm_note").input("同意").run()
    at.button(key="report_confirm").click().run()
    ok(at)
    assert any(t("report.page.accept_done_flash", version=1) in s.value for s in at.success)
    confirmations = at.table[-2].value
    assert confirmations.iloc[0].tolist()[1] == t("report.page.accept_done")
    assert not [b for b in at.button if b.key == "report_confirm"]       # given once
    platform = open_as(url, "platform")
    assert platform.table[-2].value.iloc[0].tolist()[1] == t("report.page.accept_done")
    assert platform.button(key="report_confirm").label == t("report.page.confirm_button", version=1)


def test_a_viewer_gets_no_downloads_nor_forms(url: str) -> None:
    sw, _ = add_user(url, "social_worker", party=PARTY["social_worker"])
    publish_directly(url, sw)
    at = open_as(url, "viewer")
    assert not list(at.get("download_button"))
    assert not at.text_area and not at.text_input
    assert not [b for b in at.button if b.key in ("report_publish", "report_confirm")]
    assert at.table[-1].value.shape[0] == 1                  # the versions are there to read


def test_meeting_mode_hides_small_counts(url: str) -> None:
    at = open_as(url, "admin", community=SMALL)
    needs = at.table[0].value
    assert needs.iloc[0].tolist()[1] == "3"
    at.toggle(key="meeting_mode").set_value(True).run()
    ok(at)
    needs = at.table[0].value
    assert needs.iloc[0].tolist()[1] == plain("<5")          # st.table reads Markdown: the page escapes it
    assert any(t("report.page.hidden", n=5)[:10] in c.value for c in at.caption)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_empty_community_and_database_say_so(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                lang: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        fx.community(conn, "ZY", name="空社区")
    engine.dispose()
    at = open_as(url, "admin", lang, community="ZY")
    with use_language(lang):
        assert any(i.value.startswith(t("report.page.empty", community="", quarter="")[:4]) for i in at.info)
        assert not at.table
    monkeypatch.setenv("DASHBOARD_AUTO_SEED", "false")
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    monkeypatch.setenv("DATABASE_URL", empty)
    clear_caches()
    at = open_as(empty, "admin", lang, community=None)
    with use_language(lang):
        assert [i.value for i in at.info][-1] == t("report.page.empty_db")


def test_the_slideshow_moves_by_its_buttons_and_names_the_version_on_every_slide(url: str) -> None:
    at = open_as(url, "government")
    at.button_group(key="report_section").set_value("slides").run()
    ok(at)
    seen = []
    while True:
        html = " ".join(h.proto.body for h in at.get("html"))
        assert t("report.slide.draft") in html                # the version (a draft here) on every slide
        seen.append(at.session_state["report_slide"])
        if at.button(key="report_slide_next").disabled:       # the last slide
            break
        at.button(key="report_slide_next").click().run()
        ok(at)
    assert seen == list(range(len(AREAS) + 1))               # a title slide, then one per area
    at.button(key="report_slide_prev").click().run()
    assert at.session_state["report_slide"] == 4


def test_a_quarter_still_running_is_refused_in_words(url: str) -> None:
    today = shanghai_today()
    engine = make_engine(url)
    with engine.begin() as conn:                             # a need of today puts the running quarter in the list
        person = conn.execute(sa.text("SELECT id FROM practitioner WHERE community_id = :c LIMIT 1"),
                              {"c": community_id(url)}).scalar_one()
        fx.need(conn, person, community_id(url), code="N-NOW", identified_on=today, quarter=quarter_key(today))
    engine.dispose()
    at = open_as(url, "social_worker")
    at.selectbox(key="filter_quarter").set_value(quarter_key(today)).run()
    ok(at)
    assert any(t("filter.in_progress", quarter=quarter_key(today)) in c.value for c in at.caption)
    at.button(key="report_publish").click().run()
    ok(at)
    assert at.error and quarter_key(today) in at.error[0].value
    engine = make_engine(url)
    with Session(engine) as session:
        assert versions.latest(session, community_id=community_id(url), quarter=quarter_key(today)) is None
    engine.dispose()


def test_what_was_edited_in_each_language_is_published(url: str) -> None:
    at = open_as(url, "social_worker")
    at.text_area(key="report_narrative_needs").set_value("需求评估工作平稳。").run()
    at.radio(key="lang").set_value("en").run()
    ok(at)
    assert at.text_area(key="report_narrative_needs").value != "需求评估工作平稳。"      # the English draft
    at.text_area(key="report_narrative_needs").set_value("Needs work went steadily.").run()
    at.button(key="report_publish").click().run()
    ok(at)
    engine = make_engine(url)
    with Session(engine) as session:
        v1 = versions.latest(session, community_id=community_id(url), quarter=QUARTER)
    engine.dispose()
    assert v1 is not None
    assert v1.narrative["zh"]["needs"] == "需求评估工作平稳。"
    assert v1.narrative["en"]["needs"] == "Needs work went steadily."
    assert v1.narrative["zh"]["training"] and v1.narrative["en"]["training"]       # the drafts of the rest


def late_need(url: str, code: str = "N-LATE") -> None:
    """A need of the quarter entered late in community A (its count of needs identified grows by one)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        person = conn.execute(sa.text("SELECT id FROM practitioner WHERE community_id = :c LIMIT 1"),
                              {"c": community_id(url)}).scalar_one()
        fx.need(conn, person, community_id(url), code=code, identified_on=dt.date(2026, 9, 30), quarter=QUARTER)
    engine.dispose()


def latest(url: str) -> versions.Published | None:
    engine = make_engine(url)
    with Session(engine) as session:
        found = versions.latest(session, community_id=community_id(url), quarter=QUARTER)
    engine.dispose()
    return found


def cell(at: AppTest, label_key: str, column: int = 1) -> str:
    """A figure's cell in the page's figure tables (column 1: this quarter)."""
    label = t(label_key)
    for table in at.table:
        frame = table.value
        rows = frame[frame.iloc[:, 0] == plain(label)]
        if not rows.empty and frame.shape[1] == 6:
            return str(rows.iloc[0, column])
    raise AssertionError(f"no row {label}")


def test_a_publish_after_the_figures_changed_is_refused_and_the_page_shows_the_new_ones(url: str) -> None:
    """Someone's write clears the cache, so the run the click starts reads newer figures than the page showed:
    publishing them would freeze figures nobody saw (beside a narrative drafted from the old ones). Refused, nothing
    written, and the page shows the new figures; the next click publishes those."""
    at = open_as(url, "social_worker")
    shown = int(cell(at, "report.fig.needs_identified").replace(",", ""))
    drafted = at.text_area(key="report_narrative_needs").value
    at.text_area(key="report_narrative_training").set_value("培训按计划进行。").run()
    late_need(url)
    st.cache_data.clear()                                   # as any write in the app does
    at.button(key="report_publish").click().run()
    ok(at)
    assert [e.value for e in at.error] == [t("report.page.figures_changed")]
    assert latest(url) is None
    assert int(cell(at, "report.fig.needs_identified").replace(",", "")) == shown + 1
    # the draft nobody edited follows the new figures; the edited one is left as it was
    assert at.text_area(key="report_narrative_needs").value not in ("", drafted)
    assert at.text_area(key="report_narrative_training").value == "培训按计划进行。"
    at.button(key="report_publish").click().run()
    ok(at)
    v1 = latest(url)
    assert v1 is not None and v1.data.figure_values()["needs.needs_identified"] == shown + 1


def test_a_publish_freezes_the_figures_as_shown_with_their_cut_off(url: str) -> None:
    """The cache emptied by a write elsewhere, figures unchanged: what is frozen is what was shown, down to the
    cut-off the page gave (a fresh read would carry a later one)."""
    at = open_as(url, "social_worker")
    shown = at.session_state["report_shown"][(community_id(url), QUARTER)]
    st.cache_data.clear()
    at.button(key="report_publish").click().run()
    ok(at)
    v1 = latest(url)
    assert v1 is not None and v1.cut_off_at == shown.cut_off
    assert v1.data.figure_values() == shown.figure_values()


def test_a_restatement_starts_both_languages_from_the_published_narrative(url: str) -> None:
    """Version 1 says 甲 / A in every area; restated in Chinese with one English area edited, version 2 keeps the
    other English areas as published (not a fresh draft) and takes the edit."""
    sw, _ = add_user(url, "social_worker", party=PARTY["social_worker"])
    publish_directly(url, sw)
    late_need(url)
    at = open_as(url, "social_worker", "en")
    assert at.text_area(key="report_narrative_needs").value == "A"
    at.text_area(key="report_narrative_needs").set_value("Needs: one more entered late.").run()
    at.radio(key="lang").set_value("zh").run()
    ok(at)
    assert at.text_area(key="report_narrative_needs").value == "甲"
    at.text_area(key="report_reason").set_value("补录一条需求评估").run()
    at.button(key="report_publish").click().run()
    ok(at)
    v2 = latest(url)
    assert v2 is not None and v2.version == 2
    assert v2.narrative["zh"] == dict.fromkeys(AREAS, "甲")
    assert v2.narrative["en"] == {**dict.fromkeys(AREAS, "A"), "needs": "Needs: one more entered late."}


def restated(url: str) -> None:
    """Version 1, a need entered late, version 2 with its reason (someone else's session)."""
    sw, _ = add_user(url, "social_worker", party=PARTY["social_worker"])
    publish_directly(url, sw)
    late_need(url)
    publish_directly(url, sw, expected=1, reason="补录 9 月 30 日的一条需求评估")


def changes_table(at: AppTest) -> list[list[str]]:
    columns = [t("report.page.col_area"), t("report.page.col_figure"), t("report.page.col_old"),
               t("report.page.col_new"), t("report.page.col_difference")]
    return next(tb.value.values.tolist() for tb in at.table if list(tb.value.columns) == columns)


@pytest.mark.parametrize(("role", "difference"), [("admin", "+1"), ("government", plain("<5"))])
def test_the_restated_version_says_why_and_what_changed_under_its_status(url: str, role: str,
                                                                        difference: str) -> None:
    """Parties confirming version 2 read its reason and the figures that changed from version 1, suppressed for
    them: one more person's need is a small cell ("<5") where personal data is hidden."""
    restated(url)
    at = open_as(url, role)
    assert any("补录 9 月 30 日的一条需求评估" in m for m in texts(at))
    rows = changes_table(at)
    needs = next(r for r in rows if r[1] == plain(t("report.fig.needs_identified")))
    assert needs[4] == difference
    assert at.table[0].value.values.tolist() == rows      # the first table on the page: under the status line


def test_the_restated_versions_pdf_gets_its_reason_and_changes_as_the_viewer_sees_them(
        url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import dashboard.report.pdf as pdf
    made: list[dict] = []

    def report_pdf(data: object, narrative: object, meta: object, *, lang: str, min_cell: int | None,
                   changes: Sequence[FigureChange] = (), reason: str = "") -> bytes:
        made.append({"changes": list(changes), "reason": reason, "min_cell": min_cell})
        return b"%PDF-1.7 test"

    monkeypatch.setattr(pdf, "report_pdf", report_pdf)
    restated(url)
    at = open_as(url, "government")
    at.button(key="report_pdf_build").click().run()
    ok(at)
    assert made and made[0]["reason"] == "补录 9 月 30 日的一条需求评估" and made[0]["min_cell"] == 5
    needs = next(c for c in made[0]["changes"] if c.key == "needs.needs_identified")
    assert needs.difference is None and needs.old is not None           # +1 person: not handed on
    assert [d.key for d in at.get("download_button")] == ["report_handout", "report_pdf"]


def test_a_pdf_that_cannot_be_made_is_explained(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The conversion failed (LibreOffice timed out): the rule's message on the page, not only in the log."""
    import dashboard.report.pdf as pdf
    from dashboard.services.errors import RuleError

    def report_pdf(*args: object, **kwargs: object) -> bytes:
        raise RuleError("report.file.pdf_failed")

    monkeypatch.setattr(pdf, "report_pdf", report_pdf)
    at = open_as(url, "social_worker")
    at.button(key="report_pdf_build").click().run()
    ok(at)
    assert [e.value for e in at.error] == [t("report.file.pdf_failed")]
    assert [d.key for d in at.get("download_button")] == ["report_handout"]


def test_without_libreoffice_the_pdf_button_says_why(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "soffice" else real(name, *a, **k))
    at = open_as(url, "social_worker")
    assert at.button(key="report_pdf_build").disabled
    assert t("report.page.pdf_unavailable") in [c.value for c in at.caption]


def test_an_admin_of_no_party_gets_no_confirm_button_and_is_told_why(url: str) -> None:
    sw, _ = add_user(url, "social_worker", party=PARTY["social_worker"])
    publish_directly(url, sw)
    at = open_as(url, "admin")
    assert not [b for b in at.button if b.key == "report_confirm"]
    assert not [i for i in at.text_input if i.key == "report_confirm_note"]
    assert t("report.page.no_party") in [c.value for c in at.caption]


def test_drafting_a_restatement_again_drafts_both_languages(url: str) -> None:
    """The other language starts from the version restated too: "draft again from today's figures" must not leave
    it quoting version 1's figures beside a Chinese text of version 2's."""
    sw, _ = add_user(url, "social_worker", party=PARTY["social_worker"])
    publish_directly(url, sw)
    late_need(url)
    at = open_as(url, "social_worker")
    at.button(key="report_redraft").click().run()
    ok(at)
    assert at.text_area(key="report_narrative_needs").value not in ("", "甲")
    at.text_area(key="report_reason").set_value("补录一条需求评估").run()
    at.button(key="report_publish").click().run()
    ok(at)
    v2 = latest(url)
    assert v2 is not None and v2.version == 2
    assert "甲" not in v2.narrative["zh"].values() and "A" not in v2.narrative["en"].values()
