"""Local accounts on SQLite and PostgreSQL: argon2id hashes, generated passwords, slowed-down failures, audit."""

import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import accounts, audit
from dashboard.services.errors import RuleError
from data_models import AuditLog, User
from data_models.enums import Role

ROOT = Path(__file__).resolve().parents[1]
T0 = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)


def add(engine: Engine, username: str, role: str = "social_worker", password: str | None = None) -> str | None:
    with Session(engine) as session:
        _, generated = accounts.create_user(session, username=username, role=role, actor="test", password=password)
        session.commit()
    return generated


def actions(engine: Engine, username: str) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(AuditLog.action).where(AuditLog.entity == "user",
                                                                  AuditLog.entity_id == username)
                                 .order_by(AuditLog.id)).scalars())


def test_a_new_account_gets_a_random_password_and_only_its_argon2id_hash_is_kept(engine: Engine) -> None:
    first, second = add(engine, "wang"), add(engine, "li")
    assert first and second and first != second and len(first) == 16
    with Session(engine) as session:
        stored = session.execute(sa.select(User.password_hash).where(User.username == "wang")).scalar_one()
    assert stored.startswith("$argon2id$") and first not in stored
    assert accounts.login(engine, username="wang", password=first).role == Role.social_worker
    with engine.connect() as conn:
        logged = " ".join(str(v) for row in conn.execute(sa.select(AuditLog.before, AuditLog.after)) for v in row)
    assert first not in logged and "argon2" not in logged      # the audit log never holds a password or hash


@pytest.mark.parametrize(("kwargs", "key"), [
    ({"username": "a b"}, "accounts.bad_username"),
    ({"role": "superuser"}, "accounts.bad_role"),
    ({"password": "a" * 9}, "accounts.weak_password"),          # MIN_PASSWORD_LENGTH is 10
    ({"party_code": "NOPE"}, "accounts.unknown_party"),
    ({"username": "dup"}, "accounts.exists"),
])
def test_bad_accounts_are_refused(engine: Engine, kwargs: dict, key: str) -> None:
    add(engine, "dup")
    with Session(engine) as session, pytest.raises(RuleError) as err:
        accounts.create_user(session, **({"username": "new", "role": "viewer", "actor": "t"} | kwargs))
    assert err.value.key == key


def test_wrong_unknown_and_disabled_logins_are_refused_alike_and_recorded(engine: Engine) -> None:
    right = accounts.new_password()
    assert add(engine, "zhao", password=right) is None          # a given password is not echoed back
    for username, password in (("zhao", right[::-1]), ("nobody", right), ("", "")):
        with pytest.raises(RuleError) as err:
            accounts.login(engine, username=username, password=password)
        assert err.value.key == "accounts.bad_login"
    with Session(engine) as session:
        accounts.set_active(session, username="zhao", active=False, actor="admin")
        session.commit()
    with pytest.raises(RuleError):
        accounts.login(engine, username="zhao", password=right)
    assert actions(engine, "zhao") == ["create", "login_failed", "disable", "login_failed"]
    assert actions(engine, "nobody") == ["login_failed"]
    with engine.connect() as conn:
        assert audit.verify(conn).ok


def test_repeated_failures_are_slowed_down_then_forgiven(engine: Engine) -> None:
    right = accounts.new_password()
    add(engine, "sun", password=right)
    for i in range(5):                          # DASHBOARD_LOGIN_FREE_ATTEMPTS = 5 tries without waiting
        with pytest.raises(RuleError) as err:
            accounts.login(engine, username="sun", password=right[:-1], now=T0 + dt.timedelta(seconds=i))
        assert err.value.key == "accounts.bad_login"
    last = T0 + dt.timedelta(seconds=4)
    with pytest.raises(RuleError) as wait:       # even the right password waits: the attempt is not checked
        accounts.login(engine, username="sun", password=right, now=last + dt.timedelta(seconds=1))
    assert wait.value.key == "accounts.slow_down" and wait.value.params == {"seconds": 2}   # the full first wait
    with pytest.raises(RuleError):               # a sixth failure doubles the wait
        accounts.login(engine, username="sun", password=right[:-1], now=last + dt.timedelta(seconds=3))
    with Session(engine) as session:
        assert accounts.wait_seconds(session, "sun", last + dt.timedelta(seconds=3)) == 4.0
        assert accounts.wait_seconds(session, "sun", last + dt.timedelta(minutes=16)) == 0.0   # out of window
    ok = accounts.login(engine, username="sun", password=right, now=last + dt.timedelta(seconds=8))
    assert ok.username == "sun"
    with Session(engine) as session:             # a success clears the count
        assert accounts.wait_seconds(session, "sun", last + dt.timedelta(seconds=8)) == 0.0
    assert actions(engine, "sun").count("login_blocked") == 1


def test_the_wait_is_capped(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard.settings import get_settings
    monkeypatch.setenv("DASHBOARD_LOGIN_MAX_DELAY_SECONDS", "30")
    monkeypatch.setenv("DASHBOARD_LOGIN_FREE_ATTEMPTS", "1")
    get_settings.cache_clear()
    add(engine, "cap")
    for i in range(12):
        with pytest.raises(RuleError):
            accounts.login(engine, username="cap", password=accounts.new_password(), now=T0 + dt.timedelta(minutes=i))
    with Session(engine) as session:
        assert accounts.wait_seconds(session, "cap", T0 + dt.timedelta(minutes=11)) == 30.0


def test_a_reset_replaces_the_password_and_clears_the_count(engine: Engine) -> None:
    old = add(engine, "zhou")
    assert old is not None
    for i in range(6):
        with pytest.raises(RuleError):
            accounts.login(engine, username="zhou", password=old[:-1], now=T0 + dt.timedelta(seconds=i))
    with Session(engine) as session:
        new = accounts.reset_password(session, username="zhou", actor="admin")
        session.commit()
    assert new and new != old
    with pytest.raises(RuleError) as err:
        accounts.login(engine, username="zhou", password=old)
    assert err.value.key == "accounts.bad_login"
    assert accounts.login(engine, username="zhou", password=new).username == "zhou"


def test_the_demo_is_on_only_until_a_real_admin_exists(engine: Engine) -> None:
    with Session(engine) as session:
        assert not accounts.admin_exists(session)
    add(engine, "worker")
    add(engine, "root", role="admin")
    with Session(engine) as session:
        assert accounts.admin_exists(session)
        accounts.set_active(session, username="root", active=False, actor="t")
        assert not accounts.admin_exists(session)
        assert accounts.principal_of(session, "root") is None
        assert accounts.principal_of(session, "worker") == accounts.Principal("worker", Role.social_worker)


# An assignment or keyword argument that gives a password-like name a literal: password="…", PASSWORD: '…'.
# Not a password: the name of an environment variable, the field label itself, or Chinese interface text.
SECRET = re.compile(r"""(?i)(password|passwd|pwd|secret)\w*["']?\s*[:=]\s*["']([^"'\s]{4,})["']""")
NOT_A_SECRET = re.compile(r"^[A-Z][A-Z0-9_]+$|^[Pp]assword$|[^\x00-\x7f]")


def test_no_default_or_hard_coded_password_anywhere() -> None:
    """No source, script, config or document in the repository assigns a literal password."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    hits = []
    for name in files:
        if not name.endswith((".py", ".md", ".toml", ".ini", ".sh", ".cfg", ".yaml", ".yml", ".txt", ".env")):
            continue
        text = (ROOT / name).read_text(encoding="utf-8", errors="replace")
        hits += [f"{name}: {m.group(0)}" for m in SECRET.finditer(text) if not NOT_A_SECRET.search(m.group(2))]
    assert hits == []
    from dashboard.settings import Settings
    assert not [f for f in Settings.model_fields if "password" in f or "secret" in f]
