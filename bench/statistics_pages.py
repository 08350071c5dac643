"""Time the commission's statistics pages (统计分析 for a month and cumulatively, 信易贷指标, the report pack)
on an existing database, as the commission user would request them (Flask test client, one process).

    DATABASE_URL=postgresql://user@host:port/db python bench/statistics_pages.py [--month 2026-10] [--runs 5]

Build the city first, e.g. `flask --app marketplace seed --enterprises 28000 --applications 100000
--no-departments`. Prints, per page: median and max of the runs in ms, the SQL statements one request sends
and the HTTP status, then the load average (the machine is shared: read absolute times beside it).
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, select  # noqa: E402

from marketplace import create_app  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.models import User  # noqa: E402
from marketplace.services import accounts  # noqa: E402

PASSWORD = "bench-statistics-Pw1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pack", action="store_true", help="also time the monthly report pack (slow)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL to the database holding the city.")
    app = create_app()
    app.config.update(WTF_CSRF_ENABLED=False)
    with app.app_context():
        if db.session.scalar(select(User).where(User.username == "bench-staff")) is None:
            accounts.create_user(username="bench-staff", password=PASSWORD, role="commission")
        statements = [0]
        event.listen(db.engine, "before_cursor_execute", lambda *a, **k: statements.__setitem__(0, statements[0] + 1))
    client = app.test_client()
    r = client.post("/auth/login", data={"username": "bench-staff", "password": PASSWORD})
    if r.status_code not in (200, 302):
        sys.exit(f"login failed: {r.status_code}")
    pages = [("统计分析 month", f"/commission/statistics?month={args.month}&scope=month"),
             ("统计分析 cumulative", f"/commission/statistics?month={args.month}&scope=cumulative"),
             ("统计分析 export (cumulative, xlsx)", f"/commission/statistics/size.xlsx?month={args.month}&scope=cumulative"),
             ("信易贷指标 month", f"/commission/indicators?month={args.month}"),
             ("指标明细 十三 cumulative", f"/commission/indicators/十三?month={args.month}&scope=cumulative")]
    if args.pack:
        pages.append(("月报 report pack", f"/commission/indicators/report.xlsx?month={args.month}"))
    print(f"{'page':40} {'median ms':>10} {'max ms':>9} {'SQL':>6} {'status':>7}")
    for label, url in pages:
        times, status = [], None
        for _ in range(args.runs):
            statements[0] = 0
            t0 = time.perf_counter()
            status = client.get(url).status_code
            times.append((time.perf_counter() - t0) * 1000)
        print(f"{label:40} {statistics.median(times):10.0f} {max(times):9.0f} {statements[0]:6d} {status:7d}")
    print("load average (1, 5, 15 min): " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
