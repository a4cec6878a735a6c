"""Benchmark: import and export 100,000 practitioners on SQLite, beside a naive baseline in the same process.

Targets (issue 3): import >= 50,000 rows/s and >= 8x the baseline; export >= 15,000 rows/s; peak memory
<= 600 MB. The baseline is pandas.read_excel (openpyxl) and one ORM object per row.

Two workbooks are imported, each into a new database, and both are held to the targets:
- "shared strings", as Excel, WPS and LibreOffice write a workbook: each text once, in a table;
- "inline strings", as streaming writers (xlsxwriter's constant memory mode, many platform back-ends) write it:
  every text in its cell, a third more XML to parse.
Both are built in child processes, so that building them does not count towards the peak memory measured here.
Run: .venv/bin/python bench/excel_io.py [--rows N]
"""

import argparse
import io
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd
import xlsxwriter
from sqlmodel import Session

from dashboard.db import init_database
from dashboard.excel import importer, writer
from dashboard.i18n import set_language
from data_models import Community, Practitioner
from seed.common import names, phones

HEADER = ["从业者编号", "社区编号", "姓名", "性别", "出生年份", "电话", "学历", "户籍", "就业形态", "职业",
          "日工作时长（小时）", "签订劳动合同", "养老保险", "工伤保险", "月收入（元）", "加入行业协会", "优势特长",
          "登记日期"]


def build(n: int, path: Path, *, inline: bool) -> None:
    """The test workbook: text in a shared table (Excel's way) or inline in each cell (a streaming writer's)."""
    rng = np.random.default_rng(7)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": inline})
    ws = wb.add_worksheet("从业者")
    for c, h in enumerate(HEADER):
        ws.write_string(0, c, h)
    nm, ph = names(rng, n), phones(rng, n)
    edu = ["初中", "高中/中专", "大专", "本科"]
    emp = ["平台雇员", "独立经营者", "灵活从业者"]
    for i in range(n):
        ws.write_row(i + 1, 0, [f"B{i:07d}", "C1", nm[i], "女" if i % 2 else "男", 1980 + i % 25, ph[i],
                                edu[i % 4], "农业户口" if i % 3 else "城镇户口", emp[i % 3], "主播", 8 + i % 5,
                                "是" if i % 2 else "否", "是", "否", f"{3000 + i % 5000}.50", "否", "短视频剪辑",
                                f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}"])
    wb.close()


def build_both(n: int, tmp: Path) -> dict[str, bytes]:
    """Both workbooks, built side by side in child processes."""
    paths = {style: tmp / f"practitioners-{style}.xlsx" for style in ("shared", "inline")}
    children = [subprocess.Popen([sys.executable, __file__, "--rows", str(n), "--build", str(path), "--style", style])
                for style, path in paths.items()]
    for child in children:
        if child.wait() != 0:
            raise SystemExit("building a workbook failed")
    return {style: path.read_bytes() for style, path in paths.items()}


def import_into(data: bytes, url: str, n: int) -> float:
    engine = init_database(url)
    with Session(engine) as s:
        s.add(Community(code="C1", name="社区", kind="urban"))
        s.commit()
    t0 = time.perf_counter()
    result = importer.import_file(engine, "practitioners", data, "bench.xlsx", actor="bench", max_bytes=2**30)
    seconds = time.perf_counter() - t0
    assert result.status == "committed" and result.created == n, result.errors[:3]
    engine.dispose()
    return seconds


def baseline(data: bytes, url: str) -> float:
    """The naive way: pandas with openpyxl, then one ORM object per row."""
    t0 = time.perf_counter()
    df = pd.read_excel(io.BytesIO(data), engine="openpyxl", dtype=str)
    engine = init_database(url)
    with Session(engine) as s:
        community = Community(code="C1", name="社区", kind="urban")
        s.add(community)
        s.flush()
        for row in df.itertuples(index=False):
            s.add(Practitioner(code=row[0], community_id=community.id, name=row[2], gender="female",
                               birth_year=int(row[4]), education="junior_high", hukou="rural",
                               employment_type="flexible_worker", occupation="livestream_host",
                               daily_work_hours=float(row[10]), registered_on=pd.Timestamp(row[17]).date()))
        s.commit()
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--build", type=Path, help=argparse.SUPPRESS)              # child: write one workbook
    ap.add_argument("--style", choices=["shared", "inline"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    n = args.rows
    if args.build:
        build(n, args.build, inline=args.style == "inline")
        return 0
    set_language("zh")
    tmp = Path(tempfile.mkdtemp())
    t0 = time.perf_counter()
    books = build_both(n, tmp)
    print(f"built {n:,} rows twice in {time.perf_counter() - t0:.1f} s: shared strings "
          f"{len(books['shared']) / 2**20:.1f} MB, inline strings {len(books['inline']) / 2**20:.1f} MB")

    seconds = {style: import_into(data, f"sqlite:///{tmp / f'import-{style}.db'}", n) for style, data in books.items()}
    engine = init_database(f"sqlite:///{tmp / 'import-shared.db'}")
    t0 = time.perf_counter()
    out, count = writer.export_xlsx(engine, "practitioners")
    export_s = time.perf_counter() - t0
    assert count == n

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024      # before the baseline's own peak
    base_s = baseline(books["shared"], f"sqlite:///{tmp / 'baseline.db'}")
    rates = {style: n / s for style, s in seconds.items()}
    export_rate, base_rate = n / export_s, n / base_s
    for style, label in (("shared", "shared strings (Excel, WPS, LibreOffice)"),
                         ("inline", "inline strings (streaming writers)")):
        print(f"import {label}: {seconds[style]:.2f} s = {rates[style]:,.0f} rows/s = "
              f"{rates[style] / base_rate:.1f}x baseline")
    print(f"export: {export_s:.2f} s = {export_rate:,.0f} rows/s ({len(out) / 2**20:.1f} MB)")
    print(f"baseline (pandas+openpyxl, ORM per row, shared strings): {base_s:.2f} s = {base_rate:,.0f} rows/s")
    print(f"peak RSS (both imports, export; before the baseline): {rss:,.0f} MB")
    checks = {}
    for style in ("shared", "inline"):
        checks[f"import {style} >= 50,000 rows/s"] = rates[style] >= 50_000
        checks[f"import {style} >= 8x baseline"] = rates[style] >= 8 * base_rate
    checks |= {"export >= 15,000 rows/s": export_rate >= 15_000, "peak RSS <= 600 MB": rss <= 600}
    for name, ok in checks.items():
        print(f"  {'OK    ' if ok else 'MISSED'} {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
