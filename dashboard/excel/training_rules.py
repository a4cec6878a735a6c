"""What an import of training data checks against the database, and what follows it: follow-ups answered only for
completed enrolments and after the course, subsidy rules whose validity does not overlap, and training_sync after
courses or enrolments are imported or undone."""

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dashboard import training_sync
from dashboard.bulk import among
from dashboard.excel.spec import Entity
from dashboard.services.errors import RuleError
from data_models import Certificate, Course, Enrolment, SubsidyRule, TrainingFollowup
from data_models.base import table_of

CHECKED = ("followups", "subsidy_rules", "enrolments")
ENROLMENT = table_of(Enrolment)
COURSE = table_of(Course)
FOLLOWUP = table_of(TrainingFollowup)
CERTIFICATE = table_of(Certificate)
RULE = table_of(SubsidyRule)

Problem = tuple[int, str, str, dict[str, Any]]      # (row index, column, message key, params)


@dataclass
class Facts:
    """What the checks read from the database: per referenced enrolment (by id) whether it is completed and its
    course's last day; every stored subsidy rule's validity."""

    enrolments: dict[int, tuple[bool, dt.date]] = field(default_factory=dict)
    rules: dict[str, tuple[dt.date, dt.date | None]] = field(default_factory=dict)
    # Per enrolment code: the certificate a person revoked (number, day, reason).
    revoked: dict[str, tuple[str, dt.date, str]] = field(default_factory=dict)


def facts(conn: Connection, entity: Entity, keys: list[Any]) -> Facts:
    """`keys` are the file's rows' keys as stored (a follow-up's: enrolment id, wave)."""
    out = Facts()
    if entity.name == "followups":
        ids = list({k[0] for k in keys if k is not None})
        if ids:
            stmt = (sa.select(ENROLMENT.c.id, ENROLMENT.c.completed, COURSE.c.end_date)
                    .join(COURSE, COURSE.c.id == ENROLMENT.c.course_id).where(among(conn, ENROLMENT.c.id, ids)))
            out.enrolments = {id_: (bool(completed), end) for id_, completed, end in conn.execute(stmt)}
    if entity.name == "enrolments":
        codes = [k for k in keys if k is not None]
        if codes:
            stmt = (sa.select(ENROLMENT.c.code, CERTIFICATE.c.number, CERTIFICATE.c.revoked_on,
                              CERTIFICATE.c.revoked_reason)
                    .join(CERTIFICATE, CERTIFICATE.c.enrolment_id == ENROLMENT.c.id)
                    .where(among(conn, ENROLMENT.c.code, codes), CERTIFICATE.c.revoked_on.is_not(None),
                           CERTIFICATE.c.revoked_by != training_sync.REVOKED_BY_SYNC))
            out.revoked = {str(r[0]): (str(r[1]), r[2], str(r[3] or "")) for r in conn.execute(stmt)}
    if entity.name == "subsidy_rules":
        out.rules = {code: (a, b) for code, a, b in conn.execute(sa.select(RULE.c.code, RULE.c.valid_from,
                                                                            RULE.c.valid_to))}
    return out


def problems(entity: Entity, known: Facts, columns: dict[str, list[Any]], keys: list[Any],
             existing: dict[Any, dict[str, Any]], excel_rows: list[int]) -> list[Problem]:
    if entity.name == "followups":
        return _followup_problems(known, columns, keys, existing)
    if entity.name == "subsidy_rules":
        return _overlaps(known, columns, excel_rows)
    if entity.name == "enrolments" and known.revoked and "certified" in columns:
        # A certificate someone revoked (certificates.revoke) is not given back by a file that still says 取得证书
        # (the trainer's roster exported before the revocation, say): the funnel and the subsidy would count it.
        return [(j, "certified", "excel.enrolment_certificate_revoked",
                 {"number": known.revoked[key][0], "on": known.revoked[key][1].isoformat(),
                  "reason": known.revoked[key][2]})
                for j, (key, certified) in enumerate(zip(keys, columns["certified"], strict=True))
                if certified and key in known.revoked]
    return []


def _followup_problems(known: Facts, columns: dict[str, list[Any]], keys: list[Any],
                       existing: dict[Any, dict[str, Any]]) -> list[Problem]:
    """An enrolment not completed has no follow-up to answer (the import never makes one: they follow the
    enrolment); a contact is not reached before the course ended; a due day, where given, is the stored one."""
    out: list[Problem] = []
    for j, key in enumerate(keys):
        fact = None if key is None else known.enrolments.get(key[0])
        if fact is None:
            continue            # an unknown enrolment is said by the reference check
        completed, end = fact
        stored = existing.get(key)
        if not completed or stored is None:
            out.append((j, "enrolment_id", "excel.followup_not_completed", {}))
            continue
        reached = columns.get("reached_on", [None] * len(keys))[j]
        if reached is not None and reached < end:
            out.append((j, "reached_on", "excel.followup_before_course_end", {"end": end.isoformat()}))
        due = columns.get("due_on", [None] * len(keys))[j]
        if due is not None and due != stored["due_on"]:
            out.append((j, "due_on", "excel.followup_due_mismatch", {"due": stored["due_on"].isoformat()}))
    return out


def _overlaps(known: Facts, columns: dict[str, list[Any]], excel_rows: list[int]) -> list[Problem]:
    """Two rules in force on the same day would leave a course's subsidy undecided: a file's rule may not overlap
    another of the file (both rows are named) or a stored one it does not replace."""
    out: list[Problem] = []
    codes = columns["code"]
    starts = columns.get("valid_from") or [None] * len(codes)
    ends = columns.get("valid_to") or [None] * len(codes)
    in_file = set(codes)
    spans = [(j, a, b if "valid_to" in columns else known.rules.get(code, (None, None))[1])
             for j, (code, a, b) in enumerate(zip(codes, starts, ends, strict=True)) if code is not None and a]
    for n, (j, a, b) in enumerate(spans):
        for k, c, d in spans[n + 1:]:
            if _overlap(a, b, c, d):
                out.append((k, "valid_from", "excel.subsidy_overlap_row", {"row": excel_rows[j]}))
                out.append((j, "valid_from", "excel.subsidy_overlap_row", {"row": excel_rows[k]}))
        for code, (c, d) in known.rules.items():
            if code not in in_file and _overlap(a, b, c, d):
                out.append((j, "valid_from", "excel.subsidy_overlap_stored",
                            {"code": code, "start": c.isoformat(), "end": "…" if d is None else d.isoformat()}))
    return out


def _overlap(a: dt.date, b: dt.date | None, c: dt.date, d: dt.date | None) -> bool:
    """[a, b] and [c, d] share a day; an open end runs on for ever."""
    return (d is None or a <= d) and (b is None or c <= b)


def _enrolment_ids(conn: Connection, entity: Entity, codes: Collection[str]) -> list[int] | None:
    """The enrolments an import or undo of courses or enrolments touched (codes given)."""
    if not codes:
        return []
    if entity.name == "enrolments":
        return list(conn.execute(sa.select(ENROLMENT.c.id).where(among(conn, ENROLMENT.c.code, list(codes))))
                    .scalars())
    courses = sa.select(COURSE.c.id).where(among(conn, COURSE.c.code, list(codes)))
    return list(conn.execute(sa.select(ENROLMENT.c.id).where(ENROLMENT.c.course_id.in_(courses))).scalars())


def after_import(conn: Connection, entity: Entity, codes: Collection[Any], *, today: dt.date) -> None:
    """Follow-ups and certificates in step with the enrolments an import or undo of courses or enrolments wrote,
    in the same transaction."""
    if entity.name in ("courses", "enrolments"):
        ids = _enrolment_ids(conn, entity, [str(c) for c in codes])
        if ids:
            training_sync.sync(conn, ids, today=today)


def before_delete(conn: Connection, entity: Entity, codes: Collection[Any]) -> None:
    """Undo deletes the enrolments its batch created: their follow-ups nobody worked on and their certificates go
    with them. A follow-up someone recorded stays, and then the enrolment cannot be deleted (undo is refused)."""
    if entity.name != "enrolments" or not codes:
        return
    ids = sa.select(ENROLMENT.c.id).where(among(conn, ENROLMENT.c.code, [str(c) for c in codes]))
    # A certificate a person revoked must still look up as revoked: the enrolment behind it stays.
    revoked = conn.execute(sa.select(CERTIFICATE.c.number).where(
        CERTIFICATE.c.enrolment_id.in_(ids), CERTIFICATE.c.revoked_on.is_not(None),
        CERTIFICATE.c.revoked_by != training_sync.REVOKED_BY_SYNC).limit(3)).scalars().all()
    if revoked:
        raise RuleError("excel.undo_revoked_certificate", numbers="、".join(revoked))
    conn.execute(sa.delete(FOLLOWUP).where(FOLLOWUP.c.enrolment_id.in_(ids), FOLLOWUP.c.status == "pending",
                                           FOLLOWUP.c.tries == 0))
    conn.execute(sa.delete(CERTIFICATE).where(CERTIFICATE.c.enrolment_id.in_(ids)))
