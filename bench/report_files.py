"""Benchmark: 季度汇报's handout workbook (and the printable report as .docx and PDF).

Target (issue 17, Speed): the handout is built in at most 5 s. Its size does not grow with the database (a few dozen
figures and five charts), so the report is hand-built by default: five areas of `--figures` figures each (counts,
money, rates and days) and charts of `--points` categories (tests/report_samples.realistic). With --seed, the
report is read from the demo seed in a new SQLite file instead (dashboard.report.figures.report_data, suppressed by
dashboard.report.suppress where those modules are there). Each file is built three times in each language; the
slowest handout is held to the target (the first build includes xlsxwriter's first use). The PDF (LibreOffice,
charts rendered by vl-convert) has no target in the issue: its seconds are printed. Exits 1 when the handout misses.
Run: .venv/bin/python bench/report_files.py [--seed] [--figures N] [--points N] [--no-pdf]
"""

import argparse
import datetime as dt
import importlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.report.handout import handout_xlsx
from dashboard.report.pdf import report_docx, report_pdf
from dashboard.report.types import ReportData, ReportMeta
from tests.report_samples import NARRATIVE, RESTATED, labels, realistic

TARGET_S = 5.0
RUNS = 3
QUARTER = "2026Q3"
AS_OF = dt.date(2026, 11, 20)
MIN_CELL = 5


def from_seed() -> ReportData | None:
    """All communities' report for QUARTER from the demo seed in a new SQLite file, or None where the figures'
    module has not landed yet."""
    try:
        figures = importlib.import_module("dashboard.report.figures")
    except ModuleNotFoundError:
        print("  dashboard.report.figures is not there yet: using the hand-built report")
        return None
    from sqlmodel import Session

    from dashboard.db import init_database
    from seed import load_demo
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        engine = init_database(f"sqlite:///{tmp}/demo.db")
        t0 = time.perf_counter()
        load_demo(engine, "demo")
        print(f"  seeded the demo in {time.perf_counter() - t0:.1f} s")
        with Session(engine) as session:
            data: ReportData = figures.report_data(session, community_id=None, quarter=QUARTER, today=AS_OF)
        engine.dispose()
    try:
        suppress = importlib.import_module("dashboard.report.suppress").suppress
    except ModuleNotFoundError:
        return data
    return suppress(data, MIN_CELL)


def timed(build: Callable[[], bytes]) -> tuple[list[float], int]:
    runs, size = [], 0
    for _ in range(RUNS):
        t0 = time.perf_counter()
        size = len(build())
        runs.append(time.perf_counter() - t0)
    return runs, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", action="store_true", help="read the report from the demo seed")
    parser.add_argument("--figures", type=int, default=10, help="figures per area of the hand-built report")
    parser.add_argument("--points", type=int, default=12, help="categories per chart of the hand-built report")
    parser.add_argument("--no-pdf", action="store_true", help="time the handout only")
    args = parser.parse_args()
    with labels():
        data = (from_seed() if args.seed else None) or realistic(points=args.points, figures=args.figures)
        figures = sum(len(a.figures) for a in data.areas)
        points = sum(len(a.chart.points) for a in data.areas)
        print(f"report {data.quarter}: {len(data.areas)} areas, {figures} figures, {points} chart categories")
        meta = ReportMeta(version=RESTATED.version, cut_off=data.cut_off, published_at=RESTATED.published_at,
                          published_by=RESTATED.published_by, restated=True)
        worst = 0.0
        for lang in ("zh", "en"):
            narrative = NARRATIVE[lang]
            runs, size = timed(lambda: handout_xlsx(data, narrative, meta, lang=lang,  # noqa: B023
                                                    min_cell=MIN_CELL))
            worst = max(worst, *runs)
            print(f"  handout {lang}: {' '.join(f'{r:.3f}' for r in runs)} s ({size:,} bytes)")
            if args.no_pdf:
                continue
            runs, size = timed(lambda: report_docx(data, narrative, meta, lang=lang, min_cell=MIN_CELL))  # noqa: B023
            print(f"  docx    {lang}: {' '.join(f'{r:.3f}' for r in runs)} s ({size:,} bytes; charts by vl-convert)")
            runs, size = timed(lambda: report_pdf(data, narrative, meta, lang=lang, min_cell=MIN_CELL))  # noqa: B023
            print(f"  pdf     {lang}: {' '.join(f'{r:.3f}' for r in runs)} s ({size:,} bytes; median "
                  f"{statistics.median(runs):.1f} s, LibreOffice)")
    ok = worst <= TARGET_S
    print(f"handout: slowest {worst:.3f} s, target {TARGET_S:.0f} s: {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
