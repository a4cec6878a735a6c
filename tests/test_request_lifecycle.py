"""直播治理诉求: every lifecycle move as a plain function, each refusal, escalation, report-back and the read-out.

Units of C1: the street office TOP (acted for by the government party), under it the village committee VC and the
sub-district MID, under MID the department DEPT (acted for by a second government party); the platform PLT (its own
party, no parent); C2 has its own unit. November 2025 has no holidays: 3 Nov is a Monday.
"""

import datetime as dt
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import audit
from dashboard.accounts import Principal
from dashboard.services import requests as svc
from dashboard.services.errors import RuleError
from data_models.enums import RequestMove, Role
from tests import factories as f

D = dt.date
TODAY = D(2025, 12, 1)
NOV = {day: D(2025, 11, day) for day in range(1, 31)}
M = RequestMove


@pytest.fixture
def world(engine: Engine) -> SimpleNamespace:
    with engine.begin() as conn:
        c1, c2 = f.community(conn, "C1", name="幸福社区"), f.community(conn, "C2")
        gov = f.party(conn, c1, "C1-GOV")
        gov2 = f.party(conn, c1, "C1-DEPT")
        plt = f.party(conn, c1, "C1-PLT", kind="platform")
        unit = {}
        for code, kind, party, parent, cid in [
            ("TOP", "township_department", gov, None, c1), ("VC", "village_committee", None, "TOP", c1),
            ("MID", "township_department", None, "TOP", c1), ("DEPT", "township_department", gov2, "MID", c1),
            ("PLT", "platform", plt, None, None), ("C2U", "village_committee", None, None, c2),
            ("OLD", "other", None, None, c1),
        ]:
            unit[code] = f.insert(conn, "unit", code=code, name=f"单位{code}", kind=kind, community_id=cid,
                                  township="", party_id=party, parent_id=unit.get(parent or ""),
                                  is_active=code != "OLD")
        for priority, days in (("urgent", 1), ("general", 5), ("complex", 15)):
            f.insert(conn, "request_sla", priority=priority, working_days=days)
        f.livestream(conn, c1, "L1", held_on=D(2025, 11, 3), quarter="2025Q4")
        f.livestream(conn, c1, "L2", held_on=D(2025, 11, 10), quarter="2025Q4")
        f.livestream(conn, c1, "L3", held_on=D(2025, 11, 17), quarter="2025Q4")
        f.livestream(conn, c2, "L9", held_on=D(2025, 11, 3), quarter="2025Q4")
    return SimpleNamespace(c1=c1, c2=c2, unit=unit, engine=engine,
                           sw=Principal("sw", Role.social_worker), sw2=Principal("sw2", Role.social_worker),
                           admin=Principal("admin", Role.admin), viewer=Principal("v", Role.viewer),
                           gov=Principal("gov", Role.government, party_id=gov),
                           dept=Principal("dept", Role.government, party_id=gov2),
                           plt=Principal("plt", Role.platform, party_id=plt),
                           orphan=Principal("orphan", Role.government, party_id=None))


def row(engine: Engine, code: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(f.T["request"].select().where(f.T["request"].c.code == code)).one_or_none()


def history(engine: Engine, code: str) -> list[tuple[str, str | None, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT e.move, e.from_status, e.to_status FROM request_event e JOIN request r ON r.id = e.request_id "
            "WHERE r.code = :c ORDER BY e.id"), {"c": code})]


def audited(engine: Engine, code: str) -> list[str]:
    a = audit.TABLE.c
    with engine.connect() as conn:
        return list(conn.execute(sa.select(a.action).where(a.entity == "request", a.entity_id == code)
                                 .order_by(a.id)).scalars())


def supports(engine: Engine, code: str) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.text(
            "SELECT u.code FROM request_support s JOIN unit u ON u.id = s.unit_id JOIN request r ON r.id = "
            "s.request_id WHERE r.code = :c"), {"c": code}).scalars())


def act(engine: Engine, fn: Callable[..., Any], code: str | None = None, *, who: Principal, **kw: Any) -> Any:
    """One move in its own session, committed; the version is the current one unless given."""
    kw.setdefault("today", TODAY)
    with Session(engine) as s:
        if code is None:
            req = fn(s, actor=who, **kw)
        else:
            if "version" not in kw:
                kw["version"] = row(engine, code).version
            req = fn(s, code, actor=who, **kw)
        out = SimpleNamespace(**req.model_dump())
        s.commit()
    return out


def refused(key: str, engine: Engine, fn: Callable[..., Any], code: str | None = None, **kw: Any) -> RuleError:
    """The move is refused with `key`, its message reads, and nothing of it was written."""
    before = (row(engine, code), history(engine, code)) if code else None
    with pytest.raises(RuleError) as err:
        act(engine, fn, code, **kw)
    assert err.value.key == key, err.value.key
    assert err.value.message() != key and "{" not in err.value.message()
    if code:
        assert (row(engine, code), history(engine, code)) == before
    return err.value


def collected(w: SimpleNamespace, *, on: dt.date = NOV[3], description: str = "快递包裹堆放占用楼道") -> str:
    return str(act(w.engine, svc.collect, who=w.sw, livestream_code="L1", category="parcel_stacking",
                   description=description, endorsements=12, raised_on=on).code)


def routed(w: SimpleNamespace, unit: str = "VC", priority: str = "general", on: dt.date = NOV[4],
           support: tuple[str, ...] = ()) -> str:
    code = collected(w)
    act(w.engine, svc.classify, code, who=w.sw, category="parcel_stacking", priority=priority, on=on)
    act(w.engine, svc.route, code, who=w.sw, lead_unit_code=unit, support_unit_codes=support, on=on)
    return code


def in_progress(w: SimpleNamespace, unit: str = "TOP", on: dt.date = NOV[5]) -> str:
    code = routed(w, unit)
    act(w.engine, svc.accept, code, who=w.sw, on=on)
    return code


def resolved(w: SimpleNamespace, on: dt.date = NOV[7]) -> str:
    code = in_progress(w)
    act(w.engine, svc.finish, code, who=w.gov, outcome="solved", resolution="已协调快递驿站增设货架", on=on)
    return code


def reported(w: SimpleNamespace) -> str:
    code = resolved(w)
    act(w.engine, svc.report, code, who=w.sw, livestream_code="L2")
    return code


# --- the way through -----------------------------------------------------------------------------------------------

def test_the_whole_lifecycle(world: SimpleNamespace) -> None:
    w, e = world, world.engine
    code = collected(w)
    assert code == "R20251103001" and row(e, code).status == "collected" and row(e, code).version == 1
    r = act(e, svc.classify, code, who=w.sw, category="livestream_noise", priority="urgent", on=D(2025, 11, 3))
    assert (r.status, r.category, r.priority, r.version) == ("classified", "livestream_noise", "urgent", 2)
    r = act(e, svc.route, code, who=w.sw, lead_unit_code="TOP", support_unit_codes=["VC", "PLT"], on=D(2025, 11, 7))
    assert r.status == "routed" and r.deadline == D(2025, 11, 10)          # Friday + 1 working day = Monday
    assert r.first_routed_on == r.routed_on == D(2025, 11, 7) and supports(e, code) == {"VC", "PLT"}
    act(e, svc.accept, code, who=w.gov, on=D(2025, 11, 7))
    r = act(e, svc.finish, code, who=w.gov, outcome="partly_solved", resolution="已约谈主播，限定直播时段",
            on=D(2025, 11, 10))
    assert (r.status, r.outcome, r.resolved_on) == ("resolved", "partly_solved", D(2025, 11, 10))
    r = act(e, svc.report, code, who=w.sw, livestream_code="L2")
    assert r.status == "reported" and r.reported_session_id is not None
    r = act(e, svc.callback, code, who=w.sw, result="basically_satisfied", tries=1, on=D(2025, 11, 11))
    assert (r.status, r.satisfaction, r.callback_tries) == ("reported", "basically_satisfied", 1)
    r = act(e, svc.close, code, who=w.sw, on=D(2025, 11, 12))
    assert (r.status, r.closed_on, r.version) == ("closed", D(2025, 11, 12), 8)
    assert history(e, code) == [
        ("collect", None, "collected"), ("classify", "collected", "classified"), ("route", "classified", "routed"),
        ("accept", "routed", "in_progress"), ("finish", "in_progress", "resolved"), ("report", "resolved", "reported"),
        ("callback", "reported", "reported"), ("close", "reported", "closed")]
    assert audited(e, code) == ["collect", "classify", "route", "accept", "finish", "report", "callback", "close"]
    with e.connect() as conn:
        assert audit.verify(conn).ok
        ev = f.T["request_event"]
        ons = conn.execute(sa.select(ev.c.on, ev.c.actor).order_by(ev.c.id)).all()
    assert [o for o, _ in ons] == [D(2025, 11, 3), D(2025, 11, 3), D(2025, 11, 7), D(2025, 11, 7), D(2025, 11, 10),
                                   D(2025, 11, 10), D(2025, 11, 11), D(2025, 11, 12)]
    assert [a for _, a in ons][3:5] == ["gov", "gov"]


# --- collect ---------------------------------------------------------------------------------------------------------

def test_collect_numbers_by_day(world: SimpleNamespace) -> None:
    assert [collected(world) for _ in range(3)] == ["R20251103001", "R20251103002", "R20251103003"]
    assert collected(world, on=D(2025, 11, 4)) == "R20251104001"


@pytest.mark.parametrize(("key", "who", "changes"), [
    ("requests.unknown_livestream", "sw", {"livestream_code": "L404"}),
    ("requests.bad_value", "sw", {"category": "weather"}),
    ("requests.description_required", "sw", {"description": "  　"}),
    ("requests.negative_endorsements", "sw", {"endorsements": -1}),
    ("requests.future_date", "sw", {"raised_on": D(2025, 12, 2)}),
    ("requests.before_livestream", "sw", {"raised_on": D(2025, 11, 2)}),
    ("access.denied_action", "gov", {}),
    ("access.denied_action", "viewer", {}),
])
def test_collect_refusals(world: SimpleNamespace, key: str, who: str, changes: dict[str, Any]) -> None:
    kw = {"livestream_code": "L1", "category": "parcel_stacking", "description": "x", "raised_on": D(2025, 11, 3),
          **changes}
    refused(key, world.engine, svc.collect, who=getattr(world, who), **kw)
    with world.engine.connect() as conn:
        assert f.count(conn, "request") == 0 and f.count(conn, "request_event") == 0


# --- the version: a stale view is refused and nothing is written -------------------------------------------------

def test_a_stale_version_is_refused(world: SimpleNamespace) -> None:
    e = world.engine
    code = collected(world)
    act(e, svc.classify, code, who=world.sw, category="other", priority="general", on=D(2025, 11, 3))
    err = refused("requests.changed_meanwhile", e, svc.route, code, who=world.sw, version=1, lead_unit_code="VC",
                  on=D(2025, 11, 4))
    assert code in err.message() and "已分类" in err.message()


def test_skipping_and_going_back_are_refused(world: SimpleNamespace) -> None:
    e, w = world.engine, world
    code = collected(w)
    err = refused("requests.wrong_status", e, svc.route, code, who=w.sw, lead_unit_code="VC", on=D(2025, 11, 4))
    assert "已收集" in err.message() and "已分类" in err.message()
    refused("requests.wrong_status", e, svc.accept, code, who=w.sw, on=D(2025, 11, 4))
    refused("requests.wrong_status", e, svc.finish, code, who=w.sw, outcome="solved", resolution="x",
            on=D(2025, 11, 4))
    refused("requests.wrong_status", e, svc.report, code, who=w.sw, livestream_code="L2")
    refused("requests.wrong_status", e, svc.close, code, who=w.sw, on=D(2025, 11, 4))
    refused("requests.wrong_status", e, svc.reopen, code, who=w.sw, note="x", on=D(2025, 11, 4))
    refused("requests.wrong_status", e, svc.send_back, code, who=w.sw, reason_code="other", note="x",
            on=D(2025, 11, 4))
    code = resolved(w)
    refused("requests.wrong_status", e, svc.accept, code, who=w.sw, on=D(2025, 11, 8))
    refused("requests.wrong_status", e, svc.classify, code, who=w.sw, category="other", priority="general",
            on=D(2025, 11, 8))
    refused("requests.unknown", e, svc.accept, "R404", who=w.sw, version=1, on=D(2025, 11, 8))


@pytest.mark.parametrize(("on", "key"), [(D(2025, 11, 3), "requests.before_previous"),
                                         (D(2025, 12, 2), "requests.future_date")])
def test_a_move_dated_before_the_last_one_or_in_the_future_is_refused(world: SimpleNamespace, on: dt.date,
                                                                      key: str) -> None:
    code = routed(world)          # routed on 4 Nov
    refused(key, world.engine, svc.accept, code, who=world.sw, on=on)


# --- classify and route --------------------------------------------------------------------------------------------

def test_route_sets_the_deadline_by_priority(world: SimpleNamespace) -> None:
    e = world.engine
    for priority, deadline in (("urgent", D(2025, 11, 5)), ("general", D(2025, 11, 11)),
                               ("complex", D(2025, 11, 25))):
        assert row(e, routed(world, priority=priority)).deadline == deadline


def test_route_falls_back_to_the_default_days_when_an_sla_row_is_missing(world: SimpleNamespace) -> None:
    with world.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM request_sla WHERE priority = 'general'"))
    assert row(world.engine, routed(world)).deadline == D(2025, 11, 11)


def test_route_counts_the_admins_calendar(world: SimpleNamespace) -> None:
    with world.engine.begin() as conn:
        f.insert(conn, "calendar_day", day=D(2025, 11, 5), is_workday=False, note="本地停工")
    assert row(world.engine, routed(world, priority="urgent")).deadline == D(2025, 11, 6)


@pytest.mark.parametrize(("key", "who", "changes"), [
    ("requests.unknown_unit", "sw", {"lead_unit_code": "NOPE"}),
    ("requests.inactive_unit", "sw", {"lead_unit_code": "OLD"}),
    ("requests.unit_other_community", "sw", {"lead_unit_code": "C2U"}),
    ("requests.support_is_lead", "sw", {"support_unit_codes": ["TOP"]}),
    ("requests.unit_other_community", "sw", {"support_unit_codes": ["C2U"]}),
    ("access.denied_action", "gov", {}),
])
def test_route_refusals(world: SimpleNamespace, key: str, who: str, changes: dict[str, Any]) -> None:
    code = collected(world)
    act(world.engine, svc.classify, code, who=world.sw, category="other", priority="general", on=D(2025, 11, 3))
    kw = {"lead_unit_code": "TOP", "on": D(2025, 11, 4), **changes}
    refused(key, world.engine, svc.route, code, who=getattr(world, who), **kw)


def test_classify_refusals(world: SimpleNamespace) -> None:
    code = collected(world)
    refused("requests.bad_value", world.engine, svc.classify, code, who=world.sw, category="other",
            priority="whenever", on=D(2025, 11, 3))
    refused("access.denied_action", world.engine, svc.classify, code, who=world.plt, category="other",
            priority="general", on=D(2025, 11, 3))


# --- the unit's moves: only the lead unit's party ----------------------------------------------------------------

@pytest.mark.parametrize(("who", "ok"), [("gov", True), ("sw", True), ("admin", True), ("dept", False),
                                         ("plt", False), ("orphan", False), ("viewer", None)])
def test_accept_by_whom(world: SimpleNamespace, who: str, ok: bool | None) -> None:
    code = routed(world, "TOP", support=("PLT",))        # the platform supports it, but does not lead it
    if ok:
        assert act(world.engine, svc.accept, code, who=getattr(world, who), on=D(2025, 11, 5)).status == "in_progress"
    else:
        refused("access.denied_action" if ok is None else "requests.not_your_unit", world.engine, svc.accept, code,
                who=getattr(world, who), on=D(2025, 11, 5))


# --- finish and 不合理诉求 --------------------------------------------------------------------------------------------

def test_finish_needs_a_written_result(world: SimpleNamespace) -> None:
    code = in_progress(world)
    refused("requests.resolution_required", world.engine, svc.finish, code, who=world.gov, outcome="solved",
            resolution=" ", on=D(2025, 11, 6))
    refused("requests.unreasonable_reason_required", world.engine, svc.finish, code, who=world.gov,
            outcome="unreasonable", resolution="", on=D(2025, 11, 6))
    refused("requests.bad_value", world.engine, svc.finish, code, who=world.gov, outcome="done", resolution="x",
            on=D(2025, 11, 6))
    refused("requests.not_your_unit", world.engine, svc.finish, code, who=world.plt, outcome="solved",
            resolution="x", on=D(2025, 11, 6))


def test_unreasonable_needs_a_second_person(world: SimpleNamespace) -> None:
    e, w = world.engine, world
    code = in_progress(w)
    refused("requests.no_unreasonable_proposal", e, svc.agree_unreasonable, code, who=w.sw2, on=D(2025, 11, 6))
    r = act(e, svc.finish, code, who=w.sw, outcome="unreasonable", resolution="要求平台取消全部差评，超出职责",
            on=D(2025, 11, 6))
    assert (r.status, r.outcome, r.unreasonable_by) == ("in_progress", None, "sw")
    refused("requests.unreasonable_pending", e, svc.finish, code, who=w.gov, outcome="unreasonable",
            resolution="再提一次", on=D(2025, 11, 6))
    refused("requests.same_person", e, svc.agree_unreasonable, code, who=w.sw, on=D(2025, 11, 6))
    refused("access.denied_action", e, svc.agree_unreasonable, code, who=w.gov, on=D(2025, 11, 6))
    r = act(e, svc.agree_unreasonable, code, who=w.sw2, on=D(2025, 11, 7))
    assert (r.status, r.outcome, r.unreasonable_by, r.unreasonable_agreed_by, r.resolved_on) == (
        "resolved", "unreasonable", "sw", "sw2", D(2025, 11, 7))
    assert history(e, code)[-2:] == [("propose_unreasonable", "in_progress", "in_progress"),
                                     ("finish", "in_progress", "resolved")]


def test_finishing_otherwise_withdraws_a_proposal(world: SimpleNamespace) -> None:
    code = in_progress(world)
    act(world.engine, svc.finish, code, who=world.gov, outcome="unreasonable", resolution="理由", on=D(2025, 11, 6))
    r = act(world.engine, svc.finish, code, who=world.gov, outcome="explained", resolution="已解释政策",
            on=D(2025, 11, 6))
    assert (r.status, r.outcome, r.unreasonable_by) == ("resolved", "explained", None)


# --- 退回 and its escalation ------------------------------------------------------------------------------------------

def test_send_back_returns_to_classified_then_the_second_return_escalates(world: SimpleNamespace) -> None:
    e, w = world.engine, world
    code = routed(w, "DEPT", support=("PLT",))
    deadline = row(e, code).deadline
    r = act(e, svc.send_back, code, who=w.dept, reason_code="not_our_remit", note="属于物业管理范围",
            on=D(2025, 11, 5))
    assert (r.status, r.lead_unit_id, r.return_count, r.deadline) == ("classified", None, 1, deadline)
    assert supports(e, code) == set()
    act(e, svc.route, code, who=w.sw, lead_unit_code="DEPT", on=D(2025, 11, 6))
    act(e, svc.accept, code, who=w.dept, on=D(2025, 11, 6))
    r = act(e, svc.send_back, code, who=w.dept, reason_code="information_missing", note="地址不详", on=D(2025, 11, 7))
    assert (r.status, r.lead_unit_id, r.return_count, r.escalation_level) == ("routed", w.unit["MID"], 2, 1)
    assert r.routed_on == D(2025, 11, 7) and r.deadline == D(2025, 11, 14) and r.first_routed_on == D(2025, 11, 4)
    assert history(e, code)[-2:] == [("send_back", "in_progress", "classified"), ("escalate", "classified", "routed")]
    with e.connect() as conn:
        last = conn.execute(sa.text("SELECT from_unit_id, to_unit_id, reason_code, note FROM request_event "
                                    "ORDER BY id DESC LIMIT 2")).all()
    assert last == [(w.unit["DEPT"], w.unit["MID"], None, ""),
                    (w.unit["DEPT"], None, "information_missing", "地址不详")]
    assert audited(e, code)[-1] == "send_back"


def test_a_unit_without_a_parent_returns_to_classified_every_time(world: SimpleNamespace) -> None:
    e, w = world.engine, world
    code = routed(w, "TOP")
    for day in (5, 7):
        r = act(e, svc.send_back, code, who=w.gov, reason_code="duplicate", note="重复", on=D(2025, 11, day))
        assert r.status == "classified" and r.escalation_level == 0
        act(e, svc.route, code, who=w.sw, lead_unit_code="TOP", on=D(2025, 11, day + 1))
    assert row(e, code).return_count == 2


def test_send_back_refusals(world: SimpleNamespace) -> None:
    code = routed(world, "TOP")
    kw = {"reason_code": "other", "note": "x", "on": D(2025, 11, 5)}
    refused("requests.note_required", world.engine, svc.send_back, code, who=world.gov, **{**kw, "note": ""})
    refused("requests.bad_value", world.engine, svc.send_back, code, who=world.gov, **{**kw, "reason_code": "bored"})
    refused("requests.not_your_unit", world.engine, svc.send_back, code, who=world.dept, **kw)


# --- 转办 ------------------------------------------------------------------------------------------------------------

def test_transfer_moves_the_lead_and_restarts_the_deadline(world: SimpleNamespace) -> None:
    e, w = world.engine, world
    code = in_progress(w, "TOP")
    with e.begin() as conn:        # the supporting units routed with it
        conn.execute(sa.text("INSERT INTO request_support (request_id, unit_id) SELECT id, :u FROM request "
                             "WHERE code = :c"), {"u": w.unit["VC"], "c": code})
        conn.execute(sa.text("INSERT INTO request_support (request_id, unit_id) SELECT id, :u FROM request "
                             "WHERE code = :c"), {"u": w.unit["DEPT"], "c": code})
    r = act(e, svc.transfer, code, who=w.gov, to_unit_code="DEPT", reason="属市场监管职责", on=D(2025, 11, 10))
    assert (r.status, r.lead_unit_id, r.routed_on, r.deadline) == ("routed", w.unit["DEPT"], D(2025, 11, 10),
                                                                   D(2025, 11, 17))
    assert supports(e, code) == {"VC"}
    assert history(e, code)[-1] == ("transfer", "in_progress", "routed")
    r = act(e, svc.transfer, code, who=w.dept, to_unit_code="PLT", reason="平台规则问题", support_unit_codes=["TOP"],
            on=D(2025, 11, 11))
    assert r.lead_unit_id == w.unit["PLT"] and supports(e, code) == {"TOP"}
    with e.connect() as conn:
        log = conn.execute(sa.text("SELECT from_unit_id, to_unit_id, note FROM request_event WHERE move = 'transfer' "
                                   "ORDER BY id")).all()
    assert log == [(w.unit["TOP"], w.unit["DEPT"], "属市场监管职责"), (w.unit["DEPT"], w.unit["PLT"], "平台规则问题")]


def test_transfer_refusals(world: SimpleNamespace) -> None:
    code = routed(world, "TOP")
    kw = {"to_unit_code": "VC", "reason": "x", "on": D(2025, 11, 5)}
    refused("requests.reason_required", world.engine, svc.transfer, code, who=world.gov, **{**kw, "reason": " "})
    refused("requests.same_unit", world.engine, svc.transfer, code, who=world.gov, **{**kw, "to_unit_code": "TOP"})
    refused("requests.unit_other_community", world.engine, svc.transfer, code, who=world.gov,
            **{**kw, "to_unit_code": "C2U"})
    refused("requests.not_your_unit", world.engine, svc.transfer, code, who=world.plt, **kw)


# --- report back, callback, close, reopen -----------------------------------------------------------------------

def test_report_refusals(world: SimpleNamespace) -> None:
    code = resolved(world)               # finished on 7 Nov
    refused("requests.before_previous", world.engine, svc.report, code, who=world.sw, livestream_code="L1")
    refused("requests.livestream_other_community", world.engine, svc.report, code, who=world.sw,
            livestream_code="L9")
    refused("requests.unknown_livestream", world.engine, svc.report, code, who=world.sw, livestream_code="L404")
    refused("requests.future_date", world.engine, svc.report, code, who=world.sw, livestream_code="L3",
            today=D(2025, 11, 16))
    refused("access.denied_action", world.engine, svc.report, code, who=world.gov, livestream_code="L2")


def test_close_needs_report_and_callback(world: SimpleNamespace) -> None:
    e, w = world.engine, world
    code = resolved(w)
    refused("requests.close_needs_report", e, svc.close, code, who=w.sw, on=D(2025, 11, 10))
    act(e, svc.report, code, who=w.sw, livestream_code="L2")
    refused("requests.close_needs_callback", e, svc.close, code, who=w.sw, on=D(2025, 11, 10))
    act(e, svc.callback, code, who=w.sw, result="unreachable", tries=3, on=D(2025, 11, 12))
    assert act(e, svc.close, code, who=w.sw, on=D(2025, 11, 12)).status == "closed"


def test_callback_rules(world: SimpleNamespace) -> None:
    e, w = world.engine, world
    code = reported(w)
    refused("requests.unreachable_needs_tries", e, svc.callback, code, who=w.sw, result="unreachable", tries=2,
            on=D(2025, 11, 11))
    refused("requests.tries_positive", e, svc.callback, code, who=w.sw, result="satisfied", tries=0,
            on=D(2025, 11, 11))
    refused("requests.bad_value", e, svc.callback, code, who=w.sw, result="happy", tries=1, on=D(2025, 11, 11))
    refused("access.denied_action", e, svc.callback, code, who=w.gov, result="satisfied", tries=1,
            on=D(2025, 11, 11))
    act(e, svc.callback, code, who=w.sw, result="satisfied", tries=2, on=D(2025, 11, 11))
    refused("requests.already_called_back", e, svc.callback, code, who=w.sw, result="dissatisfied", tries=1,
            on=D(2025, 11, 12))
    with e.connect() as conn:
        assert conn.execute(sa.text("SELECT result, tries, actor FROM request_callback")).all() == [
            ("satisfied", 2, "sw")]


def test_a_dissatisfied_callback_reopens(world: SimpleNamespace) -> None:
    e, w = world.engine, world
    code = reported(w)
    r = act(e, svc.callback, code, who=w.sw, result="dissatisfied", tries=1, on=D(2025, 11, 11))
    assert (r.status, r.reopen_count, r.outcome, r.resolved_on, r.reported_session_id, r.satisfaction) == (
        "in_progress", 1, None, None, None, "dissatisfied")
    assert history(e, code)[-2:] == [("callback", "reported", "reported"), ("reopen", "reported", "in_progress")]
    # Round two: finished again, reported again, called back again, closed.
    act(e, svc.finish, code, who=w.gov, outcome="solved", resolution="加装货架", on=D(2025, 11, 14))
    act(e, svc.report, code, who=w.sw, livestream_code="L3")
    act(e, svc.callback, code, who=w.sw, result="satisfied", tries=1, on=D(2025, 11, 18))
    assert act(e, svc.close, code, who=w.sw, on=D(2025, 11, 18)).status == "closed"
    with e.connect() as conn:
        assert conn.execute(sa.text("SELECT result FROM request_callback ORDER BY id")).scalars().all() == [
            "dissatisfied", "satisfied"]


def test_reopen_a_closed_request(world: SimpleNamespace) -> None:
    e, w = world.engine, world
    code = reported(w)
    act(e, svc.callback, code, who=w.sw, result="satisfied", tries=1, on=D(2025, 11, 11))
    act(e, svc.close, code, who=w.sw, on=D(2025, 11, 11))
    refused("requests.note_required", e, svc.reopen, code, who=w.sw, note="", on=D(2025, 11, 20))
    refused("access.denied_action", e, svc.reopen, code, who=w.gov, note="x", on=D(2025, 11, 20))
    deadline = row(e, code).deadline
    r = act(e, svc.reopen, code, who=w.sw, note="居民反映货架又被占满", on=D(2025, 11, 20))
    assert (r.status, r.reopen_count, r.closed_on, r.satisfaction, r.callback_tries, r.deadline) == (
        "in_progress", 1, None, None, 0, deadline)
    refused("requests.wrong_status", e, svc.close, code, who=w.sw, on=D(2025, 11, 20))


# --- escalation of overdue requests ----------------------------------------------------------------------------------

def test_overdue_requests_climb_the_ladder(world: SimpleNamespace) -> None:
    e, w = world.engine, world
    late = routed(w, "DEPT", priority="urgent", on=D(2025, 11, 4))       # deadline 5 Nov
    act(e, svc.accept, late, who=w.dept, on=D(2025, 11, 4))
    on_time = routed(w, "DEPT", priority="complex", on=D(2025, 11, 4))   # deadline 25 Nov
    top = routed(w, "TOP", priority="urgent", on=D(2025, 11, 4))         # overdue, nowhere to climb
    refused("access.denied_action", e, lambda s, **kw: svc.escalate_overdue(s, **kw), who=w.gov)
    assert act_escalate(e, w.sw, D(2025, 11, 6)) == [late]
    r = row(e, late)
    assert (r.status, r.lead_unit_id, r.escalation_level, r.deadline) == (
        "in_progress", w.unit["MID"], 1, D(2025, 11, 5))
    assert supports(e, late) == {"DEPT"}
    assert history(e, late)[-1] == ("escalate", "in_progress", "in_progress")
    assert act_escalate(e, w.sw, D(2025, 11, 7)) == []          # MID has its own urgent day first
    assert act_escalate(e, w.sw, D(2025, 11, 10)) == [late]     # 2 working days after: on to TOP
    assert row(e, late).lead_unit_id == w.unit["TOP"] and row(e, late).escalation_level == 2
    assert act_escalate(e, w.sw, D(2025, 11, 20)) == []         # TOP has no parent
    assert row(e, on_time).escalation_level == 0 and row(e, top).escalation_level == 0
    with e.connect() as conn:
        assert audit.verify(conn).ok
    assert audited(e, late)[-2:] == ["escalate", "escalate"]


def act_escalate(engine: Engine, who: Principal, today: dt.date) -> list[str]:
    with Session(engine) as s:
        codes = svc.escalate_overdue(s, today=today, actor=who)
        s.commit()
    return codes


# --- what the page offers ---------------------------------------------------------------------------------------------

def offered(w: SimpleNamespace, code: str, who: str) -> list[RequestMove]:
    with Session(w.engine) as s:
        return svc.allowed_moves(s, code, getattr(w, who))


def test_allowed_moves(world: SimpleNamespace) -> None:
    w = world
    code = collected(w)
    assert offered(w, code, "sw") == [M.classify] and offered(w, code, "gov") == [] == offered(w, code, "viewer")
    code = routed(w, "TOP", support=("PLT",))
    assert offered(w, code, "gov") == [M.accept, M.send_back, M.transfer]
    assert offered(w, code, "plt") == [] and offered(w, code, "dept") == []
    assert offered(w, code, "sw") == [M.accept, M.send_back, M.transfer]
    act(w.engine, svc.accept, code, who=w.gov, on=D(2025, 11, 5))
    act(w.engine, svc.finish, code, who=w.sw, outcome="unreasonable", resolution="理由", on=D(2025, 11, 6))
    assert offered(w, code, "sw") == [M.finish, M.send_back, M.transfer]
    assert offered(w, code, "sw2") == [M.finish, svc.AGREE_UNREASONABLE, M.send_back, M.transfer]
    code = resolved(w)
    assert offered(w, code, "sw") == [M.callback, M.report, M.reopen] and offered(w, code, "gov") == []
    act(w.engine, svc.report, code, who=w.sw, livestream_code="L2")
    assert offered(w, code, "sw") == [M.callback, M.reopen]
    act(w.engine, svc.callback, code, who=w.sw, result="satisfied", tries=1, on=D(2025, 11, 11))
    assert offered(w, code, "admin") == [M.close, M.reopen]


# --- report-back queue and the read-out ----------------------------------------------------------------------------

@pytest.fixture
def stream(world: SimpleNamespace) -> dict[str, str]:
    """Since L2 (10 Nov): A finished, B accepted, C sent back; D moved before L2 only; E closed."""
    e, w = world.engine, world
    codes = {}
    codes["D"] = routed(w, "VC", priority="urgent", on=D(2025, 11, 4))             # overdue since 5 Nov
    codes["A"] = in_progress(w, "TOP", on=D(2025, 11, 5))
    act(e, svc.finish, codes["A"], who=w.gov, outcome="solved", resolution="已清理楼道，联系人13812345678",
        on=D(2025, 11, 12))
    codes["B"] = routed(w, "DEPT", on=D(2025, 11, 4))
    act(e, svc.accept, codes["B"], who=w.dept, on=D(2025, 11, 11))
    codes["C"] = routed(w, "TOP", on=D(2025, 11, 4))
    act(e, svc.send_back, codes["C"], who=w.gov, reason_code="not_our_remit", note="属物业职责", on=D(2025, 11, 12))
    codes["E"] = reported(w)
    act(e, svc.callback, codes["E"], who=w.sw, result="satisfied", tries=1, on=D(2025, 11, 12))
    act(e, svc.close, codes["E"], who=w.sw, on=D(2025, 11, 12))
    return codes


def test_report_back_queue(world: SimpleNamespace, stream: dict[str, str]) -> None:
    with Session(world.engine) as s:
        queue = svc.report_back_queue(s, community_id=world.c1, today=D(2025, 11, 14))
        before = svc.report_back_queue(s, community_id=world.c1, today=D(2025, 11, 9))     # since L1
        other = svc.report_back_queue(s, community_id=world.c2, today=D(2025, 11, 14))
    assert [q.code for q in queue] == [stream["A"], stream["B"], stream["C"]]
    a, b, c = queue
    assert a.needs_report and a.outcome == "solved" and not b.needs_report and not c.needs_report
    assert (b.status, b.lead_unit, b.deadline, b.overdue) == ("in_progress", "单位DEPT", D(2025, 11, 11), True)
    assert (c.status, c.lead_unit, c.last_move, c.last_reason, c.last_note) == (
        "classified", None, "send_back", "not_our_remit", "属物业职责")
    assert stream["D"] in [q.code for q in before] and other == []


def test_readout_in_chinese_and_english(world: SimpleNamespace, stream: dict[str, str]) -> None:
    with Session(world.engine) as s:
        zh = svc.readout_text(s, community_id=world.c1, livestream_code=None, today=D(2025, 11, 14))
        en = svc.readout_text(s, community_id=world.c1, livestream_code="L3", lang="en", today=D(2025, 11, 14))
        with pytest.raises(RuleError):
            svc.readout_text(s, community_id=world.c1, livestream_code="L9")
    assert zh.startswith("上期诉求办理进展（幸福社区）")
    assert ("自上期直播（2025-11-10）以来，要向大家通报的诉求共 3 件：已办结、待向居民反馈 1 件，"
            "仍在办理且有新进展 2 件。") in zh
    assert "其中 2 件已超过办理期限" in zh                       # B, and C: sent back, still waiting
    assert "已解决" in zh and "138****5678" in zh and "13812345678" not in zh
    assert "办理中，承办单位：单位DEPT，办理期限：2025-11-11（已逾期）" in zh
    assert "已分类，承办单位：待重新转办" in zh and "原因：不属本单位职责：属物业职责" in zh
    assert stream["E"] not in zh and stream["D"] not in zh
    assert en.startswith("Progress on requests since the last livestream")
    assert "1 finished and not yet reported back to residents, 2 still in progress" in en
    assert "Solved" in en and "Not our remit" in en and "已" not in en.split("\n")[0]


def test_readout_with_nothing_new(world: SimpleNamespace) -> None:
    with Session(world.engine) as s:
        text = svc.readout_text(s, community_id=world.c1, livestream_code=None, today=D(2025, 11, 14))
    assert text.splitlines()[1] == "自上期直播以来，暂无诉求有新进展。"


# --- found in review -----------------------------------------------------------------------------------------------

def test_a_transfer_or_a_return_lets_a_pending_unreasonable_proposal_lapse(world: SimpleNamespace) -> None:
    """The old unit proposed 不合理诉求 and passed the request on: the new unit never made that proposal, so nobody
    may agree to it."""
    e, w = world.engine, world
    code = in_progress(w, "TOP")
    act(e, svc.finish, code, who=w.gov, outcome="unreasonable", resolution="超出职责", on=D(2025, 11, 6))
    r = act(e, svc.transfer, code, who=w.gov, to_unit_code="PLT", reason="平台规则问题", on=D(2025, 11, 6))
    assert r.unreasonable_by is None
    act(e, svc.accept, code, who=w.plt, on=D(2025, 11, 7))
    refused("requests.no_unreasonable_proposal", e, svc.agree_unreasonable, code, who=w.sw2, on=D(2025, 11, 7))
    act(e, svc.finish, code, who=w.plt, outcome="unreasonable", resolution="超出职责", on=D(2025, 11, 7))
    r = act(e, svc.send_back, code, who=w.plt, reason_code="not_our_remit", note="不属平台", on=D(2025, 11, 7))
    assert (r.status, r.unreasonable_by) == ("classified", None)


def test_an_overdue_request_passed_on_stays_overdue(world: SimpleNamespace) -> None:
    """Transferring a request whose deadline has passed keeps that deadline: passing it on must not take it off
    the overdue count (a transfer in time still restarts the clock)."""
    e, w = world.engine, world
    code = routed(w, "TOP", priority="urgent", on=D(2025, 11, 4))          # due 11-05
    r = act(e, svc.transfer, code, who=w.gov, to_unit_code="DEPT", reason="属市场监管职责", on=D(2025, 11, 10))
    assert (r.lead_unit_id, r.deadline) == (w.unit["DEPT"], D(2025, 11, 5))
    r = act(e, svc.transfer, code, who=w.dept, to_unit_code="PLT", reason="平台规则问题", on=D(2025, 11, 11))
    assert r.deadline == D(2025, 11, 5)


def test_a_new_code_follows_the_highest_of_the_day_not_the_count(world: SimpleNamespace) -> None:
    """An import or its undo can leave R…002 without R…001: the next request is R…003, not a second R…002."""
    e, w = world.engine, world
    with e.begin() as conn:
        conn.execute(sa.text("INSERT INTO request (code, session_id, community_id, raised_on, quarter, category, "
                             "priority, description, endorsements, status, resolution, callback_tries, reopen_count, "
                             "return_count, escalation_level, version) SELECT 'R20251103002', id, community_id, "
                             "'2025-11-03', '2025Q4', 'other', 'general', '', 0, 'collected', '', 0, 0, 0, 0, 1 "
                             "FROM livestream_session WHERE code = 'L1'"))
    assert collected(w, on=NOV[3]) == "R20251103003"


def test_the_readout_masks_what_residents_said_about_themselves(world: SimpleNamespace) -> None:
    """Read on air: a name with a title, a mobile written with dashes, a landline and an ID number are masked."""
    e, w = world.engine, world
    code = in_progress(w, "TOP", on=D(2025, 11, 5))
    act(e, svc.finish, code, who=w.gov, outcome="solved", on=D(2025, 11, 12),
        resolution="张先生反映已处理，电话138-1234-5678，座机0851-85551234，身份证520102199001011234")
    with Session(e) as s:
        text = svc.readout_text(s, community_id=w.c1, livestream_code=None, today=D(2025, 11, 14))
    assert code in text
    for secret in ("张先生", "138-1234-5678", "0851-85551234", "520102199001011234"):
        assert secret not in text, secret
