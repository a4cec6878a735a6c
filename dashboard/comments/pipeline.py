"""Read comments → cleaned and masked, chatter set aside → grouped into candidate requests, largest first."""

from collections.abc import Sequence

from dashboard.comments import grouping, rules
from dashboard.comments.types import Candidate, Prepared, PreparedComment, RawComment

MAX_TEXT = rules.MAX_TEXT


def prepare(rows: Sequence[RawComment], threshold: float = grouping.THRESHOLD) -> Prepared:
    """Every comment cleaned and masked (text and nickname) before anything else sees it; chatter set aside by the
    visible rules; the rest grouped. A candidate's label is its first comment, its category the guess of its first
    comment that has one; candidates come largest first, then by first appearance."""
    texts = [rules.clean(r.text) for r in rows]
    chatter = [rules.chatter_rule(t) if t else "symbols" for t in texts]
    kept = [i for i, c in enumerate(chatter) if c is None]
    found, categories = grouping.group_with_categories([texts[i] for i in kept], threshold)
    order = sorted(range(len(found)), key=lambda g: (-len(found[g]), found[g][0]))
    owner: dict[int, int] = {}
    candidates: list[Candidate] = []
    for n, g in enumerate(order):
        members = tuple(kept[m] for m in found[g])
        for i in members:
            owner[i] = n
        times = [t for i in members if (t := rows[i].said_at) is not None]
        candidates.append(Candidate(members, texts[members[0]], categories[g], min(times) if times else None))
    comments = tuple(PreparedComment(r.seq, r.said_at, rules.clean(r.nickname, rules.MAX_NICKNAME), texts[i],
                                     chatter[i], owner.get(i)) for i, r in enumerate(rows))
    return Prepared(comments, tuple(candidates))
