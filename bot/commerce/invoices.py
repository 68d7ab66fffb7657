"""Invoices: numbered from a gap-free sequence, rendered as PDF or taken from the shop's system.

The bot never replaces the shop's invoicing: with `source: external` in
`flows/invoice.yaml` it only forwards what the invoicing system posts. The
built-in PDF is for shops without one. A number is taken under a row lock in
the same transaction as the invoice, so a rollback returns it (no gaps) and
two confirmations at once never share one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path

from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.commerce import order_view
from bot.content.shop import Content
from bot.conversation.messages import Document
from bot.db import insert_ignore
from bot.errors import Unprocessable
from bot.models import Customer, Invoice, Order, OrderLine, Sequence
from bot.whatsapp import outbox

FONTS = Path(__file__).parent.parent / "fonts"
SEQUENCE = "invoice"


def next_number(session: Session, content: Content, now: datetime) -> str:
    """The next invoice number, gap-free: locked, incremented and formatted in this transaction."""
    session.execute(insert_ignore(session, Sequence).values(name=SEQUENCE, last=0))
    sequence = session.scalars(select(Sequence).where(Sequence.name == SEQUENCE).with_for_update()
                               .execution_options(populate_existing=True)).one()
    sequence.last += 1
    session.flush()
    return content.invoice.number_format.format(year=now.year, number=sequence.last)


def tax_included(total: int, rate: Decimal) -> int:
    """The tax inside a tax-inclusive amount, rounded half up to the minor unit."""
    return int((Decimal(total) * rate / (Decimal(100) + rate)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def render_pdf(content: Content, order: Order, lines: list[OrderLine], number: str, issued: datetime) -> bytes:
    """An A4 invoice: seller, customer, lines, tax, totals and the order reference."""
    settings, money = content.invoice, (lambda minor: order_view.money(content, minor, order.currency))
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(f"Invoice {number}")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(0, 10, settings.seller.get("name", content.shop.get("name", "")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    for key in ("address", "tax_id", "email"):
        if settings.seller.get(key):
            prefix = "Tax ID: " if key == "tax_id" else ""
            pdf.cell(0, 5, prefix + settings.seller[key], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("DejaVu", "B", 13)
    pdf.cell(0, 8, f"Invoice {number}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 6, f"Date: {issued.strftime('%Y-%m-%d')}    Order: {order.reference}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(0, 6, "Bill to", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    for value in (order.customer_name, f"+{order.phone}" if order.phone else None, order.address):
        if value:
            pdf.multi_cell(0, 5, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    with pdf.table(col_widths=(90, 20, 35, 35), text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT"),
                   line_height=7, first_row_as_headings=True) as table:
        table.row(["Item", "Qty", "Unit price", "Amount"])
        for line in lines:
            name = line.name + (f" ({line.options})" if line.options else "")
            table.row([name, str(line.quantity), money(line.unit_price), money(line.total)])
        if order.shipping_fee:
            fee = money(order.shipping_fee)
            table.row([f"Delivery: {order.delivery_title or ''}", "1", fee, fee])
    pdf.ln(4)
    tax = tax_included(order.total, settings.tax_rate)
    rate = f"{settings.tax_rate.normalize():f}"
    rows = [("Subtotal", money(order.subtotal)), ("Delivery", money(order.shipping_fee)),
            ("Net amount", money(order.total - tax)), (f"{settings.tax_name} {rate}% (included)", money(tax)),
            ("Total", money(order.total))]
    for label, value in rows:
        pdf.set_font("DejaVu", "B" if label == "Total" else "", 11 if label == "Total" else 10)
        pdf.cell(145, 7, label, align="R")
        pdf.cell(35, 7, value, align="R", new_x="LMARGIN", new_y="NEXT")
    if settings.footer:
        pdf.ln(8)
        pdf.set_font("DejaVu", "", 8)
        pdf.multi_cell(0, 4, settings.footer)
    return bytes(pdf.output())


def create_builtin(session: Session, content: Content, order: Order, now: datetime) -> Invoice | None:
    """The order's invoice as a PDF, once; None if the shop uses its own invoicing."""
    if content.invoice.source != "builtin":
        return None
    existing = session.scalars(select(Invoice).where(Invoice.order_id == order.id)).first()
    if existing is not None:
        return None
    number = next_number(session, content, now)
    lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)).all()
    invoice = Invoice(order_id=order.id, number=number, source="builtin", filename=f"invoice-{number}.pdf",
                      pdf=render_pdf(content, order, list(lines), number, now), created_at=now)
    session.add(invoice)
    session.flush()
    return invoice


class Received(StrEnum):
    """What became of an invoice the shop's invoicing system sent."""

    STORED = "stored"
    ALREADY_INVOICED = "already invoiced"  # the order has an invoice
    NUMBER_TAKEN = "number taken"  # another order's invoice has this number


@dataclass(frozen=True)
class Receipt:
    result: Received
    queued_for_customer: bool = False


def receive_external(session: Session, content: Content, order: Order, now: datetime, *, number: str | None,
                     url: str | None, pdf: bytes | None, filename: str) -> Receipt:
    """Store the invoice the shop's own system made (a link or a PDF) and queue it for the customer.

    One invoice per order, and invoice numbers are unique. Raises Unprocessable
    for a body that is not a PDF. Never commits.
    """
    if pdf is not None and not pdf.startswith(b"%PDF"):
        raise Unprocessable("the invoice is not a PDF (it does not start with %PDF)", [], field="pdf")
    if session.scalars(select(Invoice.id).where(Invoice.order_id == order.id)).first() is not None:
        return Receipt(Received.ALREADY_INVOICED)
    if number is not None and session.scalars(select(Invoice.id).where(Invoice.number == number)).first():
        return Receipt(Received.NUMBER_TAKEN)
    invoice = Invoice(order_id=order.id, number=number, source="external", url=url, pdf=pdf, filename=filename,
                      created_at=now)
    session.add(invoice)
    session.flush()
    if order.customer_id is None:
        return Receipt(Received.STORED)
    outbox.enqueue(session, session.get_one(Customer, order.customer_id),
                   [document_message(content, invoice, order)], now, cause=f"invoice:{order.reference}")
    return Receipt(Received.STORED, queued_for_customer=True)


def document_message(content: Content, invoice: Invoice, order: Order, lang: str | None = None) -> Document:
    caption = content.render("invoice_caption", lang, customer={"name": order.customer_name},
                             number=invoice.number or "", reference=order.reference)
    if invoice.pdf is not None:
        return Document(invoice.filename, caption, invoice_id=invoice.id)
    return Document(invoice.filename, caption, url=invoice.url)
