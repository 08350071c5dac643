"""Reading a department file: CSV (UTF-8, UTF-8 with BOM, GBK) or XLSX into a frame of strings with the
source's field names; file-level problems raise."""
import io
import re
from dataclasses import dataclass

import pandas as pd

from .. import RuleViolation
from .sources import Source


@dataclass
class Parsed:
    frame: pd.DataFrame  # all cells as stripped strings, columns renamed to field names
    encoding: str
    ignored_columns: list[str]


def decode_csv(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and its encoding: strict UTF-8 (with or without BOM) first, else GB 18030
    (a superset of GBK); anything else is refused rather than guessed."""
    try:
        text = data.decode("utf-8-sig")
        return text, "UTF-8（带BOM）" if data.startswith(b"\xef\xbb\xbf") else "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GBK"
    except UnicodeDecodeError:
        raise RuleViolation("无法识别文件编码：请将文件另存为 UTF-8 或 GBK 编码的 CSV，或 XLSX。") from None


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")
    return str(value)


def _read_xlsx(data: bytes) -> pd.DataFrame:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise RuleViolation("无法读取 XLSX 文件：文件可能已损坏，或不是 Excel 2007 及以上格式。") from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [_cell_text(v) for v in next(rows, ())]
    body = [[_cell_text(v) for v in row] for row in rows]
    book.close()
    body = [r for r in body if any(c.strip() for c in r)]
    width = len(header)
    return pd.DataFrame([(r + [""] * width)[:width] for r in body], columns=header, dtype=str)


def _normalise_header(text: str) -> str:
    text = re.sub(r"\s+", "", str(text).replace("\ufeff", ""))
    text = re.sub(r"[（(][^）)]*[）)]$", "", text)  # a unit such as （元）
    return text.lower()


def read_file(source: Source, data: bytes, file_name: str) -> Parsed:
    """The file as a frame of strings with the source's field names; file-level problems raise."""
    if not data:
        raise RuleViolation("文件为空。")
    if file_name.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        frame, encoding = _read_xlsx(data), "XLSX"
    else:
        text, encoding = decode_csv(data)
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as e:
            raise RuleViolation(f"CSV 文件格式错误：{e}") from None
    lookup = {_normalise_header(h): f.name for f in source.fields for h in f.headers()}
    rename, ignored, seen = {}, [], {}
    for col in frame.columns:
        name = lookup.get(_normalise_header(col))
        if name is None:
            ignored.append(str(col))
        elif name in seen:
            raise RuleViolation(f"列“{col}”与列“{seen[name]}”是同一项，请只保留一列。")
        else:
            rename[col], seen[name] = name, col
    missing = [f.label for f in source.fields if f.required and f.name not in seen]
    if missing:
        raise RuleViolation(f"缺少必需的列：{'、'.join(missing)}。可接受的列名见“数据格式说明”。")
    frame = frame[list(rename)].rename(columns=rename)
    for f in source.fields:
        if f.name not in frame:
            frame[f.name] = ""
    frame = frame.apply(lambda c: c.astype(str).str.strip())
    if frame.empty:
        raise RuleViolation("文件中没有数据行。")
    return Parsed(frame.reset_index(drop=True), encoding, ignored)
