"""The 四方联席会议 page in a real Chromium at a projector's 1280x720: the social worker prepares an agenda
(生成建议议程, save), the projector view shows the current item and its countdown, whole, inside the screen, and
the clock runs once started; a party's account signs the circulated minutes; the page in English. Screenshots of
every section go to /tmp/meetings-*.png (and test-artifacts/)."""

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from dashboard.db import init_database, make_engine
from seed.load import load_demo
from tests.apptest_helpers import add_user
from tests.test_browser import ARTIFACTS, browser_type_launch_args, idle, pick, serve  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser
WIDTH, HEIGHT = 1280, 720
ACCOUNTS: dict[str, tuple[str, str]] = {}
DATABASE: dict[str, str] = {}
PARTY = {"social_worker": "GA-SW", "government": "GA-GOV", "association": "GA-ASN", "platform": "GA-PLT"}


@pytest.fixture(scope="module")
def meetings_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a demo database with an admin (so everyone signs in) and community GA's party accounts."""
    database = f"sqlite:///{tmp_path_factory.mktemp('meetings') / 'app.db'}"
    engine = init_database(database)
    load_demo(engine, "demo")
    engine.dispose()
    DATABASE["url"] = database
    ACCOUNTS["admin"] = add_user(database, "admin")
    for role, party in PARTY.items():
        ACCOUNTS[role] = add_user(database, role, username=f"{role.replace('_', '-')}-ga", party=party)
    with serve(database) as url:
        yield url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": WIDTH, "height": HEIGHT}, "locale": "zh-CN"}


def rows(sql: str, **params: object) -> list[sa.Row]:
    engine = make_engine(DATABASE["url"])
    with engine.connect() as conn:
        found = list(conn.execute(sa.text(sql), params))
    engine.dispose()
    return found


def ga_meeting(status: str) -> sa.Row:
    """Community GA's newest meeting whose minutes are in `status`."""
    return rows("SELECT m.id, m.code, m.held_on, m.title FROM meeting m JOIN community c ON c.id = m.community_id "
                "WHERE c.code = 'GA' AND m.minutes_status = :s ORDER BY m.held_on DESC, m.id DESC", s=status)[0]


def sign_in_as(page: Page, server: str, role: str, query: str = "") -> None:
    """A direct visit to /meetings: the login form first, then the page; community GA chosen in the sidebar."""
    username, password = ACCOUNTS[role]
    page.goto(f"{server}/meetings{query}")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="登录 协同治理看板")).to_be_visible(timeout=60_000)
    main.get_by_label("用户名").fill(username)
    main.get_by_label("密码", exact=True).fill(password)
    main.get_by_role("button", name="登录").click()
    expect(main.get_by_role("heading", name="四方联席会议")).to_be_visible(timeout=60_000)
    idle(page)
    page.get_by_test_id("stSidebar").get_by_role("combobox", name="社区").click()
    page.get_by_role("option", name="G市A社区").click()
    idle(page)


def section(page: Page, name: str) -> None:
    page.get_by_test_id("stMain").get_by_test_id("stButtonGroup").first.get_by_role("radio", name=name,
                                                                                     exact=True).click()
    idle(page)


def choose_meeting(page: Page, code: str) -> None:
    """The meeting picker's options read "date · title · status"."""
    (held_on, title), = rows("SELECT held_on, title FROM meeting WHERE code = :c", c=code)
    name = f"{str(held_on)[:10]} · {title}"
    box = page.get_by_test_id("stMain").get_by_role("combobox", name=re.compile("^(会议|Meeting)$"))
    idle(page)
    box.click()
    page.get_by_role("option", name=re.compile("^" + re.escape(name))).first.click()
    idle(page)


def shot(page: Page, name: str, *, full: bool = False) -> Path:
    """The screen as the projector shows it (1280x720, no scrolling), to /tmp and test-artifacts/; `full` grows the
    viewport to the page's height first (Streamlit scrolls inside stMain) and puts it back after."""
    idle(page)
    if full:
        height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
        page.set_viewport_size({"width": WIDTH, "height": max(HEIGHT, int(height))})
        idle(page)
    ARTIFACTS.mkdir(exist_ok=True)
    path = Path("/tmp") / f"meetings-{name}.png"
    page.screenshot(path=str(path))
    shutil.copy(path, ARTIFACTS / path.name)
    if full:
        page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
        idle(page)
    return path


def inside_viewport(page: Page, selector: str) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= WIDTH and box["y"] + box["height"] <= HEIGHT, box


def test_the_social_worker_prepares_the_agenda_and_runs_the_meeting_on_a_projector(page: Page,
                                                                                   meetings_server: str) -> None:
    target = ga_meeting("draft")
    sign_in_as(page, meetings_server, "social_worker")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_test_id("stDataFrame").first).to_be_visible()
    shot(page, "list-zh")

    section(page, "筹备议程")
    expect(page).to_have_url(re.compile(r"section=agenda"))
    choose_meeting(page, target.code)
    main.get_by_role("button", name="生成建议议程").click()
    idle(page)
    proposed = main.get_by_text(re.compile(r"已按本社区的数据提出 \d+ 项建议"))
    expect(proposed).to_be_visible()
    n = int(re.search(r"提出 (\d+) 项", proposed.inner_text()).group(1))      # type: ignore[union-attr]
    assert n > 0
    expect(main.get_by_text(re.compile(r"合计 \d+ 分钟：\d\d:\d\d 开始，预计 \d\d:\d\d 结束"))).to_be_visible()
    shot(page, "agenda-zh")
    main.get_by_role("button", name="保存议程").click()
    idle(page)
    expect(main.get_by_test_id("stAlertContentSuccess")).to_contain_text(f"议程已保存，共 {n} 项")
    saved = rows("SELECT title FROM agenda_item WHERE meeting_id = :m ORDER BY order_no", m=target.id)
    assert len(saved) == n

    section(page, "会议进行")
    expect(page).to_have_url(re.compile(r"section=run"))
    card = main.locator(".jm-card")
    expect(card).to_be_visible()
    expect(card).to_contain_text(saved[0][0][:10])
    expect(card).to_contain_text("下一项")
    clock = main.locator("[data-testid=jm-clock]")
    before = clock.inner_text()
    assert re.fullmatch(r"\d\d:\d\d", before), before
    inside_viewport(page, ".jm-card")
    inside_viewport(page, "[data-testid=jm-clock]")
    main.get_by_role("button", name="开始计时").click()
    expect(clock).not_to_have_text(before, timeout=30_000)           # the countdown runs on its own
    inside_viewport(page, ".jm-card")
    shot(page, "projector-zh")
    main.get_by_role("button", name="下一项").click()
    idle(page)
    expect(card).to_contain_text("第 2 项")
    inside_viewport(page, ".jm-card")

    section(page, "行动事项")
    expect(main.get_by_text("我方的行动事项")).to_be_visible()
    shot(page, "actions-zh")
    section(page, "会议纪要")
    expect(main.get_by_text(re.compile("纪要状态"))).to_be_visible()
    shot(page, "minutes-zh")


def test_a_party_signs_the_circulated_minutes(page: Page, meetings_server: str) -> None:
    found = rows("SELECT m.code FROM meeting m JOIN community c ON c.id = m.community_id WHERE c.code = 'GA' "
                 "AND m.minutes_status = 'circulated'")
    if not found:                      # the social worker circulates a draft first, through the page
        target = ga_meeting("draft")
        sign_in_as(page, meetings_server, "social_worker", "?section=minutes")
        choose_meeting(page, target.code)
        page.get_by_test_id("stMain").get_by_role("button", name="发出征求意见稿").click()
        idle(page)
        code = target.code
        page.context.clear_cookies()
    else:
        code = found[0][0]
    signed = {r[0] for r in rows("SELECT p.code FROM minutes_signature s JOIN meeting m ON m.id = s.meeting_id "
                                 "JOIN party p ON p.id = s.party_id WHERE m.code = :c", c=code)}
    role = next(r for r in ("government", "platform", "association", "social_worker") if PARTY[r] not in signed)
    sign_in_as(page, meetings_server, role, "?section=minutes")
    main = page.get_by_test_id("stMain")
    choose_meeting(page, code)
    button = main.get_by_role("button", name=re.compile("的名义会签"))
    expect(button).to_be_visible()
    expect(button).to_be_disabled()
    main.get_by_text(re.compile("我已阅读下方纪要全文")).click()
    expect(button).to_be_enabled()
    shot(page, "sign-zh")
    button.click()
    idle(page)
    expect(main.get_by_test_id("stAlertContentSuccess")).to_contain_text("会签")
    by = rows("SELECT s.signed_by FROM minutes_signature s JOIN meeting m ON m.id = s.meeting_id "
              "JOIN party p ON p.id = s.party_id WHERE m.code = :c AND p.code = :p", c=code, p=PARTY[role])
    assert by == [(ACCOUNTS[role][0],)]
    expect(main.get_by_role("button", name=re.compile("的名义会签"))).to_have_count(0)
    expect(main.get_by_test_id("stTable").filter(has_text=ACCOUNTS[role][0])).to_be_visible()   # named as signed
    shot(page, "minutes-circulated-zh-full", full=True)
    with page.expect_download() as got:
        main.get_by_role("button", name="下载纪要（Word）").click()
    word = docx.Document(got.value.path())
    title = rows("SELECT title FROM meeting WHERE code = :c", c=code)[0][0]
    assert any(title in p.text for p in word.paragraphs)
    assert "征求意见稿" in word.sections[0].header.paragraphs[0].text + "".join(
        p.text for p in word.sections[0].header.paragraphs)
    main.get_by_role("button", name="生成 PDF").click()
    idle(page)
    with page.expect_download() as got:
        main.get_by_role("button", name="下载纪要（PDF）").click()
    assert Path(got.value.path()).read_bytes()[:5] == b"%PDF-"


def test_the_page_in_english(page: Page, meetings_server: str) -> None:
    sign_in_as(page, meetings_server, "government", "?section=actions")
    page.get_by_test_id("stSidebar").get_by_text("English").click()
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Four-party joint meeting")).to_be_visible()
    expect(main.get_by_text("My party's action items")).to_be_visible()
    shot(page, "actions-en")
    section(page, "Run the meeting")
    expect(main.get_by_text(re.compile(r"^Quorum: "))).to_be_visible()
    shot(page, "run-en")
    section(page, "Minutes")
    expect(main.get_by_text(re.compile(r"^Minutes: "))).to_be_visible()
    shot(page, "minutes-en")


def test_a_long_item_title_still_fits_the_projector(page: Page, meetings_server: str) -> None:
    """A title of 120 characters (the editor allows 300) is cut at three lines; the clock and the next item stay on
    the screen. Community SQC's held meeting, whose agenda no other test reads (the page caches what it read)."""
    (meeting,) = rows("SELECT m.id, m.code FROM meeting m JOIN community c ON c.id = m.community_id "
                      "WHERE c.code = 'SQC' AND m.minutes_status = 'circulated'")
    long_title = "关于" + "推进新就业形态从业者职业伤害保障试点、直播电商合规培训和快递驿站货架增设" * 3 + "的议题"
    engine = make_engine(DATABASE["url"])
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE agenda_item SET title = :t WHERE meeting_id = :m AND order_no = 1"),
                     {"t": long_title[:300], "m": meeting.id})
    engine.dispose()
    sign_in_as(page, meetings_server, "admin", "?section=run")
    page.get_by_test_id("stSidebar").get_by_role("combobox", name="社区").click()
    page.get_by_role("option", name="石桥村").click()
    idle(page)
    choose_meeting(page, meeting.code)
    main = page.get_by_test_id("stMain")
    expect(main.locator(".jm-card")).to_contain_text("关于推进新就业形态")
    inside_viewport(page, ".jm-card")
    inside_viewport(page, "[data-testid=jm-clock]")
    inside_viewport(page, ".jm-next")
    shot(page, "projector-long-title-zh")
