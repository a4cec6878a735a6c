"""Offline (issue 12 item 18): a township intranet has no internet, so nothing the app serves may reference an outside
address. A real Chromium signs in and opens every page with every request to a host other than 127.0.0.1 or
localhost aborted and recorded; the page's own links (the favicon among them: headless Chromium need not fetch it)
are checked too."""

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, Request, Route, expect

from tests import test_browser
from tests.test_browser import idle, sign_in

# The browser tests' fixtures, by name: the app server, Debian's Chromium, the context, the generous waits.
server = test_browser.server
browser_type_launch_args = test_browser.browser_type_launch_args
browser_context_args = test_browser.browser_context_args
_patient = test_browser._patient

pytestmark = pytest.mark.browser
LOCAL = {"127.0.0.1", "localhost"}
# Every URL-bearing attribute in the document, the head's <link rel=icon> included.
OUTSIDE_LINKS = """() => [...document.querySelectorAll('[href], [src]')]
    .map(e => e.getAttribute('href') || e.getAttribute('src'))
    .filter(u => /^(https?:)?\\/\\//i.test(u))
    .map(u => new URL(u, location.href))
    .filter(u => !['127.0.0.1', 'localhost'].includes(u.hostname))
    .map(u => u.href)"""


def is_local(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("data", "blob", "about") or parsed.hostname in LOCAL


def test_no_page_asks_for_an_outside_address(page: Page, server: str) -> None:
    attempted: list[str] = []

    def only_local(route: Route, request: Request) -> None:
        if is_local(request.url):
            route.continue_()
        else:
            attempted.append(request.url)
            route.abort()

    page.route("**/*", only_local)
    page.on("websocket", lambda ws: None if is_local(ws.url) else attempted.append(ws.url))
    linked: set[str] = set()

    sign_in(page, server)
    idle(page)
    linked.update(page.evaluate(OUTSIDE_LINKS))
    nav = page.get_by_test_id("stSidebarNav").get_by_role("link")
    expect(nav.first).to_be_visible()
    targets = [link.get_attribute("href") or "" for link in nav.all()]
    assert len(targets) >= 5, targets                      # the admin sees every page
    for i, href in enumerate(targets):
        nav.nth(i).click()
        expect(page).to_have_url(re.compile(re.escape(urlparse(href).path.rstrip("/")) + "/?$"))
        expect(page.get_by_test_id("stMain").get_by_test_id("stHeading").first).to_be_visible()
        idle(page)
        linked.update(page.evaluate(OUTSIDE_LINKS))
    icon = page.locator("link[rel='shortcut icon']").get_attribute("href") or ""
    assert icon.startswith("data:image/svg+xml"), icon[:80]     # assets/favicon.svg, inlined by Streamlit
    assert not attempted, f"requests to outside addresses: {attempted}"
    assert not linked, f"links to outside addresses: {sorted(linked)}"


def test_the_slideshow_asks_for_no_outside_address(page: Page, server: str) -> None:
    """季度汇报's slideshow (app_pages/report_slides.py) runs a keyboard script in an iframe of its own: it is
    inline, and nothing it does reaches outside either."""
    attempted: list[str] = []

    def only_local(route: Route, request: Request) -> None:
        if is_local(request.url):
            route.continue_()
        else:
            attempted.append(request.url)
            route.abort()

    page.route("**/*", only_local)
    sign_in(page, server, "report?section=slides")
    expect(page.get_by_role("button", name="下一页")).to_be_visible()
    page.wait_for_function("() => !!window.__reportSlideKeys")
    page.keyboard.press("ArrowRight")
    expect(page.locator(".rs-count")).to_contain_text("2 / ")
    idle(page)
    frames = [f.url for f in page.frames]
    assert all(is_local(u) for u in frames), frames
    assert not attempted, f"requests to outside addresses: {attempted}"
    assert not page.evaluate(OUTSIDE_LINKS)
