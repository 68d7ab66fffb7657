"""Split a webhook body into the single updates we store.

pywa handles only the first message of the first change; Meta batches many.
Every entry × change × message/status becomes one update with a stable
external id, so a redelivery (even re-batched in another body) is recognised
by the database's unique constraint.

Each update is made storable (`webhook_body.clean`, `storable_id`) and has
its card numbers removed (`card_redaction.redact_json`) before it is
returned, so nothing downstream ever sees the raw customer input.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from bot.models import EventKind
from bot.whatsapp.redaction import redact_cards, redact_json
from bot.whatsapp.webhook_body import clean, storable_id, storable_text

LABEL_LENGTH = 64  # inbound_event.field and .subtype


@dataclass(frozen=True)
class Update:
    external_id: str
    kind: EventKind
    field: str | None
    subtype: str | None
    payload: dict
    problem: str | None = None  # why it is stored as failed instead of handled


def _digest(obj) -> str:
    raw = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def message_id(external_id: str) -> str:
    """The WhatsApp message id an update is about, for logs: a message's own id, a status's message.

    A status update's id is `status:<wamid>:<status>`; its wamid is the outbound
    message's, so the sender's lines and the status webhook's share it.
    """
    if external_id.startswith("status:"):
        return external_id.removeprefix("status:").rpartition(":")[0]
    return external_id


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _label(value) -> str | None:
    """A `field` or `subtype` the column can hold (Meta sends short strings; anything else is cut)."""
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return storable_text(text)[:LABEL_LENGTH]


def invalid(raw: bytes, error: str) -> Update:
    """A signed body that is not JSON: kept, cards removed, as failed for a person to look at."""
    text = storable_text(redact_cards(raw.decode("utf-8", "replace")[:100_000])[0])
    return Update("invalid:" + hashlib.sha256(raw).hexdigest(), EventKind.INVALID, None, None,
                  {"raw": text, "error": storable_text(error)}, problem="the signed body is not valid JSON")


def _storable(update: Update) -> Update:
    """The update with card numbers removed everywhere and only storable values; problems named."""
    payload = update.payload
    problems = clean(payload)
    if update.kind == EventKind.MESSAGE and redact_json(payload["message"]):
        payload["card_redacted"] = True  # the engine warns the customer
    redact_json(payload)  # the contact's profile, metadata, statuses, other changes
    external_id, id_problem = storable_id(update.external_id)
    problems += [id_problem] if id_problem else []
    problem = "not handled: " + "; ".join(problems) if problems else None
    return Update(external_id, update.kind, _label(update.field), _label(update.subtype), payload, problem)


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


def split(body) -> list[Update]:
    """All updates in a parsed webhook body, in the order Meta sent them, ready to store."""
    return [_storable(u) for u in _split(body)]


def _split(body) -> list[Update]:
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
    contacts = _list(value.get("contacts"))
    found: list[Update] = []
    for message in _list(value.get("messages")):
        if not isinstance(message, dict):
            continue
        wamid = message.get("id")
        external_id = wamid if isinstance(wamid, str) and wamid else "message:" + _digest(message)
        payload = {"message": message, "contact": _contact_for(message, contacts), "metadata": metadata}
        found.append(Update(external_id, EventKind.MESSAGE, field, message.get("type"), payload))
    for status in _list(value.get("statuses")):
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
    if isinstance(entry, dict) and entry.get("time") is not None:
        # Meta sends the same account update again days later (a second FLAGGED, a tier back to 2000):
        # only its entry's time tells it from a redelivery, which keeps the time.
        record["time"] = entry["time"]
    return [Update("change:" + _digest(record), EventKind.UPDATE, field,
                   str(subtype) if subtype else None, record)]
