"""request_stats: the 直播治理诉求 figures that do not depend on today, per community, quarter, category and lead unit.

Kept current on write by dashboard/request_stats.py; the request page reads its trend and summary from it.
"""

from sqlmodel import Field, SQLModel


class RequestStat(SQLModel, table=True):
    """The requests raised in one community in one quarter, of one category, with one lead unit, counted as they stand:
    one row per group that has requests. What depends on today (open and overdue, at risk) is not here: it is read
    live from the open requests. The page sums the rows per quarter (trend and summary), per category or per unit."""

    __tablename__ = "request_stats"
    # SQLite keeps the rows in primary-key order (quarter first): a quarter's rows are read in one range, not looked
    # up one by one through a separate index.
    __table_args__ = {"sqlite_with_rowid": False}

    quarter: str = Field(max_length=6, primary_key=True)      # first: the page reads quarters of every community
    community_id: int = Field(foreign_key="community.id", primary_key=True)
    category: str = Field(max_length=32, primary_key=True)
    lead_unit_id: int = Field(primary_key=True)     # the current lead unit; 0 for none yet (not a reference)
    collected: int
    finished: int               # 已办结 / 已公示反馈 / 已关闭, 不合理诉求 included
    solved: int                 # finished, 已解决
    partly_solved: int          # finished, 部分解决
    counted: int                # finished except 不合理诉求 (the 解决率's and the on-time rate's denominator)
    on_time: int                # counted and finished by the deadline
    untimed: int = 0            # counted but with no deadline (settled by a 五步协商 case): out of the on-time rate
    unreasonable: int           # finished as 不合理诉求
    reopened: int               # reopened at least once
    sent_back: int              # sent back (退回) at least once
    responded: int              # first routed within one working day of being raised (on the calendar at refresh)
    cb_satisfied: int           # callbacks by result, of requests that are not 不合理诉求
    cb_basically_satisfied: int
    cb_dissatisfied: int
    cb_unreachable: int
