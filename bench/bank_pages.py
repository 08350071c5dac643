"""Single-request times of the bank officer's pages on an existing city in PostgreSQL (e.g. bench/load.py's):
the median of `--n` requests per page through the app, the statements each sends and their SQL time.

    DATABASE_URL=postgresql://… .venv/bin/python bench/bank_pages.py [--n 10] [--sql] [--pages /bank/ …]

Logged in as the demo's bank officer (bank_demo), one warm-up request per page first. `--sql` lists the last
request's statements with their times. Prints the load average beside the figures: on a shared machine read
them beside it, and compare ratios within one run.
"""
import argparse
import os
import statistics
import time

from explain_pages import login
from sqlalchemy import event

from marketplace import create_app
from marketplace.extensions import db

PAGES = ["/bank/", "/bank/applications", "/bank/matches"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--sql", action="store_true")
    ap.add_argument("--pages", nargs="*", default=PAGES)
    args = ap.parse_args()
    app = create_app({"RATELIMIT_ENABLED": False})
    sent: list[tuple[float, str]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        sent.append((time.perf_counter() - conn.info.pop("started"), statement))
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    client = app.test_client()
    login(client, "bank_demo")
    for page in args.pages:
        client.get(page)  # warm (templates, caches)
        took, sql = [], []
        for _ in range(args.n):
            sent.clear()
            started = time.perf_counter()
            status = client.get(page).status_code
            took.append(time.perf_counter() - started)
            sql.append(sum(s for s, _ in sent))
        print(f"{page}: HTTP {status}, median {statistics.median(took) * 1000:.1f} ms (min {min(took) * 1000:.1f}) "
              f"of {args.n}, {len(sent)} statements, SQL median {statistics.median(sql) * 1000:.1f} ms, "
              f"load average {'/'.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
        if args.sql:
            for seconds, statement in sent:
                print(f"  {seconds * 1000:7.1f} ms  {' '.join(statement.split())[:200]}")


if __name__ == "__main__":
    main()
