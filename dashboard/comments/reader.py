"""A livestream's comment export (.xlsx or .csv in UTF-8 with or without BOM, or GBK) read through the upload reader
(dashboard/excel/reader.py: size limits, zip-bomb and memory guards, the parser in a sandbox), its columns recognised
by the common platforms' header names or mapped by the user.

Header names are compared without case, spaces, underscores or full-width forms (“评论 内容”, “Comment_Text”). The
header may sit below a title row or two. What cannot be read is refused with a message in the user's language: a
RuleError naming the spreadsheet row and column of each bad time (the first ten), nothing returned half-read."""

import datetime as dt
import re
import unicodedata
from zoneinfo import ZoneInfo

from dashboard.comments.types import ColumnMap, CommentFile, RawComment
from dashboard.excel.reader import RefusedFile, Sheet, read_sheets
from dashboard.excel.sheetscan import column_letters
from dashboard.i18n import t
from dashboard.services.errors import RuleError

MAX_BYTES = 20 * 2**20
HEADER_SCAN = 10              # rows looked at for the header (exports often start with a title row)
MAX_PROBLEMS = 10             # bad cells listed in one message
MAX_COMMENTS = 200_000        # rows in one export: twice the 100,000 the engine is measured on (bench/comments.py)
SHANGHAI = ZoneInfo("Asia/Shanghai")

# Per platform: the headers only its export has (how it is told apart), then its names for (time, nickname, text).
# The names are those the platforms' comment exports and the common export tools use; a file whose headers are not
# here is mapped once by the user, and the map is remembered for its platform (dashboard/services/comment_import.py).
PLATFORMS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "douyin": (("抖音号", "抖音id", "抖音昵称"), ("评论时间", "发送时间"), ("抖音昵称", "用户昵称", "昵称"),
               ("评论内容", "弹幕内容", "评论")),
    "kuaishou": (("快手号", "快手id", "快手昵称"), ("评论时间", "发送时间"), ("快手昵称", "用户昵称", "用户名"),
                 ("评论内容", "评论文本", "评论")),
    "wechat_channels": (("微信昵称", "视频号", "视频号id", "微信号"), ("评论时间", "留言时间", "时间"),
                        ("微信昵称", "昵称"), ("评论内容", "留言内容", "内容")),
    "taobao": (("淘宝昵称", "淘宝id", "旺旺名", "旺旺id", "买家昵称", "会员名"), ("评论时间", "发言时间", "时间"),
               ("淘宝昵称", "旺旺名", "买家昵称", "会员名", "昵称"), ("评论内容", "发言内容", "内容")),
    "bilibili": (("uid", "b站id", "up主"), ("发送时间", "弹幕时间", "时间"), ("用户名", "昵称"),
                 ("弹幕内容", "弹幕", "评论内容")),
}
GENERIC = ((), ("时间", "评论时间", "发送时间", "发布时间", "留言时间", "弹幕时间", "发言时间", "日期时间", "time",
                "timestamp", "datetime", "createdat", "createtime", "date"),
           ("昵称", "用户昵称", "用户名", "用户", "观众", "观众昵称", "网名", "评论人", "评论者", "发言人", "留言人",
            "nickname", "nick", "username", "user", "name", "author"),
           ("内容", "评论", "评论内容", "评论文本", "弹幕", "弹幕内容", "留言", "留言内容", "发言", "发言内容", "消息",
            "消息内容", "文本", "comment", "comments", "content", "text", "message", "msg", "danmaku"))


def normal(name: object) -> str:
    """A header as compared: NFKC (full-width to half-width), lower case, without spaces, underscores or dashes."""
    return re.sub(r"[\s_\-·:：]+", "", unicodedata.normalize("NFKC", str(name or ""))).lower()


def _find(columns: tuple[str, ...], names: tuple[str, ...], taken: set[str]) -> str:
    by_normal = {normal(c): c for c in reversed(columns) if c}
    return next((by_normal[n] for n in names if n in by_normal and by_normal[n] not in taken), "")


def recognise(columns: tuple[str, ...]) -> tuple[str, ColumnMap] | None:
    """(platform, columns) when the headers hold a comment text column by a known name; the platform is the one
    whose own headers (抖音号, 快手号, 微信昵称, 淘宝昵称…) are there, or "generic"."""
    normals = {normal(c) for c in columns}
    for platform, (marks, times, nicks, texts) in [*PLATFORMS.items(), ("generic", GENERIC)]:
        if platform != "generic" and not normals.intersection(marks):
            continue
        text = _find(columns, texts + GENERIC[3], set())
        if not text:
            continue
        time = _find(columns, times + GENERIC[1], {text})
        nick = _find(columns, nicks + GENERIC[2], {text, time})
        return platform, ColumnMap(text=text, time=time, nickname=nick)
    return None


_DATETIME = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                       r"(?:\s*[T\s]\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2})(?:[.,]\d+)?)?\s*秒?)?"
                       r"(?:\s*(?:Z|[+-]\d{2}:?\d{2}))?")
_TIME = re.compile(r"(\d{1,2})\s*[:：]\s*(\d{2})(?:\s*[:：]\s*(\d{2})(?:[.,]\d+)?)?")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def read_time(value: str, day: dt.date | None) -> dt.datetime | None:
    """A cell's time as local (Asia/Shanghai) time without a zone, or None when it cannot be read.

    Reads Excel datetimes (as the upload reader gives them: 2026-11-20 19:01:02), text such as 2026/11/20 19:01
    or 2026年11月20日 19:01, Unix timestamps (10 or 13 digits), Excel serial numbers, and a time of day (19:01:02,
    or an Excel time cell) combined with `day`, the livestream's date; without `day` a time of day is unreadable."""
    text = value.strip()
    if m := _DATETIME.fullmatch(text):
        year, month, date_, hour, minute, second = (int(g) if g else 0 for g in m.groups())
        try:
            when = dt.datetime(year, month, date_, hour, minute, second)
        except ValueError:
            return None
        if when.date() in (dt.date(1899, 12, 30), dt.date(1899, 12, 31), dt.date(1900, 1, 1)) and m.group(4):
            return dt.datetime.combine(day, when.time()) if day else None     # an Excel time-of-day cell
        if "Z" in text or re.search(r"[+-]\d{2}:?\d{2}$", text):
            try:
                aware = dt.datetime.fromisoformat(text.replace(" ", "T", 1).replace("Z", "+00:00"))
            except ValueError:
                return when
            return aware.astimezone(SHANGHAI).replace(tzinfo=None) if aware.tzinfo else when
        return when
    if m := _TIME.fullmatch(text):
        hour, minute, second = (int(g) if g else 0 for g in m.groups())
        if day is None or hour > 23 or minute > 59 or second > 59:
            return None
        return dt.datetime.combine(day, dt.time(hour, minute, second))
    if _NUMBER.fullmatch(text):
        number = float(text)
        if 1e9 <= number < 1e10 or 1e12 <= number < 1e13:              # Unix seconds or milliseconds
            seconds = number / 1000 if number >= 1e12 else number
            return dt.datetime.fromtimestamp(seconds, SHANGHAI).replace(tzinfo=None)
        if 20_000 <= number < 80_000:                                   # an Excel serial date (1954-2119)
            return EXCEL_EPOCH + dt.timedelta(days=number)
        if 0 <= number < 1 and day is not None:                         # an Excel time of day as a fraction
            return dt.datetime.combine(day, dt.time()) + dt.timedelta(days=number)
    return None


def _sheets(data: bytes, filename: str) -> list[Sheet]:
    try:
        return list(read_sheets(data, filename, max_bytes=MAX_BYTES))
    except RefusedFile as refused:
        raise RuleError(refused.key, **refused.params) from refused


def _header(sheets: list[Sheet], mapping: ColumnMap | None) -> tuple[Sheet, int, tuple[str, ...]] | None:
    """The first sheet and row, among each sheet's first rows, whose headers hold the text column."""
    for sheet in sheets:
        for r in range(min(HEADER_SCAN, sheet.height)):
            header = tuple(str(c or "").strip() for c in sheet.row(r))
            if mapping is None and recognise(header) is not None:
                return sheet, r, header
            if mapping is not None and normal(mapping.text) in {normal(c) for c in header if c}:
                return sheet, r, header
    return None


def _first_row(sheets: list[Sheet]) -> tuple[str, ...]:
    for sheet in sheets:
        for r in range(min(HEADER_SCAN, sheet.height)):
            header = tuple(str(c or "").strip() for c in sheet.row(r))
            if any(header):
                return header
    return ()


def read_comments(data: bytes, filename: str, mapping: ColumnMap | None = None, *,
                  day: dt.date | None = None) -> CommentFile:
    """The comments of an export. With no `mapping`, the columns are recognised by name; when they cannot be,
    the result has mapping=None, no rows and the headers to map. `day` (the livestream's date) completes times
    given without a date. Rows with a blank text are skipped and counted."""
    sheets = _sheets(data, filename)
    if not any(sheet.height for sheet in sheets):
        raise RuleError("comments.empty_file")
    found = _header(sheets, mapping)
    if found is None:
        if mapping is not None:
            raise RuleError("comments.missing_column", column=mapping.text)
        header = _first_row(sheets)
        if not any(header):
            raise RuleError("comments.empty_file")
        return CommentFile(header, None, None, ())
    sheet, header_row, header = found
    platform = None
    if mapping is None:
        platform, mapping = recognise(header)  # type: ignore[misc]   # _header found it recognisable
    positions = {normal(c): i for i, c in reversed(list(enumerate(header))) if c}
    for name in (mapping.time, mapping.nickname):
        if name and normal(name) not in positions:
            raise RuleError("comments.missing_column", column=name)
    if sheet.height <= header_row + 1:
        raise RuleError("comments.no_rows", column=mapping.text)
    if sheet.height - header_row - 1 > MAX_COMMENTS:
        raise RuleError("comments.too_many", rows=f"{sheet.height - header_row - 1:,}", limit=f"{MAX_COMMENTS:,}")

    def column(name: str) -> list[object] | None:
        return sheet.columns[positions[normal(name)]][header_row + 1:].to_pylist() if name else None

    texts, times, nicks = column(mapping.text), column(mapping.time), column(mapping.nickname)
    assert texts is not None
    rows: list[RawComment] = []
    problems: list[str] = []
    bad = skipped = 0
    letter = column_letters(positions[normal(mapping.time)] + 1) if mapping.time else ""
    for n, raw in enumerate(texts):
        text = str(raw or "")
        if not text.strip():
            skipped += 1
            continue
        when = None
        if times is not None and (cell := str(times[n] or "").strip()):
            when = read_time(cell, day)
            if when is None:
                bad += 1
                if len(problems) < MAX_PROBLEMS:
                    problems.append(t("comments.bad_time_cell", row=header_row + 2 + n, column=mapping.time,
                                      letter=letter, value=cell[:40]))
        nick = str(nicks[n] or "").strip() if nicks is not None else ""
        rows.append(RawComment(n + 1, when, nick, text))
    if bad:
        raise RuleError("comments.bad_times", count=bad, shown=len(problems),
                        problems=t("comments.list_separator").join(problems))
    if not rows:
        raise RuleError("comments.no_text", column=mapping.text, skipped=skipped)
    return CommentFile(header, mapping, platform, tuple(rows), skipped=skipped)
