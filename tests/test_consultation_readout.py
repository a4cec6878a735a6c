"""The read-out for the next stream tells how the 五步协商 cases stand, in Chinese and in English."""

import datetime as dt
from types import SimpleNamespace

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.i18n import set_language
from dashboard.services import consultation as svc
from dashboard.services import requests as rsvc
from tests import factories as f
from tests.test_consultation import SW, TODAY, classified, do, open_one, to_supervision
from tests.test_consultation import world as world  # the fixture

D = dt.date


def readout(s: SimpleNamespace, lang: str, today: D) -> str:
    with Session(s.engine) as session:
        return rsvc.readout_text(session, community_id=s.c1, livestream_code=None, lang=lang, today=today)


def test_the_readout_tells_each_open_case_and_the_cases_closed_since(world: SimpleNamespace) -> None:
    e = world.engine
    r1, r2 = classified(e), classified(e, "livestream_noise")
    noise = open_one(e, r2)
    parcels = open_one(e, r1, on=D(2025, 11, 5))
    to_supervision(e, parcels)
    do(e, svc.record_check, parcels, version=5, kind="weekly_check", holds=False,
       note="代收点周末没人，电话 13812345678", actor=SW, on=D(2025, 11, 12), today=TODAY)
    text = readout(world, "zh", D(2025, 11, 25))
    assert "五步协商进展" in text
    assert (f"快递堆放（{parcels}）——目前处于「执行监督」。"
            "商定措施：在社区门口设快递代收点；直播时间限于 9:00-20:00。") in text
    assert "最近一次检查 2025-11-12：措施没有落实。逾期未检查 1 次、逾期未反馈 0 次。" in text
    assert f"（{noise}）——目前处于「问题收集」。" in text
    # its requests are read as in the case, not as waiting for a unit with no deadline
    assert f"（{r2}）——转入五步协商（案件 {noise}，目前处于「问题收集」）。" in text
    assert "没有承办单位" not in text.split(r2)[1].split("\n")[0]
    en = readout(world, "en", D(2025, 11, 25))
    assert f"({parcels}): now at «Supervised». Agreed measures: " in en
    assert "Overdue: 1 weekly check(s), 0 monthly feedback(s)." in en

    do(e, svc.record_check, parcels, version=6, kind="weekly_check", holds=True, note="", actor=SW,
       on=D(2025, 11, 26), today=TODAY)
    do(e, svc.record_check, parcels, version=7, kind="monthly_feedback", holds=True, note="", actor=SW,
       on=D(2025, 11, 27), today=TODAY)
    do(e, svc.close, parcels, version=8, note="措施落实", actor=SW, on=D(2025, 11, 28), today=TODAY)
    with e.begin() as conn:          # a livestream was held on the 20th: the read-out tells what happened since
        f.livestream(conn, world.c1, "L2", held_on=D(2025, 11, 20), quarter="2025Q4")
    text = readout(world, "zh", D(2025, 11, 30))
    assert f"已结案：\n1. 快递堆放（{parcels}）——2025-11-28 结案。商定措施：" in text
    assert f"（{parcels}）——目前处于" not in text
    en = readout(world, "en", D(2025, 11, 30))
    assert f"Closed:\n1. 快递堆放 ({parcels}): closed on 2025-11-28." in en


def test_a_readout_without_requests_still_tells_the_cases(world: SimpleNamespace) -> None:
    e = world.engine
    code = open_one(e, classified(e))
    with e.begin() as conn:
        f.livestream(conn, world.c1, "L2", held_on=D(2025, 11, 20), quarter="2025Q4")
    text = readout(world, "zh", D(2025, 11, 21))
    assert "自上期直播以来，暂无诉求有新进展。" in text and text.endswith("我们下期直播再向大家通报。")
    assert f"（{code}）——目前处于「问题收集」。" in text
    set_language("zh")


def test_phone_numbers_in_measures_are_masked_on_air(world: SimpleNamespace) -> None:
    e = world.engine
    code = open_one(e, classified(e))
    to_supervision(e, code)
    with Session(e) as s:
        s.connection().execute(sa.text("UPDATE consultation_case SET measures = :m WHERE code = :c"),
                               {"m": "代收点联系人 13812345678", "c": code})
        s.commit()
    assert "13812345678" not in readout(world, "zh", D(2025, 11, 12))
