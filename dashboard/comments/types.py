"""What the comment engine hands the services (dashboard/services/comment_import.py): the contract between them."""

import datetime as dt
from dataclasses import dataclass

from data_models.enums import RequestCategory


@dataclass(frozen=True)
class ColumnMap:
    """Which header of the export holds what. `time` and `nickname` may be "" (not in the export)."""

    text: str
    time: str = ""
    nickname: str = ""


@dataclass(frozen=True)
class RawComment:
    seq: int                          # the data row: 1 = the first row under the header
    said_at: dt.datetime | None       # local time, as the export gave it
    nickname: str
    text: str                         # as read: not masked yet


@dataclass(frozen=True)
class CommentFile:
    """A read export. `mapping` is the recognised (or the given) columns; None when the user must map them, and
    then `rows` is empty and `columns` lists the headers to choose from."""

    columns: tuple[str, ...]
    mapping: ColumnMap | None
    platform: str | None              # the platform whose column names were recognised, if any
    rows: tuple[RawComment, ...]
    skipped: int = 0                  # data rows left out because their text was blank


@dataclass(frozen=True)
class PreparedComment:
    seq: int
    said_at: dt.datetime | None
    nickname: str                     # masked
    text: str                         # masked, control characters removed, cut to 500 characters
    chatter_rule: str | None          # the rule that set it aside, or None
    candidate: int | None             # index into Prepared.candidates; None for chatter


@dataclass(frozen=True)
class Candidate:
    members: tuple[int, ...]          # indexes into Prepared.comments, in file order
    label: str                        # the representative comment (masked)
    category: RequestCategory | None  # the guessed category, if any
    first_at: dt.datetime | None

    @property
    def endorsements(self) -> int:     # 附议: the comments behind it besides the first
        return len(self.members) - 1


@dataclass(frozen=True)
class Prepared:
    comments: tuple[PreparedComment, ...]
    candidates: tuple[Candidate, ...]  # largest first, then by first appearance
