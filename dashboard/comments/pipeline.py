"""Read comments → masked, chatter set aside → grouped into candidates. (First version.)"""

from collections.abc import Sequence

from dashboard.comments import grouping, rules
from dashboard.comments.types import Candidate, Prepared, PreparedComment, RawComment

MAX_TEXT = 500


def prepare(rows: Sequence[RawComment]) -> Prepared:
    texts = [rules.mask("".join(ch for ch in r.text if ch.isprintable()))[:MAX_TEXT] for r in rows]
    chatter = [rules.chatter_rule(t) for t in texts]
    kept = [i for i, c in enumerate(chatter) if c is None]
    groups = sorted(grouping.group([texts[i] for i in kept]), key=lambda g: (-len(g), g[0]))
    owner: dict[int, int] = {}
    candidates: list[Candidate] = []
    for n, members in enumerate(groups):
        idx = tuple(kept[m] for m in members)
        for i in idx:
            owner[i] = n
        times = [t for i in idx if (t := rows[i].said_at) is not None]
        candidates.append(Candidate(idx, texts[idx[0]], None, min(times) if times else None))
    comments = tuple(PreparedComment(r.seq, r.said_at, rules.mask(r.nickname)[:100], texts[i], chatter[i],
                                     owner.get(i)) for i, r in enumerate(rows))
    return Prepared(comments, tuple(candidates))
