"""Do the templates of flows/templates.yaml match the ones Meta approved? `shopbot templates check`.

A template that is missing, paused or has another number of parameters than
the approved one fails at send time, when the customer's window is closed and
nothing else can reach them. Reading the account's list
(`GET /{WABA_ID}/message_templates`, through pywa's client so the token, the
API version and WHATSAPP_API_URL are the sender's) and comparing it with the
owner's file turns those failures into `flows/templates.yaml:LINE:` problems
before they happen.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import httpx
from pywa import WhatsApp
from pywa.errors import WhatsAppError

from bot.content.problems import Problem, did_you_mean
from bot.content.templates_file import REL, ApprovedTemplate, TemplateButton
from bot.errors import GraphUnavailable

FIELDS = ("name", "language", "status", "category", "components")
PAGE = 100
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")

#: What each status Meta gives a template means for the shop (APPROVED is the only sendable one).
STATUSES = {
    "REJECTED": "was rejected by WhatsApp; edit it in WhatsApp Manager and submit it again",
    "PAUSED": "is paused by WhatsApp after poor feedback from customers; sends fail until it is resumed",
    "DISABLED": "is disabled by WhatsApp after poor feedback from customers; create a new one",
    "PENDING": "is still waiting for WhatsApp's review; it cannot be sent yet",
    "IN_APPEAL": "is rejected and in appeal; it cannot be sent yet",
    "PENDING_DELETION": "is being deleted from the account",
    "DELETED": "was deleted from the account",
    "LIMIT_EXCEEDED": "is over the account's template limit; it cannot be sent",
}


def fetch_templates(wa: WhatsApp, waba_id: str) -> list[dict]:
    """Every template of the WhatsApp Business Account `waba_id`, following Meta's `after` cursors.

    Raises GraphUnavailable with a sentence an owner can act on.
    """
    found: list[dict] = []
    after = None
    pywa_log = logging.getLogger("pywa.api")  # its advice on httpx clients, beside our one line, is noise
    level = pywa_log.level
    pywa_log.setLevel(logging.ERROR)
    try:
        while True:
            page = wa.api.get_templates(waba_id, fields=FIELDS,
                                        pagination={"limit": PAGE, **({"after": after} if after else {})})
            found += page.get("data") or []
            paging = page.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return found
    except WhatsAppError as exc:
        hint = " (check WHATSAPP_TOKEN)" if exc.code == 190 else " (check WHATSAPP_WABA_ID)" if exc.code == 100 else ""
        raise GraphUnavailable(f"the Graph API refused to list the templates of account {waba_id}: "
                               f"{exc.message} (code {exc.code}){hint}") from None
    except httpx.HTTPError as exc:
        raise GraphUnavailable(f"could not reach the Graph API at {wa.api._session.base_url}: "
                               f"{exc.__class__.__name__} {exc}".rstrip()) from None
    finally:
        pywa_log.setLevel(level)


def _component(template: dict, kind: str) -> dict:
    return next((c for c in template.get("components") or [] if str(c.get("type")).upper() == kind), {})


def _approved_buttons(template: dict) -> list[tuple[str, str, bool]]:
    """(type, text, has a dynamic part) of each of the template's buttons, in order."""
    return [(str(b.get("type", "")).lower(), str(b.get("text", "")), "{{" in str(b.get("url", "")))
            for b in _component(template, "BUTTONS").get("buttons") or []]


def _our_buttons(buttons: Iterable[TemplateButton]) -> list[tuple[str, str, bool]]:
    return [(b.type, b.text, b.fill is not None) for b in buttons]


def _describe(buttons: list[tuple[str, str, bool]]) -> str:
    if not buttons:
        return "none"
    return ", ".join(f"{kind} “{text}”" + (" with a dynamic URL" if dynamic else "") for kind, text, dynamic in buttons)


def compare(ours: Iterable[ApprovedTemplate], account: list[dict]) -> list[Problem]:
    """Each difference between the owner's templates and the account's, at its line of flows/templates.yaml."""
    problems = []
    for entry in ours:
        def problem(message: str, entry: ApprovedTemplate = entry) -> None:
            problems.append(Problem(REL, entry.line, f"template `{entry.name}` ({entry.language}) {message}"))

        same_name = [t for t in account if t.get("name") == entry.name]
        theirs = next((t for t in same_name if t.get("language") == entry.language), None)
        if theirs is None:
            if same_name:
                languages = ", ".join(sorted(str(t.get("language")) for t in same_name))
                problem(f"is not in the WhatsApp account for {entry.language}; it has it in {languages}")
            else:
                problem("is not in the WhatsApp account"
                        + did_you_mean(entry.name, {str(t.get("name")) for t in account}))
            continue
        status = str(theirs.get("status", "")).upper()
        if status != "APPROVED":
            problem(STATUSES.get(status, f"has status {status}; only approved templates can be sent"))
        category = str(theirs.get("category", "")).lower()
        if category != entry.category:
            problem(f"is {entry.category} in {REL} but {category} in the account (WhatsApp charges and limits "
                    "each category differently)")
        placeholders = len(set(_PLACEHOLDER.findall(str(_component(theirs, "BODY").get("text", "")))))
        if placeholders != len(entry.body):
            problem(f"has {len(entry.body)} body parameter(s) in {REL} but the approved text has {placeholders}")
        if _approved_buttons(theirs) != _our_buttons(entry.buttons):
            problem(f"buttons differ: the approved template has {_describe(_approved_buttons(theirs))}; "
                    f"{REL} has {_describe(_our_buttons(entry.buttons))}")
    return problems


def check_account(wa: WhatsApp, waba_id: str, ours: tuple[ApprovedTemplate, ...]) -> list[Problem]:
    """The problems of `ours` against account `waba_id`'s templates. Raises GraphUnavailable."""
    return compare(ours, fetch_templates(wa, waba_id))


def summary(checked: int, problems: int) -> str:
    """The last line of a check: "8 templates checked: 1 problem"."""
    return (f"{checked} template{'s' * (checked != 1)} checked: "
            + (f"{problems} problem{'s' * (problems != 1)}" if problems else "no problems"))
