"""Produce one sharing batch (指标十一) on an existing city and print its time, the process's peak memory, the
records and the file's size; the batch (row, sent versions, audit row, files) is removed afterwards unless
--keep, so the run can be repeated on the same database.

    DATABASE_URL=postgresql://… INSTANCE_PATH=/tmp/x .venv/bin/python bench/sharing_batch.py --month 2026-10

Run it on a copy of the city: it writes to the database it is given.
"""
import argparse
import os
import resource
import time
from datetime import date
from pathlib import Path

from sqlalchemy import delete

from marketplace import create_app
from marketplace.extensions import db
from marketplace.models import AuditLog, ShareBatch, SharedRecord
from marketplace.services import sharing


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--month", required=True, help="YYYY-MM")
    ap.add_argument("--keep", action="store_true", help="keep the batch instead of removing it")
    args = ap.parse_args()
    month = date.fromisoformat(args.month + "-01")
    app = create_app()
    with app.app_context():
        print(f"load average {'/'.join(f'{x:.2f}' for x in os.getloadavg())}; "
              f"peak RSS before {peak_mb():.0f} MB")
        started = time.perf_counter()
        batch = sharing.produce(month, actor_id=None)
        took = time.perf_counter() - started
        stored = getattr(batch, "stored_file", None)
        size = ((Path(app.instance_path) / sharing.FOLDER / stored).stat().st_size if stored
                else len(batch.content.encode()))
        print(f"batch {batch.id}: {sum(batch.counts.values()):,} records {batch.counts}, "
              f"{size / 1e6:.1f} MB of JSON Lines ({'file ' + stored if stored else 'in the row'}), "
              f"{took:.1f} s, peak RSS {peak_mb():.0f} MB")
        if not args.keep:
            for fmt in ("jsonl", "csv"):
                if stored:
                    (Path(app.instance_path) / sharing.FOLDER / f"share-{batch.id}.{fmt}").unlink(missing_ok=True)
            db.session.execute(delete(SharedRecord).where(SharedRecord.batch_id == batch.id))
            db.session.execute(delete(AuditLog).where(AuditLog.action == "share_batch.produced",
                                                      AuditLog.object_id == str(batch.id)))
            db.session.execute(delete(ShareBatch).where(ShareBatch.id == batch.id))
            db.session.commit()
            print("removed again (--keep keeps it)")


if __name__ == "__main__":
    main()
