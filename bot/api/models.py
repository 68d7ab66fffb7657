"""Every /api request and response, declared once as pydantic models.

The views validate with these models (bot/web_input.validate) and the OpenAPI
document at /api/openapi.json is generated from them (bot/api/contract.py), so
what is checked and what is documented cannot drift. Lengths come from the
database columns that store the values. Extra properties in a body are ignored.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)

from bot.commerce.cart import MAX_QUANTITY
from bot.commerce.customers import PHONE_PATTERN, PHONE_RULE, phone_digits
from bot.models import CarrierEvent, Invoice, Order
from bot.web_input import FieldProblem

#: The longest value of each column a request field ends up in.
LENGTH = {"reference": Order.reference.type.length, "carrier": CarrierEvent.carrier.type.length,
          "tracking_number": CarrierEvent.tracking_number.type.length, "code": CarrierEvent.code.type.length,
          "event_id": CarrierEvent.event_id.type.length, "number": Invoice.number.type.length,
          "filename": Invoice.filename.type.length}
#: A carrier event's time: RFC 3339, years 1971 to 9998 so that it can be shown in any timezone.
EVENT_TIME = (r"^(19[7-9][1-9]|19[89]0|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-"
              r"(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
              r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$")
#: Standard base64 without line breaks.
BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


def _whole(value: Any) -> Any:
    """1.0 is the integer 1 in JSON (and in JSON Schema); 1.5, "1" and true stay what they are."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


#: An integer as JSON Schema counts them: 2 and 2.0, never "2" or true.
WholeNumber = Annotated[StrictInt, BeforeValidator(_whole)]


def Text(limit: int, *, min_length: int = 1, required: bool = False, **extra: Any) -> Any:
    """A text field of 1 (or `min_length`) to `limit` characters; optional (None) unless `required`."""
    if not required:
        extra["default"] = None
    return Field(min_length=min_length, max_length=limit, **extra)


class Body(BaseModel):
    """A request body: unknown properties are ignored, numbers are never read from strings."""

    model_config = ConfigDict(extra="ignore")


class Reply(BaseModel):
    """A response body."""


# -- errors -----------------------------------------------------------------------------------------

class Error(Reply):
    """Every error: `field` names the bad input (`items[0].sku`), `details` say what cannot be fulfilled."""

    error: str
    field: str | None = None
    details: list[dict[str, Any]] | None = None
    current: str | None = Field(None, description="the order's status, when a status change is refused")


# -- orders from the website ------------------------------------------------------------------------

class CartItem(Body):
    """A line of the website's cart: a SKU, or a product and its options."""

    model_config = ConfigDict(json_schema_extra={"anyOf": [{"required": ["sku"]}, {"required": ["product_id"]}]})

    # not nullable: {"sku": null} would satisfy `required` in the document and name nothing
    sku: str = Text(64, examples=["TEE-RED-M"])
    product_id: str = Text(64, examples=["organic-tee"])
    options: dict[str, str] = Field(default_factory=dict, examples=[{"size": "M", "colour": "Red"}])
    quantity: WholeNumber = Field(1, ge=1, le=MAX_QUANTITY,
                                  description=f"at most {MAX_QUANTITY} of one SKU per order, summed over the lines")

    @model_validator(mode="after")
    def _names_a_product(self) -> CartItem:
        if self.sku is None and self.product_id is None:
            raise FieldProblem("sku", "give a sku, or a product_id with options")
        return self


class CustomerIn(Body):
    name: str | None = Text(120, min_length=0)
    phone: str | None = Field(None, pattern=r"^\+?[0-9 ()-]{6,20}$", examples=["+34 600 111 222"])


class OrderIn(Body):
    """The website's cart; delivery and payment are ids of the shop's options (flows/checkout.yaml)."""

    items: list[CartItem] = Field(min_length=1, max_length=50)
    customer: CustomerIn | None = None
    delivery: str | None = Text(64, examples=["madrid"])
    payment: str | None = Text(64, examples=["online"])
    address: str | None = Text(500, min_length=0)
    note: str | None = Text(500, min_length=0)
    source: str | None = Text(32, min_length=0, examples=["website"])


class OrderLineOut(Reply):
    sku: str
    name: str
    options: str | None
    quantity: int
    unit_price: int
    total: int


class CustomerOut(Reply):
    name: str | None
    phone: str | None


class OrderOut(Reply):
    """An order; amounts are integer minor units (cents)."""

    reference: str = Field(examples=["SHP-7K3F9"])
    status: str = Field(description="where it is: pending, confirmed, prepared, shipped, out_for_delivery, "
                                    "delivered or cancelled")
    payment_status: str = Field(description="whether it is paid: unpaid, cash_on_delivery, paid or refunded")
    source: str
    currency: str
    subtotal: int
    shipping_fee: int
    total: int = Field(description="minor units (cents)")
    customer: CustomerOut
    delivery: str | None
    payment: str | None
    items: list[OrderLineOut]
    created_at: str
    expires_at: str | None
    confirmed_by_customer: bool
    amounts_in: str


class CreatedOrderOut(OrderOut):
    """A new website order and the wa.me link that brings the customer to confirm it."""

    whatsapp_url: str = Field(json_schema_extra={"format": "uri"})


# -- after the order ----------------------------------------------------------------------------------

class StatusIn(Body):
    status: str = Text(32, examples=["confirmed", "shipped", "paid"], required=True,
                       description="a status, or a payment status (paid, cash_on_delivery, refunded)")
    carrier: str | None = Text(LENGTH["carrier"], examples=["seur"])
    tracking_number: str | None = Text(LENGTH["tracking_number"])
    note: str | None = Text(500, min_length=0)


class StatusOut(Reply):
    reference: str
    status: str
    payment_status: str


def _event_time(value: str) -> str:
    """A time the pattern lets through must also be a day of the calendar (no 31 February)."""
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("must be an RFC 3339 time like 2026-11-24T10:00:00Z") from None
    return value


class ShipmentEventIn(Body):
    """A carrier's tracking event; `time` without a zone is UTC."""

    carrier: str = Text(LENGTH["carrier"], examples=["seur"], required=True)
    tracking_number: str = Text(LENGTH["tracking_number"], required=True)
    code: str = Text(LENGTH["code"], examples=["DELIVERED"], required=True)
    time: Annotated[str, AfterValidator(_event_time)] = Field(
        pattern=EVENT_TIME, json_schema_extra={"format": "date-time"},
        description="RFC 3339 with its zone, between the years 1971 and 9998, like 2026-11-24T10:00:00Z")
    event_id: str = Text(LENGTH["event_id"], required=True)

    @property
    def when(self) -> datetime:
        """`time` as an aware UTC datetime."""
        return datetime.fromisoformat(self.time.replace("Z", "+00:00")).astimezone(UTC)


class ShipmentEventOut(Reply):
    result: Literal["applied", "stale", "handed to staff", "held", "duplicate", "unknown carrier", "unknown code",
                    "not shippable"]
    event_id: str
    status: str | None = None
    known: list[str] | None = None
    detail: str | None = None


class InvoiceIn(Body):
    """An invoice from the shop's invoicing system: a link to it, or the PDF itself as base64."""

    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["url"]}, {"required": ["pdf_base64"]}]})

    number: str | None = Text(LENGTH["number"])
    # not nullable: {"url": null} would satisfy `required` in the document and give no invoice
    url: str = Text(2000, pattern=r"^https://", examples=["https://invoices.example/F-2026-118.pdf"])
    pdf_base64: str = Field(None, pattern=BASE64)  # type: ignore[assignment]
    filename: str | None = Text(LENGTH["filename"])

    @model_validator(mode="after")
    def _one_document(self) -> InvoiceIn:
        if (self.url is None) == (self.pdf_base64 is None):
            raise FieldProblem("url", "give either url or pdf_base64")
        return self


class InvoiceQuery(Body):
    """The fields of an invoice sent as a raw PDF body (Content-Type: application/pdf)."""

    number: str | None = Text(LENGTH["number"])
    filename: str | None = Text(LENGTH["filename"])


class InvoiceOut(Reply):
    reference: str
    invoice: str | None
    queued_for_customer: bool


class PaymentOut(Reply):
    result: Literal["paid", "already recorded", "failed payment handed to staff", "ignored"]
    reference: str | None = None
    reason: str | None = None


# -- click-to-chat links ------------------------------------------------------------------------------

class LinkQuery(Body):
    product: str | None = Field(None, examples=["linen-shirt"])
    source: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{0,32}$", examples=["instagram"],
                               description="where the link is shared: up to 32 letters, digits, - or _")


class QrPath(Body):
    kind: Literal["png", "svg"]


class LinkOut(Reply):
    url: str
    text: str
    qr_png: str
    qr_svg: str



# -- marketing consent --------------------------------------------------------------------------------

class OptInIn(Body):
    """A customer's answer to marketing messages, given on the shop's website (or a list it imported)."""

    # the pattern is documented and checked by the validator, which says what is wrong in plain words
    phone: str = Field(json_schema_extra={"pattern": PHONE_PATTERN}, examples=["+34 600 111 222"],
                       description="the WhatsApp number with its country code")
    source: Literal["website", "checkout", "import"] = Field(
        "website", description="where the customer answered: a form on the website, the website's checkout, "
                               "or a list the shop imported")
    opted_in: StrictBool = Field(True, description="true: opted in to marketing messages; false: opted out")

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        digits = phone_digits(value)
        if digits is None:
            raise ValueError(PHONE_RULE)
        return digits


class ConsentOut(Reply):
    """The customer's marketing consent after the request."""

    phone: str = Field(description="digits only, as WhatsApp names the customer")
    opted_in: bool
    since: str = Field(json_schema_extra={"format": "date-time"}, description="when this answer was first given")
    source: str = Field(description="where it was given: chat, checkout, website, import, stop or start")
    changed: bool = Field(description="false when the customer had already given this answer (nothing recorded)")
