"""Every normalisation rule for what people type into spreadsheets."""

import datetime as dt

import pytest

from dashboard.excel import normalize as n
from data_models.enums import EmploymentType

D = dt.date


@pytest.mark.parametrize(("raw", "clean"), [
    ("  王秀英 ", "王秀英"), ("\u3000王秀英\u3000", "王秀英"), ("\u00a0x\u00a0", "x"), ("   ", None), ("", None),
    (None, None), (1001.0, "1001"), (1001, "1001"),
])
def test_text(raw: object, clean: str | None) -> None:
    assert n.clean_text(raw) == clean


@pytest.mark.parametrize(("raw", "clean"), [("Ｐ０００１", "P0001"), (" P0001 ", "P0001"), (1001.0, "1001")])
def test_codes_take_full_width_characters(raw: object, clean: str) -> None:
    assert n.code(raw) == clean


@pytest.mark.parametrize(("raw", "value"), [
    (12, 12), (12.0, 12), ("12", 12), ("１２", 12), ("1,234", 1234), ("1，234", 1234), (" 7 ", 7), ("", None),
])
def test_integer(raw: object, value: int | None) -> None:
    assert n.integer(raw) == value


@pytest.mark.parametrize("raw", ["12.5", 12.5, "abc", True])
def test_integer_refuses(raw: object) -> None:
    with pytest.raises(n.NormError):
        n.integer(raw)


@pytest.mark.parametrize(("raw", "cents"), [
    ("1234.5", 123_450), ("1,234.56", 123_456), ("¥1,234.56", 123_456), ("1234.56元", 123_456), ("０.１", 10),
    (0.1, 10), (1234.56, 123_456), (3200, 320_000), ("3200", 320_000), (19.99, 1_999), (None, None),
])
def test_money_in_yuan_to_cents(raw: object, cents: int | None) -> None:
    assert n.money(raw) == cents


@pytest.mark.parametrize(("raw", "key"), [("1.234", "excel.money_decimals"), (0.001, "excel.money_decimals"),
                                          ("-5", "excel.negative"), ("五百", "excel.not_money")])
def test_money_refuses(raw: object, key: str) -> None:
    with pytest.raises(n.NormError) as err:
        n.money(raw)
    assert err.value.key == key


@pytest.mark.parametrize("raw", ["是", "Y", "y", "yes", "TRUE", "true", "1", 1, True, "√", "✓", "有", "１"])
def test_true(raw: object) -> None:
    assert n.boolean(raw) is True


@pytest.mark.parametrize("raw", ["否", "N", "no", "False", "0", 0, False, "×", "✗", "无"])
def test_false(raw: object) -> None:
    assert n.boolean(raw) is False


def test_boolean_refuses_and_blank() -> None:
    assert n.boolean("  ") is None
    with pytest.raises(n.NormError):
        n.boolean("也许")


@pytest.mark.parametrize("raw", [
    D(2025, 3, 1), dt.datetime(2025, 3, 1, 8, 30), 45717, 45717.0, "2025-03-01", "2025/3/1", "2025年3月1日",
    "2025 年 3 月 1 日", "2025.3.1", "2025-3-1", "20250301", 20250301, "２０２５-０３-０１", "2025-03-01 00:00:00",
])
def test_dates(raw: object) -> None:
    assert n.date(raw) == D(2025, 3, 1)


@pytest.mark.parametrize("raw", ["2025-02-30", "三月一日", "2025/13/1", -5])
def test_date_refuses(raw: object) -> None:
    with pytest.raises(n.NormError):
        n.date(raw)


@pytest.mark.parametrize(("raw", "code"), [
    ("平台雇员", "platform_employee"), ("platform_employee", "platform_employee"),
    ("Platform employee", "platform_employee"), (" 灵活从业者 ", "flexible_worker"),
])
def test_enum_by_label_or_code(raw: str, code: str) -> None:
    assert n.enum_value(raw, n.enum_lookup(EmploymentType), "…") == code


def test_enum_refuses_with_the_allowed_values() -> None:
    with pytest.raises(n.NormError) as err:
        n.enum_value("外卖员", n.enum_lookup(EmploymentType), "平台雇员、独立经营者、灵活从业者")
    assert err.value.params["allowed"] == "平台雇员、独立经营者、灵活从业者"
