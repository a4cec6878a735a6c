"""需求评估: the board's figures on hand-built data, the loop rules, and masking."""

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.privacy import mask_name, mask_phone
from dashboard.queries import Scope
from dashboard.queries import needs_board as nb
from dashboard.queries.sqlfuncs import median
from dashboard.services import needs as svc
from dashboard.services.errors import RuleError
from data_models import AuditLog, NeedAssessment, NeedEvent
from tests import factories as f

D = dt.date
TODAY = D(2025, 12, 1)


@pytest.fixture
def world(engine: Engine) -> dict[str, int]:
    """C1: a platform employee (P1, 30, rural, in the migrant-women group) and an independent operator (P2, 45).
    Q3 needs: N1 closed (feedback after 10 days), N2 open (skills), N3 open since Q2 (feedback after 20 days).
    C2 has nobody."""
    with engine.begin() as conn:
        c1 = f.community(conn, "C1")
        f.community(conn, "C2")
        p1 = f.practitioner(conn, c1, "P1", birth_year=1995, employment_type="platform_employee",
                            has_labour_contract=True)
        p2 = f.practitioner(conn, c1, "P2", birth_year=1980, employment_type="independent_operator",
                            hukou="urban", education="bachelor")
        f.insert(conn, "practitioner_group", practitioner_id=p1, group="migrant_women")
        f.need(conn, p1, c1, "N1", category="rights_protection", severity="high", status="closed",
               assessed_on=D(2025, 7, 2), responded_on=D(2025, 7, 5), feedback_on=D(2025, 7, 11),
               closed_on=D(2025, 7, 12), satisfaction=5)
        f.need(conn, p2, c1, "N2", identified_on=D(2025, 8, 1), status="assessed", assessed_on=D(2025, 8, 3))
        f.need(conn, p2, c1, "N3", identified_on=D(2025, 6, 1), quarter="2025Q2", status="feedback",
               assessed_on=D(2025, 6, 2), responded_on=D(2025, 6, 10), feedback_on=D(2025, 7, 1), satisfaction=3)
    return {"c1": c1, "p1": p1, "p2": p2}


def test_figures_for_a_quarter(engine: Engine, world: dict[str, int]) -> None:
    with Session(engine) as s:
        fig = nb.figures(s, scope=Scope(world["c1"], "2025Q3"))
    assert fig.practitioners == 2 and fig.rates["labour_contract"] == 0.5
    assert (fig.needs_open, fig.needs_closed) == (2, 1)
    assert fig.median_days_to_feedback == 20.0                  # feedback in Q3: N1 after 10 days, N3 after 30
    assert fig.satisfaction == 4.0


@pytest.mark.parametrize("scope", [Scope(1, "2024Q1"), Scope(2, "2025Q3")], ids=["empty quarter", "empty community"])
def test_empty_scopes(engine: Engine, world: dict[str, int], scope: Scope) -> None:
    with Session(engine) as s:
        fig = nb.figures(s, scope=scope)
        funnel = nb.funnel(s, scope=scope)
        rows, total = nb.backlog(s, scope=scope, today=TODAY)
        assert nb.heatmap(s, scope=scope, by="group").empty
    assert fig.median_days_to_feedback is None and fig.satisfaction is None and fig.needs_closed == 0
    assert funnel["count"].tolist() == [0, 0, 0, 0, 0] and funnel["median_days"].isna().all()
    assert total == 0 and rows.empty


def test_drill_narrows_every_figure(engine: Engine, world: dict[str, int]) -> None:
    scope = Scope(world["c1"], "2025Q3", ("group", "migrant_women"))
    with Session(engine) as s:
        fig = nb.figures(s, scope=scope)
        comp = nb.composition(s, scope=scope, dimension="employment_type")
        older = nb.figures(s, scope=Scope(world["c1"], "2025Q3", ("age_group", "36_45")))
    assert fig.practitioners == 1 and fig.needs_closed == 1 and fig.needs_open == 0
    assert comp.values.tolist() == [["platform_employee", 1]]
    assert older.practitioners == 1 and older.needs_open == 2


def test_composition_heatmap_trend(engine: Engine, world: dict[str, int]) -> None:
    scope = Scope(world["c1"], "2025Q3")
    with Session(engine) as s:
        ages = dict(nb.composition(s, scope=scope, dimension="age_group").values.tolist())
        groups = nb.composition(s, scope=scope, dimension="group").values.tolist()
        heat = {(a, b): c for a, b, c in nb.heatmap(s, scope=scope, by="employment_type").values.tolist()}
        trend = nb.severity_trend(s, scope=scope).values.tolist()
    assert ages == {"26_35": 1, "36_45": 1} and groups == [["migrant_women", 1]]
    assert heat == {("rights_protection", "platform_employee"): 1, ("skills_digital", "independent_operator"): 1}
    assert trend == [["2025Q2", "medium", 1], ["2025Q3", "high", 1], ["2025Q3", "medium", 1]]


def test_funnel_and_backlog(engine: Engine, world: dict[str, int]) -> None:
    scope = Scope(world["c1"], "2025Q3")
    with Session(engine) as s:
        funnel = nb.funnel(s, scope=scope)
        rows, total = nb.backlog(s, scope=scope, today=TODAY)
    # Q3 needs N1 (all stages: 1/4/10/11 days) and N2 (assessed after 2 days).
    assert funnel["count"].tolist() == [2, 2, 1, 1, 1]
    assert funnel["median_days"].tolist() == [0.0, 1.5, 4.0, 10.0, 11.0]
    assert total == 2 and rows["code"].tolist() == ["N3", "N2"]          # oldest first
    assert rows["days_open"].tolist() == [121, 60]                        # to 2025-09-30


@pytest.mark.parametrize(("values", "expected"), [([], None), ([7], 7.0), ([1, 9, 3], 3.0), ([4, 1, 3, 2], 2.5),
                                                  ([5, 5, 5, 1], 5.0)])
def test_median_in_sql(engine: Engine, values: list[int], expected: float | None) -> None:
    with engine.begin() as conn:
        c = f.community(conn)
        for i, v in enumerate(values):
            f.practitioner(conn, c, f"P{i}", birth_year=2000 - v)
    with Session(engine) as s:
        assert median(s, sa.select(2000 - f.T["practitioner"].c.birth_year)) == expected


def test_record_and_work_a_need_through_the_loop(engine: Engine, world: dict[str, int]) -> None:
    with Session(engine) as s:
        need = svc.record_need(s, practitioner_code="P1", category="rights_protection", severity="urgent",
                               description=" 平台罚款申诉 ", identified_on=D(2025, 11, 3), actor="李社工", today=TODAY)
        code = need.code
        assert code == "N20251103001" and need.quarter == "2025Q4" and need.description == "平台罚款申诉"
        for status, day in (("assessed", 4), ("responded", 10)):
            svc.advance_need(s, need_code=code, to_status=status, on=D(2025, 11, day), actor="李社工", today=TODAY)
        with pytest.raises(RuleError) as no_score:
            svc.advance_need(s, need_code=code, to_status="feedback", on=D(2025, 11, 20), actor="李社工", today=TODAY)
        assert no_score.value.key == "needs.satisfaction_required"
        svc.advance_need(s, need_code=code, to_status="feedback", on=D(2025, 11, 20), actor="王社工", today=TODAY,
                         satisfaction=4, note="已帮助申诉")
        svc.advance_need(s, need_code=code, to_status="closed", on=D(2025, 11, 21), actor="王社工", today=TODAY)
        s.commit()
        row = s.execute(sa.select(NeedAssessment).where(NeedAssessment.code == code)).scalar_one()
        assert (row.status, row.satisfaction, row.closed_on) == ("closed", 4, D(2025, 11, 21))
        events = s.execute(sa.select(NeedEvent.from_status, NeedEvent.to_status, NeedEvent.actor)
                           .where(NeedEvent.need_id == row.id).order_by(NeedEvent.id)).all()
        assert [tuple(e) for e in events] == [
            (None, "identified", "李社工"), ("identified", "assessed", "李社工"), ("assessed", "responded", "李社工"),
            ("responded", "feedback", "王社工"), ("feedback", "closed", "王社工")]
        assert all(at is not None for (at,) in s.execute(sa.select(NeedEvent.at)))
        audited = s.execute(sa.select(sa.func.count()).select_from(AuditLog)
                            .where(AuditLog.entity == "need_assessment", AuditLog.entity_id == code)).scalar_one()
        assert audited == 5
        with pytest.raises(RuleError) as done:
            svc.advance_need(s, need_code=code, to_status="closed", on=D(2025, 11, 22), actor="x", today=TODAY)
        assert done.value.key == "needs.already_closed"


@pytest.mark.parametrize(("fresh", "to", "on", "key"), [
    (False, "closed", D(2025, 8, 5), "needs.skip"),             # N2 is assessed: no closing without feedback
    (False, "feedback", D(2025, 8, 5), "needs.skip"),
    (True, "responded", D(2025, 8, 5), "needs.skip"),           # a new need must be assessed first
    (False, "responded", D(2025, 8, 2), "needs.before_previous"),   # N2 was assessed on 8/3
    (False, "responded", D(2026, 1, 1), "needs.future_date"),
])
def test_the_loop_cannot_be_cheated(engine: Engine, world: dict[str, int], fresh: bool, to: str, on: dt.date,
                                    key: str) -> None:
    with Session(engine) as s:
        code = "N2"
        if fresh:
            code = svc.record_need(s, practitioner_code="P2", category="family_care", severity="low", description="",
                                   identified_on=D(2025, 8, 1), actor="x", today=TODAY).code
        with pytest.raises(RuleError) as err:
            svc.advance_need(s, need_code=code, to_status=to, on=on, actor="x", today=TODAY, satisfaction=5)
    assert err.value.key == key


def test_recording_needs_a_known_practitioner_and_a_past_date(engine: Engine, world: dict[str, int]) -> None:
    with Session(engine) as s:
        with pytest.raises(RuleError) as unknown:
            svc.record_need(s, practitioner_code="P404", category="family_care", severity="low", description="",
                            identified_on=D(2025, 8, 1), actor="x", today=TODAY)
        assert unknown.value.key == "needs.unknown_practitioner"
        with pytest.raises(RuleError) as future:
            svc.record_need(s, practitioner_code="P1", category="family_care", severity="low", description="",
                            identified_on=D(2026, 1, 1), actor="x", today=TODAY)
        assert future.value.key == "needs.future_date"


@pytest.mark.parametrize(("name", "masked"), [("张晓华", "张*华"), ("王芳", "王*"), ("欧阳娜娜", "欧**娜"), ("李", "*"),
                                              ("", ""), (None, "")])
def test_mask_name(name: str | None, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(("phone", "masked"), [("13812341234", "138****1234"), ("123", "***"), (None, "")])
def test_mask_phone(phone: str | None, masked: str) -> None:
    assert mask_phone(phone) == masked
