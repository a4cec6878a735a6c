"""Issue 16: a livestream's comment export read from .xlsx or .csv (UTF-8 with or without BOM, GBK); the platforms'
headers recognised, other files mapped by the user; times read with the stream's date; bad input refused with a
message in the user's language naming row and column, or handled."""

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from dashboard.comments import reader
from dashboard.comments.reader import read_comments, read_time, recognise
from dashboard.comments.types import ColumnMap
from dashboard.i18n import STRINGS, set_language
from dashboard.services.errors import RuleError

DAY = dt.date(2026, 11, 20)


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    text = "\n".join(",".join(f'"{c}"' for c in row) for row in rows) + "\n"
    return text.encode(encoding)


def xlsx_bytes(rows: list[list[object]], title: str | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    if title:
        sheet.append([title])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def refusal(data: bytes, name: str, mapping: ColumnMap | None = None, **kw: object) -> RuleError:
    with pytest.raises(RuleError) as caught:
        read_comments(data, name, mapping, **kw)  # type: ignore[arg-type]
    return caught.value


@pytest.mark.parametrize(("columns", "platform", "mapping"), [
    (("评论时间", "用户昵称", "抖音号", "评论内容"), "douyin", ColumnMap("评论内容", "评论时间", "用户昵称")),
    (("快手号", "用户名", "评论文本", "发送时间"), "kuaishou", ColumnMap("评论文本", "发送时间", "用户名")),
    (("微信昵称", "留言内容", "时间"), "wechat_channels", ColumnMap("留言内容", "时间", "微信昵称")),
    (("旺旺名", "发言内容", "发言时间"), "taobao", ColumnMap("发言内容", "发言时间", "旺旺名")),
    (("时间", "昵称", "内容"), "generic", ColumnMap("内容", "时间", "昵称")),
    (("弹幕",), "generic", ColumnMap("弹幕")),
    ((" 评论 内容 ", "Nick_Name", "TIME"), "generic", ColumnMap(" 评论 内容 ", "TIME", "Nick_Name")),
    (("Content", "User Name", "Created At"), "generic", ColumnMap("Content", "Created At", "User Name")),
    (("序号", "留言", "留言人"), "generic", ColumnMap("留言", "", "留言人")),
    (("评论内容（全角）",), None, None),
    (("序号", "问题", "备注"), None, None),
    ((), None, None),
], ids=lambda v: str(v)[:40])
def test_the_platforms_headers_are_recognised_whatever_their_case_and_spaces(
        columns: tuple[str, ...], platform: str | None, mapping: ColumnMap | None) -> None:
    found = recognise(columns)
    assert (found[0] if found else None, found[1] if found else None) == (platform, mapping)


def test_full_width_headers_read_as_half_width() -> None:
    assert recognise(("Ｃｏｎｔｅｎｔ", "ＴＩＭＥ")) == ("generic", ColumnMap("Ｃｏｎｔｅｎｔ", "ＴＩＭＥ", ""))


@pytest.mark.parametrize(("value", "day", "expected"), [
    ("2026-11-20 19:01:02", None, dt.datetime(2026, 11, 20, 19, 1, 2)),
    ("2026-11-20 19:01:02.500", None, dt.datetime(2026, 11, 20, 19, 1, 2)),
    ("2026/11/20 19:01", None, dt.datetime(2026, 11, 20, 19, 1)),
    ("2026/1/5 9:01", None, dt.datetime(2026, 1, 5, 9, 1)),
    ("2026年11月20日 19:01:02", None, dt.datetime(2026, 11, 20, 19, 1, 2)),
    ("2026-11-20T19:01:02", None, dt.datetime(2026, 11, 20, 19, 1, 2)),
    ("2026-11-20T11:01:02Z", None, dt.datetime(2026, 11, 20, 19, 1, 2)),       # UTC, shown in Beijing time
    ("2026-11-20", None, dt.datetime(2026, 11, 20)),
    ("19:01:02", DAY, dt.datetime(2026, 11, 20, 19, 1, 2)),
    ("19:01", DAY, dt.datetime(2026, 11, 20, 19, 1)),
    ("19:01:02", None, None),                                                      # a time of day needs the date
    ("1899-12-31 19:01:02", DAY, dt.datetime(2026, 11, 20, 19, 1, 2)),             # an Excel time cell
    ("1899-12-31 19:01:02", None, None),
    ("1779274862", None, dt.datetime(2026, 5, 20, 19, 1, 2)),                      # Unix seconds
    ("1779274862000", None, dt.datetime(2026, 5, 20, 19, 1, 2)),                   # and milliseconds
    ("46346.5", None, dt.datetime(2026, 11, 20, 12, 0)),                           # an Excel serial number
    ("0.75", DAY, dt.datetime(2026, 11, 20, 18, 0)),
    ("25:00", DAY, None), ("2026-13-01 10:00", None, None), ("昨天晚上", DAY, None), ("7", DAY, None),
])
def test_times(value: str, day: dt.date | None, expected: dt.datetime | None) -> None:
    assert read_time(value, day) == expected


ROWS = [["评论时间", "用户昵称", "评论内容"],
        ["2026-11-20 19:01:02", "小王", "楼道里快递堆满了"],
        ["2026-11-20 19:02:00", "李姐", ""],
        ["2026-11-20 19:03:00", "", "路灯坏了"]]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_utf8_with_or_without_bom_and_gbk(encoding: str) -> None:
    read = read_comments(csv_bytes(ROWS, encoding), "评论.csv")
    assert read.platform == "generic" and read.mapping == ColumnMap("评论内容", "评论时间", "用户昵称")
    assert [(r.seq, r.said_at, r.nickname, r.text) for r in read.rows] == [
        (1, dt.datetime(2026, 11, 20, 19, 1, 2), "小王", "楼道里快递堆满了"),
        (3, dt.datetime(2026, 11, 20, 19, 3), "", "路灯坏了")]
    assert read.skipped == 1                      # the blank text is left out and counted


def test_xlsx_with_datetime_and_time_of_day_cells_under_a_title_row() -> None:
    data = xlsx_bytes([["时间", "昵称", "弹幕内容"],
                       [dt.datetime(2026, 11, 20, 19, 1, 2), "a", "快递堆在楼道"],
                       [dt.time(19, 5, 0), "b", "门口设个驿站"],
                       ["19:06", "c", "同意"],
                       [None, "d", "没有时间的评论"]], title="抖音直播评论导出 2026-11-20")
    read = read_comments(data, "export.xlsx", day=DAY)
    assert read.mapping == ColumnMap("弹幕内容", "时间", "昵称")
    assert [r.said_at for r in read.rows] == [dt.datetime(2026, 11, 20, 19, 1, 2), dt.datetime(2026, 11, 20, 19, 5),
                                             dt.datetime(2026, 11, 20, 19, 6), None]
    assert read.rows[0].seq == 1 and read.columns == ("时间", "昵称", "弹幕内容")


def test_an_unrecognised_text_column_asks_for_a_mapping_then_reads_with_it() -> None:
    data = csv_bytes([["序号", "发帖人", "问题描述", "发生于"], ["1", "小王", "路灯坏了", "2026-11-20 19:00"]])
    first = read_comments(data, "x.csv")
    assert (first.mapping, first.platform, first.rows) == (None, None, ())
    assert first.columns == ("序号", "发帖人", "问题描述", "发生于")
    mapped = read_comments(data, "x.csv", ColumnMap("问题描述", "发生于", "发帖人"))
    assert [(r.nickname, r.text, r.said_at) for r in mapped.rows] == [("小王", "路灯坏了",
                                                                      dt.datetime(2026, 11, 20, 19))]


@pytest.mark.parametrize("mapping", [ColumnMap("评论"), ColumnMap("问题描述", "发送时间"),
                                     ColumnMap("问题描述", "", "昵称")])
def test_a_mapping_naming_a_missing_column_is_refused_naming_it(mapping: ColumnMap) -> None:
    data = csv_bytes([["发帖人", "问题描述"], ["小王", "路灯坏了"]])
    error = refusal(data, "x.csv", mapping)
    assert error.key == "comments.missing_column"
    missing = next(n for n in (mapping.text, mapping.time, mapping.nickname) if n and n not in ("问题描述",))
    assert f"「{missing}」" in error.message()


def test_bad_times_are_listed_by_row_and_column_the_first_ten_and_nothing_is_returned() -> None:
    rows = [["评论内容", "评论时间"], *[[f"评论{i}", "不是时间" if i % 2 else "2026-11-20 19:00"] for i in range(30)]]
    error = refusal(csv_bytes(rows), "x.csv")
    assert error.key == "comments.bad_times" and error.params["count"] == 15 and error.params["shown"] == 10
    message = error.message()
    # Spreadsheet rows: the header is row 1, the first comment (i = 0) row 2, the first bad one (i = 1) row 3.
    assert "第 3 行「评论时间」列（B 列）的“不是时间”" in message and "第 21 行" in message
    assert "第 23 行" not in message              # the eleventh bad row is counted, not listed


def test_a_time_of_day_without_the_streams_date_is_refused_and_with_it_read() -> None:
    data = csv_bytes([["时间", "内容"], ["19:01", "路灯坏了"]])
    assert refusal(data, "x.csv").key == "comments.bad_times"
    assert read_comments(data, "x.csv", day=DAY).rows[0].said_at == dt.datetime(2026, 11, 20, 19, 1)


def test_the_refusal_reads_in_the_users_language() -> None:
    set_language("en")
    error = refusal(csv_bytes([["content", "time"], ["x", "yesterday"]]), "x.csv")
    assert 'row 2, column "time" (B): "yesterday"' in error.message()
    assert "could not be read" in error.message()


@pytest.mark.parametrize(("data", "name", "key"), [
    (b"", "empty.csv", "excel.empty"),
    (b"\n\n\n", "blank.csv", "comments.empty_file"),
    (csv_bytes([["评论时间", "用户昵称", "评论内容"]]), "header.csv", "comments.no_rows"),
    (csv_bytes([["评论时间", "评论内容"], ["2026-11-20 19:00", " "], ["2026-11-20 19:01", ""]]), "blank.csv",
     "comments.no_text"),
    (b"%PDF-1.4 not a sheet", "report.pdf", "excel.not_spreadsheet"),
    (b"PK\x03\x04" + b"\0" * 3000, "cut.xlsx", "excel.corrupt"),
    (b"PK\x03\x04" + b"\0" * (21 * 2**20), "big.xlsx", "excel.too_large"),
    (('"' + "x" * 200_000 + '"\n').encode(), "long.csv", "excel.bad_csv"),
], ids=["empty", "blank lines", "header only", "no text in any row", "pdf", "corrupt", "too large", "huge field"])
def test_bad_files_get_a_clear_message(data: bytes, name: str, key: str) -> None:
    error = refusal(data, name)
    assert error.key == key
    message = error.message()
    assert message and message != key and "Traceback" not in message


def test_more_comments_than_one_import_takes_are_refused_before_they_are_read(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_COMMENTS", 1_000)
    data = csv_bytes([["评论内容"], *[["楼道里快递堆满了"]] * 1_001])
    error = refusal(data, "many.csv")
    assert error.key == "comments.too_many" and "1,001" in error.message() and "1,000" in error.message()
    assert len(read_comments(csv_bytes([["评论内容"], *[["楼道里快递堆满了"]] * 1_000]), "x.csv").rows) == 1_000


def test_a_zip_bomb_is_refused_before_it_is_inflated() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", b"0" * (300 * 2**20))
    error = refusal(buf.getvalue(), "bomb.xlsx")
    assert error.key == "excel.bomb" and "压缩炸弹" in error.message()


def test_emoji_control_characters_and_rtl_marks_are_read_as_they_are() -> None:
    text = "快递\x00堆在\x1b[31m楼道\u202e里👨\u200d👩\u200d👧"
    read = read_comments(csv_bytes([["评论内容"], [text]]), "x.csv")
    assert read.rows[0].text == text             # cleaning is the pipeline's (rules.clean), before storage


def test_a_file_of_twenty_thousand_comments_reads_in_seconds() -> None:
    rows = [["评论时间", "用户昵称", "评论内容"]] + [
        [f"2026-11-20 19:{i // 600 % 60:02d}:{i % 60:02d}", f"用户{i}", f"第{i}条：楼道里快递堆满了"]
        for i in range(20_000)]
    for data, name in ((csv_bytes(rows), "big.csv"), (xlsx_bytes(rows), "big.xlsx")):
        read = read_comments(data, name)
        assert len(read.rows) == 20_000 and read.rows[-1].text == "第19999条：楼道里快递堆满了"



@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_message_the_engine_gives_exists_in_both_languages(lang: str) -> None:
    source = "".join(p.read_text(encoding="utf-8")
                     for p in (Path(__file__).resolve().parents[1] / "dashboard" / "comments").glob("*.py"))
    keys = set(re.findall(r'(?:RuleError|t)\("([a-z_.]+)"', source))
    assert {"comments.bad_times", "comments.bad_time_cell", "comments.too_many"} <= keys
    assert not {k for k in keys if k not in STRINGS[lang]}
    platforms = [*reader.PLATFORMS, "generic"]
    assert all(STRINGS[lang].get(f"comments.platform.{p}") for p in platforms)
