"""The request loop's rates (issue 13 item 7): plain functions over counts, with denominators that cannot flatter.

The queries (dashboard/queries/requests.py) count in SQL; these functions only divide, so each rule is tested on
hand-built numbers and its docstring is the formula the page shows (i18n keys requests.rate.*_help say the same).

不合理诉求 (an agreed 'unreasonable' outcome) is left out of every rate below except the response rate, whose
denominator is every request collected, and is shown apart as a count.
"""

from collections.abc import Iterable
from dataclasses import dataclass

MIN_RANKED = 5   # a unit with fewer requests in the period is listed, never ranked


@dataclass(frozen=True)
class Rate:
    """A share with its parts kept, so the page can say «12 / 40» beside «30%»."""

    numerator: float
    denominator: int

    @property
    def value(self) -> float | None:
        """numerator ÷ denominator, or None when there is nothing to divide by (shown as «—», never as 0%)."""
        return self.numerator / self.denominator if self.denominator else None


def response_rate(routed_in_time: int, collected: int) -> Rate:
    """响应率 = requests first routed (转办) within one working day of collection ÷ all requests collected.

    Within one working day: routed the day it was raised or by the next working day on the Chinese calendar
    (a request raised on Friday evening and routed on Monday counts, one raised before National Day and routed
    after the holiday counts). A request never routed counts in the denominator only, once its working day has
    passed: one raised today (or on Friday, seen on Monday) and not routed yet is not counted either way until then
    (the caller leaves it out of `collected`), so the current quarter does not read 0% on its first day."""
    return Rate(routed_in_time, collected)


def resolution_rate(solved: int, partly_solved: int, finished_excl_unreasonable: int) -> Rate:
    """解决率 = (已解决 + ½ × 部分解决) ÷ all 已办结 requests except 不合理诉求.

    已办结 means 已办结, 已公示反馈 or 已关闭; 解释说明 counts in the denominator only."""
    return Rate(solved + partly_solved / 2, finished_excl_unreasonable)


def satisfaction_rate(satisfied: int, basically_satisfied: int, answered: int) -> Rate:
    """满意率 = (满意 + 基本满意) ÷ callbacks answered (满意, 基本满意 or 不满意; 'unreachable' is left out).

    Every answered callback counts, so a request called back 不满意, reopened and later 满意 counts once each way."""
    return Rate(satisfied + basically_satisfied, answered)


def on_time_rate(closed_on_time: int, closed: int, open_overdue: int) -> Rate:
    """按期办结率 = finished by the deadline ÷ (all finished + still open and already past the deadline).

    An open overdue request counts against the rate: leaving a request unfinished never helps it."""
    return Rate(closed_on_time, closed + open_overdue)


@dataclass(frozen=True)
class UnitCounts:
    """One unit's requests in the period (as lead unit), as the query counts them."""

    unit_code: str
    unit_name: str
    requests: int
    finished_on_time: int
    finished: int
    open_overdue: int


@dataclass(frozen=True)
class RankedUnit:
    unit_code: str
    unit_name: str
    requests: int
    on_time: Rate
    rank: int | None       # None: fewer than `min_requests` requests, or nothing finished or due yet


def unit_ranking(rows: Iterable[UnitCounts], min_requests: int = MIN_RANKED) -> list[RankedUnit]:
    """Units by their on-time rate, best first; ties share a rank (1, 2, 2, 4).

    A unit with fewer than `min_requests` requests in the period is not ranked (a unit with 1 of 1 on time must
    not top one with 95 of 100); it follows the ranked ones, most requests first. So does a unit with no rate
    yet (nothing finished and nothing overdue). Each row keeps its numerator and denominator."""
    units = [RankedUnit(r.unit_code, r.unit_name, r.requests,
                        on_time_rate(r.finished_on_time, r.finished, r.open_overdue), None) for r in rows]
    rankable = [u for u in units if u.requests >= min_requests and u.on_time.value is not None]
    rest = [u for u in units if not (u.requests >= min_requests and u.on_time.value is not None)]
    rankable.sort(key=lambda u: (-(u.on_time.value or 0.0), -u.on_time.denominator, u.unit_code))
    ranked: list[RankedUnit] = []
    for i, u in enumerate(rankable):
        prev = ranked[-1].on_time if ranked else None
        tied = prev is not None and prev.numerator * u.on_time.denominator == u.on_time.numerator * prev.denominator
        rank = ranked[-1].rank if tied else i + 1
        ranked.append(RankedUnit(u.unit_code, u.unit_name, u.requests, u.on_time, rank))
    rest.sort(key=lambda u: (-u.requests, u.unit_code))
    return ranked + rest
