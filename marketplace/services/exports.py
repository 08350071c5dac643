"""Tables out of the platform: XLSX (Chinese headers, number formats, 万元) and CSV (UTF-8 with BOM for Excel).

A table is a list of Column specs plus rows (dicts or a DataFrame); money columns hold integer yuan and
are written in 万元 so the figure a person reads is the figure on the page.
"""
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import xlsxwriter

from . import csv_files

# kind → (Excel number format, how a value is converted for the cell and the CSV)
FORMATS = {
    "text": "@",
    "int": "#,##0",
    "wan": "#,##0.00",  # integer yuan shown in 万元
    "ratio": "0.00%",
    "small_ratio": "0.0000%",  # ratios to GDP (4.1e-05 reads 0.0041 %, not 0.00 %)
    "yuan": "#,##0",  # integer yuan shown as yuan (GDP and the loans set against it)
    "days": "0.00",  # an average in days
    "percent": "0.00",  # already in %, e.g. an annual rate of 3.45
    "decimal": "#,##0.00",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # Chinese header, with the unit: "放款金额（万元）"
    kind: str = "text"
    labels: dict | None = None  # code → Chinese label (codes.REGIONS …): a person reads the label, never the code

    def convert(self, value, kind: str | None = None):
        kind = kind or self.kind
        if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
            return None
        if self.labels is not None:
            return self.labels.get(value, value)
        if isinstance(value, str):  # a marker such as 不可用 in a numeric column stays text
            return value
        if kind == "wan":
            return Decimal(int(value)) / Decimal(10000)
        if kind in ("ratio", "small_ratio", "decimal", "percent", "days"):
            return Decimal(str(value)) if not isinstance(value, Decimal) else value
        if kind in ("int", "yuan"):
            return int(value)
        if kind == "datetime" and isinstance(value, datetime) and value.tzinfo is not None:
            from .workdays import SHANGHAI

            return value.astimezone(SHANGHAI).replace(tzinfo=None)  # Excel has no time zones: local time
        if kind == "date" and isinstance(value, datetime):
            return value.date()
        return value


@dataclass
class Table:
    title: str  # sheet name (≤ 31 characters in Excel)
    columns: Sequence[Column]
    rows: Iterable  # dicts, or a DataFrame
    notes: list[str] = field(default_factory=list)  # lines written above the header (period, source …)
    # A row may carry "_kinds": {column key: kind} where one column mixes units (the summary's numerators are
    # yuan for 十三 and counts for 十二); the cell gets that kind's number format.

    def records(self) -> Iterable[dict]:
        if isinstance(self.rows, pd.DataFrame):
            return self.rows.to_dict("records")
        return self.rows


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """One workbook, one sheet per table, in order. Written with XlsxWriter in constant-memory mode: a
    report pack of a million cells takes seconds, where building it cell by cell in openpyxl took a minute."""
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as out:
        _write_workbook(out.name, tables)
        return Path(out.name).read_bytes()


def _write_workbook(path: str, tables: Sequence[Table]) -> None:
    # constant_memory streams each row to disk as it is written (it needs a file, not a buffer).
    wb = xlsxwriter.Workbook(path, {"constant_memory": True, "default_date_format": FORMATS["date"]})
    header_fmt = wb.add_format({"bold": True, "bg_color": "#DCE6F1", "align": "center", "valign": "vcenter",
                                "text_wrap": True, "border": 1})
    formats = {kind: wb.add_format({"num_format": f}) for kind, f in FORMATS.items()}
    for table in tables:
        ws = wb.add_worksheet(_sheet_title(table.title))
        cell_formats = [formats[c.kind] for c in table.columns]
        for i, column in enumerate(table.columns):
            ws.set_column(i, i, min(max(8, len(column.header) * 2 + 2), 40))
        r = 0
        for line in table.notes:
            ws.write_string(r, 0, line)
            r += 1
        ws.write_row(r, 0, [c.header for c in table.columns], header_fmt)
        ws.freeze_panes(r + 1, 0)
        r += 1
        for record in table.records():
            kinds = record.get("_kinds") or {}
            for i, column in enumerate(table.columns):
                kind = kinds.get(column.key)
                value = column.convert(record.get(column.key), kind)
                fmt = formats[kind] if kind else cell_formats[i]
                if value is None:
                    ws.write_blank(r, i, None, fmt)
                elif isinstance(value, str):
                    ws.write_string(r, i, value, fmt)
                elif isinstance(value, datetime | date):
                    ws.write_datetime(r, i, value, fmt)
                elif isinstance(value, bool):
                    ws.write_boolean(r, i, value, fmt)
                else:
                    ws.write_number(r, i, value, fmt)
            r += 1
    wb.close()


def to_csv(table: Table, *, notes: bool = False) -> bytes:
    """The table as CSV through the platform's one writer (services/csv_files); with `notes`, the table's
    notes come first, one line each, as they stand above the header in the workbook."""
    def rows():
        for record in table.records():
            kinds = record.get("_kinds") or {}
            yield [c.convert(record.get(c.key), kinds.get(c.key)) for c in table.columns]
    return csv_files.write([c.header for c in table.columns], rows(), table.notes if notes else ())


def _sheet_title(title: str) -> str:
    for ch in "[]:*?/\\":
        title = title.replace(ch, "_")
    return title[:31]
