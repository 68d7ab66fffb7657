"""What the customer is sent, as typed values: `Text`, `Buttons`, `List`, `Image`...

The engine, the order desk and the staff composer build these; a typo in a
field is then a type error, not a message that fails at send time. The
outbox still stores plain JSON dicts: each class's `to_spec()` gives exactly
the dict the sender and `bot.whatsapp.messages.fit` understand, and
`outbox.enqueue` calls it, the one place where typed messages become specs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

Spec: TypeAlias = dict[str, Any]


def _with(spec: Spec, **optional: Any) -> Spec:
    """`spec` plus each optional field that has a value (None and "" are left out)."""
    spec.update({key: value for key, value in optional.items() if value})
    return spec


@dataclass(frozen=True)
class Button:
    """A reply button: its id comes back when tapped, the customer reads its title."""
    id: str
    title: str

    def to_spec(self) -> Spec:
        return {"id": self.id, "title": self.title}


@dataclass(frozen=True)
class Row:
    """One row of a list message."""
    id: str
    title: str
    description: str | None = None

    def to_spec(self) -> Spec:
        return _with({"id": self.id, "title": self.title}, description=self.description)


@dataclass(frozen=True)
class Section:
    """A titled group of rows in a list message."""
    title: str
    rows: tuple[Row, ...]

    def to_spec(self) -> Spec:
        return {"title": self.title, "rows": [r.to_spec() for r in self.rows]}


@dataclass(frozen=True)
class Text:
    text: str

    def to_spec(self) -> Spec:
        return {"type": "text", "text": self.text}


@dataclass(frozen=True)
class Buttons:
    """A message with up to three reply buttons."""
    text: str
    buttons: tuple[Button, ...]
    header: str | None = None

    def to_spec(self) -> Spec:
        return _with({"type": "buttons", "text": self.text, "buttons": [b.to_spec() for b in self.buttons]},
                     header=self.header)


@dataclass(frozen=True)
class List:
    """A list message: a button that opens sections of rows."""
    text: str
    button: str
    sections: tuple[Section, ...]
    header: str | None = None

    def to_spec(self) -> Spec:
        return _with({"type": "list", "text": self.text, "button": self.button,
                      "sections": [s.to_spec() for s in self.sections]}, header=self.header)


@dataclass(frozen=True)
class Image:
    """A picture with a caption and optional reply buttons; `path` is in the shop's files, `url` anywhere."""
    caption: str
    path: str | None = None
    url: str | None = None
    buttons: tuple[Button, ...] = ()

    def to_spec(self) -> Spec:
        spec: Spec = {"type": "image"}
        if self.url is not None:
            spec["url"] = self.url
        else:
            spec["path"] = self.path
        spec["caption"] = self.caption
        spec["buttons"] = [b.to_spec() for b in self.buttons]
        return spec


@dataclass(frozen=True)
class Product:
    """One item of the shop's WhatsApp catalog."""
    catalog_id: str
    sku: str
    text: str

    def to_spec(self) -> Spec:
        return {"type": "product", "catalog_id": self.catalog_id, "sku": self.sku, "text": self.text}


@dataclass(frozen=True)
class ProductSection:
    title: str
    skus: tuple[str, ...]

    def to_spec(self) -> Spec:
        return {"title": self.title, "skus": list(self.skus)}


@dataclass(frozen=True)
class Products:
    """Several items of the shop's WhatsApp catalog, in titled sections."""
    catalog_id: str
    header: str
    text: str
    sections: tuple[ProductSection, ...]

    def to_spec(self) -> Spec:
        return {"type": "products", "catalog_id": self.catalog_id, "header": self.header, "text": self.text,
                "sections": [s.to_spec() for s in self.sections]}


@dataclass(frozen=True)
class Document:
    """A file: an invoice stored with us (`invoice_id`) or one the shop's system serves (`url`)."""
    filename: str
    caption: str
    invoice_id: int | None = None
    url: str | None = None

    def to_spec(self) -> Spec:
        spec: Spec = {"type": "document", "filename": self.filename, "caption": self.caption}
        if self.invoice_id is not None:
            spec["invoice_id"] = self.invoice_id
        else:
            spec["url"] = self.url
        return spec


@dataclass(frozen=True)
class Template:
    """An approved template, the only kind WhatsApp takes outside the 24-hour window."""
    name: str
    language: str
    params: tuple[str, ...] = ()

    def to_spec(self) -> Spec:
        return {"type": "template", "name": self.name, "language": self.language, "params": list(self.params)}


@dataclass(frozen=True)
class CtaUrl:
    """A message with one button that opens `url` (WhatsApp's `cta_url` interactive message)."""
    text: str
    button: str
    url: str
    header: str | None = None
    footer: str | None = None

    def to_spec(self) -> Spec:
        return _with({"type": "cta_url", "text": self.text, "button": self.button, "url": self.url},
                     header=self.header, footer=self.footer)


#: Every kind of outgoing message.
Message: TypeAlias = Text | Buttons | List | Image | Product | Products | Document | Template | CtaUrl


def to_spec(message: Message | Spec) -> Spec:
    """The outbox's dict for `message` (a spec already is one: stored rows, tests)."""
    return message if isinstance(message, dict) else message.to_spec()
