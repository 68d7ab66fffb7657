"""Free-text evaluation table for the sample shop (Lumen & Loom, Madrid).

`CASES` pairs a message a customer might really type on WhatsApp with the outcome
the bot should reach:

  "faq:<id>"       the FAQ entry with that id in flows/faq.yaml
  "intent:<name>"  the global command with that name in flows/intents.yaml
  "search"         a product request, answered with products from catalog/products.csv
  "fallback"       nonsense or off-topic: the bot says it did not understand

The messages are in English, Spanish (Spain) and Arabic, with the typos, slang, missing
accents, mixed scripts and emoji people actually send. The FAQ questions are deliberately
worded differently from the `question` and `phrasings` in flows/faq.yaml, so the table
measures how well the matcher generalises rather than whether it can look up its own keys.

A few messages are close calls by nature (a question that names a product, like "do your
t-shirts run big or small"); they are kept, with the outcome a shop assistant would pick,
because customers write exactly like that.

Written for this project, by its contributors; no outside sources or datasets were used.
"""
from __future__ import annotations

CASES: list[tuple[str, str]] = [
    # ---------------------------------------------------------------- English: FAQ
    ("how long does shipping take??", "faq:delivery_time"),
    ("if i buy today when would it get to barcelona", "faq:delivery_time"),
    ("whats the delivery charge to valencia", "faq:delivery_fees"),
    ("is delivery free if i spend more?", "faq:delivery_fees"),
    ("do u ship to germany?", "faq:delivery_areas"),
    ("can I just come and grab it from the store", "faq:pickup"),
    ("r u open sundays", "faq:opening_hours"),
    ("what time do you shut on saturday", "faq:opening_hours"),
    ("whats the address of your shop 📍", "faq:location"),
    ("which metro stop is closest to you", "faq:location"),
    ("can i pay with apple pay or amex", "faq:payment_methods"),
    ("is it safe to put my card details in your link?", "faq:payment_safe"),
    ("can I pay the delivery guy in cash", "faq:cash_on_delivery"),
    ("whats ur iban", "faq:bank_transfer"),
    ("how do returns work", "faq:returns"),
    ("the boots are too big, can i swap them for a 39", "faq:exchanges"),
    ("still waiting for my money back from a return, how long does it usually take", "faq:refunds"),
    ("do your t-shirts run big or small", "faq:size_guide"),
    ("can linen go in the tumble dryer", "faq:care"),
    ("can you wrap it up nicely, it's for my mum's birthday 🎁", "faq:gift_wrap"),
    ("do you do vouchers", "faq:gift_cards"),
    ("i run a concept store in lisbon, do you sell wholesale?", "faq:wholesale"),
    ("i ordered the wrong size by mistake, can i cancel it", "faq:change_order"),
    ("do i get a vat invoice with my purchase", "faq:invoices"),
    ("how eco friendly are your clothes", "faq:materials"),
    ("can you embroider my initials", "faq:custom_orders"),
    ("got any promo codes? 😅", "faq:discounts"),
    ("do you have anything for a 5 year old", "faq:kids_sizes"),
    ("is there a number i can ring", "faq:contact"),

    # ---------------------------------------------------------------- English: product searches
    ("do you have red shirts?", "search"),
    ("white tee size M", "search"),
    ("linen shirt in blue, size L", "search"),
    ("sneakers 42", "search"),
    ("got any candles?", "search"),
    ("leather boots size 39 pls", "search"),
    ("mustard beanie", "search"),
    ("i'm looking for a belt, 90cm", "search"),
    ("sage coffee mug", "search"),
    ("throw blanket for the sofa", "search"),

    # ---------------------------------------------------------------- English: intents
    ("i want to talk to a human", "intent:person"),
    ("can I speak to someone pls", "intent:person"),
    ("MENU", "intent:menu"),
    ("where's my order??", "intent:order_status"),
    ("show me my basket", "intent:cart"),
    ("checkout pls", "intent:checkout"),
    ("hey 👋", "intent:greeting"),
    ("thanks a lot!", "intent:thanks"),
    ("unsubscribe", "intent:stop"),
    ("stop sending me messages", "intent:stop"),
    ("never mind", "intent:cancel"),
    ("help", "intent:help"),
    ("change language", "intent:language"),

    # ---------------------------------------------------------------- English: fallbacks
    ("asdfghjkl", "fallback"),
    ("what's the weather like in madrid tomorrow", "fallback"),
    ("tell me a joke", "fallback"),
    ("who won the match last night", "fallback"),

    # ---------------------------------------------------------------- Spanish: FAQ
    ("cuanto tarda el envio a sevilla", "faq:delivery_time"),
    ("cuanto cobrais por el envio?", "faq:delivery_fees"),
    ("mandais a portugal?", "faq:delivery_areas"),
    ("puedo pasarme a por ello a la tienda", "faq:pickup"),
    ("a q hora cerrais el sabado", "faq:opening_hours"),
    ("donde teneis la tienda??", "faq:location"),
    ("aceptais bizum o paypal", "faq:payment_methods"),
    ("puedo pagar en efectivo cuando me lo traigan", "faq:cash_on_delivery"),
    ("me pasas el numero de cuenta para hacer la transferencia", "faq:bank_transfer"),
    ("como devuelvo algo que no me convence", "faq:returns"),
    ("me queda pequeña, la puedo cambiar por una L?", "faq:exchanges"),
    ("cuando me devolveis la pasta de la devolucion", "faq:refunds"),
    ("como tallan las camisas, normal o grande?", "faq:size_guide"),
    ("como se lava la lana", "faq:care"),
    ("lo podeis envolver para regalo? 🎁", "faq:gift_wrap"),
    ("vendeis cheques regalo?", "faq:gift_cards"),
    ("necesito factura con mi CIF", "faq:invoices"),
    ("me he equivocado de direccion en el pedido, se puede cambiar?", "faq:change_order"),
    ("hay rebajas ahora?", "faq:discounts"),

    # ---------------------------------------------------------------- Spanish: product searches
    ("zapatillas talla 42", "search"),
    ("camiseta roja M", "search"),
    ("teneis camisas de lino azules?", "search"),
    ("busco unas botas del 39", "search"),
    ("alpargatas 40", "search"),
    ("quiero una vela 🕯️", "search"),
    ("tenéis el linen shirt en L?", "search"),

    # ---------------------------------------------------------------- Spanish: intents
    ("hola buenas", "intent:greeting"),
    ("muchas gracias!!", "intent:thanks"),
    ("quiero hablar con una persona", "intent:person"),
    ("donde esta mi pedido?", "intent:order_status"),
    ("ver carrito", "intent:cart"),
    ("darme de baja", "intent:stop"),
    ("menu", "intent:menu"),

    # ---------------------------------------------------------------- Spanish: fallbacks
    ("jajajajaja", "fallback"),
    ("que tiempo va a hacer mañana", "fallback"),

    # ---------------------------------------------------------------- Arabic: FAQ
    ("كم يوم ياخذ التوصيل لبرشلونة", "faq:delivery_time"),
    ("بكم التوصيل؟", "faq:delivery_fees"),
    ("هل تشحنون للسعودية", "faq:delivery_areas"),
    ("ممكن استلم من المحل بنفسي", "faq:pickup"),
    ("متى تسكرون اليوم", "faq:opening_hours"),
    ("وين موقع المحل بالضبط", "faq:location"),
    ("هل يمكن الدفع بالبطاقة", "faq:payment_methods"),
    ("ادفع كاش لما يوصل الطلب؟", "faq:cash_on_delivery"),
    ("ارسل لي رقم الايبان", "faq:bank_transfer"),
    ("كيف ارجع قطعة ما عجبتني", "faq:returns"),
    ("المقاس كبير علي ابغى ابدله", "faq:exchanges"),
    ("متى ترجعون لي فلوسي", "faq:refunds"),
    ("كيف اغسل القميص الكتان", "faq:care"),
    ("ممكن تغلفونه هدية 🎁", "faq:gift_wrap"),
    ("عندكم كود خصم", "faq:discounts"),
    ("ابي فاتورة باسم الشركة", "faq:invoices"),
    ("هل منتجاتكم صديقة للبيئة", "faq:materials"),
    ("هل عندكم مقاسات لعمر ٥ سنين", "faq:kids_sizes"),

    # ---------------------------------------------------------------- Arabic: product searches
    ("شمعة", "search"),
    ("عندكم حذاء مقاس 42؟", "search"),
    ("تيشيرت احمر M", "search"),
    ("ابغى صابون زيت الزيتون", "search"),
    ("عندكم sneakers مقاس 41", "search"),
    ("وشاح", "search"),
    ("لوحة خط عربي", "search"),

    # ---------------------------------------------------------------- Arabic: intents
    ("السلام عليكم", "intent:greeting"),
    ("شكرا جزيلا 🙏", "intent:thanks"),
    ("ابي اكلم موظف", "intent:person"),
    ("وين طلبي؟", "intent:order_status"),
    ("القائمة", "intent:menu"),
    ("ايقاف الرسائل", "intent:stop"),
    ("سلتي", "intent:cart"),

    # ---------------------------------------------------------------- Arabic: fallbacks
    ("هههههههه", "fallback"),
    ("احكيلي نكتة", "fallback"),
]
