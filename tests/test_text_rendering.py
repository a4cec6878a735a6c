"""Text from data is shown as text, never as Markdown (issue 11 item 12): plain() as a function, then a real
Chromium over data imported with Markdown links, images and HTML in every text field a page shows."""

import csv
import io
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, Route, expect
from sqlmodel import Session

from dashboard import accounts
from dashboard.db import init_database
from dashboard.excel import importer, writer
from dashboard.text import JOINER, plain
from tests.test_browser import browser_context_args, browser_type_launch_args, go, pick, screenshot, serve  # noqa: F401  (the fixtures that launch Debian's Chromium)

EVIL = ("[点我领补贴](https://evil.example/phish) ![t](https://evil.example/pixel.png) "
        "<img src=http://evil.example/x.png> <a href=http://evil.example/a>a</a> www.evil.example/w bob@evil.example "
        ":material/home: **粗体** `code` $x^2$")


@pytest.mark.parametrize("raw", [
    EVIL, "- item", "1. item", "# 标题", "> quote", "a|b", "&lt;b&gt;", ":red[红色]", "张*华", "P00001", "¥1,234.56",
])
def test_plain_escapes_every_markdown_construct_and_keeps_the_text(raw: str) -> None:
    shown = plain(raw)
    # What a reader sees: the escapes resolved, the invisible joiners ignored.
    assert shown.replace("\\", "").replace(JOINER, "") == raw
    for pattern in ("](", "![", "https://", "www.", "@evil", ":material/", ":red[", "**"):
        assert pattern not in shown
    for construct in ("<", "[", "&", "|", "#", ">", "`", "$"):
        assert construct not in raw or "\\" + construct in shown
    if raw[:2] in ("- ", "1."):
        assert "\\" in shown[:2]


def test_plain_leaves_plain_text_alone_and_keeps_our_masks() -> None:
    assert plain("G市A社区") == "G市A社区" and plain(None) == "" and plain(3) == "3"
    assert plain("GA-COOP-2026Q2-1") == "GA-COOP-2026Q2-1"
    assert plain("138****5678", keep="*") == "138****5678" and plain("138****5678") == r"138\*\*\*\*5678"


ADMIN: dict[str, str] = {}


def _reimport(engine: sa.Engine, entity: str, changes: dict[str, dict[str, str]], file_name: str) -> None:
    """Export the entity, put the changes into the rows named by their code, import it back (the import engine)."""
    text = writer.export_csv(engine, entity).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    head, body = rows[0], [r for r in rows[1:] if r[0] in changes]
    for row in body:
        for column, value in changes[row[0]].items():
            row[head.index(column)] = value
    out = io.StringIO()
    csv.writer(out).writerows([head, *body])
    result = importer.import_file(engine, entity, out.getvalue().encode("utf-8"), file_name, actor="导入员")
    assert result.status == "committed", [e.message for e in result.errors]


@pytest.fixture(scope="module")
def evil_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo data with Markdown and HTML in every text field a page shows, served by `streamlit run`."""
    from seed import load_demo

    database = f"sqlite:///{tmp_path_factory.mktemp('evil') / 'app.db'}"
    engine = init_database(database)
    load_demo(engine, "demo")
    with engine.connect() as conn:
        needs = conn.execute(sa.text("SELECT n.code FROM need_assessment n JOIN practitioner p "
                                     "ON p.id = n.practitioner_id WHERE p.code = 'P00001'")).scalars().all()
    evil_file = "[名单](https://evil.example/f) <img src=http://evil.example/f.png>.csv"
    _reimport(engine, "communities", {"GA": {"社区名称": "[G市A社区](https://evil.example/c)"}}, evil_file)
    _reimport(engine, "practitioners", {"P00001": {"姓名": "[张三](https://evil.example/n)", "优势特长": EVIL}},
              evil_file)
    _reimport(engine, "needs", {code: {"需求描述": EVIL, "负责社工": "![w](https://evil.example/w.png)"}
                                for code in needs}, evil_file)
    _reimport(engine, "members", {"M00001": {"姓名": "![m](https://evil.example/m.png)"}}, evil_file)
    _reimport(engine, "cooperatives", {"GA-COOP": {"合作社名称": "<a href=https://evil.example/co>合作社</a>"}},
              evil_file)
    ADMIN["username"], ADMIN["password"] = "admin", accounts.new_password()
    with Session(engine) as session:
        accounts.create_user(session, username="admin", role="admin", actor="test", password=ADMIN["password"],
                             display_name="[管理员](https://evil.example/u)")
        session.commit()
    engine.dispose()
    with serve(database) as url:
        yield url


@pytest.fixture
def outside(page: Page) -> list[str]:
    """Every request for an address other than 127.0.0.1, refused and remembered."""
    asked: list[str] = []

    def check(route: Route) -> None:
        host = urllib.parse.urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", None) or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            asked.append(route.request.url)
            route.abort()

    page.route("**/*", check)
    return asked


def no_data_links(page: Page) -> None:
    expect(page.locator("a[href*='evil'], img[src*='evil'], [href*='evil'], [src*='evil']")).to_have_count(0)


def shown(page: Page) -> str:
    """The main area's text as a reader sees it (the invisible joiners dropped)."""
    return page.get_by_test_id("stMain").inner_text().replace(JOINER, "")


@pytest.mark.browser
def test_no_page_turns_data_into_links_or_images(page: Page, evil_server: str, outside: list[str],
                                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    page.goto(evil_server)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="登录 协同治理看板")).to_be_visible(timeout=60_000)
    main.get_by_label("用户名").fill(ADMIN["username"])
    main.get_by_label("密码", exact=True).fill(ADMIN["password"])
    main.get_by_role("button", name="登录").click()
    expect(main.get_by_role("heading", name="首页 · 总览")).to_be_visible(timeout=60_000)
    sidebar = page.get_by_test_id("stSidebar")
    assert "[管理员](https://evil.example/u)" in sidebar.inner_text().replace(JOINER, "")

    # The community filter: the evil name is an option, and once picked the page captions carry it.
    sidebar.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option").filter(has_text="G市A社区").click()
    expect(main.get_by_test_id("stCaptionContainer").first).to_contain_text("evil.example/c", timeout=60_000)
    assert "[G市A社区](https://evil.example/c)" in shown(page)
    no_data_links(page)

    go(page, "需求评估")
    expect(main.get_by_role("heading", name="需求评估")).to_be_visible(timeout=60_000)
    main.get_by_role("textbox", name="查找从业者").fill("P00001")
    main.get_by_role("textbox", name="查找从业者").press("Enter")
    expect(main.get_by_test_id("stTable").first).to_contain_text("P00001", timeout=60_000)
    expect(main.get_by_test_id("stTable").first).to_contain_text("evil.example/n")
    assert EVIL in shown(page)               # the strengths line, exactly as typed
    no_data_links(page)
    screenshot(page, "text-needs-profile.png")

    go(page, "合作社分配")
    expect(main.get_by_role("heading", name="合作社分配")).to_be_visible(timeout=60_000)
    assert "evil.example/co" in main.get_by_role("combobox", name="合作社", exact=True).input_value()
    main.get_by_role("tab", name="成员明细单").click()
    pick(page, "分配批次", "GA-COOP-2026Q2-1")                                    # nothing is preselected
    expect(main.get_by_test_id("stTable")).to_contain_text("evil.example/m.png", timeout=60_000)
    no_data_links(page)

    go(page, "审计日志")
    expect(main.get_by_role("heading", name="审计日志")).to_be_visible(timeout=60_000)
    expect(main.get_by_test_id("stDataFrame")).to_contain_text("evil.example/f", timeout=60_000)
    no_data_links(page)

    go(page, "数据导入导出")
    expect(main.get_by_role("heading", name="数据导入导出")).to_be_visible(timeout=60_000)
    main.get_by_role("tab", name="上传导入").click()
    bad = tmp_path_factory.mktemp("upload") / "社区.csv"
    evil = EVIL.replace(",", " ")
    bad.write_text(f"社区编号,社区名称,类型\nNEW1,{evil},{evil}\n", encoding="utf-8")
    main.locator("[class*=st-key-io_upload_] [data-testid=stFileUploaderDropzoneInput]").set_input_files(str(bad))
    expect(main.get_by_text(re.compile(r"发现 \d+ 处问题"))).to_be_visible(timeout=60_000)
    expect(main.get_by_test_id("stDataFrame")).to_contain_text("[点我领补贴](https://evil.example/phish)")  # cut
    no_data_links(page)
    # Until app.py's page icon stops being a Material icon, Streamlit fetches the favicon from fonts.gstatic.com.
    assert outside == [], f"requests left 127.0.0.1: {sorted(set(outside))}"
