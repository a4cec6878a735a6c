"""python -m dashboard …: database, demo data, accounts, distribution runs, import, export, audit, requests."""

import argparse
import getpass
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dashboard.i18n import fmt_yuan, label, set_language, t
from dashboard.services.errors import RuleError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from dashboard.accounts import Principal
    from dashboard.excel.sandbox import SandboxedWorkbook

# Each command imports what it uses, inside the command: pandas, SQLModel, the models, Alembic and the password
# hasher cost a second or more to import, and `entities` or `--help` need none of them. So the names the
# parser offers are written out here rather than read from the models; tests/test_cli_startup.py checks that
# they are exactly dashboard.excel.spec.ENTITIES, data_models.enums.Role and seed.common.SCALES.
ENTITY_NAMES = ("communities", "parties", "units", "calendar_days", "request_slas", "practitioners", "needs", "courses",
                "enrolments", "followups", "subsidy_rules", "cooperatives", "members", "sales", "livestreams",
                "requests", "meetings", "agenda_items",
                "action_items")
ROLE_NAMES = ("admin", "social_worker", "government", "association", "platform", "cooperative_manager", "viewer")
SCALE_NAMES = ("demo", "province")
# Set by a command once all it did is committed and its connections are closed: `python -m dashboard` may then end
# without the interpreter's teardown (__main__.py).
DONE_CLEANLY = False
ZIP_MAGIC, OLE_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"     # as dashboard.excel.reader has them


def _db(args: argparse.Namespace) -> int:
    from dashboard.db import current_revision, make_engine, upgrade

    engine = make_engine(args.database_url)
    if args.action == "upgrade":
        upgrade(engine)
    print(json.dumps({"database": engine.url.render_as_string(hide_password=True),
                      "revision": current_revision(engine)}))
    return 0


def _seed(args: argparse.Namespace) -> int:
    from dashboard.db import init_database
    from seed.load import DatabaseNotEmpty, load_demo

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


class UsageError(Exception):
    """Exit status 2: the command cannot run as given (no --user, no password)."""


def _signed_in(args: argparse.Namespace, engine: "Engine") -> "Principal":
    """The account named by --user, with its password from DASHBOARD_PASSWORD or typed at the prompt.

    Checked like a login on the page: audited, and slowed down after repeated failures."""
    if not args.user:
        raise UsageError(t("cli.need_user"))
    password = os.environ.get("DASHBOARD_PASSWORD")
    if password is None and sys.stdin.isatty():
        password = getpass.getpass(t("cli.password_prompt", user=args.user))
    if password is None:
        raise UsageError(t("cli.need_password"))
    from dashboard import accounts

    return accounts.login(engine, username=args.user, password=password, channel="cli")


def _distribute(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from dashboard import access
    from dashboard.access import Action
    from dashboard.db import init_database
    from dashboard.queries import cooperative
    from dashboard.services import distribution

    engine = init_database(args.database_url)
    who = _signed_in(args, engine)
    access.require(who.role, Action.distribution_approve if args.approve else Action.distribution_compute)
    access.require_cooperative(who.role, who.cooperative_code, args.coop_code)
    with Session(engine, expire_on_commit=False) as session:
        if args.approve:
            run = distribution.open_draft(session, cooperative_code=args.coop_code, period=args.period)
            distribution.approve(session, run_code=run.code, actor=who.username)
            replaced = None
        else:
            done = distribution.compute_draft(session, cooperative_code=args.coop_code, period=args.period,
                                              actor=who.username, correction=args.correction,
                                              allow_unfinished=args.unfinished)
            run, replaced = done.run, done.replaced
        session.commit()
        lines = cooperative.run_lines(session, run_code=run.code)
    pools = {"members": run.member_pool_cents, "cooperative": run.cooperative_pool_cents,
             "public_fund": run.public_fund_cents, "help_fund": run.help_fund_cents}
    members = [{"member": r.code, "name": r.name, "basis": int(r.basis_value), "amount_cents": int(r.amount_cents),
                "rounding_adjustment_cents": int(r.adjustment_cents)} for r in lines.itertuples()]
    result = {
        "run": distribution.run_summary(run) | {"approved_at": None if run.approved_at is None
                                                else run.approved_at.isoformat()},
        "pools": pools,
        "lines": members,
        "replaced_draft": None if replaced is None else {"code": replaced.code, "created_by": replaced.created_by},
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(f"{run.code}  {label(run.status)}  {t('metric.profit')} {fmt_yuan(run.profit_cents)}")
        if replaced is not None:
            print(t("coop.replaced", code=replaced.code, by=replaced.created_by).strip())
        for key, cents in pools.items():
            print(f"  {t('coop.pool_' + key)}: {fmt_yuan(cents)}")
        for line in members:
            print(f"    {line['member']}  {line['name']}  {fmt_yuan(line['amount_cents'])}"
                  f"  ({line['rounding_adjustment_cents']:+d})")
    return 0


def _entities(args: argparse.Namespace) -> int:
    for name in ENTITY_NAMES:
        print(f"{name}\t{t('entity.' + name)}")
    return 0


def _template(args: argparse.Namespace) -> int:
    from dashboard.excel import writer

    Path(args.out).write_bytes(writer.template_xlsx(args.entity))
    print(json.dumps({"entity": args.entity, "file": args.out}, ensure_ascii=False))
    return 0


def _import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        print(t("cli.no_file", path=args.file), file=sys.stderr)
        return 2
    from dashboard.excel import guard
    from dashboard.settings import get_settings

    data = path.read_bytes()
    max_bytes = get_settings().max_upload_mb * 2**20
    parser = args.parser
    if parser is not None and 0 < len(data) <= max_bytes:
        # The child checks the file and parses its first sheet while this process imports the rest and signs in.
        from dashboard.excel.sandbox import ChildDied

        try:
            parser.send(data, memory_limit=guard.memory_limit(max_bytes), max_bytes=max_bytes,
                        check_zip=data.startswith(ZIP_MAGIC))
        except (ChildDied, OSError):     # the child died at start-up, or no room for the file: read_sheets starts one
            parser.close()
            parser = None
    from dashboard import access
    from dashboard.db import init_database
    from dashboard.excel import importer

    engine = init_database(args.database_url)
    who = _signed_in(args, engine)
    access.require_import(who.role, args.entity)
    result = importer.import_file(engine, args.entity, data, path.name, actor=who.username, dry_run=args.dry_run,
                                  max_bytes=max_bytes, parser=parser)
    engine.dispose()
    summary = result.as_dict()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, default=str))
    else:
        print(t("cli.import_summary", status=t(f"excel.status_{result.status}"),
                **{k: summary[k] for k in ("rows", "created", "updated", "unchanged", "rejected")}))
        for err in result.errors[:200]:
            print(f"  {err.sheet} {t('cli.row_n', n=err.row)} [{err.column}] «{err.value}»: {err.message}")
    global DONE_CLEANLY
    DONE_CLEANLY = True             # all written and committed (or nothing), the connections closed
    return 0 if result.status in ("committed", "valid") else 1


def _undo(args: argparse.Namespace) -> int:
    from dashboard import access
    from dashboard.access import Action
    from dashboard.db import init_database
    from dashboard.excel import importer

    engine = init_database(args.database_url)
    who = _signed_in(args, engine)
    access.require(who.role, Action.import_undo)
    summary = importer.undo_last(engine, args.entity, actor=who.username)
    print(json.dumps(summary, ensure_ascii=False))
    return 0


def _audit(args: argparse.Namespace) -> int:
    from dashboard import access, audit
    from dashboard.access import Action
    from dashboard.db import init_database

    engine = init_database(args.database_url)
    access.require(_signed_in(args, engine).role, Action.audit_view)
    try:
        anchor = audit.parse_anchor(args.anchor) if args.anchor else None
    except ValueError:
        raise UsageError(t("cli.bad_anchor", anchor=args.anchor)) from None
    from dashboard.services.minutes import verify_minutes
    from dashboard.services.report import verify_versions

    with engine.connect() as conn:
        verdict = audit.verify(conn, anchor)
        bad_minutes = verify_minutes(conn)
        bad_reports = verify_versions(conn)
    if verdict.ok and bad_minutes:
        print(t("cli.audit_minutes_bad", codes="、".join(bad_minutes)), file=sys.stderr)
    if verdict.ok and bad_reports:
        print(t("cli.audit_reports_bad", codes="、".join(bad_reports)), file=sys.stderr)
    if verdict.ok and (bad_minutes or bad_reports):
        return 1
    if verdict.ok:
        print(t("cli.audit_ok", n=f"{verdict.checked:,}"))
        print(t("cli.audit_head", anchor=f"{verdict.head_id}:{verdict.head_hash}"))
        return 0
    print(t(f"cli.audit_{verdict.reason}", id=verdict.first_bad_id, n=f"{verdict.checked:,}"), file=sys.stderr)
    return 1


def _export(args: argparse.Namespace) -> int:
    from dashboard import access
    from dashboard.access import Action
    from dashboard.db import init_database
    from dashboard.excel import writer

    engine = init_database(args.database_url)
    who = _signed_in(args, engine)
    access.require(who.role, Action.export)
    personal = access.sees_personal_columns(who.role, args.entity)
    scope = access.row_scope(who.role, args.entity, party_id=who.party_id, cooperative_id=who.cooperative_id)
    out = Path(args.out)
    if out.suffix.lower() == ".csv":
        out.write_bytes(writer.export_csv(engine, args.entity, community_code=args.community, quarter=args.quarter,
                                          personal=personal, scope=scope))
        count = None
    else:
        data, count = writer.export_xlsx(engine, args.entity, community_code=args.community, quarter=args.quarter,
                                         personal=personal, scope=scope)
        out.write_bytes(data)
    print(json.dumps({"entity": args.entity, "file": str(out), "rows": count}, ensure_ascii=False))
    return 0


def _requests(args: argparse.Namespace) -> int:
    """escalate-overdue: every overdue request one step up its unit ladder, as of --today (for a nightly cron)."""
    import datetime as dt

    from sqlmodel import Session

    from dashboard import access
    from dashboard.access import Action
    from dashboard.db import init_database
    from dashboard.periods import shanghai_today
    from dashboard.services import requests

    try:
        today = dt.date.fromisoformat(args.today) if args.today else shanghai_today()
    except ValueError:
        raise UsageError(t("cli.bad_date", date=args.today)) from None
    engine = init_database(args.database_url)
    who = _signed_in(args, engine)
    access.require(who.role, Action.request_write)
    with Session(engine) as session:
        escalated = requests.escalate_overdue(session, today=today, actor=who)
        session.commit()
    print(json.dumps({"action": args.action, "today": today.isoformat(), "escalated": escalated,
                      "count": len(escalated)}, ensure_ascii=False))
    return 0


def _user(args: argparse.Namespace) -> int:
    """Accounts. Until an admin exists, `user add NAME --role admin` needs no sign-in: that is how the first
    admin is made. After that every account command is an admin's, signed in with --user."""
    from sqlmodel import Session

    from dashboard import access, accounts
    from dashboard.access import Action
    from dashboard.db import init_database

    engine = init_database(args.database_url)
    with Session(engine) as session:
        bootstrap = not accounts.admin_exists(session)
    if bootstrap and (args.action == "demo-accounts" or (args.action == "add" and args.role == "admin")):
        actor = f"cli:{getpass.getuser()}"
    else:
        who = _signed_in(args, engine)
        access.require(who.role, Action.user_manage)
        actor = who.username
    given = os.environ.get("DASHBOARD_NEW_PASSWORD") or None
    if args.action == "demo-accounts":
        return _demo_accounts(engine, actor)
    with Session(engine) as session:
        if args.action == "list":
            frame = accounts.users(session)
            print(frame.to_json(orient="records", force_ascii=False, date_format="iso"))
            return 0
        if args.action == "add":
            if not args.role:
                raise UsageError(t("cli.need_role"))
            _, generated = accounts.create_user(session, username=args.username, role=args.role, actor=actor,
                                                party_code=args.party, display_name=args.name or "", password=given)
        elif args.action == "reset":
            generated = accounts.reset_password(session, username=args.username, actor=actor, password=given)
        else:
            accounts.set_active(session, username=args.username, active=args.action == "enable", actor=actor)
            generated = None
        session.commit()
    result: dict[str, object] = {"username": args.username, "action": args.action}
    if args.action in ("add", "reset"):
        # Shown this once and never stored: the database keeps only the argon2 hash.
        result |= {"password": generated} if generated else {"password_from": "DASHBOARD_NEW_PASSWORD"}
    print(json.dumps(result, ensure_ascii=False))
    if generated:
        print(t("cli.password_once"), file=sys.stderr)
    return 0


# One account per role on the demo data, bound to community GA's parties (seed/people.py); see the README.
DEMO_ACCOUNTS: list[tuple[str, str, str | None]] = [
    ("demo-admin", "admin", None),
    ("demo-social-worker", "social_worker", "GA-SW"),
    ("demo-government", "government", "GA-GOV"),
    ("demo-association", "association", "GA-ASN"),
    ("demo-platform", "platform", "GA-PLT"),
    ("demo-manager", "cooperative_manager", "GA-COOP"),
    ("demo-viewer", "viewer", None),
]


def _demo_accounts(engine: "Engine", actor: str) -> int:
    """Make the demo accounts that do not exist yet, each with a random password printed this once."""
    from sqlmodel import Session

    from dashboard import accounts
    from data_models.enums import Role

    out = []
    with Session(engine) as session:
        existing = set(accounts.users(session)["username"])
        for username, role_name, party in DEMO_ACCOUNTS:
            role = Role(role_name)
            if username in existing:
                out.append({"username": username, "role": role.value, "party": party, "password": None,
                            "note": t("cli.demo_exists")})
                continue
            try:
                _, generated = accounts.create_user(session, username=username, role=role, actor=actor,
                                                    party_code=party, display_name=f"演示 {label(role)}")
            except RuleError as err:
                if err.key == "accounts.unknown_party":
                    raise RuleError("cli.demo_needs_demo", code=party) from None
                raise
            out.append({"username": username, "role": role.value, "party": party, "password": generated})
        session.commit()
    print(json.dumps(out, ensure_ascii=False, indent=2))
    print(t("cli.password_once"), file=sys.stderr)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dashboard", description="协同治理看板 command line")
    p.add_argument("--database-url", default=None, help="overrides DATABASE_URL")
    p.add_argument("--lang", choices=["zh", "en"], default=None, help="language of messages")
    sub = p.add_subparsers(dest="command", required=True)
    auth = argparse.ArgumentParser(add_help=False)
    auth.add_argument("--user", default=None,
                      help="the account this runs as; its password comes from DASHBOARD_PASSWORD or a prompt")
    db = sub.add_parser("db", help="schema migrations")
    db.add_argument("action", choices=["upgrade", "current"])
    db.set_defaults(func=_db)
    seed = sub.add_parser("seed", help="load deterministic demo data")
    seed.add_argument("--scale", choices=sorted(SCALE_NAMES), default="demo")
    seed.add_argument("--reset", action="store_true", help="replace the data that is there")
    seed.set_defaults(func=_seed)
    dist = sub.add_parser("distribute", parents=[auth],
                          help="compute a cooperative's profit split for a period, or approve its draft")
    dist.add_argument("coop_code")
    dist.add_argument("period", help="2025Q3 or 2025-07")
    dist.add_argument("--approve", action="store_true",
                      help="approve the period's draft (computed by someone else: four eyes)")
    dist.add_argument("--correction", action="store_true", help="replace the period's approved run")
    dist.add_argument("--unfinished", action="store_true",
                      help="compute a period that has not ended yet (its sales may not all be in)")
    dist.add_argument("--json", action="store_true")
    dist.set_defaults(func=_distribute)
    sub.add_parser("entities", help="the entities that can be imported and exported").set_defaults(func=_entities)
    tpl = sub.add_parser("template", help="write an import template")
    tpl.add_argument("entity", choices=list(ENTITY_NAMES))
    tpl.add_argument("out")
    tpl.set_defaults(func=_template)
    imp = sub.add_parser("import", parents=[auth], help="validate and import a spreadsheet (all or nothing)")
    imp.add_argument("entity", choices=list(ENTITY_NAMES))
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(func=_import)
    undo = sub.add_parser("undo-import", parents=[auth], help="undo the latest import of an entity (admin)")
    undo.add_argument("entity", choices=list(ENTITY_NAMES))
    undo.set_defaults(func=_undo)
    aud = sub.add_parser("audit", parents=[auth], help="check the audit log's hash chain (admin)")
    aud.add_argument("action", choices=["verify"])
    aud.add_argument("--anchor", default=None,
                     help="ID:HASH of a head printed (and published) earlier; fails if history up to it changed")
    aud.set_defaults(func=_audit)
    exp = sub.add_parser("export", parents=[auth], help="export an entity as .xlsx (or .csv by the file's suffix)")
    exp.add_argument("entity", choices=list(ENTITY_NAMES))
    exp.add_argument("out")
    exp.add_argument("--community", default=None, help="community code")
    exp.add_argument("--quarter", default=None, help="e.g. 2025Q3")
    exp.set_defaults(func=_export)
    req = sub.add_parser("requests", parents=[auth],
                         help="直播治理诉求: escalate overdue requests (social worker, admin)")
    req.add_argument("action", choices=["escalate-overdue"])
    req.add_argument("--today", default=None,
                     help="the day to count from, e.g. 2026-12-01 (default: today in Shanghai)")
    req.set_defaults(func=_requests)
    usr = sub.add_parser("user", parents=[auth], help="accounts: add, reset a password, disable, enable, list")
    usr.add_argument("action", choices=["add", "reset", "disable", "enable", "list", "demo-accounts"])
    usr.add_argument("username", nargs="?", default="")
    usr.add_argument("--role", choices=list(ROLE_NAMES), default=None)
    usr.add_argument("--party", default=None, help="party code, e.g. GA-GOV")
    usr.add_argument("--name", default=None, help="display name")
    usr.set_defaults(func=_user)
    return p


def _parser_child(args: argparse.Namespace) -> "SandboxedWorkbook | None":
    """For `import` of a workbook, the parser's child process, started before anything else: it starts up (and then
    checks and parses the file) while this process does its own work."""
    if args.command != "import" or not Path(args.file).is_file():      # not a pipe or a terminal: it would block
        return None
    try:
        with Path(args.file).open("rb") as file:
            magic = file.read(8)
    except OSError:
        return None
    if not magic.startswith((ZIP_MAGIC, OLE_MAGIC)):
        return None
    from dashboard.excel.sandbox import SandboxedWorkbook

    return SandboxedWorkbook()


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    args.parser = _parser_child(args)
    try:
        return _main(p, args)
    finally:
        if args.parser is not None:
            args.parser.close()


def _main(p: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.lang is None:
        from dashboard.settings import get_settings

        set_language(get_settings().language)
    else:
        set_language(args.lang)
    if args.command == "user" and args.action not in ("list", "demo-accounts") and not args.username:
        p.error(t("cli.need_username"))
    try:
        return int(args.func(args))
    except UsageError as err:
        print(err, file=sys.stderr)
        return 2
    except RuleError as err:
        print(err.message(), file=sys.stderr)
        return 1
