"""Reading `flows/faq.yaml`: questions, other phrasings and answers, per language."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bot.content.problems import Problem, did_you_mean
from bot.content.yamlfile import line_of, load_yaml, value_line
from bot.whatsapp.messages import LIMITS

BUTTON_TITLE = LIMITS["button_title"]
SAMPLE = {"hours": "Mon–Fri 10:00–20:00", "delivery": [{"title": "Madrid", "fee": "€3.90", "eta": "tomorrow"}],
          "payment": [{"title": "Cash on delivery"}]}


@dataclass(frozen=True)
class Entry:
    id: str
    questions: dict[str, str]  # language -> the main question
    phrasings: dict[str, tuple[str, ...]]
    answers: dict[str, Any]  # language -> compiled template
    buttons: tuple[str, ...]  # other entry ids, or "person"
    shorts: dict[str, str] = field(default_factory=dict)  # language -> the owner's button title (<= 20)
    answer_lines: dict[str, int] = field(default_factory=dict)  # language -> the answer's line in faq.yaml

    def question(self, lang: str, default: str) -> str:
        return self.questions.get(lang) or self.questions[default]

    def short(self, lang: str, default: str) -> str | None:
        """The owner's short title for a button, if they wrote one."""
        return self.shorts.get(lang) or self.shorts.get(default)

    def answer(self, lang: str, default: str):
        return self.answers.get(lang) or self.answers[default]


@dataclass(frozen=True)
class FAQ:
    entries: tuple[Entry, ...] = ()
    by_id: dict[str, Entry] = field(default_factory=dict)


def _by_language(node, languages, default_lang, rel, line, problems) -> dict:
    if isinstance(node, CommentedMap):
        for lang in node:
            if lang not in languages:
                problems.append(Problem(rel, line_of(node, lang),
                                        f"unknown language `{lang}`{did_you_mean(str(lang), languages)}"))
        return {str(k): v for k, v in node.items() if k in languages}
    return {default_lang: node} if node is not None else {}


def load_faq(root: Path, languages: tuple[str, ...], problems: list[Problem], compile_text) -> FAQ:
    rel = "flows/faq.yaml"
    if not (root / rel).exists():
        return FAQ()
    data = load_yaml(root / rel, rel, problems)
    if data is None:
        return FAQ()
    raw = data.get("faq")
    if not isinstance(raw, CommentedSeq):
        problems.append(Problem(rel, line_of(data), "expected `faq:` with a list of entries"))
        return FAQ()
    default = languages[0]
    entries, seen, button_refs = [], set(), []
    for index, item in enumerate(raw):
        line = line_of(raw, index)
        if not isinstance(item, CommentedMap) or not item.get("id"):
            problems.append(Problem(rel, line, "each FAQ entry needs an `id`, a `question` and an `answer`"))
            continue
        entry_id = str(item["id"])
        if entry_id in seen:
            problems.append(Problem(rel, line_of(item, "id"), f"duplicate FAQ id `{entry_id}`"))
            continue
        seen.add(entry_id)
        questions = {k: str(v) for k, v in
                     _by_language(item.get("question"), languages, default, rel, line, problems).items()}
        if default not in questions:
            problems.append(Problem(rel, line, f"FAQ `{entry_id}` needs a question in {default}"))
            continue
        phrasings = {}
        for lang, values in _by_language(item.get("phrasings"), languages, default, rel, line, problems).items():
            phrasings[lang] = tuple(str(v) for v in (values or []))
        answers, answer_lines = {}, {}
        answer_node = item.get("answer")
        for lang, source in _by_language(answer_node, languages, default, rel, line, problems).items():
            where = (value_line(answer_node, lang) if isinstance(answer_node, CommentedMap)
                     else value_line(item, "answer"))
            template = compile_text(source, rel, where, SAMPLE)
            if template is not None:
                answers[lang], answer_lines[lang] = template, where
        if default not in answers:
            problems.append(Problem(rel, line, f"FAQ `{entry_id}` needs an answer in {default}"))
            continue
        shorts = {}
        short_node = item.get("short")
        for lang, title in _by_language(short_node, languages, default, rel, line, problems).items():
            where = value_line(short_node, lang) if isinstance(short_node, CommentedMap) else value_line(item, "short")
            if len(str(title)) > BUTTON_TITLE:
                problems.append(Problem(rel, where, f"`short` is a button title: at most {BUTTON_TITLE} characters"
                                                    f" (this one has {len(str(title))})"))
            else:
                shorts[lang] = str(title)
        buttons = tuple(str(b) for b in (item.get("buttons") or []))
        if len(buttons) > 3:
            problems.append(Problem(rel, line_of(item, "buttons"), "at most 3 buttons"))
        button_refs += [(b, line_of(item, "buttons")) for b in buttons]
        entries.append(Entry(entry_id, questions, phrasings, answers, buttons[:3], shorts, answer_lines))
    for button, line in button_refs:
        if button != "person" and button not in seen:
            problems.append(Problem(rel, line, f"button `{button}` is neither a FAQ id nor `person`"
                                               f"{did_you_mean(button, [*seen, 'person'])}"))
    return FAQ(tuple(entries), {e.id: e for e in entries})
