"""Demo 五步协商 cases (paper 001 §6.2.3): the parcels at the gate and the livestream noise, in every step.

G市A社区 settled its parcels with a parcel point at the gate (closed, its requests closed with it) and is supervising
a livestream curfew 9:00-20:00 (one weekly check missed: overdue at the data's end); 石桥村 has invited the parties
about parcels; 青岩镇电商社区 has agreed measures on noise and has just opened a case on parcels.

Each case brings its own dispute requests, raised in the community's livestreams and walked exactly as the services
walk them: 收集, 分类, 转入五步协商 (办理中, no unit and no deadline), and for the closed case 办结 and 关闭 on its
closing day. Their rows and their history (request_event) agree, as every other demo request's do; the case's
version counts its moves and checks as the service counts them.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seed.common import Columns, codes

ACTOR = "社工"
PARTY_LABELS = {"property_management": "物业", "practitioner": "涉及的从业者", "resident_rep": "居民代表",
                "committee": "村（居）委会", "other": "其他"}
Check = tuple[str, str, bool, str]          # kind, day, holds, note


@dataclass(frozen=True)
class Case:
    community: int
    title: str
    category: str
    raised_by: Sequence[str]             # a request for each: raised in the community's last livestream by this day
    descriptions: Sequence[str]
    summary: str
    opened: str
    invited: str | None = None
    parties: Sequence[tuple[str, str]] = ()
    meeting: str | None = None
    place: str = ""
    record: str = ""
    absent: Sequence[int] = ()          # parties (by position) that did not come
    agreed: str | None = None
    measures: str = ""
    supervised: str | None = None
    checks: Sequence[Check] = field(default_factory=tuple)
    closed: str | None = None
    close_note: str = ""


PARCEL_MEASURES = "在社区门口设立快递代收点，由物业提供场地\n电商从业者每月支付少量租金，快递不再堆放在单元门口"
NOISE_MEASURES = "直播时间限制在上午9点到晚上8点\n晚上直播关窗、降低音量，音箱不对着邻居"
CASES = (
    Case(1, "单元门口快递堆放", "parcel_stacking", ("2026-05-12", "2026-05-19"),
         ("3栋单元门口快递堆成小山，老人进出不方便", "快递堆在楼道口，消防通道被占"),
         "居民在直播和微信群里反映：从业者的快递堆放在单元门口，影响出行和消防安全。", "2026-05-20",
         "2026-05-22", (("property_management", "A社区物业服务中心"), ("practitioner", "3栋、5栋电商从业者"),
                        ("resident_rep", "3栋居民代表"), ("committee", "G市A社区居委会")),
         "2026-05-27", "社区议事厅",
         "物业：快递堆放在门口影响美观，也有安全隐患。\n从业者：没有地方放快递，客户取件不方便。\n"
         "居民：进出单元门要绕着走，老人孩子容易绊倒。", (), "2026-05-27", PARCEL_MEASURES, "2026-06-01",
         (("weekly_check", "2026-06-04", True, ""), ("weekly_check", "2026-06-11", True, ""),
          ("weekly_check", "2026-06-18", False, "周末代收点无人值守，快递又堆回门口"),
          ("weekly_check", "2026-06-25", True, "物业安排周末值守"), ("monthly_feedback", "2026-06-28", True, ""),
          ("weekly_check", "2026-07-02", True, ""), ("weekly_check", "2026-07-09", True, ""),
          ("weekly_check", "2026-07-16", True, ""), ("weekly_check", "2026-07-23", True, ""),
          ("monthly_feedback", "2026-07-28", True, "居民满意"), ("weekly_check", "2026-07-30", True, "")),
         "2026-07-31", "代收点运行两个月，检查和居民反馈均达标，结案。"),
    Case(1, "夜间直播噪音", "livestream_noise", ("2026-08-18", "2026-08-25"),
         ("楼上晚上11点还在直播喊麦，孩子没法写作业", "夜里直播音箱声音太大"),
         "居民反映晚上直播的噪音影响休息和孩子写作业。", "2026-08-26", "2026-08-27",
         (("practitioner", "涉及的两位主播"), ("resident_rep", "受影响的住户代表"),
          ("property_management", "A社区物业服务中心")),
         "2026-08-28", "社区活动室",
         "居民：晚上直播的噪音让孩子没法写作业。\n主播：晚上是流量高峰，愿意调整时间和音量。\n物业：可以协助提醒。",
         (2,), "2026-08-28", NOISE_MEASURES, "2026-08-31",
         (("weekly_check", "2026-09-03", True, ""), ("weekly_check", "2026-09-10", True, ""),
          ("monthly_feedback", "2026-09-18", True, "多数住户表示安静了"), ("weekly_check", "2026-09-24", True, ""))),
    Case(2, "村口快递点包裹乱放", "parcel_stacking", ("2026-09-15",),
         ("村口小卖部门口包裹乱放，下雨全淋湿了",),
         "村民反映村口快递包裹无人管理，堆在路边。", "2026-09-17", "2026-09-21",
         (("committee", "石桥村村委会"), ("practitioner", "村里的电商从业者"), ("resident_rep", "村民代表"))),
    Case(3, "合租楼直播噪音", "livestream_noise", ("2026-09-02",),
         ("合租楼里几家同时直播，走廊很吵",),
         "租户反映楼内多家同时直播，声音互相干扰。", "2026-09-03", "2026-09-07",
         (("practitioner", "楼内直播的租户"), ("property_management", "楼栋管理员")),
         "2026-09-10", "楼栋一层会客区", "租户：希望固定各家直播时段。\n管理员：可提供一间隔音直播室。", (),
         "2026-09-11", "设立共用隔音直播室，按时段预约\n直播时间限制在上午9点到晚上8点"),
    Case(3, "驿站门口包裹占道", "parcel_stacking", ("2026-09-23",),
         ("驿站门口包裹堆到人行道上",),
         "居民反映快递驿站门口的包裹占用人行道。", "2026-09-28"),
)


def _day(value: str) -> np.datetime64:
    return np.datetime64(value, "D")


def _stamp(day: str, minutes: int) -> str:
    """A UTC time on `day`, 01:00 (09:00 Beijing) plus `minutes`: a request's or case's moves never go back."""
    return f"{day} {1 + minutes // 60:02d}:{minutes % 60:02d}:00.000000"


def _append(cols: Columns, rows: list[dict[str, Any]]) -> None:
    """Add rows to a table's columns, keeping each column's kind (arrays stay arrays)."""
    for key, values in list(cols.items()):
        new = [row.get(key) for row in rows]
        if isinstance(values, np.ndarray):
            kept = values.astype(object) if values.dtype.kind in "OUS" else values
            cols[key] = np.concatenate([kept, np.array(new, dtype=kept.dtype)])
        else:
            cols[key] = [*values, *new]


def _session(sessions: Columns, community: int, by: str) -> tuple[int, str]:
    """The community's last livestream held on or before `by`: its id and day."""
    held = [(d, int(i)) for i, c, d in zip(sessions["id"], sessions["community_id"], sessions["held_on"], strict=True)
            if int(c) == community and d <= by]
    day, sid = max(held)
    return sid, day


def _quarter(day: str) -> str:
    return f"{day[:4]}Q{(int(day[5:7]) - 1) // 3 + 1}"


def add(streams: dict[str, Columns]) -> None:
    """Append the cases' requests and their history to the livestream tables, and add the five case tables."""
    req, ev = streams["request"], streams["request_event"]
    next_req, next_ev = len(req["id"]) + 1, len(ev["id"]) + 1
    requests: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    tables: dict[str, list[dict[str, Any]]] = {k: [] for k in ("case", "party", "link", "check", "event")}
    party_id = 1
    for n, case in enumerate(CASES, start=1):
        moves: list[tuple[str | None, str, str, str]] = [(None, "collection", case.opened, "")]
        if case.invited:
            moves.append(("collection", "invitation", case.invited,
                          "、".join(f"{PARTY_LABELS[kind]}：{name}" for kind, name in case.parties)))
        if case.meeting:
            moves.append(("invitation", "meeting", case.meeting, ""))
        if case.agreed:
            moves.append(("meeting", "solution", case.agreed, ""))
        if case.supervised:
            moves.append(("solution", "supervision", case.supervised, ""))
        for kind, day, holds, note in sorted(case.checks, key=lambda c: c[1]):
            verdict = "✓" if holds else "✗"
            label = "治理小组每周检查" if kind == "weekly_check" else "居民每月反馈"
            moves.append(("supervision", "supervision", day, f"{label} {verdict} {note}".strip()))
        if case.closed:
            moves.append(("supervision", "closed", case.closed, case.close_note))
        code = f"CS{case.opened.replace('-', '')}01"
        tables["case"].append({
            "id": n, "code": code, "community_id": case.community, "title": case.title, "step": moves[-1][1],
            "opened_on": case.opened, "opened_by": ACTOR, "summary": case.summary, "meeting_on": case.meeting,
            "meeting_place": case.place, "meeting_record": case.record, "measures": case.measures,
            "supervision_from": case.supervised, "check_every_days": 7, "feedback_every_days": 30,
            "closed_on": case.closed, "close_note": case.close_note, "version": len(moves)})
        for k, (frm, to, day, note) in enumerate(moves):
            tables["event"].append({"id": len(tables["event"]) + 1, "case_id": n, "from_step": frm, "to_step": to,
                                    "on": day, "actor": ACTOR, "at": _stamp(day, 30 + k), "note": note})
        for i, (kind, name) in enumerate(case.parties):
            tables["party"].append({"id": party_id, "case_id": n, "kind": kind, "name": name,
                                    "invited_on": case.invited, "attended": case.meeting is not None
                                    and i not in case.absent})
            party_id += 1
        for kind, day, holds, note in case.checks:
            tables["check"].append({"id": len(tables["check"]) + 1, "case_id": n, "kind": kind, "on": day,
                                    "holds": holds, "note": note, "actor": "治理小组", "at": _stamp(day, 120)})
        resolution = "；".join(case.measures.splitlines())
        for by, text in zip(case.raised_by, case.descriptions, strict=True):
            sid, raised = _session(streams["livestream_session"], case.community, by)
            rid = next_req
            next_req += 1
            steps = [("collect", None, "collected", raised, ""), ("classify", "collected", "classified", raised, ""),
                     ("consult", "classified", "in_progress", case.opened, code)]
            if case.closed:
                steps += [("finish", "in_progress", "resolved", case.closed, code),
                          ("close", "resolved", "closed", case.closed, code)]
            for k, (move, frm, to, day, note) in enumerate(steps):
                events.append({"id": next_ev, "request_id": rid, "move": move, "from_status": frm, "to_status": to,
                               "on": day, "at": _stamp(day, k), "actor": ACTOR, "from_unit_id": None,
                               "to_unit_id": None, "reason_code": None, "note": note})
                next_ev += 1
            requests.append({
                "id": rid, "code": codes("R", 1, start=rid)[0], "session_id": sid, "community_id": case.community,
                "raised_on": raised, "quarter": _quarter(raised), "category": case.category, "description": text,
                "endorsements": 3 + 5 * (rid % 4), "priority": "general", "lead_unit_id": None,
                "first_routed_on": None, "routed_on": None, "deadline": None, "status": steps[-1][2],
                "resolved_on": case.closed, "outcome": "solved" if case.closed else None,
                "resolution": resolution if case.closed else "", "unreasonable_by": None,
                "unreasonable_agreed_by": None, "reported_session_id": None, "satisfaction": None,
                "callback_tries": 0, "closed_on": case.closed, "reopen_count": 0, "return_count": 0,
                "escalation_level": 0, "version": len(steps)})
            tables["link"].append({"case_id": n, "request_id": rid})
    _append(req, requests)
    _append(ev, events)
    streams["consultation_case"] = _columns(tables["case"])
    streams["case_party"] = _columns(tables["party"])
    streams["case_request"] = _columns(tables["link"])
    streams["case_check"] = _columns(tables["check"])
    streams["case_event"] = _columns(tables["event"])


def _columns(rows: list[dict[str, Any]]) -> Columns:
    return {key: [row[key] for row in rows] for key in rows[0]}
