""""Add as FAQ": a question customers keep asking becomes a draft in `flows/faq.drafts.yaml`.

The bot never serves drafts. The owner writes the answer and moves the entry
into `flows/faq.yaml`, where `shopbot check` validates it like any other.
"""
from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

from ruamel.yaml import YAML

DRAFTS = "flows/faq.drafts.yaml"
HEADER = """# Questions customers asked that the bot could not answer, added from the reports page.
# The bot does not read this file. Write an answer, give the entry an id and phrasings,
# and move it into flows/faq.yaml (then run `shopbot check`).
"""
_lock = threading.Lock()


def add(root: Path, question: str, count: int, today: date) -> bool:
    """Append a draft for `question`; False if it is already there. Raises ValueError for an empty question."""
    question = " ".join((question or "").split())[:500]
    if not question:
        raise ValueError("the question is empty")
    path = Path(root) / DRAFTS
    yaml = YAML()
    with _lock:
        data = yaml.load(path.read_text(encoding="utf-8")) if path.exists() else None
        if not data:
            data = {"version": 1, "drafts": []}
        drafts = data.setdefault("drafts", [])
        if any(str(d.get("question", "")).casefold() == question.casefold() for d in drafts):
            return False
        drafts.append({"question": question, "asked": int(count), "added": today.isoformat(), "answer": ""})
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            if not path.exists():
                handle.write(HEADER)  # an existing file keeps its own comments (round-trip)
            yaml.dump(data, handle)
        tmp.replace(path)
    return True
