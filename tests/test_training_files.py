"""Issue 14: the trainer's course roster (export, fill in, import back as enrolments) and the funder's subsidy
workbook (totals to the cent), both opened by LibreOffice."""

import datetime as dt
import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard import training_sync
from dashboard.excel import importer, training_files
from dashboard.excel.spec import ENTITIES
from dashboard.i18n import use_language
from dashboard.queries import Scope
from dashboard.services.errors import RuleError
from dashboard.services.subsidy import course_subsidies
from tests import factories as f

HAS_LO = shutil.which("soffice") is not None
AS_OF = dt.date(2026, 3, 1)


@pytest.fixture
def course(engine: Engine) -> Engine:
    """Course K1 (intermediate, 2025-07-01..07-04, provider ASSOC) with E1 (王秀英) and E2 (李娟), nothing filled."""
    with engine.begin() as conn:
        c = f.community(conn, "C1")
        provider = f.party(conn, c, "ASSOC", kind="association", name="电商协会")
        k = f.course(conn, c, "K1", level="intermediate", provider_party_id=provider)
        f.course(conn, c, "K2")
        p1 = f.practitioner(conn, c, "P1", name="王秀英", phone="13812345678")
        p2 = f.practitioner(conn, c, "P2", name="李娟", phone=None)
        for code, p in (("E1", p1), ("E2", p2)):
            f.enrolment(conn, k, p, c, code, attended=False, completed=False, certified=False)
    return engine


def sheets(data: bytes) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def roster(engine: Engine, lang: str = "zh", personal: bool = False) -> bytes:
    with Session(engine) as session:
        return training_files.course_roster(session, "K1", lang=lang, personal=personal)


def test_the_roster_has_a_cover_the_import_headers_and_masked_names(course: Engine) -> None:
    book = sheets(roster(course))
    cover = {r[0]: r[1] for r in book["说明"]}
    assert cover["课程编号"] == "K1" and cover["级别"] == "中级" and cover["课时"] == "12"
    assert cover["开始日期"] == "2025-07-01" and cover["结束日期"] == "2025-07-04"
    assert cover["培训机构"] == "ASSOC 电商协会" and cover["行数"] == "2" and "个人信息" in cover
    rows = book["培训报名"]
    headers = [fld.zh for fld in ENTITIES["enrolments"].fields]
    assert list(rows[0]) == [*headers, "姓名（仅供核对，不导入）", "电话（仅供核对，不导入）"]
    assert [r[:3] for r in rows[1:]] == [("E1", "K1", "P1"), ("E2", "K1", "P2")]
    assert rows[1][-2:] == ("王*英", "138****5678") and rows[2][-1] in ("", None)
    assert sheets(roster(course, personal=True))["培训报名"][1][-2:] == ("王秀英", "13812345678")
    wb = openpyxl.load_workbook(io.BytesIO(roster(course)))
    assert wb["培训报名"].protection.sheet                     # name and phone cannot be typed over
    assert not wb["培训报名"]["E2"].protection.locked and wb["培训报名"]["L2"].protection.locked


def fill(data: bytes, values: dict[str, dict[str, object]]) -> bytes:
    """The trainer's pen: by enrolment code and header, as openpyxl writes it."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.worksheets[1]
    headers = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        for header, value in values.get(str(row[0].value), {}).items():
            row[headers.index(header)].value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_filled_roster_imports_back_as_enrolments(course: Engine, lang: str) -> None:
    with use_language(lang):
        names = {fld.column: fld.header(lang) for fld in ENTITIES["enrolments"].fields}
        yes = "是" if lang == "zh" else "Yes"
        filled = fill(roster(course, lang), {"E1": {
            names["attended"]: yes, names["completed"]: yes, names["pre_score"]: 40, names["post_score"]: 85,
            names["certified"]: yes, names["satisfaction"]: 5, names["income_before_cents"]: 3200.5}})
        result = importer.import_file(course, "enrolments", filled, "roster.xlsx", actor="trainer", today=AS_OF)
    assert result.status == "committed", result.errors
    assert (result.updated, result.unchanged, result.created) == (1, 1, 0)
    with course.connect() as conn:
        e1 = conn.execute(sa.select(training_sync.ENROLMENT).where(training_sync.ENROLMENT.c.code == "E1")
                          ).mappings().one()
        assert conn.execute(sa.select(sa.func.count()).select_from(training_sync.FOLLOWUP)).scalar_one() == 2
        assert conn.execute(sa.select(training_sync.CERTIFICATE.c.number)).scalar_one().startswith("ZS-2025-")
        names_kept = conn.execute(sa.text("SELECT name FROM practitioner WHERE code = 'P1'")).scalar_one()
    assert (e1["attended"], e1["completed"], e1["certified"]) == (True, True, True)
    assert (e1["pre_score"], e1["post_score"], e1["satisfaction"], e1["income_before_cents"]) == (40, 85, 5, 320_050)
    assert names_kept == "王秀英"                  # the masked name column was not read


def test_an_unfilled_roster_imports_as_unchanged_and_an_unknown_course_is_refused(course: Engine) -> None:
    result = importer.import_file(course, "enrolments", roster(course), "r.xlsx", actor="x", dry_run=True)
    assert result.status == "valid" and result.unchanged == 2
    with Session(course) as session, pytest.raises(RuleError):
        training_files.course_roster(session, "K9", lang="zh", personal=False)


@pytest.fixture
def subsidised(engine: Engine) -> Engine:
    """Two courses under one rule of 333.33 yuan a basic learner (tranches with odd cents): K1 with 3 certified,
    2 employed within six months (claimable); K2 with 1 certified, not employed, window long gone (lost)."""
    with engine.begin() as conn:
        c = f.community(conn, "C1")
        f.insert(conn, "subsidy_rule", code="BT1", title="测试规则", valid_from=dt.date(2024, 1, 1),
                 basic_cents=33_333, intermediate_cents=50_001, advanced_cents=70_007, first_pct=60,
                 employment_pct=50, window_months=6, claim_grace_days=30, valid_to=None)
        k1 = f.course(conn, c, "K1", end_date=dt.date(2025, 7, 4))
        k2 = f.course(conn, c, "K2", level="intermediate", end_date=dt.date(2025, 7, 4))
        ids = []
        for n, course_id in enumerate([k1, k1, k1, k2]):
            p = f.practitioner(conn, c, f"P{n}")
            ids.append(f.enrolment(conn, course_id, p, c, f"E{n}", certified=True))
        training_sync.sync(conn)
        for eid in ids[:2]:
            conn.execute(sa.update(training_sync.FOLLOWUP).where(
                training_sync.FOLLOWUP.c.enrolment_id == eid, training_sync.FOLLOWUP.c.wave == "m3").values(
                status="reached", tries=1, reached_on=dt.date(2025, 10, 5), employment="ecommerce_self"))
    return engine


def test_the_subsidy_workbook_lists_each_course_and_totals_to_the_cent(subsidised: Engine) -> None:
    with Session(subsidised) as session:
        data = training_files.subsidy_workbook(session, scope=Scope(1, "2025Q3"), as_of=AS_OF, lang="zh")
        frame = course_subsidies(session, scope=Scope(1, "2025Q3"), as_of=AS_OF)
    book = sheets(data)
    cover = {r[0]: r[1] for r in book["说明"]}
    assert cover["社区"].startswith("C1") and cover["季度"] == "2025Q3" and cover["统计截至"] == "2026-03-01"
    assert "BT1" in cover["适用的补贴规则"] and "333.33" in cover["适用的补贴规则"]
    rows = book["补贴申领"]
    head = list(rows[0])
    body, total = rows[1:-1], rows[-1]
    assert [r[0] for r in body] == list(frame["code"]) and total[0] == "合计"
    k1 = dict(zip(head, body[0], strict=True))
    assert k1["首期（元）"] == 599.99 and k1["二期（元）"] == 400.0 and k1["补贴总额（元）"] == 999.99
    assert k1["首期状态"] == "可申领" and k1["二期状态"] == "可申领"
    k2 = dict(zip(head, body[1], strict=True))
    assert k2["二期状态"] == "已失效" and k2["已失效（元）"] == 200.0
    for c, name in enumerate(head):
        if name.endswith("（元）") and name != "补贴标准（元/人）":
            cents = sum(Decimal(str(r[c])) * 100 for r in body)
            assert Decimal(str(total[c])) * 100 == cents, name
    assert Decimal(str(total[head.index("补贴总额（元）")])) == Decimal("1500.00")   # 999.99 + 500.01
    claimable, pending, lost = (Decimal(str(total[head.index(h)]))
                                for h in ("现可申领（元）", "待定（元）", "已失效（元）"))
    assert claimable + pending + lost == Decimal("1500.00")


def test_the_subsidy_workbook_in_english_and_for_an_empty_scope(subsidised: Engine) -> None:
    with Session(subsidised) as session:
        en = sheets(training_files.subsidy_workbook(session, scope=Scope(None, None), as_of=AS_OF, lang="en"))
        empty = sheets(training_files.subsidy_workbook(session, scope=Scope(1, "2020Q1"), as_of=AS_OF, lang="en"))
    assert en["Subsidy claim"][0][:2] == ("Course code", "Course") and en["Subsidy claim"][-1][0] == "Total"
    assert {r[0]: r[1] for r in en["About"]}["Community"] == "All communities"
    assert empty["Subsidy claim"][1][0] == "Total" and len(empty["Subsidy claim"]) == 2


def _lo(src: Path, out: Path) -> Path:
    """LibreOffice opens the workbook and saves its own .xlsx (it exits 0 even when it could not load it)."""
    out.mkdir()
    subprocess.run(["soffice", f"-env:UserInstallation=file://{out}/lo", "--headless", "--convert-to", "xlsx",
                    "--outdir", str(out), str(src)], check=True, capture_output=True, timeout=180)
    produced = out / src.name
    assert produced.exists(), "LibreOffice did not open the file"
    return produced


@pytest.mark.skipif(not HAS_LO, reason="LibreOffice is not installed")
def test_libreoffice_opens_both_and_its_saved_roster_imports(course: Engine, subsidised_too: None,
                                                             tmp_path: Path) -> None:
    src = tmp_path / "roster.xlsx"
    src.write_bytes(fill(roster(course), {"E2": {"培训前得分": 50}}))
    saved = _lo(src, tmp_path / "a")
    assert sheets(saved.read_bytes())["培训报名"][2][:2] == ("E2", "K1")
    result = importer.import_file(course, "enrolments", saved.read_bytes(), saved.name, actor="x", today=AS_OF)
    assert result.status == "committed" and result.updated == 1, result.errors
    claim = tmp_path / "claim.xlsx"
    with Session(course) as session:
        claim.write_bytes(training_files.subsidy_workbook(session, scope=Scope(None, None), as_of=AS_OF, lang="zh"))
    rows = sheets(_lo(claim, tmp_path / "b").read_bytes())["补贴申领"]
    assert rows[-1][0] == "合计" and rows[-1][9] == 1500.0


@pytest.fixture
def subsidised_too(course: Engine) -> None:
    """K1 of the roster fixture certified 3 × 500.00 yuan (intermediate) under one rule: 1,500.00 in all."""
    with course.begin() as conn:
        f.insert(conn, "subsidy_rule", code="BT1", title="测试规则", valid_from=dt.date(2024, 1, 1),
                 basic_cents=33_333, intermediate_cents=50_000, advanced_cents=70_007, first_pct=60,
                 employment_pct=50, window_months=6, claim_grace_days=30, valid_to=None)
        c, k = 1, conn.execute(sa.text("SELECT id FROM course WHERE code = 'K1'")).scalar_one()
        p = f.practitioner(conn, c, "P3")
        f.enrolment(conn, k, p, c, "E3", certified=True)
        for code in ("E1", "E2"):
            conn.execute(sa.text("UPDATE enrolment SET attended = true, completed = true, certified = true "
                                 "WHERE code = :c"), {"c": code})
