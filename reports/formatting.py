"""Locale-aware formatting of numbers, shares and dates with Babel, for templates and charts.

German reports use ``de_DE`` (``1.234,5``, ``24.11.2026``), English ones ``en_GB``
(``1,234.5``, ``24 November 2026``). A suppressed cell is never formatted: it reads
"weniger als 5" / "fewer than 5".
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.numbers import format_decimal as babel_format_decimal
from babel.numbers import format_percent as babel_format_percent

from reports.labels import TEXT

__all__ = [
    "LOCALES",
    "CellLike",
    "format_cell_ci",
    "format_cell_n",
    "format_cell_value",
    "format_count",
    "format_date",
    "format_datetime",
    "format_metric",
    "format_month",
    "format_number",
    "format_share",
    "is_missing",
]

LOCALES: dict[str, str] = {"de": "de_DE", "en": "en_GB"}
"""Babel locale of each report language."""

NO_DATA = "—"
_PERCENT = {"de": "#,##0.0\u00a0%", "en": "#,##0.0%"}
_BERLIN = ZoneInfo("Europe/Berlin")


class CellLike(Protocol):
    """What the cell formatters read from a metric cell."""

    kind: str
    signed: bool
    value: float | None
    n: int | None
    ci_low: float | None
    ci_high: float | None
    suppressed: bool


def is_missing(value: Any) -> bool:
    """True for None and NaN, which both mean "no data"."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_number(value: float | None, lang: str, digits: int = 1, signed: bool = False) -> str:
    """A decimal number with ``digits`` decimals in the report's locale (``1.234,5``)."""
    if is_missing(value):
        return NO_DATA
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    if signed and round(value, digits) != 0:
        pattern = f"+{pattern};-{pattern}"
    elif round(value, digits) == 0:
        value = 0.0
    return babel_format_decimal(value, format=pattern, locale=LOCALES[lang])


def format_count(value: float | None, lang: str) -> str:
    """A whole count with thousands separators (``1.234``)."""
    if is_missing(value):
        return NO_DATA
    return babel_format_decimal(round(value), format="#,##0", locale=LOCALES[lang])


def format_share(value: float | None, lang: str) -> str:
    """A share 0..1 as a percentage with one decimal (``45,7 %`` / ``45.7%``)."""
    if is_missing(value):
        return NO_DATA
    return babel_format_percent(value, format=_PERCENT[lang], locale=LOCALES[lang])


def format_metric(value: float | None, kind: str, lang: str, signed: bool = False) -> str:
    """A metric value formatted by its unit kind (count, share, mean, days, score, survival)."""
    if is_missing(value):
        return NO_DATA
    if kind == "count":
        return format_count(value, lang)
    if kind in ("share", "survival"):
        return format_share(value, lang)
    if kind == "days":
        return f"{format_number(value, lang, 1)}\u00a0{TEXT[lang]['days_unit']}"
    return format_number(value, lang, 2, signed)


def format_date(value: date | None, lang: str) -> str:
    """A calendar date: ``24.11.2026`` in German, ``24 November 2026`` in English."""
    if value is None:
        return NO_DATA
    pattern = "dd.MM.yyyy" if lang == "de" else "d MMMM yyyy"
    return babel_format_date(value, pattern, locale=LOCALES[lang])


def format_month(value: date, lang: str, short: bool = False) -> str:
    """A month: ``März 2026`` (or ``März 26`` short) / ``March 2026``."""
    return babel_format_date(value, "MMM yy" if short else "MMMM yyyy", locale=LOCALES[lang])


def format_datetime(value: datetime | None, lang: str) -> str:
    """A timestamp as a Berlin wall-clock date and time (aware times are converted)."""
    if value is None:
        return NO_DATA
    aware = value.tzinfo is not None
    if aware:
        value = value.astimezone(_BERLIN)
    suffix = " Uhr" if lang == "de" else (" Berlin time" if aware else "")
    return f"{format_date(value.date(), lang)}, {value.strftime('%H:%M')}{suffix}"


def format_cell_value(cell: CellLike, lang: str) -> str:
    """The value of a metric cell; "fewer than 5" when suppressed, "—" when there is no data."""
    if cell.suppressed:
        return TEXT[lang]["fewer_than_5"]
    return format_metric(cell.value, cell.kind, lang, cell.signed)


def format_cell_ci(cell: CellLike, lang: str) -> str:
    """The 95% CI of a cell as ``[a; b]`` (de) or ``[a, b]`` (en); empty when there is none."""
    if cell.suppressed or is_missing(cell.ci_low) or is_missing(cell.ci_high):
        return ""
    low = format_metric(cell.ci_low, cell.kind, lang, cell.signed)
    high = format_metric(cell.ci_high, cell.kind, lang, cell.signed)
    return f"[{low}; {high}]" if lang == "de" else f"[{low}, {high}]"


def format_cell_n(cell: CellLike, lang: str) -> str:
    """The number of units behind a cell; empty when suppressed."""
    if cell.suppressed or cell.n is None:
        return ""
    return format_count(cell.n, lang)
