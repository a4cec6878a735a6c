"""The 直播治理诉求 page in AppTest, in both languages: a social worker takes a request from 已分类 to 已关闭 (route,
accept, finish, report back, call back, close); a government account sees only its unit's requests and sends one
back; a viewer has no forms; a stale version is refused with the service's message; an empty quarter renders; the
list's export keeps the account's row scope."""

import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from dashboard.accounts import Principal
from dashboard.db import make_engine
from dashboard.excel.tables import requests_xlsx
from dashboard.excel.writer import routed_to_party
from dashboard.i18n import t, use_language
from dashboard.periods import shanghai_today
from dashboard.presenters_requests import move_label
from dashboard.queries.requests import RequestFilters, RequestScope
from dashboard.services import requests as service
from data_models import Party, Request, RequestEvent
from data_models.base import table_of
from data_models.enums import Role
from tests import factories
from tests.apptest_helpers import ROOT, add_user, clear_caches, click, sign_in

PAGE = "app_pages/requests.py"
R = table_of(Request)
COMMUNITY_A = 1          # the demo's urban community GA, whose street office the GA-GOV party acts for


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    database = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", database)
    clear_caches()
    yield database
    clear_caches()


def open_as(url: str, role: str, *, party: str | None = None, lang: str = "zh") -> AppTest:
    """The app on a fresh demo database, signed in as a new account of `role` (of `party`), on the page."""
    add_user(url, "admin")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()     # seeds the demo and its parties
    assert not at.exception, at.exception
    sign_in(at, *add_user(url, role, party=party))
    at.radio(key="lang").set_value(lang).run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def status_of(url: str, code: str) -> str:
    engine = make_engine(url)
    with engine.connect() as conn:
        status = conn.execute(sa.select(R.c.status).where(R.c.code == code)).scalar_one()
    engine.dispose()
    return str(status)


def last_on(url: str, code: str) -> dt.date:
    """The day of the request's latest step (a move may not be dated before it)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        day = conn.execute(sa.select(sa.func.max(table_of(RequestEvent).c.on)).select_from(R)
                           .join(table_of(RequestEvent), table_of(RequestEvent).c.request_id == R.c.id)
                           .where(R.c.code == code)).scalar_one()
    engine.dispose()
    return day if isinstance(day, dt.date) else dt.date.fromisoformat(day)


def act(at: AppTest, lang: str, move: str, **fields: object) -> None:
    """Choose `move` for the open request, fill its form by widget key, submit it, expect no error."""
    at.radio(key="requests_move").set_value(move).run()
    for key, value in fields.items():
        at.get(WIDGET[key])[[w.key for w in at.get(WIDGET[key])].index(key)].set_value(value)
    with use_language(lang):
        label = move_label(move)
    click(at, label)
    assert not at.error, [e.value for e in at.error]


WIDGET = {"requests_lead": "selectbox", "requests_support": "multiselect", "requests_on": "date_input",
          "requests_outcome": "selectbox", "requests_resolution": "text_area", "requests_result": "selectbox",
          "requests_reason": "selectbox", "requests_note": "text_input"}


def metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.proto.help) for m in at.metric}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_social_worker_takes_a_request_from_classified_to_closed(url: str, lang: str) -> None:
    at = open_as(url, "social_worker", party="GA-SW", lang=lang)
    with use_language(lang):          # AppTest words a choice with the widget's format_func in the test's language
        shown = metrics(at)
        # every rate says its formula and its own numerator and denominator
        assert t("requests.rate.on_time_help") in shown[t("requests.rate.on_time")][1]
        assert " / " in shown[t("requests.rate.response")][1]
        at.selectbox(key="filter_community").set_value(COMMUNITY_A).run()
        at.selectbox(key="requests_status").set_value("classified").run()
        code = at.selectbox(key="requests_pick").options[0]
        at.selectbox(key="requests_status").set_value("").run()     # the request stays in the list as it moves on
        at.selectbox(key="requests_pick").set_value(code).run()
        assert at.radio(key="requests_move").options and not at.exception
        day = last_on(url, code)

        act(at, lang, "route", requests_lead="U-GA-street_office", requests_support=["U-GA-urban_management"],
            requests_on=day)
        assert status_of(url, code) == "routed"
        assert any(code in s.value for s in at.success)
        act(at, lang, "accept", requests_on=day)
        act(at, lang, "finish", requests_outcome="solved", requests_resolution="已增设路灯两盏", requests_on=day)
        assert status_of(url, code) == "resolved"

        # reported back through the community's queue, in its latest livestream (the default)
        at.multiselect(key="requests_report_codes").set_value([code])
        click(at, t("requests.page.report_button"))
        assert status_of(url, code) == "reported", [e.value for e in at.error]
        act(at, lang, "callback", requests_result="satisfied", requests_on=shanghai_today())
        act(at, lang, "close", requests_on=shanghai_today())
        assert status_of(url, code) == "closed"
        history = at.dataframe[-2].value
        assert len(history) >= 8            # collect, classify, route, accept, finish, report, callback, close


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_read_out_is_offered_in_chinese_for_the_chosen_community(url: str, lang: str) -> None:
    at = open_as(url, "social_worker", party="GA-SW", lang=lang)
    assert not at.code                                           # all communities: no queue, no read-out
    with use_language(lang):
        at.selectbox(key="filter_community").set_value(COMMUNITY_A).run()
        assert any(b.label == t("requests.page.readout_download") for b in at.get("download_button"))
    text = at.code[0].value                                      # read to residents: Chinese in either language
    assert text.startswith("上期诉求办理进展（G市A社区）") and text.endswith("我们下期直播再向大家通报。")


def test_a_government_account_sees_only_its_units_requests_and_sends_one_back(url: str) -> None:
    at = open_as(url, "government", party="GA-GOV", lang="en")
    engine = make_engine(url)
    with Session(engine) as session:
        party_id = session.execute(sa.select(Party.id).where(Party.code == "GA-GOV")).scalar_one()
        routed = set(session.execute(sa.select(R.c.code).where(routed_to_party(R, party_id))).scalars())
    listed = at.selectbox(key="requests_pick").options
    assert listed and set(listed) <= routed                          # nothing routed elsewhere, in every community
    assert not at.get("multiselect")                                  # no report-back form for a unit
    assert any("routed to your unit" in c.value for c in at.caption)

    with use_language("en"):
        at.selectbox(key="requests_status").set_value("in_progress").run()
        code = at.selectbox(key="requests_pick").options[0]
        at.selectbox(key="requests_status").set_value("").run()
        at.selectbox(key="requests_pick").set_value(code).run()
        assert set(at.radio(key="requests_move").options) == {"Finish", "Send back", "Transfer"}
        act(at, "en", "send_back", requests_reason="not_our_remit", requests_note="属于物业职责",
            requests_on=last_on(url, code))
    assert status_of(url, code) == "classified"
    assert any(f"Request {code}" in s.value and "Classified" in s.value for s in at.success)
    engine.dispose()


def test_residents_text_is_masked_for_a_unit_and_in_meeting_mode(url: str) -> None:
    def description(at: AppTest, code: str) -> str:
        at.selectbox(key="requests_pick").set_value(code).run()
        return str(dict(at.table[0].value.values.tolist())["诉求内容"])

    at = open_as(url, "government", party="GA-GOV")
    code = at.selectbox(key="requests_pick").options[0]
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(R.update().where(R.c.code == code).values(description="王先生反映，电话13812345678"))
    engine.dispose()
    clear_caches()
    at.run()
    assert "13812345678" not in description(at, code) and "王先生" not in description(at, code)
    worker = open_as(url, "social_worker", party="GA-SW")          # the same database: a social worker sees it
    assert description(worker, code) == "王先生反映，电话13812345678"
    worker.toggle(key="meeting_mode").set_value(True).run()         # but not on the projector
    assert "13812345678" not in description(worker, code)


def test_a_viewer_reads_the_figures_and_the_list_but_has_no_forms(url: str) -> None:
    at = open_as(url, "viewer")
    assert len(at.metric) == 10 and at.selectbox(key="requests_pick").options
    at.selectbox(key="requests_pick").set_value(at.selectbox(key="requests_pick").options[0]).run()
    assert not at.exception
    assert not at.get("radio") or all(r.key != "requests_move" for r in at.radio)
    assert not [f for f in at.get("form")]
    assert any("只能查看" in c.value for c in at.caption)
    assert not any(b.label.startswith("导出全部") for b in at.get("download_button"))
    at.selectbox(key="filter_community").set_value(COMMUNITY_A).run()
    assert at.code                                               # the read-out is on the page, to read
    assert not at.get("download_button"), [b.label for b in at.get("download_button")]   # no file: viewers export none


@pytest.mark.parametrize("check", [False, True])
def test_a_move_on_a_version_someone_else_changed_is_refused_with_the_services_message(
        url: str, check: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the data version checked on each rerun, the click's own run reads the request as the colleague left it:
    the form drawn from it offered other moves, and the click was lost without a word."""
    monkeypatch.setenv("DASHBOARD_DATA_VERSION_CHECK", str(check).lower())
    at = open_as(url, "social_worker", party="GA-SW")
    at.selectbox(key="filter_community").set_value(COMMUNITY_A).run()
    at.selectbox(key="requests_status").set_value("routed").run()
    code = at.selectbox(key="requests_pick").options[0]
    at.selectbox(key="requests_status").set_value("").run()
    at.selectbox(key="requests_pick").set_value(code).run()
    at.radio(key="requests_move").set_value("accept").run()   # the form as the user fills it in
    engine = make_engine(url)
    with Session(engine) as session:                         # a colleague accepts it meanwhile
        version = session.execute(sa.select(R.c.version).where(R.c.code == code)).scalar_one()
        service.accept(session, code, version=version, actor=Principal("colleague", Role.social_worker),
                       on=last_on(url, code), today=shanghai_today())
        session.commit()
    engine.dispose()
    click(at, "开始办理")
    assert any(f"诉求 {code} 刚刚已被其他人改动" in e.value and "办理中" in e.value for e in at.error)
    at.run()                                                  # read again: it shows what the colleague did
    assert at.radio(key="requests_move").options[0] == "办结" and status_of(url, code) == "in_progress"


def _accept_drawn(url: str) -> tuple[AppTest, str]:
    """A social worker's page with the first 已转办 request of community A picked and «accept» chosen, not clicked."""
    at = open_as(url, "social_worker", party="GA-SW", lang="en")
    at.selectbox(key="filter_community").set_value(COMMUNITY_A).run()
    at.selectbox(key="requests_status").set_value("routed").run()
    code = at.selectbox(key="requests_pick").options[0]
    at.selectbox(key="requests_pick").set_value(code).run()
    at.radio(key="requests_move").set_value("accept").run()
    return at, code


def test_a_move_after_someone_else_transferred_the_request_is_refused_not_made(url: str,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """转办 keeps the status (已转办): the move the user chose is still offered in the click's run, which reads the
    request at its new version. Checked against that version, the user accepted for a unit it no longer sits with."""
    monkeypatch.setenv("DASHBOARD_DATA_VERSION_CHECK", "true")
    at, code = _accept_drawn(url)
    engine = make_engine(url)
    with Session(engine) as session:                         # a colleague passes it to another unit meanwhile
        req = session.execute(sa.select(R.c.version, R.c.lead_unit_id).where(R.c.code == code)).one()
        units = session.execute(sa.text("SELECT code FROM unit WHERE id != :i AND community_id = :c ORDER BY code"),
                                {"i": req.lead_unit_id, "c": COMMUNITY_A}).scalars().all()
        service.transfer(session, code, version=req.version, to_unit_code=units[0], reason="不属本单位",
                         actor=Principal("colleague", Role.social_worker), on=last_on(url, code),
                         today=shanghai_today())
        session.commit()
    engine.dispose()
    with use_language("en"):
        click(at, move_label("accept"))
        assert any(f"Request {code} has just been changed by someone else" in e.value for e in at.error), \
            [e.value for e in at.error]
    assert status_of(url, code) == "routed"                  # not accepted


def test_a_request_moved_out_of_the_filtered_list_before_the_click_is_named(url: str,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The list shows 已转办 requests; a colleague accepts the one open below, so the click's run lists it no more. The
    choice was dropped and the form with it without a word; now the page names the request."""
    monkeypatch.setenv("DASHBOARD_DATA_VERSION_CHECK", "true")
    at, code = _accept_drawn(url)
    engine = make_engine(url)
    with Session(engine) as session:
        version = session.execute(sa.select(R.c.version).where(R.c.code == code)).scalar_one()
        service.accept(session, code, version=version, actor=Principal("colleague", Role.social_worker),
                       on=last_on(url, code), today=shanghai_today())
        session.commit()
    engine.dispose()
    with use_language("en"):
        click(at, move_label("accept"))
        assert [w.value for w in at.warning] == [t("forms.row_gone", item=code)]
    assert at.selectbox(key="requests_pick").value is None and not at.error
    at.selectbox(key="requests_status").set_value("").run()    # the user's own filter change: no message
    assert not at.warning


def test_an_empty_quarter_renders_with_no_data_notes(url: str) -> None:
    at = open_as(url, "social_worker", party="GA-SW")
    engine = make_engine(url)
    with engine.begin() as conn:       # a quarter with needs but no requests (and no quarter before it with any)
        p = conn.execute(sa.text("SELECT id, community_id FROM practitioner LIMIT 1")).one()
        factories.need(conn, p.id, p.community_id, code="N-EMPTY-Q", identified_on=dt.date(2024, 1, 15),
                       quarter="2024Q1")
    engine.dispose()
    clear_caches()
    at.run()
    at.selectbox(key="filter_quarter").set_value("2024Q1").run()
    assert not at.exception, at.exception
    assert any("2024Q1 在所选范围内没有收集到诉求" in i.value for i in at.info)
    assert metrics(at)["收集诉求"][0] == "0" and metrics(at)["响应率"][0] == "—"
    assert at.selectbox(key="requests_pick").options == []


def test_the_list_export_keeps_the_accounts_scope_and_filters(url: str) -> None:
    open_as(url, "viewer")                                   # seeds the demo
    engine = make_engine(url)
    with Session(engine) as session:
        party_id = session.execute(sa.select(Party.id).where(Party.code == "GA-GOV")).scalar_one()
        routed = set(session.execute(sa.select(R.c.code).where(routed_to_party(R, party_id),
                                                               R.c.quarter == "2026Q3")).scalars())
    data, n = requests_xlsx(engine, scope=RequestScope(None, "2026Q3", party_id), filters=RequestFilters(),
                            today=dt.date(2026, 12, 1), title="诉求", cover={}, personal=False)
    sheet = openpyxl.load_workbook(io.BytesIO(data))["诉求"]
    codes = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert n == len(codes) == len(routed) and set(codes) == routed
    assert sheet.cell(1, 1).value == "诉求编号"
    overdue, m = requests_xlsx(engine, scope=RequestScope(COMMUNITY_A, "2026Q3"),
                               filters=RequestFilters(overdue_only=True), today=dt.date(2026, 12, 1), title="诉求",
                               cover={}, personal=True)
    sheet = openpyxl.load_workbook(io.BytesIO(overdue))["诉求"]
    column = [c.value for c in sheet[1]].index(t("requests.page.col_deadline_state"))
    assert m > 0 and all("逾期" in row[column] for row in sheet.iter_rows(min_row=2, values_only=True))
    engine.dispose()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_table_names_its_columns_apart(lang: str) -> None:
    """A header worded twice would make one column overwrite the other in the table the page builds."""
    from dashboard import presenters_requests as view

    with use_language(lang):
        for columns in (view.LIST_COLUMNS, view.HISTORY_COLUMNS, view.QUEUE_COLUMNS):
            headers = [t(key) for _, key, _ in columns]
            assert len(headers) == len(set(headers)), headers


def test_the_lists_first_columns_are_what_a_meeting_reads() -> None:
    """At 1280 pixels about five columns fit: what was asked and how late it is came after eight others before."""
    from dashboard import presenters_requests as view

    assert [c[0] for c in view.LIST_COLUMNS[:5]] == ["code", "category", "status", "deadline_state", "description"]
    assert [c[0] for c in view.QUEUE_COLUMNS[:6]] == ["code", "category", "status", "outcome", "needs_report",
                                                      "description"]


def newest_request(url: str) -> tuple[str, str, str | None, int, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        row = conn.execute(sa.select(R.c.code, R.c.status, R.c.priority, R.c.endorsements, R.c.id)
                           .order_by(R.c.id.desc()).limit(1)).one()
        events = conn.execute(sa.select(sa.func.count()).select_from(table_of(RequestEvent))
                              .where(table_of(RequestEvent).c.request_id == row.id)).scalar_one()
    engine.dispose()
    return row.code, str(row.status), None if row.priority is None else str(row.priority), row.endorsements, events


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_social_worker_records_a_request_classified_at_once_or_only_collected(url: str, lang: str) -> None:
    at = open_as(url, "social_worker", party="GA-SW", lang=lang)
    with use_language(lang):
        assert any(i.value == t("requests.page.collect_pick_community") for i in at.info)   # all communities
        at.selectbox(key="filter_community").set_value(COMMUNITY_A).run()
        assert at.multiselect(key="requests_report_codes").proto.placeholder == t("requests.page.pick_codes")
        session = at.selectbox(key="requests_collect_session").value
        assert session is not None and session.startswith("L")        # the community's newest livestream
        at.selectbox(key="requests_collect_category").set_value("road_lighting")
        at.selectbox(key="requests_collect_priority").set_value("urgent")
        at.number_input(key="requests_collect_endorsements").set_value(3)
        at.text_area(key="requests_collect_description").input("村口路灯坏了")
        click(at, t("requests.page.collect_button"))
        code, status, priority, endorsements, events = newest_request(url)
        assert (status, priority, endorsements, events) == ("classified", "urgent", 3, 2)   # collect + classify
        assert any(code in s.value and t("enum.RequestStatus.classified") in s.value for s in at.success)

        at.text_area(key="requests_collect_description").input("快递点太远")     # no priority: only collected
        click(at, t("requests.page.collect_button"))
        second, status, priority, _, events = newest_request(url)
        assert second != code and (status, events) == ("collected", 1)

        click(at, t("requests.page.collect_button"))                             # nothing written: refused
        assert [e.value for e in at.error] == [t("requests.description_required")]
        assert newest_request(url)[0] == second


def escalations(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(table_of(RequestEvent))
                         .where(table_of(RequestEvent).c.move == "escalate")).scalar_one()
    engine.dispose()
    return int(n)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_escalating_overdue_requests_asks_how_many_first_then_does_that_many(url: str, lang: str) -> None:
    at = open_as(url, "social_worker", party="GA-SW", lang=lang)
    before = escalations(url)
    with use_language(lang):
        click(at, t("requests.page.escalate"))
        assert escalations(url) == before                     # the question writes nothing
        question = at.warning[-1].value
        n = int(re.findall(r"\d+", at.button(key="requests_escalate_yes").label)[0])
        assert n > 0 and question.startswith(t("requests.page.escalate_question", n=n, codes="X").split("X")[0])
        at.button(key="requests_escalate_yes").click().run()
        assert not at.exception, at.exception
        assert escalations(url) == before + n
        assert any(s.value.startswith(t("requests.page.escalated", n=n, codes="X").split("X")[0]) for s in at.success)
        click(at, t("requests.page.escalate"))                 # done for today: nothing more to climb
        assert any(i.value == t("requests.page.escalate_none") for i in at.info)
        assert escalations(url) == before + n


@pytest.mark.parametrize("role, party", [("viewer", None), ("government", "GA-GOV")])
def test_only_social_workers_and_admins_record_or_escalate(url: str, role: str, party: str | None) -> None:
    at = open_as(url, role, party=party)
    at.selectbox(key="filter_community").set_value(COMMUNITY_A).run()
    assert not any(b.key == "requests_escalate" for b in at.button)
    assert not any(e.label == t("requests.page.collect") for e in at.expander)
