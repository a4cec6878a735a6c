"""Two app servers on one PostgreSQL database, on loopback (issue 18 item 3): a write made outside server B shows in B
at its next rerun, although B's cached figures would last an hour (DASHBOARD_CACHE_TTL_SECONDS=3600)."""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from dashboard.db import init_database
from seed import load_demo
from tests.apptest_helpers import add_user
from tests.conftest import PG_URL, PgSchema
from tests.test_browser import browser_context_args, browser_type_launch_args, idle, serve  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(PG_URL is None, reason="no PostgreSQL reachable (CI requires one)")]

OLD, NEW = "G市A社区", "G市A社区（更名）"


@pytest.fixture
def two_servers() -> Iterator[tuple[str, str, dict[str, str]]]:
    """Servers A and B on one demo database in a schema of its own, with an admin (a role that writes)."""
    schema = PgSchema()
    try:
        engine = init_database(schema.url)
        load_demo(engine, "demo")
        engine.dispose()
        username, password = add_user(schema.url, "admin", "admin")
        settings = {"DASHBOARD_CACHE_TTL_SECONDS": "3600", "DASHBOARD_AUTO_SEED": "false",
                    "DASHBOARD_DATA_VERSION_CHECK": "true"}
        with serve(schema.url, **settings) as a, serve(schema.url, **settings) as b:
            yield a, b, {"username": username, "password": password, "url": schema.url}
    finally:
        schema.drop()


def open_overview(page: Page, server: str, account: dict[str, str]) -> None:
    page.goto(server)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="登录 协同治理看板")).to_be_visible()
    main.get_by_label("用户名").fill(account["username"])
    main.get_by_label("密码", exact=True).fill(account["password"])
    main.get_by_role("button", name="登录").click()
    expect(main.get_by_role("heading", name="首页 · 总览")).to_be_visible()
    idle(page)


def rerun_and_list_communities(page: Page) -> None:
    """A click on a widget (meeting mode) reruns the page; then the sidebar's community list is opened.

    The list, not the chosen value: a keyed selectbox keeps showing the label its choice had (see app.py)."""
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("会议模式（隐藏个人信息）").click()
    idle(page)
    sidebar.get_by_role("combobox", name="社区").click()


def test_a_write_shows_on_the_other_server_at_its_next_rerun(page: Page, two_servers: tuple) -> None:
    a, b, account = two_servers
    page_a, page_b = page, page.context.new_page()
    for p, server in ((page_a, a), (page_b, b)):
        open_overview(p, server, account)
        rerun_and_list_communities(p)
        expect(p.get_by_role("option", name=OLD, exact=True)).to_be_visible()
        p.keyboard.press("Escape")

    # The write, made outside server B: by hand in the database, as an admin's SQL or another server would.
    bare = sa.create_engine(account["url"].replace("postgresql://", "postgresql+psycopg://", 1))
    with bare.begin() as conn:
        conn.execute(sa.text("UPDATE community SET name = :new WHERE code = 'GA'"), {"new": NEW})
    bare.dispose()

    # Each server's next rerun lists the new name at once: its cache was dropped, not timed out (TTL one hour).
    for p in (page_b, page_a):
        rerun_and_list_communities(p)
        expect(p.get_by_role("option", name=NEW, exact=True)).to_be_visible()
        expect(p.get_by_role("option", name=OLD, exact=True)).to_have_count(0)
        p.keyboard.press("Escape")
