import pytest

from bot.commerce.money import MoneyError, format_money, parse


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


def test_format():
    assert format_money(1250, "EUR") == "€12.50"
    assert format_money(123456789, "EUR", "{amount} €", ",") == "1\u202f234\u202f567,89 €"
    assert format_money(1500, "JPY") == "¥1,500"
    assert format_money(-990, "USD") == "-$9.90"
