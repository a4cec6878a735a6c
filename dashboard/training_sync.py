"""What follows from an enrolment's own columns, kept in step with them: its follow-ups and its certificate.

* A completed enrolment has two follow-ups, 3 and 6 months after its course's last day (`due_date`). They are made
  when the enrolment is completed; their due day moves with the course's end while nobody has tried them yet; and a
  follow-up nobody tried goes again when the enrolment is no longer completed. A follow-up someone worked on stays.
* A certified enrolment has a certificate (`certificate_number`): issued on the course's last day, numbered from the
  enrolment's id, so two writers never draw the same number. An enrolment no longer certified has its certificate
  revoked, not deleted: a number once handed out must still look up as revoked. A certificate a person revoked
  (services/certificates.py) stays revoked and its enrolment is kept uncertified, whatever an undo or a later write
  puts back; only the system's own revocations (a correction of 取得证书) are lifted when 取得证书 comes back.
* Follow-ups and certificates move with their enrolment to the community of its course.

`sync(conn, enrolment_ids)` runs inside the writer's transaction: after an import or undo of courses or enrolments
(dashboard/excel/importer.py), after the demo seed, and in migration 0011. With `enrolment_ids=None` it looks at every
enrolment (imports of courses, the seed); otherwise only at those.
"""

import calendar
import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_models import Certificate, Course, Enrolment, TrainingFollowup
from data_models.base import table_of

ENROLMENT = table_of(Enrolment)
COURSE = table_of(Course)
FOLLOWUP = table_of(TrainingFollowup)
CERTIFICATE = table_of(Certificate)
WAVE_MONTHS = {"m3": 3, "m6": 6}
CHUNK = 5_000
REVOKED_BY_SYNC = "system"


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or that month's last day (2026-11-30 + 3 months = 2027-02-28): the same on
    both databases, which date arithmetic in SQL is not."""
    m = day.month - 1 + months
    year, month = day.year + m // 12, m % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date(course_end: dt.date, wave: str) -> dt.date:
    return add_months(course_end, WAVE_MONTHS[wave])


# ISO 7064 MOD 11-2, the check of the resident ID number: a digit or X over the number's digits.
_WEIGHTS_MOD = 11


def check_char(digits: str) -> str:
    total = 0
    for ch in digits:
        total = (total + int(ch)) * 2 % _WEIGHTS_MOD
    value = (12 - total) % _WEIGHTS_MOD
    return "X" if value == 10 else str(value)


def certificate_number(year: int, enrolment_id: int) -> str:
    """ZS-2026-00001234-7: the year the course ended, the enrolment's id, the check character."""
    body = f"{year:04d}{enrolment_id:08d}"
    return f"ZS-{year:04d}-{enrolment_id:08d}-{check_char(body)}"


@dataclass(frozen=True)
class SyncResult:
    followups_added: int = 0
    followups_removed: int = 0
    followups_moved: int = 0
    certificates_issued: int = 0
    certificates_revoked: int = 0
    certificates_restored: int = 0
    kept_revoked: int = 0           # certified again by an undo or a write, but a person had revoked it: not certified


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def _rows(conn: Connection, enrolment_ids: Collection[int] | None) -> list[sa.Row]:
    stmt = sa.select(ENROLMENT.c.id, ENROLMENT.c.community_id, ENROLMENT.c.completed, ENROLMENT.c.certified,
                     COURSE.c.end_date).join(COURSE, COURSE.c.id == ENROLMENT.c.course_id)
    if enrolment_ids is None:
        return list(conn.execute(stmt.order_by(ENROLMENT.c.id)))
    out: list[sa.Row] = []
    for part in _chunks(sorted(set(enrolment_ids))):
        out.extend(conn.execute(stmt.where(ENROLMENT.c.id.in_(part))))
    return out


def _existing(conn: Connection, table: sa.Table, columns: list[sa.Column], ids: list[int] | None) -> list[sa.Row]:
    stmt = sa.select(*columns)
    if ids is None:
        return list(conn.execute(stmt))
    out: list[sa.Row] = []
    for part in _chunks(ids):
        out.extend(conn.execute(stmt.where(table.c.enrolment_id.in_(part))))
    return out


def sync(conn: Connection, enrolment_ids: Collection[int] | None = None, *,
         today: dt.date | None = None) -> SyncResult:
    """Bring follow-ups and certificates in step with the enrolments (all of them when `enrolment_ids` is None)."""
    rows = _rows(conn, enrolment_ids)
    ids = None if enrolment_ids is None else [r.id for r in rows]
    if ids == []:
        return SyncResult()
    f = FOLLOWUP.c
    have = {(r.enrolment_id, r.wave): r for r in _existing(
        conn, FOLLOWUP, [f.id, f.enrolment_id, f.wave, f.due_on, f.status, f.tries, f.community_id], ids)}
    add, remove, move, rehome = [], [], [], []
    for r in rows:
        for wave in WAVE_MONTHS:
            old = have.get((r.id, wave))
            if old is not None and old.community_id != r.community_id:
                rehome.append({"fid": old.id, "cid": r.community_id})   # the enrolment moved to another course
            if r.completed:
                due = due_date(r.end_date, wave)
                if old is None:
                    add.append({"enrolment_id": r.id, "community_id": r.community_id, "wave": wave, "due_on": due,
                                "status": "pending", "tries": 0, "version": 1})
                elif old.status == "pending" and old.tries == 0 and old.due_on != due:
                    move.append({"fid": old.id, "due": due})
            elif old is not None and old.status == "pending" and old.tries == 0:
                remove.append(old.id)
    if add:
        conn.execute(sa.insert(FOLLOWUP), add)
    for part in _chunks(remove):
        conn.execute(sa.delete(FOLLOWUP).where(f.id.in_(part)))
    if move:
        conn.execute(sa.update(FOLLOWUP).where(f.id == sa.bindparam("fid"))
                     .values(due_on=sa.bindparam("due"), version=f.version + 1), move)
    if rehome:
        conn.execute(sa.update(FOLLOWUP).where(f.id == sa.bindparam("fid"))
                     .values(community_id=sa.bindparam("cid")), rehome)

    c = CERTIFICATE.c
    certs = {r.enrolment_id: r for r in _existing(conn, CERTIFICATE, [c.id, c.enrolment_id, c.revoked_on,
                                                                       c.revoked_by, c.issued_on, c.community_id],
                                                  ids)}
    issue, revoke, restore, uncertify, cert_home = [], [], [], [], []
    for r in rows:
        cert = certs.get(r.id)
        if cert is not None and cert.community_id != r.community_id:
            cert_home.append({"cid": cert.id, "community": r.community_id})
        if r.certified and cert is not None and cert.revoked_on is not None and cert.revoked_by != REVOKED_BY_SYNC:
            # A person revoked it (services.certificates.revoke): the revocation wins over an undo or a write that
            # put 取得证书 back, or the funnel and the subsidy would count a revoked certificate.
            uncertify.append({"eid": r.id})
        elif r.certified:
            if cert is None:
                issue.append({"number": certificate_number(r.end_date.year, r.id), "enrolment_id": r.id,
                              "community_id": r.community_id, "issued_on": r.end_date})
            elif cert.revoked_on is not None and cert.revoked_by == REVOKED_BY_SYNC:
                restore.append({"cid": cert.id})      # certified again after a correction: the same number
        elif cert is not None and cert.revoked_on is None:
            revoke.append({"cid": cert.id, "on": max(today or dt.date.today(), cert.issued_on)})
    if issue:
        conn.execute(sa.insert(CERTIFICATE), issue)
    if revoke:
        conn.execute(sa.update(CERTIFICATE).where(c.id == sa.bindparam("cid")).values(
            revoked_on=sa.bindparam("on"), revoked_reason="结业证书认证已取消（培训报名记录更正）",
            revoked_by=REVOKED_BY_SYNC), revoke)
    if restore:
        conn.execute(sa.update(CERTIFICATE).where(c.id == sa.bindparam("cid")).values(
            revoked_on=None, revoked_reason=None, revoked_by=None), restore)
    if cert_home:
        conn.execute(sa.update(CERTIFICATE).where(c.id == sa.bindparam("cid")).values(
            community_id=sa.bindparam("community")), cert_home)
    if uncertify:
        conn.execute(sa.update(ENROLMENT).where(ENROLMENT.c.id == sa.bindparam("eid")).values(certified=False),
                     uncertify)
    return SyncResult(len(add), len(remove), len(move), len(issue), len(revoke), len(restore), len(uncertify))
