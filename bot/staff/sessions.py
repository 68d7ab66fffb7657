"""Staff sessions kept on the server, so that logging out, switching an account off and time really end them.

Flask's session is a signed cookie: on its own, a copy saved before logout
keeps working until it expires, and every use extends it. So each login
gets a row (`StaffSession`) and the cookie carries only a random token for
it. A request is let in only while that row exists, has not ended, has been
used within the idle limit and is younger than the absolute lifetime.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, or_, update
from sqlalchemy.orm import Session

from bot.models import StaffMember, StaffSession

#: Activity is written back at most this often (every poll would otherwise be a write).
TOUCH_EVERY = timedelta(seconds=30)


class Refusal(StrEnum):
    EXPIRED = "expired"  # idle too long, or older than the absolute lifetime: "your session timed out"
    ENDED = "ended"  # logged out, account switched off, or no such session


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, staff_id: int, now: datetime, lifetime: timedelta) -> str:
    """Open a session for this member; returns the token for the cookie. Clears the member's dead rows."""
    session.execute(delete(StaffSession).where(StaffSession.staff_id == staff_id, or_(
        StaffSession.ended_at.is_not(None), StaffSession.created_at < now - lifetime)))
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(id=_key(token), staff_id=staff_id, created_at=now, last_seen_at=now))
    return token


def check(session: Session, token: str, now: datetime, idle: timedelta,
          lifetime: timedelta) -> StaffMember | Refusal:
    """The active member this token belongs to (and mark the session used), or why it is refused."""
    row = session.get(StaffSession, _key(token))
    if row is None or row.ended_at is not None:
        return Refusal.ENDED
    if now - row.last_seen_at > idle or now - row.created_at > lifetime:
        row.ended_at = now
        return Refusal.EXPIRED
    member = session.get(StaffMember, row.staff_id)
    if member is None or not member.active:
        row.ended_at = now
        return Refusal.ENDED
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return member


def end(session: Session, token: str, now: datetime) -> None:
    """Log this session out."""
    session.execute(update(StaffSession).where(StaffSession.id == _key(token), StaffSession.ended_at.is_(None))
                    .values(ended_at=now))


def end_all(session: Session, staff_id: int, now: datetime) -> None:
    """End every open session of a member (the account was switched off)."""
    session.execute(update(StaffSession).where(StaffSession.staff_id == staff_id, StaffSession.ended_at.is_(None))
                    .values(ended_at=now))
