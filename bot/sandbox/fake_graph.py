"""A local fake of the Graph API's send endpoints, for the sandbox, the tests and bench/.

It answers like Meta: `{"messages": [{"id": "wamid..."}]}` on success and
Meta's error JSON on failure. Tests script failures (`fail_next`), slow
answers (`delay_next`) and outages (`fail_with` ... `recover`); the sandbox adds status feedback so the chat page
sees ticks, fed back to `/webhook` as real signed status webhooks.
"""
from __future__ import annotations

import base64
import hashlib
import itertools
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Blueprint, Flask, jsonify, request, url_for
from werkzeug.serving import make_server


@dataclass
class Scripted:
    """One scripted answer: an error, or a delay before the normal answer."""

    code: int | None = None
    http_status: int = 400
    message: str = "scripted failure"
    delay: float = 0.0


@dataclass
class FakeGraph:
    latency: float = 0.0  # seconds before every answer (the real API takes 100-300 ms)
    receipt_latency: float = 0.0  # and before a read receipt's answer, on top
    on_accept: Callable[[dict], None] | None = None  # called with each accepted message
    accepted: list[dict] = field(default_factory=list)  # messages Meta would deliver
    reads: list[dict] = field(default_factory=list)  # read receipts: customers' messages marked read
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # media id -> (bytes, MIME type)
    token: str | None = None  # when set, a media download needs "Authorization: Bearer <token>"
    attempts: int = 0  # every message POSTed to /messages, including refused ones (not read receipts)
    waba_id: str = "102290129340398"  # the one WhatsApp Business Account whose templates it lists
    templates: list[dict] = field(default_factory=list)  # GET /<waba_id>/message_templates, in Meta's shape
    template_reads: list[dict] = field(default_factory=list)  # the query string of each such GET

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._script: deque[Scripted] = deque()
        self._outage: tuple[Scripted, float | None] | None = None  # (answer, time.monotonic() end)
        self._seq = itertools.count(1)
        self.changed = threading.Condition(self._lock)

    # -- scripting -------------------------------------------------------------
    def fail_next(self, code: int, times: int = 1, http_status: int = 400, message: str = "scripted failure") -> None:
        """The next `times` sends get Meta's error `code`."""
        with self._lock:
            self._script.extend(Scripted(code=code, http_status=http_status, message=message) for _ in range(times))

    def delay_next(self, seconds: float, times: int = 1) -> None:
        """The next `times` sends are accepted, but answered only after `seconds`."""
        with self._lock:
            self._script.extend(Scripted(delay=seconds) for _ in range(times))

    def fail_with(self, http_status: int = 500, seconds: float | None = None, code: int = 131000,
                  message: str = "Service temporarily unavailable", delay: float = 0.0) -> None:
        """An outage: every send gets HTTP `http_status` with Meta's error `code` until `recover()`,
        or for `seconds`. With `delay`, each answer comes that late (longer than the sender's
        timeout: the API hangs). Nothing is accepted meanwhile."""
        with self._lock:
            end = None if seconds is None else time.monotonic() + seconds
            self._outage = (Scripted(code=code, http_status=http_status, message=message, delay=delay), end)

    def recover(self) -> None:
        """End an outage started by `fail_with`."""
        with self._lock:
            self._outage = None

    def approve(self, name: str, language: str = "en", category: str = "UTILITY", params: int = 0,
                buttons: tuple[dict, ...] = (), status: str = "APPROVED") -> dict:
        """Add a template to the account as Meta lists it: a BODY with `{{1}}`..`{{params}}`, and
        BUTTONS (Meta's dicts: {"type": "QUICK_REPLY", "text": ...}, {"type": "URL", "text": ..., "url": ...})."""
        body = "Hello" + "".join(f" {{{{{n}}}}}" for n in range(1, params + 1))
        components: list[dict] = [{"type": "BODY", "text": body}]
        if buttons:
            components.append({"type": "BUTTONS", "buttons": list(buttons)})
        template = {"name": name, "language": language, "status": status, "category": category,
                    "components": components, "id": str(10**15 + len(self.templates))}
        with self._lock:
            self.templates.append(template)
        return template

    # -- reading ---------------------------------------------------------------
    def messages_to(self, recipient: str) -> list[dict]:
        with self._lock:
            return [m for m in self.accepted if recipient in (m["payload"].get("to"), m["payload"].get("recipient"))]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict]:
        """Block until `count` messages were accepted (or the timeout), then return all."""
        with self.changed:
            self.changed.wait_for(lambda: len(self.accepted) >= count, timeout=timeout)
            return list(self.accepted)

    def reset(self) -> None:
        with self._lock:
            self.accepted.clear()
            self.reads.clear()
            self.media.clear()
            self._script.clear()
            self._outage = None
            self.attempts = 0
            self.receipt_latency = 0.0
            self.templates.clear()
            self.template_reads.clear()

    # -- serving ---------------------------------------------------------------
    def _next_script(self, message: bool = True) -> Scripted | None:
        """The scripted answer for this POST. An outage answers everything; `fail_next` and
        `delay_next` script messages only, and `attempts` counts messages: read receipts pass by."""
        with self._lock:
            self.attempts += message
            if self._outage is not None:
                answer, end = self._outage
                if end is None or time.monotonic() < end:
                    return answer
                self._outage = None
            return self._script.popleft() if self._script and message else None

    @staticmethod
    def _error(script: Scripted):
        if script.delay:
            time.sleep(script.delay)  # an outage that hangs: the caller has given up by now
        return jsonify({"error": {"message": script.message, "type": "OAuthException", "code": script.code,
                                  "error_data": {"details": script.message}, "fbtrace_id": "fake"}}), script.http_status

    def blueprint(self, name: str = "fake_graph") -> Blueprint:
        bp = Blueprint(name, __name__)

        @bp.post("/v<version>/<phone_id>/messages")
        def messages(version, phone_id):
            payload = request.get_json(force=True)
            receipt = payload.get("status") == "read"  # not a message: Meta answers {"success": true}
            script = self._next_script(message=not receipt)
            if self.latency:
                time.sleep(self.latency)
            if script and script.code is not None:
                return self._error(script)
            wamid = f"read.fake.{uuid.uuid4().hex}" if receipt else f"wamid.fake.{uuid.uuid4().hex}"
            entry = {"seq": next(self._seq), "wamid": wamid, "phone_id": phone_id, "payload": payload,
                     "at": time.time()}
            with self.changed:
                (self.reads if receipt else self.accepted).append(entry)
                self.changed.notify_all()
            if self.on_accept:
                self.on_accept(entry)
            if script and script.delay:
                time.sleep(script.delay)  # accepted, but the answer comes too late
            if receipt:
                time.sleep(self.receipt_latency)
                return jsonify({"success": True})
            to = payload.get("to") or payload.get("recipient")
            return jsonify({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                            "messages": [{"id": wamid}]})

        @bp.post("/v<version>/<phone_id>/media")
        def media(version, phone_id):
            script = self._next_script()
            if script and script.code is not None and self._outage is not None:
                return self._error(script)
            media_id = f"media.fake.{uuid.uuid4().hex[:16]}"
            upload = request.files.get("file")
            if upload is not None:  # kept, so a test can read back what was uploaded
                self.media[media_id] = (upload.read(), upload.mimetype or "application/octet-stream")
            return jsonify({"id": media_id})

        @bp.get("/v<version>/<waba_id>/message_templates")
        def message_templates(version, waba_id):
            """Meta's template list: `data` a page at a time (`limit`, default 25), `paging.cursors` and,
            while more follow, `paging.next`; only the `fields` asked for (and the id)."""
            with self._lock:
                self.template_reads.append(dict(request.args))
            script = self._next_script(message=False)
            if script and script.code is not None:
                return self._error(script)
            if request.headers.get("Authorization", "").removeprefix("Bearer ") == "":
                return self._error(Scripted(code=190, http_status=401, message="Invalid OAuth access token."))
            if waba_id != self.waba_id:
                return self._error(Scripted(code=100, message=f"Unsupported get request. Object with ID "
                                                              f"'{waba_id}' does not exist"))
            start = int(base64.b64decode(request.args["after"]).decode()) if request.args.get("after") else 0
            limit = int(request.args.get("limit", 25))
            fields = [f for f in request.args.get("fields", "").split(",") if f]
            with self._lock:
                page = self.templates[start:start + limit]
            data = [{k: v for k, v in t.items() if not fields or k in fields or k == "id"} for t in page]
            end = start + len(page)
            after = base64.b64encode(str(end).encode()).decode()
            more = {"next": url_for(".message_templates", version=version, waba_id=waba_id, _external=True,
                                    **dict(request.args, after=after))} if end < len(self.templates) else {}
            return jsonify({"data": data, "paging": {"cursors": {"before": base64.b64encode(str(start).encode())
                                                                 .decode(), "after": after}, **more}})

        @bp.get("/v<version>/<media_id>")
        def media_url(version, media_id):
            """Meta's "retrieve media URL": where to download a media id (valid for 5 minutes)."""
            if media_id not in self.media:
                return jsonify({"error": {"message": "Unsupported get request", "type": "GraphMethodException",
                                          "code": 100, "fbtrace_id": "fake"}}), 400
            data, mime = self.media[media_id]
            return jsonify({"messaging_product": "whatsapp", "id": media_id, "mime_type": mime,
                            "sha256": hashlib.sha256(data).hexdigest(), "file_size": len(data),
                            "url": url_for(".media_download", media_id=media_id, _external=True)})

        @bp.get("/fake-media/<media_id>")
        def media_download(media_id):
            """The download itself: only with the access token, as Meta's lookaside URLs."""
            if self.token and request.headers.get("Authorization") != f"Bearer {self.token}":
                return "", 401
            if media_id not in self.media:
                return "", 404
            data, mime = self.media[media_id]
            return data, 200, {"Content-Type": mime}

        return bp


class LocalServer:
    """Serve a WSGI app on 127.0.0.1 in a daemon thread (tests, bench, sandbox feedback)."""

    def __init__(self, wsgi_app, port: int = 0):
        self.server = make_server("127.0.0.1", port, wsgi_app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve_fake_graph(fake: FakeGraph, port: int = 0) -> LocalServer:
    app = Flask("fake_graph")
    app.register_blueprint(fake.blueprint())
    return LocalServer(app, port)
