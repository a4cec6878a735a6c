"""Issue 18 item 4 on loopback: Debian's nginx with deploy/nginx/dashboard.conf in front of two app servers on one
PostgreSQL database. A browser signs in and works, stays on one server, and moves to the other when its server stops.

The sign-in lives in the server's session (st.session_state), so after the move the user signs in again."""

import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from seed import load_demo
from tests.apptest_helpers import add_user
from tests.cluster import CONF, NGINX, start_app, start_nginx, stop
from tests.conftest import PG_URL, PgSchema
from tests.test_browser import browser_context_args, browser_type_launch_args, free_port, go  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.skipif(PG_URL is None, reason="no PostgreSQL reachable")]


class Cluster:
    def __init__(self, url: str, apps: dict[str, subprocess.Popen], admin: tuple[str, str], log: Path) -> None:
        self.url, self.apps, self.admin, self.log = url, apps, admin, log

    def websockets(self) -> list[str]:
        """The app server of every WebSocket nginx upgraded so far (the last address, after a failover)."""
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        return [line.split(" 101 ")[0].split(",")[-1].strip() for line in lines
                if ' 101 "GET /_stcore/stream ' in line]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if not Path(NGINX).exists():
        pytest.fail("nginx not found: install Debian's package nginx (scripts/test.sh does this)")
    schema = PgSchema()
    procs: list[subprocess.Popen] = []
    try:
        from dashboard.db import init_database

        engine = init_database(schema.url)
        load_demo(engine, "demo")
        engine.dispose()
        admin = add_user(schema.url, "admin", "admin")
        ports = [free_port(), free_port()]
        apps = {}
        workdir = tmp_path_factory.mktemp("nginx")
        for port in ports:
            procs.append(start_app(schema.url, port, workdir / f"app-{port}.log"))
            apps[f"127.0.0.1:{port}"] = procs[-1]
        listen = free_port()
        procs.append(start_nginx(workdir, listen=listen, ports=ports))
        yield Cluster(f"http://127.0.0.1:{listen}", apps, admin, workdir / "access.log")
    finally:
        for proc in reversed(procs):
            stop(proc)
        schema.drop()


def upstream(page: Page, url: str) -> str:
    """The app server nginx routes this browser to (its cookie is sent): the last address X-Upstream names."""
    response = page.request.get(f"{url}/_stcore/health")
    assert response.ok and response.text() == "ok"
    return response.headers["x-upstream"].split(",")[-1].strip()


def sign_in_and_open_needs(page: Page, cluster: Cluster) -> None:
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="登录 协同治理看板")).to_be_visible()
    main.get_by_label("用户名").fill(cluster.admin[0])
    main.get_by_label("密码", exact=True).fill(cluster.admin[1])
    main.get_by_role("button", name="登录").click()
    # The page of the URL opens after signing in: the overview at first, the needs page after the reload.
    expect(main.get_by_role("heading", name="登录 协同治理看板")).not_to_be_visible()
    expect(page.get_by_test_id("stSidebar")).to_contain_text(f"已登录：{cluster.admin[0]}")
    go(page, "需求评估")
    expect(main.get_by_role("heading", name="需求评估")).to_be_visible()
    expect(main.get_by_test_id("stMetric").filter(has_text="从业者").first).to_contain_text("2,000")


def upload_checks(page: Page, folder: Path, cluster: Cluster) -> None:
    """An upload is a PUT beside the WebSocket: it must reach the server that holds the session, or it is lost."""
    go(page, "数据导入导出")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="数据导入导出")).to_be_visible()
    main.get_by_role("tab", name="上传导入").click()
    bad = folder / "社区.csv"
    bad.write_text("社区编号,社区名称,类型\nGA,G市A社区,城市社区\nNEW1,新社区,外星\n", encoding="gbk")
    main.locator("[class*=st-key-io_upload_] [data-testid=stFileUploaderDropzoneInput]").set_input_files(str(bad))
    try:
        expect(main.get_by_text("发现 1 处问题")).to_be_visible()
    except AssertionError as error:         # which server each request reached, and what nginx saw
        log = cluster.log.read_text() if cluster.log.exists() else ""
        errors = (cluster.log.parent / "error.log").read_text()
        apps = "".join(f"\n{p.name}:\n{p.read_text(errors='replace')[-3000:]}"
                       for p in cluster.log.parent.glob("app-*.log"))
        raise AssertionError(f"{error}\nnginx access log:\n{log[-3000:]}\nnginx error log:\n{errors[-3000:]}"
                             f"\napp servers:{apps}") from None
    expect(main.get_by_test_id("stDataFrame")).to_contain_text("外星")


def time_wait(port: int) -> set[tuple[int, int]]:
    """The (local port, remote port) of every loopback TCP connection in TIME_WAIT with `port` at one end. TIME_WAIT
    stays with the side that closed the connection first, for a minute."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, remote, state = line.split()[1:4]
        ends = int(local.split(":")[1], 16), int(remote.split(":")[1], 16)
        if state == "06" and port in ends:
            found.add(ends)
    return found


def test_nginx_closes_an_idle_upstream_connection_before_the_app_server_does(cluster: Cluster) -> None:
    """nginx keeps connections to the app servers open between requests. Streamlit's server (uvicorn) closes one after
    5 s idle; a request nginx sends on it at that moment is reset, and nginx hands it to the other server, which has
    no session for it: an upload then failed with 400 «Invalid session_id» (1 request in 60 sent after 5 s idle, and
    CI once). So nginx must close its idle connections first: the TIME_WAIT is on nginx's side (the app's port is the
    remote end), never on the app server's."""
    request = urllib.request.Request(f"{cluster.url}/_stcore/host-config", headers={"Cookie": "dashboard_node=idle"})
    with urllib.request.urlopen(request, timeout=30) as response:
        app = int(response.headers["X-Upstream"].split(",")[-1].strip().rsplit(":", 1)[1])
    before = time_wait(app)
    time.sleep(6.5)                 # past both timeouts; TIME_WAIT lasts 60 s
    new = time_wait(app) - before
    assert new, "the idle connection between nginx and the app server was not closed"
    assert all(remote == app for _, remote in new), f"the app server closed it first: {new}"


def test_a_session_stays_on_one_server_and_moves_when_it_stops(page: Page, cluster: Cluster, tmp_path: Path) -> None:
    page.goto(cluster.url)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies.get("dashboard_node"), "nginx gives the browser its node cookie"
    sign_in_and_open_needs(page, cluster)

    first = upstream(page, cluster.url)
    assert first in cluster.apps
    assert {upstream(page, cluster.url) for _ in range(8)} == {first}          # sticky: every request, one server
    assert {c["value"] for c in page.context.cookies() if c["name"] == "dashboard_node"} == {cookies["dashboard_node"]}
    # The signed-in session is still there after those requests: the page keeps working on the same server.
    main = page.get_by_test_id("stMain")
    go(page, "首页")
    expect(main.get_by_role("heading", name="首页 · 总览")).to_be_visible()
    go(page, "需求评估")
    expect(main.get_by_role("heading", name="需求评估")).to_be_visible()
    upload_checks(page, tmp_path, cluster)
    assert cluster.websockets() == []       # nginx logs a WebSocket when it closes: the session's is still open

    stop(cluster.apps[first])
    page.reload()
    # The other server has no session of this browser: the sign-in form again, then the page works from there.
    sign_in_and_open_needs(page, cluster)
    second = upstream(page, cluster.url)
    assert second in cluster.apps and second != first
    assert {upstream(page, cluster.url) for _ in range(4)} == {second}
    upload_checks(page, tmp_path, cluster)
    # Leaving the page closes the second WebSocket; nginx logs it then. The session's WebSocket went through the
    # upgrade to the server its cookie names, and the one after the stop to the other server.
    page.goto("about:blank")
    deadline = time.monotonic() + 30
    while not (routes := cluster.websockets()) or routes[-1] != second:
        assert time.monotonic() < deadline, f"no WebSocket to {second} logged: {routes}"
        time.sleep(0.2)
    assert routes[0] == first


def test_the_shipped_config_passes_nginx_t(tmp_path: Path) -> None:
    """The file as shipped (port 80 and all), read by `nginx -t` inside a minimal main config."""
    if not Path(NGINX).exists():
        pytest.fail("nginx not found: install Debian's package nginx (scripts/test.sh does this)")
    main = tmp_path / "nginx.conf"
    main.write_text(f"pid {tmp_path / 'nginx.pid'};\nevents {{}}\nhttp {{ include {CONF}; }}\n")
    result = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(main), "-e", str(tmp_path / "error.log")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
