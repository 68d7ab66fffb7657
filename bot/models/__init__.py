"""Typed SQLAlchemy models, one module per concept; import them from here."""
from .base import NAMING_CONVENTION, Base, JSONType, UTCDateTime, utcnow
from .customers import Conversation, ConversationEvent, Customer
from .messages import (UNFINISHED, EventKind, EventStatus, InboundEvent, OutboundMessage, OutboundStatus,
                       Setting)
from .orders import (CarrierEvent, Invoice, Order, OrderHistory, OrderLine, OrderSource, OrderStatus, Payment,
                     Sequence, StockLevel)
from .staff import Handoff, HandoffReason, LoginThrottle, Role, StaffMember, StaffSession, ThrottleScope

__all__ = [
    "NAMING_CONVENTION", "Base", "JSONType", "UTCDateTime", "utcnow",
    "Conversation", "ConversationEvent", "Customer",
    "UNFINISHED", "EventKind", "EventStatus", "InboundEvent", "OutboundMessage", "OutboundStatus", "Setting",
    "CarrierEvent", "Invoice", "Order", "OrderHistory", "OrderLine", "OrderSource", "OrderStatus", "Payment",
    "Sequence", "StockLevel",
    "Handoff", "HandoffReason", "LoginThrottle", "Role", "StaffMember", "StaffSession", "ThrottleScope",
]
