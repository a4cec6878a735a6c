"""Two or more app servers behind Debian's nginx on loopback, configured by deploy/nginx/dashboard.conf: shared by the
nginx browser test and bench/load.py. Every process started here is stopped by its own handle."""

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "deploy" / "nginx" / "dashboard.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def render(conf: str, *, listen: int, ports: list[int]) -> str:
    """The shipped configuration with these ports: its upstream's server lines and its listen port."""
    servers = re.findall(r"^( +server 127\.0\.0\.1:)\d+( .*;)$", conf, flags=re.M)
    assert len(servers) >= 2, "the shipped upstream names two or more app servers"
    indent, params = servers[0]
    block = "\n".join(f"{indent}{port}{params}" for port in ports)
    conf = re.sub(r"^ +server 127\.0\.0\.1:\d+ .*;\n", "", conf, flags=re.M)
    conf = conf.replace("    keepalive ", f"{block}\n    keepalive ", 1)
    conf, listens = re.subn(r"^    listen 80;$", f"    listen 127.0.0.1:{listen};", conf, flags=re.M)
    assert listens == 1
    return conf


def wait_health(url: str, proc: subprocess.Popen, what: str, timeout: float = 90, log: Path | None = None) -> None:
    """Until `url`/_stcore/health answers ok (the app's own signal that it serves), or the process has died."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read() == b"ok":
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            said = log.read_text(errors="replace") if log else ""
            raise RuntimeError(f"{what} did not start: {said}")
        time.sleep(0.3)


def start_app(database: str, port: int, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """`streamlit run app.py` on `database` at 127.0.0.1:`port`, as deploy/systemd/dashboard@.service runs it. Its
    output (a traceback, a warning) goes to the file `log`: never to a pipe nobody reads, which fills at 64 KB and
    then stops the server at its next line of output."""
    with log.open("wb") as out:
        proc = _popen_app(database, port, env, out)
    try:
        wait_health(f"http://127.0.0.1:{port}", proc, f"streamlit on {port}", log=log)
    except BaseException:
        stop(proc)
        raise
    return proc


def _popen_app(database: str, port: int, env: dict[str, str] | None, out: Any) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--client.toolbarMode", "minimal"],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": database, "DASHBOARD_AUTO_SEED": "false", "PYTHONUNBUFFERED": "1",
                       **(env or {})},
        stdout=out, stderr=subprocess.STDOUT,
    )


def start_nginx(workdir: Path, *, listen: int, ports: list[int]) -> subprocess.Popen:
    """Debian's nginx as a plain process: pid, logs and temp files in `workdir`, the shipped server config included.
    The access log names the app server of each request (a WebSocket is logged when it closes)."""
    (workdir / "tmp").mkdir(exist_ok=True)
    (workdir / "dashboard.conf").write_text(render(CONF.read_text(), listen=listen, ports=ports))
    # Run as root (CI), nginx's workers would switch to `nobody`, who cannot write the temp folder.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "".join(f"    {kind}_temp_path {workdir / 'tmp' / kind};\n"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (workdir / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {workdir / 'nginx.pid'};\nerror_log {workdir / 'error.log'};\n"
        f"events {{ worker_connections 1024; }}\n"
        f"http {{\n    log_format routed '$upstream_addr $status \"$request\"';\n"
        f"    access_log {workdir / 'access.log'} routed;\n{temp}    include {workdir / 'dashboard.conf'};\n}}\n")
    said = workdir / "nginx.out"
    with said.open("wb") as out:
        proc = subprocess.Popen([NGINX, "-p", str(workdir), "-c", str(workdir / "nginx.conf"), "-e",
                                 str(workdir / "error.log"), "-g", "daemon off;"],
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_health(f"http://127.0.0.1:{listen}", proc, "nginx", log=said)
    except BaseException:
        stop(proc)
        raise
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=20)
