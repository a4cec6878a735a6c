"""Print and projector (issue 12 item 14), in Debian's Chromium: page.pdf() of the cooperative's distribution tab
and of the needs page, and a 1280x720 screenshot of the overview. The files land in test-artifacts/ to be looked
at; the assertions check what a person would see: nothing cut off on the right, no page of nothing, whole labels."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.test_browser import ARTIFACTS, browser_context_args, browser_type_launch_args, go, pick, server, sign_in  # noqa: F401  (fixtures shared with the other browser tests)

pytestmark = pytest.mark.browser


def pdf(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.emulate_media(media="print")
    page.pdf(path=str(path), format="A4", landscape=True, print_background=True)
    page.emulate_media(media="screen")
    return path


PAPER_PX = 1047    # A4 landscape less 10 mm margins (app.py's @page), in CSS pixels


def clipped_in_print(page: Page) -> list[str]:
    """What the printout cuts on the right: lay the page out at the paper's width as Chrome's print does, with
    no script running (all in one synchronous evaluate, before any resize observer can redraw a table), and
    list the tables and charts that reach past the main block."""
    page.emulate_media(media="print")
    cut = page.evaluate("""(paper) => {
        const html = document.documentElement, body = document.body;
        const before = [html.style.width, body.style.width];
        html.style.width = body.style.width = paper + 'px';
        const main = document.querySelector('[data-testid=stMainBlockContainer]').getBoundingClientRect();
        const out = [...document.querySelectorAll(
                '[data-testid=stDataFrame] canvas, .stPlotlyChart svg.main-svg, [data-testid=stTable] table')]
            .filter(e => e.getClientRects().length)
            .filter(e => e.getBoundingClientRect().right > main.right + 1)
            .map(e => (e.closest('[data-testid]') || e).getAttribute('data-testid') || e.tagName);
        [html.style.width, body.style.width] = before;
        return out;
    }""", PAPER_PX)
    page.emulate_media(media="screen")
    return cut  # type: ignore[no-any-return]


def pdf_pages(path: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", path.read_bytes()))


def test_cooperative_runs_tab_prints_whole(page: Page, server: str) -> None:  # noqa: F811
    page.set_default_timeout(60_000)      # the machine is shared: a click can wait for a rerun
    sign_in(page, server)
    go(page, "合作社分配")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="合作社分配")).to_be_visible(timeout=60_000)
    expect(main.locator(".stPlotlyChart").first).to_be_visible(timeout=60_000)
    main.get_by_role("tab", name="收益分配").click()
    pick(page, "分配批次", "GA-COOP-2026Q3-1")
    expect(main.get_by_role("button", name="审批通过")).to_be_visible(timeout=60_000)
    assert clipped_in_print(page) == []
    path = pdf(page, "print-cooperative-runs.pdf")
    assert path.stat().st_size > 20_000 and pdf_pages(path) <= 2


def test_needs_page_prints_without_empty_pages(page: Page, server: str) -> None:  # noqa: F811
    page.set_default_timeout(60_000)      # the machine is shared: a click can wait for a rerun
    sign_in(page, server)
    go(page, "需求评估")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_test_id("stMetric").filter(has_text="从业者").first).to_contain_text("2,000", timeout=60_000)
    expect(main.locator(".stPlotlyChart")).to_have_count(8, timeout=60_000)
    assert clipped_in_print(page) == []
    path = pdf(page, "print-needs.pdf")
    # Figures, six composition charts, heat map and trend, funnel and open needs, the forms: it printed as eight
    # pages of one chart each.
    assert pdf_pages(path) <= 4


def test_metric_labels_are_whole_at_1280(page: Page, server: str) -> None:  # noqa: F811
    page.set_viewport_size({"width": 1280, "height": 720})
    page.set_default_timeout(60_000)      # the machine is shared: a click can wait for a rerun
    sign_in(page, server)
    page.get_by_test_id("stSidebar").get_by_text("English").click()
    go(page, "Needs")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_test_id("stMetric").filter(has_text="Practitioners").first).to_contain_text(
        "2,000", timeout=60_000)
    cut = page.evaluate("""() => [...document.querySelectorAll(
            '[data-testid=stMetricLabel], [data-testid=stMetricLabel] *')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)""")
    assert cut == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "projector-needs-en-1280.png"))
    go(page, "Overview")
    expect(main.get_by_test_id("stMetric").first).to_be_visible(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "projector-overview-en-1280.png"))


def test_report_page_prints_whole(page: Page, server: str) -> None:  # noqa: F811
    """季度汇报 (app_pages/report.py): five area blocks, each a table beside a chart and its narrative."""
    page.set_default_timeout(60_000)      # the machine is shared: a click can wait for a rerun
    sign_in(page, server)
    go(page, "季度汇报")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="季度汇报")).to_be_visible(timeout=60_000)
    expect(main.locator(".stPlotlyChart")).to_have_count(5, timeout=60_000)
    assert clipped_in_print(page) == []
    path = pdf(page, "print-report.pdf")
    assert path.stat().st_size > 20_000 and pdf_pages(path) <= 6
