"""Normalising customer text for matching: case, accents, punctuation, Arabic letter forms.

Shared by commands, search and (later) the FAQ, so "Menú!!", "menu" and
"MENU" are the same word, and "قميص" matches however it is typed.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")  # tashkeel, tatweel
_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي"})
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def normalise(text: str) -> str:
    """Lower case, accents and Arabic diacritics folded, punctuation dropped, spaces collapsed."""
    text = _ARABIC_DIACRITICS.sub("", text).translate(_ARABIC_LETTERS).translate(_ARABIC_DIGITS)
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = "".join(c if c.isalnum() or c.isspace() else " " for c in text)
    return " ".join(text.split())


def words(text: str) -> list[str]:
    return normalise(text).split()


@lru_cache(maxsize=100_000)
def singular(word: str) -> str:
    """A rough singular for English and Spanish plurals: shirts->shirt, zapatos->zapato, boxes->box."""
    if len(word) <= 3 or not word.isalpha() or not word.isascii():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word
