"""分配明细单: one member's statement for one run, as data, as an xlsx workbook, in the user's language."""

import datetime as dt
import io
from dataclasses import dataclass
from fractions import Fraction
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import xlsxwriter
from sqlmodel import Session, col

from dashboard.i18n import fmt_yuan, label, t
from dashboard.privacy import mask_name
from dashboard.services.errors import RuleError
from data_models import Cooperative, CooperativeSplit, DistributionLine, DistributionRun, Member, User
from data_models.enums import DistributionBasis, HelpFundBasis, RunStatus


@dataclass(frozen=True)
class Statement:
    cooperative: str
    run_code: str
    period: str
    period_start: str
    period_end: str
    status: str
    approved_by: str | None
    approved_at: str | None
    member_code: str
    member_name: str
    basis: str
    revenue_cents: int
    cost_cents: int
    profit_cents: int
    carried_loss_cents: int
    split: tuple[int, int, int, int, str]       # member, cooperative, public fund, help fund (bp), help basis
    member_pool_cents: int
    cooperative_pool_cents: int
    public_fund_cents: int
    help_fund_cents: int
    contribution: int                            # the member's basis value (cents of revenue, units, shares)
    contribution_total: int
    exact_cents: Fraction
    amount_cents: int
    adjustment_cents: int

    @property
    def share(self) -> float:
        return self.contribution / self.contribution_total if self.contribution_total else 0.0


SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(at: dt.datetime) -> str:
    """A stored UTC time as the pages show it: Asia/Shanghai, to the minute."""
    return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def statement(session: Session, *, run_code: str, member_code: str) -> Statement:
    r, ln = DistributionRun, DistributionLine
    row = session.execute(
        sa.select(r, col(Cooperative.name), col(Member.code), col(Member.name), col(ln.basis_value),
                  col(ln.amount_cents), col(ln.rounding_adjustment_cents), CooperativeSplit)
        .join(Cooperative, col(Cooperative.id) == r.cooperative_id).join(ln, col(ln.run_id) == r.id)
        .join(Member, col(Member.id) == ln.member_id).join(CooperativeSplit, col(CooperativeSplit.id) == r.split_id)
        .where(col(r.code) == run_code, col(Member.code) == member_code)).first()
    if row is None:
        raise RuleError("statement.not_found", run=run_code, member=member_code)
    run, coop_name, m_code, m_name, basis_value, amount, adjustment, split = row
    approver = None if run.approved_by is None else session.execute(
        sa.select(sa.func.coalesce(sa.func.nullif(User.display_name, ""), User.username))
        .where(col(User.username) == run.approved_by)).scalar_one_or_none() or run.approved_by
    total = int(session.execute(sa.select(sa.func.coalesce(sa.func.sum(ln.basis_value), 0))
                                .where(col(ln.run_id) == run.id)).scalar_one())
    exact = Fraction(run.member_pool_cents * int(basis_value), total) if total else Fraction(0)
    return Statement(
        cooperative=coop_name, run_code=run.code, period=run.period, period_start=run.period_start.isoformat(),
        period_end=run.period_end.isoformat(), status=str(run.status), approved_by=approver,
        approved_at=None if run.approved_at is None else _local(run.approved_at),
        member_code=m_code, member_name=m_name, basis=str(run.basis), revenue_cents=run.revenue_cents,
        cost_cents=run.cost_cents, profit_cents=run.profit_cents, carried_loss_cents=run.carried_loss_cents,
        split=(split.member_bp, split.cooperative_bp, split.public_fund_bp, split.help_fund_bp,
               str(split.help_fund_basis)),
        member_pool_cents=run.member_pool_cents, cooperative_pool_cents=run.cooperative_pool_cents,
        public_fund_cents=run.public_fund_cents, help_fund_cents=run.help_fund_cents,
        contribution=int(basis_value), contribution_total=total, exact_cents=exact, amount_cents=int(amount),
        adjustment_cents=int(adjustment),
    )


def _contribution_text(s: Statement, value: int) -> str:
    return fmt_yuan(value) if s.basis == "revenue" else f"{value:,}"


def statement_rows(s: Statement, visible: bool = True) -> list[tuple[str, str]]:
    """The statement as (label, value) pairs: what the page shows and the workbook lays out.

    With `visible` False (meeting mode, or a role that may not see personal data) the name is masked.
    """
    m, c, f, h, hb = s.split
    split_text = f"{m / 100:g}% / {c / 100:g}% / {f / 100:g}%"
    if hb != "none":
        split_text += f" + {t('statement.help_fund')} {h / 100:g}% ({label(HelpFundBasis(hb))})"
    approved = f"{s.approved_by} · {s.approved_at}" if s.approved_by else "—"
    return [
        (t("statement.cooperative"), s.cooperative),
        (t("statement.period"), t("statement.period_value", period=s.period, start=s.period_start, end=s.period_end)),
        (t("statement.member"), t("statement.member_value", name=s.member_name if visible else mask_name(s.member_name),
                                  code=s.member_code)),
        (t("statement.run"), f"{s.run_code} · {label(RunStatus(s.status))}"),
        (t("statement.approved"), approved),
        (t("statement.revenue"), fmt_yuan(s.revenue_cents)),
        (t("statement.cost"), fmt_yuan(s.cost_cents)),
        (t("statement.profit"), fmt_yuan(s.profit_cents)),
        (t("statement.carried_loss"), fmt_yuan(s.carried_loss_cents)),
        (t("statement.split"), split_text),
        (t("statement.member_pool"), fmt_yuan(s.member_pool_cents)),
        (t("statement.cooperative_pool"), fmt_yuan(s.cooperative_pool_cents)),
        (t("statement.public_fund"), fmt_yuan(s.public_fund_cents)),
        (t("statement.help_fund"), fmt_yuan(s.help_fund_cents)),
        (t("statement.basis"), label(DistributionBasis(s.basis))),
        (t("statement.contribution"), _contribution_text(s, s.contribution)),
        (t("statement.contribution_total"), _contribution_text(s, s.contribution_total)),
        (t("statement.share"), f"{s.share * 100:.4f}%"),
        (t("statement.exact"), f"¥{float(s.exact_cents) / 100:,.4f}"),
        (t("statement.adjustment"), f"{s.adjustment_cents:+d} {t('statement.fen')}"),
        (t("statement.amount"), fmt_yuan(s.amount_cents)),
    ]


def statement_xlsx(s: Statement, visible: bool = True) -> bytes:
    """A one-sheet workbook: typed money cells (yuan, 2 decimals), text labels, ready to print on A4.

    With `visible` False (a role that may not see personal data, or meeting mode) the name is masked."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet(t("statement.sheet"))
    title = wb.add_format({"bold": True, "font_size": 16})
    key = wb.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    text = wb.add_format({"border": 1})
    money = wb.add_format({"border": 1, "num_format": "¥#,##0.00"})
    pct = wb.add_format({"border": 1, "num_format": "0.0000%"})
    total = wb.add_format({"border": 2, "bold": True, "num_format": "¥#,##0.00", "font_size": 13})
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 46)
    ws.write(0, 0, t("statement.title"), title)
    typed = {
        t("statement.revenue"): (s.revenue_cents, money), t("statement.cost"): (s.cost_cents, money),
        t("statement.profit"): (s.profit_cents, money), t("statement.carried_loss"): (s.carried_loss_cents, money),
        t("statement.member_pool"): (s.member_pool_cents, money),
        t("statement.cooperative_pool"): (s.cooperative_pool_cents, money),
        t("statement.public_fund"): (s.public_fund_cents, money), t("statement.help_fund"): (s.help_fund_cents, money),
        t("statement.amount"): (s.amount_cents, total),
    }
    for i, (name, value) in enumerate(statement_rows(s, visible), start=2):
        ws.write_string(i, 0, name, key)
        if name in typed:
            cents, fmt = typed[name]
            ws.write_number(i, 1, cents / 100, fmt)
        elif name == t("statement.share"):
            ws.write_number(i, 1, s.share, pct)
        elif name in (t("statement.contribution"), t("statement.contribution_total")) and s.basis == "revenue":
            cents = s.contribution if name == t("statement.contribution") else s.contribution_total
            ws.write_number(i, 1, cents / 100, money)
        else:
            ws.write_string(i, 1, value, text)      # text stays text: nothing here is read as a formula
    ws.write_string(len(statement_rows(s)) + 3, 0, t("statement.footer"))
    ws.set_paper(9)
    ws.fit_to_pages(1, 1)
    wb.close()
    return buf.getvalue()
