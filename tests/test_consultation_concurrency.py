"""Two people at once on 五步协商: two moves on one case, two cases opened on one request; exactly one wins.

Each writer has its own session in its own thread; both read what their page showed before either writes. Runs on
PostgreSQL (required in CI) and on SQLite.
"""

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import audit
from dashboard.accounts import Principal
from dashboard.i18n import set_language
from dashboard.services import consultation as svc
from dashboard.services import request_steps
from dashboard.services import requests as rsvc
from dashboard.services.errors import RuleError
from data_models.enums import Role
from tests import factories as f

D = dt.date
TODAY = D(2025, 12, 31)
SW = Principal("sw", Role.social_worker)
SW2 = Principal("sw2", Role.social_worker)


def setup(engine: Engine) -> None:
    set_language("zh")
    with engine.begin() as conn:
        c1 = f.community(conn, "C1")
        f.livestream(conn, c1, "L1", held_on=D(2025, 11, 3), quarter="2025Q4")


def classified(engine: Engine) -> str:
    with Session(engine) as s:
        code = rsvc.collect(s, livestream_code="L1", category="livestream_noise", description="晚上直播太吵",
                            raised_on=D(2025, 11, 3), actor=SW, today=TODAY).code
        rsvc.classify(s, code, version=1, category="livestream_noise", priority="general", actor=SW,
                      on=D(2025, 11, 3), today=TODAY)
        s.commit()
    return code


def race(engine: Engine, jobs: list[Callable[[Session], Any]], read: Callable[[Session], Any]) -> list[Any]:
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def run(i: int) -> None:
        try:
            with Session(engine) as s:
                read(s)                 # what this person's page read, before either writes
                barrier.wait()
                jobs[i](s)
                s.commit()
            results[i] = "won"
        except Exception as exc:  # noqa: BLE001  (the race's outcome, checked by the caller)
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def count(engine: Engine, sql: str, **params: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql), params).scalar_one())


def test_two_cases_opened_on_one_request_exactly_one_wins(engine: Engine) -> None:
    setup(engine)
    for trial in range(6):
        code = classified(engine)
        jobs = [lambda s, who=who, code=code: svc.open_case(  # type: ignore[misc]
                    s, request_codes=[code], versions=[2], title=f"噪音{who.username}", summary="", actor=who,
                    on=D(2025, 11, 4), today=TODAY) for who in (SW, SW2)]
        results = race(engine, jobs, lambda s, code=code: request_steps.load(s, code))  # type: ignore[misc]
        assert results.count("won") == 1, (trial, results)
        loser = next(r for r in results if r != "won")
        assert isinstance(loser, RuleError), (trial, loser)
        assert loser.key in ("requests.changed_meanwhile", "consultation.request_in_case"), loser.key
        assert count(engine, "SELECT count(*) FROM case_request cr JOIN request r ON r.id = cr.request_id "
                             "WHERE r.code = :c", c=code) == 1
        assert count(engine, "SELECT version FROM request WHERE code = :c", c=code) == 3
        assert count(engine, "SELECT count(*) FROM request_event e JOIN request r ON r.id = e.request_id "
                             "WHERE r.code = :c AND e.move = 'consult'", c=code) == 1
    assert count(engine, "SELECT count(*) FROM consultation_case") == 6
    with engine.connect() as conn:
        assert audit.verify(conn).ok


def test_two_moves_on_one_case_exactly_one_wins(engine: Engine) -> None:
    setup(engine)
    for trial in range(6):
        with Session(engine) as s:
            case = svc.open_case(s, request_codes=[classified(engine)], versions=[2], title="噪音", summary="",
                                 actor=SW, on=D(2025, 11, 4), today=TODAY)
            code = case.code
            s.commit()
        jobs: list[Callable[[Session], Any]] = [
            lambda s, code=code: svc.invite(s, code, version=1, parties=[("resident_rep", "3栋居民")], actor=SW,
                                            on=D(2025, 11, 5), today=TODAY),
            lambda s, code=code: svc.invite(s, code, version=1, parties=[("property_management", "物业")],
                                            actor=SW2, on=D(2025, 11, 6), today=TODAY),
        ]
        results = race(engine, jobs, lambda s, code=code: svc.load(s, code))  # type: ignore[misc]
        assert results.count("won") == 1, (trial, results)
        loser = next(r for r in results if r != "won")
        assert isinstance(loser, RuleError) and loser.key == "consultation.changed_meanwhile", (trial, loser)
        assert code in loser.message() and "主体邀请" in loser.message()
        case_id = count(engine, "SELECT id FROM consultation_case WHERE code = :c", c=code)
        assert count(engine, "SELECT version FROM consultation_case WHERE id = :i", i=case_id) == 2
        assert count(engine, "SELECT count(*) FROM case_party WHERE case_id = :i", i=case_id) == 1
        assert count(engine, "SELECT count(*) FROM case_event WHERE case_id = :i", i=case_id) == 2
    with engine.connect() as conn:
        assert audit.verify(conn).ok
