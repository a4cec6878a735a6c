"""Distribution runs in the database, on SQLite and PostgreSQL: totals, lines, loss, splits over time, approval."""

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.services import distribution as dist
from dashboard.services.errors import RuleError
from dashboard.services.split import Shares
from data_models import AuditLog, DistributionLine, DistributionRun, Member
from tests import factories as f

D = dt.date


@pytest.fixture
def coop(engine: Engine) -> dict[str, int]:
    """A 70/20/10 cooperative with three members. In 2025-07: M1 sells ¥500, M2 ¥300, M3 nothing, and the
    cooperative itself ¥200 (no member); costs ¥600.00 less one fen, so profit is ¥400.01."""
    with engine.begin() as conn:
        c = f.community(conn)
        k = f.cooperative(conn, c, "COOP1")
        f.split(conn, k)
        m1 = f.member(conn, k, "M1")
        m2 = f.member(conn, k, "M2")
        f.member(conn, k, "M3")
        f.sale(conn, k, c, "S1", member_id=m1, revenue_cents=50_000, cost_cents=30_000)
        f.sale(conn, k, c, "S2", member_id=m2, revenue_cents=30_000, cost_cents=20_000, quantity=3)
        f.sale(conn, k, c, "S3", revenue_cents=20_000, cost_cents=9_999)
    return {"community": c, "coop": k, "m1": m1}


def lines(session: Session, run: DistributionRun) -> dict[str, tuple[int, int, int]]:
    rows = session.execute(
        sa.select(Member.code, DistributionLine.basis_value, DistributionLine.amount_cents,
                  DistributionLine.rounding_adjustment_cents)
        .join(Member, Member.id == DistributionLine.member_id).where(DistributionLine.run_id == run.id)).all()
    return {code: (basis, amount, adj) for code, basis, amount, adj in rows}


def test_a_month_by_hand(engine: Engine, coop: dict[str, int]) -> None:
    with Session(engine) as s:
        run = dist.compute(s, cooperative_code="COOP1", period="2025-07", actor="manager")
        s.commit()
        # 40,001 fen: exact pools 28,000.7 / 8,000.2 / 4,000.1 -> 28,001 / 8,000 / 4,000.
        assert (run.revenue_cents, run.cost_cents, run.profit_cents) == (100_000, 59_999, 40_001)
        assert (run.member_pool_cents, run.cooperative_pool_cents, run.public_fund_cents) == (28_001, 8_000, 4_000)
        # Members' pool on revenue 50,000 / 30,000 / 0: exact 17,500.625 / 10,500.375 -> 17,501 / 10,500.
        assert lines(s, run) == {"M1": (50_000, 17_501, 1), "M2": (30_000, 10_500, 0), "M3": (0, 0, 0)}
        assert run.status == "draft" and run.code == "COOP1-2025-07-1"


def test_the_quarter_sums_its_months_and_other_bases(engine: Engine, coop: dict[str, int]) -> None:
    with engine.begin() as conn:
        f.sale(conn, coop["coop"], coop["community"], "S4", sold_on=D(2025, 9, 30), month="2025-09",
               revenue_cents=10_000, cost_cents=0, member_id=None)
        conn.execute(sa.update(f.T["cooperative"]).values(distribution_basis="quantity"))
    with Session(engine) as s:
        run = dist.compute(s, cooperative_code="COOP1", period="2025q3", actor="manager")
        assert run.period == "2025Q3" and run.profit_cents == 50_001
        assert {k: v[0] for k, v in lines(s, run).items()} == {"M1": 1, "M2": 3, "M3": 0}
        assert sum(v[1] for v in lines(s, run).values()) == run.member_pool_cents


def test_loss_pays_nothing_and_carries_forward_when_set(engine: Engine, coop: dict[str, int]) -> None:
    with engine.begin() as conn:
        conn.execute(sa.update(f.T["cooperative"]).values(carry_loss_forward=True))
        f.sale(conn, coop["coop"], coop["community"], "L1", sold_on=D(2025, 6, 3), month="2025-06",
               quarter="2025Q2", revenue_cents=1_000, cost_cents=11_000)      # June: a ¥100 loss
    with Session(engine) as s:
        june = dist.compute(s, cooperative_code="COOP1", period="2025-06", actor="manager")
        assert june.profit_cents == -10_000 and june.member_pool_cents == 0
        assert all(amount == 0 for _, amount, _ in lines(s, june).values())
        dist.approve(s, run_code=june.code, actor="chair")
        july = dist.compute(s, cooperative_code="COOP1", period="2025-07", actor="manager")
        assert july.carried_loss_cents == 10_000
        assert july.member_pool_cents + july.cooperative_pool_cents + july.public_fund_cents == 30_001


def test_without_carry_forward_the_next_period_starts_clean(engine: Engine, coop: dict[str, int]) -> None:
    with engine.begin() as conn:
        f.sale(conn, coop["coop"], coop["community"], "L1", sold_on=D(2025, 6, 3), month="2025-06",
               quarter="2025Q2", revenue_cents=1_000, cost_cents=11_000)
    with Session(engine) as s:
        dist.approve(s, run_code=dist.compute(s, cooperative_code="COOP1", period="2025-06", actor="m").code,
                     actor="chair")
        assert dist.compute(s, cooperative_code="COOP1", period="2025-07", actor="m").carried_loss_cents == 0


def test_a_split_that_changes_mid_year(engine: Engine, coop: dict[str, int]) -> None:
    with Session(engine) as s:
        dist.set_split(s, cooperative_id=coop["coop"], effective_from=D(2025, 8, 1),
                       shares=Shares(6000, 2000, 1000, 1000, "profit"), actor="chair")
        dist.set_split(s, cooperative_id=coop["coop"], effective_from=D(2025, 9, 15),
                       shares=Shares(5000, 3000, 2000), actor="chair")
        s.commit()
        july = dist.compute(s, cooperative_code="COOP1", period="2025-07", actor="m")
        assert july.member_pool_cents == 28_001 and july.help_fund_cents == 0
        july_split = july.split_id
    with engine.begin() as conn:
        for month, code in (("2025-08", "A1"), ("2025-09", "A2"), ("2025-10", "A3")):
            f.sale(conn, coop["coop"], coop["community"], code, sold_on=D(2025, int(month[5:]), 20), month=month,
                   revenue_cents=10_000, cost_cents=0, member_id=coop["m1"])
    with Session(engine) as s:
        aug = dist.compute(s, cooperative_code="COOP1", period="2025-08", actor="m")
        assert (aug.member_pool_cents, aug.help_fund_cents) == (6_000, 1_000)
        # A change inside a period applies from the next period: September keeps August's split.
        sep = dist.compute(s, cooperative_code="COOP1", period="2025-09", actor="m")
        assert sep.help_fund_cents == 1_000
        oct_ = dist.compute(s, cooperative_code="COOP1", period="2025-10", actor="m")
        assert (oct_.member_pool_cents, oct_.cooperative_pool_cents, oct_.help_fund_cents) == (5_000, 3_000, 0)
        # The July run still records the split it was computed with.
        assert july_split != oct_.split_id


def test_whoever_computed_a_run_cannot_approve_it(engine: Engine, coop: dict[str, int]) -> None:
    with Session(engine) as s:
        run = dist.compute(s, cooperative_code="COOP1", period="2025-07", actor="manager")
        with pytest.raises(RuleError) as same:
            dist.approve(s, run_code=run.code, actor="manager")
        assert same.value.key == "distribution.four_eyes" and run.status == "draft"
        assert dist.open_draft(s, cooperative_code="COOP1", period="2025-07").code == run.code
        assert dist.approve(s, run_code=run.code, actor="chair").approved_by == "chair"
        with pytest.raises(RuleError) as none:
            dist.open_draft(s, cooperative_code="COOP1", period="2025-07")
        assert none.value.key == "distribution.no_draft"


def test_an_approved_run_cannot_be_changed(engine: Engine, coop: dict[str, int]) -> None:
    with Session(engine) as s:
        run = dist.compute(s, cooperative_code="COOP1", period="2025-07", actor="manager")
        dist.approve(s, run_code=run.code, actor="chair")
        s.commit()
        code = run.code
        with pytest.raises(RuleError) as again:
            dist.compute(s, cooperative_code="COOP1", period="2025-07", actor="manager")
        assert again.value.key == "distribution.already_approved"
        with pytest.raises(RuleError):
            dist.approve(s, run_code=code, actor="chair")
    # Not even raw SQL gets past the database's triggers.
    for sql in ("UPDATE distribution_run SET member_pool_cents = member_pool_cents + 1",
                "UPDATE distribution_run SET status = 'draft'",
                "DELETE FROM distribution_run",
                "UPDATE distribution_line SET amount_cents = amount_cents + 1",
                "DELETE FROM distribution_line"):
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text(sql))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT SUM(amount_cents) FROM distribution_line")).scalar_one() == 28_001


def test_a_correction_reverses_and_replaces_and_both_are_kept(engine: Engine, coop: dict[str, int]) -> None:
    with Session(engine) as s:
        first = dist.compute(s, cooperative_code="COOP1", period="2025-07", actor="manager")
        dist.approve(s, run_code=first.code, actor="chair")
        s.commit()
        first_id = first.id
    with engine.begin() as conn:     # a late sale is found
        f.sale(conn, coop["coop"], coop["community"], "S9", member_id=None, revenue_cents=9_999, cost_cents=0)
    with Session(engine) as s:
        fix = dist.compute(s, cooperative_code="COOP1", period="2025-07", actor="manager", correction=True)
        assert fix.replaces_run_id == first_id and fix.code == "COOP1-2025-07-2"
        dist.approve(s, run_code=fix.code, actor="chair")
        s.commit()
        statuses = dict(s.execute(sa.select(DistributionRun.code, DistributionRun.status)).all())
        assert statuses == {"COOP1-2025-07-1": "reversed", "COOP1-2025-07-2": "approved"}
        actions = [a for (a,) in s.execute(sa.select(AuditLog.action).where(AuditLog.entity == "distribution_run")
                                          .order_by(AuditLog.id))]
        assert actions == ["create", "approve", "create", "reverse", "approve"]


def test_recomputing_a_draft_replaces_it(engine: Engine, coop: dict[str, int]) -> None:
    with Session(engine) as s:
        dist.compute(s, cooperative_code="COOP1", period="2025-07", actor="m")
        dist.compute(s, cooperative_code="COOP1", period="2025-07", actor="m")
        s.commit()
        assert s.execute(sa.select(sa.func.count()).select_from(DistributionRun)).scalar_one() == 1
        assert s.execute(sa.select(sa.func.count()).select_from(DistributionLine)).scalar_one() == 3


def test_an_approval_names_the_draft_it_saw_and_a_recomputed_one_is_refused(engine: Engine,
                                                                           coop: dict[str, int]) -> None:
    """A recomputation deletes the draft and the new one takes the same code: approving by code alone approved
    figures the approver never saw. Named by when it was computed, the draft seen is refused; the new one passes."""
    with Session(engine) as s:
        seen = dist.compute(s, cooperative_code="COOP1", period="2025-07", actor="m")
        seen_at, code = seen.created_at, seen.code
        s.commit()
    with Session(engine) as s:        # someone else recomputes meanwhile
        again = dist.compute(s, cooperative_code="COOP1", period="2025-07", actor="other")
        s.commit()
        assert again.code == code
        new_at = again.created_at
    with Session(engine) as s:
        with pytest.raises(RuleError) as refused:
            dist.approve(s, run_code=code, computed_at=seen_at, actor="checker")
        assert refused.value.key == "distribution.recomputed_meanwhile" and "other" in str(refused.value)
        s.rollback()
        assert dist.approve(s, run_code=code, computed_at=new_at, actor="checker").status == "approved"
        s.commit()


@pytest.mark.parametrize(("kwargs", "key"), [
    ({"cooperative_code": "NOPE", "period": "2025-07"}, "distribution.unknown_coop"),
    ({"cooperative_code": "COOP1", "period": "2025-13"}, "distribution.bad_period"),
    ({"cooperative_code": "COOP1", "period": "2024-12"}, "distribution.no_split"),
    ({"cooperative_code": "COOP1", "period": "2025-07", "correction": True}, "distribution.nothing_to_correct"),
])
def test_refusals_name_the_problem(engine: Engine, coop: dict[str, int], kwargs: dict, key: str) -> None:
    with Session(engine) as s, pytest.raises(RuleError) as err:
        dist.compute(s, actor="m", **kwargs)
    assert err.value.key == key


def test_a_pool_nobody_has_a_basis_for_is_refused(engine: Engine, coop: dict[str, int]) -> None:
    with engine.begin() as conn:
        f.sale(conn, coop["coop"], coop["community"], "Z1", sold_on=D(2025, 11, 2), month="2025-11",
               member_id=None, revenue_cents=5_000, cost_cents=0)
    with Session(engine) as s, pytest.raises(RuleError) as err:
        dist.compute(s, cooperative_code="COOP1", period="2025-11", actor="m")
    assert err.value.key == "distribution.no_member_basis"


def test_a_split_that_does_not_total_100_is_refused(engine: Engine, coop: dict[str, int]) -> None:
    with Session(engine) as s, pytest.raises(RuleError) as err:
        dist.set_split(s, cooperative_id=coop["coop"], effective_from=D(2026, 1, 1), shares=Shares(7000, 2000, 900),
                       actor="chair")
    assert err.value.key == "split.not_100"


def test_a_month_and_its_quarter_cannot_both_pay_out(engine: Engine, coop: dict[str, int]) -> None:
    with Session(engine) as s:
        dist.compute(s, cooperative_code="COOP1", period="2025-07", actor="m")
        with pytest.raises(RuleError) as err:
            dist.compute(s, cooperative_code="COOP1", period="2025Q3", actor="m")
        assert err.value.key == "distribution.overlaps" and err.value.params["code"] == "COOP1-2025-07-1"
        assert "COOP1-2025-07-1" in err.value.message()
