"""Benchmark: the requests import with the lifecycle rules, on the demo seed (2,000 requests) copied N times.

The demo's requests are exported, their codes renamed per copy (so every row is new), and imported into the same
database: the validator checks each row's status against the stages it needs, the deadline of each routed
request, and writes. A second run re-imports the same file (every row stored: the update path reads them back).
Run: .venv/bin/python bench/request_import.py [--copies N] [--database-url URL]
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.db import init_database
from dashboard.excel import importer, writer
from dashboard.i18n import set_language
from seed import load_demo


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=25)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    set_language("zh")
    with tempfile.TemporaryDirectory() as tmp:
        engine = init_database(args.database_url or f"sqlite:///{tmp}/bench.db")
        load_demo(engine, "demo", reset=True)
        text = writer.export_csv(engine, "requests").decode("utf-8-sig")
        header, *lines = text.splitlines()
        body = [line.replace("R", f"B{k:02d}-", 1) for k in range(args.copies) for line in lines]
        data = ("\n".join([header, *body]) + "\n").encode("utf-8")
        for label in ("new rows", "re-import (all stored)"):
            started = time.perf_counter()
            result = importer.import_file(engine, "requests", data, "bench.csv", actor="bench", max_bytes=2**30)
            seconds = time.perf_counter() - started
            assert result.status == "committed", result.errors[:3]
            print(f"{label}: {result.rows:,} rows in {seconds:.2f} s = {result.rows / seconds:,.0f} rows/s "
                  f"(created {result.created:,}, updated {result.updated:,}, unchanged {result.unchanged:,})")
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
