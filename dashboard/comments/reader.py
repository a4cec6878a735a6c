"""A livestream's comment export (.xlsx or .csv) read through the upload reader (dashboard/excel/reader.py: size
limits, zip-bomb and memory guards), its columns recognised by the common platforms' names or mapped by the user.
(First version.)"""

import datetime as dt

from dashboard.comments.types import ColumnMap, CommentFile, RawComment
from dashboard.excel.reader import read_sheets
from dashboard.services.errors import RuleError

# Per platform: the header names its export uses for (time, nickname, text).
PLATFORM_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "douyin": (("评论时间",), ("用户昵称", "评论人昵称"), ("评论内容",)),
    "kuaishou": (("发布时间", "时间"), ("用户名", "昵称"), ("评论", "评论文本")),
    "wechat_channels": (("时间",), ("微信昵称", "昵称"), ("留言内容", "内容")),
}
MAX_BYTES = 20 * 2**20


def _time(value: object) -> dt.datetime | None:
    text = str(value or "").strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def recognise(columns: tuple[str, ...]) -> tuple[str, ColumnMap] | None:
    for platform, (times, nicks, texts) in PLATFORM_COLUMNS.items():
        text = next((c for c in columns if c in texts), None)
        if text is not None:
            return platform, ColumnMap(text=text, time=next((c for c in columns if c in times), ""),
                                       nickname=next((c for c in columns if c in nicks), ""))
    return None


def read_comments(data: bytes, filename: str, mapping: ColumnMap | None = None) -> CommentFile:
    sheet = next(iter(read_sheets(data, filename, max_bytes=MAX_BYTES)), None)
    if sheet is None or sheet.height == 0:
        raise RuleError("comments.empty_file")
    header = tuple(str(c or "").strip() for c in sheet.row(0))
    platform = None
    if mapping is None:
        found = recognise(header)
        if found is None:
            return CommentFile(header, None, None, ())
        platform, mapping = found
    if mapping.text not in header:
        raise RuleError("comments.no_text_column", column=mapping.text)
    pos = {name: header.index(name) for name in (mapping.text, mapping.time, mapping.nickname) if name}
    rows = []
    for r in range(1, sheet.height):
        text = str(sheet.cell(r, pos[mapping.text]) or "").strip()
        if not text:
            continue
        when = _time(sheet.cell(r, pos[mapping.time])) if mapping.time else None
        nick = str(sheet.cell(r, pos[mapping.nickname]) or "").strip() if mapping.nickname else ""
        rows.append(RawComment(r, when, nick, text))
    return CommentFile(header, mapping, platform, tuple(rows))
