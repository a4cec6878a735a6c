"""Every interface string goes through t(); zh-CN is the default, English complete. Enum labels live here too."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from dashboard.i18n import en, zh

LANGUAGES = {"zh": "中文", "en": "English"}
STRINGS: dict[str, dict[str, str]] = {"zh": zh.STRINGS, "en": en.STRINGS}

_language: ContextVar[str] = ContextVar("language", default="zh")


def set_language(lang: str) -> None:
    """Called at the top of every script run (and by the CLI); each Streamlit session runs in its own context."""
    _language.set(lang if lang in STRINGS else "zh")


def get_language() -> str:
    return _language.get()


@contextmanager
def use_language(lang: str) -> Iterator[None]:
    """Speak `lang` inside the block (a text read out in Chinese whatever the page's language), then as before."""
    before = get_language()
    set_language(lang)
    try:
        yield
    finally:
        set_language(before)


def t(key: str, **kwargs: Any) -> str:
    table = STRINGS[get_language()]
    text = table.get(key) or STRINGS["zh"].get(key) or key
    return text.format(**kwargs) if kwargs else text


def relabel(text: object, keys: Sequence[str]) -> str | None:
    """In this run's language, the label of the option among `keys` whose label is `text` in any language; None if
    none. A keyed widget whose options are labels (st.tabs) keeps the label it was left on, in the language it was
    shown in: after a language switch it is given this one, or it falls back to its first option."""
    for table in STRINGS.values():
        for key in keys:
            if table.get(key) == text:
                return t(key)
    return None


def as_label(text: str) -> str:
    """A word used inside sentences (an entity's name, in English lower case) shown on its own, as a choice."""
    return text[:1].upper() + text[1:]


# The tabs whose chosen label follows a language switch (app.py), by their widget key: the labels' keys, in order.
TABS = {"io_tab": ("io.tab_template", "io.tab_import", "io.batch.tab", "io.tab_export"),
        "coop_tab": ("coop.tab_sales", "coop.tab_runs", "coop.tab_statement", "coop.tab_fund")}


def label(value: StrEnum | str, enum: type[StrEnum] | None = None) -> str:
    """The label of an enum code in the current language, e.g. label(Hukou.rural) -> 农业户口."""
    name = (enum or type(value)).__name__
    return t(f"enum.{name}.{value}")


def fmt_int(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def fmt_pct(share: float | None, digits: int = 1) -> str:
    return "—" if share is None else f"{share * 100:.{digits}f}%"


def fmt_yuan(cents: int | None) -> str:
    """Cents to yuan with two decimals, exactly (no float on the way)."""
    if cents is None:
        return "—"
    sign = "-" if cents < 0 else ""
    yuan, fen = divmod(abs(int(cents)), 100)
    return f"{sign}¥{yuan:,}.{fen:02d}"


MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def fmt_month(month: str) -> str:
    """A month key ('2025-07') as the language writes it: 2025年7月, Jul 2025 (no locale, no English default)."""
    year, number = month.split("-")[:2]
    return t("chart.month", year=year, month=int(number), month_name=MONTH_NAMES[int(number) - 1])


def fmt_yuan_short(cents: int | None) -> str:
    """A large amount rounded for a dashboard tile: ¥154.76万 in Chinese, ¥1.55M or ¥154.8k in English.

    Amounts under 10,000 yuan are shown exactly. The exact figure belongs beside it (as the tile's help).
    """
    if cents is None:
        return "—"
    yuan = Decimal(int(cents)) / 100
    sign = "-" if yuan < 0 else ""
    yuan = abs(yuan)
    if yuan < 10_000:
        return fmt_yuan(cents)
    return sign + _rounded(yuan)


def _rounded(yuan: Decimal) -> str:
    """A non-negative amount in 万 (Chinese), or in M or k (English)."""
    if get_language() == "zh":
        return f"¥{(yuan / 10_000).quantize(Decimal('0.01'), ROUND_HALF_UP):,}万"
    if yuan >= 1_000_000:
        return f"¥{(yuan / 1_000_000).quantize(Decimal('0.01'), ROUND_HALF_UP):,}M"
    return f"¥{(yuan / 1_000).quantize(Decimal('0.1'), ROUND_HALF_UP):,}k"


def fmt_yuan_change(cents: int, value_cents: int) -> str:
    """A change beside a tile's value (fmt_yuan_short), signed and rounded as that value is: ¥1.82万 beside +¥0.41万,
    not +¥4,120.00. Both small: exact."""
    if abs(cents) < 1_000_000 and abs(value_cents) < 1_000_000:
        return ("+" if cents > 0 else "") + fmt_yuan(cents)
    return ("+" if cents > 0 else "-") + _rounded(abs(Decimal(int(cents))) / 100)
