"""EXPLAIN ANALYZE of the figure query of chosen indicators (count or sum over the indicator's one select of
records) for each scope, on an existing city: the time, the planner's row estimates beside the real ones.

    DATABASE_URL=postgresql://… .venv/bin/python bench/indicator_queries.py [--month 2026-10] [--plan] 十三 十七
"""
import argparse
import os
from datetime import date

from sqlalchemy import func, select

from marketplace import create_app
from marketplace.extensions import db
from marketplace.services import indicators


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("codes", nargs="+", help="indicator codes, e.g. 十三 十七")
    ap.add_argument("--month", default=None, help="YYYY-MM (default: last month)")
    ap.add_argument("--plan", action="store_true", help="print the whole plan, not only joins and totals")
    args = ap.parse_args()
    app = create_app()
    with app.app_context():
        month = date.fromisoformat(args.month + "-01") if args.month else _last_month()
        for scope in indicators.SCOPES:
            p = indicators.Period(month, scope)
            for code in args.codes:
                rows = indicators.DEFINITIONS[code].rows(p).order_by(None).subquery()
                sql = str(select(func.count()).select_from(rows)
                          .compile(db.engine, compile_kwargs={"literal_binds": True}))
                with db.engine.connect() as conn:
                    plan = [line for (line,) in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql)]
                took = next((line for line in plan if line.startswith("Execution Time")), "")
                print(f"=== ({code}) {scope}: {took}, load average "
                      f"{'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
                shown = plan if args.plan else [line for line in plan if "Join" in line or "Nested Loop" in line
                                                or line.lstrip().startswith(("Aggregate", "JIT", "Timing"))]
                print("\n".join("    " + line for line in shown))


def _last_month() -> date:
    from marketplace.clock import add_months
    from marketplace.services import workdays

    return add_months(workdays.today(), -1)


if __name__ == "__main__":
    main()
