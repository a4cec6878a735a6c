"""Local accounts: argon2id password hashes, logins that are slowed down after repeated failures, every change audited.

No password is ever stored, logged or defaulted: a new account gets the one its creator gives (at least
MIN_PASSWORD_LENGTH characters) or a random one that is shown once.
"""

import datetime as dt
import math
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from dashboard import audit
from dashboard.services.errors import RuleError
from dashboard.settings import get_settings
from data_models import AuditLog, Cooperative, Party, User
from data_models.base import table_of
from data_models.core import utcnow
from data_models.enums import PartyKind, Role

if TYPE_CHECKING:
    import pandas as pd

MIN_PASSWORD_LENGTH = 10
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
HASHER = PasswordHasher()  # argon2id with the library's current recommended cost
# A hash of a random secret (thrown away), checked when the username is unknown so that a miss takes as long as a
# hit. Written out rather than hashed at import, which cost every CLI command an argon2 run before it did anything;
# tests/test_cli_startup.py checks that it still has the hasher's current cost.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$+uEgbrrvhwTCYN2ID8n5TA$vlcT5rH2SudY2qyztjDDSfSAH0kd0LgsOABriqbXcSE"


@dataclass(frozen=True)
class Principal:
    """Who is signed in, as the pages and the CLI see it."""

    username: str
    role: Role
    display_name: str = ""
    party_id: int | None = None
    demo: bool = False
    community_id: int | None = None        # the party's community
    cooperative_code: str | None = None    # a cooperative party's own cooperative (same code): a manager's scope
    cooperative_id: int | None = None


DEMO = Principal("demo", Role.viewer, "演示账号 Demo", demo=True)


def new_password() -> str:
    """A random password of 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)


def _new_hash(password: str | None) -> tuple[str, str | None]:
    """The hash of the given password, or of a generated one; returns (hash, the generated password or None)."""
    generated = None
    if password is None:
        password = generated = new_password()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise RuleError("accounts.weak_password", n=MIN_PASSWORD_LENGTH)
    return HASHER.hash(password), generated


def _user(session: Session, username: str) -> User | None:
    return session.execute(sa.select(User).where(col(User.username) == username)).scalar_one_or_none()


def _public(user: User) -> dict[str, object]:
    """What the audit log keeps of an account: never the hash."""
    return {"username": user.username, "role": str(user.role), "display_name": user.display_name,
            "party_id": user.party_id, "is_active": user.is_active}


def create_user(session: Session, *, username: str, role: Role | str, actor: str, party_code: str | None = None,
                display_name: str = "", password: str | None = None) -> tuple[User, str | None]:
    """Add an account. Returns it with the generated password (None when `password` was given)."""
    username = username.strip()
    if not USERNAME.match(username):
        raise RuleError("accounts.bad_username", username=username)
    try:
        role = Role(role)
    except ValueError:
        raise RuleError("accounts.bad_role", role=role, roles=", ".join(r.value for r in Role)) from None
    if _user(session, username) is not None:
        raise RuleError("accounts.exists", username=username)
    party_id = None
    if party_code:
        party_id = session.execute(sa.select(col(Party.id)).where(col(Party.code) == party_code)).scalar_one_or_none()
        if party_id is None:
            raise RuleError("accounts.unknown_party", code=party_code)
    password_hash, generated = _new_hash(password)
    user = User(username=username, role=role, party_id=party_id, display_name=display_name,
                password_hash=password_hash)
    session.add(user)
    session.flush()
    audit.record(session.connection(), actor=actor, action="create", entity="user", entity_id=username,
                 after=_public(user))
    return user, generated


def reset_password(session: Session, *, username: str, actor: str, password: str | None = None) -> str | None:
    """Give an account a new password; returns the generated one (None when `password` was given)."""
    user = _user(session, username)
    if user is None:
        raise RuleError("accounts.unknown_user", username=username)
    user.password_hash, generated = _new_hash(password)
    session.flush()
    audit.record(session.connection(), actor=actor, action="reset_password", entity="user", entity_id=username)
    return generated


def set_active(session: Session, *, username: str, active: bool, actor: str) -> None:
    user = _user(session, username)
    if user is None:
        raise RuleError("accounts.unknown_user", username=username)
    before = _public(user)
    user.is_active = active
    session.flush()
    audit.record(session.connection(), actor=actor, action="enable" if active else "disable", entity="user",
                 entity_id=username, before=before, after=_public(user))


def users(session: Session) -> "pd.DataFrame":
    """Every account without its hash, for `user list`."""
    stmt = (sa.select(col(User.username), col(User.display_name), col(User.role), sa.label("party", col(Party.code)),
                      col(User.is_active), col(User.created_at))
            .select_from(User).join(Party, col(Party.id) == User.party_id, isouter=True)
            .order_by(col(User.username)))
    # Imported here, not at the top: signing in (every command) needs no pandas.
    import pandas as pd

    return pd.DataFrame(session.execute(stmt).mappings().all(),
                        columns=["username", "display_name", "role", "party", "is_active", "created_at"])


def admin_exists(session: Session) -> bool:
    """Whether a real, active admin can sign in; until one does, the dashboard runs as the read-only demo."""
    stmt = sa.select(sa.func.count()).select_from(User).where(
        col(User.role) == Role.admin, col(User.is_active).is_(True), col(User.password_hash).is_not(None))
    return bool(session.execute(stmt).scalar_one())


def _principal(session: Session, user: User) -> Principal:
    party = session.get(Party, user.party_id) if user.party_id is not None else None
    coop = None
    if party is not None and party.kind == PartyKind.cooperative:
        # A cooperative's party carries the cooperative's code (seed/people.py): no extra column needed.
        coop = session.execute(sa.select(col(Cooperative.id))
                               .where(col(Cooperative.code) == party.code)).scalar_one_or_none()
    return Principal(user.username, Role(user.role), user.display_name, user.party_id,
                     community_id=None if party is None else party.community_id,
                     cooperative_code=None if coop is None or party is None else party.code,
                     cooperative_id=coop)


def principal_of(session: Session, username: str) -> Principal | None:
    """The signed-in account as it is now: None once it has been disabled or removed."""
    user = _user(session, username)
    if user is None or not user.is_active:
        return None
    return _principal(session, user)


# --- signing in --------------------------------------------------------------------------------------------------

def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def wait_seconds(session: Session, username: str, now: dt.datetime | None = None) -> float:
    """How long this username must wait before the next try: 0 for the first DASHBOARD_LOGIN_FREE_ATTEMPTS
    failures in a row, then 2, 4, 8 … seconds after the latest failure or refused try, capped at
    DASHBOARD_LOGIN_MAX_DELAY_SECONDS.
    Failures older than the window, or before a successful login or a password reset, do not count."""
    s = get_settings()
    now = now or utcnow()
    since = now - dt.timedelta(minutes=s.login_window_minutes)
    a = table_of(AuditLog).c
    recent = session.execute(
        sa.select(a.action, a.at).where(a.entity == "user", a.entity_id == username[:64], a.at >= since,
                                        a.action.in_(("login", "login_failed", "reset_password", "enable")))
        .order_by(a.id.desc()).limit(s.login_free_attempts + 16)).all()
    failures, last = 0, None
    for action, at in recent:
        if action != "login_failed":
            break
        failures += 1
        last = last or _aware(at)
    if failures < s.login_free_attempts or last is None:
        return 0.0
    # A try refused for waiting starts the wait again, so the wait the refusal names (2 s the first time) is the
    # wait the person has; counted from the last failure alone, a retype a second later was told "1 s".
    refused = session.execute(
        sa.select(sa.func.max(a.at)).where(a.entity == "user", a.entity_id == username[:64],
                                           a.action == "login_blocked", a.at >= last)).scalar_one_or_none()
    if refused is not None:
        last = max(last, _aware(refused))
    delay = min(2.0 ** (failures - s.login_free_attempts + 1), float(s.login_max_delay_seconds))
    return max(0.0, delay - (now - last).total_seconds())


def login(engine: Engine, *, username: str, password: str, channel: str = "web",
          now: dt.datetime | None = None) -> Principal:
    """Check a username and password. Success and failure are both written to the audit log, in their own
    transaction, so a failure is kept although the caller gets a RuleError."""
    username = username.strip()[:64]
    with Session(engine) as session:
        wait = wait_seconds(session, username, now)
        if wait > 0:
            audit.record(session.connection(), actor=username, action="login_blocked", entity="user",
                         entity_id=username, after={"channel": channel, "wait_seconds": math.ceil(wait)}, at=now)
            session.commit()
            # This refused try starts the wait again: the person is told the whole of it.
            raise RuleError("accounts.slow_down", seconds=math.ceil(wait_seconds(session, username, now)))
        user = _user(session, username) if username else None
        ok = False
        try:
            HASHER.verify(user.password_hash if user is not None and user.password_hash else _DUMMY_HASH, password)
            ok = user is not None and user.password_hash is not None and user.is_active
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok:
            reason = "unknown_user" if user is None else ("disabled" if not user.is_active else "bad_password")
            audit.record(session.connection(), actor=username or "?", action="login_failed", entity="user",
                         entity_id=username, after={"channel": channel, "reason": reason}, at=now)
            session.commit()
            raise RuleError("accounts.bad_login")
        assert user is not None and user.password_hash is not None
        if HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = HASHER.hash(password)
        audit.record(session.connection(), actor=username, action="login", entity="user", entity_id=username,
                     after={"channel": channel}, at=now)
        session.commit()
        return _principal(session, user)


def record_event(engine: Engine, *, username: str, action: str, channel: str = "web") -> None:
    """A logout, an idle timeout or an OIDC sign-in, in the audit log."""
    with Session(engine) as session:
        audit.record(session.connection(), actor=username, action=action, entity="user", entity_id=username,
                     after={"channel": channel})
        session.commit()
