"""Tables out of the platform: XLSX (Chinese headers, number formats, 万元) and CSV (UTF-8 with BOM for Excel).

A table is a list of Column specs plus rows (dicts or a DataFrame); money columns hold integer yuan and
are written in 万元 so the figure a person reads is the figure on the page.
"""
import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

# kind → (Excel number format, how a value is converted for the cell and the CSV)
FORMATS = {
    "text": "@",
    "int": "#,##0",
    "wan": "#,##0.00",  # integer yuan shown in 万元
    "ratio": "0.00%",
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

    def convert(self, value):
        if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
            return None
        if isinstance(value, str):  # a marker such as 不可用 in a numeric column stays text
            return value
        if self.kind == "wan":
            return Decimal(int(value)) / Decimal(10000)
        if self.kind in ("ratio", "decimal", "percent"):
            return Decimal(str(value)) if not isinstance(value, Decimal) else value
        if self.kind == "int":
            return int(value)
        if self.kind == "datetime" and isinstance(value, datetime) and value.tzinfo is not None:
            from ..filters import SHANGHAI

            return value.astimezone(SHANGHAI).replace(tzinfo=None)  # Excel has no time zones: local time
        if self.kind == "date" and isinstance(value, datetime):
            return value.date()
        return value


@dataclass
class Table:
    title: str  # sheet name (≤ 31 characters in Excel)
    columns: Sequence[Column]
    rows: Iterable  # dicts, or a DataFrame
    notes: list[str] = field(default_factory=list)  # lines written above the header (period, source …)

    def records(self) -> Iterable[dict]:
        if isinstance(self.rows, pd.DataFrame):
            return self.rows.to_dict("records")
        return self.rows


HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")


def write_sheet(ws, table: Table) -> None:
    for line in table.notes:
        ws.append([line])
    header_row = ws.max_row + 1 if table.notes else 1
    ws.append([c.header for c in table.columns])
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    widths = [max(8, len(c.header) * 2 + 2) for c in table.columns]
    for record in table.records():
        ws.append([c.convert(record.get(c.key)) for c in table.columns])
    for i, column in enumerate(table.columns, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = min(widths[i - 1], 40)
        for (cell,) in ws.iter_rows(min_row=header_row + 1, min_col=i, max_col=i):
            cell.number_format = FORMATS[column.kind]
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """One workbook, one sheet per table, in order."""
    wb = Workbook()
    wb.remove(wb.active)
    for table in tables:
        write_sheet(wb.create_sheet(title=_sheet_title(table.title)), table)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def to_csv(table: Table) -> bytes:
    """UTF-8 with BOM so that Excel on a Chinese Windows desktop opens it without garbling."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.header for c in table.columns])
    for record in table.records():
        writer.writerow([_csv_value(c.convert(record.get(c.key))) for c in table.columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def _sheet_title(title: str) -> str:
    for ch in "[]:*?/\\":
        title = title.replace(ch, "_")
    return title[:31]
