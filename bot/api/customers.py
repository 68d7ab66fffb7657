"""POST /api/customers/optin: the website records a customer's yes or no to marketing messages."""
from __future__ import annotations

from flask import current_app, jsonify

from bot.api.contract import Reply, operation
from bot.api.models import ConsentOut, OptInIn
from bot.commerce import consent, customers
from bot.db import transaction
from bot.models import ConsentSource
from bot.models import utcnow as now


@operation("post", "/customers/optin", "Record a customer's opt-in (or opt-out) to marketing messages, with its "
           "time and source; a customer not known yet is created by phone number",
           {200: Reply("the customer's consent now", ConsentOut)}, body=OptInIn, security="token")
def optin(body: OptInIn):
    t = now()
    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        customer = customers.find_or_create(session, None, body.phone, None, t)
        change = consent.opt_in if body.opted_in else consent.opt_out
        changed = change(session, customer, ConsentSource(body.source), t, detail="POST /api/customers/optin")
        assert customer.marketing_consent_at is not None and customer.marketing_consent_source is not None
        answer = ConsentOut(phone=body.phone, opted_in=body.opted_in, since=customer.marketing_consent_at.isoformat(),
                            source=customer.marketing_consent_source, changed=changed)
    return jsonify(answer.model_dump(mode="json"))
