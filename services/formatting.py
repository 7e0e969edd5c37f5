"""Localised numbers, MAD amounts and dates (ar_MA, fr_MA, zgh, en) for templates."""
from __future__ import annotations

from datetime import date as date_type
from datetime import datetime

from babel import Locale
from flask_babel import format_currency, format_date, format_datetime, format_decimal, format_percent, get_locale


def mad(amount: int | float | None) -> str:
    """Whole dirhams in the locale's currency pattern, e.g. "1.234.567 د.م." (ar_MA, with right-to-left marks) or "1 234 567 MAD" (fr_MA)."""
    if amount is None:
        return ""
    locale = get_locale() or Locale.parse("ar_MA")
    pattern = locale.currency_formats["standard"].pattern.split(";")[0].replace(".00", "")
    return format_currency(amount, "MAD", format=pattern, currency_digits=False)


def number(value: int | float | None) -> str:
    return "" if value is None else format_decimal(value)


def decimal(value: int | float | None, digits: int = 2) -> str:
    """A number with exactly `digits` decimals in the locale's style, e.g. "3.90" (en), "3,90" (fr_MA)."""
    if value is None:
        return ""
    return format_decimal(value, format="#,##0." + "0" * digits if digits > 0 else "#,##0")


def percent(value: int | float | None) -> str:
    """A share (0–1) as a whole percentage in the locale's style, e.g. "85%" (en), "85 %" (fr_MA)."""
    return "" if value is None else format_percent(value)


def date(value: date_type | datetime | None, fmt: str = "medium") -> str:
    return "" if value is None else format_date(value, fmt)


def datetime_(value: datetime | None, fmt: str = "medium") -> str:
    return "" if value is None else format_datetime(value, fmt)
