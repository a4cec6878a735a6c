"""The 培训成效 page in a real Chromium at a projector's 1280x720: a social worker reads it in Chinese and in English,
moves between its sections (named in the URL, kept after a save), records a follow-up through the work list's form
and one given up as unreachable found by its enrolment code; a link to a section opens it. Screenshots go to
test-artifacts/."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from dashboard.db import init_database, make_engine
from data_models import TrainingFollowup
from data_models.base import table_of
from seed.load import load_demo
from tests.apptest_helpers import add_user
from tests.test_browser import ARTIFACTS, browser_type_launch_args, idle, pick, serve  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser
WIDTH, HEIGHT = 1280, 720
ACCOUNTS: dict[str, tuple[str, str]] = {}
DATABASE: dict[str, str] = {}
FU = table_of(TrainingFollowup)


@pytest.fixture(scope="module")
def training_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a demo database with an admin (so everyone signs in) and a social worker of community A."""
    database = f"sqlite:///{tmp_path_factory.mktemp('training') / 'app.db'}"
    engine = init_database(database)
    load_demo(engine, "demo")
    engine.dispose()
    DATABASE["url"] = database
    ACCOUNTS["admin"] = add_user(database, "admin")
    ACCOUNTS["social_worker"] = add_user(database, "social_worker", party="GA-SW")
    with serve(database) as url:
        yield url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": WIDTH, "height": HEIGHT}, "locale": "zh-CN"}


def sign_in_as(page: Page, server: str, role: str, query: str = "") -> None:
    """A direct visit to /training: the login form first, then the page itself."""
    username, password = ACCOUNTS[role]
    page.goto(f"{server}/training{query}")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="登录 协同治理看板")).to_be_visible(timeout=60_000)
    main.get_by_label("用户名").fill(username)
    main.get_by_label("密码", exact=True).fill(password)
    main.get_by_role("button", name="登录").click()
    expect(main.get_by_role("heading", name="培训成效")).to_be_visible(timeout=60_000)
    idle(page)


def shot(page: Page, name: str, *, full: bool = True) -> Path:
    """The page at the projector's width; `full` grows the viewport to the page's height first (Streamlit scrolls
    inside stMain), which redraws it on its first tab, so a later tab is taken as it stands."""
    idle(page)
    if full:
        height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
        page.set_viewport_size({"width": WIDTH, "height": max(HEIGHT, int(height))})
        idle(page)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    if full:
        page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
        idle(page)
    return path


def section(page: Page, name: str) -> None:
    """Choose a section in the picker under the page's caption (a segmented control: radios in a radio group)."""
    page.get_by_test_id("stMain").get_by_test_id("stButtonGroup").first.get_by_role("radio", name=name,
                                                                                     exact=True).click()
    idle(page)


def chosen(page: Page, name: str) -> None:
    """The picker shows `name` as the chosen section (waiting for a rerun to land)."""
    expect(page.get_by_test_id("stMain").get_by_test_id("stButtonGroup").first.locator(
        "[aria-checked=true]")).to_have_text(name)


def reached(followup_code: str) -> tuple[str, int | None]:
    """(status, income_cents) of the follow-up of enrolment `followup_code` the form recorded (3-month or 6)."""
    engine = make_engine(DATABASE["url"])
    with engine.connect() as conn:
        row = conn.execute(sa.text(
            "SELECT f.status, f.income_cents FROM training_followup f JOIN enrolment e ON e.id = f.enrolment_id "
            "WHERE e.code = :c AND f.recorded_by IS NOT NULL ORDER BY f.recorded_at DESC LIMIT 1"),
            {"c": followup_code}).one()
    engine.dispose()
    return str(row.status), row.income_cents


def test_a_social_worker_reads_the_page_and_records_a_follow_up(page: Page, training_server: str) -> None:
    sign_in_as(page, training_server, "social_worker")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_test_id("stMetric").filter(has_text="3个月就业率（已联系上）")).to_contain_text("%")
    expect(main.locator(".stPlotlyChart").first).to_be_visible()
    shot(page, "training-social-worker-zh.png")

    section(page, "回访工作单")
    expect(page).to_have_url(re.compile(r"section=followups"))
    expect(main.get_by_text(re.compile(r"显示前 200 条 / 共 [\d,]+ 条"))).to_be_visible()
    form = main.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="保存回访"))
    expect(form).to_be_visible()
    pick(page, "就业情况", "电商自主经营")
    form.get_by_role("spinbutton", name="现在月收入（元）").fill("4200")
    form.get_by_role("button", name="保存回访").click()
    idle(page)
    saved = main.get_by_test_id("stAlertContentSuccess")
    expect(saved).to_contain_text("已联系上")
    enrolment = re.search(r"E\d+", saved.inner_text())
    assert enrolment is not None and reached(enrolment.group(0)) == ("reached", 420_000)
    chosen(page, "回访工作单")          # the page stays on the work list after a save
    expect(form).to_be_visible()
    shot(page, "training-followup-zh.png", full=False)


def test_the_page_in_english(page: Page, training_server: str) -> None:
    sign_in_as(page, training_server, "social_worker")
    page.get_by_test_id("stSidebar").get_by_text("English").click()
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Training outcomes")).to_be_visible()
    expect(main.get_by_test_id("stMetric").filter(has_text="Employed at 3 months")).to_contain_text("%")
    shot(page, "training-social-worker-en.png")
    section(page, "Certificates")
    main.get_by_role("textbox", name="Certificate number").first.fill("ZS-2026-00000001-0")
    main.get_by_role("button", name="Check").click()
    idle(page)
    expect(main.get_by_test_id("stAlert")).to_be_visible()
    shot(page, "training-certificate-en.png", full=False)
    page.get_by_test_id("stSidebar").get_by_text("中文").click()      # the picker's labels follow the language
    idle(page)
    chosen(page, "证书查验")


def test_a_link_to_a_section_opens_it(page: Page, training_server: str) -> None:
    sign_in_as(page, training_server, "social_worker", "?section=certificates")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("textbox", name="证书编号").first).to_be_visible()
    chosen(page, "证书查验")
    expect(main.get_by_test_id("stMetric")).to_have_count(0)       # the outcomes section's data is not loaded


def test_someone_marked_unreachable_is_found_by_enrolment_code_and_recorded(page: Page, training_server: str) -> None:
    engine = make_engine(DATABASE["url"])
    with engine.connect() as conn:
        code = conn.execute(sa.text(
            "SELECT e.code FROM training_followup f JOIN enrolment e ON e.id = f.enrolment_id "
            "WHERE f.status = 'unreachable' ORDER BY f.due_on, f.id LIMIT 1")).scalar_one()
    engine.dispose()
    sign_in_as(page, training_server, "social_worker", "?section=followups")
    main = page.get_by_test_id("stMain")
    box = main.get_by_role("textbox", name="按报名编号查找")
    box.fill(code)
    box.press("Enter")
    idle(page)
    expect(main.get_by_text("此人已标为“联系不上”")).to_be_visible()
    form = main.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="保存回访"))
    pick(page, "就业情况", "其他工作")
    form.get_by_role("button", name="保存回访").click()
    idle(page)
    expect(main.get_by_test_id("stAlertContentSuccess")).to_contain_text(code)
    shot(page, "training-unreachable-reached-zh.png", full=False)
    assert reached(code)[0] == "reached"
    chosen(page, "回访工作单")
