"""Demo governance: weekly livestreams with their requests (paper 004) and the quarterly four-party meeting."""

import numpy as np

from seed.common import DATA_END, Columns, Scale, codes, iso, names, pick, quarter_keys, stamps

REQUEST_TEXT = {
    "parcel_stacking": "快递包裹堆放占用楼道和消防通道", "livestream_noise": "夜间直播噪音扰民",
    "road_lighting": "进村道路路灯不亮", "sanitation": "包装垃圾清运不及时", "logistics": "物流取件点太远、时效慢",
    "training": "希望增开直播带货培训", "rights_dispute": "平台罚款和差评申诉难", "public_facilities": "缺少公共直播间",
    "other": "其他建议",
}
DEPARTMENTS = {  # (urban, rural)
    "parcel_stacking": ("property_management", "village_committee"),
    "livestream_noise": ("residents_committee", "village_committee"),
    "road_lighting": ("street_office", "township_government"), "sanitation": ("urban_management", "village_committee"),
    "logistics": ("postal_logistics", "postal_logistics"), "training": ("human_resources", "human_resources"),
    "rights_dispute": ("market_regulation", "market_regulation"),
    "public_facilities": ("street_office", "township_government"), "other": ("residents_committee",
                                                                             "village_committee"),
}
REQUEST_WEIGHTS = {"parcel_stacking": 18, "livestream_noise": 12, "road_lighting": 9, "sanitation": 12,
                   "logistics": 12, "training": 13, "rights_dispute": 8, "public_facilities": 10, "other": 6}

UNIT_NAMES = {
    "village_committee": ("村委会", "village_committee"), "residents_committee": ("居委会", "village_committee"),
    "street_office": ("街道办", "township_department"), "township_government": ("乡镇政府", "township_department"),
    "market_regulation": ("市场监管所", "township_department"), "human_resources": ("人社所", "township_department"),
    "urban_management": ("城管中队", "township_department"), "property_management": ("物业服务中心", "other"),
    "postal_logistics": ("邮政快递网点", "other"),
}
TOP_UNIT = ("street_office", "township_government")   # (urban, rural): the unit the community's others escalate to


def units(comm: Columns, party: Columns) -> Columns:
    """The routing targets of each community: its township (street office), which the government party acts for
    and which receives escalations, and the departments requests go to (DEPARTMENTS)."""
    gov = {cid: pid for pid, cid, kind in zip(party["id"], party["community_id"], party["kind"], strict=True)
           if kind == "government"}
    out: Columns = {k: [] for k in ["id", "code", "name", "kind", "community_id", "township", "party_id",
                                    "parent_id", "is_active"]}
    for cid, code, name, kind in zip(comm["id"], comm["code"], comm["name"], comm["kind"], strict=True):
        rural = int(kind == "rural")
        top = TOP_UNIT[rural]
        depts = [top, *sorted({pair[rural] for pair in DEPARTMENTS.values()} - {top})]
        top_id = len(out["id"]) + 1
        for dept in depts:
            zh, ukind = UNIT_NAMES[dept]
            out["id"].append(len(out["id"]) + 1)
            out["code"].append(f"U-{code}-{dept}")
            out["name"].append(f"{name}{zh}")
            out["kind"].append(ukind)
            out["community_id"].append(cid)
            out["township"].append("")
            out["party_id"].append(gov.get(cid) if dept == top else None)
            out["parent_id"].append(None if dept == top else top_id)
            out["is_active"].append(True)
    return out


FIRST_MONDAY = np.datetime64("2025-04-07")
WEEKS = 78
STAGES = ["classified", "routed", "in_progress", "resolved", "reported", "closed"]
MOVE_OF = {"collected": "collect", "classified": "classify", "routed": "route", "in_progress": "accept",
           "resolved": "finish", "reported": "report", "closed": "close"}


def livestreams(rng: np.random.Generator, scale: Scale, comm: Columns,
                unit: Columns) -> tuple[Columns, Columns, Columns]:
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
    category = pick(rng, n, REQUEST_WEIGHTS)
    dept = np.array([DEPARTMENTS[c][int(r)] for c, r in zip(category, rural[r_ci], strict=True)], dtype=object)
    limit = np.select([np.isin(category, ["parcel_stacking", "livestream_noise", "sanitation"]),
                       np.isin(category, ["road_lighting", "logistics", "rights_dispute"])], [7, 14], 30)
    deadline = raised + limit.astype("timedelta64[D]")

    nat = np.datetime64("NaT", "D")
    # Days after the previous stage, and the chance of stalling there. About 15% finish after the deadline.
    handle = (limit * rng.uniform(0.15, 1.0, size=n)).astype(int)
    gaps = [rng.integers(0, 2, n), rng.integers(1, 3, n), rng.integers(1, 4, n), handle, None,
            rng.integers(0, 8, n)]
    stall = [0.01, 0.02, 0.03, 0.05, 0.0, 0.05]
    dates: dict[str, np.ndarray] = {"collected": raised}
    alive = np.ones(n, dtype=bool)
    prev = raised
    first_c = FIRST_MONDAY + offset[r_ci].astype("timedelta64[D]")
    reported_week = np.full(n, -1)
    for stage, gap, p in zip(STAGES, gaps, stall, strict=True):
        if stage == "reported":
            # Results are fed back in the community's next livestream after the request was resolved.
            nxt_week = (prev - first_c).astype(int) // 7 + 1
            nxt = first_c + (7 * nxt_week).astype("timedelta64[D]")
            ok = nxt_week < WEEKS
            reported_week = np.where(alive & ok & (nxt <= DATA_END), nxt_week, -1)
        else:
            nxt = prev + np.asarray(gap).astype("timedelta64[D]")
            ok = np.ones(n, dtype=bool)
        alive = alive & ok & (rng.random(n) >= p) & (nxt <= DATA_END)
        dates[stage] = np.where(alive, nxt, nat)
        prev = np.where(alive, nxt, prev)
    status = np.full(n, "collected", dtype=object)
    for stage in STAGES:
        status[~np.isnat(dates[stage])] = stage
    reopened = (status == "closed") & (rng.random(n) < 0.03)
    status[reopened] = "in_progress"
    reported_session = np.where(reported_week >= 0, r_ci * WEEKS + reported_week + 1, 0)

    ids = np.arange(1, n + 1)
    closed_on = np.where(reopened, nat, dates["closed"])
    unit_of = {(cid, c.removeprefix("U-").split("-", 1)[1]): uid for uid, c, cid in
               zip(unit["id"], unit["code"], unit["community_id"], strict=True)}
    routed = ~np.isnat(dates["routed"])
    lead = [unit_of[(int(c), d)] if r else None for c, d, r in zip(comm_ids[r_ci], dept, routed, strict=True)]
    req: Columns = {
        "id": ids, "code": codes("R", n), "session_id": s_idx + 1, "community_id": comm_ids[r_ci],
        "raised_on": iso(raised), "quarter": quarter_keys(raised), "category": category,
        "description": [REQUEST_TEXT[c] for c in category],
        "priority": np.where(limit == 7, "urgent", np.where(limit == 14, "general", "complex")),
        "endorsements": rng.integers(0, 40, size=n), "lead_unit_id": lead,
        "first_routed_on": iso(dates["routed"]), "routed_on": iso(dates["routed"]),
        "deadline": iso(np.where(routed, deadline, nat)), "status": status, "resolved_on": iso(dates["resolved"]),
        "outcome": np.where(np.isnat(dates["resolved"]), np.array(None, dtype=object), "solved"),
        "resolution": np.where(np.isnat(dates["resolved"]), "", "已协调相关部门处理完毕"),
        "unreasonable_by": [None] * n, "unreasonable_agreed_by": [None] * n,
        "reported_session_id": [int(s) if s else None for s in reported_session],
        "satisfaction": [None] * n, "callback_tries": np.zeros(n, dtype=int), "closed_on": iso(closed_on),
        "reopen_count": reopened.astype(int), "return_count": np.zeros(n, dtype=int),
        "escalation_level": np.zeros(n, dtype=int), "version": np.ones(n, dtype=int),
    }
    ev_req, ev_from, ev_to, ev_at, ev_move, ev_on = [], [], [], [], [], []
    ev_unit: list[object] = []
    lead_arr = np.array(lead, dtype=object)
    previous: str | None = None
    for stage in ["collected", *STAGES]:
        reached = ~np.isnat(dates[stage])
        k = int(reached.sum())
        ev_req.append(ids[reached])
        ev_from.extend([previous] * k)
        ev_to.extend([stage] * k)
        ev_at.extend(stamps(dates[stage][reached], rng))
        ev_on.extend(iso(dates[stage][reached]))
        ev_move.extend([MOVE_OF[stage]] * k)
        ev_unit.extend(lead_arr[reached].tolist() if stage == "routed" else [None] * k)
        previous = stage
    k = int(reopened.sum())
    ev_req.append(ids[reopened])
    ev_from.extend(["closed"] * k)
    ev_to.extend(["in_progress"] * k)
    ev_at.extend(stamps(dates["closed"][reopened] + 3, rng))
    ev_on.extend(iso(dates["closed"][reopened] + 3))
    ev_move.extend(["reopen"] * k)
    ev_unit.extend([None] * k)
    n_ev = len(ev_to)
    events: Columns = {"id": np.arange(1, n_ev + 1), "request_id": np.concatenate(ev_req), "move": ev_move,
                       "from_status": ev_from, "to_status": ev_to, "on": ev_on, "at": ev_at, "actor": ["社工"] * n_ev,
                       "from_unit_id": [None] * n_ev, "to_unit_id": ev_unit, "reason_code": [None] * n_ev,
                       "note": [""] * n_ev}
    return sess, req, events


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


def meetings(rng: np.random.Generator, comm: Columns, party: Columns) -> dict[str, Columns]:
    party_id = dict(zip(party["code"], party["id"], strict=True))
    qstarts = np.arange(np.datetime64("2025-04"), np.datetime64("2026-10"), 3).astype("datetime64[D]")
    out: dict[str, Columns] = {t: {} for t in ["meeting", "meeting_attendance", "agenda_item", "decision",
                                               "action_item"]}
    rows: dict[str, list[dict[str, object]]] = {t: [] for t in out}
    for cid, ccode, cname in zip(comm["id"], comm["code"], comm["name"], strict=True):
        for qs in qstarts:
            held = qs + 40 + int(rng.integers(0, 14))
            mid = len(rows["meeting"]) + 1
            rows["meeting"].append({"id": mid, "code": f"{ccode}-JM-{quarter_keys(np.array([held]))[0]}",
                                    "community_id": cid, "kind": "joint_four_party",
                                    "title": f"{cname}四方联席会议（{quarter_keys(np.array([held]))[0]}）",
                                    "held_on": str(held), "quarter": quarter_keys(np.array([held]))[0],
                                    "location": f"{cname}党群服务中心"})
            for suffix in ["GOV", "PLT", "ASN", "SW", "COOP"]:
                rows["meeting_attendance"].append({
                    "meeting_id": mid, "party_id": party_id[f"{ccode}-{suffix}"], "attendees": "",
                    "present": suffix != "PLT" or bool(rng.random() < 0.85)})
            for order, (title, suffix, minutes, source) in enumerate(AGENDA, start=1):
                aid = len(rows["agenda_item"]) + 1
                rows["agenda_item"].append({
                    "id": aid, "code": f"A{aid:06d}", "meeting_id": mid, "order_no": order, "title": title,
                    "presenter_party_id": party_id[f"{ccode}-{suffix}"], "minutes": minutes, "source": source})
            for k in rng.choice(len(ACTIONS), size=3, replace=False):
                title, suffix = ACTIONS[int(k)]
                did = len(rows["decision"]) + 1
                rows["decision"].append({"id": did, "code": f"D{did:06d}", "meeting_id": mid,
                                         "agenda_item_id": None, "text": f"会议议定：{title}"})
                due = held + int(rng.integers(30, 61))
                if due <= DATA_END:
                    state = str(rng.choice(["done", "in_progress", "open"], p=[0.75, 0.1, 0.15]))
                else:
                    state = str(rng.choice(["open", "in_progress", "done"], p=[0.5, 0.3, 0.2]))
                done_on = min(held + int(rng.integers(7, 70)), DATA_END) if state == "done" else None
                xid = len(rows["action_item"]) + 1
                rows["action_item"].append({
                    "id": xid, "code": f"X{xid:06d}", "meeting_id": mid, "decision_id": did, "title": title,
                    "owner_party_id": party_id[f"{ccode}-{suffix}"], "created_on": str(held), "due_on": str(due),
                    "status": state, "done_on": None if done_on is None else str(done_on)})
    for table, table_rows in rows.items():
        out[table] = {k: [r[k] for r in table_rows] for k in table_rows[0]}
    return out
