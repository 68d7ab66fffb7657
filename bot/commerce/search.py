"""Typo-tolerant product search over names, categories, keywords and option values.

An inverted index from normalised words to products; each query word is
matched exactly, by prefix ("sneak" -> sneakers) and fuzzily with rapidfuzz
against the vocabulary (not against every product), so a query costs about
the same for 100 or 100,000 products. Option values ("red", "42") also pick
the variant the customer asked for. The words search ignores ("do you
have", "quiero"), the words that name an option ("size", "talla") and colour
synonyms ("roja" for Red) come from the language packs (`catalog.words`).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process

from bot.commerce.catalog import Catalog, Product, Variant
from bot.locales.text import singular
from bot.locales.text import words as _words

WEIGHTS = {"name": 1.0, "keyword": 0.9, "option": 0.95, "category": 0.6}

@dataclass(frozen=True)
class Hit:
    product: Product
    score: float  # 0-100: how well the query is covered
    variant: Variant | None  # the variant the query's option words point at, if exactly one
    # option values the query named, when they leave several variants ("blue")
    options: dict[str, str] = field(default_factory=dict)


def words(text: str) -> list[str]:
    """Words for search: a hyphen joins ("t-shirt" is one word, "tshirt")."""
    return _words(text.replace("-", ""))


def _prefix_range(sorted_vocab: list[str], prefix: str) -> list[str]:
    lo = bisect.bisect_left(sorted_vocab, prefix)
    hi = bisect.bisect_left(sorted_vocab, prefix + "\uffff")
    return sorted_vocab[lo:hi]


class SearchIndex:
    """Built once per loaded catalog; read-only and shared by all threads.

    Postings are numpy arrays (product positions and weights per term), so a
    query word that matches thousands of products costs a few vectorised
    operations, not a Python loop over them.
    """

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        pack = catalog.words  # every language pack's words, combined (bot.locales)
        self.stopwords = pack.search_stopwords if pack else frozenset()
        self.option_words = pack.option_words if pack else frozenset()
        colours = pack.colours if pack else {}
        self.products = [p for p in catalog.products if p.active_variants]
        postings: dict[str, dict[int, float]] = {}
        option_terms: dict[str, dict[int, set[str]]] = {}  # term -> product -> SKUs
        self.option_names: set[str] = set()
        memo: dict[str, list[str]] = {}

        def cached_words(text: str) -> list[str]:
            found = memo.get(text)
            if found is None:
                found = memo[text] = words(text)
            return found

        def add(term: str, idx: int, weight: float, short_ok: bool = False):
            term = singular(term)
            if len(term) < 2 and not (term.isdigit() or short_ok):
                return
            bucket = postings.setdefault(term, {})
            if weight > bucket.get(idx, 0.0):
                bucket[idx] = weight

        def add_phrase(text: str, idx: int, weight: float):
            ws = cached_words(text)
            for w in ws:
                add(w, idx, weight)
            if len(ws) > 1:
                add("".join(ws), idx, weight)  # "t-shirt" is also "tshirt"

        for idx, product in enumerate(self.products):
            for name in product.all_names:  # "Soy candle, fig" and "Vela de soja, higo"
                add_phrase(name, idx, WEIGHTS["name"])
            for keyword in product.keywords:
                add_phrase(keyword, idx, WEIGHTS["keyword"])
            category = catalog.category(product.category)
            if category:
                for title in (category.title, *category.titles.values()):
                    add_phrase(title, idx, WEIGHTS["category"])
                add(category.id, idx, WEIGHTS["category"])
            for variant in product.active_variants:
                for name, value in variant.options:
                    self.option_names.update(w for word in (name, *product.translations_of(name))
                                             for w in cached_words(word))
                    for w in [w for word in (value, *product.translations_of(value)) for w in cached_words(word)]:
                        for term in [w, *sorted(colours.get(w, ()))]:
                            add(term, idx, WEIGHTS["option"], short_ok=True)  # sizes S, M, L
                            option_terms.setdefault(singular(term), {}).setdefault(idx, set()).add(variant.sku)
        self.postings = {
            term: (np.fromiter(bucket.keys(), dtype=np.int32, count=len(bucket)),
                   np.fromiter(bucket.values(), dtype=np.float32, count=len(bucket)))
            for term, bucket in postings.items()
        }
        self.option_terms = option_terms
        self.vocab = list(postings)
        self.sorted_vocab = sorted(postings)
        self._term_cache: dict[str, list[tuple[str, float]]] = {}

    def _terms_for(self, word: str) -> list[tuple[str, float]]:
        """Vocabulary terms matching one query word, with a 0-1 confidence."""
        cached = self._term_cache.get(word)
        if cached is not None:
            return cached
        found: dict[str, float] = {}
        if word in self.postings:
            found[word] = 1.0
        if not word.isdigit():
            if len(word) >= 3:
                for term in _prefix_range(self.sorted_vocab, word)[:20]:
                    found.setdefault(term, 0.9)
            if len(word) >= 4:
                cutoff = 80 if len(word) <= 5 else 75
                for term, score, _ in process.extract(word, self.vocab, scorer=fuzz.ratio,
                                                      score_cutoff=cutoff, limit=6):
                    # squared, so the closer of two typo matches clearly wins (tshrt: tshirt > shirt)
                    found[term] = max(found.get(term, 0.0), (score / 100) ** 2 * 0.95)
        result = sorted(found.items(), key=lambda kv: -kv[1])[:8]
        if len(self._term_cache) < 50_000:
            self._term_cache[word] = result
        return result

    def query_words(self, query: str) -> list[str]:
        return [singular(w) for w in words(query)
                if w not in self.stopwords and w not in self.option_names and w not in self.option_words
                and (len(w) > 1 or w.isdigit() or w in self.option_terms)]

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """Best products for `query`, best first; [] when nothing matches well enough."""
        qwords = self.query_words(query)
        if not qwords or not self.products:
            return []
        scores = np.zeros(len(self.products), dtype=np.float32)
        option_matches: list[str] = []  # option terms the query named with confidence
        for word in qwords:
            best = np.zeros(len(self.products), dtype=np.float32)
            for term, confidence in self._terms_for(word):
                idxs, weights = self.postings[term]
                best[idxs] = np.maximum(best[idxs], weights * confidence)
                if confidence >= 0.9 and term in self.option_terms:
                    option_matches.append(term)
            scores += best
        scores *= 100.0 / len(qwords)
        count = min(limit, len(scores))
        top = np.argpartition(-scores, count - 1)[:count]
        ranked = sorted(top.tolist(), key=lambda i: (-scores[i], i))
        return [Hit(self.products[i], round(float(scores[i]), 1), *self._variant(i, option_matches))
                for i in ranked if scores[i] >= 35]

    def _variant(self, idx: int, option_matches: list[str]) -> tuple[Variant | None, dict]:
        """The one variant every matched option word agrees on (or the only variant),
        else the option values those words fix ({"colour": "Blue"})."""
        product = self.products[idx]
        if len(product.active_variants) == 1:
            return product.active_variants[0], {}
        sku_sets = [self.option_terms[t][idx] for t in option_matches if idx in self.option_terms[t]]
        if not sku_sets:
            return None, {}
        common = set.intersection(*sku_sets)
        if len(common) == 1:
            return self.catalog.variant(common.pop()), {}
        variants = [v for v in (self.catalog.variant(sku) for sku in common) if v is not None]
        shared = dict(variants[0].options) if variants else {}
        for v in variants[1:]:
            shared = {k: val for k, val in shared.items() if dict(v.options).get(k) == val}
        return None, shared
