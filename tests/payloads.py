"""Meta-format webhook bodies for tests, shaped exactly like the samples in tests/data/meta."""
from __future__ import annotations

import itertools
import time

PHONE_ID = "1122334455667"
DISPLAY = "15550001234"
_ids = itertools.count(1)


def new_wamid() -> str:
    return f"wamid.test.{next(_ids):06d}"


def body(*values: dict, field: str = "messages") -> dict:
    """A webhook body with one change per value (all in one entry)."""
    return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [
        {"value": v, "field": field} for v in values]}]}


def _value(contacts: list, **rest) -> dict:
    return {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": DISPLAY, "phone_number_id": PHONE_ID},
            "contacts": contacts, **rest}


def contact(wa_id: str | None, name: str = "Sam Rivera", bsuid: str | None = None) -> dict:
    c = {"profile": {"name": name}}
    if wa_id:
        c["wa_id"] = wa_id
    if bsuid:
        c["user_id"] = bsuid
    return c


def message(wa_id: str | None, kind: str, content: dict, *, wamid: str | None = None,
            bsuid: str | None = None, context: dict | None = None) -> dict:
    m = {"id": wamid or new_wamid(), "timestamp": str(int(time.time())), "type": kind, kind: content}
    if wa_id:
        m["from"] = wa_id
    if bsuid:
        m["from_user_id"] = bsuid
    if context:
        m["context"] = context
    return m


def messages_value(wa_id: str | None, *msgs: dict, name: str = "Sam Rivera", bsuid: str | None = None) -> dict:
    return _value([contact(wa_id, name, bsuid)], messages=list(msgs))


def text(wa_id: str | None, body_text: str, *, wamid: str | None = None, name: str = "Sam Rivera",
         bsuid: str | None = None) -> dict:
    """A whole webhook body with one text message."""
    return body(messages_value(wa_id, message(wa_id, "text", {"body": body_text}, wamid=wamid, bsuid=bsuid),
                               name=name, bsuid=bsuid))


def button_reply(wa_id: str, button_id: str, title: str, *, wamid: str | None = None) -> dict:
    return body(messages_value(wa_id, message(wa_id, "interactive", {
        "type": "button_reply", "button_reply": {"id": button_id, "title": title}},
        wamid=wamid, context={"from": DISPLAY, "id": "wamid.previous"})))


def list_reply(wa_id: str, row_id: str, title: str, *, wamid: str | None = None) -> dict:
    return body(messages_value(wa_id, message(wa_id, "interactive", {
        "type": "list_reply", "list_reply": {"id": row_id, "title": title}},
        wamid=wamid, context={"from": DISPLAY, "id": "wamid.previous"})))


def status(wamid: str, state: str, recipient: str = "34600111222", *, tracker: str | None = None,
           error: dict | None = None, timestamp: int | None = None) -> dict:
    s = {"id": wamid, "status": state, "timestamp": str(timestamp or int(time.time())), "recipient_id": recipient}
    if tracker:
        s["biz_opaque_callback_data"] = tracker
    if error:
        s["errors"] = [error]
    return body(_value([contact(recipient)], statuses=[s]))
