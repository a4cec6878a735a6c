"""Issue 12 item 11: a typed code finds the stored one regardless of case and width where that is unambiguous,
and an unknown code is told the closest stored one; in the import engine and in the needs form."""

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import codes
from dashboard.excel import importer
from dashboard.services import needs as needs_svc
from dashboard.services.errors import RuleError
from tests import factories as f

HEADER = "从业者编号,社区编号,姓名,性别,出生年份,学历,户籍,就业形态,职业,日工作时长（小时）,登记日期\n"
ROW = "{code},{community},王芳,女,1990,初中,农业户口,灵活从业者,主播,9,2025/3/1\n"


def practitioners_csv(*rows: tuple[str, str]) -> bytes:
    return (HEADER + "".join(ROW.format(code=c, community=k) for c, k in rows)).encode("utf-8")


@pytest.fixture
def communities(engine: Engine) -> dict[str, int]:
    with engine.begin() as conn:
        return {code: f.community(conn, code) for code in ("GA", "SQC", "QYZ")}


def test_community_codes_match_regardless_of_case_and_width(engine: Engine, communities: dict[str, int]) -> None:
    data = practitioners_csv(("P1", "ga"), ("P2", "ＧＡ"), ("P3", "ｓｑｃ"), ("P4", " Qyz "), ("P5", "GA"))
    result = importer.import_file(engine, "practitioners", data, "名单.csv", actor="test")
    assert result.status == "committed", result.errors
    p = f.T["practitioner"]
    with engine.connect() as conn:
        stored = dict(conn.execute(sa.select(p.c.code, p.c.community_id)).all())
    assert stored == {"P1": communities["GA"], "P2": communities["GA"], "P3": communities["SQC"],
                      "P4": communities["QYZ"], "P5": communities["GA"]}


def test_an_unknown_code_is_told_the_close_match(engine: Engine, communities: dict[str, int]) -> None:
    result = importer.import_file(engine, "practitioners", practitioners_csv(("P1", "GB"), ("P2", "ZZZ999")),
                                  "名单.csv", actor="test", dry_run=True)
    assert result.status == "rejected"
    messages = {e.value: e.message for e in result.errors}
    assert messages["GB"] == "社区编号「GB」不存在，是不是「GA」？"
    assert messages["ZZZ999"] == "社区编号「ZZZ999」不存在，请先导入社区。"      # nothing like it: the old advice


def test_codes_that_differ_only_in_case_are_not_guessed(engine: Engine) -> None:
    with engine.begin() as conn:
        f.community(conn, "GA")
        f.community(conn, "Ga")
    result = importer.import_file(engine, "practitioners", practitioners_csv(("P1", "ga"), ("P2", "Ga")),
                                  "名单.csv", actor="test", dry_run=True)
    assert [(e.value, e.message) for e in result.errors] == [
        ("ga", "社区编号「ga」不区分大小写时对应多个：GA、Ga，请按原样填写大小写。")]      # "Ga" itself is exact


def test_hints_are_bounded_and_read_only_neighbours(engine: Engine) -> None:
    with engine.begin() as conn:
        c = f.community(conn, "GA")
        for i in range(1, 60):
            f.practitioner(conn, c, f"P{i:05d}")
        table = f.T["practitioner"]
        typed = [f"P{i:04d}" for i in range(1, 30)]          # a zero missing in each
        found = codes.lookup(conn, table, typed, [table.c.id])
    assert not found.found and not found.ambiguous
    assert len(found.close) == codes.HINTED
    assert found.close["P0001"] == "P00001"       # as near as P00010 (one digit left out either way): the lower


def test_the_needs_form_finds_a_practitioner_regardless_of_case_and_width(engine: Engine) -> None:
    with engine.begin() as conn:
        c = f.community(conn, "GA")
        pid = f.practitioner(conn, c, "P00001")
    today = dt.date(2025, 12, 1)
    with Session(engine) as s:
        for typed in ("p00001", "Ｐ００００１", " P00001 "):
            need = needs_svc.record_need(s, practitioner_code=typed, category="skills_digital", severity="medium",
                                         description="", identified_on=today, actor="sw", today=today)
            assert need.practitioner_id == pid
        with pytest.raises(RuleError) as err:
            needs_svc.record_need(s, practitioner_code="P0001", category="skills_digital", severity="medium",
                                  description="", identified_on=today, actor="sw", today=today)
        assert err.value.message() == "找不到编号为 P0001 的从业者，是不是 P00001？"
        with pytest.raises(RuleError) as err:
            needs_svc.record_need(s, practitioner_code="X9", category="skills_digital", severity="medium",
                                  description="", identified_on=today, actor="sw", today=today)
        assert err.value.key == "needs.unknown_practitioner"
