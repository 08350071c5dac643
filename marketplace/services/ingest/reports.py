"""The row-by-row import report (行号、列、值、问题) as CSV, kept for download."""
import csv
import io
import re
import uuid
from pathlib import Path

import pandas as pd

REPORT_COLUMNS = ["行号", "列", "值", "问题"]
MAX_SHOWN_ERRORS = 200


def report_csv(report: pd.DataFrame) -> bytes:
    """A row-by-row report as CSV in UTF-8 with BOM (Excel opens it with the Chinese intact)."""
    buffer = io.StringIO()
    report.reindex(columns=REPORT_COLUMNS).to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL)
    return buffer.getvalue().encode("utf-8-sig")


def save_report(report: pd.DataFrame, directory: str | Path) -> str:
    """Keep a report for download; returns its token (the file name without .csv)."""
    token = uuid.uuid4().hex
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    (path / f"{token}.csv").write_bytes(report_csv(report))
    return token


def report_path(directory: str | Path, token: str) -> Path | None:
    if not re.fullmatch(r"[0-9a-f]{32}", token or ""):
        return None
    path = Path(directory) / f"{token}.csv"
    return path if path.exists() else None
