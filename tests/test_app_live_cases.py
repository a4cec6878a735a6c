"""直播现场 · 五步协商 in AppTest, in both languages: a social worker records a check and closes the supervised demo
case (its requests close with it), opens a case from the community's dispute requests and takes an invited case to
its meeting; a government account and a viewer see the cases without any form; no cases at all is an empty state.

It drives app_pages/live_cases.py (imported by app_pages/live.py)
and the section picker app_pages/sections.py."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from dashboard.db import make_engine
from dashboard.i18n import t, use_language
from data_models import CaseRequest, ConsultationCase, Request
from data_models.base import table_of
from tests.apptest_helpers import ROOT, add_user, clear_caches, sign_in

PAGE = "app_pages/live.py"
CASES, LINKS, R = table_of(ConsultationCase), table_of(CaseRequest), table_of(Request)
NOISE = "CS2026082601"          # G市A社区's livestream-noise case, supervised, a weekly check missed
INVITED = "CS2026091701"        # 石桥村's parcels, parties invited


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    database = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", database)
    clear_caches()
    yield database
    clear_caches()


def open_as(url: str, role: str, *, community: int | None, lang: str = "zh", party: str | None = None) -> AppTest:
    add_user(url, "admin")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()     # seeds the demo
    assert not at.exception, at.exception
    sign_in(at, *add_user(url, role, party=party))
    at.radio(key="lang").set_value(lang).run()
    if community is not None:
        at.selectbox(key="filter_community").set_value(community).run()
    at.session_state["live_section"] = "cases"
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def submit(at: AppTest, label: str) -> None:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception


def query(url: str, stmt: sa.Select) -> list[tuple]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(stmt)]
    engine.dispose()
    return rows


def case_requests(url: str, code: str) -> list[tuple]:
    return query(url, sa.select(R.c.code, R.c.status).join(LINKS, LINKS.c.request_id == R.c.id)
                 .join(CASES, CASES.c.id == LINKS.c.case_id).where(CASES.c.code == code).order_by(R.c.code))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_social_worker_records_a_check_and_closes_the_case(url: str, lang: str) -> None:
    at = open_as(url, "social_worker", community=1, lang=lang)
    with use_language(lang):
        table = at.dataframe[0].value
        assert NOISE in table[t("live.cases.col.code")].tolist()
        assert any(v.startswith("⚠") for v in table[t("live.cases.col.overdue")])
        at.selectbox(key="live_cases_pick").set_value(NOISE).run()
        assert any(t("live.cases.overdue_warning", checks=0, feedback=0).split("：")[0].split(":")[0] in w.value
                   for w in at.warning)
        assert any("直播时间限制在上午9点到晚上8点" in m.value for m in at.markdown)
        assert [b.label for b in at.button if b.label == t("live.cases.agree.submit")] == []   # only the next step
        at.radio(key="live_cases_check_kind").set_value("weekly_check").run()
        at.text_input(key="live_cases_check_note").input("代收点和直播时段都按约定执行")
        submit(at, t("live.cases.check.submit"))
        assert any(NOISE in s.value for s in at.success)
        at.selectbox(key="live_cases_pick").set_value(NOISE).run()
        at.text_input(key="live_cases_close_note").input("两个月无投诉")
        submit(at, t("live.cases.close.submit"))
        assert any(NOISE in s.value and t("enum.CaseStep.closed") in s.value for s in at.success)
    assert query(url, sa.select(CASES.c.step).where(CASES.c.code == NOISE)) == [("closed",)]
    assert {status for _, status in case_requests(url, NOISE)} == {"closed"}


def test_a_social_worker_opens_a_case_and_holds_the_meeting(url: str) -> None:
    at = open_as(url, "social_worker", community=2)
    options = at.multiselect(key="live_cases_open_requests").options
    assert options, "the demo has classified requests in 石桥村"
    first = at.multiselect(key="live_cases_open_requests")
    first.select(first.options[0])
    at.text_input(key="live_cases_open_title").input("快递堆放")
    at.checkbox(key="live_cases_open_confirm").check()
    submit(at, t("live.cases.open.submit"))
    assert not at.error, [e.value for e in at.error]
    assert any("已发起协商案件" in s.value for s in at.success)
    opened = query(url, sa.select(CASES.c.code, CASES.c.step).where(CASES.c.community_id == 2)
                   .order_by(CASES.c.id.desc()).limit(1))
    assert opened[0][1] == "collection" and case_requests(url, opened[0][0])[0][1] == "in_progress"

    at.selectbox(key="live_cases_pick").set_value(INVITED).run()
    submit(at, t("live.cases.meeting.submit"))                     # no record: refused with the service's message
    assert [e.value for e in at.error] == [t("consultation.record_required")]
    at.text_input(key="live_cases_meeting_place").input("村委会议室")
    at.text_area(key="live_cases_meeting_record").input("村委：可提供一间空房做代收点。")
    submit(at, t("live.cases.meeting.submit"))
    assert query(url, sa.select(CASES.c.step, CASES.c.meeting_place).where(CASES.c.code == INVITED)) == [
        ("meeting", "村委会议室")]


@pytest.mark.parametrize(("role", "party", "lang"), [("viewer", None, "zh"), ("government", "GA-GOV", "en")])
def test_read_only_roles_see_the_cases_without_forms(url: str, role: str, party: str | None, lang: str) -> None:
    at = open_as(url, role, community=1, lang=lang, party=party)
    with use_language(lang):
        assert any(t("live.cases.read_only") in c.value for c in at.caption)
        at.selectbox(key="live_cases_pick").set_value(NOISE).run()
        assert not at.exception
        labels = {b.label for b in at.button}
        assert not labels & {t("live.cases.check.submit"), t("live.cases.close.submit"), t("live.cases.open.submit")}
        assert any(t("live.cases.checks") in m.value for m in at.markdown)


def test_no_cases_is_an_empty_state(url: str) -> None:
    at = open_as(url, "social_worker", community=None)
    assert any(t("live.cases.choose_community").split("，")[0] in i.value for i in at.info)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(CASES.delete())
    engine.dispose()
    clear_caches()
    at.run()
    assert not at.exception, at.exception
    assert any(i.value == t("live.cases.empty") for i in at.info)
