"""One language per customer (issue 15, item 5), through signed webhooks and the CLI: the shop's data
(product names, descriptions, options, categories, delivery and payment options) in the customer's
language, money and dates as their locale writes them, a clear language switch followed, and
`shopbot check` listing what is untranslated."""
from __future__ import annotations

import csv
import re
from pathlib import Path

from click.testing import CliRunner

from bot.cli import cli

from .chat import Chat
from .helpers import body_text
from .test_lifecycle import set_status

SPANISH_MONTHS = r"\b(ene|feb|mar|abr|may|jun|jul|ago|sept|oct|nov|dic)\b"
ENGLISH_MONTHS = r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b"
WORD = re.compile(r"[^\W\d_]{3,}")


def english_only_words(shop: Path) -> set[str]:
    """Words of the shop's English texts and data that its Spanish texts and data never use:
    finding one in a reply to a Spanish customer is English leaking into their chat."""
    def words_of(*paths: Path, columns: tuple[str, ...] = ()) -> set[str]:
        found: set[str] = set()
        for path in paths:
            if path.suffix == ".csv":
                with path.open(encoding="utf-8") as f:
                    text = " ".join(row.get(c) or "" for row in csv.DictReader(f) for c in columns)
            else:
                text = path.read_text(encoding="utf-8")
            found |= {w.casefold() for w in WORD.findall(re.sub(r"{[{%].*?[%}]}", " ", text))}
        return found

    flows, catalog = shop / "flows", shop / "catalog"
    english = words_of(flows / "texts.yaml", flows / "checkout.yaml") \
        | words_of(catalog / "products.csv", columns=("name", "description")) \
        | words_of(catalog / "categories.csv", columns=("title", "description"))
    spanish = words_of(flows / "texts.es.yaml", flows / "checkout.yaml", flows / "faq.yaml") \
        | words_of(catalog / "products.csv", columns=("name_es", "description_es", "options_es", "options")) \
        | words_of(catalog / "categories.csv", columns=("title_es", "description_es"))
    return english - spanish


def said(sent) -> str:
    return "\n".join(body_text(m) for m in sent)


def buy_a_candle_in_spanish(chat) -> list[str]:
    """'hola' to a placed order, tapping what a Spanish customer sees; every reply's text."""
    replies = []

    def say(sent):
        replies.append(said(sent))
        for m in sent:
            replies.extend(Chat.buttons([m]))
        return sent

    say(chat.say("hola"))
    sent = say(chat.say("velas"))
    sent = say(chat.tap(Chat.buttons(sent)["Añadir al carrito"]))
    sent = say(chat.tap(Chat.buttons(sent)["Finalizar compra"]))
    sent = say(chat.tap(Chat.buttons(sent)["Sí"]))
    sent = say(chat.tap(Chat.buttons(sent)["Resto de España"]))
    sent = say(chat.say("Calle Mayor 1, 28013 Madrid"))
    sent = say(chat.tap(Chat.buttons(sent)["Contra reembolso"]))
    sent = say(chat.tap(Chat.buttons(sent)["Sin nota"]))
    say(chat.tap(Chat.buttons(sent)["Confirmar"]))
    replies.append(said(chat.say("¿dónde está mi pedido?")))  # last: the status answer
    return replies


def test_a_spanish_customer_reads_the_shop_in_spanish(chat, shop_dir):
    replies = buy_a_candle_in_spanish(chat)
    everything = "\n".join(replies)
    assert "*Vela de soja, higo*" in everything and "Cera de soja vertida a mano" in everything
    assert "Resto de España: 5,90\xa0€ · 2–3 días laborables" in everything
    assert "*Total: 22,40\xa0€*" in everything and "💳 Contra reembolso" in everything
    assert "Paga en efectivo o con tarjeta cuando llegue tu pedido" in everything
    status = replies[-1]
    assert "Llegada prevista: 2–3 días laborables" in status
    assert re.search(SPANISH_MONTHS, status) and not re.search(ENGLISH_MONTHS, status)
    leaked = sorted({w for w in WORD.findall(everything) if w.casefold() in english_only_words(shop_dir)})
    assert leaked == []


def test_options_are_asked_and_shown_in_the_customers_words(chat):
    chat.say("hola")
    sent = chat.say("camiseta de algodón orgánico")
    sent = chat.tap(Chat.buttons(sent)["Elegir opciones"])
    assert body_text(sent[-1]) == "Elige *talla* para Camiseta de algodón orgánico:"
    sent = chat.tap(Chat.buttons(sent)["M"])
    assert list(Chat.buttons(sent)) == ["Blanco", "Rojo"]
    sent = chat.say("roja")  # typed, as a Spanish customer would
    assert "*Camiseta de algodón orgánico (M, Rojo)*" in body_text(sent[-1])
    assert "19,90\xa0€" in body_text(sent[-1])


def test_english_customers_keep_the_english_shop(chat):
    chat.say("hi")
    sent = chat.say("candles")
    assert body_text(sent[-1]).startswith("*Soy candle, fig*\n€16.50")


def test_a_clear_switch_of_language_is_followed_and_a_short_mixed_message_is_not(chat):
    chat.say("hi")
    chat.say("candles")
    chat.say("menu")
    assert said(chat.say("¿cuánto tarda el envío?")).startswith("🚚 *Plazos de entrega*")
    reply = said(chat.say("2 red tees size m"))  # English words, but too few to switch back
    assert "Añadido: 2 × Camiseta de algodón orgánico (M, Rojo)" in reply


def test_a_language_chosen_from_the_menu_is_kept(chat):
    chat.say("hola")
    chat.tap("lang:en", "English")
    for words in ("buenas", "gracias", "vale"):
        chat.say(words)
    assert said(chat.say("¿cuánto tarda el envío?")).startswith("🚚 *Delivery times*")


def test_order_updates_reach_a_spanish_customer_in_spanish(app, client, chat, fake_graph):
    buy_a_candle_in_spanish(chat)
    reference = next(o for o in re.findall(r"SHP-[A-Z0-9]+", said(fake_graph.messages_to(chat.number))))
    assert set_status(client, reference, "confirmed").status_code == 200
    chat.sender.pump()
    update = said(fake_graph.messages_to(chat.number)[chat.seen:])
    assert reference in update and "working days" not in update and "Track" not in update


def test_a_locale_per_language_formats_dates_and_money(app, chat, shop_dir):
    settings = shop_dir / "flows" / "settings.yaml"
    settings.write_text(settings.read_text().replace("  en: en_GB", "  en: en_GB\n  es: es_MX"))
    app.extensions["shopbot.content"].reload()
    chat.say("hola")
    card = body_text(chat.say("velas")[-1])
    assert "16.50" in card and "16,50" not in card  # Mexico writes a decimal point


def test_check_names_an_unknown_locale(shop_dir):
    settings = shop_dir / "flows" / "settings.yaml"
    settings.write_text(settings.read_text().replace("  en: en_GB", "  es: es_XX_nowhere\n  fr: fr"))
    result = CliRunner().invoke(cli, ["check", "--dir", str(shop_dir)])
    assert result.exit_code == 1
    assert "unknown locale `es_XX_nowhere` for es (write it like en_GB, es_MX or ar_EG)" in result.stdout
    assert "unknown language `fr` in locales" in result.stdout


def test_check_lists_what_is_not_translated(shop_dir):
    path = shop_dir / "catalog" / "products.csv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    keep = [c for c in rows[0] if c not in ("name_es", "options_ar")]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, keep, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    checkout = shop_dir / "flows" / "checkout.yaml"
    checkout.write_text(checkout.read_text().replace("title: {en: Madrid city, es: Madrid ciudad, ar: مدينة مدريد}",
                                                     "title: Madrid city"))
    result = CliRunner().invoke(cli, ["check", "--dir", str(shop_dir)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert ("catalog/products.csv:1: warning: name_es not translated for organic-tee, sunset-tee, dino-tee, "
            "linen-shirt, oxford-shirt and 14 more: es customers read the en text") in lines
    assert any(line.startswith("catalog/products.csv:1: warning: options_ar not translated for organic-tee")
               for line in lines)
    assert ("flows/checkout.yaml:1: warning: the es title or eta of delivery not translated for madrid: "
            "es customers read the en text") in lines
    assert not any("description_es" in line for line in lines)


def test_the_sample_shop_is_fully_translated():
    result = CliRunner().invoke(cli, ["check", "--dir", str(Path(__file__).parent.parent)])
    assert result.exit_code == 0 and "not translated" not in result.stdout
