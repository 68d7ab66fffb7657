"""Money as integer minor units plus a currency code; never floats.

Prices arrive as decimal text (`12.50`) and are parsed exactly; `formats`
writes them as the customer's locale does.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

#: ISO 4217 code -> its minor-unit digits. Extend as shops need; Babel writes the symbols.
CURRENCIES: dict[str, int] = {
    "EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2, "CZK": 2, "HUF": 2,
    "RON": 2, "TRY": 2, "MXN": 2, "BRL": 2, "ARS": 2, "COP": 2, "CLP": 0, "PEN": 2, "CAD": 2, "AUD": 2,
    "NZD": 2, "INR": 2, "PKR": 2, "IDR": 2, "MYR": 2, "SGD": 2, "PHP": 2, "THB": 2, "VND": 0, "JPY": 0,
    "KRW": 0, "CNY": 2, "HKD": 2, "ZAR": 2, "NGN": 2, "KES": 2, "GHS": 2, "EGP": 2, "MAD": 2, "TND": 3,
    "SAR": 2, "AED": 2, "QAR": 2, "KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "ILS": 2, "LBP": 2,
}


class MoneyError(ValueError):
    """A price that cannot be read exactly in its currency."""


def digits(currency: str) -> int:
    return CURRENCIES[currency]


def parse(text: str, currency: str) -> int:
    """'12.50' in EUR -> 1250. Raises MoneyError for malformed or too precise amounts."""
    raw = str(text).strip().replace(" ", "")
    if "," in raw and "." not in raw:
        raw = raw.replace(",", ".")  # 12,50 as written in much of Europe
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise MoneyError(f"price {text!r} is not a number (write it like 12.50)") from None
    if not amount.is_finite():
        raise MoneyError(f"price {text!r} is not a number (write it like 12.50)")
    scaled = amount.scaleb(digits(currency))
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"price {text!r} has more decimals than {currency} allows ({digits(currency)})")
    return int(scaled)
