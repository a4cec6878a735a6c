"""Two people at once: the audit chain holds, one of two lifecycle moves wins, the loser reads a message, undo is fresh.

Each race starts its writers together at a barrier, so they really overlap, and is repeated; it runs on SQLite
and on PostgreSQL.
"""

import datetime as dt
import io
import threading
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import accounts, audit
from dashboard.excel import importer
from dashboard.i18n import set_language
from dashboard.queries.cooperative import fund_balance
from dashboard.services import distribution as dist
from dashboard.services import fund
from dashboard.services import needs as svc
from dashboard.services.errors import RuleError
from tests import factories as f

D = dt.date
TODAY = D(2025, 12, 1)
PASSWORD = "correct horse battery"


def race(n: int, job: Callable[[int], Any]) -> list[Any]:
    """Run job(0) … job(n-1) in n threads released together; each result is its return value or its exception."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = job(i)
        except Exception as exc:  # noqa: BLE001  (the race's outcome, checked by the test)
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def verdict(engine: Engine) -> audit.Verdict:
    with engine.connect() as conn:
        return audit.verify(conn)


def audit_count(engine: Engine, **where: str) -> int:
    a = audit.TABLE.c
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(audit.TABLE)
                            .where(*(a[k] == v for k, v in where.items()))).scalar_one()


# --- item 7: the audit chain ------------------------------------------------------------------------------------

def test_appends_at_once_keep_one_chain(engine: Engine) -> None:
    def append(i: int) -> None:
        with engine.begin() as conn:
            audit.record(conn, actor=f"u{i}", action="test", entity="race", entity_id=str(i))

    for _ in range(3):
        assert race(24, append) == [None] * 24
    v = verdict(engine)
    assert v.ok, v
    assert v.checked == 72


HEADER = ["从业者编号", "社区编号", "姓名", "性别", "出生年份", "学历", "户籍", "就业形态", "职业",
          "日工作时长（小时）", "登记日期", "月收入（元）"]


def practitioners_file(rows: list[tuple[str, str]]) -> bytes:
    """A practitioners workbook: one row per (code, name)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADER)
    for code, name in rows:
        ws.append([code, "C1", name, "女", 1990, "初中", "农业户口", "灵活从业者", "主播", 9, "2025-03-01", 3200])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def signed_up(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """Community C1 and four accounts with the same password, hashed cheaply: the race is about the audit log."""
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts, "HASHER", cheap)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", cheap.hash("dummy password"))
    set_language("zh")
    with engine.begin() as conn:
        f.community(conn, "C1")
    with Session(engine) as session:
        for name in ("wang", "li", "zhao", "sun"):
            accounts.create_user(session, username=name, role="social_worker", actor="test", password=PASSWORD)
        session.commit()
    return engine


def test_24_sign_ins_and_4_imports_at_once_keep_the_chain(signed_up: Engine) -> None:
    """24 signed-in commands (right, wrong and unknown passwords) and 4 imports, all released together."""
    names = ["wang", "li", "zhao", "sun", "nobody"]
    files = [practitioners_file([(f"P{k}{j}", f"从业者{k}{j}") for j in range(30)]) for k in range(4)]

    def job(i: int) -> str:
        if i < 4:
            return importer.import_file(signed_up, "practitioners", files[i], f"{i}.xlsx", actor="wang").status
        try:
            return accounts.login(signed_up, username=names[i % 5], password=PASSWORD if i % 3 else "wrong-pass",
                                  channel="cli").username
        except RuleError as err:
            return err.key

    outcomes: list[Any] = []
    for _ in range(2):
        outcomes += race(28, job)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert outcomes.count("committed") == 8 - outcomes.count("rejected")
    v = verdict(signed_up)
    assert v.ok, v
    assert audit_count(signed_up, entity="user") == 4 + 48


# --- item 8: two moves of one need ------------------------------------------------------------------------------

@pytest.fixture
def practitioner(engine: Engine) -> Engine:
    with engine.begin() as conn:
        c = f.community(conn, "C1")
        f.practitioner(conn, c, "P1")
    set_language("zh")
    return engine


def test_two_moves_of_one_need_exactly_one_wins(practitioner: Engine) -> None:
    engine = practitioner
    for trial in range(20):
        with Session(engine) as s:
            code = svc.record_need(s, practitioner_code="P1", category="rights_protection", severity="high",
                                   description="", identified_on=D(2025, 11, 3), actor="李社工", today=TODAY).code
            s.commit()

        def move(i: int, code: str = code) -> str:
            with Session(engine) as s:
                svc.advance_need(s, need_code=code, to_status="assessed", on=D(2025, 11, 4), actor=f"社工{i}",
                                 today=TODAY)
                s.commit()
            return "moved"

        outcomes = race(2, move)
        assert outcomes.count("moved") == 1, (trial, outcomes)
        losers = [o for o in outcomes if o != "moved"]
        assert len(losers) == 1 and isinstance(losers[0], RuleError), (trial, outcomes)
        assert losers[0].key in ("needs.moved_meanwhile", "needs.skip"), losers[0]
        with engine.connect() as conn:
            events = conn.execute(sa.text("SELECT COUNT(*) FROM need_event e JOIN need_assessment n "
                                          "ON n.id = e.need_id WHERE n.code = :c"), {"c": code}).scalar_one()
        assert events == 2, (trial, events)                        # identified, and one move
        assert audit_count(engine, entity="need_assessment", entity_id=code) == 2
    assert verdict(engine).ok


def test_needs_recorded_at_once_get_their_own_codes(practitioner: Engine) -> None:
    def record(i: int) -> str:
        with Session(practitioner) as s:
            code = svc.record_need(s, practitioner_code="P1", category="rights_protection", severity="high",
                                   description=f"{i}", identified_on=D(2025, 11, 3), actor="李社工", today=TODAY).code
            s.commit()
        return code

    for _ in range(3):
        codes = race(4, record)
        assert all(isinstance(c, str) for c in codes), codes
    with practitioner.connect() as conn:
        stored = conn.execute(sa.text("SELECT code FROM need_assessment ORDER BY code")).scalars().all()
    assert stored == [f"N20251103{n:03d}" for n in range(1, 13)]
    assert verdict(practitioner).ok


def test_a_move_made_meanwhile_is_refused_with_a_message(practitioner: Engine) -> None:
    """The loser's view: it read the need before the winner committed, and is told someone else moved it."""
    engine = practitioner
    with Session(engine) as s:
        code = svc.record_need(s, practitioner_code="P1", category="rights_protection", severity="high",
                               description="", identified_on=D(2025, 11, 3), actor="李社工", today=TODAY).code
        s.commit()
    with Session(engine) as late:
        # What a page showed: the need as it was read before someone else's move (kept in the session).
        shown = late.execute(sa.select(svc.NeedAssessment).where(svc.NeedAssessment.code == code)).scalar_one()
        with Session(engine) as first:
            svc.advance_need(first, need_code=code, to_status="assessed", on=D(2025, 11, 4), actor="a", today=TODAY)
            first.commit()
        with pytest.raises(RuleError) as err:
            svc.advance_need(late, need_code=code, to_status="assessed", on=D(2025, 11, 4), actor="b", today=TODAY)
    assert shown.status == "identified" and err.value.key == "needs.moved_meanwhile"
    assert "其他人" in err.value.message() and code in err.value.message()


# --- item 9: two approvals of one run ---------------------------------------------------------------------------

@pytest.fixture
def coop(engine: Engine) -> Engine:
    with engine.begin() as conn:
        c = f.community(conn)
        k = f.cooperative(conn, c, "COOP1")
        f.split(conn, k)
        m1 = f.member(conn, k, "M1")
        for month in range(1, 11):
            f.sale(conn, k, c, f"S{month}", member_id=m1, sold_on=D(2025, month, 1), month=f"2025-{month:02d}",
                   quarter=f"2025Q{(month + 2) // 3}")
    set_language("zh")
    return engine


def test_two_approvals_at_once_one_wins_and_the_other_reads_the_cli_message(coop: Engine) -> None:
    for month in range(1, 11):
        period = f"2025-{month:02d}"
        with Session(coop) as s:
            run_code = dist.compute(s, cooperative_code="COOP1", period=period, actor="manager").code
            s.commit()

        def approve(i: int, run_code: str = run_code) -> str:
            with Session(coop) as s:
                dist.approve(s, run_code=run_code, actor=f"approver{i}")
                s.commit()
            return "approved"

        outcomes = race(2, approve)
        assert outcomes.count("approved") == 1, (period, outcomes)
        loser = next(o for o in outcomes if o != "approved")
        assert isinstance(loser, RuleError), (period, loser)
        assert loser.key == "distribution.not_draft" and run_code in loser.message()
    assert verdict(coop).ok


def test_two_spendings_at_once_never_overdraw_the_public_fund(coop: Engine) -> None:
    """Each spending fits the balance alone, not together: one goes through, the other is refused."""
    with Session(coop) as s:
        run_code = dist.compute(s, cooperative_code="COOP1", period="2025Q3", actor="manager").code
        dist.approve(s, run_code=run_code, actor="chair", at=dt.datetime(2025, 10, 8, tzinfo=dt.UTC))
        s.commit()
        coop_id = dist.cooperative_by_code(s, "COOP1").id
        balance = fund_balance(s, cooperative_id=coop_id, on=D(2025, 12, 1))
    assert balance > 0
    half = balance // 2 + 1
    for trial in range(2):
        def spend(i: int) -> str:
            with Session(coop) as s:
                fund.add_spending(s, cooperative_id=coop_id, spent_on=D(2025, 12, 1), purpose="困难帮扶",
                                  amount_cents=half, approver="理事会", actor=f"manager{i}")
                s.commit()
            return "spent"

        outcomes = race(3, spend)
        assert not [o for o in outcomes if not (o == "spent" or isinstance(o, RuleError))], outcomes
        with Session(coop) as s:
            left = fund_balance(s, cooperative_id=coop_id, on=D(2025, 12, 1))
        assert outcomes.count("spent") == 1 - trial and left == balance - half, outcomes
        assert all(o.key == "fund.over_balance" for o in outcomes if o != "spent")
    assert verdict(coop).ok


# --- item 10: undo after two updating imports at once -----------------------------------------------------------

def test_undo_after_two_updating_imports_at_once_restores_what_was_there(practitioner: Engine) -> None:
    engine = practitioner
    for trial in range(8):
        code = f"Q{trial}"
        assert importer.import_file(engine, "practitioners", practitioners_file([(code, "原名")]), "base.xlsx",
                                    actor="x").status == "committed"
        files = {"A": practitioners_file([(code, "甲")]), "B": practitioners_file([(code, "乙")])}

        def update(i: int, files: dict[str, bytes] = files) -> importer.ImportResult:
            name = "AB"[i]
            return importer.import_file(engine, "practitioners", files[name], f"{name}.xlsx", actor=name)

        results = race(2, update)
        assert all(isinstance(r, importer.ImportResult) for r in results), results
        committed = [r for r in results if r.status == "committed"]
        assert committed, results
        for r in results:
            if r.status != "committed":        # refused: it checked against values another import just changed
                assert [e.message for e in r.errors] == [importer.t("excel.changed_meanwhile")]
        with engine.connect() as conn:
            kept = conn.execute(sa.text("SELECT file_name FROM import_batch WHERE undone_at IS NULL "
                                        "ORDER BY id DESC LIMIT 2")).scalars().all()
        expected = "原名" if len(committed) == 1 else {"A.xlsx": "甲", "B.xlsx": "乙"}[kept[1]]
        importer.undo_last(engine, "practitioners", actor="admin")
        with engine.connect() as conn:
            name = conn.execute(sa.text("SELECT name FROM practitioner WHERE code = :c"), {"c": code}).scalar_one()
        assert name == expected, (trial, [r.status for r in results], kept)
    assert verdict(engine).ok


NEEDS_HEAD = ["需求编号", "从业者编号", "需求类别", "紧急程度", "状态", "需求描述", "识别日期", "评估日期", "响应日期",
              "反馈日期", "结案日期", "满意度", "负责社工"]


def test_imports_of_tables_the_summaries_watch_run_one_after_the_other(practitioner: Engine) -> None:
    """PostgreSQL. A practitioners import marks the pairs of its practitioners' needs too (migration 0019), and an
    import writes its changed rows one statement each: a practitioners import and a needs (or sales, enrolments,
    follow-ups) import at once could each hold a mark the other waited for, and PostgreSQL aborted one of them (the
    review). Every import, and undo, of a table the summaries watch takes one lock first."""
    engine = practitioner
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    rows = [NEEDS_HEAD, ["NX1", "P1", "rights_protection", "medium", "identified", "并发", "2025-11-03", "", "", "",
                         "", "", "社工乙"]]
    data = "\n".join(",".join(r) for r in rows).encode("utf-8")
    holder = engine.connect()
    tx = holder.begin()
    importer._serialise_imports(holder, importer.ENTITIES["practitioners"])     # a practitioners import, writing
    done = threading.Event()
    result: list[Any] = []

    def needs_import() -> None:
        result.append(importer.import_file(engine, "needs", data, "n.csv", actor="乙", today=TODAY))
        done.set()

    thread = threading.Thread(target=needs_import)
    thread.start()
    try:
        assert not done.wait(2.0), result          # it waits for the practitioners import to end
    finally:
        tx.rollback()
        holder.close()
    thread.join(60)
    assert done.is_set() and result[0].status == "committed", result
