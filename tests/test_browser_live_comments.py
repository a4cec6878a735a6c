"""直播现场 › 评论导入 in a real Chromium at a projector's 1280x720: a social worker of community A uploads a comment
export (the page's own example file) for a livestream, sees the comments read, the chatter set aside and the
candidates with their 附议, imports, accepts the first candidate, and finds the new request in the request list as
已收集. Screenshots go to test-artifacts/.

It drives app_pages/live_comments.py (imported by app_pages/live.py)
and the section picker app_pages/sections.py."""

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from dashboard.db import init_database
from dashboard.periods import quarter_key
from seed.live_comments import COMMENTS, example_export
from seed.load import load_demo
from tests.apptest_helpers import add_user
from tests.test_browser import browser_type_launch_args, go, idle, pick, serve  # noqa: F401  (fixture)
from tests.test_browser_requests import choose, shot, sidebar_pick

pytestmark = pytest.mark.browser
WIDTH, HEIGHT = 1280, 720
STATE: dict[str, object] = {}


@pytest.fixture(scope="module")
def comments_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a demo database with a social worker; the livestream before community A's latest (no comments
    imported yet) is the one the test imports into."""
    folder = tmp_path_factory.mktemp("live_comments")
    database = f"sqlite:///{folder / 'app.db'}"
    engine = init_database(database)
    load_demo(engine, "demo")
    with engine.connect() as conn:
        code, held_on, title = conn.execute(sa.text(
            "SELECT code, held_on, title FROM livestream_session WHERE community_id = 1 "
            "ORDER BY held_on DESC, id DESC LIMIT 1 OFFSET 1")).one()
    engine.dispose()
    STATE["livestream"] = f"{code} · {held_on} · {title}"
    STATE["day"] = dt.date.fromisoformat(str(held_on))
    add_user(database, "admin")                  # an admin exists: the app asks to sign in (no demo visitor)
    STATE["account"] = add_user(database, "social_worker", party="GA-SW")
    with serve(database) as url:
        yield url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": WIDTH, "height": HEIGHT}, "locale": "zh-CN"}


def test_a_social_worker_imports_comments_and_accepts_a_candidate(page: Page, comments_server: str,
                                                                  tmp_path: Path) -> None:
    username, password = STATE["account"]  # type: ignore[misc]
    page.goto(f"{comments_server}/live?section=comments")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="登录 协同治理看板")).to_be_visible(timeout=60_000)
    main.get_by_label("用户名").fill(username)
    main.get_by_label("密码", exact=True).fill(password)
    main.get_by_role("button", name="登录").click()
    expect(main.get_by_role("heading", name="直播现场")).to_be_visible(timeout=60_000)
    sidebar_pick(page, "社区", "G市A社区")
    expect(main.get_by_text("评论导入按社区进行")).not_to_be_visible()

    pick(page, "直播场次", str(STATE["livestream"]))
    expect(main.get_by_text("这场直播还没有导入评论。")).to_be_visible()
    export = tmp_path / "评论导出.xlsx"
    export.write_bytes(example_export(STATE["day"]))  # type: ignore[arg-type]
    main.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(export))
    idle(page)
    expect(main.get_by_test_id("stMetric").filter(has_text="读入评论")).to_contain_text(str(len(COMMENTS)))
    expect(main.get_by_text(re.compile(r"已识别为 \S+ 的导出格式。"))).to_be_visible()
    expect(main.get_by_test_id("stDataFrame").first).to_contain_text("剔除条数")
    shot(page, "live-comments-preview-zh.png")

    main.get_by_role("button", name=re.compile(r"^导入（\d+ 条候选诉求）$")).click()
    idle(page)
    expect(main.get_by_text(re.compile(rf"已导入 {len(COMMENTS)} 条评论"))).to_be_visible()
    table = main.get_by_test_id("stDataFrame").filter(has_text="附议").last
    expect(table).to_contain_text("待处理")

    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="采纳为诉求", exact=True))
    form.get_by_label("诉求内容").fill("楼道口快递堆放，建议在大门口设快递代收点")
    form.get_by_role("button", name="采纳为诉求", exact=True).click()
    idle(page)
    done = main.get_by_text(re.compile(r"已登记诉求 R\d+（已收集，附议 \d+ 人）。"))
    expect(done).to_be_visible()
    found = re.search(r"已登记诉求 (R\d+)（已收集，附议 (\d+) 人）", done.inner_text())
    assert found is not None and int(found.group(2)) >= 1
    code = found.group(1)
    expect(main.get_by_text(f"这条候选诉求的状态是「已采纳」：已登记为诉求 {code}。")).to_be_visible()
    shot(page, "live-comments-accepted-zh.png")

    go(page, "直播治理诉求")
    expect(main.get_by_role("heading", name="直播治理诉求")).to_be_visible(timeout=60_000)
    sidebar_pick(page, "季度", quarter_key(STATE["day"]))  # type: ignore[arg-type]
    choose(page, "查看诉求", code)
    facts = main.get_by_test_id("stTable")
    expect(facts).to_contain_text(code)
    expect(facts).to_contain_text("已收集")
    shot(page, "live-comments-request-zh.png")
