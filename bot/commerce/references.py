"""Order references customers can read aloud: `SHP-7K3F9`.

Five characters from an alphabet without look-alikes (no 0/O, 1/I/L, 5/S,
8/B, 2/Z), so a reference typed from memory or a photo still matches.
"""
from __future__ import annotations

import hashlib
import re
import secrets

ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
LENGTH = 5


def make(prefix: str, seed: str | None = None) -> str:
    """A reference; derived from `seed` when given (the same seed, the same reference)."""
    if seed is None:
        chars = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    else:
        number = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
        chars = ""
        for _ in range(LENGTH):
            number, digit = divmod(number, len(ALPHABET))
            chars += ALPHABET[digit]
    return f"{prefix}-{chars}"


def find(prefix: str, text: str) -> str | None:
    """The first reference in free text, normalised to upper case ('status shp-7k3f9?' -> 'SHP-7K3F9')."""
    match = re.search(rf"\b{re.escape(prefix)}\s*-?\s*([{ALPHABET}]{{{LENGTH}}})\b", text.upper())
    return f"{prefix}-{match.group(1)}" if match else None
