"""批量导入's loaders (loaders.py split by area): recognise the uploaded files, check them as one batch, import them."""

import hashlib

import streamlit as st

from dashboard.excel import batch
from dashboard.excel.batch import BatchResult, Upload
from dashboard.i18n import get_language
from dashboard.loaders import current_actor, get_engine, principal
from dashboard.settings import get_settings


def _max_bytes() -> int:
    return get_settings().max_upload_mb * 2**20


def recognise_uploads(files: list[tuple[str, bytes]]) -> list[Upload]:
    """Each file with the entity its header says; kept for the session by the file's hash and the language (the
    reason a file is not recognised is worded in it), so a rerun reads no file again."""
    kept: dict[tuple[str, str, str], Upload] = st.session_state.setdefault("io_batch_recognised", {})
    now: dict[tuple[str, str, str], Upload] = {}
    for name, data in files:
        key = (hashlib.sha256(data).hexdigest(), name, get_language())
        now[key] = kept.get(key) or batch.recognised(Upload(name, data), max_bytes=_max_bytes())
    st.session_state["io_batch_recognised"] = now          # files taken out of the uploader are forgotten
    return [now[(hashlib.sha256(data).hexdigest(), name, get_language())] for name, data in files]


def _key(uploads: list[Upload]) -> tuple[object, ...]:
    return (principal().role, get_language(),
            *((hashlib.sha256(u.data).hexdigest(), u.name, u.entity) for u in uploads))


def _run(uploads: list[Upload], *, commit: bool) -> BatchResult:
    bar = st.progress(0.0)
    result = batch.run_batch(get_engine(), uploads, role=principal().role, actor=current_actor(), commit=commit,
                             max_bytes=_max_bytes(), progress=lambda f, m: bar.progress(min(f, 1.0), text=m))
    bar.empty()
    return result


def check_batch(uploads: list[Upload]) -> BatchResult:
    """The preview: every file checked in order against the database and the files before it, nothing written;
    kept for the session until the files, the role or the language change."""
    key = _key(uploads)
    kept = st.session_state.get("io_batch_preview")
    if kept is not None and kept[0] == key:
        return kept[1]
    result = _run(uploads, commit=False)
    st.session_state["io_batch_preview"] = (key, result)
    return result


def write_batch(uploads: list[Upload]) -> BatchResult:
    """Import the files, all or nothing (checked again inside the transaction that writes them)."""
    result = _run(uploads, commit=True)
    st.session_state.pop("io_batch_preview", None)
    if result.status == "committed":
        st.cache_data.clear()
    return result
