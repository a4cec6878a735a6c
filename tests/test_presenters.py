"""What the overview tiles say: formatted values, changes against the previous quarter, their colours."""

import pytest

from dashboard.i18n import set_language
from dashboard.presenters import change, overview_blocks, profile_long, profile_table
from dashboard.queries.needs import NeedsSummary
from dashboard.queries.overview import (
    AreaFigures,
    MeetingSummary,
    Overview,
    RequestsSummary,
    SalesSummary,
    TrainingSummary,
)


def figures(scale: int) -> AreaFigures:
    return AreaFigures(
        practitioners=100 * scale, profile_rates={"labour_contract": 0.5, "injury_insurance": None},
        needs=NeedsSummary(10 * scale, 5 * scale, 7 * scale, 4.5),
        training=TrainingSummary(20 * scale, 10 * scale, 5, 4, 0.5, 0.4),
        sales=SalesSummary(30, 123_456_78 * scale, 100_000_00, 5_000 * scale),
        requests=RequestsSummary(4, 400, 12, 10, 8, 2 * scale, 10 / 12, 0.8),
        meetings=MeetingSummary(1, 3, 1, scale),
    )


@pytest.fixture
def ov() -> Overview:
    return Overview(current=figures(2), previous=figures(1), paper_rates={"labour_contract": 0.55})


def test_tiles_in_chinese(ov: Overview) -> None:
    set_language("zh")
    blocks = {b.title: {m.label: m for m in b.metrics} for b in overview_blocks(ov)}
    assert list(blocks) == ["需求评估", "培训成效", "合作社分配", "直播治理诉求", "四方联席会议"]
    assert blocks["需求评估"]["从业者"].value == "200" and blocks["需求评估"]["从业者"].delta == "+100"
    assert blocks["需求评估"]["季末未结案"].delta_color == "inverse"
    revenue = blocks["合作社分配"]["销售额"]
    assert revenue.value == "¥24.69万" and revenue.help == "¥246,913.56" and revenue.delta == "+¥12.35万"
    assert blocks["合作社分配"]["公益金支出"].delta_color == "off"
    assert blocks["培训成效"]["结业率"].delta is None                # same rate both quarters


def test_no_previous_quarter_means_no_changes(ov: Overview) -> None:
    set_language("en")
    try:
        blocks = overview_blocks(Overview(ov.current, None, ov.paper_rates))
        assert all(m.delta is None for b in blocks for m in b.metrics)
        assert blocks[0].metrics[0].label == "Practitioners"
    finally:
        set_language("zh")


@pytest.mark.parametrize(("kind", "cur", "prev", "text"), [
    ("int", 5, 3, "+2"), ("int", 3, 5, "-2"), ("int", 3, 3, None), ("int", 3, None, None),
    ("pct", 0.55, 0.5, "+5.0 个百分点"), ("yuan", 1_000_001, 1, "+¥1.00万"), ("yuan", 1, 201, "-¥2.00"),
    # beside a rounded value, the change is rounded the same way (¥1.82万 +¥0.41万, not +¥4,120.00)
    ("yuan", 1_820_000, 1_408_000, "+¥0.41万"), ("yuan", 1_408_000, 1_820_000, "-¥0.41万"),
])
def test_change(kind: str, cur: int | float, prev: int | float | None, text: str | None) -> None:
    set_language("zh")
    assert change(kind, cur, prev) == text


def test_profile_table_and_long_form(ov: Overview) -> None:
    set_language("zh")
    table = profile_table(ov)
    assert table.values.tolist() == [["签订劳动合同", "50.0%", "55%"], ["参加工伤保险", "—", "—"]]
    long = profile_long(ov)
    assert long.values.tolist() == [["签订劳动合同", "本社区/季度", 0.5], ["签订劳动合同", "论文参考值", 0.55]]


def test_meeting_mode_suppresses_small_slices() -> None:
    import pandas as pd

    from dashboard import presenters_needs as view
    from dashboard.queries.needs_board import NeedsBoard, NeedsFigures

    set_language("zh")
    comp = pd.DataFrame({"code": ["rural", "urban"], "count": [4, 12]})
    assert view.composition_frame("hukou", comp)["count"].tolist() == [4, 12]
    small = view.composition_frame("hukou", comp, 5)                   # kept, and read "<5" (issue 12)
    assert small["code"].tolist() == ["rural", "urban"] and small["text"].tolist() == ["<5", "12"]
    heat = pd.DataFrame({"category": ["rights_protection", "skills_digital"], "column": ["platform_employee"] * 2,
                         "count": [3, 7]})
    matrix = view.heatmap_frame(heat, "employment_type", 5)
    assert pd.isna(matrix.loc["权益保障", "平台雇员"]) and matrix.loc["技能与数字鸿沟", "平台雇员"] == 7
    assert matrix.loc["家庭照护", "平台雇员"] == 0                       # zero says nothing about anyone
    tiny = NeedsFigures(3, {"labour_contract": 1 / 3, "pension": 0.0, "injury_insurance": 0.0, "over_10h": 1.0,
                            "association_member": 0.0}, 2, 1, 12.0, 4.0)
    board = NeedsBoard(tiny, None, {"labour_contract": 0.55, "pension": 0.6, "over_10h": 0.63})
    shown = {m.label: m.value for m in view.needs_metrics(board)}
    hidden = {m.label: m.value for m in view.needs_metrics(board, 5)}
    assert shown["签订劳动合同"] == "33.3%" and hidden["签订劳动合同"] == "—" and hidden["从业者"] == "<5"


@pytest.mark.parametrize(("cur", "prev", "text"), [
    (1_820_000, 1_408_000, "+¥4.1k"), (155_000_000, 154_588_000, "+¥4.1k"), (155_000_000, 30_000_000, "+¥1.25M"),
    (500_000, 100_000, "+¥4,000.00"),
])
def test_a_money_change_in_english_is_rounded_as_its_value(cur: int, prev: int, text: str) -> None:
    set_language("en")
    try:
        assert change("yuan", cur, prev) == text
    finally:
        set_language("zh")
