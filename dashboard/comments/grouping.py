"""Near-duplicate comments about the same thing, grouped: rjieba cuts the Chinese into words, rapidfuzz scores
how alike two comments' word sets are, and a comment joins the first group whose leader it is close enough to.

`group(texts)` is shared by the comment import (one livestream's comments) and the hot topics (a quarter's
requests across sessions). The first version; the comment-import work tunes it on the labelled set."""

from collections.abc import Sequence

import rjieba
from rapidfuzz import fuzz, process

THRESHOLD = 60.0      # token_set_ratio (0-100) at or above which two comments say the same thing
_STOP_WORDS = ("的 了 吗 呢 吧 啊 呀 哦 嘛 是 在 有 我 我们 你 你们 他 她 它 这 那 就 都 也 还 又 很 太 和 与 跟 "
               "一下 一个 什么 怎么 为什么 能不能 可以 可不可以 请问 谁 给 把 被 让 ， 。 ！ ？ 、 ： ； ~ …")
STOP = frozenset(_STOP_WORDS.split(" "))


def tokens(text: str) -> str:
    """The comment's words, stop words and punctuation left out, space-separated (rapidfuzz's token scorers)."""
    return " ".join(w for w in rjieba.cut(text.strip().lower()) if w.strip() and w not in STOP)


def group(texts: Sequence[str], threshold: float = THRESHOLD) -> list[list[int]]:
    """Indexes of `texts` in groups, each group in input order, groups in order of their first member."""
    leaders: list[str] = []
    groups: list[list[int]] = []
    seen: dict[str, int] = {}
    for i, text in enumerate(texts):
        words = tokens(text)
        key = words or text.strip()
        if key in seen:
            groups[seen[key]].append(i)
            continue
        best = process.extractOne(words, leaders, scorer=fuzz.token_set_ratio, score_cutoff=threshold) \
            if words and leaders else None
        if best is None:
            seen[key] = len(groups)
            leaders.append(words)
            groups.append([i])
        else:
            seen[key] = best[2]
            groups[best[2]].append(i)
    return groups
