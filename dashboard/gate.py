"""Who is signed in to this browser session: login, the read-only demo, idle timeout, logout, OIDC.

Streamlit-aware like loaders.py, kept apart so that the rules of signing in stay in accounts.py and the
page-facing data module stays small.
"""

import time

import streamlit as st
from sqlmodel import Session

from dashboard import accounts, loaders
from dashboard.accounts import DEMO, Principal
from dashboard.services.errors import RuleError
from dashboard.settings import get_settings

KEY = "principal"


def _end(reason: str, notice: str | None = None) -> None:
    p: Principal | None = st.session_state.pop(KEY, None)
    st.session_state.pop("last_seen", None)
    if p is not None and not p.demo:
        accounts.record_event(loaders.get_engine(), username=p.username, action=reason)
    if notice:
        st.session_state["auth_notice"] = notice


def current() -> Principal | None:
    """The session's principal, checked on every run: still active, not idle too long; else the demo or None."""
    s = get_settings()
    p: Principal | None = st.session_state.get(KEY)
    now = time.time()
    with Session(loaders.get_engine()) as session:
        if p is not None and not p.demo:
            if now - st.session_state.get("last_seen", now) > s.session_idle_minutes * 60:
                _end("session_expired", "auth.expired")
                p = None
            else:
                fresh = accounts.principal_of(session, p.username)
                if fresh is None:
                    _end("session_revoked", "auth.revoked")
                p = fresh
        admin = accounts.admin_exists(session)
        if p is None and _oidc_user() is not None:
            p = _oidc_principal(session)
    if p is not None and p.demo and admin:
        _end("demo_closed")
        p = None
    if p is None and s.demo_login and not admin:
        p = DEMO
    if p is not None:
        st.session_state[KEY] = p
        st.session_state["last_seen"] = now
        st.session_state["username"] = p.username
    return p


def sign_in(username: str, password: str) -> None:
    """Check the form's username and password; raises RuleError (bad login, or wait N seconds)."""
    p = accounts.login(loaders.get_engine(), username=username, password=password)
    st.session_state[KEY] = p
    st.session_state["last_seen"] = time.time()
    st.session_state.pop("auth_notice", None)
    st.cache_data.clear()


def sign_out() -> None:
    _end("logout", "auth.signed_out")
    if _oidc_user() is not None:
        st.logout()


def notice() -> str | None:
    return st.session_state.pop("auth_notice", None)


# --- an organisation's identity provider (st.login, OIDC) -------------------------------------------------------

def oidc_enabled() -> bool:
    return get_settings().oidc


def _oidc_user() -> str | None:
    """The e-mail the identity provider vouches for, when OIDC is on and the browser is signed in there."""
    if not oidc_enabled() or not st.user.is_logged_in:
        return None
    email = st.user.get("email")
    return str(email) if email else None


def _oidc_principal(session: Session) -> Principal | None:
    """An OIDC sign-in opens the local account of the same name (its e-mail): the role always comes from here."""
    email = _oidc_user()
    assert email is not None
    p = accounts.principal_of(session, email)
    if p is None:
        st.session_state["auth_notice"] = "auth.oidc_unknown"
        return None
    if st.session_state.get("oidc_recorded") != email:
        st.session_state["oidc_recorded"] = email
        accounts.record_event(loaders.get_engine(), username=email, action="login", channel="oidc")
    return p


def oidc_sign_in() -> None:
    try:
        st.login()
    except Exception as err:
        raise RuleError("auth.oidc_failed", error=str(err)) from err
