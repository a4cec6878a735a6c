"""The 会议纪要 section of the 四方联席会议 page in AppTest on the demo seed: a social worker circulates the minutes of
a meeting whose agenda it has just saved; the four party accounts sign and the fourth signature locks them (an admin
has no button to sign); locked minutes show their hash and take an addendum (the signed text unchanged); re-assembly
voids the signatures collected; the PDF is built on a click. Fixtures and steps are test_app_meetings.py's."""

import datetime as dt

import sqlalchemy as sa

from dashboard.i18n import t
from dashboard.services.meeting_types import text_sha256
from data_models import AuditLog, MinutesAddendum
from data_models.base import table_of
from tests import test_app_meetings as base
from tests.apptest_helpers import click
from tests.test_app_meetings import PARTY, SIG, TODAY, M, P, errors, ga_meetings, go, open_as, query

# test_app_meetings.py's fixtures, by name: the demo database made once, a copy of it per test with today fixed.
demo_file = base.demo_file
url = base.url


def test_a_social_worker_circulates_the_minutes(url: str) -> None:
    target = next(m for m in ga_meetings(url) if m.minutes_status == "draft")     # the planned meeting
    at = open_as(url, "social_worker", "zh", section="agenda", meeting=target.code)
    click(at, t("meetings.agenda.propose"))
    click(at, t("meetings.agenda.save"))
    go(at, "minutes")
    at.date_input(key="meetings_circulate_until").set_value(TODAY + dt.timedelta(days=5))
    click(at, t("meetings.circulate.submit"))
    assert not errors(at), errors(at)
    (row,) = query(url, sa.select(M).where(M.c.id == target.id))
    assert (row.minutes_status, row.amend_until) == ("circulated", TODAY + dt.timedelta(days=5))
    assert row.minutes_text and target.title in row.minutes_text
    assert any(t("enum.MinutesStatus.circulated") in m.value for m in at.markdown)


def test_each_party_signs_and_the_fourth_signature_locks_the_minutes(url: str) -> None:
    (target,) = [m for m in ga_meetings(url) if m.minutes_status == "circulated"]    # the demo's latest held
    admin = open_as(url, "admin", "zh", section="minutes", meeting=target.code)
    assert not [b for b in admin.button if b.key == "meetings_sign"]        # an admin signs for no party
    roles = ["social_worker", "government", "association", "platform"]
    signed_before = {r.party_id for r in query(url, sa.select(SIG.c.party_id).where(SIG.c.meeting_id == target.id))}
    codes = dict(query(url, sa.select(P.c.code, P.c.id).where(P.c.code.in_([PARTY[r] for r in roles]))))
    todo = [r for r in roles if codes[PARTY[r]] not in signed_before]
    assert todo, "every party has signed already in the demo: nothing to test"
    for i, role in enumerate(todo):
        at = open_as(url, role, "zh", section="minutes", meeting=target.code)
        (button,) = [b for b in at.button if b.key == "meetings_sign"]
        assert button.disabled                                    # not before saying the text was read
        (read,) = [c for c in at.checkbox if (c.key or "").startswith("meetings_sign_read_")]
        assert text_sha256(target.minutes_text)[:16] in read.label
        read.check().run()
        (button,) = [b for b in at.button if b.key == "meetings_sign"]
        assert not button.disabled
        button.click().run()
        assert not errors(at), errors(at)
        status = query(url, sa.select(M.c.minutes_status).where(M.c.id == target.id))[0][0]
        if i < len(todo) - 1:
            assert status == "circulated"
            assert not [b for b in at.button if b.key == "meetings_sign"]      # signed: no second button
        else:
            assert status == "locked"
            assert t("meetings.sign.locked") in [s.value for s in at.success]
    (row,) = query(url, sa.select(M).where(M.c.id == target.id))
    assert row.minutes_sha256 and row.locked_at is not None
    assert len(query(url, sa.select(SIG).where(SIG.c.meeting_id == target.id))) == 4


def test_locked_minutes_show_their_hash_and_take_an_addendum(url: str) -> None:
    target = next(m for m in ga_meetings(url) if m.minutes_status == "locked")
    at = open_as(url, "social_worker", "zh", section="minutes", meeting=target.code)
    assert any(target.minutes_sha256 in s.value for s in at.success)
    assert not at.get("form") or "meetings_circulate_until" not in at.session_state      # nothing to circulate
    assert not [b for b in at.button if b.key in ("meetings_sign", "meetings_reassemble")]
    at.text_area(key="meetings_addendum_text").input("更正：第 2 项的汇报方为社工站。")
    click(at, t("meetings.addenda.submit"))
    assert not errors(at), errors(at)
    addenda = table_of(MinutesAddendum)
    (added,) = query(url, sa.select(addenda).where(addenda.c.meeting_id == target.id))
    assert (added.no, added.text) == (1, "更正：第 2 项的汇报方为社工站。")
    (entry,) = query(url, sa.select(table_of(AuditLog)).order_by(table_of(AuditLog).c.id.desc()).limit(1))
    assert added.sha256 in (entry.after or "")
    assert any("更正：第 2 项的汇报方为社工站。" in m.value for m in at.markdown)
    (row,) = query(url, sa.select(M).where(M.c.id == target.id))
    assert (row.minutes_text, row.minutes_sha256) == (target.minutes_text, target.minutes_sha256)   # never changes


def test_reassembling_circulated_minutes_voids_the_signatures_so_far(url: str) -> None:
    (target,) = [m for m in ga_meetings(url) if m.minutes_status == "circulated"]
    signed = len(query(url, sa.select(SIG).where(SIG.c.meeting_id == target.id)))
    assert signed > 0, "the demo's circulated minutes have no signature to void"
    at = open_as(url, "social_worker", "zh", section="minutes", meeting=target.code)
    (button,) = [b for b in at.button if b.key == "meetings_reassemble"]
    button.click().run()
    assert not errors(at), errors(at)
    assert t("meetings.reassemble.done", n=signed) in [s.value for s in at.success]
    assert not query(url, sa.select(SIG).where(SIG.c.meeting_id == target.id))
    (row,) = query(url, sa.select(M).where(M.c.id == target.id))
    assert row.minutes_status == "circulated" and row.version > target.version


def test_the_pdf_is_built_on_a_click_then_offered(url: str) -> None:
    target = next(m for m in ga_meetings(url) if m.minutes_status == "locked")
    at = open_as(url, "government", "zh", section="minutes", meeting=target.code)
    keys = [d.proto.id for d in at.get("download_button")]
    assert len(keys) == 1                          # the .docx only, until the PDF is asked for
    click(at, t("meetings.build_pdf"))
    assert not errors(at), errors(at)
    assert len(at.get("download_button")) == 2
    assert not [b for b in at.button if b.key == "meetings_build_pdf"]
