"""Benchmark (issue 18 item 5): 30 concurrent sessions against two app servers behind nginx on the province PostgreSQL.

Each session speaks Streamlit's own WebSocket protocol through nginx (the BackMsg/ForwardMsg protobufs on
/_stcore/stream, as the browser does; 30 headless browsers do not fit in two cores) and reruns the overview and the
needs page in turn; a rerun is timed from the rerun BackMsg to the script_finished ForwardMsg. Each session has its own
nginx node cookie, as each browser does, so the sessions spread over both servers. The sessions are the app's
read-only demo (no admin account exists in the province seed, so the gate opens the demo), which sees both pages.

During the run 5 imports of a small generated practitioner workbook run at once, each through the CLI
(`python -m dashboard import practitioners`, as a social worker). Afterwards `python -m dashboard audit verify` must
pass (as an admin made for it, disabled again so that the next run finds the demo open) and every imported row must be
in the database.

Targets: p95 rerun <= 2 s, no errors, the audit chain verified and no imported row lost. Exit 1 if one is missed.
Run: .venv/bin/python bench/load.py [--database-url URL] [--sessions 30] [--rounds 5] [--servers 2] [--think 0]
(the database is a copy of the province seed: createdb -T province prov_deploy).
"""

import argparse
import asyncio
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import sqlalchemy as sa
import xlsxwriter
from sqlmodel import Session
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from dashboard import accounts
from dashboard.db import make_engine, normalise_url
from seed.common import names, phones
from tests.cluster import ROOT, start_app, start_nginx, stop

# Page -> its URL path (the overview is the default page, at the root) and a word of its heading, so a rerun that
# shows another page (or the login form) counts as an error.
PAGES = {"overview": ("", "总览"), "needs": ("needs", "需求评估")}
TARGET_P95_S = 2.0
RERUN_TIMEOUT_S = 120
IMPORTS = 5
IMPORT_ROWS = 200
HEADER = ["从业者编号", "社区编号", "姓名", "性别", "出生年份", "电话", "学历", "户籍", "就业形态", "职业",
          "日工作时长（小时）", "签订劳动合同", "养老保险", "工伤保险", "月收入（元）", "加入行业协会", "优势特长",
          "登记日期"]
ERROR_MARK = "错误编号"        # the app's own message for an error caught on a page (app.error), in Chinese


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Figures:
    times: dict[str, list[float]] = field(default_factory=lambda: {p: [] for p in PAGES})
    errors: list[str] = field(default_factory=list)


def rerun_msg(page: str) -> bytes:
    msg = BackMsg()
    msg.rerun_script.query_string = ""
    msg.rerun_script.page_name = page
    return msg.SerializeToString()


def problem(msg: ForwardMsg) -> str | None:
    """What in this ForwardMsg says the run went wrong, if anything."""
    kind = msg.WhichOneof("type")
    if kind == "page_not_found":
        return "page not found"
    if kind == "session_event" and msg.session_event.WhichOneof("type") == "script_compilation_exception":
        return "compile error"
    if kind == "script_finished" and msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
        return "compile error"
    if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
        element = msg.delta.new_element
        if element.WhichOneof("type") == "exception":
            return f"exception: {element.exception.type}: {element.exception.message[:120]}"
        if element.WhichOneof("type") == "alert" and ERROR_MARK in element.alert.body:
            return f"page error: {element.alert.body[:120]}"
    return None


async def one_session(ws_url: str, n: int, rounds: int, think: float, figures: Figures,
                      start: asyncio.Event) -> None:
    pause = random.Random(n)           # a person's pause between two clicks: 0 to twice `think`, not in step
    cookie = f"dashboard_node=load-{n}-{secrets.token_hex(6)}"
    await start.wait()
    try:
        async with connect(ws_url, subprotocols=[Subprotocol("streamlit")], additional_headers={"Cookie": cookie},
                           max_size=None, open_timeout=60, ping_interval=None) as ws:
            for r in range(rounds + 1):
                for page, (url_path, heading) in PAGES.items():
                    if think and r > 0:
                        await asyncio.sleep(pause.uniform(0, 2 * think))
                    started = time.perf_counter()
                    await ws.send(rerun_msg(url_path))
                    wrong, headings = None, []
                    async with asyncio.timeout(RERUN_TIMEOUT_S):
                        while True:
                            msg = ForwardMsg()
                            msg.ParseFromString(await ws.recv())
                            wrong = wrong or problem(msg)
                            if msg.WhichOneof("type") == "delta" and msg.delta.new_element.WhichOneof("type") == \
                                    "heading":
                                headings.append(msg.delta.new_element.heading.body)
                            if (msg.WhichOneof("type") == "script_finished"
                                    and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN):
                                break
                    if not wrong and not any(heading in h for h in headings):
                        wrong = f"no heading with {heading!r} (got {headings[:3]})"
                    if wrong:
                        figures.errors.append(f"session {n} {page}: {wrong}")
                    elif r > 0:           # round 0 opens the session (and warms this server's cache): not timed
                        figures.times[page].append(time.perf_counter() - started)
    except (TimeoutError, OSError, Exception) as err:  # noqa: BLE001  (any failure of a session is a figure)
        figures.errors.append(f"session {n}: {type(err).__name__}: {err}")


def workbook(path: Path, prefix: str, community: str, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("从业者")
    ws.write_row(0, 0, HEADER)
    nm, ph = names(rng, IMPORT_ROWS), phones(rng, IMPORT_ROWS)
    codes = [f"{prefix}{i:04d}" for i in range(IMPORT_ROWS)]
    for i, code in enumerate(codes):
        ws.write_row(i + 1, 0, [code, community, nm[i], "女" if i % 2 else "男", 1980 + i % 25, ph[i], "高中/中专",
                                "农业户口", "灵活从业者", "主播", 9, "否", "是", "否", f"{3000 + i}.00", "否",
                                "短视频剪辑", "2026-10-08"])
    wb.close()
    return codes


def cli(database: str, user: str, password: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dashboard", "--database-url", database, *args, "--user", user],
                          cwd=ROOT, env={**os.environ, "DASHBOARD_PASSWORD": password}, capture_output=True,
                          text=True)


async def imports(database: str, user: str, password: str, files: list[Path], delay: float) -> list[str]:
    """The 5 imports, started together `delay` seconds into the run; their failures."""
    await asyncio.sleep(delay)
    procs = [await asyncio.create_subprocess_exec(
        sys.executable, "-m", "dashboard", "--database-url", database, "import", "practitioners", str(f),
        "--user", user, cwd=ROOT, env={**os.environ, "DASHBOARD_PASSWORD": password},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE) for f in files]
    failures = []
    for f, p in zip(files, procs, strict=True):
        out, err = await p.communicate()
        if p.returncode != 0:
            failures.append(f"import {f.name}: exit {p.returncode}: {(out + err).decode()[-300:]}")
    return failures


async def drive(url: str, sessions: int, rounds: int, think: float, database: str, user: str, password: str,
                files: list[Path]) -> tuple[Figures, list[str], float]:
    figures, start = Figures(), asyncio.Event()
    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    tasks = [asyncio.create_task(one_session(ws_url, n, rounds, think, figures, start)) for n in range(sessions)]
    started = time.perf_counter()
    start.set()
    importing = asyncio.create_task(imports(database, user, password, files, delay=5.0))
    await asyncio.gather(*tasks)
    failures = await importing
    return figures, failures, time.perf_counter() - started


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/prov_deploy")
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=5, help="timed reruns of each page per session")
    ap.add_argument("--servers", type=int, default=2)
    ap.add_argument("--think", type=float, default=0.0,
                    help="mean seconds a session waits between reruns (default 0: back to back, the hardest case)")
    args = ap.parse_args()
    database = normalise_url(args.database_url)
    engine = make_engine(database)
    stamp = secrets.token_hex(3).upper()
    importer_name, admin_name = f"load-import-{stamp}", f"load-admin-{stamp}"
    with Session(engine) as session:
        if accounts.admin_exists(session):
            print("an active admin exists: the sessions would meet the login form, not the demo", file=sys.stderr)
            return 2
        importer_pw = accounts.new_password()
        accounts.create_user(session, username=importer_name, role="social_worker", actor="bench-load",
                             password=importer_pw)
        session.commit()
        community = session.execute(sa.text("SELECT code FROM community ORDER BY id LIMIT 1")).scalar_one()
        before = session.execute(sa.text("SELECT count(*) FROM practitioner")).scalar_one()

    procs: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        files, codes = [], []
        for k in range(IMPORTS):
            path = Path(tmp) / f"practitioners-{k}.xlsx"
            codes += workbook(path, f"LD{stamp}{k}", community, seed=k)
            files.append(path)
        try:
            ports = [free_port() for _ in range(args.servers)]
            t0 = time.perf_counter()
            for port in ports:
                procs.append(start_app(database, port, Path(tmp, f"app-{port}.log")))
            listen = free_port()
            procs.append(start_nginx(Path(tmp), listen=listen, ports=ports))
            print(f"{args.servers} app servers and nginx up in {time.perf_counter() - t0:.1f} s; "
                  f"{args.sessions} sessions x {args.rounds} timed rounds of {', '.join(PAGES)}; "
                  f"think {args.think:g} s; {IMPORTS} imports of {IMPORT_ROWS} practitioners during the run")
            load_before = os.getloadavg()
            figures, failures, wall = asyncio.run(
                drive(f"http://127.0.0.1:{listen}", args.sessions, args.rounds, args.think, database, importer_name,
                      importer_pw, files))
            load_after = os.getloadavg()
            log = Path(tmp, "access.log")
            routed = Counter(line.split(" ")[0] for line in (log.read_text().splitlines() if log.exists() else [])
                             if ' 101 "GET /_stcore/stream' in line)
        finally:
            for proc in reversed(procs):
                stop(proc)
            # What the app servers said (the traceback behind an error a session met is only there).
            said = {p.name: p.read_text(errors="replace") for p in sorted(Path(tmp).glob("app-*.log"))}

    with Session(engine) as session:
        admin_pw = accounts.new_password()
        accounts.create_user(session, username=admin_name, role="admin", actor="bench-load", password=admin_pw)
        session.commit()
    verify = cli(database, admin_name, admin_pw, "audit", "verify")
    with Session(engine) as session:
        accounts.set_active(session, username=admin_name, active=False, actor="bench-load")
        accounts.set_active(session, username=importer_name, active=False, actor="bench-load")
        session.commit()
        found = session.execute(sa.text("SELECT count(*) FROM practitioner WHERE code LIKE :p"),
                                {"p": f"LD{stamp}%"}).scalar_one()
        after = session.execute(sa.text("SELECT count(*) FROM practitioner")).scalar_one()
    engine.dispose()

    every = [t for page in PAGES for t in figures.times[page]]
    print(f"wall {wall:.1f} s; {len(every)} timed reruns; WebSockets per app server: {dict(routed)}")
    for name, values in [*figures.times.items(), ("all", every)]:
        print(f"  {name:9} p50 {pct(values, 50):6.2f} s   p95 {pct(values, 95):6.2f} s   "
              f"max {max(values, default=float('nan')):6.2f} s   n {len(values)}")
    print(f"errors: {len(figures.errors)}")
    for line in figures.errors[:10]:
        print(f"  {line}")
    for name, text in said.items():
        if "Traceback" in text:
            print(f"  {name}, from its first traceback:\n{text[text.index('Traceback'):][:6000]}")
    print(f"imports: {IMPORTS - len(failures)}/{IMPORTS} committed; rows {found:,}/{len(codes):,} present "
          f"(practitioners {before:,} -> {after:,})")
    for line in failures:
        print(f"  {line}")
    print(f"audit verify: exit {verify.returncode}: {(verify.stdout + verify.stderr).strip()}")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
          f"(1/5/15 min after: {', '.join(f'{x:.2f}' for x in load_after)}; {os.cpu_count()} cores)")
    p95 = pct(every, 95)
    ok = (bool(every) and p95 <= TARGET_P95_S and not figures.errors and not failures and verify.returncode == 0
          and found == len(codes) and after == before + len(codes))
    print(f"target: p95 <= {TARGET_P95_S:.0f} s, no errors, audit verified, no row lost: {'MET' if ok else 'MISSED'}"
          f" (p95 {p95:.2f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
