"""Money as integer minor units plus a currency code; never floats.

Prices arrive as decimal text (`12.50`) and are parsed exactly; formatting
follows the currency's decimals and symbol, or the shop's own format.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

#: ISO 4217 code -> (minor-unit digits, symbol). Extend as shops need.
CURRENCIES: dict[str, tuple[int, str]] = {
    "EUR": (2, "€"), "USD": (2, "$"), "GBP": (2, "£"), "CHF": (2, "CHF "), "SEK": (2, "kr "),
    "NOK": (2, "kr "), "DKK": (2, "kr "), "PLN": (2, "zł "), "CZK": (2, "Kč "), "HUF": (2, "Ft "),
    "RON": (2, "lei "), "TRY": (2, "₺"), "MXN": (2, "MX$"), "BRL": (2, "R$"), "ARS": (2, "AR$"),
    "COP": (2, "COL$"), "CLP": (0, "CLP$"), "PEN": (2, "S/ "), "CAD": (2, "CA$"), "AUD": (2, "A$"),
    "NZD": (2, "NZ$"), "INR": (2, "₹"), "PKR": (2, "Rs "), "IDR": (2, "Rp "), "MYR": (2, "RM "),
    "SGD": (2, "S$"), "PHP": (2, "₱"), "THB": (2, "฿"), "VND": (0, "₫"), "JPY": (0, "¥"),
    "KRW": (0, "₩"), "CNY": (2, "CN¥"), "HKD": (2, "HK$"), "ZAR": (2, "R "), "NGN": (2, "₦"),
    "KES": (2, "KSh "), "GHS": (2, "GH₵"), "EGP": (2, "E£"), "MAD": (2, "MAD "), "TND": (3, "DT "),
    "SAR": (2, "SAR "), "AED": (2, "AED "), "QAR": (2, "QAR "), "KWD": (3, "KWD "), "BHD": (3, "BHD "),
    "OMR": (3, "OMR "), "JOD": (3, "JOD "), "ILS": (2, "₪"), "LBP": (2, "LBP "),
}


class MoneyError(ValueError):
    """A price that cannot be read exactly in its currency."""


def digits(currency: str) -> int:
    return CURRENCIES[currency][0]


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


def format_money(minor: int, currency: str, pattern: str | None = None, decimal_sep: str = ".") -> str:
    """1250, 'EUR' -> '€12.50'. `pattern` may be e.g. '{amount} €' with decimal_sep ','."""
    places, symbol = CURRENCIES.get(currency, (2, currency + " "))
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10 ** places) if places else (abs(minor), 0)
    amount = f"{whole:,}".replace(",", "\u202f" if decimal_sep == "," else ",")
    if places:
        amount += decimal_sep + f"{frac:0{places}d}"
    if pattern:
        return sign + pattern.format(amount=amount, symbol=symbol.strip(), code=currency)
    return f"{sign}{symbol}{amount}"
