#!/usr/bin/env python
"""Top SQL statements by total time over load.py's page mix (issue 14), where pg_stat_statements is not loaded.

    .venv/bin/python bench/top_sql.py --url postgresql+psycopg://postgres@127.0.0.1:5432/zjpx_bench
    .venv/bin/python bench/top_sql.py --url … --root /tmp/wt3_before --requests 600 --top 40

pg_stat_statements needs shared_preload_libraries and a restart of PostgreSQL (which ends every other session on a
shared machine). This times each statement from the client instead: the three bench accounts request the pages of
load.py in its proportions (same generator, same seed) through the Flask test client, one after another, and each
statement's time from execute to its return is summed by its text (IN lists folded). Wall time, so it includes
the round trip; single requests, so it shows the cost of each statement, not the contention of a load run.
Prints per page kind the requests, app CPU, wall time and statements per request, then the top statements.
"""
import argparse
import collections
import os
import random
import re
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(BENCH, os.pardir))

from bench import load, page_cpu  # noqa: E402  (neither imports an app module at its top)

_IN_LIST = re.compile(r"IN \(__\[POSTCOMPILE_[^)]*\)|IN \([^()]*%\([^)]*\)s[^()]*\)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="the bench database (postgresql+psycopg://…)")
    parser.add_argument("--root", default=os.path.join(BENCH, os.pardir), help="the checkout whose app is measured")
    parser.add_argument("--requests", type=int, default=300, help="measured requests (after 30 unmeasured)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--width", type=int, default=200, help="characters of each statement printed")
    parser.add_argument("--where", action="store_true", help="print each statement from its WHERE on")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    app = page_cpu.make_app(args.url, os.path.abspath(args.root))
    from sqlalchemy import event

    from app.extensions import db

    statements = collections.defaultdict(lambda: [0, 0.0])  # text → [count, ms]
    kinds = collections.defaultdict(lambda: [0, 0.0, 0.0, 0])  # page kind → [requests, cpu ms, wall ms, statements]
    current = [None]
    with app.app_context():
        @event.listens_for(db.engine, "before_cursor_execute")
        def _started(conn, _cursor, _statement, _parameters, _context, _many):
            conn.info["bench_started"] = time.perf_counter()

        @event.listens_for(db.engine, "after_cursor_execute")
        def _done(conn, _cursor, statement, _parameters, _context, _many):
            key = _IN_LIST.sub("IN (...)", re.sub(r"\s+", " ", statement))
            entry = statements[key]
            entry[0] += 1
            entry[1] += (time.perf_counter() - conn.info["bench_started"]) * 1000
            kinds[current[0]][3] += 1

    rows = load.sample_values(args.url)
    clients = [page_cpu.signed_in(app, account, "zh") for account in load.ACCOUNTS]
    rng = random.Random(args.seed)
    names, weights = list(load.WEIGHTS), list(load.WEIGHTS.values())
    print("load average at start: %s" % load.load_average(), flush=True)
    warm = 30
    for n in range(warm + args.requests):
        if n == warm:
            statements.clear()
            kinds.clear()
        kind = rng.choices(names, weights)[0]
        path = load.request_for(kind, rng, rows)
        current[0] = kind
        cpu, wall = time.process_time(), time.perf_counter()
        response = clients[n % len(clients)].get(path)
        assert response.status_code == 200, (path, response.status_code)
        entry = kinds[kind]
        entry[0] += 1
        entry[1] += (time.process_time() - cpu) * 1000
        entry[2] += (time.perf_counter() - wall) * 1000
    total = sum(ms for _count, ms in statements.values())
    print("SQL %.0f ms over %d requests: %.2f ms per request" % (total, args.requests, total / args.requests))
    print("%-24s %5s %8s %8s %5s" % ("page kind", "reqs", "cpu ms", "wall ms", "SQL"))
    for kind, (count, cpu, wall, sql) in kinds.items():
        print("%-24s %5d %8.1f %8.1f %5.1f" % (kind, count, cpu / count, wall / count, sql / count))
    print("%8s %6s %8s  statement" % ("total ms", "count", "avg ms"))
    for text, (count, ms) in sorted(statements.items(), key=lambda item: -item[1][1])[:args.top]:
        shown = text[text.find(" WHERE "):] if args.where and " WHERE " in text else text
        print("%8.0f %6d %8.2f  %s" % (ms, count, ms / count, shown[:args.width]))
    print("load average at end: %s" % load.load_average())


if __name__ == "__main__":
    main()
