"""Typed SQLAlchemy models, one module per concept; import them from here."""
from bot.models.base import NAMING_CONVENTION, Base, JSONType, UTCDateTime, utcnow
from bot.models.customers import Conversation, ConversationEvent, Customer
from bot.models.messages import (
    UNFINISHED,
    EventKind,
    EventStatus,
    InboundEvent,
    OutboundMessage,
    OutboundStatus,
    Setting,
)
from bot.models.orders import (
    CarrierEvent,
    Invoice,
    Order,
    OrderHistory,
    OrderLine,
    OrderSource,
    OrderStatus,
    Payment,
    Sequence,
    StockLevel,
)
from bot.models.staff import (
    Handoff,
    HandoffReason,
    LoginThrottle,
    Role,
    StaffMember,
    StaffSession,
    ThrottleScope,
)

__all__ = [
    "NAMING_CONVENTION", "Base", "JSONType", "UTCDateTime", "utcnow",
    "Conversation", "ConversationEvent", "Customer",
    "UNFINISHED", "EventKind", "EventStatus", "InboundEvent", "OutboundMessage", "OutboundStatus", "Setting",
    "CarrierEvent", "Invoice", "Order", "OrderHistory", "OrderLine", "OrderSource", "OrderStatus", "Payment",
    "Sequence", "StockLevel",
    "Handoff", "HandoffReason", "LoginThrottle", "Role", "StaffMember", "StaffSession", "ThrottleScope",
]
