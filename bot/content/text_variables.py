"""Every text the engine uses, with the variables it gets (besides `shop` and `customer`).

Each owner text is trial-rendered at load with these sample values, so a typo
is caught with its line number instead of failing in front of a customer.
"""
from __future__ import annotations

_LINE = {"qty": 2, "name": "Organic cotton tee", "options": "M, Red", "total": "€39.80", "unit": "€19.90"}
_CART = {"lines": [_LINE], "count": 2, "subtotal": "€39.80", "notes": ["Tee now costs €19.90 (was €18.00)."]}
_PRODUCT = {"name": "Organic cotton tee", "price": "€19.90", "description": "Soft.", "stock": "✅ In stock"}

#: Every text the engine uses, with the variables it gets (besides `shop` and `customer`).
#: Each is trial-rendered at load with these sample values, so an owner's typo is caught
#: with its line number instead of failing in front of a customer.
TEXT_VARIABLES: dict[str, dict] = {
    "greeting": {}, "menu_body": {}, "menu_button": {}, "back_to_menu": {}, "not_understood": {},
    "browse_body": {}, "browse_button": {},
    "category_body": {"category": {"title": "Shirts", "emoji": "👔", "count": 12}, "page": 1, "pages": 2},
    "category_button": {}, "category_empty": {"category": {"title": "Shirts", "emoji": "👔", "count": 0}},
    "more_row": {}, "more_description": {"page": 2, "pages": 3},
    "product_row": {"price": "€19.90", "options": "3 sizes"}, "sold_out_mark": {},
    "product_caption": {"product": _PRODUCT}, "stock_in": {}, "stock_low": {"count": 2}, "stock_out": {},
    "add_button": {}, "options_button": {}, "back_button": {},
    "choose_option": {"option": "size", "product": _PRODUCT}, "choose_option_button": {"option": "size"},
    "variant_chosen": {"product": _PRODUCT,
                       "variant": {"options": "M, Red", "price": "€19.90", "stock": "✅ In stock"}},
    "change_options_button": {},
    "added": {"quantity": 2, "item": "Organic cotton tee (M, Red)", "cart": _CART},
    "view_cart_button": {}, "keep_shopping_button": {}, "sold_out": {"item": "Tee (L, Red)"},
    "not_enough_stock": {"item": "Tee (L, Red)", "available": 2, "in_cart": 1}, "too_many": {"limit": 99},
    "cart_empty": {}, "cart_body": {"cart": _CART},
    "price_changed": {"name": "Tee", "old": "€18.00", "new": "€19.90"}, "item_gone": {"name": "Tee"},
    "edit_cart_button": {}, "empty_cart_button": {}, "browse_button_short": {},
    "edit_cart_body": {}, "edit_cart_list": {}, "cart_item": {"line": _LINE},
    "more_button": {}, "less_button": {}, "remove_button": {}, "removed": {"item": "Tee (M, Red)"}, "emptied": {},
    "search_prompt": {}, "search_results": {"query": "red tee"},
    "search_none": {"query": "unicorn", "suggestions": "Uniform shirt"},
    "order_received": {}, "order_unknown_items": {"skus": "SKU-1, SKU-2"},
    "order_price_note": {"name": "Tee", "old": "€18.00", "new": "€19.90"},
}
_ORDER = {"reference": "SHP-7K3F9", "name": "Sam Rivera", "phone": "34600111222", "lines": [_LINE],
          "subtotal": "€39.80", "delivery": "Madrid city", "fee": "€3.90", "eta": "next working day",
          "address": "Calle Mayor 1, 28013 Madrid", "total": "€43.70", "payment": "Cash on delivery", "note": "Gift"}
_LAST = {"name": "Sam", "delivery": "Madrid city", "address": "Calle Mayor 1", "payment": "Cash on delivery"}
TEXT_VARIABLES.update({
    "checkout_button": {}, "checkout_empty": {}, "checkout_name": {"name": "Sam"}, "name_yes_button": {},
    "name_change_button": {}, "checkout_name_prompt": {}, "checkout_last_details": {"last": _LAST},
    "use_last_button": {}, "change_details_button": {}, "delivery_prompt": {}, "delivery_list": {},
    "delivery_row": {"fee": "€3.90", "eta": "tomorrow"}, "free": {}, "address_prompt": {}, "address_too_short": {},
    "pickup_address": {}, "payment_prompt": {}, "payment_list": {}, "note_prompt": {}, "no_note_button": {},
    "order_summary": {"order": _ORDER}, "confirm_button": {}, "edit_button": {}, "cancel_button": {},
    "edit_prompt": {}, "edit_list": {}, "field_name": {}, "field_delivery": {}, "field_address": {},
    "field_payment": {}, "field_note": {}, "field_items": {}, "checkout_cancelled": {},
    "order_placed": {"order": _ORDER, "payment": "Pay on delivery."},
    "order_already_placed": {"reference": "SHP-7K3F9"},
    "cancel_order_button": {}, "pay_button": {}, "confirm_out_of_stock": {"item": "Tee (M)", "available": 1},
    "checkout_reminder": {}, "checkout_expired": {}, "card_warning": {},
    "order_cancelled": {"reference": "SHP-7K3F9"},
    "order_cannot_cancel": {"reference": "SHP-7K3F9", "status": "shipped"},
    "order_unknown": {"reference": "SHP-7K3F9"}, "website_order_found": {"reference": "SHP-7K3F9"},
    "order_status": {"reference": "SHP-7K3F9", "status": "pending"},
})
_TRACKED = {"reference": "SHP-7K3F9", "name": "Sam", "status": "shipped", "total": "€36.90", "carrier": "SEUR",
            "tracking_number": "ES123", "tracking_url": "https://track.example/ES123", "eta": "tomorrow",
            "changed": "24 Nov, 10:32", "history": [{"when": "24 Nov, 10:32", "status": "shipped"}]}
TEXT_VARIABLES.update({f"status_{s}": {"order": _TRACKED} for s in (
    "confirmed", "paid", "cash_on_delivery", "prepared", "shipped", "out_for_delivery", "delivered",
    "cancelled", "refunded")})
TEXT_VARIABLES.update({f"status_label_{s}": {} for s in (
    "pending", "confirmed", "paid", "cash_on_delivery", "prepared", "shipped", "out_for_delivery", "delivered",
    "cancelled", "refunded")})
TEXT_VARIABLES.update({
    "track_button": {}, "talk_button": {}, "order_details": {"order": _TRACKED},
    "choices_button": {}, "no_orders": {},
    "order_number_unknown": {"reference": "99812"}, "order_number_none": {"reference": "99812"},
    "choose_order": {}, "choose_order_list": {}, "order_row": {"status": "shipped", "total": "€3"},
    "invoice_caption": {"number": "LL-2026-00001", "reference": "SHP-7K3F9"},
})

TEXT_VARIABLES.update({k: {} for k in (
    "help_body", "thanks_reply", "emoji_reply", "did_you_mean", "fallback_first", "fallback_person", "media_reply",
    "nothing_to_cancel", "stop_confirmed", "start_confirmed", "language_prompt", "language_list", "language_set",
    "person_button", "menu_button_short", "offers_confirmed", "offers_question", "offers_yes_button",
    "offers_no_button", "offers_declined", "offers_stopped")})
TEXT_VARIABLES.update({
    "handoff_soon": {"minutes": 15}, "handoff_later": {"opens": "tomorrow at 10:00"}, "handoff_menu_hint": {},
    "handoff_payment_failed": {"reference": "SHP-7K3F9"}, "handoff_problem_order": {"reference": "SHP-7K3F9"},
    "handoff_back": {}, "handoff_timeout": {}, "opens_today": {"time": "10:00"}, "opens_tomorrow": {"time": "10:00"},
    "opens_on": {"day": "Monday", "time": "10:00"},
    "staff_alert": {"name": "Sam", "reason": "asked for a person", "link": "https://shop.example/staff/chats/1"},
})
TEXT_VARIABLES.update({  # abandoned carts and back in stock (bot.commerce.abandoned_carts, .stock_alerts)
    "cart_reminder": {"cart": {"count": 2, "subtotal": "€39.80"}}, "notify_button": {},
    "notify_confirmed": {"item": "Tee (L, Red)"}, "back_in_stock": {"item": "Tee (L, Red)"}, "see_product_button": {},
})
REQUIRED_TEXTS = tuple(TEXT_VARIABLES)
