"""How well the engine sets chatter aside and groups comments, measured on labelled sets (tests/data/comments_*.csv:
text, group label, chatter yes/no). Used by the tests and by bench/comments.py."""

import csv
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dashboard.comments import grouping
from dashboard.comments.pipeline import prepare
from dashboard.comments.types import RawComment

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
LABELLED = DATA / "comments_labelled.csv"    # the set the rules, stop words, synonyms and threshold were tuned on
HELDOUT = DATA / "comments_heldout.csv"      # written after the tuning and never tuned on: how it does on new text


@dataclass(frozen=True)
class Labelled:
    text: str
    group: str                # "" for chatter
    chatter: bool


@dataclass(frozen=True)
class Quality:
    pair_precision: float     # of the pairs put in one candidate, the share labelled the same group
    pair_recall: float        # of the pairs labelled the same group, the share put in one candidate
    chatter_precision: float  # of the comments set aside, the share labelled chatter
    chatter_recall: float     # of the comments labelled chatter, the share set aside
    comments: int
    groups: int               # labelled groups
    candidates: int           # candidates found among the labelled non-chatter comments

    @property
    def pair_f1(self) -> float:
        p, r = self.pair_precision, self.pair_recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_labelled(path: Path = LABELLED) -> list[Labelled]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [Labelled(row["text"], row["group"], row["chatter"] == "yes") for row in csv.DictReader(fh)]


def _pairs(labels: Sequence[Hashable]) -> int:
    return sum(n * (n - 1) // 2 for n in Counter(labels).values())


def measure(rows: list[Labelled], threshold: float = grouping.THRESHOLD) -> Quality:
    """Pairs are counted among the comments labelled not chatter; one the engine set aside as chatter is in no
    candidate, so its pairs count as missed."""
    prepared = prepare([RawComment(i + 1, None, "", r.text) for i, r in enumerate(rows)], threshold)
    found = [c.chatter_rule is not None for c in prepared.comments]
    set_aside = sum(found)
    hit = sum(f and r.chatter for f, r in zip(found, rows, strict=True))
    labelled_chatter = sum(r.chatter for r in rows)
    content = [i for i, r in enumerate(rows) if not r.chatter]
    candidate = [prepared.comments[i].candidate for i in content]
    predicted = [c if c is not None else f"alone{i}" for i, c in zip(content, candidate, strict=True)]
    truth = [rows[i].group for i in content]
    together = _pairs(predicted)
    should = _pairs(truth)
    both = _pairs(list(zip(predicted, truth, strict=True)))
    return Quality(pair_precision=both / together if together else 1.0, pair_recall=both / should if should else 1.0,
                   chatter_precision=hit / set_aside if set_aside else 1.0,
                   chatter_recall=hit / labelled_chatter if labelled_chatter else 1.0,
                   comments=len(rows), groups=len(set(truth)), candidates=len({c for c in candidate if c is not None}))
