"""Reading a department file: CSV (UTF-8, UTF-8 with BOM, GBK) or XLSX into a frame of strings with the
source's field names; file-level problems raise."""
import io
import re
import zipfile
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


# An XLSX file is a zip: its sheets may unpack to far more than the upload (a "zip bomb" of 250,000 rows
# fits in 175 KB). The declared sizes in the zip directory are checked before anything is unpacked.
MAX_XLSX_UNPACKED = 512 * 1024 * 1024


def _too_many_rows(max_rows: int) -> RuleViolation:
    return RuleViolation(f"文件超过 {max_rows:,} 行，网页上传不接受这么大的文件：请按月份拆分后分批上传（在营企业数据库可按企业拆分），"
                         "或由管理员在服务器上用 flask import-data 导入。")


_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")


def _most_xml_rows(data: bytes) -> int:
    """The largest number of <row> elements in one sheet, read unpacked in 1 MB chunks (bounded memory)."""
    most = 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if not re.fullmatch(r"xl/worksheets/[^/]+\.xml", name):
                continue
            count, tail = 0, b""
            with archive.open(name) as xml:
                while chunk := xml.read(1 << 20):
                    block = tail + chunk
                    count += len(_ROW_TAG.findall(block))
                    tail = block[-32:]
                    count -= len(_ROW_TAG.findall(tail))  # counted again with the next chunk
            most = max(most, count + len(_ROW_TAG.findall(tail)))
    return most


def _read_xlsx(data: bytes, max_rows: int | None = None) -> pd.DataFrame:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise RuleViolation("无法读取 XLSX 文件：文件可能已损坏，或不是 Excel 2007 及以上格式。") from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise RuleViolation("XLSX 文件解压后过大，请另存为 CSV 或拆分后上传。")
    # Rows are counted in the raw XML of every sheet before openpyxl opens the workbook: a sheet's
    # <dimension> may be missing or false, and without one openpyxl parses the whole sheet to look for it.
    if max_rows is not None and _most_xml_rows(data) > max_rows + 1:
        raise _too_many_rows(max_rows)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise RuleViolation("无法读取 XLSX 文件：文件可能已损坏，或不是 Excel 2007 及以上格式。") from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [_cell_text(v) for v in next(rows, ())]
        body = []
        for row in rows:  # the count above is of the raw XML; the cap holds here all the same
            if max_rows is not None and len(body) >= max_rows:
                raise _too_many_rows(max_rows)
            body.append([_cell_text(v) for v in row])
    finally:
        book.close()
    body = [r for r in body if any(c.strip() for c in r)]
    width = len(header)
    return pd.DataFrame([(r + [""] * width)[:width] for r in body], columns=header, dtype=str)


def _normalise_header(text: str) -> str:
    text = re.sub(r"\s+", "", str(text).replace("\ufeff", ""))
    text = re.sub(r"[（(][^）)]*[）)]$", "", text)  # a unit such as （元）
    return text.lower()


def read_file(source: Source, data: bytes, file_name: str, max_rows: int | None = None) -> Parsed:
    """The file as a frame of strings with the source's field names; file-level problems raise.
    `max_rows` (the web upload's cap) refuses a longer file before it is parsed."""
    if not data:
        raise RuleViolation("文件为空。")
    if file_name.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        frame, encoding = _read_xlsx(data, max_rows), "XLSX"
    else:
        if max_rows is not None and data.count(b"\n") > max_rows + 1:  # an upper bound on the records
            raise _too_many_rows(max_rows)
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
