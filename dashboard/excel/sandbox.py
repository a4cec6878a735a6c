"""Check and parse a workbook in a child process under a memory limit, so that a parser that runs out of memory
(calamine aborts the whole process when an allocation fails) takes only the child with it, never the web server.

The child is a fresh interpreter (`python -m dashboard.excel.sandbox`), not a fork of the threaded Streamlit
server and not a multiprocessing child (which would re-import the server's main script). It can be started before
the caller has the file's limits (the command line starts it first thing), and imports its parser meanwhile.
Then it does all the work on the file under its memory limit: the bomb check and each sheet's extent scan
(guard), which refuse a file before anything big is inflated; the opening; and the first sheet, parsed ahead of
the caller's asking for it while the caller does its own work (a sign-in, its imports). A later sheet is parsed
only when asked for, after its own extent check.

The workbook and each sheet's columns (Arrow IPC) pass through files in a private temporary folder, which the
parent maps rather than copies; the pipes carry only short requests and answers (a pipe's 64 KB buffer would make
the two processes take turns 600 times for 40 MB). The child stops when its stdin closes.
"""

import contextlib
import json
import logging
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from dashboard.excel.guard import RefusedFile

if TYPE_CHECKING:
    import pyarrow as pa

PROJECT_ROOT = Path(__file__).resolve().parents[2]       # not from settings: the child need not load pydantic
log = logging.getLogger(__name__)

OK, FAILED, NO_MEMORY, REFUSED = 0, 1, 2, 3
_HEADER = struct.Struct("<BQ")          # status, payload length
_ASK = struct.Struct("<I")


class ChildDied(Exception):
    """The child ended without an answer: most likely it hit its memory limit."""


class SandboxedWorkbook:
    """The parent's side: a workbook opened in a child process."""

    def __init__(self) -> None:
        self._folder = tempfile.mkdtemp(prefix="dashboard-upload-")
        self._errors: IO[bytes] = tempfile.TemporaryFile()    # noqa: SIM115 (closed in close())
        self._proc = subprocess.Popen([sys.executable, "-m", "dashboard.excel.sandbox"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._errors,
                                      cwd=PROJECT_ROOT, env={**os.environ, "RUST_BACKTRACE": "0"})
        assert self._proc.stdin is not None and self._proc.stdout is not None     # both are PIPEs
        self._stdin: IO[bytes] = self._proc.stdin
        self._stdout: IO[bytes] = self._proc.stdout
        self.sheet_names: list[str] = []
        self.sent = False
        self.closed = False

    def __enter__(self) -> "SandboxedWorkbook":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, data: bytes, *, memory_limit: int, max_bytes: int, check_zip: bool) -> None:
        """Hand the workbook over, with the child's memory limit and the upload limit the checks use. The child
        sets its limit, checks the file (check_zip: the bomb check and the sheets' extents), opens it and parses
        its first sheet meanwhile."""
        path = Path(self._folder, "book")
        path.write_bytes(data)
        ask = json.dumps({"book": str(path), "memory_limit": memory_limit, "max_bytes": max_bytes,
                          "check_zip": check_zip}).encode()
        self.sent = True
        self._send(_HEADER.pack(OK, len(ask)) + ask)

    def opened(self) -> bool:
        """False if the parser cannot open the workbook; RefusedFile if the checks refused it."""
        status, payload = self._receive()
        if status == REFUSED:
            raise _refusal(payload)
        if status == NO_MEMORY:
            raise ChildDied
        if status != OK:
            return False
        self.sheet_names = json.loads(payload)
        return True

    def load(self, index: int) -> "tuple[int, list[int], list[pa.Array], tuple[tuple[int, int], ...]] | None":
        """(height, column positions, columns, formulas saved without a value as (row, column)) of one sheet; None
        if the parser failed on it; RefusedFile if its extent check refused it. ChildDied when the child ran out
        of memory."""
        import pyarrow as pa

        self._send(_ASK.pack(index))
        status, payload = self._receive()
        if status == NO_MEMORY:
            raise ChildDied
        if status == REFUSED:
            raise _refusal(payload)
        if status != OK:
            return None
        answer = json.loads(payload)
        path = answer["path"]
        table = pa.ipc.open_stream(pa.memory_map(path)).read_all()     # the columns stay mapped, not copied
        Path(path).unlink()
        # One batch, so one chunk a column: taken as it is (combine_chunks would copy it).
        columns = [c.chunk(0) if c.num_chunks == 1 else c.combine_chunks() for c in table.columns]
        return (table.num_rows, [int(n) for n in table.column_names], columns,
                tuple((int(r), int(c)) for r, c in answer["formulas"]))

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        proc = self._proc
        killed = False
        if proc.poll() is None:
            # Nothing is asked of the child between calls; what it may be doing now (a sheet parsed ahead, or a
            # file never sent because it was refused) nobody will read.
            proc.kill()
            killed = True
        with contextlib.suppress(OSError):
            self._stdin.close()
        proc.wait()
        self._stdout.close()
        self._errors.seek(0)
        said = self._errors.read(8000).decode("utf-8", "replace").strip()
        # The child's own words go to the server log, in one line (a command-line user sees its stderr): the user
        # gets a message of ours.
        if proc.returncode and not killed:
            first = said.splitlines()[0][:300] if said else ""
            log.warning("workbook parser exited with %s: %s", proc.returncode, first)
        if said:
            log.debug("workbook parser said: %s", said)
        self._errors.close()
        shutil.rmtree(self._folder, ignore_errors=True)

    def _send(self, data: bytes) -> None:
        try:
            self._stdin.write(data)
            self._stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise ChildDied from exc

    def _receive(self) -> tuple[int, bytes]:
        head = self._stdout.read(_HEADER.size)
        if len(head) < _HEADER.size:
            raise ChildDied
        status, size = _HEADER.unpack(head)
        payload = self._stdout.read(size)
        if len(payload) < size:
            raise ChildDied
        return status, payload


def _refusal(payload: bytes) -> RefusedFile:
    said = json.loads(payload)
    return RefusedFile(said["key"], **said["params"])


def _vm_size() -> int:
    with Path("/proc/self/status").open() as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


Answer = tuple[int, bytes]


def _serve(inp: IO[bytes], out: IO[bytes]) -> None:
    """The child's side."""
    import resource

    import fastexcel
    import pyarrow  # noqa: F401  (mapped now, before the limit: see below)

    from dashboard.excel import guard, sheetscan  # noqa: F401  (numpy too)

    def answer(reply: Answer) -> None:
        status, payload = reply
        out.write(_HEADER.pack(status, len(payload)))
        out.write(payload)
        out.flush()

    head = inp.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return
    ask = json.loads(inp.read(_HEADER.unpack(head)[1]))
    # What the interpreter, Arrow, numpy and fastexcel map at start-up is not the parser's to spend.
    limit = _vm_size() + int(ask["memory_limit"])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    book, max_bytes = ask["book"], int(ask["max_bytes"])
    # The checks first, then the parser: fastexcel reads the shared strings and styles whole when it opens a
    # workbook, so a bomb packed into them must be refused before that. (Opened alongside the checks, in a thread,
    # a 300 MB shared-strings bomb cost this child 1 GB and 9 s before its refusal, and a bigger one ended as
    # «unreadable»: the parser holds the interpreter's lock while it reads, so the check could not even run.)
    checked: dict[str, Any] = {}
    try:
        checked["scans"] = guard.check_zip(Path(book).read_bytes(), max_bytes) if ask["check_zip"] else {}
    except RefusedFile as refused:
        answer(_refused(refused))
        return
    except MemoryError:
        answer((NO_MEMORY, b""))
        return
    workbook: Any = None
    names: list[str] = []
    try:
        workbook = fastexcel.read_excel(book)
        names = workbook.sheet_names
    except MemoryError:
        answer((NO_MEMORY, b""))
        return
    except Exception:
        log.exception("fastexcel could not open the workbook")      # to stderr, which the parent logs
        answer((FAILED, b""))
        return
    scans = checked["scans"]
    answer((OK, json.dumps(names).encode()))

    def sheet(index: int) -> Answer:
        scan = scans.get(names[index]) if 0 <= index < len(names) else None
        try:
            if scan is not None:
                guard.check_extent(scan, max_bytes)
            path = f"{book}-{index}.arrow"
            _write_sheet(workbook, index, path)
            return OK, json.dumps({"path": path, "formulas": scan.formulas if scan else []}).encode()
        except RefusedFile as refused:
            return _refused(refused)
        except MemoryError:
            return NO_MEMORY, b""
        except Exception:
            log.exception("fastexcel could not read sheet %s", index)
            return FAILED, b""

    # The first sheet is the one most callers read (an import stops at the first with its header): parsed now,
    # while the caller does its own work; its answer waits for the caller's asking.
    ahead = sheet(0) if names else None
    while len(asked := inp.read(_ASK.size)) == _ASK.size:
        index = _ASK.unpack(asked)[0]
        if index == 0 and ahead is not None:
            answer(ahead)
            ahead = None
        else:
            answer(sheet(index))


def _refused(refused: RefusedFile) -> Answer:
    return REFUSED, json.dumps({"key": refused.key, "params": refused.params}, ensure_ascii=False).encode()


def _write_sheet(workbook: Any, index: int, path: str) -> None:
    """Every cell of one sheet from A1 on as text or null; each column is named by its position (0 is A)."""
    import pyarrow as pa

    positions: list[int] = []

    def every(info: Any) -> bool:             # told each column fastexcel finds, in order, with its position
        positions.append(info.absolute_index)
        return True

    table = workbook.load_sheet(index, header_row=None, skip_rows=0, dtypes="string", eager=True,
                                use_columns=every)
    # A RecordBatch (eager=True); the columns start at the first used one, blank rows on top are kept.
    batch = pa.record_batch(list(table.columns), names=[str(p) for p in positions])
    with pa.OSFile(path, "wb") as sink, pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)


if __name__ == "__main__":
    _serve(sys.stdin.buffer, sys.stdout.buffer)
