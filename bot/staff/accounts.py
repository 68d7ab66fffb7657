"""Staff accounts: creating them, and checking a password with login throttling.

Passwords are kept only as werkzeug hashes. Failed logins are counted per
e-mail address in the database (so every web process sees them); after
`FREE_FAILURES` each further failure doubles a lock-out, up to
`MAX_LOCK`. Unknown addresses are throttled the same way, so the answers
never reveal whether an account exists.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import InvalidInput, ShopbotError
from ..models import LoginThrottle, Role, StaffMember

FREE_FAILURES = 3
MAX_LOCK = timedelta(minutes=15)
MIN_PASSWORD = 10
#: Checked against when the address is unknown, so a wrong address costs as much time as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password of anyone")


class LoginThrottled(ShopbotError):
    """Too many failed logins for this address; `retry_after` seconds to wait."""

    def __init__(self, retry_after: int):
        super().__init__(f"too many failed attempts; try again in {retry_after} seconds")
        self.retry_after = retry_after


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def add(session: Session, email: str, name: str, role: str, password: str, now: datetime) -> StaffMember:
    """Create an account; raises InvalidInput naming the field that is wrong."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254 or " " in email:
        raise InvalidInput("email", "must be an e-mail address")
    if not (name or "").strip():
        raise InvalidInput("name", "is required")
    if role not in tuple(Role):
        raise InvalidInput("role", "must be owner or staff")
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput("password", f"must be at least {MIN_PASSWORD} characters")
    if session.scalars(select(StaffMember).where(StaffMember.email == email)).first():
        raise InvalidInput("email", f"{email} already has an account")
    member = StaffMember(email=email, name=name.strip(), role=Role(role),
                         password_hash=generate_password_hash(password), created_at=now)
    session.add(member)
    session.flush()
    return member


def set_password(member: StaffMember, password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput("password", f"must be at least {MIN_PASSWORD} characters")
    member.password_hash = generate_password_hash(password)


def authenticate(session: Session, email: str, password: str, now: datetime) -> StaffMember | None:
    """The active account for these credentials, or None; raises LoginThrottled while locked out."""
    email = normalise_email(email)[:254]
    throttle = session.get(LoginThrottle, email, with_for_update=True)
    if throttle is not None and throttle.blocked_until and throttle.blocked_until > now:
        raise LoginThrottled(max(1, int((throttle.blocked_until - now).total_seconds() + 0.999)))
    member = session.scalars(select(StaffMember).where(StaffMember.email == email)).first()
    ok = check_password_hash(member.password_hash if member else _DUMMY_HASH, password or "")
    if ok and member is not None and member.active:
        if throttle is not None:
            session.delete(throttle)
        member.last_login_at = now
        return member
    if throttle is None:
        throttle = LoginThrottle(email=email, failures=0)
        session.add(throttle)
    elif throttle.last_failed_at and now - throttle.last_failed_at > MAX_LOCK:
        throttle.failures = 0  # old failures are forgiven
    throttle.failures += 1
    throttle.last_failed_at = now
    if throttle.failures > FREE_FAILURES:
        lock = min(timedelta(seconds=2 ** (throttle.failures - FREE_FAILURES)), MAX_LOCK)
        throttle.blocked_until = now + lock
    return None
