from datetime import datetime

import pytest

from bot.commerce.formats import moment, money
from bot.commerce.money import MoneyError, parse


@pytest.mark.parametrize("text,currency,minor", [("12.50", "EUR", 1250), ("12,5", "EUR", 1250), ("7", "EUR", 700),
                                                 ("1500", "JPY", 1500), ("2.125", "KWD", 2125), (" 0.10 ", "USD", 10)])
def test_parse_exact(text, currency, minor):
    assert parse(text, currency) == minor


@pytest.mark.parametrize("text,currency,message", [
    ("12.505", "EUR", "has more decimals than EUR allows (2)"), ("twelve", "EUR", "is not a number"),
    ("1.5", "JPY", "more decimals than JPY allows (0)"), ("nan", "EUR", "is not a number")])
def test_parse_refuses(text, currency, message):
    with pytest.raises(MoneyError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(text, currency)


@pytest.mark.parametrize("minor,currency,locale,shown", [
    (1250, "EUR", "en", "€12.50"), (1250, "EUR", "es", "12,50\xa0€"), (123456789, "EUR", "es", "1.234.567,89\xa0€"),
    (1250, "EUR", "ar", "\u200f12.50\xa0€"), (1500, "JPY", "en", "¥1,500"), (2125, "KWD", "en", "KWD2.125"),
    (-990, "USD", "en", "-$9.90"), (1250, "EUR", "xx", "€12.50")])
def test_money_is_written_as_the_locale_writes_it(minor, currency, locale, shown):
    assert money(minor, currency, locale) == shown


@pytest.mark.parametrize("locale,shown", [("en", "Dec 4, 14:19"), ("en_GB", "4 Dec, 14:19"), ("es", "4 dic, 14:19"),
                                          ("ar", "4 ديسمبر، 14:19")])
def test_moments_are_written_as_the_locale_writes_them(locale, shown):
    assert moment(datetime(2026, 12, 4, 14, 19), locale) == shown
