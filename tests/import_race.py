"""A page write made while an import is between its checks and its write: what the page's write ended in."""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.excel import importer
from dashboard.services.errors import RuleError


def write_during_import(engine: Engine, monkeypatch: pytest.MonkeyPatch, write: Callable[[Session], Any],
                        run_import: Callable[[], importer.ImportResult]) -> tuple[importer.ImportResult, str]:
    """Runs `run_import` with the window between its checks and its write held open, and `write` (the page's, on
    its own session in another thread) inside that window. Returns the import's result and "written" or the key
    of the RuleError the page's write was refused with."""
    at_write, outcome = threading.Event(), {}
    real = importer._write

    def slow_write(conn: Any, *args: Any, **kw: Any) -> Any:
        at_write.set()
        threading.Event().wait(0.5)      # the window between the import's checks and its write, held open
        return real(conn, *args, **kw)

    def page() -> None:
        at_write.wait(10)
        try:
            with Session(engine) as s:
                write(s)
                s.commit()
            outcome["page"] = "written"
        except RuleError as refused:
            outcome["page"] = refused.key

    monkeypatch.setattr(importer, "_write", slow_write)
    thread = threading.Thread(target=page)
    thread.start()
    result = run_import()
    thread.join(20)
    return result, outcome["page"]
