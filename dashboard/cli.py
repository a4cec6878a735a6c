"""python -m dashboard …: database upgrade and demo data. Later issues add import, export and report."""

import argparse
import json
import sys
import time
from collections.abc import Sequence

from dashboard.db import current_revision, init_database, make_engine, upgrade
from dashboard.i18n import set_language, t
from dashboard.settings import get_settings
from seed.common import SCALES
from seed.load import DatabaseNotEmpty, load_demo


def _db(args: argparse.Namespace) -> int:
    engine = make_engine(args.database_url)
    if args.action == "upgrade":
        upgrade(engine)
    print(json.dumps({"database": engine.url.render_as_string(hide_password=True),
                      "revision": current_revision(engine)}))
    return 0


def _seed(args: argparse.Namespace) -> int:
    engine = init_database(args.database_url)
    started = time.perf_counter()
    try:
        counts = load_demo(engine, args.scale, reset=args.reset)
    except DatabaseNotEmpty:
        print(t("cli.seed_not_empty"), file=sys.stderr)
        return 1
    print(json.dumps({"scale": args.scale, "rows": sum(counts.values()), "tables": counts,
                      "seconds": round(time.perf_counter() - started, 1)}, ensure_ascii=False))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dashboard", description="协同治理看板 command line")
    p.add_argument("--database-url", default=None, help="overrides DATABASE_URL")
    p.add_argument("--lang", choices=["zh", "en"], default=None, help="language of messages")
    sub = p.add_subparsers(dest="command", required=True)
    db = sub.add_parser("db", help="schema migrations")
    db.add_argument("action", choices=["upgrade", "current"])
    db.set_defaults(func=_db)
    seed = sub.add_parser("seed", help="load deterministic demo data")
    seed.add_argument("--scale", choices=sorted(SCALES), default="demo")
    seed.add_argument("--reset", action="store_true", help="replace the data that is there")
    seed.set_defaults(func=_seed)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    set_language(args.lang or get_settings().language)
    return int(args.func(args))
