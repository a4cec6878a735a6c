"""The profit split in integer cents: pools from profit, then the members' pool into lines, to the cent.

Both steps use the largest-remainder method: everyone gets the floor of their exact share, and the cents left
over go one each to the largest fractional remainders. Ties go to the earlier key: for pools the fixed order
members, cooperative, public fund, help fund; for lines the member code (ascending). The result therefore
does not depend on the order the inputs come in, every amount is within one cent of its exact value, and the
parts add up to the whole exactly.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from dashboard.services.errors import RuleError

BP = 10_000  # basis points in 100%


class SplitError(RuleError):
    """A rule of the split is broken; `key` names the message in i18n, `params` fill it in."""


@dataclass(frozen=True)
class Share:
    amount: int          # cents paid
    exact: Fraction      # the exact pro-rata value in cents
    adjustment: int      # cents added by rounding: amount - floor(exact), 0 or 1


def largest_remainder(total: int, weights: Mapping[str, int]) -> dict[str, Share]:
    """Share `total` cents in proportion to non-negative integer weights, ties broken by key (ascending)."""
    if total < 0:
        raise SplitError("split.negative_total", total=total)
    if any(w < 0 for w in weights.values()):
        raise SplitError("split.negative_weight")
    whole = sum(weights.values())
    if whole == 0:
        if total == 0:
            return {k: Share(0, Fraction(0), 0) for k in weights}
        raise SplitError("split.no_basis")
    floors = {k: total * w // whole for k, w in weights.items()}
    remainders = {k: total * w % whole for k, w in weights.items()}
    left = total - sum(floors.values())
    bonus = set(sorted(weights, key=lambda k: (-remainders[k], k))[:left])
    return {
        k: Share(floors[k] + (k in bonus), Fraction(total * w, whole), int(k in bonus))
        for k, w in weights.items()
    }


@dataclass(frozen=True)
class Shares:
    """A cooperative's split in basis points (see CooperativeSplit)."""

    member_bp: int = 7000
    cooperative_bp: int = 2000
    public_fund_bp: int = 1000
    help_fund_bp: int = 0
    help_fund_basis: str = "none"     # none | profit | sales

    def validate(self) -> None:
        parts = (self.member_bp, self.cooperative_bp, self.public_fund_bp, self.help_fund_bp)
        if any(p < 0 for p in parts):
            raise SplitError("split.negative_share")
        if self.help_fund_basis not in ("none", "profit", "sales"):
            raise SplitError("split.bad_basis", basis=self.help_fund_basis)
        if self.help_fund_basis == "none" and self.help_fund_bp:
            raise SplitError("split.help_without_basis")
        total = sum(parts) if self.help_fund_basis == "profit" else sum(parts[:3])
        if total != BP:
            raise SplitError("split.not_100", total=f"{total / 100:g}")
        if self.help_fund_bp > BP:
            raise SplitError("split.not_100", total=f"{self.help_fund_bp / 100:g}")


# Pool keys sort in the stated tie-break order.
POOL_KEYS = {"members": "1", "cooperative": "2", "public_fund": "3", "help_fund": "4"}


@dataclass(frozen=True)
class Pools:
    distributable: int   # profit less any loss carried forward; what the pools share
    members: Share
    cooperative: Share
    public_fund: Share
    help_fund: Share

    @property
    def total(self) -> int:
        return self.members.amount + self.cooperative.amount + self.public_fund.amount + self.help_fund.amount


ZERO = Share(0, Fraction(0), 0)


def half_up(numerator: int, denominator: int) -> int:
    """Round a non-negative fraction to the nearest integer, halves up."""
    return (2 * numerator + denominator) // (2 * denominator)


def split_pools(distributable: int, revenue: int, shares: Shares) -> Pools:
    """Share the period's distributable profit into pools. Nothing is paid out of a loss or zero profit.

    A help fund on sales is `help_fund_bp` of revenue (rounded half up), taken first and never more than the
    profit; the other three shares then split what is left. A help fund on profit is a fourth share.
    """
    shares.validate()
    if distributable <= 0:
        return Pools(distributable, ZERO, ZERO, ZERO, ZERO)
    weights = {POOL_KEYS["members"]: shares.member_bp, POOL_KEYS["cooperative"]: shares.cooperative_bp,
               POOL_KEYS["public_fund"]: shares.public_fund_bp}
    help_fund = ZERO
    rest = distributable
    if shares.help_fund_basis == "sales" and shares.help_fund_bp:
        exact = Fraction(revenue * shares.help_fund_bp, BP)
        amount = min(distributable, half_up(revenue * shares.help_fund_bp, BP))
        help_fund = Share(amount, exact, amount - int(exact))
        rest = distributable - amount
    elif shares.help_fund_basis == "profit":
        weights[POOL_KEYS["help_fund"]] = shares.help_fund_bp
    parts = largest_remainder(rest, weights)
    return Pools(
        distributable, parts[POOL_KEYS["members"]], parts[POOL_KEYS["cooperative"]],
        parts[POOL_KEYS["public_fund"]], parts.get(POOL_KEYS["help_fund"], help_fund),
    )


def split_members(pool: int, basis: Mapping[str, int]) -> dict[str, Share]:
    """Share the members' pool pro rata to each member's basis, keyed and tie-broken by member code."""
    return largest_remainder(pool, basis)
