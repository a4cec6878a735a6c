"""Benchmark: 每月一题 (dashboard.queries.hot_topics.hot_topics) on the province seed, for all communities and for one.

The province seed writes one description per category (9 distinct texts a quarter), which the SQL GROUP BY folds
at once. So the quarter is also timed with every request's description rewritten as a resident might have said it
(a deterministic mix of places, phrasings and tails: thousands of distinct texts per category), inside a
transaction that is rolled back afterwards. Each case runs three times on a new connection; the median is printed.

Target: all communities in under 5 s on SQLite (the page caches it for the TTL); the agenda builder's share (one
community, top 3) under 0.2 s, inside propose's 1 s (bench/agenda.py).
Run: .venv/bin/python bench/hot_topics.py [--sqlite PATH] (PATH holding the province seed, else seeded anew)
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from dashboard.db import init_database
from dashboard.queries.hot_topics import hot_topics
from seed import load_demo

QUARTER = "2026Q3"
RUNS = 3
ALL_TARGET_S = 5.0
ONE_TARGET_S = 0.2

PHRASES = {
    "parcel_stacking": ["快递包裹堆在楼道里", "快递堆放占用消防通道", "楼下快递堆成山没人管", "驿站包裹放到门口"],
    "livestream_noise": ["晚上直播太吵", "夜里直播噪音扰民", "隔壁直播到半夜吵得睡不着", "直播喊麦声音太大"],
    "road_lighting": ["路灯不亮", "进村道路路灯坏了", "晚上路太黑没有路灯", "路灯一直闪"],
    "sanitation": ["包装垃圾没人清运", "垃圾桶满了没人清", "纸箱泡沫堆在路边", "垃圾清运不及时"],
    "logistics": ["取件点太远", "物流太慢", "快递取件排长队", "发货物流点太少"],
    "training": ["希望开直播带货培训", "想学短视频剪辑", "想参加电商运营培训", "培训时间能不能放晚上"],
    "rights_dispute": ["平台罚款申诉难", "差评申诉没人理", "平台扣保证金不合理", "售后纠纷平台不处理"],
    "public_facilities": ["缺少公共直播间", "想要一个共享直播间", "村里没有打包场地", "活动中心能不能开放直播"],
    "other": ["其他建议", "希望多开几场治理直播", "网络信号差", "停车位太少"],
}
PLACES = ["", "", "3栋", "5号楼", "东门", "村口", "二组", "菜市场旁边", "幼儿园门口", "12栋2单元", "老街"]
TAILS = ["", "", "，希望尽快处理", "，好几天了", "！", "，已经说过好几次了", "，谁来管管", "？", "，影响出行"]


def varied(rng: random.Random, category: str) -> str:
    """A description as a resident might say it: a place (often a building number), one of the category's phrasings,
    a tail."""
    place = f"{rng.randint(1, 60)}{rng.choice(['栋', '号楼', '组'])}" if rng.random() < 0.5 else rng.choice(PLACES)
    return place + rng.choice(PHRASES[category]) + rng.choice(TAILS)


def rewrite(conn: Connection, quarters: tuple[str, ...]) -> int:
    """Every request of the quarters gets a varied description (rolled back by the caller); the distinct texts."""
    rng = random.Random(42)
    rows = conn.execute(sa.text("SELECT id, category FROM request WHERE quarter IN :q ORDER BY id")
                        .bindparams(sa.bindparam("q", expanding=True)), {"q": list(quarters)}).all()
    values = [{"i": int(i), "d": varied(rng, str(c))} for i, c in rows]
    conn.execute(sa.text("UPDATE request SET description = :d WHERE id = :i"), values)
    return len({v["d"] for v in values})


def timed(conn: Connection, community_id: int | None, limit: int) -> tuple[float, int, int]:
    started = time.perf_counter()
    topics = hot_topics(conn, quarter=QUARTER, community_id=community_id, limit=limit)
    return time.perf_counter() - started, len(topics), sum(t.requests for t in topics)


def run(engine: Engine, label: str, varied_texts: bool) -> float:
    worst = 0.0
    for community_id, limit in ((None, 10), (1, 10), (1, 3)):
        runs = []
        with engine.connect() as conn:
            tx = conn.begin()
            if varied_texts:
                distinct = rewrite(conn, (QUARTER, "2026Q2"))
                print(f"  ({distinct:,} distinct descriptions in {QUARTER} and 2026Q2)")
            for _ in range(RUNS):
                runs.append(timed(conn, community_id, limit))
            tx.rollback()
        took = statistics.median(r[0] for r in runs)
        target = ALL_TARGET_S if community_id is None else ONE_TARGET_S
        worst = max(worst, took / target)
        where = "all communities" if community_id is None else f"community {community_id}"
        print(f"{label} {where}, top {limit}: {took * 1000:,.0f} ms median "
              f"({', '.join(f'{r[0] * 1000:,.0f}' for r in runs)}), {runs[0][1]} topics, "
              f"{runs[0][2]:,} requests in them; target {target:.1f} s")
    return worst


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sqlite", help="a SQLite file holding the province seed (seeded there if empty)")
    args = ap.parse_args()
    path = Path(args.sqlite) if args.sqlite else Path(tempfile.mkdtemp()) / "province.db"
    engine = init_database(f"sqlite:///{path}")
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM request")).scalar_one()
    if n == 0:
        started = time.perf_counter()
        load_demo(engine, "province")
        print(f"seeded the province scale in {time.perf_counter() - started:.0f} s")
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM request WHERE quarter = :q"), {"q": QUARTER}).scalar_one()
    print(f"{QUARTER}: {n:,} requests")
    worst = max(run(engine, "seed texts:", False), run(engine, "varied texts:", True))
    engine.dispose()
    if not args.sqlite:
        path.unlink(missing_ok=True)
    return 0 if worst <= 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
