"""WhatsApp's size limits, and cutting text to them without breaking a character.

`LIMITS` is the one table of WhatsApp's limits; content loading checks owner
texts against it and `message_types.fit` enforces it before anything is
queued, with the helpers here: they split long texts and shorten titles on
grapheme boundaries so an emoji or an accented letter is never cut in half.
"""
from __future__ import annotations

import regex

LIMITS = {
    "buttons": 3,  # reply buttons per message
    "button_title": 20,
    "list_rows": 10,  # rows across all sections of one list message
    "list_sections": 10,
    "row_title": 24,
    "row_description": 72,
    "section_title": 24,
    "list_button": 20,
    "interactive_body": 1024,
    "header": 60,
    "footer": 60,
    "caption": 1024,
    "text": 4096,
    "button_id": 256,
    "row_id": 200,
}

_GRAPHEME = regex.compile(r"\X")
ELLIPSIS = "…"


def graphemes(text: str) -> list[str]:
    """User-perceived characters: a flag or a family emoji counts as one."""
    return _GRAPHEME.findall(text)


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` code points on a grapheme boundary, with an ellipsis."""
    if len(text) <= limit:
        return text
    out, used = [], len(ELLIPSIS)
    for g in graphemes(text):
        if used + len(g) > limit:
            break
        out.append(g)
        used += len(g)
    return "".join(out).rstrip() + ELLIPSIS


def split_text(text: str, limit: int = LIMITS["text"]) -> list[str]:
    """Split a long text into parts of at most `limit`, preferring paragraph, line and
    word breaks, and never cutting inside a grapheme."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        # the latest paragraph break, else line break, else space, in the second half
        cut = next((c for c in (window.rfind(sep) for sep in ("\n\n", "\n", " ")) if c >= limit // 2), -1)
        if cut < 0:
            # no good break: take whole graphemes up to the limit
            used = 0
            for g in graphemes(rest):
                if used + len(g) > limit:
                    break
                used += len(g)
            cut = used
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not parts:
        parts.append(rest)
    return parts


def split_tail(text: str, limit: int) -> tuple[str, str]:
    """(head, tail) with a tail of at most `limit` that starts at a paragraph, line or word break."""
    start = len(text) - limit
    for sep in ("\n\n", "\n", " "):
        cut = text.find(sep, start)
        if 0 <= cut < start + limit // 2:
            return text[:cut].rstrip(), text[cut:].strip()
    # no break near the end: take whole graphemes from the end
    gs, used = graphemes(text), 0
    i = len(gs)
    while i > 0 and used + len(gs[i - 1]) <= limit:
        i -= 1
        used += len(gs[i])
    return "".join(gs[:i]).rstrip(), "".join(gs[i:]).strip()
