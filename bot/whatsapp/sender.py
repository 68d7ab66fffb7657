"""The sender: the only code that talks to the Graph API.

It claims due outbox rows and keeps many sends in flight on a thread pool
(the Graph API takes 100-300 ms per send), while each customer's messages go
out one after another, in order. The phone number's send rate is shared by
every sender process (bot.whatsapp.send_pace): each claimed row gets a slot
and leaves at it. Outcomes are recorded in batches: whichever send finishes
while no batch is being written writes all that are waiting, so a busy sender
commits once for many sends. It sleeps until woken: by the webhook in the
same process, by PostgreSQL NOTIFY from other processes, or by the next
retry's due time. What a failed send means for its row is bot.whatsapp.send_failures:
there a run of server errors, timeouts or connection errors opens the circuit
(bot.whatsapp.circuit), and every sender waits and probes with one message at a time.
Broadcasts reach the outbox from the same loop (bot.commerce.campaign_runner),
a batch at a time, so they share the rate and the circuit with every reply.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import httpx
from flask import Flask
from pywa import errors as wa_errors

from bot import logs, metrics
from bot.commerce import campaign_runner
from bot.db import autocommit, is_postgres, transaction
from bot.models import Invoice, OutboundMessage, utcnow
from bot.whatsapp import circuit, inbound, media_store, outbox, send_failures, send_pace, wakeups
from bot.whatsapp.message_types import deliver
from bot.whatsapp.send_failures import Outcome

log = logging.getLogger(__name__)

CAMPAIGN_SECONDS = 1.0  # how often due broadcast recipients are moved into the outbox
IDLE_SWEEP_SECONDS = 10.0  # deadlines (combined order updates, reminders) and a safety net; wake-ups are events
GATHER_SECONDS = 0.02  # after a wake-up, how long to let more arrive before claiming (see `run`)
#: After a round that started sends: their outcomes wake the loop sooner; this bounds how late a
#: row that becomes due meanwhile (a customer's turn, a retry) can be noticed.
BUSY_WAIT_SECONDS = 0.25


@logs.scoped
def _log_sent(row_id: int, wamid: str) -> None:
    """One line per accepted send, with its own ids (the batch is written by whichever thread)."""
    logs.note(outbox_id=row_id, wamid=wamid)
    log.info("outbox %s: sent %s", row_id, wamid)


class Sender:
    """Sends outbox rows for one app. `start()` runs it in threads; `pump()` for tests.

    `clock` gives the current UTC time for due times, back-off and the circuit
    (tests pass a fake one to let hours of an outage pass without sleeping).
    """

    def __init__(self, app: Flask, clock: Callable[[], datetime] = utcnow):
        self.app = app
        self.clock = clock
        self.config = app.config
        self.sessions = app.extensions["shopbot.sessions"]
        self.wa = app.extensions["shopbot.whatsapp"]
        self.wakeup: threading.Event = app.extensions["shopbot.wakeup"]
        self.pool = ThreadPoolExecutor(max_workers=self.config["SEND_CONCURRENCY"], thread_name_prefix="send")
        # Read receipts leave from threads of their own: a receipt's round trip to the Graph API must
        # not keep a send thread (and so the next reply) waiting.
        self.receipts = ThreadPoolExecutor(max_workers=self.config["SEND_CONCURRENCY"], thread_name_prefix="receipt")
        self.pace = send_pace.make(self.config)
        self.gate = send_pace.local_gate(self.config)
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self._inflight = 0
        self._receipts_inflight = 0  # read receipts not answered yet (waited for by `wait_idle`, not paced)
        self._idle = threading.Condition()
        self._done: list[tuple[int, Outcome]] = []  # outcomes waiting to be recorded
        self._recording = False  # a send thread is writing a batch of outcomes now
        self._circuit_clean = False  # the last gate read: closed with no failures counted
        self.failures = send_failures.Failures(app, self.wakeup)

    # -- running -------------------------------------------------------------
    def start(self) -> None:
        """Run the dispatch loop (and a PostgreSQL listener) in daemon threads."""
        self.threads = [threading.Thread(target=self.run, name="sender", daemon=True)]
        watch, name = ((wakeups.listen, "sender-listen") if is_postgres(self.sessions.kw["bind"])
                       else (wakeups.watch_sqlite, "sender-watch"))
        self.threads.append(threading.Thread(target=watch, args=(self.sessions, self.wakeup, self.stopping),
                                             name=name, daemon=True))
        for t in self.threads:
            t.start()

    def stop(self) -> None:
        self.stopping.set()
        self.wakeup.set()
        for t in self.threads:
            t.join(timeout=5)
        self.pool.shutdown(wait=True)
        self.receipts.shutdown(wait=True)

    def run(self) -> None:
        """Dispatch until stopped; also sweeps events a killed process left unhandled, and about once a
        second moves due broadcast recipients into the outbox (`run_campaigns`)."""
        last_sweep = last_campaigns = 0.0
        campaigns = False
        while not self.stopping.is_set():
            self.wakeup.clear()
            try:
                if time.monotonic() - last_sweep > IDLE_SWEEP_SECONDS:
                    last_sweep = time.monotonic()
                    inbound.sweep(self.app)
                    self.sweep_deadlines()
                if time.monotonic() - last_campaigns > CAMPAIGN_SECONDS:
                    last_campaigns = time.monotonic()
                    campaigns = self.run_campaigns().active
                _count, wait = self.dispatch()
                if campaigns:  # recipients wait: come back for them even if the outbox runs dry
                    wait = min(wait, CAMPAIGN_SECONDS)
            except Exception:  # the loop must survive a database hiccup
                log.exception("sender loop error; retrying shortly")
                wait = 2.0
            if wait > 0 and self.wakeup.wait(timeout=wait):
                # Woken (a reply queued, a batch recorded): wait a moment for the wake-ups that follow,
                # so one round claims them together instead of one transaction per wake-up. Measured at
                # about 60 replies/s (bench/throughput.py): 5 ms made 45 rounds/s, 20 ms makes 26, and
                # this loop's thread went from 14 % to 8 % of a core; a reply leaves at most 20 ms later.
                self.stopping.wait(GATHER_SECONDS)

    def sweep_deadlines(self) -> dict[str, int]:
        """Checkout reminders and expiries, website orders never confirmed (see bot.checkout),
        handed-over chats nobody answered in time (see bot.handoffs), order updates whose
        combining window has passed (see bot.commerce.notifications), carts left untouched
        (bot.commerce.abandoned_carts) and products back in stock (bot.commerce.stock_alerts;
        the catalog's counts are applied first, so an edit of the file counts without a message)."""
        from bot.commerce import abandoned_carts, notifications, stock_alerts
        from bot.commerce.checkout import sweep_deadlines
        from bot.staff import handoffs

        content = self.app.extensions["shopbot.content"].current()
        inbound.ensure_stock_synced(self.app, content)
        with transaction(self.sessions) as session:
            counts = sweep_deadlines(session, content, self.clock())
            counts["returned to the bot"] = handoffs.sweep(session, content, self.clock())
            counts["order updates"] = notifications.send_due(session, content, self.clock())
            counts["abandoned carts"] = abandoned_carts.sweep(session, content, self.clock(), self.config)
            counts["back in stock"] = stock_alerts.send_due(session, content, self.clock(), self.config)
        if any(counts.values()):
            log.info("deadlines: %s", counts)
            self.wakeup.set()
        return counts

    def run_campaigns(self) -> campaign_runner.Run:
        """Move due broadcast recipients into the outbox, in one transaction (bot.commerce.campaign_runner);
        `active` while a campaign still has recipients waiting."""
        content = self.app.extensions["shopbot.content"].current()
        with transaction(self.sessions) as session:
            run = campaign_runner.run_due(session, content, self.config, self.clock())
        if run.queued:
            log.info("campaigns: %d message(s) queued, %d recipient(s) skipped", run.queued, run.skipped)
            self.wakeup.set()
        return run

    # -- one round -------------------------------------------------------------
    def dispatch(self) -> tuple[int, float]:
        """Claim what is due and start sending it; return (count, seconds to sleep).

        Nothing is claimed while sending is paused or the circuit is open; when
        half-open, one row at a time is claimed as the probe (across processes).
        No more rows are claimed than the shared send rate has slots for in the
        next second; each row is sent at its slot.
        """
        cfg, t = self.config, self.clock()
        lease = timedelta(seconds=cfg["SEND_TIMEOUT"] + cfg["SEND_RECONCILE_SECONDS"])
        with transaction(self.sessions) as session:
            gate = circuit.read(session, t)
            self._circuit_clean = gate.state is circuit.State.CLOSED and not gate.failures
            if gate.blocks and gate.until is not None:
                return 0, (gate.until - t).total_seconds()
            free = self._free_slots()
            if free == 0:
                return 0, 1.0
            probing = gate.state is circuit.State.HALF_OPEN
            if probing:
                if not circuit.take_probe(session, t):
                    return 0, min(lease.total_seconds(), IDLE_SWEEP_SECONDS)  # the probe's answer wakes us
                free = 1
            wall, mono = time.time(), time.monotonic()  # slots are times: one instant on both clocks
            budget = min(free, self.pace.budget(session, wall))
            if budget == 0:  # the number's rate is taken for the next second (by us or another sender)
                return 0, 1.0 / float(cfg["SEND_RATE"])
            rows = outbox.claim(session, budget, t, lease=lease, burst=cfg["SEND_CUSTOMER_BURST"],
                                interval=timedelta(seconds=cfg["SEND_CUSTOMER_INTERVAL"]))
            slots = self.pace.reserve(session, len(rows), wall)
            if probing and rows:
                circuit.set_probe(session, rows[0].id, t + lease)
                log.info("circuit half-open: probing the Graph API with outbox %s", rows[0].id)
            full = len(rows) == budget and not probing
            # With sends started, their outcomes wake the loop; the next due time is asked for only
            # by a round that found nothing to send (rows waiting for their customer's turn, a retry).
            due = None if rows else outbox.next_due(session)
        for i, row in enumerate(rows):
            self._begin()
            self.pool.submit(self._send, row.id, row.recipient, row.body, mono + slots.delay(i))
        if full:
            return len(rows), 0.0  # there may be more: claim again at once
        if rows:
            return len(rows), BUSY_WAIT_SECONDS
        wait = IDLE_SWEEP_SECONDS if due is None else (due - t).total_seconds()
        # rows due now but blocked behind a send in flight are woken by that send's completion
        return 0, min(max(wait, 0.05), IDLE_SWEEP_SECONDS)

    def pump(self, timeout: float = 10.0) -> int:
        """Send everything due now and wait for it (tests use this instead of the threads)."""
        total, deadline = 0, time.monotonic() + timeout
        while time.monotonic() < deadline:
            count, _ = self.dispatch()
            self.wait_idle(deadline - time.monotonic())
            if not count:
                return total
            total += count
        return total

    def wait_idle(self, timeout: float) -> None:
        with self._idle:
            self._idle.wait_for(lambda: self._inflight == self._receipts_inflight == 0, timeout=max(timeout, 0))

    def _free_slots(self) -> int:
        with self._idle:
            return int(self.config["SEND_CONCURRENCY"]) - self._inflight

    def _begin(self) -> None:
        with self._idle:
            self._inflight += 1

    # -- one send --------------------------------------------------------------
    @logs.scoped
    def _send(self, row_id: int, recipient: str, body: dict[str, Any], at: float) -> None:
        """Send one row at its slot (`at`, time.monotonic()), then record the outcome with others."""
        logs.note(outbox_id=row_id)
        try:
            self._wait_for_slot(at)
            started = time.perf_counter()
            outcome = self._attempt(row_id, recipient, body)
            metrics.send_done(time.perf_counter() - started, outcome)
        except Exception as exc:
            log.exception("outbox %s: unexpected error while sending", row_id)
            outcome = ("invalid", exc)
        with self._idle:
            self._done.append((row_id, outcome))
            recording, self._recording = self._recording, True
        if not recording:  # else the thread writing a batch now takes this one too
            self._record_waiting()
        if outcome[0] == "sent" and body.get("read"):
            with self._idle:
                self._receipts_inflight += 1
            self.receipts.submit(self._mark_read, row_id, str(body["read"]))

    def _wait_for_slot(self, at: float) -> None:
        """Sleep until the slot at `at`, and go no later than `send_pace.LATE` after it.

        A thread that wakes later than that (the process stalled, a busy core) takes a new slot
        from the shared pace instead: another sender's next slot may be on time, and the two
        sends would leave closer together than the rate allows (bench/throughput.py phase 5 saw
        a stalled run end 4 ms before the other sender's next send: 21 in one second at 20/s).
        After a few new slots it goes anyway, well inside the row's lease. Threads of this
        process that wake together are spaced again by the process's own gate.
        """
        slot, renewals = at, send_pace.RENEWALS
        while True:
            wait = at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            now = time.monotonic()
            if now - slot > send_pace.LATE and renewals:
                renewals -= 1
                try:
                    slot = at = self._new_slot()
                    continue
                except Exception:  # the pace's store hiccuped: go at the gate's pace rather than lose the send
                    log.warning("could not take a new send slot; sending late", exc_info=True)
                    renewals = 0
            again = self.gate.pass_at(now)
            if again is None:
                return
            at = again

    def _new_slot(self) -> float:
        """One more slot from the shared pace, as time.monotonic()."""
        wall, mono = time.time(), time.monotonic()
        with transaction(self.sessions) as session:
            slots = self.pace.reserve(session, 1, wall)
        return mono + slots.delay(0)

    def _record_waiting(self) -> None:
        """Write every outcome waiting, batch after batch, until none is left; then wake the loop
        (a customer's next message may now be due)."""
        while True:
            with self._idle:
                batch, self._done = self._done, []
                if not batch:
                    self._recording = False
                    return
            try:
                self._record_batch(batch)
            except Exception:
                log.exception("could not record %d send outcome(s); their rows are reclaimed after the lease",
                              len(batch))
            finally:
                with self._idle:
                    self._inflight -= len(batch)
                    self._idle.notify_all()
                self.wakeup.set()

    def _record_batch(self, batch: list[tuple[int, Outcome]]) -> None:
        """Accepted sends in one statement and one commit; every other outcome in its own transaction,
        so a failure there never undoes the record of a message Meta has."""
        sent = [(row_id, value) for row_id, (kind, value) in batch if kind == "sent"]
        if sent:
            t = self.clock()
            engine = self.sessions.kw["bind"]
            if self._circuit_clean and is_postgres(engine):  # the usual case: one statement, one round trip
                with autocommit(engine) as conn:
                    outbox.mark_sent_many(conn, sent, t)
            else:
                with transaction(self.sessions) as session:
                    outbox.mark_sent_many(session, sent, t)
                    if not self._circuit_clean:
                        self.failures.answered(session, t)
            for row_id, wamid in sent:
                _log_sent(row_id, wamid)
        for row_id, outcome in batch:
            if outcome[0] != "sent":
                try:
                    self._record(row_id, outcome)
                except Exception:
                    log.exception("outbox %s: could not record the outcome %s", row_id, outcome[0])

    def _attempt(self, row_id: int, recipient: str, body: dict[str, Any]) -> Outcome:
        if body.get("upload"):  # a file staff sent: uploaded to the Graph API with the message
            try:
                body = dict(body, bytes=media_store.read_outbound(
                    media_store.folder(self.config, self.app.instance_path), body["upload"]))
            except (OSError, ValueError) as exc:
                return ("invalid", ValueError(f"the file {body['upload']} is gone: {exc}"))
        if body.get("invoice_id"):  # our own PDF: uploaded with the send
            with transaction(self.sessions) as session:
                invoice = session.get(Invoice, body["invoice_id"])
                body = dict(body, bytes=invoice.pdf if invoice else None)
            if body["bytes"] is None:
                return ("invalid", ValueError(f"invoice {body['invoice_id']} is gone"))
        try:
            wamid = deliver(self.wa, body, recipient, outbox.tracker(row_id), self.config["PUBLIC_URL"])
        except wa_errors.WhatsAppError as exc:
            return ("error", exc)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            return ("transient", exc)  # never reached Meta: safe to retry
        except httpx.HTTPError as exc:
            return ("timeout", exc)  # may have reached Meta: wait for a status first
        except (ValueError, TypeError, KeyError) as exc:
            return ("invalid", exc)
        return ("sent", wamid)

    def _mark_read(self, row_id: int, message_id: str) -> None:
        """The customer's message is answered: mark it read, so their ticks turn blue (and those
        of earlier messages). Best effort: a receipt lost leaves grey ticks, nothing else."""
        try:
            self.wa.mark_message_as_read(message_id)
        except (wa_errors.WhatsAppError, httpx.HTTPError) as exc:
            log.info("outbox %s: could not mark %s read: %s", row_id, message_id, exc)
        except Exception:  # a thread of the receipts pool: nobody else would see it
            log.exception("outbox %s: unexpected error while marking %s read", row_id, message_id)
        finally:
            with self._idle:
                self._receipts_inflight -= 1
                self._idle.notify_all()

    @logs.scoped
    def _record(self, row_id: int, outcome: Outcome) -> None:
        """A send that was not accepted: what it means for its row (bot.whatsapp.send_failures)."""
        logs.note(outbox_id=row_id)
        with transaction(self.sessions) as session:
            row = session.get_one(OutboundMessage, row_id, with_for_update=True)
            self.failures.record(session, row, outcome, self.clock())
