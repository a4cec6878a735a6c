"""The profit split: properties on random inputs (hypothesis), a case worked by hand, and the edge cases."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.services.split import Shares, SplitError, largest_remainder, split_members, split_pools

codes = st.text(alphabet="ABCDEFGHJK0123456789", min_size=1, max_size=6)
bases = st.dictionaries(codes, st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40).filter(
    lambda d: sum(d.values()) > 0)
cents = st.integers(min_value=0, max_value=10**12)


@st.composite
def shares(draw: st.DrawFn) -> Shares:
    basis = draw(st.sampled_from(["none", "profit", "sales"]))
    n = 4 if basis == "profit" else 3
    cuts = sorted(draw(st.lists(st.integers(0, 10_000), min_size=n - 1, max_size=n - 1)))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, 10_000], strict=True)]
    help_bp = parts[3] if basis == "profit" else (draw(st.integers(0, 1_000)) if basis == "sales" else 0)
    return Shares(parts[0], parts[1], parts[2], help_bp, basis)


@given(pool=cents, basis=bases)
def test_lines_add_up_to_the_pool_and_stay_within_a_cent(pool: int, basis: dict[str, int]) -> None:
    lines = split_members(pool, basis)
    assert sum(s.amount for s in lines.values()) == pool
    whole = sum(basis.values())
    for code, s in lines.items():
        exact = Fraction(pool * basis[code], whole)
        assert s.exact == exact
        assert abs(s.amount - exact) < 1
        assert s.adjustment in (0, 1) and s.amount - s.adjustment == int(exact)


@given(pool=cents, basis=bases, data=st.data())
def test_lines_do_not_depend_on_input_order(pool: int, basis: dict[str, int], data: st.DataObject) -> None:
    shuffled = dict(data.draw(st.permutations(list(basis.items()))))
    assert split_members(pool, basis) == split_members(pool, shuffled)


@given(profit=st.integers(min_value=-10**10, max_value=10**12), revenue=cents, s=shares())
def test_pools_add_up_to_the_profit_and_stay_within_a_cent(profit: int, revenue: int, s: Shares) -> None:
    pools = split_pools(profit, revenue, s)
    if profit <= 0:
        assert pools.total == 0
        return
    assert pools.total == profit
    for share in (pools.members, pools.cooperative, pools.public_fund, pools.help_fund):
        assert share.amount >= 0
    if s.help_fund_basis != "sales":
        for share, bp in ((pools.members, s.member_bp), (pools.cooperative, s.cooperative_bp),
                          (pools.public_fund, s.public_fund_bp), (pools.help_fund, s.help_fund_bp)):
            assert abs(share.amount - Fraction(profit * bp, 10_000)) < 1
    else:
        assert pools.help_fund.amount <= profit
        assert abs(pools.help_fund.amount - min(Fraction(revenue * s.help_fund_bp, 10_000), profit)) <= Fraction(1, 2)


def test_seventy_twenty_ten_worked_by_hand() -> None:
    """Profit ¥1,000.01 = 100,001 fen. Exact pools 70,000.7 / 20,000.2 / 10,000.1: floors 70,000 / 20,000 /
    10,000 leave 1 fen, which goes to the largest remainder (.7, members). Members' pool 70,001 fen on bases
    500 / 300 / 200 (revenue): exact 35,000.5 / 21,000.3 / 14,000.2; floors 35,000 / 21,000 / 14,000 leave
    1 fen for M1 (remainder .5)."""
    pools = split_pools(100_001, 500_000, Shares())
    assert (pools.members.amount, pools.cooperative.amount, pools.public_fund.amount) == (70_001, 20_000, 10_000)
    assert pools.members.adjustment == 1 and pools.cooperative.adjustment == 0
    lines = split_members(pools.members.amount, {"M1": 500, "M2": 300, "M3": 200})
    assert {k: (v.amount, v.adjustment) for k, v in lines.items()} == {
        "M1": (35_001, 1), "M2": (21_000, 0), "M3": (14_000, 0)}


def test_ties_go_to_the_lower_member_code() -> None:
    lines = split_members(1, {"M2": 1, "M1": 1, "M3": 1})
    assert {k: v.amount for k, v in lines.items()} == {"M1": 1, "M2": 0, "M3": 0}
    lines = split_members(2, {"M3": 1, "M2": 1, "M1": 1})
    assert {k: v.amount for k, v in lines.items()} == {"M1": 1, "M2": 1, "M3": 0}


@pytest.mark.parametrize("profit", [0, -1, -500_000])
def test_zero_or_negative_profit_pays_nothing(profit: int) -> None:
    pools = split_pools(profit, 1_000_000, Shares())
    assert pools.total == 0 and pools.distributable == profit


def test_a_member_with_no_sales_gets_a_zero_line() -> None:
    lines = split_members(10_000, {"M1": 3, "M2": 0, "M3": 1})
    assert lines["M2"].amount == 0 and sum(s.amount for s in lines.values()) == 10_000


def test_a_pool_with_no_basis_at_all_is_refused_not_lost() -> None:
    with pytest.raises(SplitError) as err:
        split_members(10_000, {"M1": 0, "M2": 0})
    assert err.value.key == "split.no_basis"
    assert split_members(0, {"M1": 0})["M1"].amount == 0


def test_help_fund_on_sales_comes_first_and_never_exceeds_profit() -> None:
    s = Shares(7000, 2000, 1000, 500, "sales")         # 5% of sales (paper 004's 4-10%)
    pools = split_pools(100_000, 1_000_000, s)
    assert pools.help_fund.amount == 50_000
    assert (pools.members.amount, pools.cooperative.amount, pools.public_fund.amount) == (35_000, 10_000, 5_000)
    thin = split_pools(30_000, 1_000_000, s)           # 5% of sales is more than the profit
    assert thin.help_fund.amount == 30_000 and thin.members.amount == 0 and thin.total == 30_000


def test_help_fund_on_profit_is_a_fourth_share() -> None:
    pools = split_pools(1_000_000, 0, Shares(6000, 1500, 1000, 1500, "profit"))   # paper 002's 15%
    assert (pools.members.amount, pools.cooperative.amount, pools.public_fund.amount, pools.help_fund.amount) == (
        600_000, 150_000, 100_000, 150_000)


@pytest.mark.parametrize(("shares", "key"), [
    (Shares(7000, 2000, 900), "split.not_100"), (Shares(8000, 2100, -100), "split.negative_share"),
    (Shares(7000, 2000, 1000, 500), "split.help_without_basis"),
    (Shares(6000, 2000, 1000, 500, "profit"), "split.not_100"), (Shares(help_fund_basis="gift"), "split.bad_basis"),
])
def test_invalid_splits_are_refused(shares: Shares, key: str) -> None:
    with pytest.raises(SplitError) as err:
        split_pools(100, 100, shares)
    assert err.value.key == key


def test_largest_remainder_refuses_negative_totals() -> None:
    with pytest.raises(SplitError):
        largest_remainder(-1, {"a": 1})
