"""批量导入's tables: one line per file (what it was recognised as, its counts, its check) and the problems of all
files, each naming its file, sheet, row and column. No Streamlit."""

import pandas as pd

from dashboard.excel.batch import BatchResult, FileOutcome
from dashboard.i18n import t

FILE_COLUMNS = ["io.batch.col_file", "io.batch.col_entity", "io.rows", "io.created", "io.updated", "io.unchanged",
                "io.batch.col_status"]
ERROR_COLUMNS = ["io.batch.col_file", "io.col_sheet", "io.col_row", "io.col_column", "io.col_value", "io.col_message"]


def _status(f: FileOutcome) -> str:
    if f.status == "rejected":
        return t("io.batch.status_rejected", n=f"{len(f.errors):,}")
    return t(f"io.batch.status_{f.status}")


def _count(f: FileOutcome, name: str) -> str:
    """A counter, or "—" for a file that was not read (refused, waiting) or refused as a whole (no rows)."""
    if f.result is None or (f.result.status == "rejected" and f.result.sheet is None):
        return "—"
    return f"{getattr(f.result, name):,}"


def files_frame(result: BatchResult) -> pd.DataFrame:
    """One row per file in the order they are imported; text only, as read aloud."""
    rows = [[f.name, t(f"entity.{f.entity}") if f.entity else t("io.batch.not_recognised"), _count(f, "rows"),
             _count(f, "created"), _count(f, "updated"), _count(f, "unchanged"), _status(f)] for f in result.files]
    return pd.DataFrame(rows, columns=[t(c) for c in FILE_COLUMNS])


def errors_frame(result: BatchResult) -> pd.DataFrame:
    """Every problem: a row error names its file, sheet, Excel row and column; a whole file's problem (not
    recognised, not allowed, waiting for another) names only the file."""
    rows: list[list[str]] = []
    for f in result.files:
        if f.message:
            rows.append([f.name, "", "", "", "", f.message])
        for e in f.errors:
            rows.append([f.name, e.sheet, str(e.row) if e.row else "", e.column, e.value, e.message])
    return pd.DataFrame(rows, columns=[t(c) for c in ERROR_COLUMNS])


def order_text(result: BatchResult) -> str:
    """The entities in the order they are written: 从业者 → 需求评估 → …"""
    return t("io.batch.order_sep").join(dict.fromkeys(t(f"entity.{e}") for e in result.order))
