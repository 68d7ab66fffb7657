"""Reading `catalog/categories.csv` and `catalog/products.csv`, checking every row.

Files an owner edits in a spreadsheet: UTF-8 (a BOM is fine), comma- or
semicolon-separated, one row per sellable SKU. Every problem is collected as
`path:line: message`, with a "did you mean" where a near name exists.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from bot.commerce.catalog import Catalog, Category, Product, Variant
from bot.commerce.money import CURRENCIES, MoneyError, parse
from bot.content.csv_rows import NO, YES, read_rows
from bot.content.problems import Problem, did_you_mean
from bot.whatsapp.messages import LIMITS

if TYPE_CHECKING:
    from bot.content.language_packs import LanguagePack

CATEGORY_COLUMNS = ("id", "title", "emoji", "description")
PRODUCT_COLUMNS = ("sku", "product_id", "name", "category", "price", "currency", "description",
                   "image", "stock", "active", "options", "keywords")
REQUIRED_PRODUCT_COLUMNS = ("sku", "name", "category", "price")
TRANSLATED_CATEGORY_COLUMNS = ("title", "description")  # title_es, description_ar, ...
TRANSLATED_PRODUCT_COLUMNS = ("name", "description", "options")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def _with_translations(columns: tuple[str, ...], translated: tuple[str, ...], languages: tuple[str, ...]):
    return columns + tuple(f"{column}_{lang}" for lang in languages[1:] for column in translated)


def _translations(row: dict, column: str, languages: tuple[str, ...]) -> dict[str, str]:
    """{lang: value} of the non-empty `column_<lang>` cells of one row."""
    return {lang: row[f"{column}_{lang}"] for lang in languages[1:] if row.get(f"{column}_{lang}")}


def load_categories(root: Path, problems: list[Problem], languages: tuple[str, ...] = ("en",)) -> list[Category]:
    rel = "catalog/categories.csv"
    categories: list[Category] = []
    seen: dict[str, int] = {}
    known = _with_translations(CATEGORY_COLUMNS, TRANSLATED_CATEGORY_COLUMNS, languages)
    for line, row in read_rows(root / rel, rel, problems, known, ("id", "title")):
        cid, title = row.get("id", ""), row.get("title", "")
        if not cid or not title:
            problems.append(Problem(rel, line, "each category needs an `id` and a `title`"))
            continue
        if cid in seen:
            problems.append(Problem(rel, line, f"duplicate category `{cid}` (first on line {seen[cid]})"))
            continue
        seen[cid] = line
        label = f"{row.get('emoji', '')} {title}".strip()
        if len(label) > LIMITS["row_title"]:
            problems.append(Problem(rel, line, f"title is {len(label)} characters with its emoji; "
                                               f"WhatsApp list rows show {LIMITS['row_title']}", "warning"))
        categories.append(Category(cid, title, row.get("emoji", ""), row.get("description", ""),
                                   _translations(row, "title", languages),
                                   _translations(row, "description", languages)))
    return categories


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "product"


def _options(text: str, rel: str, line: int, problems: list[Problem]) -> tuple[tuple[str, str], ...] | None:
    """'size=M; colour=Red' -> (("size", "M"), ("colour", "Red"))."""
    options = []
    for part in filter(None, (p.strip() for p in re.split(r"[;|]", text))):
        name, _, value = part.partition("=")
        name, value = name.strip().lower(), value.strip()
        if not name:
            problems.append(Problem(rel, line, f"option `{part}` has no name (write it like size=M)"))
            return None
        if not value:
            problems.append(Problem(rel, line, f"option `{name}` has no value (write it like {name}=M)"))
            return None
        options.append((name, value))
    return tuple(options)


def _image(value: str, root: Path, rel: str, line: int, problems: list[Problem]) -> str | None:
    if not value:
        return None
    if value.startswith(("http://", "https://")):
        return value
    path = (root / "catalog" / value).resolve()
    if not path.is_relative_to((root / "catalog").resolve()):
        problems.append(Problem(rel, line, f"image `{value}` must be inside catalog/"))
        return None
    if not path.is_file():
        problems.append(Problem(rel, line, f"image `{value}` not found in catalog/"))
        return None
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        problems.append(Problem(rel, line, f"image `{value}` must be PNG or JPEG for WhatsApp"))
        return None
    return value


def _option_words(options: tuple[tuple[str, str], ...], row: dict, languages: tuple[str, ...], rel: str,
                  line: int, problems: list[Problem]) -> dict[str, dict[str, str]]:
    """{lang: {default word: its translation}} from `options_<lang>` ("talla=M; color=Blanco"), which
    gives the row's options in the same order as `options`."""
    found: dict[str, dict[str, str]] = {}
    for lang in languages[1:]:
        text = row.get(f"options_{lang}", "")
        if not text:
            continue
        translated = _options(text, rel, line, problems)
        if translated is None:
            continue
        if len(translated) != len(options):
            problems.append(Problem(rel, line, f"options_{lang} has {len(translated)} option(s) and options has "
                                               f"{len(options)}; write the same options in the same order",
                                    "warning"))
            continue
        words = found.setdefault(lang, {})
        for (name, value), (their_name, their_value) in zip(options, translated, strict=True):
            words[name], words[value] = their_name, their_value
    return found


def load_catalog(root: Path, shop_currency: str, problems: list[Problem],
                 words: LanguagePack | None = None, languages: tuple[str, ...] = ("en",)) -> Catalog:
    """Read both files; rows with errors are left out (and reported). `words` are for its search index;
    `languages` (the default first) say which translation columns there may be."""
    categories = load_categories(root, problems, languages)
    category_ids = [c.id for c in categories]
    rel = "catalog/products.csv"
    skus: dict[str, int] = {}
    groups: dict[str, dict] = {}  # product id -> first row's product fields and variants
    known = _with_translations(PRODUCT_COLUMNS, TRANSLATED_PRODUCT_COLUMNS, languages)
    for line, row in read_rows(root / rel, rel, problems, known, REQUIRED_PRODUCT_COLUMNS):
        before = len(problems)
        for column in REQUIRED_PRODUCT_COLUMNS:
            if not row.get(column):
                problems.append(Problem(rel, line, f"`{column}` is empty"))
        sku, name = row.get("sku", ""), row.get("name", "")
        if sku in skus:
            problems.append(Problem(rel, line, f"duplicate SKU `{sku}` (first on line {skus[sku]})"))
        elif sku:
            skus[sku] = line
        currency = (row.get("currency") or shop_currency).upper()
        if currency not in CURRENCIES:
            problems.append(Problem(rel, line, f"unknown currency `{currency}`{did_you_mean(currency, CURRENCIES)}"))
        elif currency != shop_currency:
            problems.append(Problem(rel, line, f"currency {currency} differs from the shop's {shop_currency} "
                                               "(flows/settings.yaml): one cart has one currency"))
        price = None
        if row.get("price") and currency in CURRENCIES:
            try:
                price = parse(row["price"], currency)
                if price < 0:
                    problems.append(Problem(rel, line, f"price {row['price']} is negative"))
            except MoneyError as exc:
                problems.append(Problem(rel, line, str(exc)))
        category = row.get("category", "")
        if category and category not in category_ids:
            problems.append(Problem(rel, line, f"unknown category `{category}`{did_you_mean(category, category_ids)}"
                                               " (categories are listed in catalog/categories.csv)"))
        stock_text, stock = row.get("stock", ""), None
        if stock_text:
            if not re.fullmatch(r"-?\d+", stock_text) or int(stock_text) < 0:
                problems.append(Problem(rel, line, f"stock must be a whole number of 0 or more, or blank for "
                                                   f"unlimited; got {stock_text}"))
            else:
                stock = int(stock_text)
        active_text = row.get("active", "").lower()
        if active_text not in YES | NO:
            problems.append(Problem(rel, line, f"active must be yes or no, got {row['active']!r}"))
        options = _options(row.get("options", ""), rel, line, problems)
        image = _image(row.get("image", ""), root, rel, line, problems)
        if len(name) > LIMITS["row_title"]:
            problems.append(Problem(rel, line, f"name is {len(name)} characters; WhatsApp list rows show "
                                               f"{LIMITS['row_title']}, so lists shorten it", "warning"))
        if options is None or price is None or any(p.severity == "error" for p in problems[before:]):
            continue  # a missing price or a bad option was reported above
        product_id = row.get("product_id") or _slug(name)
        group = groups.get(product_id)
        if group is None:
            group = groups[product_id] = {"line": line, "name": name, "category": category,
                                          "description": row.get("description", ""), "image": image,
                                          "keywords": [], "variants": [], "option_names": None,
                                          "names": {}, "descriptions": {}, "words": {}}
        elif group["name"] != name:
            problems.append(Problem(rel, line, f"product `{product_id}` is named \"{group['name']}\" on line "
                                               f"{group['line']}; variants of one product share its name"))
            continue
        names = tuple(n for n, _v in options)
        if group["option_names"] is not None and set(names) != set(group["option_names"]):
            theirs = ", ".join(group["option_names"]) or "(none)"
            problems.append(Problem(rel, line, f"options {', '.join(names) or '(none)'} differ from the product's "
                                               f"{theirs} on line {group['line']}"))
            continue
        twin = next((v for v in group["variants"] if dict(v.options) == dict(options)), None)
        if twin is not None:
            problems.append(Problem(rel, line, f"same options as SKU `{twin.sku}`; each variant needs its own options"))
            continue
        group["option_names"] = names
        for key, column in (("names", "name"), ("descriptions", "description")):
            group[key] = _translations(row, column, languages) | group[key]  # the first row's win
        for lang, found in _option_words(options, row, languages, rel, line, problems).items():
            group["words"].setdefault(lang, {}).update(found)
        group["keywords"] += [k.strip() for k in re.split(r"[;|,]", row.get("keywords", "")) if k.strip()]
        group["variants"].append(Variant(sku, product_id, options, price, currency, stock,
                                         active_text not in NO, image or group["image"]))
    products = tuple(
        Product(pid, g["name"], g["category"], g["description"], g["image"],
                tuple(dict.fromkeys(g["keywords"])), tuple(g["variants"]), g["names"], g["descriptions"], g["words"])
        for pid, g in groups.items()
    )
    return Catalog(shop_currency, tuple(categories), products, words)
