"""The one CSV writer of the platform (exports, the sharing feed, import reports): UTF-8 with BOM so that
Excel on a Chinese Windows desktop opens it, formula cells neutralised, no line break a reader could split
a record on."""
import csv
import io
import math
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import TextIO

# A cell starting with one of these is a formula to Excel / LibreOffice (=HYPERLINK(…), @SUM(…), +cmd|…):
# it gets a leading apostrophe, as OWASP recommends for CSV injection. A plain number ("-12.5") stays.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
# Line separators other than CR/LF (which the writer quotes): U+2028/2029, NEL, VT, FF and the
# information separators. str.splitlines() and some readers end a record at them; they become spaces.
_ODD_BREAKS = str.maketrans({c: " " for c in "\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1e"})


def cell(value):
    """One value as it goes into a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, float) and math.isnan(value):
        return ""  # a missing number is an empty cell, never "nan"
    if isinstance(value, int | float):
        return value
    text = str(value).translate(_ODD_BREAKS)
    if text.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def write(header: Iterable[str], rows: Iterable[Iterable], preamble: Iterable[str] = ()) -> bytes:
    """A whole CSV file: the preamble lines (one cell each: what the figures are, as of when), the header,
    then one record per row, every cell through `cell`."""
    buffer = io.StringIO()
    write_to(buffer, header, rows, preamble)
    return buffer.getvalue().encode("utf-8")


def write_to(stream: TextIO, header: Iterable[str], rows: Iterable[Iterable], preamble: Iterable[str] = ()) -> None:
    """The same file written row by row into a text stream (opened with newline=""), for files too big to
    hold in memory."""
    stream.write("\ufeff")
    writer = csv.writer(stream, lineterminator="\r\n")
    for line in preamble:
        writer.writerow([cell(line)])
    writer.writerow([cell(h) for h in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
