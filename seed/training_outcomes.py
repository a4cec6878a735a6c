"""Demo follow-ups at 3 and 6 months and the certificates of the certified, consistent with the enrolments.

Its own random stream, so adding it changed no other table of the demo. The contacts were worked up to
FOLLOWUP_AS_OF: follow-ups due before the last four weeks were reached or given up as unreachable after three
tries, those due in the last four weeks are partly still being tried, those due later are waiting. Employment
follows what the enrolment generator drew (the certified find work more often), and those employed at 3 months
mostly still are at 6 (paper 002: stability over 85%).
"""

import datetime as dt

import numpy as np

from seed.common import SEED, Columns, iso, shared

FOLLOWUP_AS_OF = np.datetime64("2026-11-20")
WORKERS = ["社工王敏", "社工李娟", "社工张磊"]
REVOKED = 3


def add_months(days: np.ndarray, months: int) -> np.ndarray:
    """Vectorised dashboard.training_sync.add_months: the same day n months on, or that month's last day."""
    m = days.astype("datetime64[M]")
    day = (days - m.astype("datetime64[D]")).astype(int)
    target = m + months
    last = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(int) - 1
    return target.astype("datetime64[D]") + np.minimum(day, last).astype("timedelta64[D]")


def certificate_numbers(years: np.ndarray, ids: np.ndarray) -> list[str]:
    """dashboard.training_sync.certificate_number for whole arrays: the check character (ISO 7064 MOD 11-2) over
    all the numbers at once, digit by digit, instead of one number at a time."""
    years, ids = np.asarray(years, dtype=np.int64), np.asarray(ids, dtype=np.int64)
    total = np.zeros(len(ids), dtype=np.int64)
    for number, width in ((years, 4), (ids, 8)):
        for k in range(width - 1, -1, -1):
            total = (total + number // 10**k % 10) * 2 % 11
    value = (12 - total) % 11
    check = np.where(value == 10, "X", value.astype(str)).tolist()
    return [f"ZS-{y:04d}-{i:08d}-{c}" for y, i, c in zip(years.tolist(), ids.tolist(), check, strict=True)]


def outcomes(course: Columns, enrol: Columns, *, employed: np.ndarray, lift: np.ndarray) -> dict[str, Columns]:
    rng = np.random.default_rng([SEED, 14])
    completed = np.asarray(enrol["completed"], dtype=bool)
    idx = np.flatnonzero(completed)
    ci = np.asarray(enrol["course_id"])[idx] - 1
    end = np.asarray(course["end_date"], dtype="datetime64[D]")[ci]
    topic = np.asarray(course["topic"])[ci]
    enrol_id = np.asarray(enrol["id"])[idx]
    community = np.asarray(enrol["community_id"])[idx]
    before = np.asarray(enrol["income_before_cents"], dtype=np.int64)[idx]
    n = len(idx)
    kind_of_job = rng.choice(["ecommerce_employed", "ecommerce_self", "other_work"], size=n, p=[0.45, 0.35, 0.2])
    emp3 = employed[idx]
    emp6 = np.where(emp3, rng.random(n) < 0.88, rng.random(n) < 0.2)
    cols: dict[str, list] = {k: [] for k in (
        "enrolment_id", "community_id", "wave", "due_on", "status", "tries", "last_tried_on", "reached_on",
        "employment", "opened_store", "livestreams_per_week", "income_cents", "note", "recorded_by", "recorded_at",
        "version")}
    for wave, months, emp in (("m3", 3, emp3), ("m6", 6, emp6)):
        due = add_months(end, months)
        u = rng.random(n)
        # Due in the last four weeks: still being tried. Older: reached, or given up after three tries.
        fresh = due > FOLLOWUP_AS_OF - np.timedelta64(28, "D")
        waiting = due > FOLLOWUP_AS_OF
        status = np.where(waiting, "pending", np.where(
            u < np.where(fresh, 0.45, 0.88), "reached",
            np.where(u < np.where(fresh, 0.5, 1.0), "unreachable", "pending")))
        tries = np.where(waiting, 0, np.where(status == "reached", rng.integers(1, 3, n),
                                              np.where(status == "unreachable", 3, rng.integers(1, 3, n))))
        tried = np.minimum(due + rng.integers(0, 12, n).astype("timedelta64[D]"), FOLLOWUP_AS_OF)
        reached = status == "reached"
        job = np.where(emp, kind_of_job, "not_employed")
        store = (job == "ecommerce_self") & (rng.random(n) < 0.7)
        streaming = np.isin(topic, ["livestreaming", "short_video"])
        streams = np.where(job == "not_employed", 0, np.where(
            streaming & (job != "other_work"), rng.integers(1, 8, n),
            np.where(job == "other_work", 0, rng.integers(0, 4, n))))
        factor = lift if months == 6 else (1 + (lift - 1) * 0.6)
        income = (before * factor[idx] // 100 * 100).astype(np.int64)
        answered_income = reached & ((months == 6) | (rng.random(n) < 0.7))
        who = np.asarray(WORKERS, dtype=object)[rng.integers(0, len(WORKERS), n)]
        cols["enrolment_id"] += enrol_id.tolist()
        cols["community_id"] += community.tolist()
        cols["wave"] += [wave] * n
        cols["due_on"] += iso(due)
        # Labels held once each (shared), not as a string per row: 762,000 follow-ups at province scale.
        cols["status"] += shared(status).tolist()
        cols["tries"] += tries.astype(int).tolist()
        cols["last_tried_on"] += [d if t else None for d, t in zip(iso(tried), tries, strict=True)]
        cols["reached_on"] += [d if r else None for d, r in zip(iso(tried), reached, strict=True)]
        cols["employment"] += [j if r else None for j, r in zip(shared(job).tolist(), reached, strict=True)]
        cols["opened_store"] += [bool(s) if r else None for s, r in zip(store, reached, strict=True)]
        cols["livestreams_per_week"] += [int(s) if r else None for s, r in zip(streams, reached, strict=True)]
        cols["income_cents"] += [int(x) if a else None for x, a in zip(income, answered_income, strict=True)]
        cols["note"] += [None] * n
        cols["recorded_by"] += [w if t else None for w, t in zip(who.tolist(), tries, strict=True)]
        at_two = {d: f"{d}T02:00:00+00:00" for d in set(iso(tried))}
        cols["recorded_at"] += [at_two[d] if t else None for d, t in zip(iso(tried), tries, strict=True)]
        cols["version"] += [1 + int(t) for t in tries]
    followup: Columns = {"id": np.arange(1, len(cols["wave"]) + 1), **cols}

    certified = np.asarray(enrol["certified"], dtype=bool)
    cidx = np.flatnonzero(certified)
    c_end = np.asarray(course["end_date"], dtype="datetime64[D]")[np.asarray(enrol["course_id"])[cidx] - 1]
    issued = [str(d) for d in c_end.astype("datetime64[D]")]
    revoked = np.zeros(len(cidx), dtype=bool)
    revoked[rng.choice(len(cidx), size=min(REVOKED, len(cidx)), replace=False)] = True
    certified[cidx[revoked]] = False          # a revoked certificate's enrolment is no longer certified
    enrol["certified"] = certified
    eid = np.asarray(enrol["id"])[cidx]
    certificate: Columns = {
        "id": np.arange(1, len(cidx) + 1),
        "number": certificate_numbers(c_end.astype("datetime64[Y]").astype(int) + 1970, eid),
        "enrolment_id": eid, "community_id": np.asarray(enrol["community_id"])[cidx], "issued_on": issued,
        "revoked_on": [str(dt.date.fromisoformat(d) + dt.timedelta(days=30)) if r else None
                       for d, r in zip(issued, revoked, strict=True)],
        "revoked_reason": ["复核发现结业考核材料不实，证书撤销" if r else None for r in revoked],
        "revoked_by": ["培训机构管理员" if r else None for r in revoked],
    }
    return {"training_followup": followup, "certificate": certificate}
