"""Issue 12 item 8: where personal data is hidden, a group of fewer than DASHBOARD_MIN_CELL_SIZE people reads "<5"
instead of vanishing (tiles, bars, heatmap cells), and meeting mode shows no individual profile."""

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import presenters_needs as view
from dashboard.i18n import t
from tests.apptest_helpers import open_page


def test_a_small_slice_keeps_its_bar_and_reads_less_than_five() -> None:
    counts = pd.DataFrame({"code": ["56_plus", "18_25", "26_35"], "count": [3, 40, 5]})
    frame = view.composition_frame("age_group", counts, min_cell=5)
    assert list(frame["code"]) == ["18_25", "26_35", "56_plus"]          # nothing vanishes
    assert list(frame["label"])[-1] == "56 岁及以上"
    assert list(frame["text"]) == ["40", "5", "<5"]
    assert frame["count"].isna().tolist() == [False, False, True]       # no bar height to read 3 from
    assert list(view.composition_frame("age_group", counts)["text"]) == ["40", "5", "3"]


def test_heatmap_cells_under_the_threshold_read_less_than_five() -> None:
    df = pd.DataFrame({"category": ["skills_digital", "skills_digital"], "column": ["platform_employee",
                       "flexible_worker"], "count": [2, 12]})
    matrix = view.heatmap_frame(df, "employment_type", min_cell=5)
    text = view.heatmap_text(matrix, 5)
    row = text.loc["技能与数字鸿沟"]
    assert row["平台雇员"] == "<5" and row["灵活从业者"] == "12" and row["独立经营者"] == "0"


def test_a_small_slice_tile_reads_less_than_five() -> None:
    figures = SimpleNamespace(practitioners=3, rates={k: 0.5 for k in ("labour_contract", "pension",
                              "injury_insurance", "over_10h", "association_member")}, needs_open=1, needs_closed=0,
                              median_days_to_feedback=None, satisfaction=None)
    board = SimpleNamespace(current=figures, previous=None, paper={"labour_contract": .55, "pension": .6,
                                                                   "over_10h": .63})
    tiles = view.needs_metrics(board, 5)
    assert tiles[0].value == "<5" and all(m.value == "—" for m in tiles[1:])
    assert view.needs_metrics(board)[0].value == "3"


@pytest.fixture
def at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    yield from open_page(tmp_path, monkeypatch, "app_pages/needs.py", role="social_worker")


def chart_texts(at: AppTest, title: str) -> list[str]:
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if spec["layout"].get("title", {}).get("text") == title:
            return [str(x) for x in spec["data"][0]["text"]]
    raise AssertionError(f"no chart titled {title}")


def test_meeting_mode_shows_less_than_five_and_no_profile(at: AppTest) -> None:
    at.selectbox(key="filter_community").set_value(2).run()             # 石桥村, a small village
    at.text_input(key="needs_search").set_value("P0").run()
    assert at.table and "needs_pick" in [s.key for s in at.selectbox]   # a profile, outside meeting mode
    plain = chart_texts(at, "年龄")
    at.toggle(key="meeting_mode").set_value(True).run()
    assert not at.exception
    masked = chart_texts(at, "年龄")
    assert len(masked) == len(plain) and "<5" in masked                 # the small group is there, as "<5"
    assert all(p == m or (m == "<5" and int(p.replace(",", "")) < 5) for p, m in zip(plain, masked, strict=True))
    assert any("显示为「<5」" in c.value for c in at.caption)
    assert "needs_search" not in [w.key for w in at.text_input]         # no individual profile
    assert not at.table
    assert any("会议模式下不显示个人画像" in i.value for i in at.info)


def test_meeting_mode_on_a_slice_of_fewer_than_five_shows_no_need_counts(at: AppTest) -> None:
    """The needs of a slice of 3 people (石桥村, aged 56 or over) are figures over fewer than 5 people: the heat map,
    the severity trend and the closed-loop funnel are withheld, not only the tiles."""
    at.selectbox(key="filter_community").set_value(2).run()
    at.toggle(key="meeting_mode").set_value(True).run()
    at.selectbox(key="needs_drill").set_value("age_group:56_plus").run()
    assert not at.exception
    titles = {json.loads(c.proto.spec)["layout"].get("title", {}).get("text") for c in at.get("plotly_chart")}
    assert "年龄" in titles                                                  # the page is there
    assert not titles & {t("needs.heat_title"), t("needs.trend_title"), t("needs.funnel_title")}, titles
    assert any("不足 5 人" in i.value for i in at.info)
