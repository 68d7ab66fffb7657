"""Staff accounts: creating them, and checking a password with login throttling.

Passwords are kept only as werkzeug hashes. Failed logins are counted in the
database (so every web process sees them) twice: per e-mail address (from any
client) and per client (its remote address, for any e-mail address, so
spraying many addresses is slowed too). Past a scope's free failures each
further failure locks that scope for twice as long, 2 s up to `MAX_LOCK`.
Failures are forgotten one per `FORGET_EVERY`, not all at once when a lock
ends, so a patient guesser stays at the longest lock: about 107 guesses per
address on the first day and 96 a day after that (README, "The staff
dashboard"). Unknown addresses are throttled the same way, so the answers
never reveal whether an account exists.

The rows are created with INSERT ... ON CONFLICT DO NOTHING and then locked
(SELECT ... FOR UPDATE; SQLite's BEGIN IMMEDIATE serialises anyway) in a fixed
order, so concurrent attempts for a new address neither collide nor miss
each other's failures.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from bot.db import insert_ignore
from bot.errors import InvalidInput, ShopbotError
from bot.models import LoginThrottle, Role, StaffMember, ThrottleScope

#: Failures allowed before the first lock: a person mistyping vs. an office sharing one address.
FREE_FAILURES = {ThrottleScope.EMAIL: 3, ThrottleScope.CLIENT: 10}
MAX_LOCK = timedelta(minutes=15)
#: One failure is forgotten per this much time; slower than locks end, so locks never reset themselves.
FORGET_EVERY = timedelta(hours=1)
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


def _locked_rows(session: Session, keys: list[tuple[ThrottleScope, str]], now: datetime) -> list[LoginThrottle]:
    """The throttle rows for `keys`, created if missing and locked for this transaction, in key order."""
    keys = sorted(keys)
    for scope, key in keys:
        session.execute(insert_ignore(session, LoginThrottle).values(scope=scope, key=key, failures=0,
                                                                     counted_at=now))
    rows = session.scalars(select(LoginThrottle).where(tuple_(LoginThrottle.scope, LoginThrottle.key).in_(keys))
                           .order_by(LoginThrottle.scope, LoginThrottle.key).with_for_update()
                           .execution_options(populate_existing=True)).all()
    for row in rows:
        _forget(row, now)
    return list(rows)


def _forget(row: LoginThrottle, now: datetime) -> None:
    """Forget one failure per FORGET_EVERY since the count was last brought up to date."""
    if row.failures <= 0 or row.counted_at is None:
        row.failures, row.counted_at = 0, now
        return
    steps = max(0, int((now - row.counted_at) / FORGET_EVERY))
    row.failures = max(0, row.failures - steps)
    row.counted_at = now if row.failures == 0 else row.counted_at + steps * FORGET_EVERY


def _fail(row: LoginThrottle, now: datetime) -> None:
    row.failures += 1
    over = row.failures - FREE_FAILURES[ThrottleScope(row.scope)]
    if over > 0:
        row.blocked_until = now + min(timedelta(seconds=2 ** min(over, 20)), MAX_LOCK)


def authenticate(session: Session, email: str, password: str, client: str, now: datetime) -> StaffMember | None:
    """The active account for these credentials, or None; raises LoginThrottled while the address or the client
    (its remote address) is locked out."""
    email = normalise_email(email)[:254]
    rows = _locked_rows(session, [(ThrottleScope.EMAIL, email), (ThrottleScope.CLIENT, client[:254] or "?")], now)
    blocked = [row.blocked_until for row in rows if row.blocked_until and row.blocked_until > now]
    if blocked:
        raise LoginThrottled(max(1, int((max(blocked) - now).total_seconds() + 0.999)))
    member = session.scalars(select(StaffMember).where(StaffMember.email == email)).first()
    ok = check_password_hash(member.password_hash if member else _DUMMY_HASH, password or "")
    if ok and member is not None and member.active:
        for row in rows:
            if row.scope == ThrottleScope.EMAIL:
                session.delete(row)  # the address's owner is back; the client's count stays (decays)
        member.last_login_at = now
        return member
    for row in rows:
        _fail(row, now)
    return None
