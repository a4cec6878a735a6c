"""结业证书: looking a number up (valid, revoked, unknown, mistyped) and revoking one, with a reason.

A number is ZS-<year>-<enrolment id, 8 digits>-<check character> (dashboard.training_sync.certificate_number). The
lookup box accepts it as people type it: full-width characters, spaces, lower case, other dashes or none at all. The
check character catches a mistyped digit before the database is asked. A verdict shows the holder's name masked,
whoever asks: the lookup is for employers and funders checking a paper, not for finding people.
"""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from dashboard import access, audit
from dashboard.access import Action
from dashboard.accounts import Principal
from dashboard.privacy import mask_name
from dashboard.services.errors import RuleError
from dashboard.training_sync import certificate_number, check_char
from data_models import Certificate, Course, Enrolment, Practitioner
from data_models.base import table_of

CERTIFICATE = table_of(Certificate)
ENROLMENT = table_of(Enrolment)
COURSE = table_of(Course)
PRACTITIONER = table_of(Practitioner)
MAX_REASON = 200
# What is left once spaces and dashes are gone: the prefix (optional), 4 digits of year, 8 of id, the check.
_BARE = re.compile(r"(?:ZS)?(\d{4})(\d{8})([\dX])")
_DROP = re.compile(r"[\s\-‐‑‒–—―−_/.·]+")


@dataclass(frozen=True)
class Verdict:
    status: str                  # "valid" | "revoked" | "unknown" | "malformed" | "bad_check"
    number: str | None           # the number as printed (ZS-2026-00001234-7), once it is well formed
    masked_name: str | None
    course_title: str | None
    issued_on: dt.date | None
    revoked_on: dt.date | None
    revoked_reason: str | None


def normalise(text: str) -> tuple[str, str | None]:
    """("ok" | "malformed" | "bad_check", the number as printed or None)."""
    bare = _DROP.sub("", unicodedata.normalize("NFKC", text or "")).upper()
    m = _BARE.fullmatch(bare)
    if m is None:
        return "malformed", None
    year, ident, check = m.groups()
    number = f"ZS-{year}-{ident}-{check}"
    if check_char(year + ident) != check:
        return "bad_check", number
    assert number == certificate_number(int(year), int(ident))
    return "ok", number


def _row(session: Session, number: str) -> sa.Row | None:
    c, e, k, p = CERTIFICATE.c, ENROLMENT.c, COURSE.c, PRACTITIONER.c
    return session.connection().execute(
        sa.select(c.id, c.number, c.enrolment_id, c.issued_on, c.revoked_on, c.revoked_reason, c.revoked_by,
                  p.name, k.title)
        .select_from(CERTIFICATE)
        .join(ENROLMENT, e.id == c.enrolment_id)
        .join(COURSE, k.id == e.course_id)
        .join(PRACTITIONER, p.id == e.practitioner_id)
        .where(c.number == number)).one_or_none()


def verify(session: Session, text: str) -> Verdict:
    """What the lookup box says about `text`. Never raises on what a person typed."""
    state, number = normalise(text)
    if state != "ok" or number is None:
        return Verdict(state, number, None, None, None, None, None)
    row = _row(session, number)
    if row is None:
        return Verdict("unknown", number, None, None, None, None, None)
    status = "valid" if row.revoked_on is None else "revoked"
    return Verdict(status, number, mask_name(row.name), row.title, row.issued_on, row.revoked_on,
                   row.revoked_reason)


def revoke(session: Session, number: str, *, reason: str, actor: Principal, on: dt.date, today: dt.date) -> None:
    """Revoke a certificate from `on`, with a reason. The enrolment is no longer counted as certified.

    The UPDATE names `revoked_on IS NULL`: of two people revoking at once, one wins and the other is told who did."""
    access.require(actor.role, Action.certificate_revoke)
    state, printed = normalise(number)
    if state == "malformed" or printed is None:
        raise RuleError("certificate.malformed", text=(number or "").strip())
    if state == "bad_check":
        raise RuleError("certificate.bad_check", number=printed)
    why = (reason or "").strip()
    if not why:
        raise RuleError("certificate.reason_required")
    if len(why) > MAX_REASON:
        raise RuleError("certificate.reason_too_long", n=len(why), max=MAX_REASON)
    row = _row(session, printed)
    if row is None:
        raise RuleError("certificate.unknown", number=printed)
    if row.revoked_on is not None:
        raise _already(row)
    if on > today:
        raise RuleError("certificate.future_date", date=on.isoformat(), today=today.isoformat())
    if on < row.issued_on:
        raise RuleError("certificate.before_issued", date=on.isoformat(), issued=row.issued_on.isoformat())
    conn = session.connection()
    result = conn.execute(CERTIFICATE.update()
                          .where(CERTIFICATE.c.id == row.id, CERTIFICATE.c.revoked_on.is_(None))
                          .values(revoked_on=on, revoked_reason=why, revoked_by=actor.username))
    if result.rowcount != 1:
        now = _row(session, printed)
        raise _already(now if now is not None else row)
    # The funnel, the subsidy and the exports count enrolment.certified; a revoked paper no longer counts.
    conn.execute(ENROLMENT.update().where(ENROLMENT.c.id == row.enrolment_id).values(certified=False))
    audit.record(conn, actor=actor.username, action="certificate_revoke", entity="certificate", entity_id=printed,
                 before={"revoked_on": None, "certified": True},
                 after={"revoked_on": on.isoformat(), "revoked_reason": why, "certified": False})


def _already(row: sa.Row) -> RuleError:
    return RuleError("certificate.already_revoked", number=row.number,
                     date=row.revoked_on.isoformat() if row.revoked_on else "—", by=row.revoked_by or "—")
