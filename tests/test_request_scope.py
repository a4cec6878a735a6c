"""Issue 13 item 8: government, platform and association accounts export only the requests routed to their own
units (as lead or as a supporting unit), through the page's export path and the CLI; an account without a party
exports none. Residents' phone numbers, ID numbers and marked names in the request text are masked for the roles
that may not see personal data."""

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from dashboard import access
from dashboard.accounts import Principal
from dashboard.excel import importer, writer
from dashboard.i18n import use_language
from dashboard.privacy import looks_masked, mask_text
from data_models.enums import Role
from tests import factories as f
from tests.apptest_helpers import add_user, clear_caches
from tests.test_cli import run

D = dt.date
TEXT = "张先生反映快递堆在楼道，电话13812345678，身份证520102198805061234"
MASKED = "*先生反映快递堆在楼道，电话138****5678，身份证520***********1234"


@pytest.fixture
def routed(engine: Engine) -> Iterator[dict[str, Any]]:
    """C1's township (its GOV party acts for it), a platform unit (PLT), a department nobody's party acts for; R1
    led by the township, R2 led by the department with the platform supporting, R3 led by the platform, R4 not
    routed; R5 in C2, led by C2's township."""
    ids: dict[str, Any] = {}
    with engine.begin() as conn:
        c1, c2 = f.community(conn, "C1"), f.community(conn, "C2")
        for code, kind, community in (("C1-GOV", "government", c1), ("C1-PLT", "platform", c1),
                                      ("C1-ASN", "association", c1), ("C2-GOV", "government", c2)):
            ids[code] = f.party(conn, community, code, kind=kind)
        unit = {"kind": "township_department", "township": "", "is_active": True}
        top = f.insert(conn, "unit", code="U-TOP", name="街道办", community_id=c1, party_id=ids["C1-GOV"], **unit)
        dept = f.insert(conn, "unit", code="U-A", name="城管中队", community_id=c1, parent_id=top, **unit)
        plt = f.insert(conn, "unit", code="U-PLT", name="平台", community_id=c1, party_id=ids["C1-PLT"],
                       **unit | {"kind": "platform"})
        top2 = f.insert(conn, "unit", code="U-TOP2", name="C2街道办", community_id=c2, party_id=ids["C2-GOV"], **unit)
        s1, s2 = f.livestream(conn, c1, "L1"), f.livestream(conn, c2, "L2")
        routed = {"status": "routed", "routed_on": D(2025, 7, 3), "first_routed_on": D(2025, 7, 3)}
        f.request(conn, s1, c1, "R1", lead_unit_id=top, description=TEXT, resolution="已联系联系人：王秀英", **routed)
        r2 = f.request(conn, s1, c1, "R2", lead_unit_id=dept, **routed)
        f.insert(conn, "request_support", request_id=r2, unit_id=plt)
        f.request(conn, s1, c1, "R3", lead_unit_id=plt, **routed)
        f.request(conn, s1, c1, "R4", deadline=None)
        f.request(conn, s2, c2, "R5", lead_unit_id=top2, **routed)
    ids["url"] = engine.url.render_as_string(hide_password=False)
    yield ids


# role, party, the requests it exports
SEES = [
    (Role.government, "C1-GOV", ["R1"]),
    (Role.platform, "C1-PLT", ["R2", "R3"]),             # R2 as the supporting unit
    (Role.association, "C1-ASN", []),                     # a party with no unit
    (Role.government, None, []),                          # an account without a party
    (Role.government, "C2-GOV", ["R5"]),
    (Role.social_worker, None, ["R1", "R2", "R3", "R4", "R5"]),
    (Role.admin, None, ["R1", "R2", "R3", "R4", "R5"]),
]


def read(data: bytes) -> list[dict[str, Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[1]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


@pytest.mark.parametrize(("role", "party", "codes"), SEES)
def test_the_writer_exports_the_rows_in_the_roles_scope(routed: dict[str, Any], engine: Engine, role: Role,
                                                        party: str | None, codes: list[str]) -> None:
    scope = access.row_scope(role, "requests", party_id=routed.get(party or ""))
    with use_language("zh"):
        data, n = writer.export_xlsx(engine, "requests", scope=scope,
                                     personal=access.sees_personal_columns(role, "requests"))
        text = writer.export_csv(engine, "requests", scope=scope,
                                 personal=access.sees_personal_columns(role, "requests")).decode("utf-8-sig")
    rows = read(data)
    assert [r["诉求编号"] for r in rows] == codes and n == len(codes)
    assert [line.split(",")[0] for line in text.splitlines()[1:]] == codes
    if "R1" in codes:
        r1 = rows[0]
        personal = access.sees_personal_data(role)
        assert r1["诉求内容"] == (TEXT if personal else MASKED)
        assert r1["办理结果"] == ("已联系联系人：王秀英" if personal else "已联系联系人：***")
        assert (TEXT in text) == personal


def test_a_masked_export_says_so_and_cannot_be_imported_back(routed: dict[str, Any], engine: Engine) -> None:
    scope = access.row_scope(Role.government, "requests", party_id=routed["C1-GOV"])
    with use_language("zh"):
        data, _ = writer.export_xlsx(engine, "requests", scope=scope, personal=False)
        cover = dict(openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True))
        back = importer.import_file(engine, "requests", data, "requests.xlsx", actor="admin", dry_run=True)
    assert cover["个人信息"].startswith("已按你的角色打码")
    assert back.status == "rejected"
    assert {(e.column, e.row) for e in back.errors} == {("诉求内容", 2), ("办理结果", 2)}


def page_export() -> None:
    """Run by AppTest: the page's export path (loaders.export_bytes) for the principal in session_state."""
    import io

    import openpyxl
    import streamlit as st

    from dashboard import loaders

    data, n = loaders.export_bytes("requests", None, None)
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[1]
    rows = list(sheet.iter_rows(values_only=True))
    st.session_state["exported"] = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    st.session_state["count"] = n


@pytest.mark.parametrize(("role", "party", "codes"), SEES)
def test_the_page_export_path_keeps_to_the_roles_units(routed: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
                                                       role: Role, party: str | None, codes: list[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", routed["url"])
    clear_caches()
    at = AppTest.from_function(page_export, default_timeout=60)
    at.session_state["principal"] = Principal("someone", role, party_id=routed.get(party or ""))
    at.run()
    assert not at.exception, at.exception
    exported = at.session_state["exported"]
    assert [r["诉求编号"] for r in exported] == codes and at.session_state["count"] == len(codes)
    if "R1" in codes:
        assert exported[0]["诉求内容"] == (TEXT if access.sees_personal_data(role) else MASKED)
    clear_caches()


def test_meeting_mode_masks_the_text_for_a_social_worker_too(routed: dict[str, Any],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", routed["url"])
    clear_caches()
    at = AppTest.from_function(page_export, default_timeout=60)
    at.session_state["principal"] = Principal("sw", Role.social_worker)
    at.session_state["meeting_mode"] = True
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["exported"][0]["诉求内容"] == MASKED
    clear_caches()


@pytest.mark.parametrize(("role", "party", "codes"), [SEES[0], SEES[1], SEES[3], SEES[5]])
def test_the_cli_export_keeps_to_the_roles_units(routed: dict[str, Any], tmp_path: Any, role: Role,
                                                 party: str | None, codes: list[str]) -> None:
    add_user(routed["url"], "admin", "boss")                # the first admin: accounts below are not the demo
    username, password = add_user(routed["url"], role.value, party=party)
    out = tmp_path / "requests.xlsx"
    done = run(routed["url"], "export", "requests", str(out), "--user", username, password=password)
    assert done.returncode == 0, done.stderr
    rows = read(out.read_bytes())
    assert [r["诉求编号"] for r in rows] == codes
    if "R1" in codes:
        assert rows[0]["诉求内容"] == (TEXT if access.sees_personal_data(role) else MASKED)


MASKING = [
    ("王阿姨说路灯坏了三个月了", "*阿姨说路灯坏了三个月了"),
    ("李建国先生（手机 139 1234 5678）反映噪音", "***先生（手机 139****5678）反映噪音"),
    ("联系人：刘娟，座机0851-86812345", "联系人：**，座机0851-******45"),
    ("老陈家门口的快递没人收", "老*家门口的快递没人收"),
    ("户主身份证号52010219880506123X", "户主身份证号520***********123X"),
    ("反映人：周秀英说夜里直播太吵", "反映人：***说夜里直播太吵"),
    ("+86 15087654321 找赵师傅", "150****4321 找*师傅"),
    # Left as written: no person in them.
    ("小程序下单的包裹堆在驿站，老方法不管用", "小程序下单的包裹堆在驿站，老方法不管用"),
    ("有位女士反映快递点周末不开门", "有位女士反映快递点周末不开门"),
    ("居民反映夜间直播噪音，订单号20250701123", "居民反映夜间直播噪音，订单号20250701123"),
    ("路灯 3 盏，报修电话 12345", "路灯 3 盏，报修电话 12345"),
]


@pytest.mark.parametrize(("text", "masked"), MASKING)
def test_mask_text_hides_what_identifies_a_resident(text: str, masked: str) -> None:
    assert mask_text(text) == masked
    assert looks_masked(masked) == (masked != text)
    assert mask_text(masked) == masked                  # masking twice changes nothing
