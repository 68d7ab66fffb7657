"""Money and moments written as the customer's locale writes them (Babel, from CLDR).

'€16.50' and 'Dec 4, 14:19' in English, '16,50 €' and '4 dic, 14:19' in
Spanish, with Arabic's month names: a shop's numbers should read like its
customer's language, not like the code's.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton
from babel.lists import format_list
from babel.numbers import format_currency

from bot.commerce.money import CURRENCIES


@lru_cache(maxsize=64)
def locale_of(code: str) -> Locale | None:
    """Babel's locale for 'es', 'en_GB' or 'ar-EG'; None when CLDR does not know it."""
    try:
        return Locale.parse(code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return None


@lru_cache(maxsize=4096)
def money(minor: int, currency: str, locale: str) -> str:
    """1650, 'EUR', 'es' -> '16,50 €' (the currency's own decimals, never floats)."""
    places = CURRENCIES.get(currency, 2)
    return format_currency(Decimal(minor).scaleb(-places), currency, locale=locale_of(locale) or "en")


def moment(at: datetime, locale: str) -> str:
    """'4 dic, 14:19': a day and a time in a chat, without the year."""
    where = locale_of(locale) or Locale("en")
    joined = str(where.datetime_formats.get("medium", "{1}, {0}"))  # the locale's own "{date}, {time}"
    return joined.format(format_skeleton("Hm", at, locale=where), format_skeleton("MMMd", at, locale=where))


def either(items: list[str], locale: str) -> str:
    """'*A* or *B*', '*A* o *B*': a choice, joined the locale's way."""
    return format_list(items, style="or", locale=locale_of(locale) or "en") if items else ""
