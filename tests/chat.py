"""A customer talking to the bot through the webhook, and the sender's clock moved on by hand.

The `chat` and `clock` fixtures (conftest.py) give a test one of each.
"""
from __future__ import annotations

from datetime import timedelta

from bot.models import utcnow

from . import payloads as p

SAM = "34600111222"


class Chat:
    """One customer talking to the bot through the webhook; `say`, `tap` and `location` return what the bot
    sent back to it since the last one."""

    def __init__(self, post, sender, fake_graph, number=SAM, name="Sam Rivera"):
        self.post, self.sender, self.fake, self.number, self.name = post, sender, fake_graph, number, name
        self.seen = 0

    def _send(self, body):
        assert self.post(body).status_code == 200
        self.sender.pump()
        sent = self.fake.messages_to(self.number)
        new, self.seen = sent[self.seen:], len(sent)
        return new

    def say(self, words: str):
        return self._send(p.text(self.number, words, name=self.name))

    def tap(self, choice: str, title: str = ""):
        return self._send(p.button_reply(self.number, choice, title))

    def location(self, lat, lng, name="", address=""):
        msg = p.message(self.number, "location", {"latitude": lat, "longitude": lng, "name": name, "address": address})
        return self._send(p.body(p.messages_value(self.number, msg, name=self.name)))

    @staticmethod
    def buttons(sent) -> dict:
        """title -> id of the last message's reply buttons (or list rows)."""
        inter = sent[-1]["payload"].get("interactive", {})
        action = inter.get("action", {})
        found = {b["reply"]["title"]: b["reply"]["id"] for b in action.get("buttons", [])}
        for section in action.get("sections", []):
            found.update({r["title"]: r["id"] for r in section.get("rows", [])})
        return found


class Clock:
    """The sender's clock, moved on by hand: `at(minutes)` after the test began, then a sweep and a pump."""

    def __init__(self, sender):
        self.sender, self.start = sender, utcnow()  # the sender keeps real time until moved on

    def at(self, minutes: float) -> dict[str, int]:
        moment = self.start + timedelta(minutes=minutes)
        self.sender.clock = lambda: moment
        counts = self.sender.sweep_deadlines()
        self.sender.pump()
        return counts
