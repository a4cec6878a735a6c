"""SQL aggregates, one module per area. Each takes a session and keyword filters and returns small results."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """What the user filtered on: one community (None for all), one quarter (None for all time), and
    optionally one slice of practitioners picked on a composition chart, as (dimension, code)."""

    community_id: int | None = None
    quarter: str | None = None
    drill: tuple[str, str] | None = None


def rate(part: int | None, whole: int | None) -> float | None:
    """A share in 0..1, or None when there is nothing to divide by (shown as «—», never as 0%)."""
    if not whole:
        return None
    return (part or 0) / whole
