"""The owner's files, loaded, checked and kept fresh.

`load_content(root)` reads `flows/` (and, from the catalog issue on,
`catalog/`), collects every problem as `path:line: message`, and raises
ContentError when any is an error. `ContentStore` keeps the last good content
serving and reloads when a file changes, so a bad edit never takes the bot down.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from bot.content import consistency
from bot.content.problems import Problem
from bot.content.shop import Content, build_content
from bot.content.untranslated import untranslated
from bot.errors import ContentError

log = logging.getLogger(__name__)

WATCHED_DIRS = ("flows", "catalog")


def load_content(root: str | Path) -> tuple[Content, list[Problem]]:
    """Load and check the shop in `root`; return it with its warnings.

    Raises ContentError listing every error.
    """
    problems: list[Problem] = []
    content = build_content(Path(root), problems)
    errors = [p for p in problems if p.severity == "error"]
    if errors or content is None:
        raise ContentError(problems)
    _ = content.catalog.search  # build the search index now, not on a customer's first search
    problems += consistency.faq_drift(content) + untranslated(content)
    return content, [p for p in problems if p.severity == "warning"]


def _fingerprint(root: Path) -> tuple:
    """Names, sizes and mtimes of every watched file: cheap to compute, changes on any edit."""
    entries = []
    for name in WATCHED_DIRS:
        base = root / name
        if not base.is_dir():
            continue
        for dirpath, _dirs, files in os.walk(base):
            for f in files:
                try:
                    st = os.stat(os.path.join(dirpath, f))
                except FileNotFoundError:
                    continue
                entries.append((dirpath, f, st.st_size, st.st_mtime_ns))
    return tuple(sorted(entries))


class ContentStore:
    """Serves the last good content; looks for edits at most every `interval` seconds."""

    def __init__(self, root: str | Path, interval: float = 1.0):
        self.root = Path(root)
        self.interval = interval
        self._lock = threading.Lock()
        self._checked_at = 0.0
        self._fingerprint = _fingerprint(self.root)
        self.content, self.warnings = load_content(self.root)
        self.last_error: ContentError | None = None

    def current(self) -> Content:
        """The content to use now, reloaded first if a file changed since the last look."""
        now = time.monotonic()
        if now - self._checked_at >= self.interval and self._lock.acquire(blocking=False):
            try:
                self._checked_at = now
                fp = _fingerprint(self.root)
                if fp != self._fingerprint:
                    self._fingerprint = fp
                    self.reload()
            finally:
                self._lock.release()
        return self.content

    def reload(self) -> bool:
        """Try to load the files again; keep the old content when they have errors."""
        try:
            content, warnings = load_content(self.root)
        except ContentError as exc:
            self.last_error = exc
            log.error("content edit refused, the last good content keeps serving:\n%s", exc)
            return False
        self.content, self.warnings, self.last_error = content, warnings, None
        log.info("content reloaded from %s", self.root)
        return True
