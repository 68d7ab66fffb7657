"""The owner's report over a big history: 1,000,000 messages and 50,000 orders on PostgreSQL.

Seeds a fresh database with generate_series over 90 days: 40,000 customers
having 50,000 conversations of 10 messages each (500,000 inbound, and a reply
to each: 500,000 outbound), 200,000 conversation events, 50,000 orders with
100,000 lines and their history, and 5,000 handoffs. Then it
builds the full report (every figure on /staff/reports and `shopbot report`)
for the last 30 and 90 days, three times each, and prints the wall time.
Target (issue 8): the report renders in <= 2 s.
"""
from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime

from _common import ROOT, fresh_database, run_main

SEED = """
INSERT INTO customer (id, wa_id, name, language, created_at)
SELECT g, (34600000000 + g)::text, 'Customer ' || g, 'en', now() - interval '120 days' FROM generate_series(1, 40000) g;

INSERT INTO inbound_event (external_id, kind, field, payload, status, attempts, customer_id, received_at)
SELECT 'wamid.bench.' || g, 'message', 'messages',
       '{"message": {"type": "text", "text": {"body": "hello"}}}'::jsonb, 'processed', 1,
       1 + ((g / 10)::bigint * 7919) % 40000, now() - ((g / 10) * 155.52 - (g % 10) * 30) * interval '1 second'
FROM generate_series(1, 500000) g;

INSERT INTO outbound_message (customer_id, recipient, body, status, attempts, next_attempt_at, error_code, error_title,
                              cause_received_at, created_at, sent_at)
SELECT 1 + ((g / 10)::bigint * 7919) % 40000, (34600000000 + 1 + ((g / 10)::bigint * 7919) % 40000)::text,
       '{"type": "text", "text": "hi"}'::jsonb,
       CASE WHEN g % 500 = 0 THEN 'dead' ELSE 'delivered' END, 1, now(),
       CASE WHEN g % 500 = 0 THEN 131026 END, CASE WHEN g % 500 = 0 THEN 'Message undeliverable' END,
       now() - ((g / 10) * 155.52 - (g % 10) * 30) * interval '1 second',
       now() - ((g / 10) * 155.52 - (g % 10) * 30) * interval '1 second',
       now() - ((g / 10) * 155.52 - (g % 10) * 30) * interval '1 second'
             + (0.05 + (g % 100) / 200.0) * interval '1 second'
FROM generate_series(1, 500000) g;

INSERT INTO conversation_event (customer_id, kind, detail, text, at)
SELECT 1 + ((g / 4)::bigint * 7919) % 40000,
       (ARRAY['product_view', 'cart_add', 'checkout_start', 'faq', 'miss', 'search_none', 'intent',
              'product_view'])[1 + g % 8],
       (ARRAY['opening_hours', 'delivery_time', 'returns', 'payment_methods'])[1 + g % 4],
       (ARRAY['do you ship to mars', 'wat', 'can i pay in bitcoin', 'unicorn', 'is the shop dog friendly'])[1 + g % 5],
       now() - ((g / 4) * 155.52 - (g % 4) * 60) * interval '1 second'
FROM generate_series(1, 200000) g;

INSERT INTO shop_order (reference, customer_id, status, source, source_tag, customer_name, phone, currency, subtotal,
                        shipping_fee, total, stock_reserved, created_at, updated_at, held_updates)
SELECT 'SHP-' || lpad(g::text, 6, '0'), 1 + (g::bigint * 7919) % 40000,
       (ARRAY['delivered', 'delivered', 'shipped', 'paid', 'cancelled', 'pending', 'confirmed',
              'delivered'])[1 + g % 8],
       (ARRAY['chat', 'chat', 'whatsapp_cart', 'website', 'link'])[1 + g % 5],
       CASE WHEN g % 5 = 4 THEN 'instagram' END, 'Customer ' || g, '34600' || g, 'EUR', 3000 + g % 5000, 390,
       3390 + g % 5000, false, now() - (g * 155.52) * interval '1 second',
       now(), 0
FROM generate_series(1, 50000) g;

INSERT INTO order_line (order_id, sku, name, options, quantity, unit_price, total)
SELECT o.id, 'SKU-' || (o.id * k) % 400, 'Product ' || (o.id * k) % 400, '', 1 + k, 1500, 1500 * (1 + k)
FROM shop_order o, generate_series(1, 2) k;

INSERT INTO order_history (order_id, from_status, to_status, event, actor, at)
SELECT o.id, 'pending', s, e, 'bench', o.created_at + (k * interval '1 day')
FROM shop_order o,
     LATERAL (VALUES (1, 'confirmed', 'confirm'), (2, 'paid', 'pay'), (3, 'delivered', 'deliver')) AS v(k, s, e)
WHERE o.status IN ('delivered', 'shipped', 'paid') AND (v.s <> 'delivered' OR o.status = 'delivered');

INSERT INTO handoff (customer_id, reason, opened_at, first_response_at, closed_at)
SELECT g * 8, (ARRAY['person', 'misses', 'keyword', 'payment_failed'])[1 + g % 4],
       now() - (g * 1555) * interval '1 second', now() - (g * 1555 - 300 - g % 3600) * interval '1 second',
       now() - (g * 1555 - 7200) * interval '1 second'
FROM generate_series(1, 5000) g;
"""


def main() -> None:
    import psycopg

    from bot import reports
    from bot.content import load_content
    from bot.db import make_engine, make_sessionmaker, transaction

    url = fresh_database("shopbot_bench_report")
    print("seeding 1,000,000 messages, 50,000 orders... ", end="", flush=True)
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SEED)
        conn.execute("VACUUM ANALYZE")  # what autovacuum does on a live database
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("inbound_event", "outbound_message", "conversation_event", "shop_order", "order_line",
                            "order_history", "handoff")}
    print(f"{time.perf_counter() - started:.0f} s")
    print("  " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    content, _ = load_content(ROOT)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    now = datetime.now(UTC)
    print()
    for days in ("30d", "90d"):
        period = reports.since(days, content.hours.timezone, now)
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            with transaction(sessions) as session:
                report = reports.build(session, content, period, now)
            times.append(time.perf_counter() - t0)
        best, median = min(times), statistics.median(times)
        verdict = "PASS" if median <= 2.0 else "MISS"
        print(f"report, last {days:<4} median {median * 1000:7.0f} ms   best {best * 1000:7.0f} ms   "
              f"target <= 2000 ms  {verdict}   ({report['funnel'][0]['customers']:,} conversations, "
              f"{report['commerce']['orders_placed']:,} orders)")
    engine.dispose()


if __name__ == "__main__":
    run_main(main)
