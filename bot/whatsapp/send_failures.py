"""What a send Meta did not accept means for its row: retry, wait, fall back, pause or give up.

The sender (bot.whatsapp.sender) sends and records accepted sends itself;
every other outcome comes here, in the row's transaction. pywa's error
classes and Meta's codes decide: server errors, timeouts and connection
errors count towards the circuit breaker (bot.whatsapp.circuit) and back
off; an answer that may mean the message reached Meta waits for a status
webhook instead of a blind resend; a closed 24-hour window falls back to
the owner's template; account errors pause every sender; the rest is
dead-lettered with Meta's reason for staff to see.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from pywa import errors as wa_errors
from sqlalchemy.orm import Session

from bot.commerce import consent
from bot.models import ConsentSource, Customer, OutboundMessage, OutboundStatus
from bot.whatsapp import circuit, outbox

log = logging.getLogger(__name__)

THROTTLING_CODES = {4, 80007, 130429, 131056}
TRANSIENT_CODES = {131000, 131016, 1, 2}
ACCOUNT_CODES = {190, 368, 131031}
WINDOW_CLOSED = 131047
#: Meta did not deliver a marketing message to keep the customer's engagement healthy (its limit of
#: marketing messages per customer): not retried, the recipient is marked not delivered.
MARKETING_LIMIT = 131049
#: The customer stopped this business's marketing messages in WhatsApp: recorded as their opt-out
#: (source `whatsapp`, as Meta's `user_preferences` webhook would), not retried.
MARKETING_STOPPED = 131050

# What one send came to: ("sent", wamid), ("error", pywa's WhatsAppError), or
# ("transient" | "timeout" | "invalid", the exception); `Failures.record` acts on all but "sent".
Outcome = tuple[str, Any]


class Failures:
    """The failure policy of one app's senders (its settings, its content, its wake-up event)."""

    def __init__(self, app: Flask, wakeup: threading.Event):
        self.app, self.config, self.wakeup = app, app.config, wakeup

    def record(self, session: Session, row: OutboundMessage, outcome: Outcome, t: datetime) -> None:
        """Act on a send that was not accepted, its row locked in `session`."""
        kind, value = outcome
        if kind == "transient":
            self._retry_or_hold(session, row, t, None, f"network: {value}")
            log.warning("outbox %s: network error, retrying: %s", row.id, value)
        elif kind == "timeout":
            if row.status in (OutboundStatus.SENDING, OutboundStatus.UNCONFIRMED):
                outbox.await_confirmation(row, t, self.config["SEND_RECONCILE_SECONDS"],
                                          f"no answer from Meta: {type(value).__name__}")
            log.warning("outbox %s: %s; waiting for a status webhook before resending", row.id,
                        type(value).__name__)
            self._circuit_failed(session, row.id, t, f"no answer: {type(value).__name__}")
        elif kind == "invalid":
            outbox.dead_letter(row, t, None, f"cannot build the message: {value}")
            log.error("outbox %s: dead-lettered, cannot build the message: %s", row.id, value)
        else:
            self._handle_error(session, row, value, t)

    def _circuit_failed(self, session: Session, row_id: int, t: datetime, reason: str) -> bool:
        """Count a failure that says the API is down; True if the circuit is open now."""
        cfg = self.config
        was_open = circuit.read(session, t).state is not circuit.State.CLOSED
        is_open = circuit.failed(session, row_id, t, cfg["SEND_CIRCUIT_THRESHOLD"], cfg["SEND_CIRCUIT_COOLDOWN"],
                                 cfg["SEND_BACKOFF_CAP"], reason)
        if is_open and not was_open:
            log.error("circuit open: the Graph API keeps failing (%s); every sender pauses and probes "
                      "with one message at a time", reason)
        return is_open

    def answered(self, session: Session, t: datetime) -> None:
        """The Graph API answered: close the circuit if it was open, and wake every sender."""
        if circuit.answered(session, t):
            log.warning("circuit closed: the Graph API answers again; sending resumes")
            outbox.wake_senders(session)
            self.wakeup.set()

    def _retry_or_hold(self, session: Session, row: OutboundMessage, t: datetime, code: int | None, title: str) -> None:
        """A server or network failure: back off, or, when the circuit is open, wait for it
        without spending the attempt."""
        if self._circuit_failed(session, row.id, t, title):
            outbox.requeue(row, t)
            row.error_code, row.error_title = code, title
            return
        self._retry(session, row, t, code, title)

    def _retry(self, session: Session, row: OutboundMessage, t: datetime, code: int | None, title: str) -> None:
        """Back off, or dead-letter the row once it is no longer worth sending."""
        cfg = self.config
        outbox.retry_later(row, session.get_one(Customer, row.customer_id), t, cfg["SEND_BACKOFF_BASE"],
                           cfg["SEND_BACKOFF_CAP"], cfg["SEND_GIVE_UP_HOURS"], code, title)
        if row.status == OutboundStatus.DEAD:
            log.error("outbox %s: dead-lettered: %s", row.id, row.error_title)

    def _handle_error(self, session: Session, row: OutboundMessage, exc: wa_errors.WhatsAppError, t: datetime) -> None:
        """Retry, fall back to a template, pause, or dead-letter, by pywa's error class."""
        cfg, code = self.config, exc.code
        title = f"{exc.message}" + (f" ({exc.details})" if exc.details else "")
        if (exc.status_code or 0) >= 500:
            self._retry_or_hold(session, row, t, code, title)
            log.warning("outbox %s: %s %s (HTTP %s), attempt %d", row.id, code, title, exc.status_code, row.attempts)
            return
        self.answered(session, t)  # a client error: the API itself is up
        if code in ACCOUNT_CODES or isinstance(exc, (wa_errors.AuthorizationError, wa_errors.IntegrityError)):
            until = t + timedelta(seconds=cfg["SEND_ACCOUNT_PAUSE_SECONDS"])
            circuit.pause(session, until, f"{code}: {title}")
            outbox.requeue(row, t)
            row.error_code, row.error_title = code, title
            log.critical("WhatsApp account error %s (%s): sending paused until %s. Check the token and the "
                         "account in Meta's Business Manager.", code, title, until.isoformat())
        elif code == WINDOW_CLOSED or isinstance(exc, wa_errors.ReEngagementMessage):
            outbox.window_closed(session, row, t, self.app.extensions["shopbot.content"].current())
            log.warning("outbox %s: 24-hour window closed (%s)", row.id, row.status)
        elif code == MARKETING_LIMIT:
            outbox.dead_letter(row, t, code, f"not delivered, and not retried: {title}")
            log.warning("outbox %s: 131049, Meta's limit of marketing messages per customer; not retried", row.id)
        elif code == MARKETING_STOPPED:
            outbox.dead_letter(row, t, code, f"not sent, and not retried: the customer stopped marketing: {title}")
            consent.opt_out(session, session.get_one(Customer, row.customer_id, with_for_update=True),
                            ConsentSource.WHATSAPP, t, detail=f"{code} {title}"[:256])
            log.warning("outbox %s: 131050, the customer stopped marketing messages; opted out, not retried", row.id)
        elif (code in THROTTLING_CODES or code in TRANSIENT_CODES or exc.is_transient
              or isinstance(exc, wa_errors.ThrottlingError)):
            self._retry(session, row, t, code, title)
            log.warning("outbox %s: %s %s, attempt %d", row.id, code, title, row.attempts)
        else:
            outbox.dead_letter(row, t, code, title)
            log.error("outbox %s: dead-lettered: %s %s", row.id, code, title)
