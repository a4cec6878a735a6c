"""Issue 16: the visible chatter rules, masking personal data before a comment is stored or shown, cleaning control
characters, and prepare(): chatter set aside, the rest grouped into candidates largest first."""

import datetime as dt
import importlib.util
import re
import time
from pathlib import Path
from types import ModuleType

import pytest

from dashboard.comments import rules
from dashboard.comments.pipeline import prepare
from dashboard.comments.reader import read_comments
from dashboard.comments.types import RawComment
from dashboard.i18n import STRINGS
from data_models.enums import RequestCategory

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("text", "code"), [
    ("主播好", "greeting"), ("大家晚上好！", "greeting"), ("来了来了", "greeting"), ("家人们晚上好呀", "greeting"),
    ("主播辛苦了", "greeting"), ("打卡", "greeting"), ("Hello ", "greeting"), ("书记好👋", "greeting"),
    ("666", "applause"), ("6666666", "applause"), ("+1", "applause"), ("＋1", "applause"), ("支持支持！", "applause"),
    ("赞", "applause"), ("哈哈哈哈哈", "applause"), ("说得好", "applause"), ("加油加油💪", "applause"),
    ("厉害了", "applause"),
    ("支持一下", "applause"), ("主播再见", "greeting"), ("下次见", "greeting"),     # seen in a user test
    ("👍👍👍", "symbols"), ("？？？", "symbols"), ("。。。", "symbols"), ("🌹", "symbols"), ("~~", "symbols"),
    ("多少钱", "shopping"), ("几号链接", "shopping"), ("已下单", "shopping"), ("上车上车", "shopping"),
    ("这个包邮吗", "shopping"),
    ("在吗", "too_short"), ("啥", "too_short"), ("是的", "too_short"),
])
def test_chatter_rules(text: str, code: str) -> None:
    assert rules.chatter_rule(text) == code


@pytest.mark.parametrize("text", [
    "路灯坏了", "楼道里快递堆满了", "我下单的快递被扔在楼道没人管",        # shopping words, but about a request
    "快递点太远了，运费多少钱都不知道", "主播好，村口路灯坏了", "+1 楼道里快递确实太多了", "噪音", "晚上十点后不准直播",
    "666的主播能不能说说充电桩的事",
])
def test_comments_about_something_are_kept(text: str) -> None:
    assert rules.chatter_rule(text) is None


@pytest.mark.parametrize("text", ["哈" * 500, "好" * 499 + "x", "好的好呀" * 125, "主播好" * 160 + "x",
                                  "6" * 499 + "楼", "支持" * 240 + "路灯", "多少钱" * 166, "\u200b" * 500])
def test_no_comment_makes_the_rules_slow(text: str) -> None:
    """The greeting and applause rules split a comment word by word: a backtracking pattern took seconds (and
    then hours) on a run of 好 ending in a character outside its words."""
    started = time.process_time()     # CPU time: a backtracking pattern burns it; a busy machine's wait does not count
    rules.chatter_rule(rules.clean(text))
    assert time.process_time() - started < 0.2


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_chatter_rule_has_a_name_and_says_in_words_what_it_matches(lang: str) -> None:
    for code in rules.CHATTER_CODES:
        assert STRINGS[lang].get(f"live.chatter.{code}"), code
        assert len(STRINGS[lang].get(f"live.chatter.{code}.rule", "")) > 20, code


@pytest.mark.parametrize(("text", "secret", "shown"), [
    ("我电话13812345678", "13812345678", "138****5678"),
    ("手机 138 1234 5678 打我", "1234", "138****5678"),
    ("+86 138-1234-5678", "1234", "138****5678"),
    ("+8613812345678", "1234", "138****5678"),
    ("座机0571-88886666", "88886666", "0571-********"),
    ("(0571)88886666", "88886666", "(0571)********"),
    ("身份证33010219900101123X", "19900101", "330*************3X"),
    ("身份证330102199001011234", "19900101", "330*************34"),
    ("老身份证330102900101123", "900101", "330**********23"),
    ("卡号6222 0200 1234 5678 901", "0200", "***************8901"),
    ("卡号6222020012345678901", "020012345", "卡号***************8901"),
    ("幸福路18号3栋2单元501室", "501", "幸福路*号*栋*单元*室"),
    ("我住3-2-501", "501", "我住*-*-*"),
    ("门牌12号", "12", "门牌*号"),
    ("三号楼五单元", "三号", "*号楼*单元"),
    ("单元 1502", "1502", "单元 *"),
    # Written as people write them (review): dots between the groups, an ID number in groups, a room after the
    # building, a phone number in Chinese numerals.
    ("电话138.1234.5678", "1234", "138****5678"),
    ("电话138·1234·5678", "1234", "138****5678"),
    ("身份证110101 19900101 123X", "19900101", "110*************3X"),
    ("我住12栋1203", "1203", "*栋*"),
    ("B座1203", "1203", "B座*"),
    ("住1203房", "1203", "住*房"),
    ("电话一三八一二三四五六七八", "一二三四", "电话***********"),
])
def test_personal_data_is_masked(text: str, secret: str, shown: str) -> None:
    masked = rules.mask(text)
    assert secret not in masked and shown in masked, masked


@pytest.mark.parametrize("text", ["晚上10点以后不准直播", "666", "11月20号晚上", "快递堆了3天", "2026年的培训",
                                  "运费一单8块", "19:00开播"])
def test_numbers_that_are_not_personal_stay(text: str) -> None:
    assert rules.mask(text) == text


def test_clean_removes_control_and_format_characters_keeps_emoji_and_masks_before_the_cut() -> None:
    assert rules.clean("快递\x00堆在\x1b楼道\u202e里\u200b\ufeff") == "快递堆在楼道里"
    assert rules.clean("第一行\n第二行\r\n\t第三行  ") == "第一行 第二行 第三行"
    family = "👨\u200d👩\u200d👧"
    assert rules.clean(f"一家人{family}👍") == f"一家人{family}👍"
    long = "快" * 495 + "13812345678"            # the cut would leave 5 digits of the number: masked first
    assert rules.clean(long) == "快" * 495 + "138**"
    assert len(rules.clean("x" * 10_000)) == rules.MAX_TEXT
    assert rules.clean("\x00\x1b\u202e") == ""


def row(seq: int, text: str, nickname: str = "", minute: int | None = None) -> RawComment:
    return RawComment(seq, dt.datetime(2026, 11, 20, 19, minute) if minute is not None else None, nickname, text)


def test_prepare_sets_chatter_aside_and_groups_the_rest_largest_first() -> None:
    prepared = prepare([
        row(1, "主播好", "小王", 0),
        row(2, "村口的路灯坏了好久了", "李姐 13812345678", 5),
        row(3, "楼道里堆满了快递，走路都过不去", "", 2),
        row(4, "666", "", 3),
        row(5, "楼道被快递堵死了，走不了人", "", 1),
        row(6, "快递天天堆在楼道里", "3栋2单元", 9),
        row(7, "\x00\x1b", "", 9),
    ])
    chatter = {c.seq: c.chatter_rule for c in prepared.comments if c.chatter_rule}
    assert chatter == {1: "greeting", 4: "applause", 7: "symbols"}
    assert all(c.candidate is None for c in prepared.comments if c.chatter_rule)
    first, second = prepared.candidates
    assert first.members == (2, 4, 5) and first.endorsements == 2            # indexes into comments
    assert first.category == RequestCategory.parcel_stacking
    assert first.label == "楼道里堆满了快递，走路都过不去"
    assert first.first_at == dt.datetime(2026, 11, 20, 19, 1)                 # the earliest, not the first row's
    assert second.members == (1,) and second.category == RequestCategory.road_lighting
    assert [prepared.comments[i].candidate for i in first.members] == [0, 0, 0]
    assert prepared.comments[1].nickname == "李姐 138****5678"                 # nicknames are masked too
    assert prepared.comments[5].nickname == "*栋*单元"


def test_prepare_masks_text_before_anything_sees_it() -> None:
    prepared = prepare([row(1, "快递丢了，联系我13812345678，我住幸福路18号"),
                        row(2, "快递又丢了，电话 139-0000-1111")])
    texts = [c.text for c in prepared.comments] + [c.label for c in prepared.candidates]
    assert all(not re.search(r"\d{5,}", t) and "18号" not in t for t in texts), texts


def test_prepare_of_nothing_is_nothing() -> None:
    assert prepare([]).comments == () and prepare([]).candidates == ()


def test_an_export_with_emoji_control_characters_and_rtl_marks_is_prepared_clean() -> None:
    data = ("评论内容,用户昵称\n"
            "\"快递\x1b[31m堆在楼道\u202e里了😡\",\"小\u200f王\"\n"
            "\"🌹🌹🌹\",\"a\"\n"
            "\"\x00\x00\",\"b\"\n").encode("utf-8")
    prepared = prepare(read_comments(data, "x.csv").rows)
    assert [(c.text, c.nickname, c.chatter_rule) for c in prepared.comments] == [
        ("快递[31m堆在楼道里了😡", "小王", None), ("🌹🌹🌹", "a", "symbols"), ("", "b", "symbols")]


def bench_module() -> ModuleType:
    """bench/comments.py, whose generator makes a realistic mix of comments (random.Random(42))."""
    spec = importlib.util.spec_from_file_location("bench_comments", ROOT / "bench" / "comments.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_twenty_thousand_comments_are_read_and_prepared_in_seconds() -> None:
    bench = bench_module()
    data = bench.as_csv(bench.generate(20_000))
    started = time.perf_counter()
    prepared = prepare(read_comments(data, "x.csv").rows)
    seconds = time.perf_counter() - started
    assert len(prepared.comments) == 20_000
    assert 0.25 < sum(c.chatter_rule is not None for c in prepared.comments) / 20_000 < 0.45
    assert prepared.candidates[0].endorsements > 100
    assert seconds < 15, seconds                  # the bench measures 100,000 in about 15 s; this is a fifth


def test_a_noise_complaint_that_mentions_a_heart_is_about_noise() -> None:
    """心脏 holds 脏 (dirty): a user test saw this comment filed under sanitation and kept apart from the noise."""
    from dashboard.comments.grouping import guess_category
    from data_models.enums import RequestCategory
    assert guess_category("夜里直播的声音太大，老人心脏受不了") == RequestCategory.livestream_noise
