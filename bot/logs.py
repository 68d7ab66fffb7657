"""Logging: the root handler (text, or one JSON object per line), and the ids of what is being handled.

Every line logged while an update or an outbox row is handled carries its
WhatsApp message id (house rule: logs carry the WhatsApp id), so one grep, or
one query in a log store, tells a message's whole story across the webhook,
the engine and the sender. The ids live in a context variable: `scoped` gives
a function a fresh set for its run and `note` adds to it as ids become known,
so the hot path adds one line where it learns an id and nothing is passed
around. `ContextFilter` copies them onto each record, where the JSON
formatter (and any `%(wamid)s` format) finds them.

Nothing is configured at import: `create_app` calls `setup`.
"""
from __future__ import annotations

import contextvars
import functools
import json
import logging
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import ParamSpec, TextIO, TypeVar

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: The ids a line can carry, in the order the JSON formatter writes them.
FIELDS = ("wamid", "outbox_id")

_NONE: Mapping[str, object] = MappingProxyType({})
_ids: contextvars.ContextVar[Mapping[str, object]] = contextvars.ContextVar("shopbot_log_ids", default=_NONE)

P = ParamSpec("P")
R = TypeVar("R")


def scoped(function: Callable[P, R]) -> Callable[P, R]:
    """Run `function` with ids of its own: what it `note`s is gone when it returns.

    Put on the function that handles one update or one outbox row, so a
    thread that goes on to the next one (a gunicorn thread, a sender pool
    thread) never carries the last one's ids.
    """

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        token = _ids.set(_NONE)
        try:
            return function(*args, **kwargs)
        finally:
            _ids.reset(token)

    return wrapper


def note(**ids: object) -> None:
    """Put `ids` (wamid=..., outbox_id=...) on every line logged from here to the end of the scope.

    None values are ignored, so a caller can pass an id that may not be known yet.
    """
    known = {k: v for k, v in ids.items() if v is not None}
    if known:
        _ids.set({**_ids.get(), **known})


def current() -> Mapping[str, object]:
    """The ids noted so far in this scope."""
    return _ids.get()


class ContextFilter(logging.Filter):
    """Copy the noted ids onto each record (as None when not known), for the formatters."""

    def filter(self, record: logging.LogRecord) -> bool:
        ids = _ids.get()
        for name in FIELDS:
            if getattr(record, name, None) is None:  # an explicit `extra=` wins
                setattr(record, name, ids.get(name))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the ids when known, the exception.

    The message is the formatted log message only: handlers never see message
    bodies or phone numbers unless a caller logged them, which the house rules forbid.
    """

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00",
                                                                                                         "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def make_handler(fmt: str, stream: TextIO | None = None) -> logging.Handler:
    """A stream handler (stderr by default) in `fmt` ("text" or "json"), with the ids filter."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(ContextFilter())
    return handler


def setup(fmt: str) -> None:
    """Give the root logger our handler in `fmt`, unless logging was configured by someone else.

    When the root logger already has handlers that are not ours (gunicorn's
    `--log-config`, pytest's capture, an embedding program), they are left as
    they are, as `logging.basicConfig` would. Ours is replaced, so the last
    app built in a process decides the format. INFO is the level.
    """
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per send is noise; the sender logs outcomes
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, "shopbot", False)]
    if root.handlers and not ours:
        return
    for handler in ours:
        root.removeHandler(handler)
    handler = make_handler(fmt)
    handler.shopbot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.INFO)
