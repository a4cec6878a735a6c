"""Each language is shown whole: every page, in Chinese and in English, scanned for words of the other language;
the month labels of the charts; and, in Chromium, the choice widgets that must change language with the page."""

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from playwright.sync_api import Locator, Page, expect
from streamlit.testing.v1 import AppTest

from dashboard import charts
from dashboard.i18n import set_language, use_language
from tests.apptest_helpers import ROOT, clear_caches, start_as
from tests.test_browser import browser_context_args, browser_type_launch_args, go, screenshot, server, sign_in  # noqa: F401  (the fixtures that serve the app and launch Debian's Chromium)

PAGES = ["app_pages/overview.py", "app_pages/needs.py", "app_pages/requests.py", "app_pages/training.py",
         "app_pages/cooperative.py",
         "app_pages/data_io.py", "app_pages/audit.py",
         # 直播现场, one section at a time (the part after # is the section)
         "app_pages/live.py#capture", "app_pages/live.py#comments", "app_pages/live.py#cases",
         "app_pages/live.py#topics",
         # 季度汇报 and its slideshow (app_pages/report_slides.py)
         "app_pages/report.py", "app_pages/report.py#slides"]

# Latin words a Chinese page may show: names of products and file formats, which Chinese users read as they are.
# Codes (GA, P00001, 2026Q3, DR-GA-COOP-…) are let through by their shape: upper case or holding a digit.
ZH_ALLOWED = {"Excel", "WPS", "LibreOffice", "xlsx", "xls", "csv", "CSV", "PDF", "UTF", "BOM", "GBK", "ID",
              "PageUp", "PageDown"}        # the keys are labelled so on the keyboard (the slideshow's help)
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*")
# Han characters, CJK punctuation and full-width forms (：（），) have no place on an English page.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
# What Plotly hover templates hold besides words: placeholders, line breaks, the empty secondary box.
PLOTLY_MARKUP = re.compile(r"%\{[^}]*\}|<br>|<extra>.*?</extra>")
CODE_SPAN = re.compile(r"`[^`]*`")          # a command to type, shown as code: the same in every language
HTML_CODE = re.compile(r"<(style|script)\b.*?</\1>", re.S)   # a style sheet or script is not shown
HTML_TAG = re.compile(r"<[^>]+>")
TEXT_TYPES = {"Markdown", "Caption", "Header", "Subheader", "Title", "Text", "Info", "Warning", "Error", "Success",
              "Toast", "Exception"}


def english_words(text: str) -> list[str]:
    """Latin words in `text` that are neither codes nor on the short list of names kept as they are."""
    return [w for w in LATIN_WORD.findall(text)
            if w not in ZH_ALLOWED and not any(c.isdigit() for c in w) and not w.isupper()]


def _plotly_texts(spec: dict) -> Iterator[str]:
    layout = spec.get("layout", {})
    for path in (("title", "text"), ("legend", "title", "text"), ("xaxis", "title", "text"),
                 ("yaxis", "title", "text")):
        node = layout
        for part in path:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        if isinstance(node, str):
            yield node
    for trace in spec.get("data", []):
        for field in ("name", "hovertemplate", "texttemplate"):
            if isinstance(trace.get(field), str):
                yield PLOTLY_MARKUP.sub(" ", trace[field])
        for field in ("x", "y", "labels"):       # category labels; dates and numbers arrive in other shapes
            values = trace.get(field)
            if isinstance(values, list):
                yield from (v for v in values if isinstance(v, str) and not re.fullmatch(r"[\d\-: T.]+", v))
        if isinstance(trace.get("text"), list):
            yield from (v for v in trace["text"] if isinstance(v, str))


def shown_texts(at: AppTest) -> Iterator[tuple[str, str]]:
    """(where, text) for everything a page shows in words: headings, paragraphs, captions, alerts, labels, help,
    options, tab and expander labels, metric labels and values, table headers and cells, dataframe headers (their
    cells are data), chart titles, axis titles, legend names, category labels and hover templates."""
    for node in at._tree:
        kind = type(node).__name__
        where = f"{kind} {getattr(node, 'key', None) or ''}".strip()
        if kind in TEXT_TYPES:
            yield where, str(node.value)
        if getattr(node, "key", None) == "lang":
            continue             # the language switch names each language in its own words, on purpose
        for attr in ("label", "help", "placeholder"):
            value = getattr(node, attr, None)
            if isinstance(value, str) and value:
                yield f"{where}.{attr}", value
        if kind in ("Selectbox", "Radio", "Multiselect"):
            yield from ((f"{where}.option", o) for o in node.options)
        if kind == "Metric":
            yield where, str(node.value)
        if kind == "Dataframe":
            yield from ((f"{where}.header", str(c)) for c in node.value.columns)
        if kind == "Table":
            frame = node.value
            yield from ((f"{where}.header", str(c)) for c in frame.columns)
            yield from ((f"{where}.cell", v) for v in frame.to_numpy().ravel() if isinstance(v, str))
        if kind == "UnknownElement" and getattr(node.proto, "spec", None):
            yield from ((f"chart {getattr(node.proto, 'id', '')[:12]}", s) for s in _plotly_texts(
                json.loads(node.proto.spec)))
        if kind == "Tab" or kind == "Expander":
            yield where, str(getattr(node, "label", ""))
        if getattr(node, "type", None) == "html":            # st.html: the slideshow's and projector's words
            yield "html", HTML_TAG.sub(" ", HTML_CODE.sub(" ", node.proto.body))


def data_strings(url: str) -> list[str]:
    """Names from the database (communities, cooperatives, members, practitioners, accounts): shown as stored, in
    whatever language they were written, so they are taken out of a text before it is scanned. Longest first."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        names = [row[0] for query in (
            "SELECT name FROM community", "SELECT name FROM cooperative", "SELECT name FROM member",
            "SELECT name FROM practitioner", "SELECT username FROM \"user\"", "SELECT display_name FROM \"user\"",
            "SELECT title FROM course", "SELECT strengths FROM practitioner", "SELECT name FROM unit",
            "SELECT title FROM livestream_session", "SELECT description FROM request",
            "SELECT resolution FROM request", "SELECT resident FROM request", "SELECT text FROM livestream_comment",
            "SELECT nickname FROM livestream_comment", "SELECT label FROM comment_candidate",
            "SELECT title FROM consultation_case", "SELECT summary FROM consultation_case",
            "SELECT measures FROM consultation_case", "SELECT meeting_record FROM consultation_case",
            "SELECT meeting_place FROM consultation_case", "SELECT name FROM case_party", "SELECT note FROM case_check",
            "SELECT close_note FROM consultation_case")
            for row in conn.execute(sa.text(query)) if row[0]]
    engine.dispose()
    # A short Latin nickname ("a8") taken out of a hash or a code would leave bits of it behind as "words".
    names = [n for n in names if not n.isascii() or len(n) >= 6]
    return sorted(set(names), key=len, reverse=True)


def without_data(text: str, names: list[str]) -> str:
    for name in names:
        if name in text:
            text = text.replace(name, " ")
    return text


def leaks(at: AppTest, lang: str, names: list[str]) -> list[str]:
    found = []
    for where, text in shown_texts(at):
        rest = CODE_SPAN.sub(" ", without_data(text, names))
        if lang == "zh" and (words := english_words(rest)):
            found.append(f"{where}: {text!r} -> {words}")
        if lang == "en" and (chars := CJK.findall(rest)):
            found.append(f"{where}: {text!r} -> {''.join(chars)}")
    return found


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AppTest, list[str]]]:
    """One app on a new SQLite file (it seeds itself), signed in as an admin, for the whole scan."""
    url = f"sqlite:///{tmp_path_factory.mktemp('scan') / 'app.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", url)
        clear_caches()
        at = start_as(url, "admin")
        yield at, data_strings(url)
        clear_caches()


def fill_page(at: AppTest, page: str) -> None:
    """Open the parts of a page that are shown only on request, so their words are scanned too."""
    if page.endswith("needs.py"):
        at.text_input(key="needs_search").input("P0000").run()
    if page.endswith("requests.py"):
        with use_language(at.session_state["lang"]):   # AppTest words choices in the test's language
            at.selectbox(key="filter_community").set_value(1).run()       # the report-back queue and its read-out
            at.selectbox(key="requests_pick").set_value(at.selectbox(key="requests_pick").options[0]).run()
    if page.endswith("audit.py"):
        next(b for b in at.button if b.key == "audit_verify").click().run()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_page_shows_only_its_language(app: tuple[AppTest, list[str]], page: str, lang: str) -> None:
    at, names = app
    at.radio(key="lang").set_value(lang).run()
    path, _, section = page.partition("#")
    if section:
        at.selectbox(key="filter_community").set_value(1).run()     # the live sections work on one community
        at.session_state[f"{Path(path).stem}_section"] = section
    elif path.endswith("report.py"):
        at.session_state["report_section"] = "report"             # back from the slideshow
    at.switch_page(path).run()
    fill_page(at, page)
    assert not at.exception, at.exception
    assert len(list(shown_texts(at))) > 20, "the scan found almost nothing: is the page drawn?"
    found = leaks(at, lang, names)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_login_page_shows_only_its_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_DEMO_LOGIN", "false")
    clear_caches()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.radio(key="lang").set_value(lang).run()
    assert not at.exception, at.exception
    assert at.text_input(key="login_username") is not None
    found = leaks(at, lang, [])
    assert not found, "\n".join(found)
    clear_caches()


def test_the_scan_sees_a_word_of_the_other_language() -> None:
    assert english_words("显示最新 5 条 Download as CSV") == ["Download", "as"]
    assert english_words("用 Excel 或 WPS 打开 GA-COOP 2026Q3 的 .xlsx") == []
    assert CJK.findall("All communities（G") == ["（"]


@pytest.mark.parametrize(("lang", "month", "label"), [
    ("zh", "2025-07", "2025年7月"), ("zh", "2026-12", "2026年12月"), ("en", "2025-07", "Jul 2025"),
    ("en", "2026-12", "Dec 2026"),
])
def test_month_labels_in_each_language(lang: str, month: str, label: str) -> None:
    from dashboard.i18n import fmt_month

    set_language(lang)
    try:
        assert fmt_month(month) == label
    finally:
        set_language("zh")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sales_chart_months_are_labelled_in_the_language(lang: str) -> None:
    monthly = pd.DataFrame({"month": ["2025-06", "2025-07"], "revenue_cents": [100, 200], "cost_cents": [50, 50],
                            "profit_cents": [50, 150], "orders": [1, 2]})
    set_language(lang)
    try:
        fig = charts.sales_trend_chart(monthly)
    finally:
        set_language("zh")
    expected = ["2025年6月", "2025年7月"] if lang == "zh" else ["Jun 2025", "Jul 2025"]
    assert [list(trace.x) for trace in fig.data] == [expected, expected]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_date_axes_are_formatted_in_the_language(lang: str) -> None:
    """Plotly names months in English by itself ("Jul 2025"): every zoom level gets a format of the language."""
    ledger = pd.DataFrame({"on": pd.to_datetime(["2025-07-01", "2025-09-30"]), "balance_cents": [100, 300]})
    income = pd.DataFrame({"on": pd.to_datetime(["2025-07-01", "2025-09-30"]), "income_cents": [300000, 320000],
                           "source": ["before", "after"]})
    set_language(lang)
    try:
        figures = [charts.fund_balance_chart(ledger), charts.income_chart(income, "t")]
    finally:
        set_language("zh")
    for fig in figures:
        axis = fig.layout.xaxis
        formats = [stop.value for stop in axis.tickformatstops] + [axis.hoverformat]
        assert formats and all(formats)
        if lang == "zh":
            assert all("%b" not in f and "%B" not in f for f in formats)
            assert any("年" in f for f in formats) and any("月" in f for f in formats)
        else:
            assert not any(CJK.search(f) for f in formats)


# In Chromium: a keyed selectbox or radio keeps the label of its choice in the browser. After a language switch
# the page must show the choice in the new language (not 全部社区 under "Community", or no choice at all).

def _choice(page: Page, label: str) -> Locator:
    """The text box of the selectbox labelled `label`: it shows the chosen option's label."""
    return page.get_by_test_id("stSelectbox").filter(has=page.get_by_text(label, exact=True)).locator("input")


def _switch(page: Page, lang: str) -> None:
    """Click the language in the sidebar; a page full of charts on a busy 2-core machine can take a while."""
    page.get_by_test_id("stSidebar").get_by_text("English" if lang == "en" else "中文", exact=True).click(
        timeout=120_000)


@pytest.mark.browser
def test_choices_change_language_with_the_page_in_chromium(page: Page, server: str) -> None:  # noqa: F811
    main = page.get_by_test_id("stMain")
    sign_in(page, server, "data")
    expect(_choice(page, "社区")).to_have_value("全部社区", timeout=60_000)
    expect(_choice(page, "数据类别")).to_have_value("社区")
    _switch(page, "en")
    expect(main.get_by_role("heading", name="Data in and out")).to_be_visible(timeout=60_000)
    expect(_choice(page, "Community")).to_have_value("All communities")
    expect(_choice(page, "Data")).to_have_value("Communities")

    go(page, "Needs")
    expect(_choice(page, "Category")).to_have_value("Skills and digital divide", timeout=120_000)
    _switch(page, "zh")
    expect(main.get_by_role("heading", name="需求评估")).to_be_visible(timeout=120_000)
    expect(_choice(page, "人群筛选")).to_have_value("全部从业者")
    expect(_choice(page, "需求类别")).to_have_value("技能与数字鸿沟")
    expect(_choice(page, "紧急程度")).to_have_value("中")
    expect(page.get_by_test_id("stRadio").filter(has_text="需求类别对照").locator("input:checked")).to_have_count(1)
    _switch(page, "en")
    expect(_choice(page, "Slice of practitioners")).to_have_value("All practitioners", timeout=120_000)
    expect(_choice(page, "Severity")).to_have_value("Medium")
    expect(_choice(page, "Move to")).not_to_have_value(re.compile("[\u4e00-\u9fff]"))
    expect(page.get_by_test_id("stRadio").filter(has_text="Needs against").locator("input:checked")).to_have_count(1)

    go(page, "Audit log")
    expect(_choice(page, "Action")).to_have_value("All", timeout=120_000)
    _switch(page, "zh")
    expect(_choice(page, "动作")).to_have_value("全部", timeout=60_000)
    expect(_choice(page, "对象")).to_have_value("全部")
    screenshot(page, "language-switch-audit-zh.png", full=False)
