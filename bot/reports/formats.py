"""A built report as text for a terminal, as CSV rows for a spreadsheet, or as JSON."""
from __future__ import annotations

import io
import json

from bot.reports import spreadsheet


def _pct(share) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def _num(value, unit: str = "") -> str:
    return "—" if value is None else f"{value}{unit}"


def as_json(report: dict) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False)


def _campaigns(report: dict, money) -> list[tuple[str, str, str]]:
    """One row per figure of each campaign and automation; revenue per currency ("€50.00 + US$12.00")."""
    out = []
    for c in report.get("campaigns", ()):
        for figure in ("sent", "delivered", "read", "replied", "opted_out", "orders"):
            out.append(("campaigns", f"{c['name']}: {figure.replace('_', ' ')}", str(c[figure])))
        revenue = " + ".join(money(minor, currency) for currency, minor in c["revenue"].items())
        out.append(("campaigns", f"{c['name']}: revenue", revenue or money(0)))
    return out


def rows(report: dict, money) -> list[tuple[str, str, str]]:
    """(section, figure, value) for every figure: the CSV output, and the text output's lines.

    `money(minor, currency=None)` writes an amount (the shop's currency when none is given).
    """
    out: list[tuple[str, str, str]] = []
    add = out.append
    for step in report["funnel"]:
        add(("funnel", step["step"], f"{step['customers']} ({_pct(step['conversion'])} of the step before)"
             if step["conversion"] is not None else str(step["customers"])))
    add(("funnel", "enquiry_to_order", _pct(report["enquiry_to_order"])))
    c = report["commerce"]
    add(("commerce", "orders_placed", str(c["orders_placed"])))
    add(("commerce", "orders_sold", str(c["orders_sold"])))
    add(("commerce", "revenue", money(c["revenue"])))
    average = c["average_order_value"]
    add(("commerce", "average_order_value", money(average) if average is not None else "—"))
    add(("commerce", "abandoned_carts", str(c["abandoned"]["carts"])))
    add(("commerce", "abandoned_checkouts", str(c["abandoned"]["checkouts"])))
    for item in c["best_sellers"]:
        add(("best_sellers", f"{item['sku']} {item['name']}", f"{item['units']} units, {money(item['revenue'])}"))
    for s in report["sources"]:
        label = s["source"] + (f" [{s['tag']}]" if s["tag"] else "")
        add(("sources", label, f"{s['orders']} orders, {money(s['value'])}"))
    bot, staff = report["response"]["bot"], report["response"]["staff"]
    add(("response", "bot_reply_p50", _num(bot["p50_seconds"], " s")))
    add(("response", "bot_reply_p90", _num(bot["p90_seconds"], " s")))
    add(("response", "handoffs", f"{staff['handoffs']} ({staff['answered']} answered)"))
    add(("response", "answered_outside_opening_hours", str(staff["answered_outside_hours"])))
    add(("response", "staff_first_response_median", _num(staff["median_minutes"], " min (opening hours)")))
    add(("response", "staff_first_response_p90", _num(staff["p90_minutes"], " min (opening hours)")))
    add(("response", f"answered_within_{staff['promise_minutes']}_min", _pct(staff["share_within_promise"])))
    r = report["resolution"]
    add(("resolution", "conversations_without_a_person", f"{r['without_a_person']} of {r['conversations']} "
         f"({_pct(r['share_without_a_person'])})"))
    for item in r["handoff_reasons"]:
        add(("handoff_reasons", item["label"], str(item["count"])))
    for item in report["labels"]:
        add(("labels", item["title"], f"{item['conversations']} conversations"))
    q = report["questions"]
    for item in q["top_faq"]:
        add(("top_faq", item["question"], str(item["count"])))
    for item in q["unanswered"]:
        add(("unanswered", item["text"], str(item["count"])))
    for item in q["searches_without_results"]:
        add(("searches_without_results", item["text"], str(item["count"])))
    out += _campaigns(report, money)
    o = report["operations"]
    add(("operations", "forgotten_orders", ", ".join(f["reference"] for f in o["forgotten_orders"]) or "none"))
    for item in o["failed_messages"]:
        add(("failed_messages", f"{item['code']} {item['reason']}", str(item["count"])))
    d = o["order_to_delivery"]
    add(("operations", "order_to_delivery", f"median {_num(d['median_hours'], ' h')}, p90 {_num(d['p90_hours'], ' h')} "
         f"({d['orders']} delivered)" if d["orders"] else "no order delivered yet"))
    for day in report["by_day"]:
        add(("by_day", day["period"], f"{day['conversations']} conversations, {day['orders']} orders, "
             f"{money(day['revenue'])}"))
    for week in report["by_week"]:
        add(("by_week", week["period"], f"{week['conversations']} conversations, {week['orders']} orders, "
             f"{money(week['revenue'])}"))
    return out


def as_csv(report: dict, money) -> str:
    buffer = io.StringIO()
    writer = spreadsheet.writer(buffer)
    writer.writerow(["section", "figure", "value"])
    writer.writerows(rows(report, money))
    return buffer.getvalue()


def as_text(report: dict, money) -> str:
    p = report["period"]
    lines = [f"shopbot report {p['from']} to {p['to']} ({p['timezone']})"]
    sections: dict[str, list[str]] = {}  # each section once, in the order it first appears
    for name, figure, value in rows(report, money):
        sections.setdefault(name, []).append(f"  {figure:<44} {value}")
    for name, figures in sections.items():
        lines += ["", name.replace("_", " ").upper(), *figures]
    return "\n".join(lines) + "\n"
