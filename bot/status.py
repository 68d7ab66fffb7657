"""`shopbot status`: how the pipeline stands, in one look.

Outbox depth by status, the oldest reply still waiting, dead letters, failed
inbound events, the last successful send, and whether sending is paused or
the circuit is open (bot.circuit). Read-only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import UNFINISHED, EventStatus, InboundEvent, OutboundMessage, OutboundStatus
from bot.whatsapp import circuit


@dataclass(frozen=True)
class Status:
    outbox: dict[str, int]  # rows by status
    oldest_pending: datetime | None  # when the oldest unfinished reply was queued
    dead: int
    failed_events: int
    last_sent_at: datetime | None
    gate: circuit.Gate
    now: datetime

    @property
    def oldest_pending_seconds(self) -> float | None:
        return None if self.oldest_pending is None else max((self.now - self.oldest_pending).total_seconds(), 0.0)


def snapshot(session: Session, now: datetime) -> Status:
    """Read the figures `shopbot status` shows."""
    by_status = dict(session.execute(select(OutboundMessage.status, func.count())
                                     .group_by(OutboundMessage.status)).all())
    return Status(
        outbox={str(k): v for k, v in sorted(by_status.items())},
        oldest_pending=session.scalar(select(func.min(OutboundMessage.created_at))
                                      .where(OutboundMessage.status.in_(UNFINISHED))),
        dead=by_status.get(OutboundStatus.DEAD, 0),
        failed_events=session.scalar(select(func.count()).select_from(InboundEvent)
                                     .where(InboundEvent.status == EventStatus.FAILED)) or 0,
        last_sent_at=session.scalar(select(func.max(OutboundMessage.sent_at))),
        gate=circuit.read(session, now),
        now=now,
    )


def _ago(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def _gate_text(gate: circuit.Gate) -> str:
    if gate.state is circuit.State.CLOSED:
        return "closed (sending)"
    until = f" until {gate.until:%Y-%m-%d %H:%M:%S} UTC" if gate.until else ""
    if gate.state is circuit.State.HALF_OPEN:
        return f"half-open (probing with one message at a time; last error: {gate.reason})"
    label = "paused after an account error" if gate.state is circuit.State.PAUSED else "OPEN: sending paused"
    return f"{label}{until} ({gate.reason})"


def as_text(status: Status) -> str:
    depth = ", ".join(f"{k} {v}" for k, v in status.outbox.items()) or "empty"
    pending = status.oldest_pending_seconds
    oldest = "none" if pending is None else f"{_ago(pending)} old"
    last = "never" if status.last_sent_at is None else (
        f"{status.last_sent_at:%Y-%m-%d %H:%M:%S} UTC ({_ago((status.now - status.last_sent_at).total_seconds())} ago)")
    lines = [
        f"outbox: {depth}",
        f"oldest pending reply: {oldest}",
        f"dead letters: {status.dead}" + (" (shopbot outbox list --dead; shopbot outbox retry)" if status.dead else ""),
        f"failed inbound events: {status.failed_events}" + (" (shopbot events list; shopbot events retry)"
                                                            if status.failed_events else ""),
        f"last successful send: {last}",
        f"circuit: {_gate_text(status.gate)}",
    ]
    return "\n".join(lines) + "\n"


def as_json(status: Status) -> dict:
    gate = status.gate
    return {
        "outbox": status.outbox,
        "oldest_pending_at": status.oldest_pending.isoformat() if status.oldest_pending else None,
        "oldest_pending_seconds": status.oldest_pending_seconds,
        "dead_letters": status.dead,
        "failed_events": status.failed_events,
        "last_sent_at": status.last_sent_at.isoformat() if status.last_sent_at else None,
        "circuit": {"state": str(gate.state), "open": gate.state is not circuit.State.CLOSED,
                    "until": gate.until.isoformat() if gate.until and gate.blocks else None,
                    "reason": gate.reason, "consecutive_failures": gate.failures},
    }
