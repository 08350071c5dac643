"""The row-by-row import report (行号、列、值、问题) as CSV, kept for download (and removed after a day)."""
import re
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pandas as pd

from .. import csv_files

REPORT_COLUMNS = ["行号", "列", "值", "问题"]
MAX_SHOWN_ERRORS = 200
# The downloadable report lists at most this many problems (then a count by column) and is kept this long.
MAX_REPORT_ROWS = 10_000
REPORT_KEPT = timedelta(days=1)


def report_csv(report: pd.DataFrame) -> bytes:
    """A row-by-row report as CSV in UTF-8 with BOM (Excel opens it with the Chinese intact): the first
    MAX_REPORT_ROWS problems, then one line with how many more there are, by column."""
    table = report.reindex(columns=REPORT_COLUMNS)
    rows = list(table.head(MAX_REPORT_ROWS).itertuples(index=False, name=None))
    if len(table) > MAX_REPORT_ROWS:
        rest = table.iloc[MAX_REPORT_ROWS:]
        by_column = "，".join(f"{col} {n:,} 条" for col, n in rest["列"].value_counts().items())
        rows.append(("", "", "", f"另有 {len(rest):,} 个问题未列出（共 {len(table):,} 个）：{by_column}。"
                                 "请先改正以上问题后重新上传。"))
    return csv_files.write(REPORT_COLUMNS, rows)


def save_report(report: pd.DataFrame, directory: str | Path) -> str:
    """Keep a report for download; returns its token (the file name without .csv). Reports older than
    REPORT_KEPT are removed at the same time."""
    token = uuid.uuid4().hex
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    remove_old_reports(path)
    (path / f"{token}.csv").write_bytes(report_csv(report))
    return token


def remove_old_reports(directory: Path) -> int:
    """Delete the reports older than REPORT_KEPT; returns how many."""
    cutoff = time.time() - REPORT_KEPT.total_seconds()
    removed = 0
    for old in directory.glob("*.csv"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
                removed += 1
        except FileNotFoundError:  # another worker removed it first
            pass
    return removed


def report_path(directory: str | Path, token: str) -> Path | None:
    if not re.fullmatch(r"[0-9a-f]{32}", token or ""):
        return None
    path = Path(directory) / f"{token}.csv"
    return path if path.exists() else None
