"""The results table of bench/chaos.py, counted from the database and the fake Graph API.

Nothing here asks shopbot's code what happened: stored messages are
`inbound_event` rows, a reply is delivered when the fake accepted a send
carrying its row's tracker (or wamid), and rows are stuck when their status is
not one of the statuses below. So the figures read the same whatever the
sender's retry and dead-letter rules are.
"""
from __future__ import annotations

from collections import Counter

import psycopg

#: Outbound statuses of a row that was sent. Rows that ended otherwise (failed, dead, held...)
#: are counted as stuck and, when their reply never reached the Graph API, as lost.
DONE = {"sent", "delivered", "read"}
#: Statuses a row can rest in; any other status (queued, sending, unconfirmed...) is still moving.
ENDED = DONE | {"failed", "dead", "held"}
CONVERGE_TARGET = 120.0  # seconds after the Graph API comes back


def report(run, url: str, converged_at: float | None) -> bool:
    """Print the results table; return True when every target is met."""
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        stored = conn.execute("SELECT external_id, count(*) OVER (PARTITION BY external_id) FROM inbound_event"
                              " WHERE kind = 'message'").fetchall()
        events = conn.execute("SELECT kind, status, count(*) FROM inbound_event GROUP BY kind, status").fetchall()
        rows = conn.execute("SELECT id, cause, status, wamid, error_title, body->>'type', left(body->>'text', 40)"
                            " FROM outbound_message").fetchall()
    sent = set(run.messages.deliveries)
    ours = [(eid, n) for eid, n in stored if eid in sent]
    stored_once = len({eid for eid, _n in ours})
    twice = sum(1 for _eid, n in ours if n > 1)
    acked = sum(1 for d in run.messages.deliveries.values() if d.done_at is not None)

    accepted = run.graph.accepted_by_tracker()
    accepted_wamids = {s.wamid for sends in accepted.values() for s in sends}
    duplicates = sum(len(v) - 1 for tracker, v in accepted.items() if tracker is not None and len(v) > 1)
    untracked = len(accepted.get(None, []))

    def delivered(row) -> bool:
        row_id, _cause, _status, wamid = row[:4]
        return bool(accepted.get(f"outbox:{row_id}")) or (wamid is not None and wamid in accepted_wamids)

    by_cause: dict[str, list] = {}
    for row in rows:
        by_cause.setdefault(row[1], []).append(row)
    expected = sum(run.expected[k] for k in sent)
    queued = sum(len(by_cause.get(k, [])) for k in sent)
    delivered_rows = sum(1 for k in sent for r in by_cause.get(k, []) if delivered(r))
    lost = extra = 0
    lost_why: Counter = Counter()
    extra_examples: list[str] = []
    for k in sent:
        mine = by_cause.get(k, [])
        ok = sum(1 for r in mine if delivered(r))
        missing = max(0, run.expected[k] - ok)
        lost += missing
        extra += max(0, len(mine) - run.expected[k])
        if len(mine) > run.expected[k]:
            extra_examples.append(f"{run.texts[k]!r} -> " + ", ".join(f"{r[5]} {r[6]!r}" for r in mine))
        if missing:
            why = [r[2] for r in mine if not delivered(r)] or ["never queued"]
            lost_why.update(why[:missing])
    stuck_out = Counter(r[2] for r in rows if r[2] not in DONE)
    stuck_in = Counter({f"{kind} {status}": n for kind, status, n in events if status != "processed"})
    dead_titles = Counter((r[4] or "")[:70] for r in rows if r[2] not in DONE)

    graph_back = run.t0 + run.plan.outage[1]
    last_fault = max(run.fault_ends + [graph_back] + [t + run.supervisor.delay for t, _i, _rc in run.supervisor.exits])
    after_graph = None if converged_at is None else converged_at - graph_back
    after_fault = None if converged_at is None else converged_at - last_fault
    probe = run.notes.get("probe first answer")
    probe_ok = (isinstance(probe, int) and 500 <= probe < 600
                and run.messages.deliveries["wamid.chaos.probe"].done_at is not None)

    retried = [d for d in run.messages.deliveries.values() if any(a != 200 for _t, a in d.answers)]
    answers = Counter(str(a) for d in run.messages.deliveries.values() for _t, a in d.answers if a != 200)
    status_answers = Counter(str(a) for d in run.statuses.deliveries.values() for _t, a in d.answers if a != 200)

    def breakdown(counter: Counter) -> str:
        return " (" + ", ".join(f"{k} {v}" for k, v in counter.most_common()) + ")" if counter else ""

    results: list[tuple[str, str, str, bool | None]] = [
        ("messages sent (signed webhooks)", f"{len(sent)}", "", None),
        ("acknowledged 200 in the end (Meta's retries)", f"{acked} of {len(sent)}", "all", acked == len(sent)),
        ("messages stored, each exactly once", f"{stored_once} of {len(sent)}, {twice} twice",
         "all, once", stored_once == len(sent) and twice == 0),
        ("webhook while PostgreSQL was down", f"{probe}, then stored" if probe_ok else f"{probe}",
         "5xx, then stored", probe_ok),
        ("replies expected", f"{expected} ({queued} queued by the bot)", "", None),
        ("replies delivered (rows the Graph API accepted)", f"{delivered_rows}", f"{expected}",
         delivered_rows >= expected),
        ("lost (expected, never delivered)", f"{lost}{breakdown(lost_why)}", "0", lost == 0),
        ("duplicates (a row accepted more than once)", f"{duplicates}", "0", duplicates == 0),
        ("extra replies (more rows than expected)", f"{extra}", "0", extra == 0),
        ("stuck outbound rows (not sent/delivered/read)", f"{sum(stuck_out.values())}{breakdown(stuck_out)}", "0",
         not stuck_out),
        ("stuck inbound events (not processed)", f"{sum(stuck_in.values())}{breakdown(stuck_in)}", "0", not stuck_in),
        ("converged after the Graph API came back",
         f"{after_graph:.1f} s" if after_graph is not None else f"not within {run.args.settle:g} s",
         f"<= {CONVERGE_TARGET:g} s", after_graph is not None and after_graph <= CONVERGE_TARGET),
        ("converged after the last fault", f"{after_fault:.1f} s" if after_fault is not None else "-", "", None),
        ("commands run by hand", "0", "0", True),
    ]
    print("\nResults (counted from the database and the fake Graph API's record of every send):")
    width = max(len(r[0]) for r in results) + 2
    for label, measured, target, ok in results:
        verdict = "" if ok is None else ("PASS" if ok else "MISS")
        print(f"  {label:<{width}} {measured:<34} {('target ' + target) if target else '':<16} {verdict}".rstrip())
    print("\nDetails:")
    print(f"  webhooks answered other than 200 before being stored: {len(retried)} bodies{breakdown(answers)};"
          f" most attempts for one body: {max((len(d.answers) for d in run.messages.deliveries.values()), default=0)}")
    print(f"  `sent` status webhooks posted by the fake Graph API: {len(run.statuses.deliveries)};"
          f" answers other than 200: {sum(status_answers.values())}{breakdown(status_answers)}")
    print(f"  Graph API requests: {sum(run.graph.counts().values())}{breakdown(Counter(run.graph.counts()))};"
          f" accepted sends without a tracker: {untracked}")
    print(f"  worker exits restarted by the supervisor: {len(run.supervisor.exits)}")
    for example in extra_examples[:5]:
        print(f"  answered with more than expected: {example}")
    if dead_titles:
        print("  why rows ended unsent: " + "; ".join(f"{n} x {t!r}" for t, n in dead_titles.most_common(3)))
    return all(ok for *_rest, ok in results if ok is not None)
