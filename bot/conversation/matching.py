"""Understanding typed text: global intents, FAQ entries and the customer's language.

Built once per loaded content. Text is normalised (case, accents, Arabic
letter forms, punctuation) and, for the FAQ, stripped of filler words (every
language pack's `fillers`) while numbers are kept. FAQ candidates are first
narrowed by shared words (exact, prefix or a typo away), then scored with
rapidfuzz, so matching stays fast with hundreds of entries.
"""
from __future__ import annotations

import bisect
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz import fuzz, process

from bot.locales.text import normalise, singular

if TYPE_CHECKING:
    from bot.content.faq_file import Entry
    from bot.content.language_packs import LanguagePack


#: Signs of one language (its words; a mark such as "¿" counts two) that switch a known customer's language.
CONFIDENT = 3


class Matcher:
    """Intents and FAQ entries for one loaded shop."""

    def __init__(self, intents: dict[str, dict[str, tuple[str, ...]]], faq_entries: Iterable[Entry],
                 languages: tuple[str, ...], packs: Mapping[str, LanguagePack]) -> None:
        self.languages = languages
        self.fillers = frozenset().union(*(p.fillers for p in packs.values()))
        self.courtesy = frozenset().union(*(p.courtesy for p in packs.values()))
        self.scripts = {lang: re.compile(f"[{p.script}]") for lang, p in packs.items() if p.script}
        self.marks = {lang: p.marks for lang, p in packs.items() if p.marks}
        self.intent_of: dict[str, str] = {}
        vocab: dict[str, set[str]] = defaultdict(set)
        for intent, by_lang in intents.items():
            for lang, phrases in by_lang.items():
                for phrase in phrases:
                    norm = normalise(phrase)
                    if norm:
                        self.intent_of.setdefault(norm, intent)
                        vocab[lang].update(norm.split())
        self.intent_keys = list(self.intent_of)
        self.long_intent_keys = [k for k in self.intent_keys if len(k.split()) >= 3]

        self.faq_keys: list[str] = []
        self.faq_entry: list[str] = []
        for entry in faq_entries:
            for lang in set(entry.questions) | set(entry.phrasings):
                texts = [entry.questions.get(lang, ""), *entry.phrasings.get(lang, ())]
                for text in texts:
                    key = self.strip_fillers(text)
                    if key:
                        self.faq_keys.append(key)
                        self.faq_entry.append(entry.id)
                        vocab[lang].update(normalise(text).split())
        self.word_index: dict[str, set[int]] = defaultdict(set)
        self.key_words = [[singular(w) for w in key.split()] for key in self.faq_keys]
        for i, words in enumerate(self.key_words):
            for word in words:
                self.word_index[word].add(i)
        self.words = list(self.word_index)
        entries_with: dict[str, set[str]] = defaultdict(set)
        for i, words in enumerate(self.key_words):
            for word in words:
                entries_with[word].add(self.faq_entry[i])
        n = max(len(set(self.faq_entry)), 1)
        self.idf = {w: math.log(1 + n / len(es)) for w, es in entries_with.items()}
        self.unknown_idf = 0.4  # words no phrasing uses: they should not sink a match
        key_sets = [frozenset(words) for words in self.key_words]
        self.key_idf = np.array([sum(self.idf[w] for w in words) or 1.0 for words in key_sets], dtype=np.float32)
        self.keys_of = {w: np.fromiter(sorted(i for i in keys), dtype=np.int32) for w, keys in self.word_index.items()}
        self.entry_ids = list(dict.fromkeys(self.faq_entry))
        position = {e: i for i, e in enumerate(self.entry_ids)}
        self.entry_index = np.array([position[e] for e in self.faq_entry], dtype=np.int32)
        self.entry_count = len(self.entry_ids)
        self.sorted_words = sorted(self.words)
        self._similar: dict[str, dict[str, float]] = {}
        # words that tell languages apart: in one language's vocabulary only
        counts: dict[str, int] = defaultdict(int)
        for vocab_words in vocab.values():
            for w in vocab_words:
                counts[w] += 1
        self.language_words = {lang: {w for w in lang_words if counts[w] == 1 and len(w) > 2}
                               for lang, lang_words in vocab.items()}

    def strip_fillers(self, text: str) -> str:
        """`text` normalised, without filler words ("the", "por", "هل"); numbers stay."""
        return " ".join(w for w in normalise(text).split() if w not in self.fillers or w.isdigit())

    # -- intents ---------------------------------------------------------------------------------
    def intent(self, text: str) -> str | None:
        """The global intent a short message expresses ("menu", "talk to a human", "carrito")."""
        norm = " ".join(w for w in normalise(text).split() if w not in self.courtesy) or normalise(text)
        if not norm:
            return None
        if norm in self.intent_of:
            return self.intent_of[norm]
        words = norm.split()
        if len(words) <= 6 and self.intent_keys:
            best = process.extractOne(norm, self.intent_keys, scorer=fuzz.ratio, score_cutoff=86)
            if best:
                return self.intent_of[best[0]]
        if len(words) <= 10 and self.long_intent_keys:
            best = process.extractOne(norm, self.long_intent_keys, scorer=fuzz.token_set_ratio, score_cutoff=95)
            if best:
                return self.intent_of[best[0]]
        return None

    # -- FAQ -----------------------------------------------------------------------------------------
    def _word_similarity(self, word: str) -> dict[str, float]:
        """Vocabulary words close to `word`: exact 1.0, a typo or a shared stem less."""
        cached = self._similar.get(word)
        if cached is not None:
            return cached
        found = {word: 1.0} if word in self.word_index else {}
        if len(word) >= 4 and not word.isdigit():
            for match, score, _ in process.extract(word, self.words, scorer=fuzz.ratio, score_cutoff=75, limit=5):
                found[match] = max(found.get(match, 0.0), score / 100 * 0.95)
            stem = word[:5] if len(word) >= 6 else word[:4]
            start = bisect.bisect_left(self.sorted_words, stem)
            for other in self.sorted_words[start:start + 50]:
                if not other.startswith(stem):
                    break
                found.setdefault(other, 0.8)
        if len(self._similar) < 20_000:
            self._similar[word] = found
        return found

    def faq(self, text: str, limit: int = 3) -> list[tuple[str, float]]:
        """The best FAQ entries for `text`, best first, with a 0-100 score.

        The score weighs words by how rare they are among the FAQ phrasings
        (IDF), and counts how much of the message and of the phrasing match,
        so one shared common word is not enough and a question with extra
        words still finds its entry.
        """
        qwords = [singular(w) for w in self.strip_fillers(text).split()]
        if not qwords or not self.faq_keys:
            return []
        sims = {q: self._word_similarity(q) for q in qwords}
        if not any(sims.values()):
            return []
        q_weight = {q: self.idf.get(q, self.unknown_idf) for q in qwords}
        q_total = sum(q_weight.values())
        closest: dict[str, float] = {}  # vocabulary word -> its best similarity to any query word
        matched_q = np.zeros(len(self.faq_keys), dtype=np.float32)
        for q, found in sims.items():
            best_for_q = np.zeros(len(self.faq_keys), dtype=np.float32)
            for word, sim in found.items():
                keys = self.keys_of[word]
                best_for_q[keys] = np.maximum(best_for_q[keys], sim)
                if sim > closest.get(word, 0.0):
                    closest[word] = sim
            matched_q += q_weight[q] * best_for_q
        matched_k = np.zeros(len(self.faq_keys), dtype=np.float32)
        for word, sim in closest.items():
            matched_k[self.keys_of[word]] += self.idf[word] * sim
        scores = 50.0 * (matched_q / q_total + matched_k / self.key_idf)
        best = np.zeros(self.entry_count, dtype=np.float32)
        np.maximum.at(best, self.entry_index, scores)
        top = np.argsort(-best)[:limit]
        return [(self.entry_ids[i], round(float(best[i]), 1)) for i in top if best[i] > 0]

    # -- language ---------------------------------------------------------------------------------
    def language(self, text: str, confident: bool = False) -> str | None:
        """The language a message is written in, when its words say so clearly; `confident` asks
        for more (three signs of one language, none of another), enough to switch a customer whose
        language is known: "¿cuánto tarda el envío?" is Spanish, "2 red tees size m" too short to tell."""
        for lang in self.languages:  # a pack's `script`: most letters in Arabic's range mean Arabic
            script = self.scripts.get(lang)
            if script and len(script.findall(text)) >= max(2, len(text.replace(" ", "")) // 3):
                return lang
        hits = {lang: 0 for lang in self.languages}
        for word in normalise(text).split():
            for lang, words in self.language_words.items():
                if word in words and lang in hits:
                    hits[lang] += 1
        for lang, marks in self.marks.items():  # a pack's `marks`: "¿¡ñ" point to Spanish
            if lang in hits and any(mark in text for mark in marks):
                hits[lang] += 2
        ranked = [*sorted(hits.items(), key=lambda kv: -kv[1]), ("", 0)]
        (best, score), (_other, runner_up) = ranked[0], ranked[1]
        if confident:
            return best if score >= CONFIDENT and runner_up == 0 else None
        return best if score > runner_up else None
