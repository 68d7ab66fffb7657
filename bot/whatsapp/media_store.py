"""Where media files live on this machine: customers' files once staff open them, and the files
staff send (kept until the sender uploads them to the Graph API with the message).

One folder, MEDIA_DIR (default: the app's instance folder's `media/`); files are named by us,
never by what a customer or a browser said.
"""
from __future__ import annotations

import re
import uuid
from pathlib import Path

#: What staff may send, by MIME type: WhatsApp's image and document types, and the file ending kept.
SENDABLE = {
    "image/jpeg": ".jpg", "image/png": ".png",
    "application/pdf": ".pdf", "text/plain": ".txt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
LIMITS = {"image": 5 * 2**20, "document": 100 * 2**20}  # WhatsApp's sizes for images and documents


def folder(config, instance_path: str) -> Path:
    path = Path(config.get("MEDIA_DIR") or Path(instance_path) / "media")
    path.mkdir(parents=True, exist_ok=True)
    return path


def kept_inbound(base: Path, event_id: int) -> Path | None:
    """A customer's file, once fetched for staff (named by its inbound event), or None."""
    return next(base.glob(f"{event_id}.*"), None)


def outbound_path(base: Path, name: str) -> Path:
    """Where a file staff sent is kept; ValueError for a name we did not make."""
    if not re.fullmatch(r"[0-9a-f]{32}\.[a-z]{3,4}", name):
        raise ValueError(f"not a stored file name: {name!r}")
    return base / "outbound" / name


def keep_outbound(base: Path, data: bytes, mime: str) -> str:
    """Store a file staff send; its name for the outbox spec."""
    (base / "outbound").mkdir(exist_ok=True)
    name = f"{uuid.uuid4().hex}{SENDABLE[mime]}"
    (base / "outbound" / name).write_bytes(data)
    return name


def read_outbound(base: Path, name: str) -> bytes:
    """A file staff sent, for the sender; ValueError for a name we did not make."""
    return outbound_path(base, name).read_bytes()
