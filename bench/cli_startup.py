"""Benchmark: the command line's whole-process times (issue 12 item 15).

- `python -m dashboard entities`, run several times: the median wall time, target <= 0.6 s;
- `python -m dashboard import practitioners <100,000 rows>.xlsx --user ...`, each run into a new SQLite database:
  the whole process (start-up, imports, migration check, sign-in, reading, checking and writing), target
  >= 30,000 rows/s. The workbook is bench/excel_io.py's shared-strings one (as Excel writes it).
- for the breakdown, the time a process takes only to import what the import command imports.

Exit status 1 if a target is missed. Times are wall-clock times of child processes, so they include everything a
user waits for; on a machine shared with other work they vary a lot: run it more than once.
Run: .venv/bin/python bench/cli_startup.py [--rows N] [--runs N]
"""

import argparse
import json
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from excel_io import build  # noqa: E402  (the same workbook as the import benchmark)

PASSWORD = secrets.token_urlsafe(16)      # the bench account's, made up for each run
ENTITIES_TARGET_S = 0.6
IMPORT_TARGET_ROWS_S = 30_000


CPU: list[tuple[float, float]] = []      # per import run: (CPU seconds of the command and its parser child, load)


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def cli(url: str, *args: str, **env: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    environ = {**os.environ, "DATABASE_URL": url, "DASHBOARD_LANGUAGE": "zh", **env}
    load = os.getloadavg()[0]
    cpu0 = children_cpu()           # the command's, and its parser child's (which it waits for)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=ROOT, env=environ, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, check=False)
    seconds = time.perf_counter() - t0
    if args[0] == "import":
        CPU.append((children_cpu() - cpu0, load))
    if done.returncode != 0:
        raise SystemExit(f"python -m dashboard {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, done


def python_time(code: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    return time.perf_counter() - t0


def import_once(book: Path, url: str, n: int) -> float:
    cli(url, "db", "upgrade")
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO community (code, name, kind, city, district) "
                             "VALUES ('C1', '社区', 'urban', '', '')"))
    engine.dispose()
    cli(url, "user", "add", "bench", "--role", "admin", DASHBOARD_NEW_PASSWORD=PASSWORD)
    seconds, done = cli(url, "import", "practitioners", str(book), "--user", "bench", "--json",
                        DASHBOARD_PASSWORD=PASSWORD)
    summary = json.loads(done.stdout)
    assert summary["status"] == "committed" and summary["created"] == n, summary
    return seconds


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3, help="import runs (entities runs three times as often)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp / 'entities.db'}"

    entities = sorted(cli(url, "entities")[0] for _ in range(3 * args.runs))
    bare = statistics.median(python_time("pass") for _ in range(3))
    modules = statistics.median(python_time(
        "import dashboard.cli, dashboard.db, dashboard.accounts, dashboard.excel.importer") for _ in range(3))

    book = tmp / "practitioners.xlsx"
    t0 = time.perf_counter()
    build(args.rows, book, inline=False)
    print(f"built {args.rows:,} rows in {time.perf_counter() - t0:.1f} s ({book.stat().st_size / 2**20:.1f} MB)")
    imports = sorted(import_once(book, f"sqlite:///{tmp / f'import-{i}.db'}", args.rows) for i in range(args.runs))

    entities_s, import_s = statistics.median(entities), statistics.median(imports)
    rate = args.rows / import_s
    print(f"entities: median {entities_s:.2f} s over {len(entities)} runs (min {entities[0]:.2f}, "
          f"max {entities[-1]:.2f}); a bare `python -c pass` takes {bare:.2f} s")
    print(f"import {args.rows:,} practitioners, whole process: median {import_s:.2f} s = {rate:,.0f} rows/s "
          f"(runs: {', '.join(f'{s:.2f}' for s in imports)} s)")
    print(f"  CPU of the command and its parser child: median {statistics.median(c for c, _ in CPU):.2f} s "
          f"(runs: {', '.join(f'{c:.2f}' for c, _ in CPU)} s); load average before each run: "
          f"{', '.join(f'{load:.1f}' for _, load in CPU)} on {os.cpu_count()} cores")
    print(f"  of which importing the modules the import command uses takes about {modules:.2f} s")
    checks = {f"entities <= {ENTITIES_TARGET_S} s": entities_s <= ENTITIES_TARGET_S,
              f"import >= {IMPORT_TARGET_ROWS_S:,} rows/s (whole process)": rate >= IMPORT_TARGET_ROWS_S}
    for name, ok in checks.items():
        print(f"  {'OK    ' if ok else 'MISSED'} {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
