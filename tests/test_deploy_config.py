"""The deployment files agree with the app: nginx's upload limit with Streamlit's and the app's, the systemd unit with
the way the tests start a server, and every deploy/ file the README names exists."""

import re
import tomllib
from pathlib import Path

from dashboard.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
NGINX = (ROOT / "deploy" / "nginx" / "dashboard.conf").read_text()
UNIT = (ROOT / "deploy" / "systemd" / "dashboard@.service").read_text()


def test_nginx_lets_through_the_largest_upload_the_app_accepts_and_not_much_more() -> None:
    streamlit_mb = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]
    app_mb = Settings.model_fields["max_upload_mb"].default
    nginx_mb = int(re.search(r"client_max_body_size (\d+)m;", NGINX).group(1))  # type: ignore[union-attr]
    assert streamlit_mb == app_mb
    assert app_mb < nginx_mb <= app_mb + 2          # the multipart envelope's margin, no more


def test_the_websocket_location_keeps_the_upgrade_headers() -> None:
    """A proxy_set_header (or add_header) inside a location drops every one set in the server block: the WebSocket
    then reaches Streamlit without Upgrade/Connection and is never upgraded (seen in the loopback test)."""
    for block in re.findall(r"location [^{]+\{([^}]*)\}", NGINX):
        assert "proxy_set_header" not in block and "add_header" not in block
    for header in ("Upgrade $http_upgrade", "Connection $dashboard_connection", "Host $http_host"):
        assert f"proxy_set_header {header};" in NGINX


def test_one_slow_answer_does_not_take_a_server_out() -> None:
    """A server is marked down after several failures, not one: a single request past the read timeout (a long
    download on a slow intranet) counted as a failure took the server out for fail_timeout with max_fails=1."""
    servers = re.findall(r"^\s*server 127\.0\.0\.1:\d+ (.*);$", NGINX, re.MULTILINE)
    assert len(servers) >= 2
    for options in servers:
        assert int(re.search(r"max_fails=(\d+)", options).group(1)) >= 2, options  # type: ignore[union-attr]


def test_the_unit_runs_one_loopback_server_per_port() -> None:
    assert "--server.port %i" in UNIT and "--server.address 127.0.0.1" in UNIT
    assert "EnvironmentFile=/etc/dashboard/dashboard.env" in UNIT


def test_every_deploy_file_the_readme_names_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"deploy/[\w@./-]+\.(?:conf|service|example|md)", readme))
    assert {"deploy/nginx/dashboard.conf", "deploy/systemd/dashboard@.service"} <= named
    for path in named:
        assert (ROOT / path).exists(), path
