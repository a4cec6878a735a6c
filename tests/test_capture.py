"""现场录入 as plain functions, on SQLite and PostgreSQL: the livestream on air and opening today's, a capture (source
live, the moment in UTC, the urgency, the resident masked), the refusals, the recent list, and undo of one's last."""

import datetime as dt
import json
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import audit
from dashboard.accounts import Principal
from dashboard.i18n import set_language
from dashboard.services import capture as svc
from dashboard.services import requests as requests_service
from dashboard.services.errors import RuleError
from data_models.enums import Role
from tests import factories as f

D = dt.date
TODAY = D(2026, 12, 2)
# 10:25 in Shanghai on TODAY.
NOW = dt.datetime(2026, 12, 2, 2, 25, tzinfo=dt.UTC)
SW = Principal("sw", Role.social_worker)
SW2 = Principal("sw2", Role.social_worker)


@pytest.fixture
def desk(engine: Engine) -> dict[str, Any]:
    """Community C1 with today's livestream LIVE and last week's OLD; community C2 with none."""
    set_language("zh")
    with engine.begin() as conn:
        c1 = f.community(conn, "C1")
        c2 = f.community(conn, "C2")
        f.livestream(conn, c1, "OLD", held_on=D(2026, 11, 25), quarter="2026Q4")
        f.livestream(conn, c1, "LIVE", held_on=TODAY, quarter="2026Q4", title="第9期")
    return {"engine": engine, "c1": c1, "c2": c2}


def take(engine: Engine, who: Principal = SW, now: dt.datetime = NOW, **kw: Any) -> str:
    values = {"livestream_code": "LIVE", "category": "parcel_stacking", "description": "快递堆在楼道",
              "resident": "3栋201", "priority": "general"} | kw
    with Session(engine) as s:
        req = svc.capture(s, actor=who, now=now, **values)
        s.commit()
        return req.code


def row(engine: Engine, code: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT * FROM request WHERE code = :c"), {"c": code}).mappings().one_or_none()


def test_the_livestream_on_air_is_todays_of_the_community(desk: dict[str, Any]) -> None:
    with Session(desk["engine"]) as s:
        live = svc.on_air(s, community_id=desk["c1"], today=TODAY)
        assert live is not None and live.code == "LIVE" and live.title == "第9期"
        assert svc.on_air(s, community_id=desk["c2"], today=TODAY) is None
        assert svc.on_air(s, community_id=desk["c1"], today=D(2026, 12, 3)) is None


def test_opening_todays_livestream_once_and_audited(desk: dict[str, Any]) -> None:
    engine = desk["engine"]
    with Session(engine) as s:
        live = svc.open_session(s, community_id=desk["c2"], today=TODAY, actor=SW, title="  治理  直播 ",
                                platform="kuaishou", hosts="李社工")
        s.commit()
    assert live.code == "L-C2-20261202" and live.title == "治理 直播" and live.platform == "kuaishou"
    with Session(engine) as s:
        assert svc.on_air(s, community_id=desk["c2"], today=TODAY) == live
        with pytest.raises(RuleError) as again:
            svc.open_session(s, community_id=desk["c2"], today=TODAY, actor=SW, title="第二场", platform="douyin")
        assert again.value.key == "capture.already_on_air"
    with engine.connect() as conn:
        entry = conn.execute(sa.select(audit.TABLE).where(audit.TABLE.c.entity == "livestream_session")).one()
        assert entry.action == "create" and entry.entity_id == live.code and entry.actor == "sw"
        assert json.loads(entry.after)["quarter"] == "2026Q4"


@pytest.mark.parametrize(("kw", "key"), [
    ({"title": " "}, "capture.title_required"),
    ({"platform": "youtube"}, "capture.bad_platform"),
    ({"actor": Principal("v", Role.viewer)}, "access.denied_action"),
    ({"actor": Principal("g", Role.government)}, "access.denied_action"),
    ({"community_id": 999}, "capture.unknown_community"),
])
def test_opening_is_refused_with_a_message(desk: dict[str, Any], kw: dict[str, Any], key: str) -> None:
    values = {"community_id": desk["c2"], "today": TODAY, "actor": SW, "title": "直播", "platform": "douyin"} | kw
    with Session(desk["engine"]) as s, pytest.raises(RuleError) as refused:
        svc.open_session(s, **values)
    assert refused.value.key == key
    with desk["engine"].connect() as conn:
        assert f.count(conn, "livestream_session") == 2


def test_a_capture_is_a_collected_live_request_with_its_moment_and_urgency(desk: dict[str, Any]) -> None:
    engine = desk["engine"]
    code = take(engine, priority="urgent", resident="王阿姨 13812345678", description=" 快递  堆在楼道 ")
    r = row(engine, code)
    assert code == "R20261202001"
    assert (r["status"], r["source"], r["priority"], r["category"]) == ("collected", "live", "urgent",
                                                                        "parcel_stacking")
    assert r["description"] == "快递 堆在楼道" and r["raised_on"] in (TODAY, "2026-12-02")
    assert r["resident"] == "王阿姨 138****5678"
    assert r["version"] == 1 and r["quarter"] == "2026Q4"
    raised = r["raised_at"] if isinstance(r["raised_at"], dt.datetime) else dt.datetime.fromisoformat(r["raised_at"])
    assert raised.replace(tzinfo=raised.tzinfo or dt.UTC) == NOW
    with Session(engine) as s:
        (item,) = svc.recent(s, livestream_code="LIVE", actor=SW)
    assert (item.code, item.who, item.resident, item.priority, item.raised_at) == (code, "sw", "王阿姨 138****5678",
                                                                                  "urgent", NOW)


@pytest.mark.parametrize(("typed", "stored"), [
    ("3栋201", "3栋201"),                                  # a house number stays as it is
    ("5号楼2单元", "5号楼2单元"),
    ("13812345678", "138****5678"),
    ("身份证520102199001011234", "身份证520*************34"),
    ("  小燕子\t", "小燕子"),
    ("", ""),
])
def test_the_resident_keeps_a_house_number_and_loses_a_phone_or_id_number(typed: str, stored: str) -> None:
    assert svc.mask_resident(typed) == stored


@pytest.mark.parametrize(("kw", "key"), [
    ({"description": "   "}, "capture.description_required"),
    ({"description": "长" * 501}, "capture.description_too_long"),
    ({"livestream_code": "OLD"}, "capture.not_on_air"),
    ({"livestream_code": "NOPE"}, "requests.unknown_livestream"),
    ({"category": "weather"}, "requests.bad_value"),
    ({"priority": "asap"}, "requests.bad_value"),
    ({"now": NOW + dt.timedelta(days=1)}, "capture.not_on_air"),
    # 23:30 on the day before in Shanghai is 15:30 UTC: still yesterday there, so not today's livestream
    ({"now": dt.datetime(2026, 12, 1, 15, 30, tzinfo=dt.UTC)}, "capture.not_on_air"),
    ({"who": Principal("v", Role.viewer)}, "access.denied_action"),
])
def test_a_capture_is_refused_with_a_message_and_nothing_written(desk: dict[str, Any], kw: dict[str, Any],
                                                                   key: str) -> None:
    with pytest.raises(RuleError) as refused:
        take(desk["engine"], **kw)
    assert refused.value.key == key
    with desk["engine"].connect() as conn:
        assert f.count(conn, "request") == 0 and f.count(conn, "request_event") == 0


def test_just_after_midnight_in_shanghai_is_already_the_livestreams_day(desk: dict[str, Any]) -> None:
    code = take(desk["engine"], now=dt.datetime(2026, 12, 1, 16, 5, tzinfo=dt.UTC))    # 00:05 on TODAY
    assert row(desk["engine"], code)["source"] == "live"


def test_a_naive_moment_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        svc.local_day(dt.datetime(2026, 12, 2, 10, 0))


def test_the_recent_list_is_newest_first_of_this_livestream_only(desk: dict[str, Any]) -> None:
    engine = desk["engine"]
    codes = [take(engine, now=NOW + dt.timedelta(seconds=i), description=f"第{i}条") for i in range(12)]
    with Session(engine) as s:        # a request typed on the request page is not a capture
        requests_service.collect(s, livestream_code="LIVE", category="other", description="手工", raised_on=TODAY,
                                 actor=SW, today=TODAY)
        s.commit()
        items = svc.recent(s, livestream_code="LIVE", actor=SW)
        assert [i.code for i in items] == codes[::-1][:10]
        assert [i.description for i in svc.recent(s, livestream_code="LIVE", actor=SW, limit=2)] == ["第11条",
                                                                                                     "第10条"]
        assert svc.recent(s, livestream_code="OLD", actor=SW) == []


def test_undo_withdraws_ones_own_last_capture_and_audits_what_it_was(desk: dict[str, Any]) -> None:
    engine = desk["engine"]
    first = take(engine, description="第一条")
    last = take(engine, description="第二条", now=NOW + dt.timedelta(seconds=5))
    with Session(engine) as s:
        items = svc.recent(s, livestream_code="LIVE", actor=SW)
        assert svc.last_undoable(items, "sw") == items[0] and items[0].code == last
        assert svc.last_undoable(items, "sw2") is None
        with pytest.raises(RuleError) as not_last:
            svc.undo_last(s, code=first, version=1, actor=SW, today=TODAY)
        assert not_last.value.key == "capture.undo_not_last"
        s.rollback()
        before = svc.undo_last(s, code=last, version=1, actor=SW, today=TODAY)
        s.commit()
    assert before["description"] == "第二条"
    assert row(engine, last) is None and row(engine, first) is not None
    with engine.connect() as conn:
        assert f.count(conn, "request_event") == 1
        entry = conn.execute(sa.select(audit.TABLE).where(audit.TABLE.c.action == "withdraw")).one()
        assert entry.entity_id == last and entry.actor == "sw" and entry.after is None
        assert json.loads(entry.before)["source"] == "live"
        assert audit.verify(conn).ok
    # the first is the last again, and can be withdrawn; a withdrawn code is never given again (it was read out)
    with Session(engine) as s:
        svc.undo_last(s, code=first, version=1, actor=SW, today=TODAY)
        s.commit()
    assert row(engine, first) is None
    assert take(engine, description="第三条") == "R20261202003"


@pytest.mark.parametrize(("case", "key"), [
    ("other_account", "capture.undo_not_yours"),
    ("classified", "requests.changed_meanwhile"),
    ("stale_version", "requests.changed_meanwhile"),
    ("next_day", "capture.undo_other_day"),
    ("typed", "capture.undo_not_live"),
    ("viewer", "access.denied_action"),
])
def test_undo_is_refused_with_a_message_and_nothing_deleted(desk: dict[str, Any], case: str, key: str) -> None:
    engine = desk["engine"]
    code = take(engine)
    who, version, today = SW, 1, TODAY
    with Session(engine) as s:
        if case == "other_account":
            who = SW2
        elif case == "classified":
            requests_service.classify(s, code, version=1, category="parcel_stacking", priority="urgent", actor=SW2,
                                      on=TODAY, today=TODAY)
            s.commit()
            version = 2
        elif case == "stale_version":
            version = 2
        elif case == "next_day":
            today = TODAY + dt.timedelta(days=1)
        elif case == "typed":
            code = requests_service.collect(s, livestream_code="LIVE", category="other", description="手工",
                                            raised_on=TODAY, actor=SW, today=TODAY).code
            s.commit()
        elif case == "viewer":
            who = Principal("v", Role.viewer)
        with pytest.raises(RuleError) as refused:
            svc.undo_last(s, code=code, version=version, actor=who, today=today)
        s.rollback()
    assert refused.value.key == key
    assert row(engine, code) is not None
