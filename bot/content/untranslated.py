"""What the owner has not translated yet: shop data a customer would read in the default language.

Texts are checked where they load (flows/texts.<lang>.yaml); this covers the
shop's own data: product names, descriptions and option words, category
titles, and the delivery and payment options of `flows/checkout.yaml`. One
warning per file, field and language, naming the first few entries, so
`shopbot check` reads as a to-do list rather than a wall.
"""
from __future__ import annotations

from collections.abc import Iterable

from bot.content.problems import Problem
from bot.content.shop import Content

SHOWN = 5  # entries named per warning; the rest are counted


def untranslated(content: Content) -> list[Problem]:
    problems: list[Problem] = []
    catalog, checkout, default = content.catalog, content.checkout, content.default_language
    for lang in content.languages[1:]:

        def report(path: str, field: str, missing: Iterable[str], lang: str = lang) -> None:
            names = list(missing)
            if names:
                more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
                problems.append(Problem(path, 1, f"{field} not translated for {', '.join(names[:SHOWN])}{more}: "
                                                 f"{lang} customers read the {default} text", "warning"))

        products = catalog.products
        report("catalog/products.csv", f"name_{lang}", (p.id for p in products if lang not in p.names))
        report("catalog/products.csv", f"description_{lang}",
               (p.id for p in products if p.description and lang not in p.descriptions))
        report("catalog/products.csv", f"options_{lang}",
               (p.id for p in products if p.option_names and lang not in p.words))
        report("catalog/categories.csv", f"title_{lang}", (c.id for c in catalog.categories if lang not in c.titles))
        report("catalog/categories.csv", f"description_{lang}",
               (c.id for c in catalog.categories if c.description and lang not in c.descriptions))
        report("flows/checkout.yaml", f"the {lang} title or eta of delivery",
               (d.id for d in checkout.delivery if lang not in d.titles or (d.eta and lang not in d.etas)))
        report("flows/checkout.yaml", f"the {lang} title or instructions of payment",
               (p.id for p in checkout.payment if lang not in p.titles
                or (default in p.translated_instructions and lang not in p.translated_instructions)))
    return problems
