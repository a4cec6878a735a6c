"""The 培训成效 page in AppTest: every role that sees it in both languages, section by section (only the chosen
section's data is loaded), an empty quarter, the demo quarter's figures equal to the query's, a follow-up recorded
through the form (the row and the audit log change; the page stays on the work list; a stale version is refused in the
user's language), the work list capped with its count, one given up as unreachable found by its enrolment code and
recorded, a viewer without forms or exports, the certificate check."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from dashboard import loaders_training as data
from dashboard import presenters_training as view
from dashboard.db import init_database, make_engine
from dashboard.i18n import t, use_language
from dashboard.periods import shanghai_today
from dashboard.queries import Scope
from dashboard.queries.training import training_board
from dashboard.services.followups import worklist_count
from dashboard.training_sync import certificate_number
from data_models import AuditLog, Certificate, Enrolment, TrainingFollowup
from data_models.base import table_of
from seed.load import load_demo
from tests.apptest_helpers import ROOT, add_user, clear_caches, click, sign_in

PAGE = "app_pages/training.py"
FU = table_of(TrainingFollowup)
AUDIT = table_of(AuditLog)
PARTY = {"social_worker": "GA-SW", "government": "GA-GOV", "association": "GA-ASN", "platform": "GA-PLT"}


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database made once; each test works on its own copy (seeding takes seconds, a copy nothing)."""
    path = tmp_path_factory.mktemp("training") / "demo.db"
    engine = init_database(f"sqlite:///{path}")
    load_demo(engine, "demo")
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


def open_as(url: str, role: str, lang: str = "zh", section: str | None = None) -> AppTest:
    add_user(url, "admin")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    sign_in(at, *add_user(url, role, party=PARTY.get(role)))
    at.radio(key="lang").set_value(lang).run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    if section is not None:
        go(at, section)
    return at


def go(at: AppTest, section: str) -> AppTest:
    at.button_group(key="training_section").set_value(section).run()
    assert not at.exception, at.exception
    assert at.button_group(key="training_section").value == section
    return at


def query(url: str, sql: sa.Executable) -> list[sa.Row]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = list(conn.execute(sql))
    engine.dispose()
    return rows


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("role", ["admin", "social_worker", "government", "association", "platform", "viewer"])
def test_every_role_that_sees_the_page_reads_it_in_both_languages(url: str, role: str, lang: str) -> None:
    at = open_as(url, role, lang)
    with use_language(lang):
        assert at.header[0].value == t("training.title")
        assert [m.label for m in at.metric][:6] == [t("training.m.enrolled"), t("training.m.completion"),
                                                    t("training.m.certified"), t("training.m.employed_m3"),
                                                    t("training.m.income_up_m6"), t("training.m.stability")]
        assert any(t("training.reach_line", m3="", m6="")[:4] in c.value for c in at.caption)
        assert at.button_group(key="training_section").options == [t(f"training.tab.{k}") for k in view.SECTIONS]
        for section in view.SECTIONS:
            go(at, section)
            assert not at.error, (section, [e.value for e in at.error])
            if section != "outcomes":      # one section at a time: the headline metrics are the outcomes section's
                assert t("training.m.enrolled") not in [m.label for m in at.metric], section
            if section == "followups":
                phones = at.dataframe[0].value[t("training.col.phone")]
                # the work list: phones masked for every role that may not see personal data
                assert phones.str.contains(r"\*\*\*\*").all() != (role in ("admin", "social_worker"))


def test_the_demo_quarters_figures_are_the_querys(url: str) -> None:
    at = open_as(url, "admin")
    quarter = at.selectbox(key="filter_quarter").value
    engine = make_engine(url)
    with Session(engine) as session:
        board = training_board(session, scope=Scope(None, quarter), as_of=shanghai_today())
    engine.dispose()
    expected = view.headline(board.current, board.previous)
    shown = {m.label: (m.value, m.proto.help) for m in at.metric}
    assert board.current.enrolled > 0
    for m in expected:
        assert shown[m.label][0] == m.value, m.label
    # the follow-up rate says how many were reached of those due, and the unreachable apart
    assert t("training.reached_of_due", r=f"{board.current.m3_reached:,}", d=f"{board.current.m3_due:,}",
             u=f"{board.current.m3_unreachable:,}") in shown[t("training.m.employed_m3")][1]


def test_an_empty_quarter_says_so(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:        # the newest quarter's enrolments gone: the quarter stays on the filter
        quarter = conn.execute(sa.text("SELECT max(quarter) FROM enrolment")).scalar_one()
        conn.execute(sa.text("DELETE FROM certificate WHERE enrolment_id IN (SELECT id FROM enrolment "
                             "WHERE quarter = :q)"), {"q": quarter})
        conn.execute(sa.text("DELETE FROM training_followup WHERE enrolment_id IN (SELECT id FROM enrolment "
                             "WHERE quarter = :q)"), {"q": quarter})
        conn.execute(sa.text("DELETE FROM enrolment WHERE quarter = :q"), {"q": quarter})
    engine.dispose()
    at = open_as(url, "social_worker", "en")
    with use_language("en"):        # AppTest words a choice with the widget's format_func in the test's language
        at.selectbox(key="filter_quarter").set_value(quarter).run()
        assert not at.exception
        assert any(i.value == t("training.empty", quarter=quarter) for i in at.info), [i.value for i in at.info]
    assert not at.error


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_social_worker_records_a_follow_up_through_the_form(url: str, lang: str) -> None:
    at = open_as(url, "social_worker", lang, section="followups")
    pick = at.selectbox(key="training_pick").value
    (before,) = query(url, sa.select(FU).where(FU.c.id == pick))
    audits = query(url, sa.select(sa.func.count()).select_from(AUDIT))[0][0]
    with use_language(lang):
        at.selectbox(key="training_employment").set_value("ecommerce_self")
        at.selectbox(key="training_store").set_value("yes")
        at.number_input(key="training_streams").set_value(4)
        at.number_input(key="training_income").set_value(4200.5)
        click(at, t("training.form.submit"))
        assert not at.error, [e.value for e in at.error]
        assert any(t("enum.FollowupStatus.reached") in s.value for s in at.success)
    (after,) = query(url, sa.select(FU).where(FU.c.id == pick))
    assert (after.status, after.employment, after.opened_store, after.livestreams_per_week, after.income_cents) == (
        "reached", "ecommerce_self", True, 4, 420_050)
    assert after.version == before.version + 1 and after.reached_on == shanghai_today()
    (entry,) = query(url, sa.select(AUDIT).order_by(AUDIT.c.id.desc()).limit(1))
    assert query(url, sa.select(sa.func.count()).select_from(AUDIT))[0][0] == audits + 1
    assert entry.entity == "training_followup" and entry.actor.startswith("social_worker")
    assert at.selectbox(key="training_pick").value != pick           # done: off the work list
    # the page came back on the work list, not on the first section
    assert at.button_group(key="training_section").value == "followups"
    assert at.selectbox(key="training_pick") and not at.metric


def test_a_try_that_did_not_reach_counts_and_a_stale_version_is_refused(url: str) -> None:
    at = open_as(url, "social_worker", "en", section="followups")
    pick = at.selectbox(key="training_pick").value
    (before,) = query(url, sa.select(FU).where(FU.c.id == pick))
    with use_language("en"):
        at.radio(key="training_outcome").set_value("try").run()
        click(at, t("training.form.submit"))
    (after,) = query(url, sa.select(FU).where(FU.c.id == pick))
    assert after.tries == before.tries + 1 and after.status in ("pending", "unreachable")
    assert after.employment is None                          # not reached is never "not employed"
    # someone else records the same follow-up meanwhile: this page still holds the version it showed
    if after.status != "pending":
        pick = at.selectbox(key="training_pick").value
        (after,) = query(url, sa.select(FU).where(FU.c.id == pick))
    with use_language("en"):
        at.radio(key="training_outcome").set_value("try").run()     # the form as the user fills it in
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(FU.update().where(FU.c.id == pick).values(version=FU.c.version + 1))
    engine.dispose()
    with use_language("en"):                   # the submit's rerun reads the new row (the data version moved) ...
        click(at, t("training.form.submit"))   # ... but the move is checked against the version the form showed
        assert at.error and at.error[0].value.startswith("Someone else changed")
    (again,) = query(url, sa.select(FU).where(FU.c.id == pick))
    assert (again.tries, again.version) == (after.tries, after.version + 1)      # nothing of the loser written


def test_a_viewer_sees_no_form_and_no_export(url: str) -> None:
    at = open_as(url, "viewer", section="followups")
    assert not [k for k in ("training_pick", "training_employment", "training_find") if k in at.session_state]
    assert not any(b.label == t("training.form.submit") for b in at.button)
    assert any(c.value == t("access.read_only") for c in at.caption)
    for section in ("courses", "subsidy", "certificates"):
        go(at, section)
        assert not at.get("download_button"), section
    assert not any(e.label == t("training.cert.revoke_title") for e in at.expander)


def test_anyone_checks_a_certificate_and_sees_only_a_masked_name(url: str) -> None:
    (cert,) = query(url, sa.select(table_of(Certificate)).where(table_of(Certificate).c.revoked_on.is_(None))
                    .limit(1))
    at = open_as(url, "viewer", "en", section="certificates")
    with use_language("en"):
        at.text_input(key="training_cert_number").input(cert.number.lower().replace("-", " "))
        click(at, t("training.cert.check"))
        assert at.success and cert.number in at.success[0].value and "*" in at.success[0].value
        at.text_input(key="training_cert_number").input(certificate_number(2026, 99_999_999))
        click(at, t("training.cert.check"))
        assert at.warning and t("training.cert.unknown", number="")[:10] in at.warning[0].value


def test_the_work_list_shows_the_200_most_overdue_and_says_how_many_there_are(url: str) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        total = worklist_count(session, community_id=None, as_of=shanghai_today())
    engine.dispose()
    assert total > data.WORKLIST_LIMIT, "the demo's backlog no longer exceeds the cap: this test needs more rows"
    at = open_as(url, "social_worker", "zh", section="followups")
    shown = at.dataframe[0].value
    assert len(shown) == data.WORKLIST_LIMIT
    assert len(at.selectbox(key="training_pick").options) == data.WORKLIST_LIMIT     # the picker holds only those
    assert t("training.worklist_capped_all", shown="200", total=f"{total:,}") in [c.value for c in at.caption]
    overdue = [int(d or 0) for d in shown[t("training.col.overdue_days")].str.replace(",", "")]
    assert overdue == sorted(overdue, reverse=True)                                   # most overdue first


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_someone_given_up_as_unreachable_is_found_by_enrolment_code_and_recorded(url: str, lang: str) -> None:
    (fu,) = query(url, sa.select(FU.c.id, FU.c.version, FU.c.tries, table_of(Enrolment).c.code)
                  .join(table_of(Enrolment), table_of(Enrolment).c.id == FU.c.enrolment_id)
                  .where(FU.c.status == "unreachable").order_by(FU.c.id).limit(1))
    at = open_as(url, "social_worker", lang, section="followups")
    with use_language(lang):
        gave_up = t("enum.FollowupStatus.unreachable")
        listed = at.selectbox(key="training_pick").options               # the work list holds the pending only
        assert not any(o.startswith(fu.code) and o.endswith(gave_up) for o in listed)
        at.text_input(key="training_find").input(f" {fu.code.lower()} ").run()
        found = at.selectbox(key="training_pick").options      # its follow-ups still to record, and only those
        assert found and all(o.startswith(fu.code) for o in found) and any(o.endswith(gave_up) for o in found)
        at.selectbox(key="training_pick").set_value(fu.id).run()
        assert t("training.form.unreachable_note") in [c.value for c in at.caption]
        assert not at.get("radio") or "training_outcome" not in [r.key for r in at.radio]   # only "reached" now
        at.selectbox(key="training_employment").set_value("other_work")
        at.number_input(key="training_income").set_value(3000)
        click(at, t("training.form.submit"))
        assert not at.error, [e.value for e in at.error]
        assert any(fu.code in s.value and t("enum.FollowupStatus.reached") in s.value for s in at.success)
        assert at.button_group(key="training_section").value == "followups"
        assert at.text_input(key="training_find").value == ""               # the box is cleared after a save
        at.text_input(key="training_find").input(fu.code).run()        # the recorded one is no longer offered
        if len(found) == 1:
            assert any(i.value == t("training.find_none", code=fu.code) for i in at.info)
        else:
            assert len(at.selectbox(key="training_pick").options) == len(found) - 1
    (after,) = query(url, sa.select(FU).where(FU.c.id == fu.id))
    assert (after.status, after.employment, after.income_cents, after.version) == (
        "reached", "other_work", 300_000, fu.version + 1)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_section_shows_only_its_language(url: str, lang: str) -> None:
    """The language scan (tests/test_language_scan.py) sees one section of this page, the one drawn: here each."""
    from tests.test_language_scan import data_strings, leaks, shown_texts

    names = data_strings(url)
    (code,) = query(url, sa.select(table_of(Enrolment).c.code).join(FU, FU.c.enrolment_id == table_of(Enrolment).c.id)
                    .where(FU.c.status == "unreachable").limit(1))[0]
    at = open_as(url, "admin", lang)
    found = []
    for section in view.SECTIONS:
        go(at, section)
        if section == "followups":       # the form as it is for someone given up on, and a code that finds nothing
            at.text_input(key="training_find").input(code).run()
            found += leaks(at, lang, names)
            at.text_input(key="training_find").input("E99999999").run()
        assert len(list(shown_texts(at))) > 5, section
        found += [f"{section}: {leak}" for leak in leaks(at, lang, names)]
    assert not found, "\n".join(found)


def test_the_first_section_keeps_the_plain_address_and_another_names_itself(url: str) -> None:
    """The sidebar's link is /training: opening it must not add ?section=outcomes (a link that lands somewhere other
    than where it points; the offline browser test saw it)."""
    at = open_as(url, "social_worker")
    assert "section" not in at.query_params
    go(at, "followups")
    assert at.query_params["section"] == "followups"
    go(at, "outcomes")
    assert "section" not in at.query_params


def test_a_follow_up_recorded_elsewhere_before_the_click_is_named_and_no_other_is_recorded(
        url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Someone else records the follow-up this page shows, so it leaves the work list before the click. The click's run
    reads the list without it: the choice fell to the next follow-up and the click recorded a try on that one, never
    shown to the user. Now the page says the one picked is gone and records nothing."""
    from dashboard.accounts import Principal
    from dashboard.services import followups
    from data_models.enums import Role

    monkeypatch.setenv("DASHBOARD_DATA_VERSION_CHECK", "true")
    at = open_as(url, "social_worker", "en", section="followups")
    pick = at.selectbox(key="training_pick").value
    with use_language("en"):
        at.radio(key="training_outcome").set_value("try").run()
    others = {r.id: (r.tries, r.version) for r in query(url, sa.select(FU).where(FU.c.id != pick))}
    engine = make_engine(url)
    with Session(engine) as session:          # a colleague reaches the person meanwhile
        (fu,) = session.execute(sa.select(FU).where(FU.c.id == pick)).all()
        followups.record_reached(session, pick, version=fu.version, on=shanghai_today(),
                                 answer=followups.Answer("ecommerce_self", None, None, None),
                                 actor=Principal("colleague", Role.social_worker), today=shanghai_today())
        session.commit()
    engine.dispose()
    with use_language("en"):
        click(at, t("training.form.submit"))
        assert [w.value for w in at.warning] == [t("forms.row_gone", item=f"{t('training.form.pick')} #{pick}")]
    assert {r.id: (r.tries, r.version) for r in query(url, sa.select(FU).where(FU.c.id != pick))} == others
    (done,) = query(url, sa.select(FU).where(FU.c.id == pick))
    assert (done.status, done.version) == ("reached", fu.version + 1)     # the colleague's answer alone
    at.run()
    assert not at.warning and at.selectbox(key="training_pick").value != pick
