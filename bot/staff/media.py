"""Customers' photos, voice notes, videos, stickers and documents, for staff to see.

WhatsApp sends a media id, not the file. On first view the file is fetched
from the Graph API (the id gives a short-lived URL, downloaded with the
access token), checked for type and size, and kept in MEDIA_DIR (a local
folder by default), so later views and a Graph API outage do not matter.
It is served only under /staff, to logged-in staff, with its own type and
`nosniff`, never as a page.
"""
from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import httpx
from flask import abort, current_app, request, send_file
from pywa import errors as wa_errors

from bot.db import transaction
from bot.models import InboundEvent
from bot.staff import bp
from bot.whatsapp import media_store
from bot.whatsapp.webhook_body import as_object, as_text

log = logging.getLogger(__name__)

#: What staff may be shown, by WhatsApp's MIME types, and the file name's ending.
ALLOWED = {
    "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp",
    "audio/ogg": ".ogg", "audio/mpeg": ".mp3", "audio/aac": ".aac", "audio/mp4": ".m4a", "audio/amr": ".amr",
    "video/mp4": ".mp4", "video/3gpp": ".3gp",
    "application/pdf": ".pdf", "text/plain": ".txt",
    "application/msword": ".doc", "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
MEDIA_KINDS = ("image", "video", "audio", "voice", "document", "sticker")
MAX_BYTES = 100 * 2**20  # WhatsApp's largest (documents); images and voice notes are far smaller


def media_of(message) -> dict:
    """The media part of a stored message (its id, MIME type, file name), or {}."""
    message = as_object(message)
    kind = as_text(message.get("type"))
    return as_object(message.get(kind)) if kind in MEDIA_KINDS else {}


def _folder() -> Path:
    return media_store.folder(current_app.config, current_app.instance_path)


def _fetch(media_id: str) -> tuple[bytes, str]:
    """The file and its type from the Graph API; raises ValueError when it may not be kept."""
    wa = current_app.extensions["shopbot.whatsapp"]
    found = wa.get_media_url(media_id)
    mime = (found.mime_type or "").split(";")[0].strip().lower()
    if mime not in ALLOWED:
        raise ValueError(f"type {mime or 'unknown'} is not shown")
    if found.file_size and found.file_size > MAX_BYTES:
        raise ValueError(f"{found.file_size} bytes is too large")
    data = wa.get_media_bytes(found.url)
    if len(data) > MAX_BYTES:
        raise ValueError(f"{len(data)} bytes is too large")
    return data, mime


@bp.get("/media/<id:event_id>")
def media(event_id: int):
    """The media of one inbound message, fetched and kept on first view."""
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        event = s.get(InboundEvent, event_id)
        part = media_of(as_object(event.payload).get("message")) if event is not None else {}
    media_id = as_text(part.get("id"))
    if not media_id or not re.fullmatch(r"[\w.:-]{1,128}", media_id):
        abort(404)
    folder = _folder()
    kept = media_store.kept_inbound(folder, event_id)
    if kept is None:
        try:
            data, mime = _fetch(media_id)
        except ValueError as exc:
            log.warning("media of event %s not shown: %s", event_id, exc)
            abort(415)
        except (wa_errors.WhatsAppError, httpx.HTTPError) as exc:
            log.warning("media of event %s could not be fetched: %s", event_id, exc)
            abort(502)
        kept = folder / f"{event_id}{ALLOWED[mime]}"
        kept.write_bytes(data)
    else:
        data = kept.read_bytes()
    return _serve(data, kept.suffix, ALLOWED, as_text(part.get("filename")) or kept.name)


def _serve(data: bytes, ending: str, types: dict[str, str], filename: str):
    """A kept file, typed by its ending; pictures, sound and video play in the page, the rest
    downloads; never sniffed or run as a page."""
    mime = next((m for m, end in types.items() if end == ending), "application/octet-stream")
    response = send_file(io.BytesIO(data), mimetype=mime, download_name=filename, max_age=0,
                         as_attachment=not mime.startswith(("image/", "audio/", "video/")))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/media/sent/<name>")
def sent_media(name: str):
    """A file staff sent, for the transcript (kept in MEDIA_DIR until and after the send)."""
    try:
        data = media_store.read_outbound(_folder(), name)
    except (OSError, ValueError):
        abort(404)
    return _serve(data, "." + name.rpartition(".")[2], media_store.SENDABLE, name)


@bp.post("/chats/<id:customer_id>/attach")
def attach(customer_id: int):
    """Send a photo or a document to the customer: kept here, uploaded by the sender with the message.
    Only inside WhatsApp's 24-hour window, like any free-form message."""
    from bot.staff import chats

    upload = request.files.get("file")
    caption = (request.form.get("caption") or "").strip()[:1024]
    if upload is None or not upload.filename:
        return chats.refuse(customer_id, "Choose a photo or a document to send.", caption)
    mime = (upload.mimetype or "").lower()
    if mime not in media_store.SENDABLE:
        return chats.refuse(customer_id, f"{upload.filename} cannot be sent: WhatsApp takes JPEG or PNG photos and "
                                         "PDF, Word, Excel or text documents.", caption)
    kind = "image" if mime.startswith("image/") else "document"
    try:
        data = upload.read(media_store.LIMITS[kind] + 1)
    finally:
        upload.close()  # a large upload is spooled to a temporary file
    if len(data) > media_store.LIMITS[kind]:
        what = "photo" if kind == "image" else "document"
        return chats.refuse(customer_id, f"{upload.filename} is over WhatsApp's {media_store.LIMITS[kind] // 2**20} MB "
                                         f"for a {what}.", caption)
    name = media_store.keep_outbound(_folder(), data, mime)
    spec = {"type": kind, "upload": name, "mime": mime, "caption": caption or None,
            "filename": upload.filename[:240] if kind == "document" else None}
    return chats.send_from_staff(customer_id, {k: v for k, v in spec.items() if v is not None}, caption)
