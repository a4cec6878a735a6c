"""季度汇报 publishing (dashboard/services/report.py, dashboard/queries/report_versions.py, dashboard/report/diff.py):
version 1 frozen as shown, a restatement with its reason and table of changed figures, refusals (no reason, nothing
changed, someone published meanwhile, a role without the right, a quarter not ended), the parties' confirmations and
how a restatement starts them over, and the audit chain; on SQLite and PostgreSQL, with a hand-built ReportData."""

import dataclasses
import datetime as dt
import json
import re
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import audit, presenters_audit
from dashboard.accounts import Principal
from dashboard.i18n import STRINGS, set_language, t
from dashboard.queries import audit_log
from dashboard.queries import report_versions as rv
from dashboard.report.diff import FigureChange, changes_from_json, changes_to_json, diff
from dashboard.report.types import AreaReport, Chart, Figure, Point, ReportData, ReportMeta, from_json, to_json
from dashboard.services import report as svc
from dashboard.services.errors import RuleError
from data_models.enums import Role
from tests import factories as f

D = dt.date
TODAY = D(2026, 7, 2)                                       # 2026Q2 ended on 30 June
CUT_OFF = dt.datetime(2026, 7, 2, 1, 0, tzinfo=dt.UTC)      # 09:00 in Shanghai
NOW = dt.datetime(2026, 7, 2, 2, 0, tzinfo=dt.UTC)          # 10:00 in Shanghai
LATER = NOW + dt.timedelta(minutes=30)
NARRATIVE = {"zh": {"needs": "本季度共识别需求 120 件。", "requests": "本季度共收集诉求 48 件。"},
             "en": {"needs": "120 needs were identified this quarter.", "requests": "48 requests were collected."}}
CJK = re.compile(r"[\u3400-\u9fff]")


def pt(code: str, zh: str, en: str, value: Any, previous: Any = None) -> Point:
    return Point(code, {"zh": zh, "en": en}, value, previous)


def sample(community_id: int | None, *, quarter: str = "2026Q2", cut_off: dt.datetime = CUT_OFF) -> ReportData:
    """Five areas, each kind of figure, a chart per area; the values small enough to read in an assertion."""
    def area(name: str, figures: list[Figure], chart: Chart) -> AreaReport:
        return AreaReport(name, figures, chart)  # type: ignore[arg-type]

    return ReportData(
        community_id=community_id, community_code=None if community_id is None else "C1",
        community_names={"zh": "社区C1", "en": "Community C1"}, quarter=quarter, previous_quarter="2026Q1",
        year_ago_quarter="2025Q2", cut_off=cut_off,
        areas=[
            area("needs", [Figure("needs_total", "count", 120, 100, 90, people=True),
                           Figure("needs_closed_rate", "rate", 0.5, 0.4, None, base=120, previous_base=100,
                                  people=True)],
                 Chart("needs_by_category", "count", [pt("skills", "技能与数字鸿沟", "Skills", 70, 60),
                                                      pt("rights", "权益保障", "Rights", 50, 40)],
                       total="needs_total", people=True)),
            area("training", [Figure("training_enrolled", "count", 80, 75, 60, people=True),
                              Figure("training_completion_rate", "rate", 0.625, 0.6, 0.55, base=80,
                                     previous_base=75, year_ago_base=60, people=True)],
                 Chart("training_by_level", "count", [pt("basic", "初级", "Basic", 50), pt("mid", "中级", "Mid", 30)],
                       total="training_enrolled", people=True)),
            area("cooperative", [Figure("coop_revenue", "money", 1_234_567, 1_000_000, None),
                                 Figure("coop_public_fund", "money", 12_345, 10_000, None)],
                 Chart("coop_by_cooperative", "money", [pt("COOP1", "合作社一", "Coop 1", 1_234_567)])),
            area("requests", [Figure("requests_total", "count", 48, 40, 30),
                              Figure("requests_days_to_close", "days", 6.5, 7.0, None)],
                 Chart("requests_by_category", "count", [pt("housing", "住房", "Housing", 20),
                                                         pt("traffic", "交通", "Traffic", 28)],
                       total="requests_total")),
            area("meetings", [Figure("meetings_held", "count", 3, 3, 2),
                              Figure("meetings_actions_done_rate", "rate", None, 0.5, None, base=0)],
                 Chart("meetings_actions_by_party", "count", [])),
        ])


def changed(data: ReportData) -> ReportData:
    """The same quarter after late data: two counts, a rate, an amount, a chart point, a category added, one gone."""
    def fig(a: AreaReport, key: str, **kw: Any) -> list[Figure]:
        return [dataclasses.replace(x, **kw) if x.key == key else x for x in a.figures]

    needs, training, coop, requests, meetings = data.areas
    return dataclasses.replace(data, cut_off=CUT_OFF + dt.timedelta(days=3), areas=[
        dataclasses.replace(needs, figures=fig(needs, "needs_total", value=125),
                            chart=dataclasses.replace(needs.chart, points=[
                                pt("skills", "技能与数字鸿沟", "Skills", 75, 60),
                                pt("rights", "权益保障", "Rights", 50, 40)])),
        dataclasses.replace(training, figures=fig(training, "training_completion_rate", value=0.65)),
        dataclasses.replace(coop, figures=fig(coop, "coop_revenue", value=1_234_000)),
        dataclasses.replace(requests, chart=dataclasses.replace(requests.chart, points=[
            pt("traffic", "交通", "Traffic", 28), pt("noise", "噪音", "Noise", 5)])),
        dataclasses.replace(meetings, figures=fig(meetings, "meetings_actions_done_rate", value=0.75)),
    ])


@pytest.fixture
def town(engine: Engine) -> dict[str, Any]:
    """Community C1 with its parties and C2; an account per role (the social worker with a display name)."""
    with engine.begin() as conn:
        c1 = f.community(conn, "C1")
        c2 = f.community(conn, "C2")
        p = {k: f.party(conn, c1, f"C1-{k}", kind) for k, kind in
             [("GOV", "government"), ("PLT", "platform"), ("ASN", "association"), ("SW", "social_work")]}
        p["C2GOV"] = f.party(conn, c2, "C2-GOV", "government")
        for username, name, role in [("sw", "社工小王", "social_worker"), ("gov", "李主任", "government"),
                                     ("plt", "", "platform")]:
            f.insert(conn, "user", username=username, display_name=name, role=role, is_active=True,
                     created_at=NOW)
    who = {
        "sw": Principal("sw", Role.social_worker, "社工小王", party_id=p["SW"], community_id=c1),
        "sw_free": Principal("sw2", Role.social_worker),
        "gov": Principal("gov", Role.government, "李主任", party_id=p["GOV"], community_id=c1),
        "gov2": Principal("gov2", Role.government, party_id=p["GOV"], community_id=c1),
        "plt": Principal("plt", Role.platform, party_id=p["PLT"], community_id=c1),
        "asn": Principal("asn", Role.association, party_id=p["ASN"], community_id=c1),
        "c2gov": Principal("c2gov", Role.government, party_id=p["C2GOV"], community_id=c2),
        "viewer": Principal("viewer", Role.viewer),
        "coop": Principal("coop", Role.cooperative_manager),
        "admin": Principal("root", Role.admin),
        "admin_gov": Principal("root2", Role.admin, party_id=p["GOV"]),
    }
    return {"engine": engine, "c1": c1, "c2": c2, "p": p, "who": who}


def publish(town: dict[str, Any], data: ReportData, *, expected: int, actor: str = "sw", reason: str = "",
            narrative: dict[str, dict[str, str]] | None = None, now: dt.datetime = NOW,
            today: dt.date = TODAY) -> rv.Published:
    with Session(town["engine"]) as s:
        out = svc.publish(s, data=data, narrative=NARRATIVE if narrative is None else narrative,
                          actor=town["who"][actor], expected_version=expected, reason=reason, today=today, now=now)
        s.commit()
        return out


def confirm(town: dict[str, Any], version_id: int, actor: str, note: str = "", now: dt.datetime = LATER) -> None:
    with Session(town["engine"]) as s:
        svc.confirm(s, version_id=version_id, actor=town["who"][actor], note=note, now=now)
        s.commit()


def refused(key: str, fn: Any, *args: Any, **kw: Any) -> RuleError:
    with pytest.raises(RuleError) as caught:
        fn(*args, **kw)
    assert caught.value.key == key, caught.value.key
    return caught.value


def read(town: dict[str, Any], fn: Any, **kw: Any) -> Any:
    with Session(town["engine"]) as s:
        return fn(s, **kw)


def audit_rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(sa.select(audit.TABLE).order_by(audit.TABLE.c.id)).all()


def chain_ok(engine: Engine) -> None:
    with engine.connect() as conn:
        verdict = audit.verify(conn)
        assert verdict.ok, verdict
        assert svc.verify_versions(conn) == []


# --- publishing and restating --------------------------------------------------------------------------------------

def test_version_1_freezes_the_figures_and_narrative_as_shown(town: dict[str, Any]) -> None:
    data = sample(town["c1"])
    v1 = publish(town, data, expected=0, narrative={"zh": {"needs": "  本季度共识别需求 120 件。 "}})
    assert (v1.version, v1.community_id, v1.quarter, v1.reason, v1.changes, v1.confirmations) == \
        (1, town["c1"], "2026Q2", "", [], [])
    assert (v1.published_by, v1.published_by_name, v1.published_at, v1.cut_off_at) == ("sw", "社工小王", NOW, CUT_OFF)
    assert v1.data == data and to_json(v1.data) == to_json(data)
    assert v1.narrative == {"zh": {"needs": "本季度共识别需求 120 件。"}, "en": {}}
    with town["engine"].connect() as conn:
        row = conn.execute(sa.select(rv.V)).one()
    assert row.scope_key == f"c{town['c1']}" and from_json(row.snapshot) == data
    assert row.sha256 == svc.version_sha256(row.snapshot, row.narrative)
    assert read(town, rv.latest, community_id=town["c1"], quarter="2026Q2") == v1
    assert read(town, rv.latest, community_id=town["c1"], quarter="2026Q1") is None
    assert read(town, rv.latest, community_id=None, quarter="2026Q2") is None
    assert rv.meta(v1) == ReportMeta(version=1, cut_off=CUT_OFF, published_at=NOW, published_by="社工小王",
                                     restated=False)
    entry = audit_rows(town["engine"])[-1]
    assert (entry.action, entry.entity, entry.entity_id, entry.actor) == \
        ("publish", "report_version", f"c{town['c1']}/2026Q2/v1", "sw")
    assert json.loads(entry.after)["snapshot_sha256"] == row.sha256 and entry.before is None
    chain_ok(town["engine"])


def test_a_restatement_is_version_2_with_its_reason_and_every_changed_figure(town: dict[str, Any]) -> None:
    c1 = town["c1"]
    v1 = publish(town, sample(c1), expected=0)
    new = changed(sample(c1))
    v2 = publish(town, new, expected=1, reason="  补录了 6 月底的需求和培训结业记录  ", now=LATER)
    assert (v2.version, v2.reason, v2.restated, v2.data) == (2, "补录了 6 月底的需求和培训结业记录", True, new)
    got = [(c.key, c.area, c.label_key, c.kind, c.old, c.new, c.difference, c.names.get("zh")) for c in v2.changes]
    assert got == [
        ("needs.needs_total", "needs", "report.fig.needs_total", "count", 120, 125, 5, None),
        ("needs.needs_by_category.skills", "needs", "report.chart.needs_by_category", "count", 70, 75, 5,
         "技能与数字鸿沟"),
        ("training.training_completion_rate", "training", "report.fig.training_completion_rate", "rate", 0.625,
         0.65, pytest.approx(0.025), None),
        ("cooperative.coop_revenue", "cooperative", "report.fig.coop_revenue", "money", 1_234_567, 1_234_000, -567,
         None),
        ("requests.requests_by_category.noise", "requests", "report.chart.requests_by_category", "count", None, 5,
         None, "噪音"),
        ("requests.requests_by_category.housing", "requests", "report.chart.requests_by_category", "count", 20,
         None, None, "住房"),
        ("meetings.meetings_actions_done_rate", "meetings", "report.fig.meetings_actions_done_rate", "rate", None,
         0.75, None, None),
    ]
    assert isinstance(v2.changes[3].difference, int)          # money stays in whole cents
    assert v2.changes == diff(sample(c1), new)
    assert [p.version for p in read(town, rv.history, community_id=c1, quarter="2026Q2")] == [2, 1]
    assert read(town, rv.latest, community_id=c1, quarter="2026Q2") == v2
    assert read(town, rv.history, community_id=c1, quarter="2026Q2")[1] == v1
    assert rv.meta(v2).restated and rv.meta(v2).version == 2
    entry = audit_rows(town["engine"])[-1]
    assert (entry.action, entry.entity_id) == ("restate", f"c{c1}/2026Q2/v2")
    after = json.loads(entry.after)
    assert (after["changed_figures"], after["narrative_changed"], after["reason"]) == \
        (7, False, "补录了 6 月底的需求和培训结业记录")
    assert json.loads(entry.before) == {"version": 1, "snapshot_sha256": v1.sha256}
    chain_ok(town["engine"])


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_a_restatement_without_a_reason_is_refused(town: dict[str, Any], reason: str) -> None:
    publish(town, sample(town["c1"]), expected=0)
    error = refused("report.pub.reason_required", publish, town, changed(sample(town["c1"])), expected=1,
                    reason=reason)
    assert "第 1 版" in error.message()
    refused("report.pub.reason_too_long", publish, town, changed(sample(town["c1"])), expected=1, reason="因" * 1001)
    assert len(read(town, rv.history, community_id=town["c1"], quarter="2026Q2")) == 1


def test_nothing_changed_is_no_restatement_but_a_narrative_change_is(town: dict[str, Any]) -> None:
    c1 = town["c1"]
    publish(town, sample(c1), expected=0)
    later = dataclasses.replace(sample(c1), cut_off=CUT_OFF + dt.timedelta(days=1))     # read again, same figures
    refused("report.pub.nothing_changed", publish, town, later, expected=1, reason="重新读取")
    reworded = {"zh": {**NARRATIVE["zh"], "needs": "本季度共识别需求 120 件，以技能类为主。"}, "en": NARRATIVE["en"]}
    v2 = publish(town, later, expected=1, reason="补充说明需求结构", narrative=reworded)
    assert v2.changes == [] and v2.narrative["zh"]["needs"].endswith("以技能类为主。")
    assert json.loads(audit_rows(town["engine"])[-1].after)["narrative_changed"] is True


def test_a_late_entry_in_the_quarter_before_is_a_restatement(town: dict[str, Any]) -> None:
    """Only the quarter before changed (a need back-dated into it): every 环比 the version shows is out of date, so
    the restatement is taken, and its table says which side changed."""
    c1 = town["c1"]
    publish(town, sample(c1), expected=0)
    base = sample(c1)
    needs = base.areas[0]
    late = dataclasses.replace(base, cut_off=CUT_OFF + dt.timedelta(days=1), areas=[
        dataclasses.replace(needs, figures=[dataclasses.replace(needs.figures[0], previous=101),
                                            dataclasses.replace(needs.figures[1], previous_base=101)],
                            chart=dataclasses.replace(needs.chart, points=[
                                pt("skills", "技能与数字鸿沟", "Skills", 70, 61), needs.chart.points[1]])),
        *base.areas[1:]])
    v2 = publish(town, late, expected=1, reason="补录了 3 月底识别的需求", now=LATER)
    assert [(c.key, c.which, c.old, c.new, c.difference) for c in v2.changes] == [
        ("needs.needs_total", "previous", 100, 101, 1),
        ("needs.needs_closed_rate", "previous_base", 100, 101, 1),
        ("needs.needs_by_category.skills", "previous", 60, 61, 1)]
    assert json.loads(audit_rows(town["engine"])[-1].after)["changed_figures"] == 3


def test_someone_published_meanwhile_is_refused_with_who_and_when(town: dict[str, Any]) -> None:
    c1 = town["c1"]
    publish(town, sample(c1), expected=0)
    error = refused("report.pub.stale", publish, town, sample(c1), expected=0, actor="sw_free", now=LATER)
    assert error.message() == ("第 1 版已由 社工小王 于 10:00 发布，你看到的不是最新的一版，这次没有发布。"
                               "请先查看第 1 版，再决定是否修订。")
    set_language("en")
    error = refused("report.pub.stale", publish, town, sample(c1), expected=0, actor="sw_free", now=LATER)
    assert error.message().startswith("Version 1 was published by 社工小王 at 10:00")
    set_language("zh")
    # Seen the next day, the time carries its date.
    error = refused("report.pub.stale", publish, town, changed(sample(c1)), expected=2, reason="x",
                    now=NOW + dt.timedelta(days=1))
    assert "2026-07-02 10:00" in error.message()
    refused("report.pub.none_yet", publish, town, sample(c1, quarter="2026Q1", cut_off=CUT_OFF), expected=1)
    assert len(read(town, rv.history, community_id=c1, quarter="2026Q2")) == 1


@pytest.mark.parametrize(("role", "may"), [("sw", True), ("sw_free", True), ("admin", True), ("gov", False),
                                           ("plt", False), ("asn", False), ("viewer", False), ("coop", False)])
def test_only_social_workers_and_admins_publish(town: dict[str, Any], role: str, may: bool) -> None:
    if may:
        assert publish(town, sample(town["c1"]), expected=0, actor=role).published_by == town["who"][role].username
    else:
        refused("access.denied_action", publish, town, sample(town["c1"]), expected=0, actor=role)
        assert read(town, rv.latest, community_id=town["c1"], quarter="2026Q2") is None


def test_an_account_of_one_community_publishes_that_community_only(town: dict[str, Any]) -> None:
    refused("report.pub.other_community", publish, town, sample(town["c2"]), expected=0)
    refused("report.pub.other_community", publish, town, sample(None), expected=0)
    everyone = publish(town, sample(None), expected=0, actor="sw_free")
    assert everyone.community_id is None and read(town, rv.published_quarters, community_id=None) == ["2026Q2"]
    refused("report.pub.unknown_community", publish, town, sample(999), expected=0, actor="admin")


def test_a_quarter_not_ended_or_figures_read_before_its_end_are_refused(town: dict[str, Any]) -> None:
    c1 = town["c1"]
    running = sample(c1, quarter="2026Q3", cut_off=CUT_OFF)
    error = refused("report.pub.quarter_not_ended", publish, town, running, expected=0)
    assert "2026-09-30" in error.message()
    early = sample(c1, cut_off=dt.datetime(2026, 6, 30, 15, 59, tzinfo=dt.UTC))     # 23:59 on 30 June in Shanghai
    refused("report.pub.cut_off_in_quarter", publish, town, early, expected=0)
    on_the_hour = sample(c1, cut_off=dt.datetime(2026, 6, 30, 16, 0, tzinfo=dt.UTC))   # 00:00 on 1 July
    assert publish(town, on_the_hour, expected=0).version == 1
    refused("report.pub.bad_quarter", publish, town, sample(c1, quarter="2026-Q2"), expected=0)


def test_suppressed_figures_are_never_published(town: dict[str, Any]) -> None:
    data = sample(town["c1"])
    needs = data.areas[0]
    hidden = dataclasses.replace(data, areas=[dataclasses.replace(needs, figures=[
        dataclasses.replace(needs.figures[0], value=None, hidden=("value",)), *needs.figures[1:]]), *data.areas[1:]])
    refused("report.pub.suppressed", publish, town, hidden, expected=0)
    error = refused("report.pub.narrative_unknown", publish, town, data, expected=0, narrative={"fr": {}})
    assert "fr" in error.message()
    refused("report.pub.narrative_too_long", publish, town, data, expected=0, narrative={"zh": {"needs": "字" * 4001}})


def test_published_quarters_newest_first(town: dict[str, Any]) -> None:
    c1 = town["c1"]
    publish(town, sample(c1, quarter="2026Q1", cut_off=CUT_OFF), expected=0)
    publish(town, sample(c1), expected=0)
    publish(town, changed(sample(c1)), expected=1, reason="补录")
    assert read(town, rv.published_quarters, community_id=c1) == ["2026Q2", "2026Q1"]
    assert read(town, rv.published_quarters, community_id=town["c2"]) == []


# --- confirming ------------------------------------------------------------------------------------------------------

def test_each_party_gives_its_word_once_on_the_version_that_stands(town: dict[str, Any]) -> None:
    c1 = town["c1"]
    v1 = publish(town, sample(c1), expected=0)
    confirm(town, v1.id, "gov", note="同意")
    confirm(town, v1.id, "plt")
    confirm(town, v1.id, "asn")
    got = read(town, rv.latest, community_id=c1, quarter="2026Q2").confirmations
    assert sorted((c.party_kind, c.decision, c.by, c.by_name, c.note) for c in got) == [
        ("association", "confirmed", "asn", "asn", ""), ("government", "accepted", "gov", "李主任", "同意"),
        ("platform", "confirmed", "plt", "plt", "")]
    assert {c.at for c in got} == {LATER}
    error = refused("report.pub.already", confirm, town, v1.id, "gov2")
    assert error.message() == "政府已由 李主任 于 10:30 认可第 1 版，不能重复认可。"
    set_language("en")              # the message is worded in the language of whoever is refused
    error = refused("report.pub.already", confirm, town, v1.id, "gov2")
    assert error.message() == "Government: 李主任 already accepted version 1 at 10:30; it cannot be accepted twice."
    set_language("zh")
    actions = [(r.action, r.entity, r.entity_id) for r in audit_rows(town["engine"])][-3:]
    assert actions == [(a, "report_confirmation", f"c{c1}/2026Q2/v1") for a in ("accept", "confirm", "confirm")]
    chain_ok(town["engine"])


def test_a_restatement_starts_the_confirmations_over(town: dict[str, Any]) -> None:
    c1 = town["c1"]
    v1 = publish(town, sample(c1), expected=0)
    confirm(town, v1.id, "gov")
    confirm(town, v1.id, "plt")
    v2 = publish(town, changed(sample(c1)), expected=1, reason="补录", now=LATER)
    assert v2.confirmations == []
    old = read(town, rv.history, community_id=c1, quarter="2026Q2")[1]
    assert {c.party_kind for c in old.confirmations} == {"government", "platform"}     # kept on record
    error = refused("report.pub.not_latest", confirm, town, v1.id, "asn")
    assert "第 2 版" in error.message()
    confirm(town, v2.id, "gov")
    assert [c.party_kind for c in read(town, rv.latest, community_id=c1, quarter="2026Q2").confirmations] == \
        ["government"]
    chain_ok(town["engine"])


@pytest.mark.parametrize(("role", "key"), [("sw", "access.denied_action"), ("viewer", "access.denied_action"),
                                           ("coop", "access.denied_action"), ("admin", "report.pub.no_party"),
                                           ("c2gov", "report.pub.other_community")])
def test_who_may_not_confirm(town: dict[str, Any], role: str, key: str) -> None:
    v1 = publish(town, sample(town["c1"]), expected=0)
    refused(key, confirm, town, v1.id, role)
    assert read(town, rv.latest, community_id=town["c1"], quarter="2026Q2").confirmations == []


def test_an_admin_of_a_party_speaks_for_it_and_notes_are_bounded(town: dict[str, Any]) -> None:
    v1 = publish(town, sample(town["c1"]), expected=0)
    refused("report.pub.note_too_long", confirm, town, v1.id, "gov", note="注" * 501)
    refused("report.pub.unknown_version", confirm, town, v1.id + 100, "gov")
    confirm(town, v1.id, "admin_gov")
    [given] = read(town, rv.latest, community_id=town["c1"], quarter="2026Q2").confirmations
    assert (given.party_kind, given.decision, given.by) == ("government", "accepted", "root2")


# --- the record --------------------------------------------------------------------------------------------------

def test_a_version_edited_in_the_database_is_found(town: dict[str, Any]) -> None:
    c1 = town["c1"]
    publish(town, sample(c1), expected=0)
    publish(town, changed(sample(c1)), expected=1, reason="补录")
    chain_ok(town["engine"])
    tampered = to_json(dataclasses.replace(sample(c1), community_names={"zh": "改过", "en": "x"}))
    with town["engine"].begin() as conn:
        conn.execute(rv.V.update().where(rv.V.c.version == 1).values(snapshot=tampered))
    with town["engine"].connect() as conn:
        assert svc.verify_versions(conn) == [f"c{c1}/2026Q2/v1"]
        assert audit.verify(conn).ok              # the chain itself is intact: the version is what changed
    with town["engine"].begin() as conn:         # a consistent rewrite of row and hash does not escape either
        conn.execute(rv.V.update().where(rv.V.c.version == 1)
                     .values(sha256=svc.version_sha256(tampered, conn.execute(
                         sa.select(rv.V.c.narrative).where(rv.V.c.version == 1)).scalar_one())))
        conn.execute(rv.V.delete().where(rv.V.c.version == 2))
    with town["engine"].connect() as conn:
        assert svc.verify_versions(conn) == [f"c{c1}/2026Q2/v1", f"c{c1}/2026Q2/v2"]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_audit_page_words_every_report_entry(town: dict[str, Any], language: str) -> None:
    c1 = town["c1"]
    v1 = publish(town, sample(c1), expected=0)
    confirm(town, v1.id, "gov", note="同意")
    publish(town, changed(sample(c1)), expected=1, reason="补录", now=LATER)
    set_language(language)
    with Session(town["engine"]) as s:
        log, _ = audit_log.entries(s, filters=audit_log.AuditFilter())
    shown = presenters_audit.audit_table(log)
    labels = STRINGS[language]
    for raw in [*log["before"].tolist(), *log["after"].tolist()]:
        for field in json.loads(raw if isinstance(raw, str) else "{}"):
            assert f"audit.field.{field}" in labels, field
    for action in ("publish", "restate", "accept"):
        assert f"audit.act.{action}" in labels
    entity = set(shown[t("audit.col_entity")])
    assert entity == ({"季度汇报版本", "季度汇报确认"} if language == "zh"
                      else {"Quarterly report versions", "Quarterly report confirmations"})
    after = " ".join(shown[t("audit.col_after")])
    assert "{" not in after
    if language == "zh":
        assert "数据截止时间：2026-07-02 09:00" in after and "参与方：政府；意见：认可" in after
    else:
        assert "Data as of: 2026-07-02 09:00" in after and "Party: Government; Decision: accepted" in after
        assert not CJK.search(" ".join(shown[t("audit.col_entity")]))


# --- the diff as a plain function --------------------------------------------------------------------------------

def _one(area: str, figures: list[Figure], points: list[Point] | None = None) -> ReportData:
    base = sample(1)
    return dataclasses.replace(base, areas=[AreaReport(area, figures, Chart("c", "count", points or []))])  # type: ignore[arg-type]


@pytest.mark.parametrize(("old", "new", "expected"), [
    (Figure("a", "count", 3), Figure("a", "count", 3), []),
    (Figure("a", "count", 3), Figure("a", "count", 3.0), []),
    (Figure("a", "count", None), Figure("a", "count", None), []),
    (Figure("a", "count", 3), Figure("a", "count", 0), [("x.a", 3, 0, -3)]),
    (Figure("a", "count", None), Figure("a", "count", 4), [("x.a", None, 4, None)]),
    (Figure("a", "count", 4), Figure("a", "count", None), [("x.a", 4, None, None)]),
    (Figure("a", "days", 4.5), Figure("a", "days", 4), [("x.a", 4.5, 4, -0.5)]),
    # the quarter before and a year ago are shown beside it (环比, 同比): a late entry there is a change too
    (Figure("a", "count", 3, previous=2), Figure("a", "count", 3, previous=1), [("x.a", 2, 1, -1, "previous")]),
    (Figure("a", "count", 3, year_ago=None), Figure("a", "count", 3, year_ago=4), [("x.a", None, 4, None, "year_ago")]),
])
def test_diff_is_none_aware(old: Figure, new: Figure, expected: list[tuple[Any, ...]]) -> None:
    got = diff(_one("x", [old]), _one("x", [new]))
    assert [(c.key, c.old, c.new, c.difference, c.which) for c in got] == [(*e, "value")[:5] for e in expected]


def test_a_late_entry_in_an_earlier_quarter_is_named_with_its_side() -> None:
    """A back-dated entry in the quarter before changes the 环比 the published report shows, and a year-ago one its
    同比: each value and each rate's base that differs is a row, saying which quarter (and whether the base)."""
    names = {"zh": "住房", "en": "Housing"}
    old = _one("x", [Figure("a", "count", 30, previous=20, year_ago=10),
                     Figure("r", "rate", 0.5, 0.4, 0.3, base=10, previous_base=10, year_ago_base=10)],
               [Point("p", names, 5, 4, 3), Point("q", names, 5, None, None)])
    new = _one("x", [Figure("a", "count", 30, previous=21, year_ago=10),
                     Figure("r", "rate", 0.5, 0.45, 0.3, base=10, previous_base=11, year_ago_base=12)],
               [Point("p", names, 5, 5, 3), Point("q", names, 5, None, None),
                # a category with nothing in the versions before but a late entry a quarter back: no "0" rows
                Point("n", names, 0, 2, 0)])
    got = [(c.key, c.which, c.kind, c.old, c.new, c.difference) for c in diff(old, new)]
    assert got == [
        ("x.a", "previous", "count", 20, 21, 1),
        ("x.r", "previous", "rate", 0.4, 0.45, pytest.approx(0.05)),
        ("x.r", "previous_base", "count", 10, 11, 1),           # a base is a count of its own
        ("x.r", "year_ago_base", "count", 10, 12, 2),
        ("x.c.p", "previous", "count", 4, 5, 1),
        ("x.c.n", "previous", "count", None, 2, None),
    ]
    assert all(c.label_key == "report.fig.r" for c in diff(old, new) if c.key == "x.r")
    # a category gone: only its sides that were not none or 0
    assert [(c.key, c.which, c.old, c.new) for c in diff(new, old) if c.key == "x.c.n"] == \
        [("x.c.n", "previous", 2, None)]


def test_changes_stored_before_the_side_was_named_read_as_this_quarters() -> None:
    stored = changes_to_json([FigureChange("x.a", "x", "report.fig.a", "count", 1, 2, 1, which="previous")])
    assert changes_from_json(stored)[0].which == "previous"
    old = [{k: v for k, v in row.items() if k != "which"} for row in json.loads(stored)]
    assert changes_from_json(json.dumps(old)) == [FigureChange("x.a", "x", "report.fig.a", "count", 1, 2, 1)]
    assert changes_from_json(json.dumps(old))[0].which == "value"


def test_diff_follows_the_area_order_then_the_figures_order() -> None:
    old = dataclasses.replace(sample(1), areas=list(reversed(sample(1).areas)))
    new = changed(sample(1))
    assert [c.area for c in diff(old, new)] == ["needs", "needs", "training", "cooperative", "requests", "requests",
                                                "meetings"]
    a = _one("x", [Figure("b", "count", 1), Figure("a", "count", 1)])
    b = _one("x", [Figure("b", "count", 2), Figure("a", "count", 2), Figure("c", "count", 0)])
    assert [c.key for c in diff(a, b)] == ["x.b", "x.a", "x.c"]
    assert diff(b, a)[-1] == FigureChange("x.c", "x", "report.fig.c", "count", 0, None, None)
