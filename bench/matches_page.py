"""需求撮合 on an existing city: each firm's latest score read from enterprise_current_scores (kept when scores
are written) against ranking every score row with a window function (how the page read it before), and the
whole service call behind /bank/matches with each.

    DATABASE_URL=postgresql://… .venv/bin/python bench/matches_page.py [--repeat 10]

Prints the median and best wall time of each; the machine's load average is printed beside them.
"""
import argparse
import os
import statistics
import time
from unittest import mock

from sqlalchemy import func, select

from marketplace import create_app
from marketplace.extensions import db
from marketplace.models import EnterpriseScore, Institution
from marketplace.services import credit, matching


def window_latest():
    """The former reading: rank every score row per firm (as_of, then id) on each call."""
    ranked = select(EnterpriseScore.id, func.row_number().over(
        partition_by=EnterpriseScore.enterprise_id,
        order_by=(EnterpriseScore.as_of.desc(), EnterpriseScore.id.desc())).label("rn")).subquery()
    return select(ranked.c.id).where(ranked.c.rn == 1)


def table_grades_frame():
    import pandas as pd

    rows = db.session.execute(select(EnterpriseScore.enterprise_id, EnterpriseScore.grade, EnterpriseScore.pd)
                              .where(EnterpriseScore.id.in_(credit.latest_score_ids()))).all()
    return pd.DataFrame(rows, columns=["enterprise_id", "grade", "pd"])


def window_grades_frame():
    import pandas as pd

    rows = db.session.execute(select(EnterpriseScore.enterprise_id, EnterpriseScore.grade, EnterpriseScore.pd)
                              .where(EnterpriseScore.id.in_(window_latest()))).all()
    return pd.DataFrame(rows, columns=["enterprise_id", "grade", "pd"])


def timed(fn, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    return statistics.median(times), min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    app = create_app()
    with app.app_context():
        firms = db.session.scalar(select(func.count(func.distinct(EnterpriseScore.enterprise_id))))
        rows = db.session.scalar(select(func.count(EnterpriseScore.id)))
        inst = db.session.scalar(select(Institution.id).order_by(Institution.id))
        print(f"{firms:,} scored firms, {rows:,} score rows; institution {inst}; "
              f"load average {'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
        for label, fn in (("latest grades, current-score table", table_grades_frame),
                          ("latest grades, window over every row", window_grades_frame)):
            med, best = timed(fn, args.repeat)
            print(f"{label:<42} median {med:8.1f} ms   best {best:8.1f} ms")
        med, best = timed(lambda: matching.needs_for_institution(inst), args.repeat)
        print(f"{'需求撮合 service, current-score table':<42} median {med:8.1f} ms   best {best:8.1f} ms")
        with mock.patch.object(credit, "latest_score_ids", window_latest):
            med, best = timed(lambda: matching.needs_for_institution(inst), args.repeat)
        print(f"{'需求撮合 service, window (before)':<42} median {med:8.1f} ms   best {best:8.1f} ms")
        print(f"load average after {'/'.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
