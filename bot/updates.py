"""Split a webhook body into the single updates we store.

pywa handles only the first message of the first change; Meta batches many.
Every entry × change × message/status becomes one update with a stable
external id, so a redelivery (even re-batched in another body) is recognised
by the database's unique constraint.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from .models import EventKind
from .payments import redact_message


@dataclass(frozen=True)
class Update:
    external_id: str
    kind: EventKind
    field: str | None
    subtype: str | None
    payload: dict


def _digest(obj) -> str:
    raw = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def _contact_for(message: dict, contacts: list) -> dict | None:
    """The contact entry describing this message's sender, if one matches."""
    sender, sender_bsuid = message.get("from"), message.get("from_user_id")
    for contact in contacts:
        if not isinstance(contact, dict):
            continue
        if (sender and contact.get("wa_id") == sender) or (
            sender_bsuid and contact.get("user_id") == sender_bsuid
        ):
            return contact
    if len(contacts) == 1 and not sender and not sender_bsuid:
        return contacts[0]
    return None


def split(body: dict) -> list[Update]:
    """All updates in a parsed webhook body, in the order Meta sent them."""
    updates: list[Update] = []
    entries = body.get("entry") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        return [Update("body:" + _digest(body), EventKind.UPDATE, None, "unknown", {"body": body})]
    for entry in entries:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else [{"value": entry}]:
            updates.extend(_split_change(entry, change))
    return updates


def _split_change(entry: dict, change: dict) -> list[Update]:
    field = change.get("field") if isinstance(change, dict) else None
    value = change.get("value") if isinstance(change, dict) else None
    if not isinstance(value, dict):
        return [Update("change:" + _digest(change), EventKind.UPDATE, field, None, {"change": change})]
    metadata = value.get("metadata") or {}
    contacts = value.get("contacts") or []
    found: list[Update] = []
    for message in value.get("messages") or []:
        if not isinstance(message, dict):
            continue
        external_id = message.get("id") or "message:" + _digest(message)
        payload = {"message": message, "contact": _contact_for(message, contacts), "metadata": metadata}
        if redact_message(message):  # card numbers never reach the database or the logs
            payload["card_redacted"] = True
        found.append(Update(external_id, EventKind.MESSAGE, field, message.get("type"), payload))
    for status in value.get("statuses") or []:
        if not isinstance(status, dict):
            continue
        external_id = f"status:{status.get('id')}:{status.get('status')}"
        found.append(Update(external_id, EventKind.STATUS, field, str(status.get("status") or ""),
                            {"status": status, "metadata": metadata}))
    if found:
        return found
    # Everything else (echoes, calls, account, template and preference updates) is kept whole.
    subtype = value.get("event") or next(
        (k for k in value if k not in ("messaging_product", "metadata", "contacts")), None
    )
    record = {"entry_id": entry.get("id") if isinstance(entry, dict) else None, "field": field, "value": value}
    return [Update("change:" + _digest(record), EventKind.UPDATE, field,
                   str(subtype) if subtype else None, record)]
