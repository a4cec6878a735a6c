"""Parse a workbook in a child process under a memory limit, so that a parser that runs out of memory (calamine
aborts the whole process when an allocation fails) takes only the child with it, never the web server.

The child is a fresh interpreter (`python -m dashboard.excel.sandbox`), not a fork of the threaded Streamlit
server and not a multiprocessing child (which would re-import the server's main script). It is started before the
parent checks the file, so its start-up overlaps that check. The workbook and each sheet's columns (Arrow IPC) pass
through files in a private temporary folder, which the parent maps rather than copies; the pipes carry only short
requests and answers (a pipe's 64 KB buffer would make the two processes take turns 600 times for 40 MB). The child
stops when its stdin closes.
"""

import contextlib
import json
import logging
import os
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

import pyarrow as pa

PROJECT_ROOT = Path(__file__).resolve().parents[2]       # not from settings: the child need not load pydantic
log = logging.getLogger(__name__)

OK, FAILED, NO_MEMORY = 0, 1, 2
_HEADER = struct.Struct("<BQ")          # status, payload length
_ASK = struct.Struct("<I")


class ChildDied(Exception):
    """The child ended without an answer: most likely it hit its memory limit."""


class SandboxedWorkbook:
    """The parent's side: a workbook opened in a child process."""

    def __init__(self, memory_limit: int) -> None:
        self._folder = tempfile.mkdtemp(prefix="dashboard-upload-")
        self._errors: IO[bytes] = tempfile.TemporaryFile()    # noqa: SIM115 (closed in close())
        self._proc = subprocess.Popen([sys.executable, "-m", "dashboard.excel.sandbox", str(memory_limit)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._errors,
                                      cwd=PROJECT_ROOT, env={**os.environ, "RUST_BACKTRACE": "0"})
        assert self._proc.stdin is not None and self._proc.stdout is not None     # both are PIPEs
        self._stdin: IO[bytes] = self._proc.stdin
        self._stdout: IO[bytes] = self._proc.stdout
        self.sheet_names: list[str] = []

    def send(self, data: bytes) -> None:
        """Hand the workbook over; the child opens it (its list of sheets, its shared strings) meanwhile."""
        path = Path(self._folder, "book")
        path.write_bytes(data)
        name = str(path).encode()
        self._send(_HEADER.pack(OK, len(name)) + name)

    def opened(self) -> bool:
        """False if the parser cannot open the workbook."""
        status, payload = self._receive()
        if status != OK:
            return False
        self.sheet_names = json.loads(payload)
        return True

    def load(self, index: int) -> tuple[int, list[int], list[pa.Array]] | None:
        """(height, column positions, columns) of one sheet; None if the parser failed on it. ChildDied when the
        child ran out of memory."""
        self._send(_ASK.pack(index))
        status, payload = self._receive()
        if status == NO_MEMORY:
            raise ChildDied
        if status != OK:
            return None
        path = payload.decode()
        table = pa.ipc.open_stream(pa.memory_map(path)).read_all()     # the columns stay mapped, not copied
        Path(path).unlink()
        return table.num_rows, [int(n) for n in table.column_names], [c.combine_chunks() for c in table.columns]

    def close(self) -> None:
        proc = self._proc
        killed = False
        if proc.poll() is None and not self.sheet_names:
            proc.kill()                         # never asked for anything (the file was refused): stop it now
            killed = True
        with contextlib.suppress(OSError):
            self._stdin.close()                 # the child's signal to stop
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
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


def _vm_size() -> int:
    with Path("/proc/self/status").open() as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _serve(memory_limit: int, inp: IO[bytes], out: IO[bytes]) -> None:
    """The child's side."""
    import fastexcel

    # What the interpreter, Arrow and fastexcel map at start-up is not the parser's to spend.
    limit = _vm_size() + memory_limit
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    def answer(status: int, payload: bytes = b"") -> None:
        out.write(_HEADER.pack(status, len(payload)))
        out.write(payload)
        out.flush()

    head = inp.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return
    book = inp.read(_HEADER.unpack(head)[1]).decode()
    try:
        workbook = fastexcel.read_excel(book)
        names = workbook.sheet_names
    except MemoryError:
        answer(NO_MEMORY)
        return
    except Exception:
        log.exception("fastexcel could not open the workbook")      # to stderr, which the parent logs
        answer(FAILED)
        return
    answer(OK, json.dumps(names).encode())
    while len(ask := inp.read(_ASK.size)) == _ASK.size:
        try:
            index = _ASK.unpack(ask)[0]
            path = f"{book}-{index}.arrow"
            _write_sheet(workbook, index, path)
            answer(OK, path.encode())
        except MemoryError:
            answer(NO_MEMORY)
        except Exception:
            log.exception("fastexcel could not read sheet %s", _ASK.unpack(ask)[0])
            answer(FAILED)


def _write_sheet(workbook: Any, index: int, path: str) -> None:
    """Every cell of one sheet from A1 on as text or null; each column is named by its position (0 is A)."""
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
    _serve(int(sys.argv[1]), sys.stdin.buffer, sys.stdout.buffer)
