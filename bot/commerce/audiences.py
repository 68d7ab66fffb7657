"""Who a broadcast goes to: a CSV file of phones, a staff chat label, or a segment.

`shopbot broadcast create` takes exactly one of them. A file is checked whole
first, each bad row reported as `FILE:LINE: message`, and a file with any error
creates nothing; a customer named twice (the same phone spelt two ways) is a
warning and counts once (`Audience.merged` says how many rows were merged), so
a campaign has one recipient row per customer, as its unique constraint wants.
A label must be one of flows/labels.yaml. A segment is one of a few
plain-words rules ("ordered in last 90 days", "all opted in"). Consent is not
decided here: the broadcast filters the audience (bot.commerce.broadcasts).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.commerce import customers
from bot.content.csv_rows import read_rows
from bot.content.problems import Problem, did_you_mean
from bot.errors import BroadcastError
from bot.models import ChatLabel, Customer, Order, OrderStatus

SEGMENTS = ("ordered in last N days", "all opted in")
_ORDERED = re.compile(r"(?:customers who )?ordered in (?:the )?last (\d{1,4}) days?")


@dataclass(frozen=True)
class Audience:
    """The customers chosen, by id in a stable order, and the words that describe the choice."""

    description: str
    customer_ids: tuple[int, ...]
    merged: int = 0  # rows of a file that named a customer already named above it


def from_csv(session: Session, path: Path, rel: str, now: datetime) -> tuple[Audience | None, list[Problem]]:
    """The customers of a CSV file with a `phone` column, created when not known yet (a new customer
    has no opt-in: a marketing broadcast skips them). None and the problems when any row is bad."""
    problems: list[Problem] = []
    phones: dict[str, int] = {}
    duplicates = 0
    for line, cells in read_rows(path, rel, problems, ("phone", "name"), ("phone",)):
        phone = cells.get("phone", "")
        digits = customers.phone_digits(phone)
        if digits is None:
            problems.append(Problem(rel, line, f"phone `{phone}` {customers.PHONE_RULE}" if phone
                                    else "phone is empty"))
        elif digits in phones:
            problems.append(Problem(rel, line, f"phone {digits} is already on line {phones[digits]}: merged, "
                                               "the customer gets one message", "warning"))
            duplicates += 1
        else:
            phones[digits] = line
    if not phones and not any(p.severity == "error" for p in problems):
        problems.append(Problem(rel, 1, "no phones in the file"))
    if any(p.severity == "error" for p in problems):
        return None, problems
    found = [customers.find_or_create(session, None, phone, None, now).id for phone in phones]
    ids = tuple(dict.fromkeys(found))  # two phones of one customer (should one ever be found so): once
    return Audience(f"file {Path(rel).name}", ids, duplicates + len(found) - len(ids)), problems


def from_label(session: Session, label: str, known: tuple[str, ...]) -> Audience:
    """The customers whose chat carries `label` (put on by staff in the inbox). Raises BroadcastError
    for a label that is not in flows/labels.yaml."""
    if label not in known:
        raise BroadcastError(f"no label `{label}` in flows/labels.yaml{did_you_mean(label, known)}; "
                            f"the labels are: {', '.join(known) or 'none'}")
    ids = session.scalars(select(ChatLabel.customer_id).where(ChatLabel.label == label)
                          .order_by(ChatLabel.customer_id)).all()
    return Audience(f"label {label}", tuple(ids))


def from_segment(session: Session, words: str, now: datetime) -> Audience:
    """The customers of a segment in plain words. Raises BroadcastError naming the segments known."""
    said = " ".join(words.lower().split())
    ordered = _ORDERED.fullmatch(said)
    if ordered:
        days = int(ordered.group(1))
        if days < 1:
            raise BroadcastError("the number of days must be at least 1")
        ids = session.scalars(select(Order.customer_id).where(
            Order.created_at >= now - timedelta(days=days), Order.customer_id.is_not(None),
            Order.status != OrderStatus.CANCELLED).group_by(Order.customer_id).order_by(Order.customer_id)).all()
        return Audience(f"segment ordered in last {days} days", tuple(i for i in ids if i is not None))
    if said in ("all opted in", "opted in", "everyone opted in"):
        ids = session.scalars(select(Customer.id).where(Customer.marketing_opt_in.is_(True))
                              .order_by(Customer.id)).all()
        return Audience("segment all opted in", tuple(ids))
    raise BroadcastError(f"unknown segment `{words}`; use one of: " + "; ".join(f'"{s}"' for s in SEGMENTS))
