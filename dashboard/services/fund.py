"""The community public fund: spending out of it, never more than its balance, each entry audited."""

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session

from dashboard import audit, locks
from dashboard.periods import shanghai_today
from dashboard.queries.cooperative import fund_balance, fund_ledger
from dashboard.services.errors import RuleError
from data_models import FundSpending


def add_spending(session: Session, *, cooperative_id: int, spent_on: dt.date, purpose: str, amount_cents: int,
                 approver: str, actor: str, code: str | None = None, today: dt.date | None = None) -> FundSpending:
    """Record a payment out of the fund; `today` (default: today in Shanghai) refuses a payment dated later."""
    purpose, approver = purpose.strip(), approver.strip()
    if spent_on > (today or shanghai_today()):
        raise RuleError("fund.future_date", date=spent_on.isoformat())
    if amount_cents <= 0:
        raise RuleError("fund.amount_positive")
    if not purpose:
        raise RuleError("fund.purpose_required")
    if not approver:
        raise RuleError("fund.approver_required")
    # One spending at a time: two that each fit the balance must not both be paid, nor take the same number.
    locks.serialise(session.connection(), "fund_spending")
    # A back-dated payment lowers every later balance too, so it must fit under the lowest of them.
    ledger = fund_ledger(session, cooperative_id=cooperative_id)
    later = ledger.loc[ledger["on"] > spent_on, "balance_cents"]
    balance = min([fund_balance(session, cooperative_id=cooperative_id, on=spent_on), *map(int, later)])
    if amount_cents > balance:
        raise RuleError("fund.over_balance", balance=f"{balance / 100:,.2f}", amount=f"{amount_cents / 100:,.2f}")
    if code is None:
        n = session.execute(sa.select(sa.func.count()).select_from(FundSpending)).scalar_one()
        code = f"F{spent_on:%Y%m%d}-{n + 1:05d}"
    row = FundSpending(code=code, cooperative_id=cooperative_id, spent_on=spent_on, purpose=purpose,
                       amount_cents=amount_cents, approver=approver)
    session.add(row)
    session.flush()
    audit.record(session.connection(), actor=actor, action="create", entity="fund_spending", entity_id=code,
                 after=row.model_dump(mode="json"))
    return row
