"""Rows per second for generating the synthetic city and for importing 1,000,000 department records
through the production import path (read + validate + bulk write), into SQLite and PostgreSQL.

Run by hand:
    .venv/bin/python bench/ingest.py [--rows 1000000] [--only sqlite|postgresql]
PostgreSQL is taken from BENCH_DATABASE_URL (default postgresql://ci@127.0.0.1:55432/mk_dept); its
tables are dropped and rebuilt, so point it at a scratch database.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from marketplace import create_app  # noqa: E402
from marketplace.config import _normalise_db_url  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.models import TaxRecord  # noqa: E402
from marketplace.services import ingest  # noqa: E402
from risk import features  # noqa: E402
from seed import departments, export  # noqa: E402

DEFAULT_PG = "postgresql://ci@127.0.0.1:55432/mk_dept"
MONTHLY = features.MONTHLY_TABLES


def generate(rows: int, months: int = 24):
    """Enough firms for `rows` tax records; times the generator on all its tables."""
    firms = int(rows / months / 0.93) + 1  # young firms have fewer months
    start = time.perf_counter()
    city = departments.generate(firms, months=months, seed=2026)
    seconds = time.perf_counter() - start
    generated = sum(len(city[t]) for t in ingest.SOURCES)
    print(f"generate : {firms:,} firms × {months} months → {generated:,} department rows in {seconds:.1f} s "
          f"= {generated / seconds:,.0f} rows/s")
    return city


def import_into(url: str, label: str, files: dict[str, bytes], rows_expected: int) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": _normalise_db_url(url), "SECRET_KEY": "bench"})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        registry = ingest.import_file("registry", files["registry"], "registry.csv")
        assert registry.ok
        for attempt in ("first import", "re-import (replaces every period)"):
            start = time.perf_counter()
            checked = ingest.check("tax_records", files["tax_records"], "tax_records.csv")
            checked_at = time.perf_counter()
            assert checked.ok, checked.errors.head()
            result = ingest.save(checked)
            done = time.perf_counter()
            n = result.rows_accepted
            assert db.session.scalar(select(func.count()).select_from(TaxRecord)) == n == rows_expected
            print(f"{label:<10} {attempt}: {n:,} rows — read+validate {checked_at - start:.1f} s "
                  f"({n / (checked_at - start):,.0f} rows/s), write {done - checked_at:.1f} s "
                  f"({n / (done - checked_at):,.0f} rows/s), total {n / (done - start):,.0f} rows/s")
        db.session.remove()
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.engine.dispose()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    city = generate(args.rows)
    tax = city["tax_records"].head(args.rows)
    files = {"registry": export.department_format("registry", city["registry"]).to_csv(index=False).encode("utf-8"),
             "tax_records": export.department_format("tax_records", tax).to_csv(index=False).encode("gbk")}
    print(f"tax_records file: {len(tax):,} rows, {len(files['tax_records']) / 1e6:.0f} MB (GBK CSV)")
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            import_into(f"sqlite:///{tmp}/bench.db", "SQLite", files, len(tax))
    if args.only in (None, "postgresql"):
        import_into(os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG), "PostgreSQL", files, len(tax))


if __name__ == "__main__":
    main()
