"""The 季度汇报 page (app_pages/report.py) and its slideshow (app_pages/report_slides.py) in a real Chromium at a
projector's 1280x720: a social worker opens the page by its address, reads community A's quarter as a draft, edits
a narrative and publishes version 1, downloads the handout (its figures are the page's) and the PDF; the slideshow
moves by the keyboard (→, PageDown, ←, PageUp) and by its buttons, shows the version and "截至" on every slide and
fits the screen, in Chinese and in English; a link to the slides opens them. Screenshots go to test-artifacts/."""

import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlmodel import Session

import dashboard.report.figures as figures
import dashboard.services.report as service
from dashboard import accounts
from dashboard.db import init_database, make_engine
from dashboard.report.types import AREAS
from seed.load import load_demo
from tests import factories as fx
from tests.apptest_helpers import add_user
from tests.test_browser import ARTIFACTS, browser_type_launch_args, idle, serve  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser
WIDTH, HEIGHT = 1280, 720
ACCOUNTS: dict[str, tuple[str, str]] = {}
DATABASE: dict[str, str] = {}
AREAS_ZH = ("需求评估", "培训成效", "合作社分配", "直播治理诉求", "联席会议行动事项")


@pytest.fixture(scope="module")
def report_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a demo database with an admin (so everyone signs in) and a social worker of community A."""
    database = f"sqlite:///{tmp_path_factory.mktemp('report') / 'app.db'}"
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
    """A direct visit to /report: the login form first, then the page itself."""
    username, password = ACCOUNTS[role]
    page.goto(f"{server}/report{query}")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="登录 协同治理看板")).to_be_visible(timeout=60_000)
    main.get_by_label("用户名").fill(username)
    main.get_by_label("密码", exact=True).fill(password)
    main.get_by_role("button", name="登录").click()
    expect(main.get_by_role("heading", name="季度汇报")).to_be_visible(timeout=60_000)
    idle(page)


def community(page: Page, name: str) -> None:
    """Choose the community in the sidebar's filter."""
    page.get_by_test_id("stSidebar").get_by_role("combobox", name="社区").click()
    page.get_by_role("option", name=name, exact=True).click()
    idle(page)


def shot(page: Page, name: str, *, full: bool = True) -> Path:
    """The page at the projector's width; `full` grows the viewport to the page's height first (Streamlit scrolls
    inside stMain), then puts it back."""
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
    page.get_by_test_id("stMain").get_by_test_id("stButtonGroup").first.get_by_role("radio", name=name,
                                                                                     exact=True).click()
    idle(page)


def counter(page: Page) -> str:
    return page.locator(".rs-count").inner_text()


def fits_the_screen(page: Page, next_label: str = "下一页") -> None:
    """The slide and its buttons are on the 1280x720 screen without scrolling, and no text is cut on the right."""
    bottom = page.get_by_role("button", name=next_label).bounding_box()
    assert bottom is not None and bottom["y"] + bottom["height"] <= HEIGHT, bottom
    cut = page.evaluate("""() => [...document.querySelectorAll(
            '.rs-title, .rs-meta, .rs-label, .rs-value, .rs-change, .rs-count, .rs-big, .rs-sub, .rs-line')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)""")
    assert cut == []


def downloads(page: Page) -> None:
    """The handout and the PDF of the version shown: the workbook's cover names it, its figures are the page's."""
    main = page.get_by_test_id("stMain")
    row = main.get_by_test_id("stTable").first.locator("tr").filter(has_text="登记从业者")
    shown = row.locator("td").nth(1).inner_text().strip()
    with page.expect_download() as handout:
        main.get_by_role("button", name="下载汇报工作簿").click()
    assert handout.value.suggested_filename.endswith("_GA_2026Q3_v1.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(Path(handout.value.path()).read_bytes()))
    cover = [str(c.value) for r in book.worksheets[0].iter_rows() for c in r if c.value is not None]
    assert "第 1 版" in cover
    needs = next(ws for ws in book.worksheets if ws["A1"].value == "需求评估")
    figure = next(r for r in needs.iter_rows() if r[0].value == "登记从业者")
    assert f"{int(figure[1].value):,}" == shown
    main.get_by_role("button", name="生成 PDF").click()          # LibreOffice takes seconds: built on a click
    idle(page)
    with page.expect_download() as pdf:
        main.get_by_role("button", name="下载 PDF").click()
    path = Path(pdf.value.path())
    assert path.read_bytes()[:5] == b"%PDF-" and path.stat().st_size > 10_000
    idle(page)


def test_a_social_worker_publishes_the_quarter_and_shows_it_as_slides(page: Page, report_server: str) -> None:
    sign_in_as(page, report_server, "social_worker")
    community(page, "G市A社区")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_test_id("stAlert").filter(has_text="草稿（实时数据，未发布）")).to_be_visible()
    for area in AREAS_ZH:
        expect(main.get_by_role("heading", name=area)).to_be_visible()
    expect(main.locator(".stPlotlyChart")).to_have_count(len(AREAS_ZH))
    shot(page, "report-draft-social-worker-zh.png")

    box = main.get_by_role("textbox", name="说明（发布前可修改）").first
    box.fill("本季度需求评估平稳推进，详见下表。")
    box.press("Tab")            # the text area keeps its text on leaving it
    idle(page)
    main.get_by_role("button", name="发布第 1 版").click()
    idle(page)
    expect(main.get_by_test_id("stAlertContentSuccess").filter(has_text="已发布第 1 版")).to_be_visible()
    expect(main.get_by_test_id("stAlert").filter(has_text=re.compile(r"第 1 版 · 发布于"))).to_be_visible()
    expect(main.get_by_role("paragraph").filter(has_text="本季度需求评估平稳推进，详见下表。")).to_be_visible()
    shot(page, "report-published-zh.png")
    downloads(page)

    section(page, "幻灯片")
    expect(page).to_have_url(re.compile(r"section=slides"))
    expect(page.locator(".rs-big")).to_have_text(re.compile(r"季度汇报"))
    expect(page.locator(".rs-cover .rs-line").first).to_contain_text("第 1 版 · 截至")
    assert counter(page).startswith("1 / 6")
    shot(page, "report-slide-1-title.png", full=False)
    fits_the_screen(page)

    # The keys as a presenter presses them, the focus still on the section picker just clicked, once the page's
    # keyboard script has loaded (its iframe loads after the run is over).
    page.wait_for_function("() => !!window.__reportSlideKeys")
    for key, expected, area in (("ArrowRight", 2, AREAS_ZH[0]), ("PageDown", 3, AREAS_ZH[1]),
                                ("ArrowRight", 4, AREAS_ZH[2]), ("ArrowLeft", 3, AREAS_ZH[1]),
                                ("PageUp", 2, AREAS_ZH[0])):
        page.keyboard.press(key)
        expect(page.locator(".rs-count")).to_have_text(re.compile(rf"^{expected} / 6"))
        expect(page.locator(".rs-title")).to_have_text(area)
        expect(page.locator(".rs-meta")).to_contain_text("第 1 版 · 截至")
        idle(page)
    shot(page, "report-slide-2-needs.png", full=False)
    fits_the_screen(page)
    for expected in (3, 4, 5, 6):
        page.get_by_role("button", name="下一页").click()
        expect(page.locator(".rs-count")).to_have_text(re.compile(rf"^{expected} / 6"))
        idle(page)
        shot(page, f"report-slide-{expected}.png", full=False)
        fits_the_screen(page)
    expect(page.get_by_role("button", name="下一页")).to_be_disabled()
    page.keyboard.press("ArrowRight")          # past the last slide: it stays
    idle(page)
    assert counter(page).startswith("6 / 6")


def test_a_link_to_the_slides_opens_them(page: Page, report_server: str) -> None:
    sign_in_as(page, report_server, "admin", "?section=slides")
    expect(page.locator(".rs-big")).to_have_text(re.compile(r"季度汇报"))
    expect(page.get_by_role("button", name="下一页")).to_be_visible()
    expect(page.get_by_test_id("stMain").get_by_test_id("stTable")).to_have_count(0)   # the report is not drawn
    fits_the_screen(page)


def test_the_slides_in_english_fit_the_screen(page: Page, report_server: str) -> None:
    sign_in_as(page, report_server, "admin", "?section=slides")
    page.get_by_test_id("stSidebar").get_by_text("English").click()
    expect(page.locator(".rs-big")).to_have_text(re.compile(r"Quarterly report"))
    idle(page)
    fits_the_screen(page, "Next")
    shot(page, "report-slide-1-title-en.png", full=False)
    for n in range(2, 7):
        page.get_by_role("button", name="Next").click()
        expect(page.locator(".rs-count")).to_have_text(re.compile(rf"^{n} / 6"))
        idle(page)
        shot(page, f"report-slide-{n}-en.png", full=False)
        fits_the_screen(page, "Next")


def published_then_changed(code: str) -> None:
    """Version 1 of the community's 2026Q3 published by the admin (as another session would), then a need of the
    quarter entered late: the page's restatement has one more need to show."""
    engine = make_engine(DATABASE["url"])
    with Session(engine) as session:
        cid = session.connection().execute(sa.text("SELECT id FROM community WHERE code = :c"),
                                           {"c": code}).scalar_one()
        actor = accounts.principal_of(session, ACCOUNTS["admin"][0])
        assert actor is not None
        data = figures.report_data(session, community_id=cid, quarter="2026Q3", today=dt.date.today())
        service.publish(session, data=data, narrative={"zh": dict.fromkeys(AREAS, "第 1 版的说明。"),
                                                       "en": dict.fromkeys(AREAS, "Version 1.")},
                        actor=actor, expected_version=0)
        session.commit()
    with engine.begin() as conn:
        person = conn.execute(sa.text("SELECT id FROM practitioner WHERE community_id = :c LIMIT 1"),
                              {"c": cid}).scalar_one()
        fx.need(conn, person, cid, code=f"N-LATE-{code}", identified_on=dt.date(2026, 9, 30), quarter="2026Q3")
    engine.dispose()


def test_a_restated_version_says_why_and_what_changed_under_its_status(page: Page, report_server: str) -> None:
    """Restated in the browser, version 2 shows its reason and the figures that changed right under its status
    line, at the top of a 1280x720 screen; in meeting mode the one more person reads <5 there."""
    published_then_changed("QYZ")          # a community no other test opens: the server has nothing of it cached
    sign_in_as(page, report_server, "admin")
    community(page, "青岩镇电商社区")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_test_id("stAlert").filter(has_text="实时数据中有")).to_be_visible()
    main.get_by_text("修订：发布第 2 版").click()
    main.get_by_role("textbox", name="修订原因（必填）").fill("补录 9 月 30 日的一条需求评估")
    main.get_by_role("textbox", name="修订原因（必填）").press("Tab")
    idle(page)
    main.get_by_role("button", name="发布修订版（第 2 版）").click()
    idle(page)
    expect(main.get_by_test_id("stAlertContentSuccess").filter(has_text="已发布第 2 版")).to_be_visible()
    box = page.locator(".st-key-report_restated")
    expect(box).to_contain_text("第 2 版是对第 1 版的修订。修订原因：补录 9 月 30 日的一条需求评估")
    needs = box.locator("tr").filter(has_text="新识别需求")
    expect(needs.locator("td").nth(4)).to_have_text("+1")
    # Under the status line: the reason and the table on the first screen, above the areas.
    main.evaluate("e => e.scrollTo(0, 0)")
    idle(page)
    top, status = box.bounding_box(), main.get_by_test_id("stAlert").filter(has_text="第 2 版 · 发布于").bounding_box()
    assert top is not None and status is not None and status["y"] < top["y"] < HEIGHT - 120, (status, top)
    shot(page, "report-restated-status.png", full=False)
    page.get_by_test_id("stSidebar").get_by_text("会议模式（隐藏个人信息）").click()
    idle(page)
    main.evaluate("e => e.scrollTo(0, 0)")
    idle(page)
    expect(box.locator("tr").filter(has_text="新识别需求").locator("td").nth(4)).to_have_text("<5")
    shot(page, "report-restated-status-meeting.png", full=False)
