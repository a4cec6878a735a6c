"""Demo activity over six quarters: training, cooperative sales, weekly governance livestreams, joint meetings."""

import numpy as np

from seed import training_outcomes
from seed.common import DATA_END, DATA_START, Columns, Scale, codes, iso, month_keys, pick, quarter_keys, random_dates

TOPICS_BY_LEVEL = {  # three-level training (paper 002), content from paper 001
    "basic": ["digital_basics", "product_selection", "after_sales", "rights_law", "domestic_service"],
    "intermediate": ["short_video", "store_operation", "livestreaming", "domestic_service"],
    "advanced": ["livestreaming", "store_operation", "short_video"],
}
TOPIC_TITLE = {
    "digital_basics": "手机电商入门", "product_selection": "选品与货源", "short_video": "短视频拍摄与剪辑",
    "livestreaming": "直播带货实操", "store_operation": "网店运营", "after_sales": "售后与客户沟通",
    "domestic_service": "家政服务技能与线上接单", "rights_law": "劳动权益与合同常识",
}
LEVEL_TITLE = {"basic": "初级", "intermediate": "中级", "advanced": "高级"}
QUARTER_STARTS = np.arange(DATA_START.astype("datetime64[M]"), DATA_END.astype("datetime64[M]") + 1, 3)


def training(rng: np.random.Generator, scale: Scale, comm: Columns, party: Columns,
             prac: Columns) -> tuple[Columns, Columns, dict[str, Columns]]:
    n_courses = max(len(comm["id"]) * 6, scale.enrolments // scale.enrolments_per_course)
    course_comm = np.asarray(comm["id"])[np.arange(n_courses) % len(comm["id"])]
    level = pick(rng, n_courses, {"basic": 50, "intermediate": 35, "advanced": 15})
    topic = np.array([TOPICS_BY_LEVEL[lv][i % len(TOPICS_BY_LEVEL[lv])]
                      for lv, i in zip(level, rng.integers(0, 10, n_courses), strict=True)], dtype=object)
    start = random_dates(rng, n_courses, DATA_START + 20, DATA_END - 20)  # enrolment opens 3-19 days before
    hours = np.select([level == "basic", level == "intermediate"], [12, 24], 40)
    end = start + (hours // 4).astype("timedelta64[D]")
    target = np.where(topic == "domestic_service", "migrant_women",
                      pick(rng, n_courses, {"all": 70, "rural_women": 10, "disabled": 8, "low_income": 6,
                                            "elderly": 3, "returning_youth": 3}))
    # Providers: the association and the social-work organisation of the same community take turns.
    party_code = np.asarray(party["code"])
    party_ids = {c: i for c, i in zip(party_code, party["id"], strict=True)}
    comm_code = dict(zip(comm["id"], comm["code"], strict=True))
    provider = [party_ids[f"{comm_code[c]}-{'ASN' if i % 2 else 'SW'}"]
                for i, c in enumerate(course_comm)]
    course: Columns = {
        "id": np.arange(1, n_courses + 1), "code": codes("K", n_courses), "community_id": course_comm,
        "title": [f"{TOPIC_TITLE[t]}（{LEVEL_TITLE[lv]}）" for t, lv in zip(topic, level, strict=True)],
        "topic": topic, "level": level, "provider_party_id": provider, "target_group": target, "hours": hours,
        "start_date": iso(start), "end_date": iso(end), "quarter": quarter_keys(start),
    }

    # Enrolments: people of the course's community, each at most once per course.
    p_comm = np.asarray(prac["community_id"])
    by_comm = {c: np.flatnonzero(p_comm == c) for c in comm["id"]}
    per_course = np.full(n_courses, scale.enrolments // n_courses)
    per_course[: scale.enrolments - per_course.sum()] += 1
    c_idx, p_idx = [], []
    for i, (c, k) in enumerate(zip(course_comm, per_course, strict=True)):
        pool = by_comm[c]
        chosen = rng.choice(pool, size=min(k, len(pool)), replace=False)
        c_idx.append(np.full(len(chosen), i))
        p_idx.append(chosen)
    ci, pi = np.concatenate(c_idx), np.concatenate(p_idx)
    n = len(ci)
    enrolled = start[ci] - rng.integers(3, 20, size=n).astype("timedelta64[D]")
    lv = level[ci]
    attended = rng.random(n) < 0.92
    completed = attended & (rng.random(n) < np.select([lv == "basic", lv == "intermediate"], [0.88, 0.8], 0.72))
    certified = completed & (rng.random(n) < 0.7)
    employed = completed & (rng.random(n) < np.where(certified, 0.55, 0.3))
    pre = rng.integers(35, 75, size=n)
    post = np.clip(pre + rng.integers(5, 30, size=n), 0, 100)
    income_before = np.asarray(prac["monthly_income_cents"])[pi]
    # Going online lifts income by about 30% (paper 003); the employed gain more than the rest.
    lift = np.where(employed, rng.uniform(1.15, 1.45, size=n), rng.uniform(0.97, 1.12, size=n))
    enrol: Columns = {
        "id": np.arange(1, n + 1), "code": codes("E", n), "course_id": ci + 1, "practitioner_id": pi + 1,
        "community_id": course_comm[ci], "enrolled_on": iso(enrolled), "quarter": quarter_keys(enrolled),
        "attended": attended, "completed": completed,
        "pre_score": [int(x) if a else None for x, a in zip(pre, attended, strict=True)],
        "post_score": [int(x) if c else None for x, c in zip(post, completed, strict=True)],
        "certified": certified, "income_before_cents": income_before,
        "satisfaction": [int(s) if c else None for s, c in
                         zip(rng.choice([5, 4, 3, 2], size=n, p=[0.5, 0.35, 0.12, 0.03]), completed, strict=True)],
    }
    return course, enrol, training_outcomes.outcomes(course, enrol, employed=employed, lift=lift)


CHANNELS = {"douyin": 35, "kuaishou": 20, "taobao": 15, "pinduoduo": 15, "meituan": 5, "wechat": 10}
PRODUCTS = ["刺绣挎包", "蜡染围巾", "湄潭翠芽", "辣椒酱", "竹编果篮", "手工糍粑", "野生菌干货", "腊肉", "米酒"]


def cooperative(rng: np.random.Generator, scale: Scale, comm: Columns, prac: Columns) -> dict[str, Columns]:
    n_coop = len(comm["id"])
    coop: Columns = {
        "id": list(comm["id"]), "code": [f"{c}-COOP" for c in comm["code"]],
        "community_id": list(comm["id"]), "name": [f"{nm}电商合作社" for nm in comm["name"]],
        "founded_on": ["2023-06-01"] * n_coop,
        "carry_loss_forward": [i % 2 == 1 for i in range(n_coop)],
        "distribution_basis": ["revenue"] * n_coop,
    }
    # Community A splits 70/20/10 (paper 001). The village adds a 5%-of-sales help fund from 2026 (paper 004);
    # the third keeps 15% of profit for a help fund (paper 002). Others follow community A.
    split: Columns = {k: [] for k in ["id", "cooperative_id", "effective_from", "member_bp", "cooperative_bp",
                                      "public_fund_bp", "help_fund_bp", "help_fund_basis"]}

    def add_split(cid: int, frm: str, m: int, c: int, f: int, h: int, basis: str) -> None:
        for key, val in zip(list(split)[1:], [cid, frm, m, c, f, h, basis], strict=True):
            split[key].append(val)
        split["id"].append(len(split["id"]) + 1)

    for cid in coop["id"]:
        add_split(cid, "2023-06-01", 7000, 2000, 1000, 0, "none")
        if cid == 2:
            add_split(cid, "2026-01-01", 7000, 2000, 1000, 500, "sales")
        if cid == 3:
            add_split(cid, "2025-01-01", 6000, 1500, 1000, 1500, "profit")

    n_members = scale.members_per_coop * n_coop
    mem_coop = np.repeat(np.asarray(coop["id"]), scale.members_per_coop)
    p_comm = np.asarray(prac["community_id"])
    linked = np.array([rng.choice(np.flatnonzero(p_comm == c)) + 1 for c in mem_coop])
    member: Columns = {
        "id": np.arange(1, n_members + 1), "code": codes("M", n_members), "cooperative_id": mem_coop,
        "practitioner_id": linked, "name": np.asarray(prac["name"])[linked - 1],
        "phone": np.asarray(prac["phone"])[linked - 1],
        "joined_on": iso(random_dates(rng, n_members, np.datetime64("2023-06-01"), DATA_START)),
        "shares_held": rng.integers(1, 21, size=n_members), "is_active": np.ones(n_members, dtype=bool),
    }

    n = scale.sales
    # Members sell unevenly (a few sell most), and 5% of sales are the cooperative's own.
    weight = rng.pareto(1.5, size=n_members) + 0.2
    seller = rng.choice(n_members, size=n, p=weight / weight.sum())
    own = rng.random(n) < 0.05
    sold = random_dates(rng, n, DATA_START, DATA_END)
    qty = rng.integers(1, 6, size=n)
    unit = rng.integers(1_500, 30_000, size=n)            # cents
    revenue = qty * unit
    cost = (revenue * rng.uniform(0.45, 0.8, size=n)).astype(np.int64)
    s_coop = mem_coop[seller]
    sale: Columns = {
        "id": np.arange(1, n + 1), "code": codes("S", n), "cooperative_id": s_coop,
        "member_id": [None if o else int(s) + 1 for s, o in zip(seller, own, strict=True)],
        "community_id": s_coop, "sold_on": iso(sold), "month": month_keys(sold), "quarter": quarter_keys(sold),
        "channel": pick(rng, n, CHANNELS),
        "product": np.array(PRODUCTS, dtype=object)[rng.integers(0, len(PRODUCTS), size=n)],
        "quantity": qty, "revenue_cents": revenue, "cost_cents": cost,
    }
    # Public-fund spending: a few community projects a quarter per cooperative (paper 001).
    purposes = ["快递驿站货架", "直播间隔音改造", "社区路灯维修", "困难会员慰问", "培训场地租金", "公共晾晒场"]
    n_spend = n_coop * 8
    # Spending starts once the first quarter's run has paid into the fund (approved on 2025-07-10).
    spent = random_dates(rng, n_spend, np.datetime64("2025-07-20"), DATA_END)
    spend: Columns = {
        "id": np.arange(1, n_spend + 1), "code": codes("F", n_spend),
        "cooperative_id": np.repeat(np.asarray(coop["id"]), 8), "spent_on": iso(spent),
        "purpose": np.array(purposes, dtype=object)[rng.integers(0, len(purposes), size=n_spend)],
        "amount_cents": rng.integers(50, 600, size=n_spend) * 1000, "approver": ["理事会"] * n_spend,
    }
    return {"cooperative": coop, "cooperative_split": split, "member": member, "sale": sale,
            "fund_spending": spend}
