"""Demo communities, parties, practitioners and their needs, shaped to the papers' figures.

Paper figures are reproduced by exact counts (not by chance): the whole population hits each share to the
person, and the subgroup of migrant women in domestic services hits its own shares inside it.
"""

import numpy as np

from seed.common import (
    DATA_END,
    DATA_START,
    REFERENCE_YEAR,
    Columns,
    Scale,
    codes,
    exact_categories,
    exact_mask,
    iso,
    names,
    phones,
    pick,
    quarter_keys,
    random_dates,
    stamps,
)

# The paper figures the demo reproduces (papers 000 and 003).
PROFILE_TARGETS = {
    "age_18_35": 0.72,
    "education_junior_college_or_below": 0.65,
    "rural_hukou": 0.58,
    "labour_contract": 0.55,
    "pension": 0.60,
    "over_10h": 0.63,
}
MIGRANT_TARGETS = {"age_35_50": 0.75, "junior_high_or_below": 0.85}
MIGRANT_SERVICES = {"cleaning": 65, "maternity": 20, "elderly_care": 10, "appliance_cleaning": 5}
MIGRANT_INCOME_YUAN = (3200, 4500)
MIGRANT_SHARE = 0.08

DEMO_COMMUNITIES = [
    # code, name, kind, city, district
    ("GA", "G市A社区", "urban", "G市", "云岩区"),
    ("SQC", "石桥村", "rural", "遵义市", "湄潭县"),
    ("QYZ", "青岩镇电商社区", "urban", "贵阳市", "花溪区"),
]
CITIES = ["贵阳市", "遵义市", "六盘水市", "安顺市", "毕节市", "铜仁市", "黔东南州", "黔南州", "黔西南州"]
PLATFORMS = ["抖音电商", "快手电商", "美团", "淘宝直播", "拼多多"]

STRENGTHS = [
    "短视频剪辑", "普通话标准、善于表达", "熟悉本地农特产品", "刺绣手工艺", "有客服经验", "会做电商详情页",
    "擅长家常菜", "有驾照", "懂育婴护理", "组织过社区活动", "会说方言、亲和力强", "懂仓储管理",
]
NEED_TEXT = {
    "skills_digital": ["希望学习短视频剪辑", "不会用直播后台数据", "想学店铺运营", "手机操作不熟练"],
    "rights_protection": ["没有签订劳动合同", "平台差评申诉无门", "工资被拖欠", "不清楚社保怎么缴"],
    "sustainability_health": ["长时间直播嗓子劳损", "作息不规律、失眠", "颈椎腰椎不适", "收入不稳定、焦虑"],
    "social_support": ["刚来社区不认识人", "希望加入同行互助小组", "家人不支持做电商"],
    "employment_income": ["想找稳定的电商岗位", "订单少、收入下降", "想把手工艺品卖到网上"],
    "family_care": ["孩子放学无人照看", "需要照顾老人、时间碎片化"],
}


def communities(scale: Scale) -> Columns:
    rows = list(DEMO_COMMUNITIES)
    for i in range(len(rows), scale.communities):
        city = CITIES[i % len(CITIES)]
        if i % 3 == 1:
            rows.append((f"C{i:03d}", f"{city}第{i}村", "rural", city, f"第{i % 7 + 1}镇"))
        else:
            rows.append((f"C{i:03d}", f"{city}第{i}社区", "urban", city, f"第{i % 5 + 1}区"))
    return {
        "id": list(range(1, len(rows) + 1)),
        "code": [r[0] for r in rows], "name": [r[1] for r in rows], "kind": [r[2] for r in rows],
        "city": [r[3] for r in rows], "district": [r[4] for r in rows],
    }


def parties(comm: Columns) -> Columns:
    """Four parties per community (the joint meeting's four) plus the community's cooperative."""
    out: Columns = {"id": [], "code": [], "name": [], "kind": [], "community_id": []}
    for cid, code, name, kind, city in zip(
        comm["id"], comm["code"], comm["name"], comm["kind"], comm["city"], strict=True
    ):
        gov = f"{name}所在乡镇人民政府" if kind == "rural" else f"{name}所在街道办事处"
        members = [
            ("GOV", gov, "government"),
            ("PLT", f"{PLATFORMS[cid % len(PLATFORMS)]}（{city}服务中心）", "platform"),
            ("ASN", f"{city}电子商务协会", "association"),
            ("SW", f"{city}阳光社会工作服务中心（{name}站）", "social_work"),
            ("COOP", f"{name}电商合作社", "cooperative"),
        ]
        for suffix, pname, pkind in members:
            out["id"].append(len(out["id"]) + 1)
            out["code"].append(f"{code}-{suffix}")
            out["name"].append(pname)
            out["kind"].append(pkind)
            out["community_id"].append(cid)
    return out


def _spread(rng: np.random.Generator, n: int, comm: Columns, urban_only: bool = False) -> np.ndarray:
    """Community id per practitioner: the first demo community is the largest, like community A."""
    ids = np.array(comm["id"])
    kinds = np.array(comm["kind"])
    w = np.where(ids == 1, 2.0, 1.0) * rng.uniform(0.7, 1.3, size=len(ids))
    if urban_only:
        w = np.where(kinds == "urban", w, 0.0)
    return ids[rng.choice(len(ids), size=n, p=w / w.sum())]


def practitioners(rng: np.random.Generator, scale: Scale, comm: Columns) -> tuple[Columns, Columns]:
    n = scale.practitioners
    m = round(n * MIGRANT_SHARE)          # migrant women in platform domestic services (paper 003)
    rest = n - m
    mig = np.zeros(n, dtype=bool)
    mig[:m] = True

    community = np.concatenate([_spread(rng, m, comm, urban_only=True), _spread(rng, rest, comm)])
    rural_comm = np.isin(community, np.array(comm["id"])[np.array(comm["kind"]) == "rural"])

    # Age: 72% of everyone 18-35; 75% of the migrant women 35-50 (here 36-50), the rest of them 26-34.
    age = np.empty(n, dtype=int)
    mig_mid = exact_mask(rng, m, round(MIGRANT_TARGETS["age_35_50"] * m))
    age[:m] = np.where(mig_mid, rng.integers(36, 51, size=m), rng.integers(26, 35, size=m))
    young_left = round(PROFILE_TARGETS["age_18_35"] * n) - int((~mig_mid).sum())
    young = exact_mask(rng, rest, young_left)
    # Older ages thin out from 36 at about the density of each young year, so the share holds when ages are
    # counted a year earlier (the 17-year-olds who leave are balanced by the 36-year-olds who come in).
    older = np.arange(36, 61)
    w_older = np.exp(-(older - 36) / 7)
    age[m:] = np.where(young, rng.integers(18, 36, size=rest), rng.choice(older, size=rest, p=w_older / w_older.sum()))

    # Education: 85% of migrant women junior high or below; 65% of everyone junior college or below.
    edu = np.empty(n, dtype=object)
    edu[:m] = exact_categories(rng, m, {"primary_or_below": 25, "junior_high": 60, "senior_high": 15})
    low_left = round(PROFILE_TARGETS["education_junior_college_or_below"] * n) - m
    low = exact_mask(rng, rest, low_left)
    edu_rest = np.empty(rest, dtype=object)
    edu_rest[low] = pick(rng, int(low.sum()),
                         {"primary_or_below": 8, "junior_high": 30, "senior_high": 32, "junior_college": 30})
    edu_rest[~low] = pick(rng, int((~low).sum()), {"bachelor": 90, "postgraduate": 10})
    edu[m:] = edu_rest

    def overall(target: float, sub_rate: float, weights: np.ndarray | None = None) -> np.ndarray:
        """Exactly round(target*n) True overall, of which round(sub_rate*m) among migrant women."""
        sub = exact_mask(rng, m, round(sub_rate * m))
        k = round(target * n) - int(sub.sum())
        return np.concatenate([sub, exact_mask(rng, rest, k, None if weights is None else weights[m:])])

    hukou_rural = overall(PROFILE_TARGETS["rural_hukou"], 0.80, np.where(rural_comm, 4.0, 1.0))
    emp = np.empty(n, dtype=object)
    emp[:m] = exact_categories(rng, m, {"platform_employee": 60, "flexible_worker": 40})
    emp[m:] = pick(rng, rest, {"platform_employee": 30, "independent_operator": 35, "flexible_worker": 35})
    contract_w = np.select([emp == "platform_employee", emp == "flexible_worker"], [4.0, 1.0], 0.5)
    contract = overall(PROFILE_TARGETS["labour_contract"], 0.45, contract_w)
    pension = overall(PROFILE_TARGETS["pension"], 0.50, np.where(contract, 3.0, 1.0))
    injury = exact_mask(rng, n, round(0.46 * n), np.where(contract, 3.0, 0.7))
    long_day = overall(PROFILE_TARGETS["over_10h"], 0.55)
    hours = np.where(long_day, rng.integers(21, 29, size=n) / 2, rng.integers(12, 21, size=n) / 2)

    occupation = np.empty(n, dtype=object)
    occupation[:m] = "domestic_service"
    occupation[m:] = pick(rng, rest, {
        "livestream_host": 20, "store_operator": 18, "customer_service": 15, "content_creator": 12,
        "warehouse_packing": 12, "delivery": 10, "handicraft": 8, "other": 5,
    })
    service = np.full(n, None, dtype=object)
    service[:m] = exact_categories(rng, m, MIGRANT_SERVICES)
    gender = np.empty(n, dtype=object)
    gender[:m] = "female"
    gender[m:] = np.where(rng.random(rest) < 0.55, "female", "male")

    lo, hi = MIGRANT_INCOME_YUAN
    income_yuan = np.empty(n, dtype=int)
    income_yuan[:m] = rng.integers(lo, hi + 1, size=m)
    income_yuan[m:] = np.clip(rng.lognormal(np.log(5200), 0.45, size=rest), 1800, 30000).astype(int)

    registered = np.where(
        rng.random(n) < 0.6,
        random_dates(rng, n, np.datetime64("2022-01-01"), DATA_START - 1),
        random_dates(rng, n, DATA_START, DATA_END),
    )
    member = exact_mask(rng, n, round(0.31 * n), np.where(emp == "independent_operator", 2.0, 1.0))
    strengths = [
        "、".join(STRENGTHS[j] for j in sorted({a, b}))
        for a, b in zip(rng.integers(0, len(STRENGTHS), n), rng.integers(0, len(STRENGTHS), n), strict=True)
    ]

    # Shuffle so codes do not reveal the subgroup; every array is permuted the same way.
    order = rng.permutation(n)
    cols: Columns = {
        "community_id": community, "gender": gender, "birth_year": REFERENCE_YEAR - age, "education": edu,
        "hukou": np.where(hukou_rural, "rural", "urban"), "employment_type": emp, "occupation": occupation,
        "domestic_service": service, "daily_work_hours": hours, "has_labour_contract": contract,
        "has_pension": pension, "has_injury_insurance": injury, "monthly_income_cents": income_yuan * 100,
        "is_association_member": member, "registered_on": registered,
    }
    cols = {k: np.asarray(v)[order] for k, v in cols.items()}
    mig, age, hukou_rural = mig[order], age[order], hukou_rural[order]

    groups_pid: list[np.ndarray] = []
    groups_name: list[str] = []

    def tag(mask: np.ndarray, group: str) -> None:
        ids = np.flatnonzero(mask) + 1
        groups_pid.append(ids)
        groups_name.extend([group] * len(ids))

    female = cols["gender"] == "female"
    tag(mig, "migrant_women")
    tag(~mig & female & hukou_rural & (rng.random(n) < 0.45), "rural_women")
    tag((cols["monthly_income_cents"] < 350_000) & (rng.random(n) < 0.7), "low_income")
    tag(exact_mask(rng, n, round(0.03 * n)), "disabled")
    tag(age >= 55, "elderly")
    tag(hukou_rural & (age >= 20) & (age <= 35) & (rng.random(n) < 0.18), "returning_youth")

    out: Columns = {
        "id": np.arange(1, n + 1), "code": codes("P", n), "name": names(rng, n), "phone": phones(rng, n),
        **{k: v for k, v in cols.items() if k != "registered_on"},
        "strengths": strengths, "registered_on": iso(cols["registered_on"]),
    }
    groups: Columns = {"practitioner_id": np.concatenate(groups_pid), "group": groups_name}
    return out, groups


NEED_WEIGHTS = {  # category weights per employment type: the heatmap has a shape worth reading
    "platform_employee": {"skills_digital": 22, "rights_protection": 32, "sustainability_health": 22,
                          "social_support": 10, "employment_income": 8, "family_care": 6},
    "independent_operator": {"skills_digital": 38, "rights_protection": 12, "sustainability_health": 15,
                             "social_support": 12, "employment_income": 18, "family_care": 5},
    "flexible_worker": {"skills_digital": 25, "rights_protection": 22, "sustainability_health": 18,
                        "social_support": 16, "employment_income": 12, "family_care": 7},
}
SOCIAL_WORKERS = ["李社工", "王社工", "张社工", "陈社工", "杨社工", "赵社工"]


def needs(rng: np.random.Generator, scale: Scale, prac: Columns) -> tuple[Columns, Columns]:
    n = scale.needs
    who = rng.integers(0, scale.practitioners, size=n)
    registered = np.array(prac["registered_on"], dtype="datetime64[D]")[who]
    start = np.maximum(registered, DATA_START)
    span = (DATA_END - start).astype(int) + 1
    identified = start + np.floor(rng.random(n) * span).astype(int).astype("timedelta64[D]")
    emp = np.asarray(prac["employment_type"])[who]
    category = np.empty(n, dtype=object)
    for etype, weights in NEED_WEIGHTS.items():
        sel = emp == etype
        category[sel] = pick(rng, int(sel.sum()), weights)
    text = np.array([NEED_TEXT[c][i % len(NEED_TEXT[c])] for c, i in zip(category, rng.integers(0, 12, n),
                                                                         strict=True)], dtype=object)

    # The loop: each stage follows the last after some days, unless the need stalls or the data ends first.
    nat = np.datetime64("NaT", "D")
    stages = ["assessed", "responded", "feedback", "closed"]
    gaps = [(1, 8), (2, 21), (5, 31), (0, 11)]
    stall = [0.04, 0.06, 0.08, 0.05]
    dates = {"identified": identified}
    alive = np.ones(n, dtype=bool)
    prev = identified
    for stage, (lo, hi), p in zip(stages, gaps, stall, strict=True):
        nxt = prev + rng.integers(lo, hi, size=n).astype("timedelta64[D]")
        alive = alive & (rng.random(n) >= p) & (nxt <= DATA_END)
        dates[stage] = np.where(alive, nxt, nat)
        prev = nxt
    status = np.full(n, "identified", dtype=object)
    for stage in stages:
        status[~np.isnat(dates[stage])] = stage
    satisfaction = np.where(
        np.isnat(dates["feedback"]), 0, rng.choice([5, 4, 3, 2, 1], size=n, p=[0.45, 0.35, 0.14, 0.04, 0.02])
    )
    worker = np.array(SOCIAL_WORKERS, dtype=object)[rng.integers(0, len(SOCIAL_WORKERS), size=n)]

    ids = np.arange(1, n + 1)
    need: Columns = {
        "id": ids, "code": codes("N", n), "practitioner_id": who + 1,
        "community_id": np.asarray(prac["community_id"])[who], "category": category,
        "severity": pick(rng, n, {"low": 30, "medium": 40, "high": 22, "urgent": 8}), "status": status,
        "description": text, "identified_on": iso(identified), "quarter": quarter_keys(identified),
        "assessed_on": iso(dates["assessed"]), "responded_on": iso(dates["responded"]),
        "feedback_on": iso(dates["feedback"]), "closed_on": iso(dates["closed"]),
        "satisfaction": [None if s == 0 else int(s) for s in satisfaction], "social_worker": worker,
    }

    ev_need, ev_from, ev_to, ev_at, ev_actor = [], [], [], [], []
    previous: str | None = None
    for stage in ["identified", *stages]:
        reached = ~np.isnat(dates[stage])
        ev_need.append(ids[reached])
        ev_from.extend([previous] * int(reached.sum()))
        ev_to.extend([stage] * int(reached.sum()))
        ev_at.extend(stamps(dates[stage][reached], rng))
        ev_actor.append(worker[reached])
        previous = stage
    events: Columns = {
        "id": np.arange(1, len(ev_to) + 1), "need_id": np.concatenate(ev_need), "from_status": ev_from,
        "to_status": ev_to, "at": ev_at, "actor": np.concatenate(ev_actor), "note": [""] * len(ev_to),
    }
    return need, events
