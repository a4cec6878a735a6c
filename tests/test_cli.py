"""python -m dashboard: db upgrade and seed, with their exit codes, run as a user would run them."""

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from tests.conftest import BACKENDS
from tests.test_schema import head_revision

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(url: str, *args: str, password: str | None = None, new_password: str | None = None
        ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DASHBOARD_PASSWORD", "DASHBOARD_NEW_PASSWORD")}
    env["DATABASE_URL"] = url
    if password is not None:
        env["DASHBOARD_PASSWORD"] = password
    if new_password is not None:
        env["DASHBOARD_NEW_PASSWORD"] = new_password
    return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)


def accounts_for(url: str, *roles: str) -> dict[str, str]:
    """The first admin (bootstrapped with a generated password), then one account per role; name -> password."""
    first = run(url, "user", "add", "boss", "--role", "admin")
    assert first.returncode == 0, first.stderr
    made = {"boss": json.loads(first.stdout)["password"]}
    for role in roles:
        party = ["--party", "GA-COOP"] if role == "cooperative_manager" else []   # a manager belongs to one (issue 12)
        out = run(url, "user", "add", role, "--role", role, *party, "--user", "boss", password=made["boss"])
        assert out.returncode == 0, out.stderr
        made[role] = json.loads(out.stdout)["password"]
    return made


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_upgrade_then_seed_then_refuse_then_reset(fresh_database_url: str) -> None:
    up = run(fresh_database_url, "db", "upgrade")
    assert up.returncode == 0, up.stderr
    assert json.loads(up.stdout)["revision"] == head_revision()

    first = run(fresh_database_url, "seed")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["tables"]["practitioner"] == 2000 and summary["scale"] == "demo"

    again = run(fresh_database_url, "seed")
    assert again.returncode == 1
    assert "--reset" in again.stderr and "已有数据" in again.stderr
    english = run(fresh_database_url, "--lang", "en", "seed")
    assert english.returncode == 1 and "already holds data" in english.stderr

    reset = run(fresh_database_url, "seed", "--reset")
    assert reset.returncode == 0, reset.stderr
    engine = sa.create_engine(fresh_database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM practitioner")).scalar_one() == 2000
        assert conn.execute(sa.text("SELECT COUNT(*) FROM audit_log WHERE action = 'seed'")).scalar_one() == 2
    engine.dispose()


def test_usage_error_exits_2() -> None:
    assert run("sqlite:///unused.db", "seed", "--scale", "galaxy").returncode == 2


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_distribute_prints_the_run_as_json_and_refuses_with_status_1(fresh_database_url: str) -> None:
    assert run(fresh_database_url, "seed").returncode == 0
    pw = accounts_for(fresh_database_url, "cooperative_manager", "social_worker")
    pw["chair"] = json.loads(run(fresh_database_url, "user", "add", "chair", "--role", "cooperative_manager",
                                 "--party", "GA-COOP", "--user", "boss", password=pw["boss"]).stdout)["password"]
    # The demo's 2026Q3 run is a draft computed by 合作社经理: a manager approves it (four eyes).
    refused = run(fresh_database_url, "distribute", "GA-COOP", "2026Q3", "--approve", "--user", "social_worker",
                  password=pw["social_worker"])
    assert refused.returncode == 1 and "没有权限审批分配方案" in refused.stderr
    out = run(fresh_database_url, "distribute", "GA-COOP", "2026Q3", "--approve", "--json", "--user", "chair",
              password=pw["chair"])
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["run"]["status"] == "approved" and data["run"]["approved_by"] == "chair"
    assert sum(data["pools"].values()) == data["run"]["profit_cents"] - data["run"]["carried_loss_cents"]
    assert sum(line["amount_cents"] for line in data["lines"]) == data["pools"]["members"]
    assert {line["rounding_adjustment_cents"] for line in data["lines"]} <= {0, 1}

    me = {"password": pw["cooperative_manager"]}
    again = run(fresh_database_url, "distribute", "GA-COOP", "2026Q3", "--user", "cooperative_manager", **me)
    assert again.returncode == 1 and "--correction" in again.stderr
    bad = run(fresh_database_url, "--lang", "en", "distribute", "GA-COOP", "2026-13", "--user", "cooperative_manager",
              **me)
    assert bad.returncode == 1 and "2025Q3" in bad.stderr
    text = run(fresh_database_url, "distribute", "GA-COOP", "2026Q3", "--correction", "--user", "cooperative_manager",
               **me)
    assert text.returncode == 0 and text.stdout.startswith("GA-COOP-2026Q3-2  草稿")
    own = run(fresh_database_url, "distribute", "GA-COOP", "2026Q3", "--approve", "--user", "cooperative_manager",
              **me)
    assert own.returncode == 1 and "双人把关" in own.stderr


@pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True)
def test_import_export_and_undo_from_the_command_line(fresh_database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert run(fresh_database_url, "seed").returncode == 0
    pw = accounts_for(fresh_database_url)
    boss = ("--user", "boss")
    out = tmp_path / "communities.xlsx"
    exported = run(fresh_database_url, "export", "communities", str(out), *boss, password=pw["boss"])
    assert exported.returncode == 0 and json.loads(exported.stdout)["rows"] == 3
    again = run(fresh_database_url, "import", "communities", str(out), "--json", *boss, password=pw["boss"])
    assert again.returncode == 0 and json.loads(again.stdout) | {"errors": []} == {
        "status": "committed", "rows": 3, "created": 0, "updated": 0, "unchanged": 3, "rejected": 0, "errors": []}
    bad = tmp_path / "bad.csv"
    bad.write_text("社区编号,社区名称,类型\nX1,新社区,外星\n", encoding="utf-8")
    rejected = run(fresh_database_url, "import", "communities", str(bad), "--json", *boss, password=pw["boss"])
    assert rejected.returncode == 1
    error = json.loads(rejected.stdout)["errors"][0]
    assert (error["row"], error["column"], error["value"]) == (2, "类型", "外星")
    good = tmp_path / "good.csv"
    good.write_text("社区编号,社区名称,类型\nX1,新社区,农村\n", encoding="utf-8")
    assert run(fresh_database_url, "import", "communities", str(good), *boss, password=pw["boss"]).returncode == 0
    undone = run(fresh_database_url, "undo-import", "communities", *boss, password=pw["boss"])
    assert undone.returncode == 0 and json.loads(undone.stdout)["deleted"] == 1
    assert run(fresh_database_url, "import", "communities", str(tmp_path / "missing.xlsx"), *boss,
               password=pw["boss"]).returncode == 2
    entities = run(fresh_database_url, "entities")
    assert entities.returncode == 0 and "practitioners\t从业者" in entities.stdout


@pytest.mark.parametrize("fresh_database_url", ["sqlite"], indirect=True)
def test_audit_verify_exit_codes(fresh_database_url: str) -> None:
    assert run(fresh_database_url, "seed").returncode == 0
    pw = accounts_for(fresh_database_url)
    ok = run(fresh_database_url, "audit", "verify", "--user", "boss", password=pw["boss"])
    # 49 from the seed (34, and the 15 locked minutes' minutes_lock entries), the admin made, its sign-in
    assert ok.returncode == 0 and "51" in ok.stdout
    head = ok.stdout.strip().splitlines()[-1].rsplit("：", 1)[-1]
    assert head.startswith("51:")
    anchored = run(fresh_database_url, "audit", "verify", "--anchor", head, "--user", "boss", password=pw["boss"])
    assert anchored.returncode == 0, anchored.stderr
    assert run(fresh_database_url, "audit", "verify", "--anchor", "51", "--user", "boss",
               password=pw["boss"]).returncode == 2
    engine = sa.create_engine(fresh_database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET after = '{}' WHERE id = 3"))
    engine.dispose()
    bad = run(fresh_database_url, "audit", "verify", "--user", "boss", password=pw["boss"])
    assert bad.returncode == 1 and "第 3 条" in bad.stderr


@pytest.mark.parametrize("fresh_database_url", ["sqlite"], indirect=True)
def test_the_command_line_asks_the_permission_matrix(fresh_database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = fresh_database_url
    assert run(url, "seed").returncode == 0
    pw = accounts_for(url, "social_worker", "government", "cooperative_manager", "viewer", "platform")

    def as_(role: str, *args: str) -> subprocess.CompletedProcess[str]:
        return run(url, *args, "--user", role, password=pw[role])

    sales = tmp_path / "sales.xlsx"
    assert as_("boss", "export", "sales", str(sales), "--quarter", "2026Q3").returncode == 0
    refusals = [
        (as_("social_worker", "import", "sales", str(sales), "--dry-run"), "社工没有权限导入销售记录。"),
        (as_("viewer", "export", "practitioners", str(tmp_path / "p.xlsx")), "只读用户没有权限导出数据。"),
        (as_("social_worker", "undo-import", "needs"), "社工没有权限撤销导入。"),
        (as_("government", "distribute", "GA-COOP", "2026Q3"), "政府没有权限计算分配方案。"),
        (as_("social_worker", "user", "add", "eve", "--role", "admin"), "社工没有权限管理账号。"),
        (as_("platform", "audit", "verify"), "平台没有权限查看审计日志。"),
    ]
    for out, message in refusals:
        assert (out.returncode, out.stderr.strip()) == (1, message)
    manager = as_("cooperative_manager", "import", "sales", str(sales), "--dry-run", "--json")
    assert manager.returncode == 0 and json.loads(manager.stdout)["status"] == "valid"

    no_user = run(url, "export", "sales", str(sales))
    assert no_user.returncode == 2 and "--user" in no_user.stderr
    wrong = run(url, "export", "sales", str(sales), "--user", "government", password=pw["viewer"])
    assert wrong.returncode == 1 and wrong.stderr.strip() == "用户名或密码不对。"

    # Exports hold personal data only for the roles that may see it.
    from openpyxl import load_workbook
    shown = {}
    for role in ("social_worker", "government"):
        path = tmp_path / f"practitioners-{role}.xlsx"
        assert as_(role, "export", "practitioners", str(path), "--community", "GA").returncode == 0
        sheet = load_workbook(path, read_only=True)["从业者"]
        header = [c.value for c in next(sheet.iter_rows(max_row=1))]
        first = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
        shown[role] = (first[header.index("姓名")], first[header.index("电话")])
    (name, phone), (masked_name, masked_phone) = shown["social_worker"], shown["government"]
    assert "*" not in name and "*" in masked_name and masked_name[0] == name[0]
    assert masked_phone == phone[:3] + "****" + phone[-4:]

    # Government staff export the requests routed to their own office (GA's street office), and no others.
    made = run(url, "user", "add", "gov-ga", "--role", "government", "--party", "GA-GOV", "--user", "boss",
               password=pw["boss"])
    assert made.returncode == 0, made.stderr
    pw["gov-ga"] = json.loads(made.stdout)["password"]
    routed: dict[str, list] = {}
    for role in ("gov-ga", "government", "boss"):
        path = tmp_path / f"requests-{role}.xlsx"
        assert as_(role, "export", "requests", str(path)).returncode == 0
        sheet = load_workbook(path, read_only=True)["直播诉求"]
        rows = list(sheet.iter_rows(values_only=True))
        routed[role] = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert routed["government"] == []                         # an account with no office sees none
    mine = routed["gov-ga"]
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        codes = set(conn.execute(sa.text(
            "SELECT r.code FROM request r JOIN unit u ON u.id = r.lead_unit_id "
            "JOIN party p ON p.id = u.party_id WHERE p.code = 'GA-GOV'")).scalars())
    engine.dispose()
    assert mine and {r["诉求编号"] for r in mine} == codes
    assert {r["主办单位编号"] for r in mine} == {"U-GA-street_office"}
    assert mine == [r for r in routed["boss"] if r["诉求编号"] in codes] and len(mine) < len(routed["boss"]) / 5


@pytest.mark.parametrize("fresh_database_url", ["sqlite"], indirect=True)
def test_audit_verify_finds_a_published_report_written_past_the_audit_log(fresh_database_url: str) -> None:
    """A published 季度汇报 version is checked as locked minutes are: one with no publish entry in the chain (written
    into the database by hand) fails `audit verify` and is named."""
    assert run(fresh_database_url, "seed").returncode == 0
    pw = accounts_for(fresh_database_url)
    engine = sa.create_engine(fresh_database_url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO report_version (scope_key, community_id, quarter, version, cut_off_at, published_at, "
            "published_by, snapshot, narrative, reason, changes, sha256) VALUES ('c1', 1, '2026Q2', 1, "
            "'2026-07-02 00:00:00', '2026-07-02 00:00:00', 'x', '{}', '{}', '', '[]', :h)"), {"h": "0" * 64})
    engine.dispose()
    bad = run(fresh_database_url, "audit", "verify", "--user", "boss", password=pw["boss"])
    assert bad.returncode == 1 and "c1/2026Q2/v1" in bad.stderr
