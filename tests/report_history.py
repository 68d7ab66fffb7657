"""A small, hand-made shop history with known answers for the reports (week of Mon 2026-11-16, Madrid).

Madrid is UTC+1 in November, so 00:30 local on the 17th is 23:30 UTC on the
16th: customer B belongs to the 17th, and customer F (00:30 local on the
23rd) falls outside the week although the UTC date is still the 22nd.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from bot.db import transaction
from bot.models import (
    ConversationEvent,
    Customer,
    EventKind,
    EventStatus,
    Handoff,
    InboundEvent,
    Order,
    OrderHistory,
    OrderLine,
    OutboundMessage,
    StaffMember,
)

MADRID = timezone(timedelta(hours=1))
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, second: float = 0) -> datetime:
    """A Madrid wall-clock time in November 2026."""
    return datetime(2026, 11, day, hour, minute, tzinfo=MADRID) + timedelta(seconds=second)


def seed(app) -> None:
    with transaction(app.extensions["shopbot.sessions"]) as s:
        ana = StaffMember(email="bea@shop.example", name="Bea", role="staff", password_hash="x")
        s.add(ana)
        people = {k: Customer(wa_id=f"3460000000{i}", name=f"Customer {k}", created_at=at(1, 9))
                  for i, k in enumerate("ABCDEF")}
        s.add_all(people.values())
        s.flush()
        seq = iter(range(10_000))

        def says(who: str, when: datetime, body: str = "hello"):
            s.add(InboundEvent(external_id=f"wamid.{next(seq)}", kind=EventKind.MESSAGE, field="messages",
                               payload={"message": {"type": "text", "text": {"body": body}}},
                               status=EventStatus.PROCESSED, customer_id=people[who].id, received_at=when))

        def event(who: str, kind: str, when: datetime, detail=None, text=None):
            s.add(ConversationEvent(customer_id=people[who].id, kind=kind, detail=detail, text=text, at=when))

        says("A", at(16, 23, 30))
        says("A", at(18, 10))
        says("B", at(17, 0, 30))  # local day 17, UTC day 16
        says("C", at(16, 19, 45))
        says("D", at(18, 10, 55))
        says("E", at(19, 12))
        says("F", at(23, 0, 30))  # outside the week in Madrid, inside it in UTC
        for who, kinds in {"A": ("product_view", "cart_add", "checkout_start"), "B": ("product_view", "cart_add"),
                           "C": ("product_view", "cart_add", "checkout_start")}.items():
            for kind in kinds:
                event(who, kind, at(17, 12))
        event("A", "faq", at(17, 12), "opening_hours")
        event("A", "faq", at(18, 12), "opening_hours")
        event("B", "faq", at(17, 12), "opening_hours")
        event("C", "faq", at(17, 12), "delivery_time")
        event("A", "miss", at(17, 12), text="do you ship to mars")
        event("B", "miss", at(17, 13), text="Do you ship to Mars?")
        event("C", "miss", at(17, 14), text="wat")
        event("A", "search_none", at(17, 12), text="Unicorn")
        event("B", "search_none", at(17, 12), text="unicorn ")
        event("C", "search_none", at(17, 12), text="pegasus")

        def order(who, reference, created, status, source="chat", tag=None, total=5000, lines=()):
            o = Order(reference=reference, customer_id=people[who].id, status=status, source=source, source_tag=tag,
                      customer_name=people[who].name, phone=people[who].wa_id, currency="EUR", subtotal=total,
                      shipping_fee=0, total=total, created_at=created, updated_at=created)
            s.add(o)
            s.flush()
            for sku, name, qty, line_total in lines:
                s.add(OrderLine(order_id=o.id, sku=sku, name=name, quantity=qty, unit_price=line_total // qty,
                                total=line_total))
            return o

        a1 = order("A", "SHP-AAAAA", at(16, 23, 45), "delivered",  # paid on the way: its history says so
                   lines=[("TEE-M", "Tee", 2, 3000), ("MUG", "Mug", 1, 2000)])
        steps = [(None, "pending", "create", at(16, 23, 45)), ("pending", "confirmed", "confirm", at(17, 9)),
                 ("unpaid", "paid", "pay", at(17, 9, 30)), ("confirmed", "prepared", "prepare", at(17, 11)),
                 ("prepared", "shipped", "ship", at(17, 18)), ("shipped", "delivered", "deliver", at(18, 23, 45))]
        for before, after, name, when in steps:
            s.add(OrderHistory(order_id=a1.id, from_status=before, to_status=after, event=name, actor="test", at=when))
        order("D", "SHP-DDDDD", at(20, 12), "pending", source="website", tag="instagram", total=2500,
              lines=[("MUG", "Mug", 1, 2500)])
        order("E", "SHP-EEEEE", at(19, 12, 5), "cancelled", source="whatsapp_cart", total=1800,
              lines=[("TEE-M", "Tee", 1, 1800)])

        # handoffs: C at Monday 19:50 (10 open minutes left), answered Tuesday 10:05 -> 15 minutes;
        # D on Wednesday 11:00, answered 11:40 -> 40 minutes
        s.add(Handoff(customer_id=people["C"].id, reason="person", opened_at=at(16, 19, 50),
                      first_response_at=at(17, 10, 5), first_response_by=None, closed_at=at(17, 11)))
        s.add(Handoff(customer_id=people["D"].id, reason="keyword", detail="broken", opened_at=at(18, 11),
                      first_response_at=at(18, 11, 40), closed_at=at(18, 12)))

        def sent(who, cause_at, latency, status="delivered", staff=None, code=None, title=None):
            s.add(OutboundMessage(customer_id=people[who].id, recipient=people[who].wa_id,
                                  body={"type": "text", "text": "x"}, status=status, cause_received_at=cause_at,
                                  sent_at=cause_at + timedelta(seconds=latency) if latency is not None else None,
                                  created_at=cause_at, staff_id=staff, error_code=code, error_title=title))

        for latency in (0.1, 0.2, 0.3, 0.4, 1.0):
            sent("A", at(17, 12), latency)
        s.flush()
        sent("C", at(17, 10, 5), 30.0, staff=ana.id)  # a staff reply: not the bot's latency
        sent("B", at(17, 12), None, status="dead", code=131026, title="Message undeliverable")
        sent("B", at(17, 13), None, status="dead", code=131026, title="Message undeliverable")
        sent("C", at(17, 14), None, status="failed", code=131047, title="Re-engagement message")
