"""Reading what happens after an order: `flows/carriers.yaml`, `flows/notifications.yaml`
and `flows/invoice.yaml`."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ruamel.yaml.comments import CommentedMap

from bot.content.problems import Problem, did_you_mean
from bot.content.templates_file import TemplateCatalogue, TemplateUse, resolve_use
from bot.content.yamlfile import line_of, load_yaml
from bot.models import OrderStatus, PaymentStatus

#: What an order can become: its statuses and its payment statuses (customers hear of either).
STATUSES = tuple(s.value for s in OrderStatus) + tuple(s.value for s in PaymentStatus if s != PaymentStatus.UNPAID)
TRACKED = ("shipped", "out_for_delivery", "delivered")
#: A carrier code mapped to this is an incident (damaged, lost, returned): a person takes the customer's chat.
PROBLEM = "problem"
SAMPLE_ORDER = {"reference": "SHP-7K3F9", "name": "Sam", "total": "€36.90", "carrier": "SEUR",
                "tracking_number": "ES123", "tracking_url": "https://track.example/ES123", "eta": "tomorrow",
                "status": "shipped"}


@dataclass(frozen=True)
class Carrier:
    id: str
    name: str
    tracking_url: str
    codes: dict[str, str]  # carrier code -> order status

    def url_for(self, tracking: str) -> str:
        return self.tracking_url.replace("{tracking}", tracking)


@dataclass(frozen=True)
class Notifications:
    notify: frozenset[str] = frozenset()
    templates: dict[str, TemplateUse] = field(default_factory=dict)
    #: Changes within this many seconds of the first reach the customer as one message (the latest).
    combine_within_seconds: int = 60


@dataclass(frozen=True)
class InvoiceSettings:
    source: str = "builtin"
    send_on: str = "confirmed"
    number_format: str = "{year}-{number:05d}"
    tax_rate: Decimal = Decimal("0")
    tax_name: str = "VAT"
    seller: dict = field(default_factory=dict)
    footer: str = ""


def _status(value, rel, line, problems, allowed=STATUSES) -> str | None:
    if value not in allowed:
        problems.append(Problem(rel, line, f"unknown status `{value}`{did_you_mean(str(value), allowed)}; "
                                           f"use one of {', '.join(allowed)}"))
        return None
    return value


def load_carriers(root: Path, problems: list[Problem]) -> dict[str, Carrier]:
    rel = "flows/carriers.yaml"
    if not (root / rel).exists():
        return {}
    data = load_yaml(root / rel, rel, problems)
    carriers = {}
    listed = (data.get("carriers") if data else None) or {}
    for carrier_id, spec in listed.items():
        line = line_of(listed, carrier_id)
        if not isinstance(spec, CommentedMap):
            problems.append(Problem(rel, line, f"carrier `{carrier_id}` needs name, tracking_url and codes"))
            continue
        url = str(spec.get("tracking_url", ""))
        if not url.startswith("https://") or "{tracking}" not in url:
            problems.append(Problem(rel, line_of(spec, "tracking_url") if "tracking_url" in spec else line,
                                    "tracking_url must start with https:// and contain {tracking}"))
            continue
        codes = {}
        for code, status in (spec.get("codes") or {}).items():
            mapped = _status(status, rel, line_of(spec["codes"], code), problems, (*TRACKED, PROBLEM))
            if mapped:
                codes[str(code).upper()] = mapped
        carriers[str(carrier_id)] = Carrier(str(carrier_id), str(spec.get("name") or carrier_id), url, codes)
    return carriers


def load_notifications(root: Path, problems: list[Problem], compile_text, catalogue: TemplateCatalogue,
                       default_language: str) -> Notifications:
    """Which changes customers hear about, and the template (checked against flows/templates.yaml) for each."""
    rel = "flows/notifications.yaml"
    if not (root / rel).exists():
        return Notifications()
    data = load_yaml(root / rel, rel, problems)
    if data is None:
        return Notifications()
    notify = set()
    for index, status in enumerate(data.get("notify") or []):
        if _status(status, rel, line_of(data["notify"], index), problems):
            notify.add(status)
    templates = {}
    for status, spec in (data.get("templates") or {}).items():
        line = line_of(data["templates"], status)
        if not _status(status, rel, line, problems) or not isinstance(spec, CommentedMap) or not spec.get("name"):
            if isinstance(spec, CommentedMap) and not spec.get("name"):
                problems.append(Problem(rel, line, f"the template for `{status}` needs a `name`"))
            continue
        use = resolve_use(catalogue, rel, spec, default_language, problems, compile_text, {"order": SAMPLE_ORDER})
        if use is not None:
            templates[status] = use
    combine = data.get("combine_within_seconds", Notifications.combine_within_seconds)
    if not isinstance(combine, int) or isinstance(combine, bool) or not 0 <= combine <= 3600:
        problems.append(Problem(rel, line_of(data, "combine_within_seconds"),
                                "combine_within_seconds must be a whole number of seconds from 0 to 3600"))
        combine = Notifications.combine_within_seconds
    return Notifications(frozenset(notify), templates, combine)


def load_invoice(root: Path, problems: list[Problem]) -> InvoiceSettings:
    rel = "flows/invoice.yaml"
    if not (root / rel).exists():
        return InvoiceSettings(source="none")
    data = load_yaml(root / rel, rel, problems)
    if data is None:
        return InvoiceSettings()
    source = str(data.get("source", "builtin"))
    if source not in ("builtin", "external"):
        problems.append(Problem(rel, line_of(data, "source"), "source must be builtin or external"))
    send_on = str(data.get("send_on", "confirmed"))
    if send_on not in ("confirmed", "paid"):
        problems.append(Problem(rel, line_of(data, "send_on"), "send_on must be confirmed or paid"))
    try:
        rate = Decimal(str(data.get("tax_rate", "0")))
        if not 0 <= rate <= 100:
            raise InvalidOperation
    except InvalidOperation:
        problems.append(Problem(rel, line_of(data, "tax_rate"), "tax_rate must be a percentage from 0 to 100"))
        rate = Decimal("0")
    number_format = str(data.get("number_format", "{year}-{number:05d}"))
    try:
        number_format.format(year=2026, number=1)
        if "{number" not in number_format:
            raise KeyError("number")
    except (KeyError, ValueError, IndexError):
        problems.append(Problem(rel, line_of(data, "number_format"),
                                "number_format may use {year} and must use {number}, e.g. INV-{year}-{number:05d}"))
        number_format = "{year}-{number:05d}"
    seller = {str(k): str(v) for k, v in (data.get("seller") or {}).items()}
    if source == "builtin" and not seller.get("name"):
        problems.append(Problem(rel, line_of(data), "seller.name is required for built-in invoices"))
    return InvoiceSettings(source, send_on, number_format, rate, str(data.get("tax_name", "VAT")), seller,
                           str(data.get("footer", "")))
