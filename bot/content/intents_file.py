"""Reading `flows/intents.yaml`: the words and phrasings of the global commands, per language."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml.comments import CommentedMap

from bot.content.problems import Problem, did_you_mean
from bot.content.yamlfile import line_of, load_yaml

INTENTS = ("menu", "cart", "checkout", "order_status", "cancel", "help", "person", "stop", "start", "language",
           "greeting", "thanks", "browse", "search")


@dataclass(frozen=True)
class Intents:
    phrases: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # intent -> language -> phrases


def load_intents(root: Path, languages: tuple[str, ...], problems: list[Problem]) -> Intents:
    rel = "flows/intents.yaml"
    if not (root / rel).exists():
        return Intents()
    data = load_yaml(root / rel, rel, problems)
    if data is None:
        return Intents()
    raw = data.get("intents")
    if not isinstance(raw, CommentedMap):
        problems.append(Problem(rel, line_of(data), "expected `intents:` mapping each intent to its phrases"))
        return Intents()
    phrases: dict[str, dict[str, tuple[str, ...]]] = {}
    for name, by_lang in raw.items():
        line = line_of(raw, name)
        if name not in INTENTS:
            problems.append(Problem(rel, line, f"unknown intent `{name}`{did_you_mean(str(name), INTENTS)}"))
            continue
        if isinstance(by_lang, list):
            by_lang = {languages[0]: by_lang}
        if not isinstance(by_lang, dict):
            problems.append(Problem(rel, line, f"intent `{name}` needs phrases per language, like {{en: [...]}}"))
            continue
        phrases[str(name)] = {}
        for lang, values in by_lang.items():
            if lang not in languages:
                problems.append(Problem(rel, line, f"unknown language `{lang}`{did_you_mean(str(lang), languages)}"))
                continue
            phrases[str(name)][str(lang)] = tuple(str(v) for v in (values or []))
    return Intents(phrases)
