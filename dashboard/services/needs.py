"""Working a need through the closed loop: record it, then move it one stage at a time, each move recorded.

identified -> assessed -> responded -> feedback -> closed. No stage is skipped, nothing closes without
feedback, feedback carries the practitioner's satisfaction (1-5), and every move records who and when.
"""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from dashboard import audit, codes, locks
from dashboard.excel import normalize
from dashboard.i18n import label
from dashboard.periods import quarter_key
from dashboard.services.errors import RuleError
from data_models import NeedAssessment, NeedEvent, Practitioner
from data_models.base import table_of
from data_models.core import utcnow
from data_models.enums import NeedCategory, NeedStatus, Severity

LOOP = [NeedStatus.identified, NeedStatus.assessed, NeedStatus.responded, NeedStatus.feedback, NeedStatus.closed]
DATE_FIELD = {NeedStatus.assessed: "assessed_on", NeedStatus.responded: "responded_on",
              NeedStatus.feedback: "feedback_on", NeedStatus.closed: "closed_on"}


def next_stage(status: str) -> NeedStatus | None:
    i = LOOP.index(NeedStatus(status))
    return LOOP[i + 1] if i + 1 < len(LOOP) else None


def _stage_date(need: NeedAssessment, status: NeedStatus) -> dt.date:
    return need.identified_on if status == NeedStatus.identified else getattr(need, DATE_FIELD[status])


def record_need(session: Session, *, practitioner_code: str, category: str, severity: str, description: str,
                identified_on: dt.date, actor: str, today: dt.date) -> NeedAssessment:
    code = normalize.code(practitioner_code)          # full-width ＰＯ０１ is P01; blank (also 　) is None
    if code is None:
        raise RuleError("needs.practitioner_required")
    table = table_of(Practitioner)
    found = codes.lookup(session.connection(), table, [code], [table.c.id])
    if code in found.ambiguous:
        raise RuleError("needs.ambiguous_practitioner", code=code, codes="、".join(found.ambiguous[code]))
    if code not in found.found:
        if code in found.close:
            raise RuleError("needs.unknown_practitioner_close", code=code, close=found.close[code])
        raise RuleError("needs.unknown_practitioner", code=code)
    practitioner = session.get_one(Practitioner, found.found[code][1])
    assert practitioner.id is not None
    if identified_on > today:
        raise RuleError("needs.future_date", date=identified_on.isoformat())
    prefix = f"N{identified_on:%Y%m%d}"
    locks.serialise(session.connection(), f"need_code:{prefix}")     # two at once must not take the same number
    n = session.execute(sa.select(sa.func.count()).select_from(NeedAssessment)
                        .where(col(NeedAssessment.code).startswith(prefix))).scalar_one()
    need = NeedAssessment(
        code=f"{prefix}{n + 1:03d}", practitioner_id=practitioner.id, community_id=practitioner.community_id,
        category=NeedCategory(category), severity=Severity(severity), status=NeedStatus.identified,
        description=description.strip()[:500], identified_on=identified_on, quarter=quarter_key(identified_on),
        social_worker=actor,
    )
    session.add(need)
    session.flush()
    assert need.id is not None
    session.add(NeedEvent(need_id=need.id, from_status=None, to_status=NeedStatus.identified, actor=actor))
    audit.record(session.connection(), actor=actor, action="create", entity="need_assessment", entity_id=need.code,
                 after=need.model_dump(mode="json"))
    return need


def advance_need(session: Session, *, need_code: str, to_status: str, on: dt.date, actor: str, today: dt.date,
                 satisfaction: int | None = None, note: str = "") -> NeedAssessment:
    need = session.execute(sa.select(NeedAssessment).where(col(NeedAssessment.code) == need_code)).scalar_one_or_none()
    if need is None:
        raise RuleError("needs.unknown_need", code=need_code)
    assert need.id is not None
    target = NeedStatus(to_status)
    expected = next_stage(need.status)
    if expected is None:
        raise RuleError("needs.already_closed", code=need.code)
    if target != expected:
        raise RuleError("needs.skip", current=label(NeedStatus(need.status)), expected=label(expected),
                        target=label(target))
    previous = _stage_date(need, NeedStatus(need.status))
    if on < previous:
        raise RuleError("needs.before_previous", date=on.isoformat(), previous=previous.isoformat())
    if on > today:
        raise RuleError("needs.future_date", date=on.isoformat())
    values: dict[str, object] = {"status": target, DATE_FIELD[target]: on}
    if target == NeedStatus.feedback:
        if satisfaction is None or not 1 <= satisfaction <= 5:
            raise RuleError("needs.satisfaction_required")
        values["satisfaction"] = satisfaction
    before = {"status": str(need.status)}
    from_status = need.status
    # The move happens only if the need is still where this session saw it: of two moves at once, one wins.
    table = table_of(NeedAssessment)
    if not locks.move(session.connection(), table, need.id, from_status, values):
        now = session.execute(sa.select(table.c.status).where(table.c.id == need.id)).scalar()
        if now is None:
            raise RuleError("needs.unknown_need", code=need_code)
        raise RuleError("needs.moved_meanwhile", code=need.code, current=label(NeedStatus(now)))
    for key, value in values.items():
        set_committed_value(need, key, value)
    session.add(NeedEvent(need_id=need.id, from_status=from_status, to_status=target, at=utcnow(), actor=actor,
                          note=note.strip()[:500]))
    audit.record(session.connection(), actor=actor, action="status", entity="need_assessment", entity_id=need.code,
                 before=before, after={"status": str(target), "on": on.isoformat(), "satisfaction": satisfaction})
    return need
