"""Shared pieces of the demo-data generator: scales, the period, exact-count sampling, names, dates."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

SEED = 42
# Six complete quarters of activity, 2025Q2 to 2026Q3. Fixed, so the demo is the same on every machine and day.
DATA_START = np.datetime64("2025-04-01")
DATA_END = np.datetime64("2026-09-30")
# Ages are measured in this year; the papers' figures hold for it.
REFERENCE_YEAR = 2026


@dataclass(frozen=True)
class Scale:
    name: str
    communities: int
    practitioners: int
    needs: int
    enrolments: int
    sales: int
    requests: int
    members_per_coop: int
    enrolments_per_course: int


SCALES = {
    "demo": Scale("demo", 3, 2_000, 6_000, 5_000, 20_000, 2_000, 60, 25),
    # 128 communities x 78 weekly livestreams = 9,984 sessions, the 10,000.
    "province": Scale("province", 128, 100_000, 300_000, 500_000, 1_000_000, 200_000, 40, 40),
}


def exact_mask(rng: np.random.Generator, n: int, k: int, weights: np.ndarray | None = None) -> np.ndarray:
    """A boolean array of length n with exactly k True, chosen at random (weighted if weights given)."""
    k = max(0, min(n, int(k)))
    mask = np.zeros(n, dtype=bool)
    if k == 0:
        return mask
    if weights is None:
        mask[rng.choice(n, size=k, replace=False)] = True
    else:
        # Efraimidis-Spirakis: weighted sampling without replacement via keys u^(1/w).
        keys = rng.random(n) ** (1.0 / np.maximum(weights, 1e-9))
        mask[np.argpartition(-keys, k - 1)[:k]] = True
    return mask


def exact_categories(rng: np.random.Generator, n: int, shares: Mapping[str, float]) -> np.ndarray:
    """n labels whose counts match the shares as closely as whole numbers allow (largest remainder)."""
    labels = list(shares)
    raw = np.array([shares[x] for x in labels], dtype=float)
    raw = raw / raw.sum() * n
    counts = np.floor(raw).astype(int)
    short = n - counts.sum()
    counts[np.argsort(-(raw - counts), kind="stable")[:short]] += 1
    out = np.repeat(np.array(labels, dtype=object), counts)
    rng.shuffle(out)
    return out


def pick(rng: np.random.Generator, n: int, shares: Mapping[str, float]) -> np.ndarray:
    """n labels drawn independently with the given weights (for figures no paper fixes)."""
    labels = np.array(list(shares), dtype=object)
    p = np.array(list(shares.values()), dtype=float)
    return labels[rng.choice(len(labels), size=n, p=p / p.sum())]


def random_dates(rng: np.random.Generator, n: int, start: np.datetime64, end: np.datetime64) -> np.ndarray:
    span = int((end - start).astype(int)) + 1
    return start + rng.integers(0, span, size=n).astype("timedelta64[D]")


def month_keys(dates: np.ndarray) -> np.ndarray:
    months = dates.astype("datetime64[M]").astype(int)
    lo = int(months.min()) if len(months) else 0
    lut = np.array([str(np.datetime64(m, "M")) for m in range(lo, int(months.max()) + 1)] if len(months) else [])
    return lut[months - lo] if len(months) else np.array([], dtype=object)


def quarter_keys(dates: np.ndarray) -> np.ndarray:
    months = dates.astype("datetime64[M]").astype(int)
    if not len(months):
        return np.array([], dtype=object)
    lo = int(months.min())
    lut = np.array([f"{1970 + m // 12}Q{m % 12 // 3 + 1}" for m in range(lo, int(months.max()) + 1)])
    return lut[months - lo]


def iso(dates: np.ndarray) -> list[str | None]:
    """datetime64 -> ISO strings, NaT -> None, ready for the bulk loader."""
    # Each day is formatted once and every row holds a reference to that one string: at province scale a string
    # per row took a fifth of the generation's time and hundreds of MB (a request's history has 1.6 million).
    days = np.asarray(dates).astype("datetime64[D]")
    nat = np.isnat(days)
    if nat.all():
        return [None] * len(days)
    num = days.astype(np.int64)
    lo, hi = int(num[~nat].min()), int(num[~nat].max())
    lut = np.datetime_as_string(np.arange(lo, hi + 1).astype("datetime64[D]"), unit="D").astype(object)
    out = lut[np.where(nat, lo, num) - lo]
    out[nat] = None
    return out.tolist()


def shared(values: np.ndarray) -> np.ndarray:
    """The same strings (or None), as an object array where equal values are one object: a history column built
    from the steps' label arrays held a new string per row, 100 MB a column at province scale."""
    pool: dict[Any, Any] = {}
    keep = pool.setdefault            # (pandas.factorize is quicker, but importing pandas costs the seed 100 MB)
    out = np.empty(len(values), dtype=object)
    out[:] = [keep(v, v) for v in np.asarray(values).tolist()]
    return out


def stamps(dates: np.ndarray, rng: np.random.Generator) -> list[str | None]:
    """A working-hours UTC timestamp on each date (09:00-18:00 Beijing time is 01:00-10:00 UTC)."""
    secs = rng.integers(3600, 36000, size=len(dates))
    return stamp_text(dates.astype("datetime64[s]") + secs.astype("timedelta64[s]"))


_CLOCK = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000000" for s in range(86_400)]


def stamp_text(moments: np.ndarray) -> list[str | None]:
    """datetime64 seconds -> 'YYYY-MM-DD HH:MM:SS.000000' (NaT -> None), as the bulk loader takes timestamps. The
    day and the time of day are each formatted once and joined: numpy formatting each of 1.6 million moments took
    seconds."""
    moments = moments.astype("datetime64[s]")
    days = moments.astype("datetime64[D]")
    nat = np.isnat(moments)
    secs = np.where(nat, 0, (moments - days.astype("datetime64[s]")).astype(np.int64)).tolist()
    return [None if d is None else f"{d} {_CLOCK[s]}" for d, s in zip(iso(days), secs, strict=True)]


SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁"
                "任沈姚卢")
GIVEN = list("秀英华玉兰芳娟敏静丽艳红霞梅琴云莲桂珍凤洁婷雪伟强磊军勇杰涛明超刚平辉鹏斌宇浩凯健俊帆")


def names(rng: np.random.Generator, n: int) -> list[str]:
    s = rng.integers(0, len(SURNAMES), size=n)
    g1 = rng.integers(0, len(GIVEN), size=n)
    g2 = rng.integers(0, len(GIVEN), size=n)
    two = rng.random(n) < 0.7
    return [SURNAMES[a] + GIVEN[b] + (GIVEN[c] if t else "") for a, b, c, t in zip(s, g1, g2, two, strict=True)]


def phones(rng: np.random.Generator, n: int) -> list[str]:
    prefix = rng.choice([133, 135, 136, 138, 139, 150, 151, 158, 177, 182, 187, 189, 199], size=n)
    rest = rng.integers(0, 100_000_000, size=n)
    return [f"{p}{r:08d}" for p, r in zip(prefix, rest, strict=True)]


def codes(prefix: str, n: int, start: int = 1) -> list[str]:
    width = max(5, len(str(n + start)))
    form = f"{prefix}%0{width}d"
    return [form % i for i in range(start, start + n)]


def to_date(d: np.datetime64) -> dt.date:
    return dt.date.fromisoformat(str(d.astype("datetime64[D]")))


Columns = dict[str, Any]  # column name -> list or array, all the same length
