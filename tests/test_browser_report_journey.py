"""Meeting-readiness (issue 17, item 7): a social worker, in Debian's Chromium, from a database that holds only what an
admin set up by CLI, through importing the quarter's filled-in templates, to the published report, its handout and
the slideshow stepped through by keyboard (the PDF is built on a button of its own: tests/test_browser_report.py).
Prints the clicks and seconds it took; the targets are under 15 clicks and under 10 minutes.

What counts as a click: every mouse click on the page (a field focused for typing, a link, a tab, a button, a
download), and choosing the files counts two (the uploader's Browse button and the file dialog's Open; the six files
are selected in the dialog with Ctrl+A). Typing and keys (Tab, →) are not clicks. The seconds are the user's: from
opening the address to the last slide, waiting for the app included; the test's own checks (reading the page's
tables, opening the handout, screenshots) are left out of them and timed apart.
"""

import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Locator, Page, expect

from dashboard import accounts
from dashboard.i18n import t, use_language
from dashboard.periods import previous_quarter, quarter_key, shanghai_today
from dashboard.report.types import AREAS
from tests import journey_data as jd
from tests.test_browser import (  # noqa: F401  (the fixtures that launch Debian's Chromium)
    ARTIFACTS,
    ROOT,
    WAIT_MS,
    browser_context_args,
    browser_type_launch_args,
    idle,
    screenshot,
    serve,
)

pytestmark = pytest.mark.browser

QUARTER = previous_quarter(quarter_key(shanghai_today()))      # the last quarter that is over: the sidebar opens on it
MAX_CLICKS, MAX_SECONDS = 15, 600
WARN = "⚠"


def zh(key: str, **params: object) -> str:
    with use_language("zh"):
        return t(key, **params)


@dataclass
class Clicks:
    """Every click the journey makes goes through here, named, so the count is the user's."""
    log: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.log)

    def click(self, target: Locator, what: str) -> None:
        self.log.append(what)
        target.click()

    def choose_files(self, uploader: Locator, paths: list[Path], what: str) -> None:
        self.log += [f"{what}: Browse", f"{what}: Open"]
        uploader.set_input_files([str(p) for p in paths])


@dataclass
class Stopwatch:
    """The user's seconds: `aside()` blocks (the test's own checks) are not counted."""
    started: float = field(default_factory=time.monotonic)
    left_out: float = 0.0

    @contextmanager
    def aside(self) -> Iterator[None]:
        at = time.monotonic()
        try:
            yield
        finally:
            self.left_out += time.monotonic() - at

    laps: list[tuple[str, float]] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started - self.left_out

    def lap(self, what: str) -> None:
        self.laps.append((what, self.seconds))


def cli(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def set_up_as_admin(folder: Path, database: str) -> tuple[str, str]:
    """What the admin does before the quarter, by CLI: migrate, the first admin, the community with its parties and
    units from the templates, the social worker's account. Returns the social worker's name and password."""
    admin, social_worker = accounts.new_password(), accounts.new_password()
    env = {**os.environ, "DATABASE_URL": database, "DASHBOARD_AUTO_SEED": "false"}
    cli("db", "upgrade", env=env)
    cli("user", "add", "admin", "--role", "admin", "--name", "管理员", env={**env, "DASHBOARD_NEW_PASSWORD": admin})
    env["DASHBOARD_PASSWORD"] = admin
    for entity, rows in jd.setup_rows().items():
        path = folder / f"{entity}.xlsx"
        path.write_bytes(jd.workbook(entity, rows))
        cli("import", entity, str(path), "--user", "admin", env=env)
    cli("user", "add", "limin", "--role", "social_worker", "--party", jd.SOCIAL_WORK, "--name", "李敏", "--user",
        "admin", env={**env, "DASHBOARD_NEW_PASSWORD": social_worker})
    return "limin", social_worker


def page_figures(main: Locator) -> dict[str, dict[str, list[str]]]:
    """Per area, each figure's row as the page writes it: label -> [本季度, 上季度, 环比, 去年同期, 同比]. The figure
    tables are those headed 指标, one per area in the report's order (the versions and confirmations follow)."""
    tables = []
    for table in main.get_by_test_id("stTable").all():
        head = [c.strip() for c in table.locator("thead th").all_inner_texts()]
        if head and head[0] == zh("report.page.col_figure"):
            tables.append(table)
    assert len(tables) == len(AREAS)
    out = {}
    for area, table in zip(AREAS, tables, strict=True):
        rows = [[c.strip() for c in row.locator("td").all_inner_texts()] for row in table.locator("tbody tr").all()]
        out[area] = {r[0]: [c.replace(WARN, "").strip() for c in r[1:6]] for r in rows}
    return out


def cell_text(cell: openpyxl.cell.Cell) -> str:
    """A handout cell as it reads in a spreadsheet program, in the page's words: the number given to
    dashboard.report.present as the kind its number format says (a text cell, "<5" or "—", as it is)."""
    from dashboard.report import handout
    from dashboard.report.compare import Change
    from dashboard.report.present import change_text, value_text

    value = cell.value
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    with use_language("zh"):
        kinds = {code: kind for kind, code in handout.number_formats().items()}
        kind = kinds[cell.number_format]
        if kind == "relative":
            return change_text(Change("relative", float(value), small_base=False))
        if kind == "points":                 # the cell holds the points (2.1), the change their share (0.021)
            return change_text(Change("points", float(value) / 100, small_base=False))
        return value_text(kind, round(value * 100) if kind == "money" else value)  # type: ignore[arg-type]


def handout_figures(data: bytes) -> dict[str, dict[str, list[str]]]:
    """Per area sheet, each figure's row of the handout read back with openpyxl, in the page's words."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    titles = {zh(f"report.area.{a}"): a for a in AREAS}
    out: dict[str, dict[str, list[str]]] = {}
    for ws in wb.worksheets[1:]:
        area = titles[ws["A1"].value]
        rows = list(ws.iter_rows())
        head = next(i for i, r in enumerate(rows) if r[0].value == zh("report.file.col.figure"))
        figures: dict[str, list[str]] = {}
        for r in rows[head + 1:]:
            if r[0].value is None:
                break
            figures[str(r[0].value)] = [cell_text(c) for c in r[1:6]]
        out[area] = figures
    return out


def test_a_social_worker_is_ready_for_the_meeting_in_few_clicks(page: Page, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # --- before the clock: the admin's set-up and the social worker's filled-in templates ---
    database = f"sqlite:///{tmp_path / 'app.db'}"
    username, password = set_up_as_admin(tmp_path, database)
    rows = jd.quarter_rows(QUARTER)
    files = []
    for entity in jd.CASEWORK:
        path = tmp_path / jd.file_name(entity, QUARTER)
        path.write_bytes(jd.workbook(entity, rows[entity]))
        files.append(path)
    monkeypatch.setenv("DASHBOARD_AUTO_SEED", "false")          # an empty database stays empty: no demo
    page.set_default_timeout(WAIT_MS)
    clicks = Clicks()
    with serve(database) as server:
        clock = Stopwatch()
        main = page.get_by_test_id("stMain")
        nav = page.get_by_test_id("stSidebarNav")

        # Sign in.
        page.goto(server)
        clicks.click(main.get_by_label(zh("auth.username")), "用户名")
        page.keyboard.type(username)
        page.keyboard.press("Tab")
        page.keyboard.type(password)
        clicks.click(main.get_by_role("button", name=zh("auth.sign_in")), "登录")
        expect(nav).to_be_visible()
        clock.lap("signed in")

        # The quarter's six files, imported at once.
        clicks.click(nav.get_by_role("link", name=zh("nav.data_io")), "数据导入导出")
        clicks.click(main.get_by_role("tab", name=zh("io.batch.tab")), "批量导入")
        clicks.choose_files(main.locator(".st-key-io_batch_upload [data-testid=stFileUploaderDropzoneInput]"),
                            files, "上传 6 个文件")
        commit = main.locator(".st-key-io_batch_commit button")
        expect(commit).to_have_text(zh("io.batch.commit", n=6))
        with clock.aside():
            shown = main.get_by_test_id("stDataFrame").first
            for entity in jd.CASEWORK:
                expect(shown).to_contain_text(zh(f"entity.{entity}"))
            screenshot(page, "journey-batch-preview.png", full=False)
        clicks.click(commit, "全部导入")
        expect(main.get_by_text(zh("io.batch.committed", n=6, created=f"{sum(map(len, rows.values())):,}",
                                   updated="0", unchanged="0"))).to_be_visible()
        clock.lap("imported")

        # The report of the social worker's community, published. The sidebar opens on all communities, and an
        # account of a community publishes that community's report only: the community is chosen first.
        clicks.click(nav.get_by_role("link", name=zh("nav.report")), "季度汇报")
        idle(page)
        clicks.click(page.get_by_test_id("stSidebar").get_by_role("combobox", name=zh("filter.community")), "社区")
        clicks.click(page.get_by_role("option", name=jd.COMMUNITY_NAME, exact=True), jd.COMMUNITY_NAME)
        expect(main.get_by_text(zh("report.page.status_draft"))).to_be_visible()
        publish = main.locator(".st-key-report_publish button")
        expect(publish).to_be_visible()
        clicks.click(publish, "发布")
        expect(main.get_by_text(zh("report.page.published", version=1))).to_be_visible()
        idle(page)
        clock.lap("published")
        with clock.aside():
            shown_figures = page_figures(main)
            assert shown_figures["needs"] and shown_figures["requests"]
            screenshot(page, "journey-published.png")
            page.set_viewport_size({"width": 1600, "height": 1000})
            idle(page)

        # The handout (the journey: the published report, the handout and the slideshow; the PDF is built on
        # its own button and is tested in tests/test_browser_report.py).
        with page.expect_download() as handout:
            clicks.click(main.locator(".st-key-report_handout button"), "下载汇报表")
        handout_bytes = Path(handout.value.path()).read_bytes()
        clock.lap("handout")
        with clock.aside():
            ARTIFACTS.mkdir(exist_ok=True)
            (ARTIFACTS / "journey-handout.xlsx").write_bytes(handout_bytes)
            assert handout_figures(handout_bytes) == shown_figures         # the handout says what the page says

        # The slideshow on the projector, stepped through by keyboard.
        page.set_viewport_size({"width": 1280, "height": 720})
        picker = main.get_by_test_id("stButtonGroup").first
        clicks.click(picker.get_by_role("radio", name=zh("report.tab.slides"), exact=True), "幻灯片")
        counter = main.locator(".rs-count")
        slides = 1 + len(AREAS)
        expect(counter).to_contain_text(f"1 / {slides}")
        page.wait_for_function("() => !!window.__reportSlideKeys")      # the slideshow's keyboard script is in
        for n, area in enumerate(AREAS, start=2):
            page.keyboard.press("ArrowRight")
            expect(counter).to_contain_text(f"{n} / {slides} · {zh(f'report.area.{area}')}")
            expect(main.locator(".rs-meta")).to_contain_text(zh("report.slide.version", version=1))
        clock.lap("last slide")
        seconds = clock.seconds
        idle(page)
        screenshot(page, "journey-last-slide.png", full=False)

    print(f"\nmeeting-readiness: {clicks.n} clicks, {seconds:.1f} seconds")
    print(f"  clicks: {' · '.join(clicks.log)}")
    print(f"  at: {' · '.join(f'{what} {at:.1f} s' for what, at in clock.laps)}")
    print(f"  (the test's own checks took {clock.left_out:.1f} s more)")
    assert clicks.n < MAX_CLICKS
    assert seconds < MAX_SECONDS
