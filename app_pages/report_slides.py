"""季度汇报 · 幻灯片: the report for the projector at 1280×720, one slide at a time: a title slide, then one per area
with its key figures (环比, 同比) in large type beside its chart; the version and "截至 …" on every slide. Next and
previous by the buttons and by the keyboard (→ / PageDown, ← / PageUp) through a small inline script that clicks
them: nothing is fetched from outside. Imported by app_pages/report.py."""

from html import escape

import streamlit as st

from dashboard import charts_report as charts
from dashboard import presenters_report as view
from dashboard.i18n import t
from dashboard.report.types import AreaReport, ReportData, ReportMeta

INDEX = "report_slide"
SLIDE_CSS = """<style>
/* The slide starts high and stays within a 1280x720 screen with the sidebar open (the toolbar above the page is
   empty on the left, where the heading goes). */
[data-testid=stMainBlockContainer] {padding-top: 1.25rem; padding-bottom: 1rem;}
/* Every slide as tall as the tallest, so the buttons stay where the presenter's pointer is. */
.st-key-report_slide_frame {min-height: 450px;}
.rs-head {display: flex; justify-content: space-between; align-items: baseline; gap: 16px;
  border-bottom: 3px solid #1f6feb; padding-bottom: 4px;}
.rs-title {font-size: 2.2rem; font-weight: 700; color: #0f172a; line-height: 1.2;}
.rs-meta {font-size: 1.05rem; color: #475569; white-space: nowrap;}
/* Four figures beside the chart: each card about 85 px high, so the slide ends above the screen's edge. */
.rs-card {padding: 1px 0 4px 0; border-bottom: 1px solid #e2e8f0;}
.rs-label {font-size: 1.05rem; color: #334155; line-height: 1.3;}
.rs-value {font-size: 1.9rem; font-weight: 700; color: #0f172a; line-height: 1.15;
  font-variant-numeric: tabular-nums;}
.rs-change {font-size: 0.95rem; color: #475569; line-height: 1.4;}
.rs-chart {font-size: 1.15rem; font-weight: 600; color: #1e293b;}
.rs-note {font-size: 0.9rem; color: #92400e; margin-top: 4px; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis;}
.rs-cover {padding: 36px 28px 18px 28px;}
.rs-cover .rs-big {font-size: 3.2rem; font-weight: 700; color: #0f172a; line-height: 1.2;}
.rs-cover .rs-sub {font-size: 1.9rem; color: #1e293b; margin-top: 6px;}
.rs-cover .rs-line {font-size: 1.25rem; color: #475569; margin-top: 14px;}
.rs-cover ol {font-size: 1.45rem; color: #1e293b; margin-top: 18px; columns: 2; column-gap: 48px;}
.rs-count {text-align: center; font-size: 1.1rem; color: #475569; padding-top: 6px;}
</style>"""
# Runs in its own iframe (inline, same origin: works without a network). The handler is made in the page's
# own realm (a handler made in this iframe would stop working when a rerun replaces it) and replaces the one before.
# Keys typed into a text box, or with a modifier, are left alone; the others stop here, so the section picker that
# keeps the focus after "幻灯片" was clicked does not take → as a move to its next option.
KEYS_SCRIPT = """<script>
(function () {
  var w = window.parent, doc = w.document;
  var onKey = new w.Function('e', [
    "if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) { return; }",
    "var a = document.activeElement, tag = a ? a.tagName : '';",
    "if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || (a && a.isContentEditable)) { return; }",
    "var step = {ArrowRight: 'next', PageDown: 'next', ArrowLeft: 'prev', PageUp: 'prev'}[e.key];",
    "if (!step) { return; }",
    "var button = document.querySelector('.st-key-report_slide_' + step + ' button');",
    "if (!button) { return; }",
    "e.preventDefault(); e.stopPropagation();",
    "if (!button.disabled) { button.click(); }"].join('\\n'));
  if (w.__reportSlideKeys) { doc.removeEventListener('keydown', w.__reportSlideKeys, true); }
  w.__reportSlideKeys = onKey;
  doc.addEventListener('keydown', onKey, true);
})();
</script>"""


def render(report: ReportData, meta: ReportMeta, min_cell: int | None) -> None:
    st.html(SLIDE_CSS)
    count = 1 + len(report.areas)
    index = max(0, min(int(st.session_state.get(INDEX, 0)), count - 1))
    st.session_state[INDEX] = index

    def move(step: int) -> None:
        st.session_state[INDEX] = max(0, min(int(st.session_state.get(INDEX, 0)) + step, count - 1))

    with st.container(key="report_slide_frame", border=True):
        if index == 0:
            cover(report, meta)
        else:
            area_slide(report.areas[index - 1], report, meta, min_cell)
    left, mid, right = st.columns([1, 2, 1], vertical_alignment="center")
    left.button(t("report.slide.prev"), key="report_slide_prev", on_click=move, args=(-1,), disabled=index == 0,
                icon=":material/chevron_left:", width="stretch", help=t("report.slide.keys"))
    title = t("report.slide.cover") if index == 0 else t(f"report.area.{report.areas[index - 1].area}")
    mid.html(f'<div class="rs-count">{index + 1} / {count} · {escape(title)}</div>')
    right.button(t("report.slide.next"), key="report_slide_next", on_click=move, args=(1,),
                 disabled=index >= count - 1, icon=":material/chevron_right:", icon_position="right",
                 width="stretch", help=t("report.slide.keys"))
    st.iframe(KEYS_SCRIPT, height=1)


def cover(report: ReportData, meta: ReportMeta) -> None:
    areas = "".join(f"<li>{escape(t(f'report.area.{a.area}'))}</li>" for a in report.areas)
    st.html(f"""<div class="rs-cover">
<div class="rs-big">{escape(t("report.slide.title", quarter=report.quarter))}</div>
<div class="rs-sub">{escape(view.scope_name(report))}</div>
<div class="rs-line">{escape(view.version_line(meta))}</div>
<div class="rs-line">{escape(t("report.slide.compared", previous=report.previous_quarter,
                                 year_ago=report.year_ago_quarter))}</div>
<ol>{areas}</ol></div>""")


def area_slide(area: AreaReport, report: ReportData, meta: ReportMeta, min_cell: int | None) -> None:
    st.html(f"""<div class="rs-head"><div class="rs-title">{escape(t(f"report.area.{area.area}"))}</div>
<div class="rs-meta">{escape(view.version_line(meta))}</div></div>""")
    shown = view.cards(area, min_cell)
    left, right = st.columns([2, 3])
    blocks = "".join(f"""<div class="rs-card"><div class="rs-label">{escape(c.label)}</div>
<div class="rs-value">{escape(c.value)}</div>
<div class="rs-change">{escape(c.previous_change)} · {escape(c.year_change)}{" " + view.WARN if c.small_base else ""}
</div></div>""" for c in shown)
    note = (f'<div class="rs-note">{escape(view.small_base_note(short=True))}</div>'
            if any(c.small_base for c in shown) else "")
    left.html(blocks + note)
    right.html(f'<div class="rs-chart">{escape(t(f"report.chart.{area.chart.key}"))}</div>')
    right.plotly_chart(charts.area_chart(view.chart_frame(area.chart, report, min_cell), "", area.chart.kind,
                                         height=330, font_size=15),
                       width="stretch", key=f"report_slide_chart_{area.area}",
                       config={"displayModeBar": False})       # no toolbar on the projector
