"""现场录入: the words and the table the capture section shows (app_pages/live_capture.py)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.i18n import t
from dashboard.privacy import mask_text
from dashboard.services.capture import Captured
from data_models.enums import RequestCategory, RequestPriority

SHANGHAI = ZoneInfo("Asia/Shanghai")
COLUMNS = ("code", "time", "category", "description", "resident", "urgency", "who")


def category_options() -> dict[str, str]:
    """Each category numbered from 1, so typing its digit and Enter chooses it: no input method needed for Chinese."""
    return {m.value: f"{n} {t(f'enum.RequestCategory.{m.value}')}" for n, m in enumerate(RequestCategory, start=1)}


def urgency_options() -> dict[str, str]:
    return {m.value: t(f"enum.RequestPriority.{m.value}") for m in RequestPriority}


def clock(moment: dt.datetime | None) -> str:
    return "" if moment is None else moment.astimezone(SHANGHAI).strftime("%H:%M:%S")


def recent_frame(items: list[Captured], *, personal: bool) -> pd.DataFrame:
    """The recent captures, newest first, with headers in the user's language. Without `personal` the resident and
    the description have their personal data masked, as in an export."""
    hide = (lambda v: v) if personal else mask_text
    rows = [(c.code, clock(c.raised_at), t(f"enum.RequestCategory.{c.category}"), hide(c.description),
             hide(c.resident), t(f"enum.RequestPriority.{c.priority}"), c.who) for c in items]
    return pd.DataFrame(rows, columns=[t(f"live.capture.col_{k}") for k in COLUMNS])
