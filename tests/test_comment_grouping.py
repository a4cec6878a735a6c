"""Issue 16: near-duplicate comments grouped into one candidate, measured on the labelled set of livestream comments
(tests/data/comments_labelled.csv); the category guessed by keywords; the blocking that lets 100,000 comments group
in seconds loses nothing on the labelled set."""

import random
import time

import pytest

from dashboard.comments import grouping, quality
from dashboard.comments.grouping import group, guess_category, tokens
from data_models.enums import RequestCategory


@pytest.fixture(scope="module")
def labelled() -> list[quality.Labelled]:
    return quality.load_labelled()


def test_the_labelled_set_is_big_and_varied_enough(labelled: list[quality.Labelled]) -> None:
    assert len(labelled) >= 200
    content = [r for r in labelled if not r.chatter]
    assert sum(r.chatter for r in labelled) >= 50 and len({r.group for r in content}) >= 30
    assert all(r.group for r in content) and not any(r.group for r in labelled if r.chatter)
    by_category = {guess_category(r.text) for r in content}
    assert set(RequestCategory) - {RequestCategory.other} <= by_category


def test_grouping_precision_and_recall_on_the_labelled_set(labelled: list[quality.Labelled]) -> None:
    """Measured: pairs precision 0.871, recall 0.715; chatter precision and recall 1.000. The floors sit just
    below, so a change that makes grouping worse fails here."""
    q = quality.measure(labelled)
    assert q.pair_precision >= 0.85, q
    assert q.pair_recall >= 0.70, q
    assert q.chatter_precision >= 0.98, q
    assert q.chatter_recall >= 0.98, q


def test_grouping_on_comments_written_after_the_tuning() -> None:
    """The held-out set (70 comments, 16 groups) was written after the tuning and not tuned on. Measured: pairs
    precision 0.875, recall 0.412 (new wordings the synonyms do not know are missed, not mixed up); chatter
    precision 1.000, recall 0.867."""
    q = quality.measure(quality.load_labelled(quality.HELDOUT))
    assert q.comments >= 70 and q.groups >= 16
    assert q.pair_precision >= 0.85, q
    assert q.pair_recall >= 0.39, q
    assert q.chatter_precision >= 0.98, q
    assert q.chatter_recall >= 0.85, q


def test_blocking_loses_nothing_on_the_labelled_set(labelled: list[quality.Labelled],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [r.text for r in labelled if not r.chatter]
    blocked = group(texts)
    monkeypatch.setattr(grouping, "PER_WORD", 10**9)
    monkeypatch.setattr(grouping, "CANDIDATES", 10**9)
    monkeypatch.setattr(grouping, "PRESCREEN", 1000.0)
    assert group(texts) == blocked


@pytest.mark.parametrize(("text", "category"), [
    ("楼道里堆满了快递，走路都过不去", RequestCategory.parcel_stacking),
    ("放门口的包裹被人拿走了", RequestCategory.parcel_stacking),
    ("楼上天天直播喊麦到半夜，吵得睡不着", RequestCategory.livestream_noise),
    ("广场上带货的音响开太大声了", RequestCategory.livestream_noise),
    ("村口的路灯坏了好久了，晚上黑漆漆的", RequestCategory.road_lighting),
    ("垃圾站太臭了，夏天根本不敢开窗", RequestCategory.sanitation),
    ("公共厕所太脏了，没人打扫", RequestCategory.sanitation),
    ("快递公司不上门揽收，发货要跑到镇上", RequestCategory.logistics),
    ("发快递的运费太贵了", RequestCategory.logistics),
    ("想学视频剪辑，能不能开个培训班", RequestCategory.training),
    ("公会拖欠我三个月的工资了", RequestCategory.rights_dispute),
    ("签的合同违约金要赔十万", RequestCategory.rights_dispute),
    ("小区电动车充电桩太少了", RequestCategory.public_facilities),
    ("村里网络太差了，直播老是卡", RequestCategory.public_facilities),
    ("今天天气不错", None), ("", None),
])
def test_guess_category(text: str, category: RequestCategory | None) -> None:
    assert guess_category(text) == category


def test_guessed_categories_on_the_labelled_set(labelled: list[quality.Labelled]) -> None:
    """Each labelled group's comments mostly point to one category: the guess agrees with the group's majority
    for at least 92 % of the comments (measured: 95 %)."""
    by_group: dict[str, list[RequestCategory | None]] = {}
    for r in labelled:
        if not r.chatter:
            by_group.setdefault(r.group, []).append(guess_category(r.text))
    agree = sum(max(guesses.count(c) for c in set(guesses)) for guesses in by_group.values())
    assert agree / sum(len(g) for g in by_group.values()) >= 0.92


def test_tokens_leave_out_stop_words_and_make_synonyms_one() -> None:
    assert tokens("我家门口的包裹堆成山了！") == tokens("家门口 快递 堆放 成山") == "门口 快递 堆 成山"
    assert "的" not in tokens("楼道里的快递").split()


def test_group_keeps_every_index_once_in_order() -> None:
    texts = ["楼道里堆满了快递", "路灯坏了", "楼道里堆满了快递！", "", "   ", "村口路灯坏了好久", "楼道被快递堵死了"]
    groups = group(texts)
    assert sorted(i for g in groups for i in g) == list(range(len(texts)))
    assert all(g == sorted(g) for g in groups) and [g[0] for g in groups] == sorted(g[0] for g in groups)
    assert [0, 2, 6] in groups and [1, 5] in groups
    assert group([]) == []


def test_different_categories_are_never_one_group() -> None:
    assert group(["晚上楼道快递堆满了", "晚上楼道太吵了"]) == [[0], [1]]


def test_twenty_thousand_distinct_and_duplicate_comments_group_in_seconds() -> None:
    rng = random.Random(42)
    chars = ("的一是在不了有和人这中大为上个我以要他时来用们生到作地于"
             "出就分对成会可主发年动同工也能下过子说产种面而方后多定")
    texts = ["".join(rng.choice(chars) for _ in range(rng.randrange(8, 20))) if rng.random() < 0.5
             else rng.choice(["楼道里快递堆满了", "路灯坏了没人修", "楼上直播太吵了"]) + str(rng.randrange(100))
             for _ in range(20_000)]
    started = time.perf_counter()
    groups = group(texts)
    assert time.perf_counter() - started < 10
    assert sum(map(len, groups)) == 20_000 and max(map(len, groups)) > 2_000
