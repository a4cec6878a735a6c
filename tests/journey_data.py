"""One quarter of one community's casework as a social worker types it into the import templates, and the set-up an
admin makes first (the community, its four parties, the units requests are routed to).

Deterministic (random.Random(42)); values as people write them: list values by their Chinese label, 是/否, dates as
dates, money in yuan. The workbooks are the templates themselves (writer.template_xlsx) with rows filled in, so the
dropdowns, formats and the help sheet are those a social worker downloads.
"""

import datetime as dt
import io
import random
from collections.abc import Mapping
from typing import Any

import openpyxl
from sqlalchemy.engine import Engine

from dashboard.excel import writer
from dashboard.excel.spec import ENTITIES
from dashboard.i18n import t, use_language
from dashboard.periods import quarter_bounds
from tests import factories

COMMUNITY = "HX"
COMMUNITY_NAME = "H市X社区"
SOCIAL_WORK = f"{COMMUNITY}-SW"
# The social worker's quarter, in the order a person would think of them (the batch import finds its own order).
CASEWORK = ("needs", "requests", "enrolments", "practitioners", "courses", "livestreams")
ADMIN_SETUP = ("communities", "parties", "units")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ("秀英", "丽娟", "桂兰", "海燕", "春梅", "晓燕", "玉兰", "红霞", "建华", "志强", "晓东", "小红", "佳怡",
         "欣悦", "雨涵", "子涵", "明", "伟", "芳", "静")
STRENGTHS = ("会做手工刺绣", "普通话标准，能说会道", "短视频剪辑", "懂仓储管理", "做饭好吃", "熟悉本地特产", "")
NEEDS = {"skills_digital": "想学直播带货但不会操作", "rights_protection": "平台扣款不明白，想问怎么维权",
         "sustainability_health": "每天直播太久，腰和嗓子不好", "social_support": "刚来社区不认识人",
         "employment_income": "收入不稳定，想多接单", "family_care": "孩子放学没人接"}
REQUESTS = {"parcel_stacking": "楼道快递堆放影响通行", "livestream_noise": "夜间直播声音太大", "road_lighting":
            "巷子路灯坏了", "sanitation": "包装垃圾清运不及时", "logistics": "快递车乱停", "public_facilities":
            "想要一个共享直播间", "training": "希望开短视频剪辑课"}


def setup_rows() -> dict[str, list[dict[str, Any]]]:
    """What the admin sets up before the quarter: stored values (enum codes), by entity."""
    c = COMMUNITY
    return {
        "communities": [{"code": c, "name": COMMUNITY_NAME, "kind": "urban", "city": "H市", "district": "新城区"}],
        "parties": [{"code": f"{c}-GOV", "name": "X社区所在街道办事处", "kind": "government", "community_id": c},
                    {"code": f"{c}-PLT", "name": "H市直播电商平台服务站", "kind": "platform", "community_id": c},
                    {"code": f"{c}-ASN", "name": "H市电子商务协会", "kind": "association", "community_id": c},
                    {"code": SOCIAL_WORK, "name": "H市阳光社工服务中心", "kind": "social_work", "community_id": c}],
        "units": [{"code": f"U-{c}-street", "name": "X街道办事处", "kind": "township_department",
                   "community_id": c, "party_id": f"{c}-GOV", "is_active": True},
                  {"code": f"U-{c}-village", "name": "X社区居委会", "kind": "village_committee", "community_id": c,
                   "party_id": f"{c}-GOV", "parent_id": f"U-{c}-street", "is_active": True},
                  {"code": f"U-{c}-city", "name": "X街道城管中队", "kind": "township_department", "community_id": c,
                   "party_id": f"{c}-GOV", "parent_id": f"U-{c}-street", "is_active": True},
                  {"code": f"U-{c}-platform", "name": "平台服务站", "kind": "platform", "community_id": c,
                   "party_id": f"{c}-PLT", "parent_id": f"U-{c}-street", "is_active": True}],
    }


def insert_setup(engine: Engine, *, slas: bool = True) -> None:
    """setup_rows() written straight into the database (the browser journey makes them through the CLI instead);
    with `slas`, the deadlines by priority the migration puts in every database (a wiped test database has none)."""
    setup = setup_rows()
    with engine.begin() as conn:
        community = factories.community(conn, COMMUNITY, name=COMMUNITY_NAME)
        parties = {p["code"]: factories.party(conn, community, p["code"], p["kind"], name=p["name"])
                   for p in setup["parties"]}
        units: dict[str, int] = {}
        for u in setup["units"]:
            units[u["code"]] = factories.insert(conn, "unit", code=u["code"], name=u["name"], kind=u["kind"],
                                                community_id=community, party_id=parties[u["party_id"]],
                                                parent_id=units.get(u.get("parent_id") or ""), is_active=True)
        for priority, days in (("urgent", 1), ("general", 5), ("complex", 15)) if slas else ():
            factories.insert(conn, "request_sla", priority=priority, working_days=days)


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def quarter_rows(quarter: str, *, people: int = 60, seed: int = 42) -> dict[str, list[dict[str, Any]]]:
    """The quarter's casework for COMMUNITY: stored values (enum codes, cents, dates), by entity. Every date lies in
    the quarter, so the quarter must be over (an event after today is refused)."""
    rng = random.Random(seed)
    start, end = quarter_bounds(quarter)
    c = COMMUNITY
    practitioners = []
    for i in range(1, people + 1):
        occupation = rng.choice(["livestream_host", "store_operator", "customer_service", "content_creator",
                                 "warehouse_packing", "delivery", "handicraft", "domestic_service"])
        practitioners.append({
            "code": f"{c}-P{i:03d}", "community_id": c, "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "gender": "female" if rng.random() < 0.7 else "male", "birth_year": rng.randint(1968, 2004),
            "phone": f"13{rng.randint(100000000, 999999999)}",
            "education": rng.choice(["primary_or_below", "junior_high", "junior_high", "senior_high",
                                     "junior_college"]),
            "hukou": rng.choice(["rural", "rural", "urban"]),
            "employment_type": rng.choice(["platform_employee", "independent_operator", "flexible_worker",
                                           "flexible_worker"]),
            "occupation": occupation,
            "domestic_service": "cleaning" if occupation == "domestic_service" else None,
            "daily_work_hours": rng.choice([6, 8, 9, 10, 10.5, 11, 12]),
            "has_labour_contract": rng.random() < 0.3, "has_pension": rng.random() < 0.4,
            "has_injury_insurance": rng.random() < 0.25,
            "monthly_income_cents": rng.randrange(250_000, 900_000, 100), "is_association_member": rng.random() < 0.3,
            "strengths": rng.choice(STRENGTHS), "registered_on": _day(rng, start, end),
            "groups": rng.choice([[], [], ["rural_women"], ["migrant_women"], ["low_income"],
                                  ["rural_women", "low_income"], ["returning_youth"]]),
        })
    needs = []
    stages = ("assessed_on", "responded_on", "feedback_on", "closed_on")
    statuses = ("identified", "assessed", "responded", "feedback", "closed")
    for i, p in enumerate(rng.sample(practitioners, k=int(people * 0.75)), start=1):
        category = rng.choice(list(NEEDS))
        reached = rng.choices(range(5), weights=[1, 1, 2, 1, 5])[0]
        identified = max(p["registered_on"], _day(rng, start, end - dt.timedelta(days=30)))
        row = {"code": f"{c}-N{i:03d}", "practitioner_id": p["code"], "category": category,
               "severity": rng.choice(["low", "medium", "medium", "high", "urgent"]), "status": statuses[reached],
               "description": NEEDS[category], "identified_on": identified, "social_worker": "李社工"}
        day = identified
        for stage in stages[:reached]:
            day = min(end, day + dt.timedelta(days=rng.randint(1, 6)))
            row[stage] = day
        if reached == 4:
            row["satisfaction"] = rng.choices([3, 4, 5], weights=[1, 3, 4])[0]
        needs.append(row)
    courses = []
    titles = [("短视频拍摄与剪辑（初级）", "short_video", "basic"),
              ("直播带货实操（中级）", "livestreaming", "intermediate"),
              ("网店运营入门", "store_operation", "basic"), ("劳动权益与合同", "rights_law", "basic")]
    for i, (title, topic, level) in enumerate(titles, start=1):
        first = start + dt.timedelta(days=14 * i)
        courses.append({"code": f"{c}-K{i:02d}", "community_id": c, "title": title, "topic": topic, "level": level,
                        "provider_party_id": SOCIAL_WORK if topic == "rights_law" else f"{c}-ASN",
                        "target_group": "rural_women" if i == 1 else "all", "hours": rng.choice([12, 16, 24]),
                        "start_date": first, "end_date": first + dt.timedelta(days=4)})
    enrolments = []
    n = 0
    for course in courses:
        for p in rng.sample(practitioners, k=int(people * 0.25)):
            n += 1
            attended = rng.random() < 0.9
            completed = attended and rng.random() < 0.8
            pre = rng.randint(35, 70)
            enrolments.append({
                "code": f"{c}-E{n:03d}", "course_id": course["code"], "practitioner_id": p["code"],
                "enrolled_on": course["start_date"] - dt.timedelta(days=rng.randint(1, 10)), "attended": attended,
                "completed": completed, "pre_score": pre, "post_score": min(100, pre + rng.randint(5, 30))
                if completed else None, "certified": completed and rng.random() < 0.6,
                "income_before_cents": p["monthly_income_cents"],
                "satisfaction": rng.choice([3, 4, 4, 5, 5]) if attended else None})
    livestreams = []
    held = start + dt.timedelta(days=3)
    i = 0
    while held <= end:
        i += 1
        livestreams.append({"code": f"{c}-L{i:02d}", "community_id": c, "held_on": held,
                            "title": f"第{i}期 社区治理直播", "hosts": "社工李敏、居委主任",
                            "platform": rng.choice(["douyin", "kuaishou", "wechat_channels"]),
                            "viewers": rng.randint(300, 2500)})
        held += dt.timedelta(days=14)
    requests = []
    request_stages = ("collected", "classified", "routed", "in_progress", "resolved", "reported", "closed")
    n = 0
    units = [u["code"] for u in setup_rows()["units"]]
    for k, session in enumerate(livestreams):
        later = livestreams[k + 1:]
        for _ in range(rng.randint(3, 6)):
            n += 1
            category = rng.choice(list(REQUESTS))
            top = 6 if len(later) >= 1 else 4        # reported back in a later livestream of the quarter
            stage = min(top, rng.choices(range(7), weights=[1, 1, 1, 2, 2, 2, 6])[0])
            raised = session["held_on"]
            row: dict[str, Any] = {
                "code": f"{c}-R{n:03d}", "session_id": session["code"], "raised_on": raised, "category": category,
                "priority": rng.choice(["general", "general", "urgent", "complex"]),
                "description": REQUESTS[category], "endorsements": rng.randint(0, 60),
                "status": request_stages[stage]}
            if stage >= 2:
                row["lead_unit_id"] = rng.choice(units)
                row["routed_on"] = raised + dt.timedelta(days=rng.randint(0, 2))
            if stage >= 4:
                row["outcome"] = rng.choices(["solved", "partly_solved", "explained"], weights=[6, 2, 2])[0]
                row["resolved_on"] = min(end, row["routed_on"] + dt.timedelta(days=rng.randint(1, 9)))
                row["resolution"] = "已协调处理并回复居民"
            if stage >= 5:
                row["reported_session_id"] = rng.choice(later)["code"]
            if stage == 6:
                row["satisfaction"] = rng.choices(["satisfied", "basically_satisfied", "dissatisfied"],
                                                  weights=[6, 3, 1])[0]
                row["callback_tries"] = 1
                row["closed_on"] = min(end, row["resolved_on"] + dt.timedelta(days=rng.randint(3, 12)))
            requests.append(row)
    return {"practitioners": practitioners, "needs": needs, "courses": courses, "enrolments": enrolments,
            "livestreams": livestreams, "requests": requests}


def typed(entity: str, row: Mapping[str, Any]) -> list[Any]:
    """A row's cells in template order, as a person types them: labels, 是/否, yuan, dates."""
    out: list[Any] = []
    for f in ENTITIES[entity].fields:
        v = row.get(f.column)
        if v is None or v == []:
            out.append(None)
        elif f.kind == "enum":
            out.append(t(f"enum.{f.enum.__name__}.{v}"))  # type: ignore[union-attr]
        elif f.kind == "groups":
            out.append("、".join(t(f"enum.VulnerableGroup.{g}") for g in v))
        elif f.kind == "bool":
            out.append(t("common.yes") if v else t("common.no"))
        elif f.kind == "money":
            out.append(v / 100)
        else:
            out.append(v)
    return out


def workbook(entity: str, rows: list[Mapping[str, Any]], lang: str = "zh") -> bytes:
    """The entity's import template with `rows` typed under its header."""
    with use_language(lang):
        wb = openpyxl.load_workbook(io.BytesIO(writer.template_xlsx(entity, lang)))
        ws = wb.worksheets[0]
        for row in rows:
            ws.append(typed(entity, row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def file_name(entity: str, quarter: str) -> str:
    with use_language("zh"):
        return f"{quarter}_{t(f'entity.{entity}')}.xlsx"
