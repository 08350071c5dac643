"""Time a month's full indicator set over 1,000,000 loan records and 100,000 applications, and the report pack.

    python bench/indicators.py                       # SQLite (temp file) and PostgreSQL
    python bench/indicators.py --only sqlite
    BENCH_DATABASE_URL=postgresql://user@host:port/db python bench/indicators.py --only postgresql

The PostgreSQL database is emptied first. Loans: 1,000,000 off-platform 信易贷 loan reports (indicator 十四)
plus the disbursed part of 100,000 platform applications; a 100,000-firm registry with tax grades and lists.
Goal: each indicator set ≤ 1 s on both databases.
"""
import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from marketplace import create_app  # noqa: E402
from marketplace.config import _normalise_db_url  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.models import (  # noqa: E402
    Application,
    Enterprise,
    ImportBatch,
    Institution,
    ListEntry,
    OffPlatformLoan,
    Product,
    RegistryEnterprise,
    TaxGrade,
)
from marketplace.services import breakdowns, indicators, reports  # noqa: E402
from seed import city  # noqa: E402

N_FIRMS, N_APPS, N_LOANS = 100_000, 100_000, 1_000_000
MONTH = date(2026, 10, 1)
BATCH = 20_000


def _insert(table, rows):
    for i in range(0, len(rows), BATCH):
        db.session.execute(insert(table), rows[i:i + BATCH])


def build(rng):
    firms = pd.concat(city.enterprise_chunks(N_FIRMS, seed=1))
    _insert(Enterprise.__table__, firms.to_dict("records"))
    inst = city.institutions(20, 1).drop(columns="short_name")
    _insert(Institution.__table__, inst.to_dict("records"))
    prods = city.products(80, 20, 1)
    _insert(Product.__table__, prods.to_dict("records"))
    batch = ImportBatch(source="registry", file_name="bench.csv", sha256="0" * 64, rows_accepted=N_FIRMS,
                        codes_total=N_FIRMS, codes_invalid=120, codes_duplicate=80,
                        created_at=datetime(2026, 10, 5, tzinfo=UTC))
    db.session.add(batch)
    db.session.flush()
    reg = firms[["uscc", "name", "region_code", "industry", "size", "established_on", "registered_capital",
                 "operating_status"]].assign(batch_id=batch.id)
    _insert(RegistryEnterprise.__table__, reg.to_dict("records"))
    usccs = firms["uscc"].to_numpy()
    grades = rng.choice(list("ABMCD"), N_FIRMS, p=[0.2, 0.5, 0.2, 0.07, 0.03])
    _insert(TaxGrade.__table__, [{"uscc": u, "year": 2025, "grade": g, "batch_id": batch.id}
                                 for u, g in zip(usccs, grades, strict=True)])
    listed = rng.choice(usccs, 3000, replace=False)
    _insert(ListEntry.__table__, [{"uscc": u, "list_type": "dishonest_judgment_debtor", "start_on": date(2025, 6, 1),
                                   "end_on": None, "document_no": "bench", "batch_id": batch.id} for u in listed])
    # 100,000 applications over two years; 60 % disbursed.
    ent = rng.integers(1, N_FIRMS + 1, N_APPS)
    prod = rng.integers(1, 81, N_APPS)
    inst_of = prods.set_index("id")["institution_id"].to_dict()
    submitted = [datetime(2024, 11, 1, tzinfo=UTC) + timedelta(minutes=int(m)) for m in rng.integers(0, 730 * 1440, N_APPS)]
    apps = []
    for i in range(N_APPS):
        amount = int(rng.integers(10, 500)) * 10_000
        disbursed = rng.random() < 0.6
        decided = submitted[i] + timedelta(days=int(rng.integers(1, 20)))
        apps.append({"enterprise_id": int(ent[i]), "product_id": int(prod[i]), "institution_id": inst_of[int(prod[i])],
                     "amount": amount, "term_months": 12, "status": "disbursed" if disbursed else "rejected",
                     "submitted_at": submitted[i], "accepted_at": submitted[i], "decided_at": decided,
                     "decision_due": decided.date(), "granted_amount": amount if disbursed else None,
                     "granted_rate": 4.1 if disbursed else None, "granted_term": 12 if disbursed else None,
                     "disbursed_amount": amount if disbursed else None,
                     "disbursed_on": (decided + timedelta(days=3)).date() if disbursed else None,
                     "reject_reason": None if disbursed else "other", "version": 1,
                     "updated_at": decided})
    _insert(Application.__table__, apps)
    months = [date(2024 + (10 + k) // 12, (10 + k) % 12 + 1, 1) for k in range(24)]
    loans = [{"institution_id": int(rng.integers(1, 21)), "month": months[k % 24], "uscc": f"BENCH{k:013d}",
              "enterprise_name": "", "amount": int(rng.integers(10, 1000)) * 10_000, "loan_count": 1}
             for k in range(N_LOANS)]
    _insert(OffPlatformLoan.__table__, loans)
    db.session.commit()


def timed(label, fn, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    print(f"  {label:<48} {best:8.3f} s")
    return result


def run(url: str, name: str):
    app = create_app({"SQLALCHEMY_DATABASE_URI": _normalise_db_url(url), "SECRET_KEY": "bench"})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        t = time.perf_counter()
        build(np.random.default_rng(7))
        print(f"{name}: data built in {time.perf_counter() - t:.1f} s "
              f"({N_LOANS:,} off-platform loans, {N_APPS:,} applications, {N_FIRMS:,} firms)")
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        for scope in indicators.SCOPES:
            timed(f"indicator set, scope={scope}", lambda s=scope: indicators.compute(MONTH, s))
        timed("loan balance at month end", lambda: indicators.loan_balance(date(2026, 10, 31)))
        period = indicators.Period(MONTH)
        def all_breakdowns():
            return [breakdowns.by_dimension(period, d) for d in breakdowns.DIMENSIONS]

        timed("breakdowns (one query, 6 dimensions)", all_breakdowns, repeat=1)
        pack = timed("monthly report pack (XLSX)", lambda: reports.monthly_pack(MONTH), repeat=1)
        print(f"  report pack size {len(pack) / 1e6:.1f} MB")
        db.session.remove()
        db.engine.dispose()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{tmp}/bench.db", "SQLite")
    if args.only in (None, "postgresql"):
        run(os.environ.get("BENCH_DATABASE_URL", "postgresql://ci@127.0.0.1:55432/mk_main"), "PostgreSQL")


if __name__ == "__main__":
    main()
