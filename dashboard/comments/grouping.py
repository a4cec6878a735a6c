"""Near-duplicate comments about the same thing, grouped: rjieba cuts the Chinese into words (stop words left out,
synonyms made one), rapidfuzz's token_set_ratio scores how alike two comments' words are, and a comment joins the
group whose representatives (its first five distinct comments) it is most alike on average, when that mean reaches
the threshold; otherwise it starts a group of its own. Averaging over several comments rather than comparing with
the first alone keeps a group from drifting (measured on the labelled set: F1 0.79 against 0.73).

So that 100,000 comments group in seconds, a comment is scored only against groups it could join (blocking):
comments with the same words are one group at once; a comment meets only the groups with a representative sharing
one of its words (the first PER_WORD groups per word), the CANDIDATES of them sharing the most words, and none whose
guessed category differs from its own; a group whose first comment is far from it is not scored further.

`group(texts)` is shared by the comment import (one livestream's comments) and the hot topics (a quarter's requests
across sessions)."""

import heapq
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
import rjieba
from rapidfuzz import fuzz, process

from data_models.enums import RequestCategory

THRESHOLD = 45.0      # the mean score (0-100) with a group's representatives at which a comment joins it (tuned)
REPRESENTATIVES = 5   # a group's first distinct comments, which a new comment is compared with
SCORER = fuzz.token_set_ratio
PRESCREEN = 20.0      # a group whose first comment scores this far below the threshold is not scored further
PER_WORD = 200        # the blocking: a comment meets the first groups of each of its words' buckets ...
CANDIDATES = 25       # ... and of those the ones sharing the most words with it
_STOP_WORDS = ("的 了 吗 呢 吧 啊 呀 哦 嘛 哈 啦 么 呐 哇 噢 喔 是 在 有 我 我们 你 你们 他 她 它 他们 咱 "
               "咱们 俺 这 那 这个 那个 就 都 也 还 又 很 太 真 真的 和 与 跟 一下 一个 一些 什么 怎么 "
               "怎么办 为什么 能 能不能 可以 可不可以 请问 谁 给 把 被 让 要 会 得 地 着 过 没 不 呗 哎 唉 "
               "诶 嗯 主播 老师 书记 社区 大家 家人们 希望 麻烦 帮忙 一直 已经 总是 老是 每天 天天 现在 "
               "问题 情况 反映 建议 说 想 看看 管管 管 一管 下 里 上 好 吧 就是 还是 但是 因为 所以 如果 "
               "然后 而且 到底 那么 这么 这样 那样 有没有 有人 有些 事 事情 时候")
STOP = frozenset(_STOP_WORDS.split())
# Words that mean the same here, written as one of them (after jieba has cut the text).
SYNONYMS: dict[str, str] = {
    "丢": "丢", "丢了": "丢", "被偷": "丢", "偷": "丢", "偷走": "丢", "拿走": "丢", "不见": "丢", "没了": "丢",
    "被盗": "丢", "驿站": "驿站", "代收点": "驿站", "快递柜": "驿站", "快递驿站": "驿站", "丰巢": "驿站",
    "菜鸟驿站": "驿站", "泡沫": "纸箱", "包装": "纸箱", "废纸箱": "纸箱", "纸壳": "纸箱", "箱子": "纸箱",
    "不准": "禁止", "不能": "禁止", "不许": "禁止", "停播": "禁止", "规定": "规定", "公约": "规定",
    "定个": "规定", "包裹": "快递", "快件": "快递", "快第": "快递", "快迪": "快递", "件": "快递",
    "快递包裹": "快递", "纸箱子": "纸箱", "堆放": "堆", "堆满": "堆", "堆成": "堆", "堆积": "堆", "乱堆": "堆",
    "乱放": "堆", "摆满": "堆", "堆着": "堆", "放满": "堆", "过道": "楼道", "走廊": "楼道", "楼梯间": "楼道",
    "楼梯口": "楼道", "家门口": "门口", "噪声": "噪音", "吵闹": "吵", "太吵": "吵", "好吵": "吵", "吵死": "吵",
    "吵死人": "吵", "扰民": "吵", "喊麦": "喊", "大喊大叫": "喊", "嚷嚷": "喊", "睡不好": "睡不着",
    "没法睡": "睡不着", "睡不着觉": "睡不着", "深夜": "半夜", "凌晨": "半夜", "大半夜": "半夜", "晚上": "夜里",
    "夜里": "夜里", "夜间": "夜里", "晚间": "夜里", "路灯": "灯", "灯泡": "灯", "电灯": "灯", "不亮": "坏",
    "坏掉": "坏", "坏了": "坏", "损坏": "坏", "黑漆漆": "黑", "黑乎乎": "黑", "摸黑": "黑", "乌漆嘛黑": "黑",
    "漆黑": "黑", "看不见": "黑", "垃圾桶": "垃圾", "垃圾箱": "垃圾", "垃圾站": "垃圾", "臭气": "臭",
    "臭死": "臭", "发臭": "臭", "臭味": "臭", "异味": "臭", "味道": "臭", "脏乱差": "脏", "脏乱": "脏",
    "清运": "清理", "清走": "清理", "收走": "清理", "拉走": "清理", "物流": "发货", "寄件": "发货",
    "寄快递": "发货", "发件": "发货", "揽收": "发货", "揽件": "发货", "收件": "发货", "运费": "运费",
    "邮费": "运费", "快递费": "运费", "贵": "贵", "太贵": "贵", "好贵": "贵", "培训班": "培训", "课程": "培训",
    "上课": "培训", "讲课": "培训", "教学": "培训", "学习": "学", "教教": "教", "剪视频": "剪辑",
    "视频剪辑": "剪辑", "剪片": "剪辑", "欠薪": "工资", "拖欠": "欠", "没发": "欠", "不发": "欠",
    "佣金": "提成", "抽成": "提成", "扣钱": "扣", "克扣": "扣", "罚款": "扣", "合同": "合同", "签合同": "合同",
    "充电桩": "充电", "充电站": "充电", "充电器": "充电", "网速": "网络", "信号": "网络", "网": "网络",
    "wifi": "网络", "宽带": "网络", "卡顿": "卡", "很卡": "卡", "停车位": "停车", "车位": "停车",
    "座椅": "椅子", "凳子": "椅子",
}

# guess_category: (category, (keyword, weight)...); the category with the highest total wins, ties go to the first.
_CATEGORY_WORDS: tuple[tuple[RequestCategory, tuple[tuple[str, int], ...]], ...] = (
    (RequestCategory.parcel_stacking, (("快递", 1), ("包裹", 2), ("快件", 2), ("堆", 2), ("箱子", 1),
                                       ("纸箱", 1), ("驿站", 1), ("快递柜", 1), ("丰巢", 1), ("取件", 1),
                                       ("楼道", 1), ("堵", 1), ("占", 1))),
    (RequestCategory.livestream_noise, (("噪音", 2), ("噪声", 2), ("不准直播", 2), ("禁止直播", 2), ("停播", 2),
                                        ("直播时间", 2), ("开播时间", 2), ("直播公约", 2), ("吵", 2),
                                        ("喊麦", 2), ("扰民", 2), ("音响", 2), ("声音", 1), ("声音太大", 3),
                                        ("夜里", 1), ("大声", 2),
                                        ("睡不着", 2), ("半夜", 1), ("深夜", 1), ("凌晨", 1), ("嗓门", 2),
                                        ("分贝", 2), ("安静", 1), ("蹦迪", 2), ("喊", 1))),
    (RequestCategory.road_lighting, (("路灯", 3), ("灯", 2), ("照明", 3), ("黑漆漆", 2), ("摸黑", 2),
                                     ("黑乎乎", 2), ("不亮", 2), ("太黑", 2), ("很黑", 2), ("乌漆", 2))),
    (RequestCategory.sanitation, (("垃圾", 3), ("卫生", 2), ("臭", 2), ("脏", 2), ("苍蝇", 2), ("蚊子", 1),
                                  ("老鼠", 2), ("污水", 2), ("下水道", 2), ("保洁", 2), ("打扫", 1),
                                  ("异味", 2), ("清运", 2), ("粪", 2), ("狗屎", 2))),
    (RequestCategory.logistics, (("物流", 3), ("配送", 2), ("发货", 3), ("揽收", 3), ("揽件", 3), ("运费", 3),
                                 ("邮费", 3), ("冷链", 3), ("快递点", 2), ("运输", 2), ("送货", 2), ("派送", 2),
                                 ("寄件", 3), ("寄快递", 3), ("发件", 3), ("快递费", 3), ("进村", 2),
                                 ("仓库", 2), ("打包", 1))),
    (RequestCategory.training, (("培训", 3), ("课程", 3), ("上课", 2), ("讲座", 2), ("技能", 2), ("剪辑", 2),
                                ("证书", 2), ("考证", 2), ("学", 1), ("教", 1), ("课", 1), ("运营", 1),
                                ("技巧", 2), ("新手", 1), ("带货", 1))),
    (RequestCategory.rights_dispute, (("工资", 3), ("欠薪", 3), ("拖欠", 3), ("合同", 2), ("社保", 3),
                                      ("维权", 3), ("扣钱", 3), ("克扣", 3), ("罚款", 2), ("抽成", 3),
                                      ("佣金", 3), ("提成", 2), ("结算", 2), ("封号", 2), ("违约", 3),
                                      ("押金", 3), ("纠纷", 2), ("公会", 2), ("mcn", 2), ("霸王条款", 3),
                                      ("不给钱", 3), ("欠", 1))),
    (RequestCategory.public_facilities, (("充电桩", 3), ("充电", 2), ("电梯", 3), ("健身", 2), ("停车", 2),
                                         ("车位", 2), ("座椅", 2), ("椅子", 1), ("厕所", 2), ("网络", 2),
                                         ("信号", 2), ("宽带", 2), ("网速", 2), ("wifi", 2), ("场地", 2),
                                         ("活动室", 3), ("公共", 1), ("设施", 2), ("井盖", 3), ("围栏", 2),
                                         ("直播间", 1), ("共享", 1), ("凉亭", 2))),
)
_CATEGORY_PATTERNS = tuple(
    (category, re.compile("|".join(re.escape(w) for w, _ in sorted(words, key=lambda x: -len(x[0])))),
     dict(words)) for category, words in _CATEGORY_WORDS)


def guess_category(text: str) -> RequestCategory | None:
    """The request category the comment's keywords point to (e.g. 快递堆在楼道 → 快递堆放), or None when it names
    none of them. Keyword rules, shown to the social worker as a guess she confirms."""
    lowered = text.lower()
    best, best_score = None, 0
    for category, pattern, weights in _CATEGORY_PATTERNS:
        score = sum(weights[m] for m in pattern.findall(lowered))
        if score > best_score:
            best, best_score = category, score
    return best


def _words(text: str) -> list[str]:
    out = []
    for w in rjieba.cut(text.strip().lower()):
        w = SYNONYMS.get(w, w)
        if w.strip() and w not in STOP and any(ch.isalnum() for ch in w):
            out.append(w)
    return out


def tokens(text: str) -> str:
    """The comment's words, stop words and punctuation left out and synonyms made one, space-separated (as
    rapidfuzz's token scorers read them)."""
    return " ".join(_words(text))


def score(a: str, b: str) -> float:
    """How alike two comments' token strings are (0-100)."""
    return fuzz.token_set_ratio(a, b)


def group_with_categories(texts: Sequence[str], threshold: float = THRESHOLD
                          ) -> tuple[list[list[int]], list[RequestCategory | None]]:
    """The groups (as `group`) and each group's guessed category: that of its first comment with one."""
    words = [_words(t) for t in texts]
    # A comment of nothing but stop words is keyed by its text: only the same text joins it.
    keys = [" ".join(sorted(set(w))) if w else "\0" + t.strip() for w, t in zip(words, texts, strict=True)]
    # Exact duplicates (the same words) first: each distinct word set is clustered once.
    first_of: dict[str, int] = {}
    for i, key in enumerate(keys):
        first_of.setdefault(key, i)
    group_of: dict[str, int] = {}              # word set -> group number
    members: list[list[str]] = []              # each group's first REPRESENTATIVES distinct word sets, as text
    categories: list[RequestCategory | None] = []
    buckets: dict[str, list[int]] = defaultdict(list)      # a word -> groups with a representative that has it
    indexed: list[set[str]] = []                           # each group's words in the buckets
    for key, i in first_of.items():
        category = guess_category(texts[i])
        distinct = list(dict.fromkeys(words[i]))
        text = " ".join(words[i])
        near = _near(distinct, buckets, categories, category) if text else []
        chosen = _closest(text, near, members, threshold) if near else None
        if chosen is None:
            chosen = len(members)
            members.append([])
            indexed.append(set())
            categories.append(category)
        group_of[key] = chosen
        if categories[chosen] is None:         # a group takes the category of the first comment that has one
            categories[chosen] = category
        if text and len(members[chosen]) < REPRESENTATIVES:
            members[chosen].append(text)
            for w in distinct:
                if w not in indexed[chosen]:
                    indexed[chosen].add(w)
                    buckets[w].append(chosen)
    groups: list[list[int]] = [[] for _ in members]
    for i, key in enumerate(keys):
        groups[group_of[key]].append(i)
    return groups, categories


def _near(words: list[str], buckets: dict[str, list[int]], categories: list[RequestCategory | None],
          category: RequestCategory | None) -> list[int]:
    """The groups a comment could join: those sharing the most words with it (at most CANDIDATES), among the groups
    with a representative that has one of its words (the first PER_WORD groups of each word) and whose category
    is not another one."""
    shared: Counter[int] = Counter()
    for w in words:
        shared.update(buckets.get(w, ())[:PER_WORD])
    if category is not None:
        shared = Counter({g: n for g, n in shared.items() if categories[g] is None or categories[g] == category})
    # The most words in common first; among equals the older (usually bigger) group.
    return heapq.nsmallest(CANDIDATES, shared, key=lambda g: (-shared[g], g))


def _closest(text: str, near: list[int], members: list[list[str]], threshold: float) -> int | None:
    """The group whose representatives the comment is most alike on average, if that reaches the threshold. Groups
    whose first comment is far from it (PRESCREEN below the threshold) are not scored further: it saves four
    fifths of the scoring and changes no group on the labelled set."""
    first = process.cdist([text], [members[g][0] for g in near], scorer=SCORER, dtype=np.float32)[0]
    near = [g for g, score in zip(near, first, strict=True) if score >= threshold - PRESCREEN]
    if not near:
        return None
    sizes = np.array([len(members[g]) for g in near], dtype=np.float32)
    scores = process.cdist([text], [m for g in near for m in members[g]], scorer=SCORER, dtype=np.float32)[0]
    means = np.add.reduceat(scores, np.cumsum(sizes, dtype=np.int64) - sizes.astype(np.int64)) / sizes
    best = int(np.argmax(means))
    return near[best] if means[best] >= threshold else None


def group(texts: Sequence[str], threshold: float = THRESHOLD) -> list[list[int]]:
    """Indexes of `texts` in groups, each group in input order, groups in order of their first member."""
    return group_with_categories(texts, threshold)[0]
