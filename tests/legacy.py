"""A full demo database at an older schema revision, for the tests of a migration on real data.

The seed writes today's schema; this loads the same generated rows into an older one: only the tables and
columns that revision has, with the old forms of what a later migration changed (a request's department instead
of its lead unit, `reopened` as a status, a deadline on every request, an enrolment's employed_after and
income_after_cents instead of its follow-ups, attendance as present yes/no).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard.bulk import bulk_insert, reset_sequences
from dashboard.db import make_engine, upgrade
from seed.load import generate

DEPARTMENTS = {"village_committee", "residents_committee", "street_office", "township_government",
               "market_regulation", "human_resources", "transport", "urban_management", "property_management",
               "postal_logistics"}


def _old_forms(data: dict[str, dict[str, Any]]) -> None:
    """Turn today's request rows into the department-era forms (before 0008)."""
    unit = data["unit"]
    dept_of = {uid: code.removeprefix("U-").split("-", 1)[1] for uid, code in zip(unit["id"], unit["code"],
                                                                                   strict=True)}
    req = data["request"]
    # Platform and association units came with 0008: before it such a request was routed to no department.
    req["department"] = [None if u is None or dept_of[int(u)] not in DEPARTMENTS else dept_of[int(u)]
                         for u in req["lead_unit_id"]]
    req["deadline"] = [d if d is not None else r for d, r in zip(req["deadline"], req["raised_on"], strict=True)]
    reopened = np.asarray(req["reopen_count"]) > 0
    status = np.asarray(req["status"], dtype=object)
    req["status"] = np.where(reopened & (status == "in_progress"), "reopened", status)
    ev = data["request_event"]
    ev["to_status"] = ["reopened" if m == "reopen" else s for m, s in zip(ev["move"], ev["to_status"], strict=True)]
    top = {int(cid): dept_of[uid] for uid, cid, parent in zip(unit["id"], unit["community_id"], unit["parent_id"],
                                                              strict=True)
           if parent is None and dept_of[uid] in ("street_office", "township_government")}
    party = data["party"]
    party["department"] = [top.get(int(c)) if k == "government" else None
                           for c, k in zip(party["community_id"], party["kind"], strict=True)]


def _old_training(data: dict[str, dict[str, Any]]) -> None:
    """Before 0011 an enrolment said itself whether the learner was employed after and earned what: what the latest
    reached follow-up found (the 6-month one where both were reached)."""
    enrol, fu = data["enrolment"], data["training_followup"]
    found: dict[int, tuple[str, bool, int | None]] = {}
    for eid, wave, status, employment, income in zip(fu["enrolment_id"], fu["wave"], fu["status"], fu["employment"],
                                                     fu["income_cents"], strict=True):
        if status == "reached" and (int(eid) not in found or wave > found[int(eid)][0]):
            found[int(eid)] = (wave, employment != "not_employed", income)
    enrol["employed_after"] = [found.get(int(e), ("", False, None))[1] for e in enrol["id"]]
    enrol["income_after_cents"] = [found.get(int(e), ("", False, None))[2] for e in enrol["id"]]


def _without_cases(data: dict[str, dict[str, Any]]) -> None:
    """Before 0014 there were no 五步协商 cases (nor their consult move): their requests and histories are left out."""
    settled = {int(r) for r in data["case_request"]["request_id"]}
    for name, key in (("request", "id"), ("request_event", "request_id")):
        cols = data[name]
        keep = np.array([int(v) not in settled for v in cols[key]], dtype=bool)
        for column, values in cols.items():
            cols[column] = (values[keep] if isinstance(values, np.ndarray)
                            else [v for v, k in zip(values, keep.tolist(), strict=True) if k])


def load_demo_at(engine: Engine, revision: str) -> dict[str, int]:
    """Migrate to `revision` and load the demo rows that fit it; returns rows per table."""
    upgrade(engine, revision)
    data = generate("demo")
    if int(revision) < 14:
        _without_cases(data)
    if int(revision) < 8:
        _old_forms(data)
    if int(revision) < 11:
        _old_training(data)
    if int(revision) < 13:      # attendance was a yes/no before 0013
        att = data["meeting_attendance"]
        att["present"] = [s != "absent" for s in att["status"]]
    if int(revision) < 14:      # before 0014 a consultation's opening was no move of its own, nor 每月一题 a source
        ev = data["request_event"]
        ev["move"] = ["accept" if m == "consult" else m for m in ev["move"]]
        item = data["agenda_item"]
        item["source"] = ["manual" if s == "hot_topic" else s for s in item["source"]]
    meta = sa.MetaData()
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        meta.reflect(conn)
        loaded = []
        for name, cols in data.items():
            if name not in meta.tables:
                continue
            table = meta.tables[name]
            keep = [c for c in cols if c in table.c]
            lists = [cols[c].tolist() if isinstance(cols[c], np.ndarray) else list(cols[c]) for c in keep]
            counts[name] = bulk_insert(conn, table, keep, zip(*lists, strict=True))
            loaded.append(table)
        reset_sequences(conn, loaded)
    return counts


@contextmanager
def demo_at(url: str, revision: str, *then: Callable[[sa.Connection], Any]) -> Iterator[Engine]:
    """An engine on `url` holding the demo at `revision` (load_demo_at), after `then` ran on it in one transaction
    (a summary's refresh the legacy load leaves undone, the seed's distribution runs); disposed afterwards."""
    engine = make_engine(url)
    try:
        load_demo_at(engine, revision)
        with engine.begin() as conn:
            for step in then:
                step(conn)
        yield engine
    finally:
        engine.dispose()
