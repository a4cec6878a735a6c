"""The 需求评估 page in AppTest: the papers' figures, a slice that filters the page, the loop form, a profile."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import click, open_page


@pytest.fixture
def at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    yield from open_page(tmp_path, monkeypatch, "app_pages/needs.py")


def metrics(at: AppTest) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value, m.proto.help or None) for m in at.metric}


def test_the_demo_shows_the_papers_figures_beside_their_references(at: AppTest) -> None:
    m = metrics(at)
    assert m["从业者"][0] == "2,000"
    assert m["签订劳动合同"] == ("55.0%", "论文参考值：55%")
    assert m["参加养老保险"] == ("60.0%", "论文参考值：60%")
    assert m["日工作超过 10 小时"] == ("63.0%", "论文参考值：63%")


def test_a_slice_and_a_community_filter_the_page(at: AppTest) -> None:
    at.selectbox(key="needs_drill").set_value("group:migrant_women").run()
    assert metrics(at)["从业者"][0] == "160"
    assert metrics(at)["签订劳动合同"][0] == "45.0%"             # paper 003's group, below the national 55%
    at.selectbox(key="filter_community").set_value(2).run()        # the rural village has no migrant women
    assert metrics(at)["从业者"][0] == "0"
    assert not at.exception


def test_record_a_need_and_move_it_along(at: AppTest) -> None:
    at.text_input(key="needs_new_practitioner").set_value("P00001")
    at.selectbox(key="needs_new_category").set_value("rights_protection")
    at.text_area(key="needs_new_description").set_value("平台差评申诉")
    click(at, "登记需求")
    flash = next(s.value for s in at.success if "已登记需求" in s.value)
    code = flash.removeprefix("已登记需求 ").removesuffix("。")

    at.text_input(key="needs_move_code").set_value(code)
    at.selectbox(key="needs_move_to").set_value("closed")
    click(at, "推进")
    assert any("下一步只能是「社工评估」" in e.value for e in at.error)

    at.text_input(key="needs_move_code").set_value(code)
    at.selectbox(key="needs_move_to").set_value("assessed")
    click(at, "推进")
    assert any(f"需求 {code} 已推进到「社工评估」" in s.value for s in at.success)


def test_unknown_practitioner_is_named(at: AppTest) -> None:
    at.text_input(key="needs_new_practitioner").set_value("P99999")
    click(at, "登记需求")
    assert any("P99999" in e.value for e in at.error)


def test_profile_and_meeting_mode(at: AppTest) -> None:
    at.text_input(key="needs_search").set_value("P00001").run()
    facts = dict(at.table[0].value.values.tolist())
    assert facts["从业者编号"] == "P00001" and "*" not in facts["电话"]
    at.toggle(key="meeting_mode").set_value(True).run()     # no one person's profile on the projector (issue 12)
    assert not at.table and any("会议模式下不显示个人画像" in i.value for i in at.info)
