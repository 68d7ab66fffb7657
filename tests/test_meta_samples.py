"""Every update kind Meta sends (74 real-format samples from pywa's test data) is accepted.

Each sample gets 200, is stored, and is handled without error; messages from
a customer get an answer. The samples reuse a few ids (`wamid.xyzxyz`), so
each case gets its own message ids here, as real traffic would have.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.models import InboundEvent

from .helpers import count, events

SAMPLES = Path(__file__).parent / "data" / "meta"
CASES = [(f.stem, name, sample) for f in sorted(SAMPLES.glob("*.json"))
         for name, sample in json.loads(f.read_text()).items()]


def _unique_ids(sample: dict, case: str) -> dict:
    for entry in sample.get("entry", []):
        for change in entry.get("changes", []):
            value = change.get("value", {})
            for i, msg in enumerate(value.get("messages", [])):
                msg["id"] = f"wamid.sample.{case}.{i}"
    return sample


def test_there_are_74_samples():
    assert len(CASES) == 74


def test_every_meta_update_kind_is_accepted_stored_and_handled(app, post, sender, fake_graph):
    for kind, name, sample in CASES:
        case = f"{kind}.{name}"
        r = post(_unique_ids(json.loads(json.dumps(sample)), case))
        assert r.status_code == 200, case
    stored = events(app)
    assert {e.status for e in stored} == {"processed"}, [(e.external_id, e.error) for e in stored if e.error]
    kinds = {e.kind for e in stored}
    assert kinds == {"message", "status", "update"}
    sender.pump()
    # customers wrote text, media, locations, orders...: each of those got an answer
    assert len(fake_graph.accepted) >= 20


@pytest.mark.parametrize("kind,name", [("message", "reaction"), ("system", "identity_change"),
                                       ("deleted_message", "revoke"), ("message_status", "read")])
def test_updates_that_need_no_answer_get_none(app, post, sender, fake_graph, kind, name):
    sample = json.loads((SAMPLES / f"{kind}.json").read_text())[name]
    assert post(sample).status_code == 200
    assert count(app, InboundEvent) == 1
    sender.pump()
    assert fake_graph.accepted == []
