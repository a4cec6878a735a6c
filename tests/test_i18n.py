"""Every string exists in both languages, every enum code has a label, and money formats to the fen."""

import pytest

from dashboard.i18n import STRINGS, fmt_pct, fmt_yuan, fmt_yuan_short, label, set_language, t
from data_models.enums import ALL_ENUMS, Hukou, RequestStatus


def test_both_languages_have_the_same_keys() -> None:
    assert set(STRINGS["zh"]) == set(STRINGS["en"])


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("enum", ALL_ENUMS, ids=[e.__name__ for e in ALL_ENUMS])
def test_every_enum_code_has_a_label(lang: str, enum: type) -> None:
    table = STRINGS[lang]
    for member in enum:
        assert table.get(f"enum.{enum.__name__}.{member.value}"), (lang, member)


def test_no_label_is_left_over_from_a_removed_code() -> None:
    codes = {f"enum.{e.__name__}.{m.value}" for e in ALL_ENUMS for m in e}
    assert {k for k in STRINGS["zh"] if k.startswith("enum.")} == codes


def test_language_switch() -> None:
    set_language("en")
    assert label(Hukou.rural) == "Rural hukou"
    assert t("nav.overview") == "Overview"
    set_language("zh")
    assert label(RequestStatus.reported) == "已公示反馈"
    assert t("overview.caption", community="A", quarter="2025Q3", previous="2025Q2").startswith("A · 2025Q3")
    set_language("fr")          # unknown: falls back to Chinese
    assert t("nav.overview") == "首页"


@pytest.mark.parametrize(("cents", "text"), [
    (0, "¥0.00"), (1, "¥0.01"), (99, "¥0.99"), (100, "¥1.00"), (123_456_789, "¥1,234,567.89"),
    (-5, "-¥0.05"), (-123_400, "-¥1,234.00"), (None, "—"), (10**15 + 1, "¥10,000,000,000,000.01"),
])
def test_yuan_is_exact(cents: int | None, text: str) -> None:
    assert fmt_yuan(cents) == text


@pytest.mark.parametrize(("share", "text"), [(None, "—"), (0, "0.0%"), (0.72, "72.0%"), (1 / 3, "33.3%")])
def test_percent(share: float | None, text: str) -> None:
    assert fmt_pct(share) == text


@pytest.mark.parametrize(("lang", "cents", "text"), [
    ("zh", 999_999, "¥9,999.99"), ("zh", 1_000_000, "¥1.00万"), ("zh", 154_763_825, "¥154.76万"),
    ("zh", -154_765_000, "-¥154.77万"), ("en", 154_763_825, "¥1.55M"), ("en", 5_432_100, "¥54.3k"),
    ("en", 999_999, "¥9,999.99"), ("zh", None, "—"),
])
def test_short_yuan_for_tiles(lang: str, cents: int | None, text: str) -> None:
    set_language(lang)
    try:
        assert fmt_yuan_short(cents) == text
    finally:
        set_language("zh")


def test_relabel_gives_the_same_option_in_this_runs_language() -> None:
    from dashboard.i18n import TABS, relabel, use_language

    keys = TABS["io_tab"]
    with use_language("en"):
        assert relabel("导出", keys) == "Export" and relabel("Export", keys) == "Export"
    with use_language("zh"):
        assert relabel("Export", keys) == "导出"
        assert relabel("上传导入", keys) == "上传导入"
        assert relabel("nothing of ours", keys) is None and relabel(None, keys) is None
