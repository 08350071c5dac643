"""EXPLAIN (ANALYZE, BUFFERS) of the slowest SQL statements behind the commission's pages, on an existing city
in PostgreSQL (e.g. the one bench/load.py built).

    DATABASE_URL=postgresql://… .venv/bin/python bench/explain_pages.py [--top 3] [--pages /commission/ …]

Each page is requested once through the app (logged in as the demo's commission account); every statement it
sends is timed, and the `--top` slowest of each page are explained. Prints the page's statement count and
time, then each plan.
"""
import argparse
import os
import re
import time

from sqlalchemy import event, text

from marketplace import create_app
from marketplace.extensions import db
from seed.accounts import DEMO_PASSWORD

PAGES = ["/commission/", "/commission/indicators", "/commission/statistics", "/commission/sharing",
         "/bank/matches"]
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def login(client, username: str) -> None:
    token = TOKEN.search(client.get("/auth/login").get_data(as_text=True)).group(1)
    client.post("/auth/login", data={"csrf_token": token, "username": username, "password": DEMO_PASSWORD})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top", type=int, default=3)
    ap.add_argument("--pages", nargs="*", default=PAGES)
    args = ap.parse_args()
    app = create_app({"RATELIMIT_ENABLED": False})
    sent: list[tuple[float, str, object]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        sent.append((time.perf_counter() - conn.info.pop("started"), statement, parameters))
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    print(f"load average {'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
    for page in args.pages:
        client = app.test_client()  # one session per page, as its user
        login(client, "bank_demo" if page.startswith("/bank/") else "admin_demo")
        client.get(page)  # warm (templates, model files)
        sent.clear()
        started = time.perf_counter()
        status = client.get(page).status_code
        took = time.perf_counter() - started
        statements = list(sent)
        print(f"\n=== {page}: HTTP {status}, {len(statements)} statements, {took * 1000:.0f} ms "
              f"(SQL {sum(s[0] for s in statements) * 1000:.0f} ms)")
        for seconds, statement, parameters in sorted(statements, key=lambda s: -s[0])[:args.top]:
            print(f"\n--- {seconds * 1000:.1f} ms: {' '.join(statement.split())[:300]}")
            with engine.connect() as conn:
                plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
                conn.execute(text("ROLLBACK"))
            for (line,) in plan:
                print("    " + line)


if __name__ == "__main__":
    main()
