"""Owner files for the staff side: opening hours, handoff rules, canned replies; each problem with its line."""
from __future__ import annotations

from bot.content import load_content

from .test_content import edit, problems


def settings(shop_dir):
    return shop_dir / "flows" / "settings.yaml"


def test_the_sample_handoff_settings_load(shop_dir):
    content, _ = load_content(shop_dir)
    assert content.handoff.reply_within_minutes == 15 and content.handoff.after_misses == 3
    assert "complaint" in content.handoff.keywords and "reclamacion" in content.handoff.keywords  # accents folded
    assert content.hours.timezone == "Europe/Madrid" and not content.hours.always_open
    assert [r.id for r in content.replies.canned] == ["hello", "checking", "refund", "bye"]
    assert [t.name for t in content.replies.templates] == ["reopen_conversation", "staff_follow_up"]


def test_bad_opening_hours_name_their_line(shop_dir):
    edit(settings(shop_dir), '  tue: "10:00-20:00"', '  tue: "10:00-25:00"')
    assert problems(shop_dir) == ['flows/settings.yaml:19: tue: "10:00-25:00" is not a time range like 10:00-20:00']


def test_an_unknown_day_suggests_the_right_one(shop_dir):
    edit(settings(shop_dir), '  tue: "10:00-20:00"', '  tues: "10:00-20:00"')
    assert problems(shop_dir)[0] == ('flows/settings.yaml:19: unknown day `tues` (did you mean "tue"?); '
                                     'days are mon, tue, wed, thu, fri, sat, sun')


def test_handoff_settings_are_checked(shop_dir):
    edit(settings(shop_dir), "  after_misses: 3", "  after_misses: none")
    edit(settings(shop_dir), "  menu_returns_to_bot: true", "  menu_returns_to_bot: maybe\n  reply_in_minutes: 5")
    edit(settings(shop_dir), "  alert_numbers: []", '  alert_numbers: ["call Ana"]')
    assert problems(shop_dir) == [
        'flows/settings.yaml:50: unknown handoff setting `reply_in_minutes` (did you mean "reply_within_minutes"?)',
        "flows/settings.yaml:52: `call Ana` is not a phone number with country code, like +34 600 123 456",
        "flows/settings.yaml:49: menu_returns_to_bot must be true or false",
        "flows/settings.yaml:42: after_misses must be a whole number of at least 1",
    ]


def test_canned_replies_are_checked(shop_dir):
    replies = shop_dir / "flows" / "replies.yaml"
    edit(replies, "  - id: checking\n    title: Checking, one moment\n", "  - id: checking\n")
    edit(replies, "{{ staff.name }} from", "{{ staff.nmae }} from")
    assert problems(shop_dir) == [
        "flows/replies.yaml:10: template error: 'dict object' has no attribute 'nmae'",
        "flows/replies.yaml:13: each reply needs `id`, `title` and `text`",
    ]
