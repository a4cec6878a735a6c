"""What a form acts on: the rows as the page showed them, not as the click's own run reads them.

A rerun may read newer rows than the user saw (another session's write drops the cached results: the data version on
any app server, or a write on this one), so each helper keeps, in the session, what the previous run drew. Re-exported
by dashboard.loaders, where pages call them."""

from collections.abc import Iterable
from typing import Any, TypeVar

import streamlit as st

T = TypeVar("T")


def as_shown(kind: str, ident: object, version: int) -> int:
    """The version of one row as this session's previous run showed it, which a form submitted now acts on; `version`,
    as read now, is kept for the next run. Call it on every run that shows the row, before any submit is handled.

    A rerun may read newer rows than the user saw: another session's write drops the cached results (the data version
    on any app server, or a write on this one). A move checked against the version read in the same rerun would then
    overwrite that write unseen; checked against the version shown, it is refused as someone else's change."""
    shown = st.session_state.setdefault("_shown_versions", {})
    key = f"{kind}:{ident}"
    before = shown.get(key, version)
    shown[key] = int(version)
    return int(before)


def as_shown_all(kind: str, idents: Iterable[Any], versions: Iterable[Any]) -> dict[Any, int]:
    """as_shown for every row of a table shown at once (a multiselect's rows): ident -> the version shown."""
    return {i: as_shown(kind, i, int(v)) for i, v in zip(idents, versions, strict=True)}


def new_run() -> None:
    """Count this session's script runs (app.py calls it once per run): form_version and vanished need the last."""
    st.session_state["_run"] = int(st.session_state.get("_run", 0)) + 1


def _run_no() -> int:
    return int(st.session_state.get("_run", 0))


def form_version(kind: str, ident: object, version: int) -> int:
    """The version of a row its form was first drawn with, kept while the form is drawn run after run, for forms whose
    widget keys name the version (so that each starts from the row's stored values). The keys and the version a submit
    is checked against stay together: a change by someone else meanwhile neither resets what was typed nor lets the
    submit overwrite it; it is refused, and forget_form_versions then starts the form from the row as it is now.
    Drawn again after a run that did not draw it, the form starts from `version`, the row as read now."""
    kept = st.session_state.setdefault("_form_versions", {})
    key = f"{kind}:{ident}"
    base, seen = kept.get(key, (None, None))
    run = _run_no()
    if base is None or seen not in (run, run - 1):
        base = int(version)
    kept[key] = (base, run)
    return int(base)


def as_drawn(kind: str, ident: object, value: T) -> T:
    """What the previous run drew for (`kind`, `ident`), which a click now acts on, or `value` when the previous run did
    not draw it; `value`, as read now, is kept for the next run. For what a form is made of (the moves offered on a
    request): redrawn from rows someone else changed meanwhile, the click's form would be another form."""
    drawn = st.session_state.setdefault("_drawn", {})
    key = f"{kind}:{ident}"
    before, seen = drawn.get(key, (value, None))
    run = _run_no()
    drawn[key] = (value, run)
    return before if seen == run - 1 else value


def forget_shown(kind: str, ident: object) -> None:
    """After a refusal (someone else changed the row): the next run draws the row's form as it reads it, not as the
    refused run drew it (as_shown and as_drawn forget it)."""
    for name in ("_shown_versions", "_drawn"):
        st.session_state.get(name, {}).pop(f"{kind}:{ident}", None)


def forget_form_versions(kind: str) -> None:
    """After a write on (or a refusal of) a `kind` row: its forms start from the row as read in the next run."""
    kept = st.session_state.get("_form_versions", {})
    for key in [k for k in kept if k.startswith(f"{kind}:")]:
        del kept[key]


def vanished(kind: str, picked: object, present: Iterable[Any], context: object = None) -> object | None:
    """The row picked (`picked`: the choice's state as this run starts, before its widget is drawn) when it is no longer
    among the rows read now (`present`) while the previous run drew the same list (`context`: its filters): someone else
    deleted it or moved it out of the list between the page being drawn and the click. None otherwise (nothing picked,
    still there, or the user changed the filters). The page then says so instead of silently dropping the choice, or
    letting it fall to another row that a click would then act on."""
    kept = st.session_state.setdefault("_listed", {})
    before = kept.get(kind)
    run = _run_no()
    kept[kind] = (context, run)
    if picked is None or picked in set(present) or before is None:
        return None
    return picked if before == (context, run - 1) else None


def forget_drawn() -> None:
    """After this session's own write: the next run draws every form from the rows as they are now, and a row the write
    moved out of its list is not someone else's doing (vanished)."""
    st.session_state.pop("_drawn", None)
    st.session_state.pop("_listed", None)
