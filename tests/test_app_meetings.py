"""The 四方联席会议 page in AppTest on the demo seed: every role that sees it opens every section in both languages
(only that language shown); a social worker generates and saves an agenda, records attendance (the quorum line
follows), records a decision and an action item in the projector section, schedules the next meeting; a write on a
meeting changed meanwhile is refused; the government account moves its party's action item (with no community chosen
too); a viewer sees no form and no download; a community without meetings says so. The minutes' section is tested in
test_app_meetings_minutes.py; the projector section's forms live in app_pages/meetings_run.py. Today is fixed at
2026-12-01 (the page reads loaders.today())"""

import datetime as dt
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from dashboard import loaders
from dashboard import presenters_meetings as view
from dashboard.db import init_database, make_engine
from dashboard.i18n import t, use_language
from data_models import (
    ActionItem,
    ActionUpdate,
    AgendaItem,
    Community,
    Decision,
    Meeting,
    MeetingAttendance,
    MinutesAddendum,
    MinutesSignature,
    Party,
)
from data_models.base import table_of
from seed.load import load_demo
from tests.apptest_helpers import ROOT, add_user, clear_caches, click, sign_in

PAGE = "app_pages/meetings.py"
TODAY = dt.date(2026, 12, 1)
M, A, X, D = table_of(Meeting), table_of(AgendaItem), table_of(ActionItem), table_of(Decision)
ATT, P, SIG, XU = table_of(MeetingAttendance), table_of(Party), table_of(MinutesSignature), table_of(ActionUpdate)
PARTY = {"social_worker": "GA-SW", "government": "GA-GOV", "association": "GA-ASN", "platform": "GA-PLT",
         "cooperative_manager": "GA-COOP"}
ROLES = ["admin", "social_worker", "government", "association", "platform", "cooperative_manager", "viewer"]


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database made once; each test works on its own copy (seeding takes seconds, a copy nothing)."""
    path = tmp_path_factory.mktemp("meetings") / "demo.db"
    engine = init_database(f"sqlite:///{path}")
    load_demo(engine, "demo")
    engine.dispose()
    return path


@pytest.fixture
def url(demo_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    shutil.copy(demo_file, tmp_path / "app.db")
    database = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setattr(loaders, "today", lambda: TODAY)
    clear_caches()
    yield database
    clear_caches()


def query(url: str, sql: sa.Executable) -> list[sa.Row]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = list(conn.execute(sql))
    engine.dispose()
    return rows


def community_id(url: str, code: str = "GA") -> int:
    return int(query(url, sa.select(table_of(Community).c.id).where(table_of(Community).c.code == code))[0][0])


def open_as(url: str, role: str, lang: str = "zh", section: str | None = None, meeting: str | None = None,
            username: str | None = None) -> AppTest:
    """Signed in as a new account of `role` (of community GA's party for the party roles), community GA chosen."""
    add_user(url, "admin")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    # no underscore in the name: shown escaped (social\\_worker) it would not be found as data by the language scan
    name = username or f"{role.replace('_', '-')}-{secrets.token_hex(3)}"
    sign_in(at, *add_user(url, role, username=name, party=PARTY.get(role)))
    at.radio(key="lang").set_value(lang).run()
    at.switch_page(PAGE).run()
    with use_language(lang):
        at.selectbox(key="filter_community").set_value(community_id(url)).run()
    assert not at.exception, at.exception
    if meeting is not None:
        pick_meeting(at, meeting, lang)
    if section is not None:
        go(at, section)
    return at


def go(at: AppTest, section: str) -> AppTest:
    at.button_group(key="meetings_section").set_value(section).run()
    assert not at.exception, at.exception
    assert at.button_group(key="meetings_section").value == section
    return at


def pick_meeting(at: AppTest, code: str, lang: str = "zh") -> None:
    with use_language(lang):
        at.selectbox(key="meetings_meeting").set_value(code).run()
    assert not at.exception, at.exception


def ga_meetings(url: str) -> list[sa.Row]:
    """Community GA's meetings, newest first (as the page lists them)."""
    return query(url, sa.select(M).where(M.c.community_id == community_id(url))
                 .order_by(M.c.held_on.desc(), M.c.id.desc()))


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_every_role_opens_every_section_in_both_languages(url: str, role: str, lang: str) -> None:
    at = open_as(url, role, lang)
    with use_language(lang):
        assert at.header[0].value == t("meetings.title")
        assert at.button_group(key="meetings_section").options == [t(f"meetings.tab.{k}") for k in view.SECTIONS]
        for section in view.SECTIONS:
            go(at, section)
            assert not errors(at), (section, errors(at))
        assert not at.exception


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_section_shows_only_its_language(url: str, lang: str) -> None:
    from tests.test_language_scan import data_strings, leaks, shown_texts

    # Kept as they are: a product's name (下载纪要（Word）) and the shared read-only help, which names a file.
    names = data_strings(url) + meeting_strings(url) + ["Word", t("access.read_only_help")]
    names = sorted(set(names), key=len, reverse=True)
    found = []
    for role in ("social_worker", "government"):
        at = open_as(url, role, lang)
        for section in view.SECTIONS:
            go(at, section)
            assert len(list(shown_texts(at))) > 5, section
            found += [f"{role} {section}: {leak}" for leak in leaks(at, lang, names)]
        if role == "social_worker":           # the proposals' figures, in the editor's expander
            go(at, "agenda")
            click(at, t("meetings.agenda.propose") if lang == "zh" else "Propose an agenda")
            found += [f"proposals: {leak}" for leak in leaks(at, lang, names)]
    assert not found, "\n".join(found)


def meeting_strings(url: str) -> list[str]:
    """Text people typed into meetings (titles, places, names, decisions): shown as stored, in its own language."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        out = [row[0] for sql in (
            "SELECT name FROM party", "SELECT title FROM meeting", "SELECT location FROM meeting",
            "SELECT title FROM agenda_item", "SELECT notes FROM agenda_item", "SELECT text FROM decision",
            "SELECT title FROM action_item", "SELECT owner_person FROM action_item", "SELECT note FROM action_item",
            "SELECT attendees FROM meeting_attendance", "SELECT deputy FROM meeting_attendance",
            "SELECT signed_by FROM minutes_signature", "SELECT text FROM minutes_addendum")
            for row in conn.execute(sa.text(sql)) if row[0]]
    engine.dispose()
    parts = [p.strip() for s in out for p in s.replace("、", "\n").splitlines() if p.strip()]
    return sorted(set(out + parts), key=len, reverse=True)


def param(at: AppTest, name: str) -> str:
    value = at.query_params[name]
    return value[0] if isinstance(value, list) else value


def test_the_first_section_keeps_the_plain_address_and_another_names_itself(url: str) -> None:
    at = open_as(url, "social_worker")
    assert "section" not in at.query_params
    go(at, "run")
    assert param(at, "section") == "run"
    assert param(at, "meeting") == at.selectbox(key="meetings_meeting").value
    go(at, "meetings")
    assert "section" not in at.query_params


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_social_worker_generates_and_saves_an_agenda(url: str, lang: str) -> None:
    from dashboard.services import agenda

    target = next(m for m in ga_meetings(url) if m.minutes_status == "draft")
    at = open_as(url, "social_worker", lang, section="agenda", meeting=target.code)
    with use_language(lang):
        click(at, t("meetings.agenda.propose"))
        assert not errors(at), errors(at)
        engine = make_engine(url)
        with engine.connect() as conn:
            proposed = agenda.propose(conn, meeting_id=target.id, today=TODAY)
        engine.dispose()
        assert proposed, "the demo proposes nothing for GA's draft meeting"
        total = sum(p.minutes for p in proposed)
        assert any(str(total) in m.value for m in at.markdown), [m.value for m in at.markdown]
        click(at, t("meetings.agenda.save"))
        assert not errors(at), errors(at)
        assert any(t("meetings.agenda.saved_done", n=len(proposed)) == s.value for s in at.success)
    saved = query(url, sa.select(A.c.order_no, A.c.title, A.c.minutes, A.c.source).where(A.c.meeting_id == target.id)
                  .order_by(A.c.order_no))
    assert [(r.title, r.minutes, r.source) for r in saved] == [(p.title, p.minutes, p.source) for p in proposed]
    assert [r.order_no for r in saved] == list(range(1, len(proposed) + 1))
    assert at.button_group(key="meetings_section").value == "agenda"       # back on the same section


def editable_meeting(url: str) -> sa.Row:
    """GA's newest meeting that can still be edited (a draft, or circulated with its window open) and has an
    agenda (the demo's: its latest held meeting is circulated, open for amendment)."""
    return next(m for m in ga_meetings(url)
                if (m.minutes_status == "draft" or (m.minutes_status == "circulated" and m.amend_until >= TODAY))
                and query(url, sa.select(sa.func.count()).select_from(A).where(A.c.meeting_id == m.id))[0][0])


def att(at: AppTest, field: str, party_id: int):  # type: ignore[no-untyped-def]
    """The attendance form's widget of `field` (status, who, deputy) for a party: keyed per meeting and version."""
    widgets = at.selectbox if field == "status" else at.text_input
    (found,) = [w for w in widgets if (w.key or "").startswith(f"meetings_att_{field}_")
                and w.key.endswith(f"_{party_id}")]
    return found


def test_the_attendance_form_shows_the_chosen_meetings_attendance_after_switching(url: str) -> None:
    """Picking another meeting must not carry the last meeting's attendance into the form (saving it would write
    one meeting's attendees onto another)."""
    meetings = ga_meetings(url)
    locked = next(m for m in meetings if m.minutes_status == "locked")
    draft = next(m for m in meetings if m.minutes_status == "draft")
    at = open_as(url, "social_worker", "zh", section="run", meeting=locked.code)
    pick_meeting(at, draft.code)
    rows = query(url, sa.select(ATT).where(ATT.c.meeting_id == draft.id))
    stored = {r.party_id: (r.status, r.attendees) for r in rows}
    shown = {pid: (att(at, "status", pid).value, att(at, "who", pid).value) for pid in stored}
    assert shown == stored


def test_attendance_recorded_in_the_run_section_moves_the_quorum_line(url: str) -> None:
    target = editable_meeting(url)
    parties = {r.kind: r.id for r in query(url, sa.select(P.c.id, P.c.kind).join(ATT, ATT.c.party_id == P.c.id)
                                                 .where(ATT.c.meeting_id == target.id))}
    at = open_as(url, "social_worker", "zh", section="run", meeting=target.code)
    for kind in view.FOUR:
        att(at, "status", parties[kind]).set_value("present")
        att(at, "who", parties[kind]).input(f"{kind}代表")
    att(at, "status", parties["platform"]).set_value("absent")
    click(at, t("meetings.attendance.submit"))
    assert not errors(at), errors(at)
    assert [w.value for w in at.warning if w.value.startswith("法定人数")] == [
        view.quorum_line(False, ("platform",))]
    att(at, "status", parties["platform"]).set_value("deputy")
    att(at, "deputy", parties["platform"]).input("王代表")
    click(at, t("meetings.attendance.submit"))
    assert not errors(at), errors(at)
    assert view.quorum_line(True, ()) in [s.value for s in at.success]
    row = query(url, sa.select(ATT).where(ATT.c.meeting_id == target.id, ATT.c.party_id == parties["platform"]))[0]
    assert (row.status, row.deputy) == ("deputy", "王代表")


def test_a_decision_and_an_action_are_recorded_for_the_current_item(url: str) -> None:
    target = editable_meeting(url)
    first, second = query(url, sa.select(A.c.id, A.c.title).where(A.c.meeting_id == target.id)
                          .order_by(A.c.order_no).limit(2))
    at = open_as(url, "social_worker", "zh", section="run", meeting=target.code)
    click(at, t("meetings.run.next_button"))                       # the projector moves to the second item
    at.text_area(key="meetings_decision_text").input("同意设立夜间服务点")
    click(at, t("meetings.decision.submit"))
    assert not errors(at), errors(at)
    (decision,) = query(url, sa.select(D).where(D.c.meeting_id == target.id, D.c.text == "同意设立夜间服务点"))
    assert decision.agenda_item_id == second.id != first.id
    owner = query(url, sa.select(P.c.id).where(P.c.code == "GA-GOV"))[0][0]
    at.text_input(key="meetings_action_title").input("选址并报批")
    at.selectbox(key="meetings_action_owner").set_value(owner)
    at.text_input(key="meetings_action_person").input("周主任")
    at.date_input(key="meetings_action_due").set_value(TODAY + dt.timedelta(days=45))
    at.selectbox(key="meetings_action_decision").set_value(decision.id)
    click(at, t("meetings.action.submit"))
    assert not errors(at), errors(at)
    (action,) = query(url, sa.select(X).where(X.c.meeting_id == target.id, X.c.title == "选址并报批"))
    assert (action.owner_party_id, action.owner_person, action.due_on, action.decision_id, action.status) == (
        owner, "周主任", TODAY + dt.timedelta(days=45), decision.id, "open")
    assert at.button_group(key="meetings_section").value == "run"
    assert any("同意设立夜间服务点" in m.value for m in at.markdown)          # shown under the current item


def test_the_government_account_moves_its_partys_action(url: str) -> None:
    gov = query(url, sa.select(P.c.id).where(P.c.code == "GA-GOV"))[0][0]
    at = open_as(url, "government", "zh", section="actions")
    pick = at.selectbox(key="meetings_move_pick").value
    (before,) = query(url, sa.select(X).where(X.c.id == pick))
    assert before.owner_party_id == gov and before.status in view.OPEN
    at.selectbox(key="meetings_move_to").set_value("done")
    at.date_input(key="meetings_move_done").set_value(TODAY)
    at.text_input(key="meetings_move_note").input("已完成验收")
    click(at, t("meetings.move.submit"))
    assert not errors(at), errors(at)
    (after,) = query(url, sa.select(X).where(X.c.id == pick))
    assert (after.status, after.done_on, after.note, after.version) == ("done", TODAY, "已完成验收",
                                                                        before.version + 1)
    history = query(url, sa.select(XU).where(XU.c.action_item_id == pick).order_by(XU.c.id.desc()).limit(1))
    assert (history[0].from_status, history[0].to_status) == (before.status, "done")
    # only its own party's items are offered
    offered = at.selectbox(key="meetings_move_pick").options
    owners = {r.owner_party_id for r in query(url, sa.select(X.c.owner_party_id).where(
        X.c.code.in_([o.split(" · ")[0] for o in offered])))}
    assert owners <= {gov}


def test_an_item_closed_elsewhere_before_the_click_is_named_and_no_other_is_moved(
        url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Someone else closes the action item this form shows: the click's run reads the list without it, so the choice
    fell to the next open item and the click moved that one, never shown. Now the page says so and moves nothing."""
    monkeypatch.setenv("DASHBOARD_DATA_VERSION_CHECK", "true")
    at = open_as(url, "government", "en", section="actions")
    pick = at.selectbox(key="meetings_move_pick").value
    at.selectbox(key="meetings_move_to").set_value("done")
    at.text_input(key="meetings_move_note").input("accepted")
    before = {r.id: r.version for r in query(url, sa.select(X.c.id, X.c.version).where(X.c.id != pick))}
    engine = make_engine(url)
    with engine.begin() as conn:         # a colleague of the same party closes it meanwhile
        conn.execute(X.update().where(X.c.id == pick).values(status="cancelled", version=X.c.version + 1))
    engine.dispose()
    with use_language("en"):
        click(at, t("meetings.move.submit"))
        assert [w.value for w in at.warning] == [t("forms.row_gone", item=f"{t('meetings.move.pick')} #{pick}")]
    assert {r.id: r.version for r in query(url, sa.select(X.c.id, X.c.version).where(X.c.id != pick))} == before
    assert not errors(at) and not at.exception


def test_after_a_move_the_form_stays_on_that_item_and_proposes_no_status(url: str) -> None:
    """A user test closed the wrong item: after moving X to 进行中 the form jumped to the first item with 已完成
    preselected and the old note still in the box, so the next click closed another item for good."""
    at = open_as(url, "government", "zh", section="actions")
    assert at.selectbox(key="meetings_move_to").value is None
    options = at.selectbox(key="meetings_move_pick").options
    opened = [o for o in options if "未开始" in o]
    if not opened:
        pytest.skip("the demo gives GA's government no open item")
    target = query(url, sa.select(X.c.id).where(X.c.code == opened[-1].split(" · ")[0]))[0][0]
    at.selectbox(key="meetings_move_pick").set_value(target).run()
    at.selectbox(key="meetings_move_to").set_value("in_progress")
    at.text_input(key="meetings_move_note").input("已对接街道")
    click(at, t("meetings.move.submit"))
    assert not errors(at), errors(at)
    assert at.selectbox(key="meetings_move_pick").value == target
    assert at.selectbox(key="meetings_move_to").value is None
    assert at.text_input(key="meetings_move_note").value == ""
    click(at, t("meetings.move.submit"))           # pressed again with nothing chosen: nothing moves
    (row,) = query(url, sa.select(X.c.status, X.c.version).where(X.c.id == target))
    assert row.status == "in_progress"


def test_a_locked_meeting_draws_no_forms_for_the_social_worker(url: str) -> None:
    """A user test filled in the decision and attendance forms of a locked meeting and was refused only on saving."""
    locked = next(m for m in ga_meetings(url) if m.minutes_status == "locked")
    at = open_as(url, "social_worker", "zh", section="run", meeting=locked.code)
    submits = {t("meetings.attendance.submit"), t("meetings.decision.submit")}
    assert not [b for b in at.button if b.label in submits], "no form on a locked meeting"
    assert any("不能再修改" in i.value for i in at.info)
    go(at, "agenda")
    assert all(b.label != t("meetings.agenda.propose") for b in at.button)
    draft = next(m for m in ga_meetings(url) if m.minutes_status == "draft")       # the same page on a draft has them
    pick_meeting(at, draft.code)
    assert any(b.label == t("meetings.agenda.propose") for b in at.button)
    go(at, "run")
    assert t("meetings.attendance.submit") in [b.label for b in at.button]


def test_a_viewer_sees_no_form_and_no_download(url: str) -> None:
    at = open_as(url, "viewer", "zh")
    for section in view.SECTIONS:
        go(at, section)
        assert not at.get("form"), section
        assert not at.get("download_button"), section
        assert not at.get("arrow_data_frame") or not any(getattr(e, "proto", None) and e.proto.editing_mode
                                                         for e in at.get("arrow_data_frame")), section
        assert not [b for b in at.button if b.key in ("meetings_propose", "meetings_sign", "meetings_save_agenda")]
    go(at, "agenda")
    assert any(c.value == t("access.read_only") for c in at.caption)


def test_a_write_on_a_meeting_changed_meanwhile_is_refused_in_the_users_language(url: str) -> None:
    target = editable_meeting(url)
    at = open_as(url, "social_worker", "en", section="run", meeting=target.code)
    engine = make_engine(url)
    with engine.begin() as conn:        # someone else saved the meeting after this page read it
        conn.execute(M.update().where(M.c.id == target.id).values(version=M.c.version + 1))
    engine.dispose()
    before = len(query(url, sa.select(D).where(D.c.meeting_id == target.id)))
    with use_language("en"):
        at.text_area(key="meetings_decision_text").input("Agreed")
        click(at, t("meetings.decision.submit"))
        assert at.error and at.error[0].value.startswith(f"Meeting {target.code} was just changed by someone else")
    assert len(query(url, sa.select(D).where(D.c.meeting_id == target.id))) == before      # nothing written
    at.text_area(key="meetings_decision_text").input("Agreed")             # the page read it again: this one lands
    with use_language("en"):
        click(at, t("meetings.decision.submit"))
    assert not errors(at), errors(at)
    assert len(query(url, sa.select(D).where(D.c.meeting_id == target.id))) == before + 1


def test_attendance_typed_before_someone_elses_change_is_refused_and_not_reset(url: str,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """With the data version checked on every rerun, the submit's own run reads the meeting as another session left it.
    The form's keys name the meeting's version: taken from that run, they made new widgets holding the other session's
    values, which were then saved over the typing as the user's own. The form keeps the version it was drawn with."""
    monkeypatch.setenv("DASHBOARD_DATA_VERSION_CHECK", "true")
    target = editable_meeting(url)
    pid = query(url, sa.select(ATT.c.party_id).where(ATT.c.meeting_id == target.id).order_by(ATT.c.party_id))[0][0]
    at = open_as(url, "social_worker", "en", section="run", meeting=target.code)
    att(at, "who", pid).input("typed here")
    engine = make_engine(url)
    with engine.begin() as conn:     # another session saves the attendance meanwhile (as set_attendance does)
        conn.execute(ATT.update().where(ATT.c.meeting_id == target.id, ATT.c.party_id == pid)
                     .values(attendees="saved elsewhere"))
        conn.execute(M.update().where(M.c.id == target.id).values(version=M.c.version + 1))
    engine.dispose()
    with use_language("en"):
        click(at, t("meetings.attendance.submit"))
        assert errors(at) and errors(at)[0].startswith(f"Meeting {target.code} was just changed by someone else")
    assert att(at, "who", pid).value == "typed here"            # still there to be copied
    stored = query(url, sa.select(ATT.c.attendees).where(ATT.c.meeting_id == target.id, ATT.c.party_id == pid))
    assert stored[0][0] == "saved elsewhere"                     # the other session's values stand
    at.run()
    assert not at.exception, at.exception
    assert att(at, "who", pid).value == "saved elsewhere"       # then the form starts from the meeting as it is now
    att(at, "who", pid).input("typed again")
    with use_language("en"):
        click(at, t("meetings.attendance.submit"))
    assert not errors(at), errors(at)
    stored = query(url, sa.select(ATT.c.attendees).where(ATT.c.meeting_id == target.id, ATT.c.party_id == pid))
    assert stored[0][0] == "typed again"


def test_a_signature_ticked_before_the_text_changed_is_refused(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The 会签 checkbox names the text's hash and its key the meeting's version: someone else reassembling the text
    between the tick and the click must not sign the new text, nor lose the click without a word."""
    monkeypatch.setenv("DASHBOARD_DATA_VERSION_CHECK", "true")
    target = next(m for m in ga_meetings(url) if m.minutes_status == "circulated" and m.amend_until >= TODAY)
    signed_by = {r.party_id for r in query(url, sa.select(SIG.c.party_id).where(SIG.c.meeting_id == target.id))}
    codes = dict(query(url, sa.select(P.c.code, P.c.id)))
    role = next(r for r in ("social_worker", "government", "association", "platform")
                if codes[PARTY[r]] not in signed_by)
    at = open_as(url, role, "en", section="minutes", meeting=target.code)
    box = next(c for c in at.checkbox if (c.key or "").startswith("meetings_sign_read_"))
    box.check().run()
    assert not at.exception, at.exception
    signed = len(query(url, sa.select(SIG).where(SIG.c.meeting_id == target.id)))
    engine = make_engine(url)
    with engine.begin() as conn:     # the text is assembled again elsewhere
        conn.execute(M.update().where(M.c.id == target.id).values(version=M.c.version + 1))
    engine.dispose()
    with use_language("en"):
        at.button(key="meetings_sign").click().run()
        assert errors(at) and errors(at)[0].startswith(f"Meeting {target.code} was just changed by someone else")
    assert len(query(url, sa.select(SIG).where(SIG.c.meeting_id == target.id))) == signed


def test_a_social_worker_schedules_the_next_meeting(url: str) -> None:
    at = open_as(url, "social_worker", "zh")
    at.date_input(key="meetings_create_date").set_value(dt.date(2027, 3, 18))
    at.text_input(key="meetings_create_starts").input("14:00")
    at.text_input(key="meetings_create_place").input("社区议事厅")
    click(at, t("meetings.create.submit"))
    assert not errors(at), errors(at)
    (made,) = query(url, sa.select(M).where(M.c.community_id == community_id(url), M.c.held_on == dt.date(2027, 3, 18)))
    assert (made.starts_at, made.location, made.minutes_status) == ("14:00", "社区议事厅", "draft")
    assert at.selectbox(key="meetings_meeting").value == made.code            # the new one is chosen
    assert t("meetings.create.done", code=made.code) in [s.value for s in at.success]
    at.text_input(key="meetings_create_starts").input("25:00")               # a time that does not exist
    click(at, t("meetings.create.submit"))
    assert errors(at)


def test_a_partys_own_actions_need_no_community(url: str) -> None:
    at = open_as(url, "government", "zh")
    at.selectbox(key="filter_community").set_value(0).run()                  # all communities
    go(at, "actions")
    assert not errors(at), errors(at)
    assert at.selectbox(key="meetings_move_pick")                             # its own items, and the form
    go(at, "run")
    assert t("meetings.pick_community") in [i.value for i in at.info]


def test_a_community_without_meetings_says_so_in_every_section(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        ids = sa.select(M.c.id).where(M.c.community_id == community_id(url)).scalar_subquery()
        actions = sa.select(X.c.id).where(X.c.meeting_id.in_(ids)).scalar_subquery()
        conn.execute(XU.delete().where(XU.c.action_item_id.in_(actions)))
        for table in (X, D, A, ATT, SIG, table_of(MinutesAddendum)):
            conn.execute(table.delete().where(table.c.meeting_id.in_(ids)))
        conn.execute(M.delete().where(M.c.id.in_(ids)))
    engine.dispose()
    for role in ("social_worker", "viewer"):
        at = open_as(url, role, "en")
        with use_language("en"):
            for section in view.SECTIONS:
                go(at, section)
                assert not errors(at), (section, errors(at))
                if section != "actions" or role == "viewer":
                    assert t("meetings.none") in [i.value for i in at.info], (role, section)
        go(at, "meetings")                  # the social worker is offered the form that schedules the first one
        assert ("meetings_create_date" in at.session_state) is (role == "social_worker")
