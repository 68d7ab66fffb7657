"""Reading what the staff side needs from `flows/`: opening hours, handoff rules,
the order desk's settings (all in `flows/settings.yaml`) and the canned replies
and templates of `flows/replies.yaml`."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from bot.commerce.opening_hours import DAY_KEYS, HoursError, OpeningHours
from bot.content.problems import Problem, did_you_mean
from bot.content.templates_file import TemplateCatalogue, resolve_use
from bot.content.yamlfile import line_of, load_yaml, per_language
from bot.locales.text import normalise

SETTINGS = "flows/settings.yaml"
HANDOFF_KEYS = ("reply_within_minutes", "return_to_bot_after_minutes", "after_misses", "keywords",
                "menu_returns_to_bot", "alert_numbers")
SAMPLE_STAFF = {"name": "Ana", "email": "ana@shop.example"}


@dataclass(frozen=True)
class HandoffSettings:
    """When the bot hands a chat to a person, and what the customer is promised."""

    reply_within_minutes: int = 15  # promised inside opening hours
    return_to_bot_after_minutes: int = 120  # open time with no staff reply before the bot takes back the chat
    after_misses: int = 3  # misunderstood messages in a row before a person takes over
    keywords: tuple[str, ...] = ()  # normalised; any of them hands the chat over
    menu_returns_to_bot: bool = True  # a customer waiting for a person may type "menu" to get the bot back
    alert_numbers: tuple[str, ...] = ()  # staff phones told on WhatsApp when a chat is handed over
    forgotten_after_hours: int = 24  # the order desk flags pending orders older than this
    skip_steps: bool = False  # staff may set a later status at once (ship a confirmed order); skipped steps recorded


@dataclass(frozen=True)
class CannedReply:
    id: str
    title: str
    texts: dict[str, Any]  # language -> compiled template (customer, staff, shop)

    def render(self, lang: str | None, default: str, **context) -> str:
        return (self.texts.get(lang or "") or self.texts[default]).render(**context).strip()


@dataclass(frozen=True)
class StaffTemplate:
    """An approved WhatsApp template staff may send when the 24-hour window is closed."""

    name: str
    title: str
    language: str
    params: tuple[Any, ...]  # compiled templates (customer, staff, shop)


@dataclass(frozen=True)
class Replies:
    canned: tuple[CannedReply, ...] = ()
    templates: tuple[StaffTemplate, ...] = field(default_factory=tuple)


def _positive(data: CommentedMap, key: str, default: int, problems: list[Problem], least: int = 1) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        problems.append(Problem(SETTINGS, line_of(data, key), f"{key} must be a whole number of at least {least}"))
        return default
    return value


def load_hours(data: CommentedMap | None, shop: dict, problems: list[Problem]) -> OpeningHours:
    """`opening_hours:` in the shop's timezone; a bad value is an error with its line."""
    hours = data.get("opening_hours") if data else None
    if hours is not None and not isinstance(hours, CommentedMap):
        problems.append(Problem(SETTINGS, line_of(data, "opening_hours"), "opening_hours must map mon..sun to hours"))
        hours = None
    for key in hours or {}:
        if key not in DAY_KEYS:
            problems.append(Problem(SETTINGS, line_of(hours, key),
                                    f"unknown day `{key}`{did_you_mean(str(key), DAY_KEYS)}; "
                                    f"days are {', '.join(DAY_KEYS)}"))
    try:
        return OpeningHours.from_settings({k: v for k, v in (hours or {}).items() if k in DAY_KEYS},
                                          shop.get("timezone"))
    except HoursError as exc:
        day = str(exc).split(":", 1)[0]
        if hours is not None and day in hours:
            line = line_of(hours, day)
        else:
            line = line_of(data, "opening_hours") if data else 1
        if "timezone" in str(exc):
            line = 1
        problems.append(Problem(SETTINGS, line, str(exc)))
        return OpeningHours.from_settings(None, "UTC")


def load_handoff(data: CommentedMap | None, problems: list[Problem]) -> HandoffSettings:
    """`handoff:` and `order_desk:` from flows/settings.yaml, each value checked."""
    section = data.get("handoff") if data else None
    desk = data.get("order_desk") if data else None
    defaults = HandoffSettings()
    if section is None:
        section = CommentedMap()
    if not isinstance(section, CommentedMap):
        problems.append(Problem(SETTINGS, line_of(data, "handoff"), "handoff must be a mapping of settings"))
        section = CommentedMap()
    for key in section:
        if key not in HANDOFF_KEYS:
            problems.append(Problem(SETTINGS, line_of(section, key),
                                    f"unknown handoff setting `{key}`{did_you_mean(str(key), HANDOFF_KEYS)}"))
    keywords, numbers = section.get("keywords") or [], section.get("alert_numbers") or []
    if not isinstance(keywords, list):
        problems.append(Problem(SETTINGS, line_of(section, "keywords"), "keywords must be a list of words"))
        keywords = []
    if not isinstance(numbers, list):
        problems.append(Problem(SETTINGS, line_of(section, "alert_numbers"),
                                "alert_numbers must be a list of phone numbers"))
        numbers = []
    phones = []
    for index, number in enumerate(numbers):
        digits = "".join(ch for ch in str(number) if ch.isdigit())
        if not 8 <= len(digits) <= 15:
            problems.append(Problem(SETTINGS, line_of(numbers, index),
                                    f"`{number}` is not a phone number with country code, like +34 600 123 456"))
        else:
            phones.append(digits)
    menu_returns = section.get("menu_returns_to_bot", defaults.menu_returns_to_bot)
    if not isinstance(menu_returns, bool):
        problems.append(Problem(SETTINGS, line_of(section, "menu_returns_to_bot"),
                                "menu_returns_to_bot must be true or false"))
        menu_returns = defaults.menu_returns_to_bot
    forgotten, skip = defaults.forgotten_after_hours, defaults.skip_steps
    if desk is not None:
        if isinstance(desk, CommentedMap):
            forgotten = _positive(desk, "forgotten_after_hours", forgotten, problems)
            skip = desk.get("skip_steps", skip)
            if not isinstance(skip, bool):
                problems.append(Problem(SETTINGS, line_of(desk, "skip_steps"), "skip_steps must be true or false"))
                skip = defaults.skip_steps
        else:
            problems.append(Problem(SETTINGS, line_of(data, "order_desk"), "order_desk must be a mapping of settings"))
    return HandoffSettings(
        reply_within_minutes=_positive(section, "reply_within_minutes", defaults.reply_within_minutes, problems),
        return_to_bot_after_minutes=_positive(section, "return_to_bot_after_minutes",
                                              defaults.return_to_bot_after_minutes, problems),
        after_misses=_positive(section, "after_misses", defaults.after_misses, problems),
        keywords=tuple(dict.fromkeys(normalise(str(k)) for k in keywords if normalise(str(k)))),
        menu_returns_to_bot=menu_returns,
        alert_numbers=tuple(phones),
        forgotten_after_hours=forgotten,
        skip_steps=skip,
    )


def load_replies(root: Path, languages: tuple[str, ...], problems: list[Problem], compile_text,
                 catalogue: TemplateCatalogue) -> Replies:
    """flows/replies.yaml: canned replies (per language) and the templates for a closed window (checked
    against flows/templates.yaml)."""
    rel = "flows/replies.yaml"
    if not (root / rel).exists():
        return Replies()
    data = load_yaml(root / rel, rel, problems)
    if data is None:
        return Replies()
    sample = {"staff": SAMPLE_STAFF}
    canned, seen = [], set()
    for index, item in enumerate(data.get("replies") or []):
        line = line_of(data["replies"], index)
        if not isinstance(item, CommentedMap) or not item.get("id") or not item.get("title") or "text" not in item:
            problems.append(Problem(rel, line, "each reply needs `id`, `title` and `text`"))
            continue
        if item["id"] in seen:
            problems.append(Problem(rel, line_of(item, "id"), f"duplicate reply id `{item['id']}`"))
        seen.add(item["id"])
        texts = {}
        for lang, source in per_language(item["text"], languages, rel, line_of(item, "text"), problems).items():
            line = line_of(item["text"], lang) if isinstance(item["text"], CommentedMap) else line_of(item, "text")
            template = compile_text(source, rel, line, sample)
            if template is not None:
                texts[lang] = template
        if languages[0] in texts:
            canned.append(CannedReply(str(item["id"]), str(item["title"]), texts))
    templates = []
    for index, item in enumerate(data.get("templates") or []):
        line = line_of(data["templates"], index)
        if not isinstance(item, CommentedMap) or not item.get("name"):
            problems.append(Problem(rel, line, "each template needs the `name` approved in WhatsApp Manager"))
            continue
        use = resolve_use(catalogue, rel, item, languages[0], problems, compile_text, sample)
        if use is not None:
            templates.append(StaffTemplate(use.name, str(item.get("title") or use.name), use.language, use.params))
    return Replies(tuple(canned), tuple(templates))


@dataclass(frozen=True)
class Label:
    """A label staff put on conversations (flows/labels.yaml): a filter in the inbox, a line in reports."""

    id: str
    title: str
    colour: str = "#667085"


def load_labels(root: Path, problems: list[Problem]) -> tuple[Label, ...]:
    """flows/labels.yaml: `labels: [{id: vip, title: VIP, colour: "#f79009"}]` (optional file)."""
    rel = "flows/labels.yaml"
    if not (root / rel).exists():
        return ()
    data = load_yaml(root / rel, rel, problems)
    if data is None:
        return ()
    labels: list[Label] = []
    for index, item in enumerate(data.get("labels") or []):
        line = line_of(data["labels"], index)
        if not isinstance(item, CommentedMap) or not item.get("id") or not item.get("title"):
            problems.append(Problem(rel, line, "each label needs an `id` and a `title`"))
            continue
        label_id, colour = str(item["id"]), str(item.get("colour", Label.colour))
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", label_id):
            problems.append(Problem(rel, line_of(item, "id"), f"label id `{label_id}` must be lower-case letters, "
                                                              "digits, - or _ (like vip or wholesale)"))
            continue
        if any(label.id == label_id for label in labels):
            problems.append(Problem(rel, line_of(item, "id"), f"duplicate label `{label_id}`"))
            continue
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
            problems.append(Problem(rel, line_of(item, "colour"), f"colour {colour!r} must be like #f79009"))
            colour = Label.colour
        labels.append(Label(label_id, str(item["title"]), colour))
    return tuple(labels)
