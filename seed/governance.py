"""Demo governance: units, weekly livestreams with their requests (paper 004) and the quarterly four-party meeting."""

import numpy as np

from dashboard.services.workdays import Calendar
from seed.common import DATA_END, Columns, Scale, codes, exact_categories, iso, names, pick, quarter_keys
from seed.meeting_minutes import MinutesBook
from seed.request_loop import ROUTES, Units, walk

REQUEST_TEXT = {
    "parcel_stacking": "快递包裹堆放占用楼道和消防通道", "livestream_noise": "夜间直播噪音扰民",
    "road_lighting": "进村道路路灯不亮", "sanitation": "包装垃圾清运不及时", "logistics": "物流取件点太远、时效慢",
    "training": "希望增开直播带货培训", "rights_dispute": "平台罚款和差评申诉难", "public_facilities": "缺少公共直播间",
    "other": "其他建议",
}
# Parcel stacking and livestream noise are the biggest (paper 004, and the consultations of paper 001).
REQUEST_WEIGHTS = {"parcel_stacking": 20, "livestream_noise": 16, "road_lighting": 8, "sanitation": 11,
                   "logistics": 11, "training": 12, "rights_dispute": 8, "public_facilities": 7, "other": 7}

UNIT_NAMES = {  # key: (name after the community's, kind)
    "village_committee": ("村委会", "village_committee"), "residents_committee": ("居委会", "village_committee"),
    "street_office": ("街道办", "township_department"), "township_government": ("乡镇政府", "township_department"),
    "market_regulation": ("市场监管所", "township_department"), "human_resources": ("人社所", "township_department"),
    "urban_management": ("城管中队", "township_department"), "property_management": ("物业服务中心", "other"),
    "postal_logistics": ("邮政快递网点", "other"), "platform": ("", "platform"), "association": ("", "association"),
}
TOP_UNIT = ("street_office", "township_government")   # (urban, rural): the unit the community's others escalate to
# The party that acts for a unit (its staff see and answer what is routed there); the departments have none.
ACTED_FOR = {"platform": "PLT", "association": "ASN"}


def units(comm: Columns, party: Columns) -> Columns:
    """The routing targets of each community: its top unit (street office or township government), which the
    government party acts for and which receives escalations; the departments requests go to; the platform and the
    association, acted for by those parties. Every unit but the top one has the top one as its parent."""
    party_of = {code: (pid, pname) for pid, code, pname in zip(party["id"], party["code"], party["name"],
                                                                strict=True)}
    out: Columns = {k: [] for k in ["id", "code", "name", "kind", "community_id", "township", "party_id",
                                    "parent_id", "is_active"]}
    for cid, code, name, kind in zip(comm["id"], comm["code"], comm["name"], comm["kind"], strict=True):
        rural = int(kind == "rural")
        top = TOP_UNIT[rural]
        keys = [top, *sorted({k for routes in ROUTES.values() for k in routes[rural]} - {top})]
        top_id = len(out["id"]) + 1
        for key in keys:
            zh, ukind = UNIT_NAMES[key]
            suffix = "GOV" if key == top else ACTED_FOR.get(key)
            pid, pname = party_of[f"{code}-{suffix}"] if suffix else (None, "")
            out["id"].append(len(out["id"]) + 1)
            out["code"].append(f"U-{code}-{key}")
            out["name"].append(f"{name}{zh}" if zh else f"{name}·{pname}")
            out["kind"].append(ukind)
            out["community_id"].append(cid)
            out["township"].append("")
            out["party_id"].append(pid)
            out["parent_id"].append(None if key == top else top_id)
            out["is_active"].append(True)
    return out


def _unit_index(comm: Columns, unit: Columns) -> Units:
    index = {c: i for i, c in enumerate(comm["code"])}
    keys = sorted(UNIT_NAMES)
    ids = np.zeros((len(index), len(keys)), dtype=int)
    top = np.zeros(len(index), dtype=int)
    unit_names = np.full(len(unit["id"]) + 1, "", dtype=object)
    for uid, code, uname, parent in zip(unit["id"], unit["code"], unit["name"], unit["parent_id"], strict=True):
        ccode, key = code.removeprefix("U-").split("-", 1)
        ids[index[ccode], keys.index(key)] = uid
        unit_names[uid] = uname
        if parent is None:
            top[index[ccode]] = uid
    return Units(ids, keys, top, unit_names)


FIRST_MONDAY = np.datetime64("2025-04-07")
WEEKS = 78


def livestreams(rng: np.random.Generator, scale: Scale, comm: Columns,
                unit: Columns) -> dict[str, Columns]:
    """The weekly sessions and the requests raised in them, walked through the lifecycle (seed/request_loop.py)."""
    n_comm = len(comm["id"])
    comm_ids = np.asarray(comm["id"])
    rural = np.asarray(comm["kind"]) == "rural"
    offset = np.arange(n_comm) % 3                       # each community has its weekday, Mon-Wed
    ci = np.repeat(np.arange(n_comm), WEEKS)
    week = np.tile(np.arange(WEEKS), n_comm)
    held = FIRST_MONDAY + (offset[ci] + 7 * week).astype("timedelta64[D]")
    n_sess = len(ci)
    hosts = names(rng, n_sess)
    sess: Columns = {
        "id": np.arange(1, n_sess + 1), "code": codes("L", n_sess), "community_id": comm_ids[ci],
        "held_on": iso(held), "quarter": quarter_keys(held),
        "title": [f"第{w + 1}期 社区治理直播" for w in week],
        "hosts": [f"社工{h}、{'村委' if rural[c] else '居委'}主任" for h, c in zip(hosts, ci, strict=True)],
        "platform": pick(rng, n_sess, {"douyin": 50, "kuaishou": 30, "wechat_channels": 20}),
        "viewers": np.where(rural[ci], rng.integers(80, 900, n_sess), rng.integers(300, 3200, n_sess)),
    }

    n = scale.requests
    s_idx = rng.integers(0, n_sess, size=n)
    r_ci = ci[s_idx]
    raised = held[s_idx]
    category = exact_categories(rng, n, REQUEST_WEIGHTS)
    # The walk draws from a stream of its own, so a change to it leaves the meetings' demo data as it is.
    lifecycle, events, supports, callbacks = walk(
        rng.spawn(1)[0], raised=raised, ci=r_ci, rural=rural, category=category, units=_unit_index(comm, unit),
        first_session=FIRST_MONDAY + offset.astype("timedelta64[D]"), weeks=WEEKS,
        session_codes=np.asarray(sess["code"], dtype=object), calendar=Calendar())
    req: Columns = {
        "id": np.arange(1, n + 1), "code": codes("R", n), "session_id": s_idx + 1, "community_id": comm_ids[r_ci],
        "raised_on": iso(raised), "quarter": quarter_keys(raised), "category": category,
        "description": [REQUEST_TEXT[c] for c in category], "endorsements": rng.integers(0, 40, size=n),
        **lifecycle,
    }
    return {"livestream_session": sess, "request": req, "request_support": supports, "request_event": events,
            "request_callback": callbacks}


AGENDA = [  # title, party suffix, minutes, source
    ("上次会议行动事项进展", "GOV", 10, "action_item"),
    ("需求评估结果与服务进展（社工汇报）", "SW", 20, "unmet_needs"),
    ("直播诉求办理情况与逾期事项", "GOV", 15, "overdue_requests"),
    ("培训成效与下季度培训计划", "ASN", 15, "training"),
    ("合作社本期收益分配与公益金使用", "COOP", 10, "distribution"),
    ("平台从业者权益保障措施", "PLT", 10, "manual"),
]
ACTIONS = [
    ("协调快递驿站增设货架，解决包裹堆放", "GOV"), ("制定直播时段公约，22点后降噪", "SW"),
    ("开设第二期直播带货中级班", "ASN"), ("推动平台差评申诉绿色通道", "PLT"), ("为新就业形态从业者办理工伤保险", "GOV"),
    ("组织流动女性互助小组活动", "SW"), ("公布公益金季度使用明细", "COOP"), ("对接合作社与平台助农专区", "PLT"),
]


NOTES = {"in_progress": "已对接相关单位，正在推进", "done": "已落实，见会议纪要附件",
         "cancelled": "情况变化，经协商取消"}


ITEM_NOTES = [  # what was said on each standing item (AGENDA's order)
    "逐项通报上次会议行动事项，未完成的说明原因和新的完成时间。",
    "社工汇报本季度需求评估和服务响应情况，重点讲未满足的需求。",
    "街道通报诉求办理进度，逾期事项由承办单位说明。",
    "行业协会汇报培训完成率和就业情况，讨论下季度课程。",
    "合作社通报本期分配方案，公益金使用接受各方监督。",
    "平台介绍从业者权益保障新举措，听取各方意见。",
]
# The agenda item (order number) a decision whose action a party owns is recorded under.
ITEM_OF = {"GOV": 3, "SW": 2, "ASN": 4, "PLT": 6, "COOP": 5}
PARTY_SUFFIXES = ["GOV", "PLT", "ASN", "SW", "COOP"]
PLANNED_ON = "2026-12-10"            # next quarter's meeting, prepared with the agenda builder


def meetings(rng: np.random.Generator, comm: Columns, party: Columns) -> dict[str, Columns]:
    """A meeting per community and quarter with attendance, agenda (notes), decisions under their items and action
    items; every meeting's minutes locked with four signatures but each community's latest, circulated with its
    window open; and a planned meeting in 2026Q4 without an agenda (seed/meeting_minutes.py builds the minutes)."""
    party_id = dict(zip(party["code"], party["id"], strict=True))
    qstarts = np.arange(np.datetime64("2025-04"), np.datetime64("2026-10"), 3).astype("datetime64[D]")
    out: dict[str, Columns] = {t: {} for t in ["meeting", "meeting_attendance", "agenda_item", "decision",
                                               "action_item", "action_update", "minutes_signature"]}
    rows: dict[str, list[dict[str, object]]] = {t: [] for t in out}
    # Names of representatives and deputies from a stream of their own: the draws below stay as they were.
    people_rng = rng.spawn(1)[0]
    book = MinutesBook(party)
    for cid, ccode, cname in zip(comm["id"], comm["code"], comm["name"], strict=True):
        for qi, qs in enumerate(qstarts):
            held = qs + 40 + int(rng.integers(0, 14))
            mid = len(rows["meeting"]) + 1
            quarter = quarter_keys(np.array([held]))[0]
            meeting = {"id": mid, "code": f"{ccode}-JM-{quarter}", "community_id": cid, "kind": "joint_four_party",
                       "title": f"{cname}四方联席会议（{quarter}）", "held_on": str(held), "quarter": quarter,
                       "location": f"{cname}党群服务中心", "starts_at": "09:30"}
            rows["meeting"].append(meeting)
            first_att = len(rows["meeting_attendance"])
            for suffix in PARTY_SUFFIXES:
                status = "present" if suffix != "PLT" or rng.random() < 0.85 else "absent"
                deputy = ""
                if suffix == "ASN" and qi == 2:       # the association sent a deputy that quarter
                    status, deputy = "deputy", str(names(people_rng, 1)[0])
                attendees = "" if status != "present" else "、".join(
                    str(n) for n in names(people_rng, 1 + int(people_rng.integers(0, 2))))
                rows["meeting_attendance"].append({
                    "meeting_id": mid, "party_id": party_id[f"{ccode}-{suffix}"], "attendees": attendees,
                    "status": status, "deputy": deputy})
            first_item = len(rows["agenda_item"]) + 1
            for order, (title, suffix, minutes, source) in enumerate(AGENDA, start=1):
                aid = len(rows["agenda_item"]) + 1
                rows["agenda_item"].append({
                    "id": aid, "code": f"A{aid:06d}", "meeting_id": mid, "order_no": order, "title": title,
                    "presenter_party_id": party_id[f"{ccode}-{suffix}"], "minutes": minutes, "source": source,
                    "evidence": "", "notes": ITEM_NOTES[order - 1]})
            first_action = len(rows["action_item"])
            for k in rng.choice(len(ACTIONS), size=3, replace=False):
                title, suffix = ACTIONS[int(k)]
                did = len(rows["decision"]) + 1
                rows["decision"].append({"id": did, "code": f"D{did:06d}", "meeting_id": mid,
                                         "agenda_item_id": first_item + ITEM_OF[suffix] - 1,
                                         "text": f"会议议定：{title}"})
                due = held + int(rng.integers(30, 61))
                if due <= DATA_END:
                    state = str(rng.choice(["done", "in_progress", "open"], p=[0.75, 0.1, 0.15]))
                else:
                    state = str(rng.choice(["open", "in_progress", "done"], p=[0.5, 0.3, 0.2]))
                done_on = min(held + int(rng.integers(7, 70)), DATA_END) if state == "done" else None
                xid = len(rows["action_item"]) + 1
                moved = None if state == "open" else (done_on or min(held + int(rng.integers(3, 20)), DATA_END))
                rows["action_item"].append({
                    "id": xid, "code": f"X{xid:06d}", "meeting_id": mid, "decision_id": did, "title": title,
                    "owner_party_id": party_id[f"{ccode}-{suffix}"], "owner_person": str(names(rng, 1)[0]),
                    "created_on": str(held), "due_on": str(due),
                    "status": state, "done_on": None if done_on is None else str(done_on),
                    "note": "" if moved is None else NOTES[state],
                    "updated_by": None if moved is None else f"{ccode}-{suffix}".lower(),
                    "updated_at": None if moved is None else f"{moved}T02:00:00+00:00",
                    "version": 1 + (moved is not None), "_moved": None if moved is None else str(moved)})
                if moved is not None:
                    rows["action_update"].append({
                        "id": len(rows["action_update"]) + 1, "action_item_id": xid, "at": f"{moved}T02:00:00+00:00",
                        "by": f"{ccode}-{suffix}".lower(), "from_status": "open", "to_status": state,
                        "note": NOTES[state]})
            book.minutes(meeting, ccode, cname, rows["meeting_attendance"][first_att:],
                         rows["agenda_item"][first_item - 1:], rows["decision"][-3:],
                         rows["action_item"][first_action:], rows["minutes_signature"],
                         latest=qi == len(qstarts) - 1)
        planned = len(rows["meeting"]) + 1
        rows["meeting"].append({"id": planned, "code": f"{ccode}-JM-2026Q4", "community_id": cid,
                                "kind": "joint_four_party", "title": f"{cname}四方联席会议（2026Q4）",
                                "held_on": PLANNED_ON, "quarter": "2026Q4", "location": f"{cname}党群服务中心",
                                "starts_at": "09:30", **book.draft()})
        for suffix in PARTY_SUFFIXES:
            rows["meeting_attendance"].append({"meeting_id": planned, "party_id": party_id[f"{ccode}-{suffix}"],
                                               "attendees": "", "status": "absent", "deputy": ""})
    for row in rows["action_item"]:
        row.pop("_moved")
    for table, table_rows in rows.items():
        out[table] = {k: [r[k] for r in table_rows] for k in table_rows[0]}
    return out
