"""The demo's 五步协商 cases: every step and every new enum column has rows; the requests agree with their cases."""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.queries import consultation as q
from dashboard.services import consultation as svc
from data_models import CaseCheck, CaseEvent, CaseParty, CaseRequest, ConsultationCase, Request, RequestEvent
from data_models.base import table_of
from seed.common import DATA_END, to_date

CASES, PARTIES, LINKS = table_of(ConsultationCase), table_of(CaseParty), table_of(CaseRequest)
CHECKS, EVENTS, R, RE = table_of(CaseCheck), table_of(CaseEvent), table_of(Request), table_of(RequestEvent)
END = to_date(DATA_END)


def values(engine: Engine, column: sa.Column) -> set[str]:
    with engine.connect() as conn:
        return {v for v in conn.execute(sa.select(column).distinct()).scalars() if v is not None}


def test_every_step_and_kind_has_demo_rows(demo_engine: Engine) -> None:
    assert values(demo_engine, CASES.c.step) == {"collection", "invitation", "solution", "supervision", "closed"}
    assert values(demo_engine, CHECKS.c.kind) == {"weekly_check", "monthly_feedback"}
    assert values(demo_engine, PARTIES.c.kind) == {"property_management", "practitioner", "resident_rep",
                                                   "committee"}
    assert values(demo_engine, EVENTS.c.to_step) >= {"collection", "invitation", "meeting", "solution",
                                                    "supervision", "closed"}
    assert values(demo_engine, EVENTS.c.from_step) >= {"collection", "invitation", "meeting", "solution",
                                                      "supervision"}


def test_the_supervised_case_has_a_missed_weekly_check_and_the_closed_one_none(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        listed = q.cases(s, community_id=None, today=END).set_index("title")
        assert listed.loc["夜间直播噪音", "step"] == "supervision"
        assert (listed.loc["夜间直播噪音", "overdue_checks"], listed.loc["夜间直播噪音", "overdue_feedback"]) == (1, 0)
        assert listed.loc["单元门口快递堆放", "step"] == "closed"
        assert listed.loc["单元门口快递堆放", "overdue_checks"] == 0
        # the closed case met the closing rule: its latest check and feedback held
        closed_id = s.execute(sa.select(CASES.c.id).where(CASES.c.title == "单元门口快递堆放")).scalar_one()
        assert svc.close_blocker(s, closed_id) is None
        later = q.cases(s, community_id=None, today=END + dt.timedelta(days=60)).set_index("title")
        assert later.loc["夜间直播噪音", "overdue_checks"] > 1


def test_case_requests_agree_with_their_cases_and_histories(demo_engine: Engine) -> None:
    with demo_engine.connect() as conn:
        rows = conn.execute(sa.select(R.c.code, R.c.status, R.c.lead_unit_id, R.c.deadline, R.c.closed_on,
                                      R.c.outcome, R.c.community_id, CASES.c.community_id.label("case_community"),
                                      CASES.c.step, CASES.c.closed_on.label("case_closed"), CASES.c.opened_on,
                                      CASES.c.version, CASES.c.id.label("case_id"))
                            .join(LINKS, LINKS.c.request_id == R.c.id).join(CASES, CASES.c.id == LINKS.c.case_id)
                            ).all()
        assert len(rows) == 7
        for r in rows:
            assert r.community_id == r.case_community and r.lead_unit_id is None and r.deadline is None
            moves = conn.execute(sa.select(RE.c.move, RE.c.on).join(R, R.c.id == RE.c.request_id)
                                 .where(R.c.code == r.code).order_by(RE.c.id)).all()
            names = [m for m, _ in moves]
            if r.step == "closed":
                assert r.status == "closed" and r.outcome == "solved" and r.closed_on == r.case_closed
                assert names == ["collect", "classify", "consult", "finish", "close"]
            else:
                assert r.status == "in_progress" and names == ["collect", "classify", "consult"]
            assert moves[2][1] == r.opened_on
            events = conn.execute(sa.select(sa.func.count()).where(EVENTS.c.case_id == r.case_id)).scalar_one()
            assert events == r.version
