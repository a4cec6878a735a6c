"""现场录入 in a real Chromium at a projector's 1280x720: a social worker opens today's livestream (the machine's
date; the demo's streams end earlier), then types FIVE requests with the keyboard alone (digits, Tab, arrows, text,
Enter), each timed from its first key to its row in the recent list (under 15 s each); all five are stored with
source live; then 撤销上一条 withdraws the last. Screenshots go to test-artifacts/.

It drives app_pages/live_capture.py (imported by app_pages/live.py)
and the section picker app_pages/sections.py."""

import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from dashboard.db import init_database, make_engine
from seed.load import load_demo
from tests.apptest_helpers import add_user
from tests.test_browser import ARTIFACTS, browser_type_launch_args, idle, serve  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser
WIDTH, HEIGHT = 1280, 720
LIMIT_SECONDS = 15.0
ACCOUNTS: dict[str, tuple[str, str]] = {}
DATABASE: list[str] = []
# (the category's number, arrow presses on the urgency radio from 一般, description, resident)
REQUESTS = [
    ("1", "ArrowLeft", "三号楼楼道快递堆到消防通道", "3栋201"),
    ("2", "", "隔壁晚上十一点还在直播太吵", "小燕子"),
    ("3", "ArrowRight", "村口路灯坏了一个月", "13812345678"),
    ("4", "", "垃圾清运不及时有异味", "王阿姨"),
    ("9", "", "希望开一期短视频剪辑课", ""),
]


@pytest.fixture(scope="module")
def capture_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a demo database with a social worker of community A."""
    database = f"sqlite:///{tmp_path_factory.mktemp('capture') / 'app.db'}"
    engine = init_database(database)
    load_demo(engine, "demo")
    engine.dispose()
    ACCOUNTS["admin"] = add_user(database, "admin")
    ACCOUNTS["social_worker"] = add_user(database, "social_worker", party="GA-SW")
    DATABASE[:] = [database]
    with serve(database) as url:
        yield url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": WIDTH, "height": HEIGHT}, "locale": "zh-CN"}


def shot(page: Page, name: str) -> None:
    idle(page)
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": WIDTH, "height": max(HEIGHT, int(height))})
    idle(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    idle(page)


def stored() -> list[tuple[str, str, str, str, str]]:
    engine = make_engine(DATABASE[0])
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT code, category, priority, description, resident, source FROM request "
                                    "WHERE source = 'live' ORDER BY id")).all()
    engine.dispose()
    return [tuple(r) for r in rows]      # type: ignore[misc]


def test_a_social_worker_types_five_requests_by_keyboard_alone(page: Page, capture_server: str) -> None:
    username, password = ACCOUNTS["social_worker"]
    page.goto(f"{capture_server}/live")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="登录 协同治理看板")).to_be_visible(timeout=60_000)
    main.get_by_label("用户名").fill(username)
    main.get_by_label("密码", exact=True).fill(password)
    main.get_by_role("button", name="登录").click()
    expect(main.get_by_role("heading", name="直播现场")).to_be_visible(timeout=60_000)
    expect(main.get_by_text("现场录入针对一个社区的直播")).to_be_visible()

    idle(page)
    page.get_by_test_id("stSidebar").get_by_role("combobox", name="社区").click()
    page.get_by_role("option", name="G市A社区").click()
    idle(page)
    expect(main.get_by_text("今天（")).to_be_visible()
    main.get_by_role("button", name="新建并开始录入").click()
    idle(page)
    expect(main.get_by_text("正在直播：")).to_be_visible()

    first = page.locator(".st-key-live_capture_category input")
    table = main.get_by_test_id("stTable")
    # The first focus: the script the page sends after opening the stream puts the cursor there by itself.
    expect(first).to_be_focused()
    seconds: list[float] = []
    for digit, arrow, description, resident in REQUESTS:
        expect(first).to_be_focused()
        start = time.monotonic()
        page.keyboard.type(digit)
        page.keyboard.press("Enter")          # chooses the one option the digit leaves
        page.keyboard.press("Tab")            # to the urgency
        if arrow:
            page.keyboard.press(arrow)
        page.keyboard.press("Tab")            # to the description
        page.keyboard.type(description)
        page.keyboard.press("Tab")            # to the resident
        if resident:
            page.keyboard.type(resident)
        page.keyboard.press("Enter")          # saves
        expect(table.locator("tr").nth(1)).to_contain_text(description)    # the new row, at the top
        seconds.append(time.monotonic() - start)
        idle(page)
    print("capture seconds per request:", ", ".join(f"{s:.2f}" for s in seconds))
    shot(page, "live-capture-five-zh.png")
    assert max(seconds) < LIMIT_SECONDS, seconds

    rows = stored()
    assert [r[3] for r in rows] == [d for _, _, d, _ in REQUESTS]
    assert [(r[1], r[2]) for r in rows] == [("parcel_stacking", "urgent"), ("livestream_noise", "general"),
                                            ("road_lighting", "complex"), ("sanitation", "general"),
                                            ("other", "general")]
    assert [r[4] for r in rows] == ["3栋201", "小燕子", "138****5678", "王阿姨", ""]
    assert {r[5] for r in rows} == {"live"}
    # the form is empty again and the cursor back in the first field
    expect(page.locator(".st-key-live_capture_description input")).to_have_value("")
    expect(first).to_be_focused()

    last = rows[-1][0]
    main.get_by_role("button", name=f"撤销上一条（{last}）").click()
    idle(page)
    expect(main.get_by_text(f"已撤销 {last}。")).to_be_visible()
    # One table once the rerun has replaced the old one (on a loaded machine both were briefly there).
    expect(table).to_have_count(1)
    expect(table).not_to_contain_text(REQUESTS[-1][2])
    assert [r[0] for r in stored()] == [r[0] for r in rows[:-1]]
    shot(page, "live-capture-undone-zh.png")
