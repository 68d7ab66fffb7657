"""Problems found in the owner's files, reported as `path:line: message`."""
from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str
    severity: str = "error"  # or "warning": reported, but the content still loads

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.path}:{self.line}: {prefix}{self.message}"


def did_you_mean(word: str, choices) -> str:
    """' (did you mean "x"?)' for the closest choice, or '' when nothing is close."""
    choices = list(choices)
    if not choices or not word:
        return ""
    best = process.extractOne(str(word), choices, scorer=fuzz.ratio, score_cutoff=66)
    return f' (did you mean "{best[0]}"?)' if best else ""
