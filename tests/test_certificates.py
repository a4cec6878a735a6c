"""Certificate lookup (however the number is typed; the name always masked) and revoking, with who may."""

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.accounts import Principal
from dashboard.i18n import set_language
from dashboard.services import certificates as svc
from dashboard.services.errors import RuleError
from dashboard.training_sync import certificate_number
from data_models.enums import Role
from tests import factories as f
from tests import training_ops_factories as tf

D = dt.date
TODAY = D(2025, 12, 1)
ON = D(2025, 11, 2)
ASSOC = Principal("assoc", Role.association)


@pytest.fixture
def desk(engine: Engine) -> dict[str, Any]:
    set_language("zh")
    with engine.begin() as conn:
        c1 = f.community(conn, "C1")
        k1 = tf.course(conn, c1, title="直播带货入门")
        e1 = tf.learner(conn, c1, k1, "E1", name="王秀英")
        tf.sync(conn)
        return {"engine": engine, "e1": e1, "number": tf.certificate_of(conn, e1)}


def look(engine: Engine, text: str) -> svc.Verdict:
    with Session(engine) as s:
        return svc.verify(s, text)


def revoke(engine: Engine, number: str, *, actor: Principal = ASSOC, on: dt.date = ON,
           reason: str = "冒名顶替参训") -> None:
    with Session(engine) as s:
        svc.revoke(s, number, reason=reason, actor=actor, on=on, today=TODAY)
        s.commit()


def certified(engine: Engine, enrolment_id: int) -> bool:
    with engine.connect() as conn:
        t = f.T["enrolment"]
        return bool(conn.execute(sa.select(t.c.certified).where(t.c.id == enrolment_id)).scalar_one())


def test_the_number_is_the_enrolments_with_its_check(desk: dict[str, Any]) -> None:
    assert desk["number"] == certificate_number(2025, desk["e1"])


def test_a_valid_certificate_shows_only_the_masked_name(desk: dict[str, Any]) -> None:
    v = look(desk["engine"], desk["number"])
    assert v == svc.Verdict("valid", desk["number"], "王*英", "直播带货入门", D(2025, 7, 4), None, None)


@pytest.mark.parametrize("typed", [
    "{n}", " {n} ", "{lower}", "{bare}", "{spaced}", "{fullwidth}", "{nozs}", "{emdash}",
])
def test_numbers_are_accepted_as_people_type_them(desk: dict[str, Any], typed: str) -> None:
    n = desk["number"]
    text = typed.format(n=n, lower=n.lower(), bare=n.replace("-", ""), spaced=n.replace("-", " "),
                        fullwidth="".join(chr(ord(ch) + 0xFEE0) for ch in n), nozs=n[3:],
                        emdash=n.replace("-", "—"))
    v = look(desk["engine"], text)
    assert (v.status, v.number, v.masked_name) == ("valid", n, "王*英")


@pytest.mark.parametrize("text", ["", "   ", "hello", "ZS-2025-0001-1", "ZS-2025-000000011-1", "ZS-25-00000001-X",
                                  "AB-2025-00000001-1"])
def test_malformed_text_says_so(desk: dict[str, Any], text: str) -> None:
    v = look(desk["engine"], text)
    assert v.status == "malformed" and v.number is None and v.masked_name is None


def test_a_mistyped_digit_fails_the_check_before_the_database(desk: dict[str, Any]) -> None:
    n = desk["number"]
    year, ident, check = n[3:7], n[8:16], n[-1]
    typo = f"ZS-{year}-{ident[:-1]}{(int(ident[-1]) + 1) % 10}-{check}"
    v = look(desk["engine"], typo)
    assert v.status == "bad_check" and v.masked_name is None and v.course_title is None


def test_a_well_formed_number_never_issued_is_unknown(desk: dict[str, Any]) -> None:
    ghost = certificate_number(2025, 424_242)
    assert look(desk["engine"], ghost) == svc.Verdict("unknown", ghost, None, None, None, None, None)


def test_revoke_keeps_the_certificate_as_revoked_and_uncounts_the_enrolment(desk: dict[str, Any]) -> None:
    engine, n = desk["engine"], desk["number"]
    revoke(engine, n.lower().replace("-", ""))
    v = look(engine, n)
    assert (v.status, v.masked_name, v.revoked_on, v.revoked_reason) == ("revoked", "王*英", D(2025, 11, 2),
                                                                         "冒名顶替参训")
    assert not certified(engine, desk["e1"])
    [entry] = tf.audited(engine, "certificate")
    assert (entry["action"], entry["entity_id"], entry["actor"]) == ("certificate_revoke", n, "assoc")
    assert "冒名顶替参训" in entry["after"]
    with engine.begin() as conn:               # a later sync keeps a person's revocation (only its own it restores)
        tf.sync(conn)
    assert look(engine, n).status == "revoked"


def test_revoking_twice_names_who_did_it_first(desk: dict[str, Any]) -> None:
    revoke(desk["engine"], desk["number"])
    with pytest.raises(RuleError) as err:
        revoke(desk["engine"], desk["number"], actor=Principal("root", Role.admin))
    assert err.value.key == "certificate.already_revoked"
    assert "assoc" in err.value.message() and "2025-11-02" in err.value.message()
    assert len(tf.audited(desk["engine"], "certificate")) == 1


@pytest.mark.parametrize("role", [Role.social_worker, Role.government, Role.platform, Role.viewer,
                                  Role.cooperative_manager])
def test_only_roles_granted_certificate_revoke_may_revoke(desk: dict[str, Any], role: Role) -> None:
    with pytest.raises(RuleError) as err:
        revoke(desk["engine"], desk["number"], actor=Principal("x", role))
    assert err.value.key == "access.denied_action" and "撤销结业证书" in err.value.message()
    assert look(desk["engine"], desk["number"]).status == "valid"


def test_admin_may_revoke(desk: dict[str, Any]) -> None:
    revoke(desk["engine"], desk["number"], actor=Principal("root", Role.admin))
    assert look(desk["engine"], desk["number"]).status == "revoked"


@pytest.mark.parametrize(("number", "kw", "key", "en"), [
    ("{n}", {"on": D(2025, 12, 2)}, "certificate.future_date", "«Date revoked»"),
    ("{n}", {"on": D(2025, 7, 3)}, "certificate.before_issued", "«Date revoked»"),
    ("{n}", {"reason": "  "}, "certificate.reason_required", "«Reason»"),
    ("{n}", {"reason": "因" * 201}, "certificate.reason_too_long", "«Reason»"),
    ("nonsense", {}, "certificate.malformed", "ZS-2026-00001234-2"),
    ("{typo}", {}, "certificate.bad_check", "check character"),
    ("{ghost}", {}, "certificate.unknown", "no certificate"),
])
def test_bad_revocations_are_refused_in_the_users_language(desk: dict[str, Any], number: str, kw: dict[str, Any],
                                                           key: str, en: str) -> None:
    n = desk["number"]
    typo = n[:-1] + ("0" if n[-1] != "0" else "1")
    text = number.format(n=n, typo=typo, ghost=certificate_number(2025, 424_242))
    with pytest.raises(RuleError) as err:
        revoke(desk["engine"], text, **kw)
    assert err.value.key == key
    set_language("en")
    assert en in err.value.message()
    assert look(desk["engine"], n).status == "valid" and certified(desk["engine"], desk["e1"])
