"""Outgoing message specs and WhatsApp's size limits.

A message spec is a plain dict stored in the outbox (`{"type": "text",
"text": ...}`, `"buttons"`, `"list"`, `"image"`, `"document"`, `"template"`).
`LIMITS` is the one table of WhatsApp's limits; content loading checks owner
texts against it and `fit` enforces it before anything is queued, splitting
long texts and shortening titles on grapheme boundaries so an emoji or an
accented letter is never cut in half.
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


def _split_tail(text: str, limit: int) -> tuple[str, str]:
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


def fit(spec: dict) -> list[dict]:
    """Make `spec` respect WhatsApp's limits; may return several messages.

    Long plain texts are split; an interactive body that is too long sends its
    head as text first and keeps the buttons on the last part. Titles, rows and
    buttons beyond the limits are shortened or dropped (never silently: the
    content checker warns the owner about the same limits at load time).
    """
    kind = spec.get("type")
    if kind == "text":
        return [dict(spec, text=t) for t in split_text(spec.get("text", ""))]
    if kind in ("buttons", "list"):
        spec = dict(spec)
        head: list[dict] = []
        body = spec.get("text", "")
        if len(body) > LIMITS["interactive_body"]:
            before, spec["text"] = _split_tail(body, LIMITS["interactive_body"])
            head = [{"type": "text", "text": t} for t in split_text(before)]
        for key in ("header", "footer"):
            if spec.get(key):
                spec[key] = shorten(spec[key], LIMITS[key])
        if kind == "buttons":
            spec["buttons"] = [
                {"id": b["id"][: LIMITS["button_id"]], "title": shorten(b["title"], LIMITS["button_title"])}
                for b in spec.get("buttons", [])[: LIMITS["buttons"]]
            ]
        else:
            spec["button"] = shorten(spec.get("button", "Options"), LIMITS["list_button"])
            sections, room = [], LIMITS["list_rows"]
            for section in spec.get("sections", [])[: LIMITS["list_sections"]]:
                rows = []
                for row in section.get("rows", [])[:room]:
                    fitted = {"id": row["id"][: LIMITS["row_id"]], "title": shorten(row["title"], LIMITS["row_title"])}
                    if row.get("description"):
                        fitted["description"] = shorten(row["description"], LIMITS["row_description"])
                    rows.append(fitted)
                room -= len(rows)
                if rows:
                    sections.append({"title": shorten(section.get("title") or "", LIMITS["section_title"]), "rows": rows})
            spec["sections"] = sections
        return head + [spec]
    if kind in ("image", "document", "video") and spec.get("caption"):
        caption = spec["caption"]
        if len(caption) > LIMITS["caption"]:
            parts = split_text(caption, LIMITS["caption"])
            return [dict(spec, caption=parts[0])] + [{"type": "text", "text": t} for t in parts[1:]]
    return [spec]


def preview(spec: dict) -> str:
    """A one-line human summary of a spec, for logs and the staff transcript."""
    kind = spec.get("type")
    if kind in ("text", "buttons", "list"):
        return spec.get("text", "")
    if kind in ("image", "document", "video"):
        return spec.get("caption") or spec.get("filename") or f"[{kind}]"
    if kind == "template":
        return f"[template {spec.get('name')}]"
    return f"[{kind}]"
