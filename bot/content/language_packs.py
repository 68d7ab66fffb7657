"""Language packs: the words the bot understands in each language, and the few it writes itself.

One YAML file per language ships beside this module (`en.yaml`, `es.yaml`,
`ar.yaml`): command words, number words, shopping cues, FAQ fillers, search
stopwords and colour synonyms, day names, the language's own name and the
click-to-chat text. An owner changes them without touching code in
`flows/locale.<lang>.yaml`: its lists are added to the shipped ones (a key
named in its `replace:` list replaces them instead), its texts replace them,
and a language shopbot does not ship is added the same way.

`load_packs` runs when the content loads (so hot reload picks up an edit);
files are read with line numbers and every problem is a `path:line: message`.
Matching that is language-independent today uses `combine(packs)`, the union
of every pack; day names and texts come from the customer's language.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from bot.content.intents_file import INTENTS
from bot.content.problems import Problem, did_you_mean
from bot.content.yamlfile import line_of, load_yaml
from bot.locales.text import normalise

SHIPPED = Path(__file__).parent.parent / "locales"  # the packs shipped with shopbot
OVERRIDE = "flows/locale.{lang}.yaml"

TEXTS = ("name", "chat_link", "chat_link_product", "chat_link_checkout", "chat_link_cart", "script", "marks")
DAYS = ("days", "short_days")
WORDS = ("articles", "order_words", "status_words", "shopping_cues", "fillers", "search_stopwords", "option_words",
         "remove_words")
PHRASES = ("courtesy",)
MAPPINGS = ("commands", "numbers", "colours", "facts")
KEYS = TEXTS + DAYS + WORDS + PHRASES + MAPPINGS + ("add_words",)
#: Taken from the English pack when a language's pack leaves them out.
FROM_ENGLISH = ("days", "short_days", "chat_link", "chat_link_product", "chat_link_checkout", "chat_link_cart")


@dataclass(frozen=True)
class LanguagePack:
    """The words of one language; `combine` makes one holding every language's words."""

    code: str
    name: str = ""
    days: tuple[str, ...] = ()  # Monday first
    short_days: tuple[str, ...] = ()
    chat_link: str = ""  # "{shop}" is the shop's name
    chat_link_product: str = ""  # "{product}" is the product's name; the link adds "[product-id]"
    chat_link_checkout: str = ""  # the cart's checkout link staff share; the link adds "[checkout]"
    chat_link_cart: str = ""  # the abandoned-cart reminder's link back to the cart; the link adds "[cart]"
    script: str = ""  # a regex character range: text mostly in it is this language
    marks: str = ""  # characters that point to this language ("¿¡ñ")
    commands: Mapping[str, frozenset[str]] = field(default_factory=dict)  # command -> normalised phrases
    numbers: Mapping[str, int] = field(default_factory=dict)
    articles: frozenset[str] = frozenset()
    add_words: frozenset[str] = frozenset()  # case-folded, matched as typed
    order_words: frozenset[str] = frozenset()
    status_words: frozenset[str] = frozenset()
    shopping_cues: frozenset[str] = frozenset()
    fillers: frozenset[str] = frozenset()
    courtesy: frozenset[str] = frozenset()
    search_stopwords: frozenset[str] = frozenset()
    option_words: frozenset[str] = frozenset()
    remove_words: frozenset[str] = frozenset()  # "remove the red tee" on the cart
    colours: Mapping[str, frozenset[str]] = field(default_factory=dict)  # catalog word -> what customers type
    facts: Mapping[str, frozenset[str]] = field(default_factory=dict)  # a fact (cash, canary_islands) -> its words


def _entries(data: CommentedMap, key: str, rel: str, problems: list[Problem]) -> list[str] | None:
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        problems.append(Problem(rel, line_of(data, key), f"`{key}` must be a list of words, like [hi, hello]"))
        return None
    return [str(v) for v in value]


def _mapping(data: CommentedMap, key: str, rel: str, problems: list[Problem]) -> dict[str, Any] | None:
    """`commands`, `numbers` or `colours`, checked and normalised."""
    value = data[key]
    example = {"commands": "{greeting: [hi, hello]}", "numbers": "{two: 2}", "colours": "{red: [rojo, roja]}",
               "facts": "{cash: [cash, in cash]}"}[key]
    if not isinstance(value, CommentedMap):
        problems.append(Problem(rel, line_of(data, key), f"`{key}` must be a mapping, like {example}"))
        return None
    result: dict[str, Any] = {}
    for name, item in value.items():
        line = line_of(value, name)
        if key == "numbers":
            if isinstance(item, bool) or not isinstance(item, int) or item < 1:
                problems.append(Problem(rel, line, f"`{name}` must be a whole number from 1, like {example}"))
            else:
                result[normalise(str(name))] = item
            continue
        if key == "commands" and name not in INTENTS:
            problems.append(Problem(rel, line, f"unknown command `{name}`{did_you_mean(str(name), INTENTS)}"))
            continue
        if not isinstance(item, list) or not all(isinstance(v, (str, int)) for v in item):
            problems.append(Problem(rel, line, f"`{name}` must be a list of words, like {example}"))
            continue
        words = {normalise(str(v)) for v in item}
        if key == "colours":
            words = {w for phrase in words for w in phrase.split()}
        result[normalise(str(name))] = frozenset(words - {""})
    return result


def _read(path: Path, rel: str, problems: list[Problem]) -> dict[str, Any] | None:
    """One pack or override file as {key: checked value}; None when it cannot be read."""
    data = load_yaml(path, rel, problems)
    if data is None:
        return None
    values: dict[str, Any] = {}
    for key in data:
        line = line_of(data, key)
        if key == "version":
            continue
        if key == "replace":
            replaced = _entries(data, key, rel, problems) or []
            for name in replaced:
                if name not in KEYS:
                    problems.append(Problem(rel, line, f"`replace` names an unknown key `{name}`"
                                                       f"{did_you_mean(name, KEYS)}"))
            values["replace"] = frozenset(replaced)
        elif key not in KEYS:
            problems.append(Problem(rel, line, f"unknown key `{key}`{did_you_mean(str(key), KEYS)}"))
        elif key in TEXTS:
            if not isinstance(data[key], str):
                problems.append(Problem(rel, line, f"`{key}` must be text"))
            elif key == "script" and not _valid_range(data[key]):
                problems.append(Problem(rel, line, "`script` must be a character range, like \"\\u0600-\\u06ff\""))
            else:
                values[key] = data[key]
        elif key in DAYS:
            names = _entries(data, key, rel, problems)
            if names is not None and len(names) != 7:
                problems.append(Problem(rel, line, f"`{key}` needs the 7 days, Monday first; got {len(names)}"))
            elif names is not None:
                values[key] = tuple(names)
        elif key in MAPPINGS:
            mapping = _mapping(data, key, rel, problems)
            if mapping is not None:
                values[key] = mapping
        else:
            entries = _entries(data, key, rel, problems)
            if entries is not None:
                values[key] = _words(key, entries)
    return values


def _valid_range(text: str) -> bool:
    """Letters and ranges (like Arabic's) that fit in a regex [...]: no brackets, escapes or reversed ranges."""
    if not text or any(c in text for c in "[]\\^"):
        return False
    try:
        re.compile(f"[{text}]")
    except re.error:
        return False
    return True


def _words(key: str, entries: list[str]) -> frozenset[str]:
    """Entries as the matcher compares them: single normalised words, whole phrases, or as typed."""
    if key == "add_words":
        return frozenset(e.casefold().strip() for e in entries)
    if key in PHRASES:
        return frozenset(normalise(e) for e in entries) - {""}
    return frozenset(w for e in entries for w in normalise(e).split())


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """An owner's file over a shipped pack: lists and mappings extended, texts and `replace:`d keys replaced."""
    replace = over.get("replace", frozenset())
    merged = dict(base)
    for key, value in over.items():
        if key == "replace" or key not in base or key in replace or key in TEXTS + DAYS:
            merged[key] = value
        elif key in ("commands", "colours", "facts"):
            merged[key] = {k: base[key].get(k, frozenset()) | value.get(k, frozenset())
                           for k in {**base[key], **value}}
        elif key == "numbers":
            merged[key] = {**base[key], **value}
        else:
            merged[key] = base[key] | value
    return merged


def load_packs(root: Path, languages: Iterable[str], problems: list[Problem]) -> dict[str, LanguagePack]:
    """The shipped packs with the owner's `flows/locale.<lang>.yaml` over them, by language code.

    Adds a warning for each of the shop's `languages` that has no pack, naming the file to add.
    """
    raw: dict[str, dict[str, Any]] = {}
    for path in sorted(SHIPPED.glob("*.yaml")):
        raw[path.stem] = _read(path, f"bot/locales/{path.name}", problems) or {}
    for path in sorted((root / "flows").glob(OVERRIDE.format(lang="*").removeprefix("flows/"))):
        lang = path.name.removeprefix("locale.").removesuffix(".yaml")
        over = _read(path, f"flows/{path.name}", problems)
        if over is not None:
            raw[lang] = _merge(raw.get(lang, {}), over)
    for lang in languages:
        if lang not in raw:
            problems.append(Problem(OVERRIDE.format(lang=lang), 1,
                                    f"no language pack for `{lang}`: the bot understands no {lang} command words, "
                                    f"numbers or day names; add this file (copy bot/locales/en.yaml and translate it)",
                                    "warning"))
    english = {k: v for k, v in raw.get("en", {}).items() if k in FROM_ENGLISH}
    return {lang: LanguagePack(lang, **{"name": lang, **english, **{k: v for k, v in values.items() if k != "replace"}})
            for lang, values in raw.items()}


def combine(packs: Iterable[LanguagePack]) -> LanguagePack:
    """One pack holding every pack's words (code "*"), for matching that does not depend on the language."""
    packs = list(packs)
    values: dict[str, Any] = {}
    for f in fields(LanguagePack):
        if f.name in ("commands", "colours", "facts"):
            keys = dict.fromkeys(k for p in packs for k in getattr(p, f.name))  # in file order
            values[f.name] = {k: frozenset().union(*(getattr(p, f.name).get(k, ()) for p in packs)) for k in keys}
        elif f.name == "numbers":
            values[f.name] = {k: v for p in packs for k, v in p.numbers.items()}
        elif f.type == "frozenset[str]":
            values[f.name] = frozenset().union(*(getattr(p, f.name) for p in packs))
    return LanguagePack("*", **values)
