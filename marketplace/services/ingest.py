"""Department data import (部门数据导入): the one path by which files from city departments enter the platform.

Used by ``flask import-data SOURCE FILE``, by the commission's upload page and by the seed export tests.
A file (CSV in UTF-8, UTF-8 with BOM or GBK, or XLSX) is read, every row is validated, and either the
whole file is saved in one transaction or nothing is and a row-by-row report (行号、列、值、问题) explains
why. A file is the complete delivery of its source for the periods it covers: importing it replaces
those periods (see ``Source.scope``), so re-importing a month never duplicates it.

The registry (在营企业数据库) is special: rows with an invalid or a repeated USCC are not an error but
a finding — they are left out, listed in the report, and counted on the batch for indicator (九).
"""
import csv
import hashlib
import io
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from flask import current_app
from sqlalchemy import Table, and_, delete, func, insert, select
from stdnum.cn import uscc as uscc_std

from .. import codes
from ..clock import now
from ..extensions import db
from ..models import (
    ImportBatch,
    ListEntry,
    Penalty,
    ProvidentFundRecord,
    RegistryEnterprise,
    SocialInsuranceRecord,
    TaxGrade,
    TaxRecord,
    User,
    UtilityRecord,
    credit_data,
)
from . import RuleViolation, bulk

REPORT_COLUMNS = ["行号", "列", "值", "问题"]
MAX_SHOWN_ERRORS = 200
_IN_CHUNK = 5_000


# ---- what each source delivers ------------------------------------------------------------------

def _labels(mapping: dict) -> dict:
    """Accepted spellings of a code list: the code itself and its Chinese label."""
    return {**{k: k for k in mapping}, **{v: k for k, v in mapping.items()}}


SIZE_VALUES = {**_labels(codes.SIZES), "大": "large", "中": "medium", "小": "small", "微": "micro"}
STATUS_VALUES = {**_labels(codes.OPERATING_STATUSES), "在业": "active", "开业": "active"}
INDUSTRY_VALUES = _labels(codes.INDUSTRIES)
REGION_VALUES = _labels(codes.REGIONS)
GRADE_VALUES = {**{g: g for g in credit_data.TAX_GRADES}, **{f"{g}级": g for g in credit_data.TAX_GRADES}}
UTILITY_VALUES = {"water": "water", "electricity": "electricity", "gas": "gas", "水": "water", "用水": "water",
                  "电": "electricity", "用电": "electricity", "气": "gas", "燃气": "gas", "天然气": "gas",
                  "用气": "gas"}
SEVERITY_LABELS = {"minor": "轻微", "general": "一般", "serious": "严重"}
SEVERITY_VALUES = _labels(SEVERITY_LABELS)
LIST_LABELS = codes.LIST_TYPES
LIST_VALUES = {**_labels(LIST_LABELS), "拖欠农民工工资": "wage_arrears", "严重违法失信": "serious_illegal",
               "重大税收违法": "major_tax_violation", "守合同重信用企业": "contract_honoring"}
UTILITY_LABELS = {"water": "水", "electricity": "电", "gas": "气"}


@dataclass(frozen=True)
class Field:
    """One column of a department file: table column name, Chinese header, kind and accepted values."""

    name: str
    label: str
    kind: str  # uscc, period, date, year, money, count, decimal, enum, text
    required: bool = True
    values: dict | None = None  # enum: accepted spelling -> stored code
    aliases: tuple[str, ...] = ()
    max_length: int | None = None
    note: str = ""

    def headers(self) -> list[str]:
        return [self.label, self.name, *self.aliases]


@dataclass(frozen=True)
class Source:
    """A department source: its table, its columns, the key a row may not repeat, and the scope it replaces."""

    code: str
    label: str
    department: str
    table: type
    fields: tuple[Field, ...]
    key: tuple[str, ...] = ()
    scope: str = "period"  # period | kind_period | year | decided_month | list_month | uscc

    @property
    def sql_table(self) -> Table:
        return self.table.__table__


KIND_LABELS = {"uscc": "18位统一社会信用代码", "period": "所属月份", "date": "日期", "year": "年度（四位数字）",
               "money": "金额（元，整数）", "count": "非负整数", "decimal": "非负数", "enum": "代码或名称",
               "text": "文本"}
SCOPE_LABELS = {"period": "文件所含各所属期的全部记录", "kind_period": "文件所含各类别、各所属期的全部记录",
                "year": "文件所含各评价年度的全部记录", "decided_month": "文件所含各处罚决定月份的全部记录",
                "list_month": "文件所含各名单类型、各列入月份的全部记录",
                "uscc": "文件中出现的企业的原有记录（其他企业保留）"}

USCC = Field("uscc", "统一社会信用代码", "uscc", aliases=("社会信用代码", "信用代码"))
PERIOD = Field("period", "所属期", "period", aliases=("所属月份", "期间"),
               note="2026-10、202610、2026/10、2026年10月或该月任一日期")

SOURCES: dict[str, Source] = {s.code: s for s in (
    Source("registry", "在营企业数据库", "市市场监督管理局", RegistryEnterprise, (
        USCC,
        Field("name", "企业名称", "text", max_length=128),
        Field("region_code", "所属区县", "enum", values=REGION_VALUES, aliases=("行政区划代码", "区县代码"),
              note="区县代码（如370102）或名称（如历下区）"),
        Field("industry", "行业门类", "enum", values=INDUSTRY_VALUES, note="GB/T 4754-2017 门类字母或名称"),
        Field("size", "企业规模", "enum", values=SIZE_VALUES, note="大型、中型、小型、微型"),
        Field("established_on", "成立日期", "date", required=False),
        Field("registered_capital", "注册资本", "money", required=False),
        Field("operating_status", "经营状态", "enum", values=STATUS_VALUES, note="存续（在业）、停业、吊销、注销"),
    ), scope="uscc"),
    Source("tax_records", "纳税（月度）", "市税务局", TaxRecord, (
        USCC, PERIOD,
        Field("revenue", "营业收入", "money", aliases=("销售收入",)),
        Field("vat_paid", "实缴增值税", "money", aliases=("增值税实缴税额", "实缴税额")),
        Field("income_tax_paid", "实缴所得税", "money", aliases=("所得税实缴税额",)),
        Field("arrears", "欠税金额", "money", aliases=("欠税余额",)),
    ), key=("uscc", "period")),
    Source("tax_grades", "纳税信用等级（年度）", "市税务局", TaxGrade, (
        USCC,
        Field("year", "评价年度", "year", aliases=("年度",)),
        Field("grade", "纳税信用等级", "enum", values=GRADE_VALUES, aliases=("信用等级",), note="A、B、M、C、D"),
    ), key=("uscc", "year"), scope="year"),
    Source("social_insurance_records", "社会保险（月度）", "市人力资源和社会保障局", SocialInsuranceRecord, (
        USCC, PERIOD,
        Field("insured_headcount", "参保人数", "count"),
        Field("amount_due", "应缴金额", "money"),
        Field("amount_paid", "实缴金额", "money"),
        Field("months_in_arrears", "连续欠缴月数", "count", aliases=("欠缴月数",)),
    ), key=("uscc", "period")),
    Source("provident_fund_records", "住房公积金（月度）", "市住房公积金管理中心", ProvidentFundRecord, (
        USCC, PERIOD,
        Field("headcount", "缴存人数", "count"),
        Field("amount_paid", "缴存金额", "money", aliases=("实缴金额",)),
    ), key=("uscc", "period")),
    Source("utility_records", "水电气（月度）", "供水、供电、燃气企业", UtilityRecord, (
        USCC, PERIOD,
        Field("kind", "类别", "enum", values=UTILITY_VALUES, aliases=("能源类别",), note="水、电、气"),
        Field("usage", "用量", "decimal", note="吨、千瓦时、立方米，最多两位小数"),
        Field("amount_billed", "应缴金额", "money", aliases=("账单金额",)),
        Field("days_late", "逾期天数", "count", aliases=("逾期缴费天数",)),
    ), key=("uscc", "period", "kind"), scope="kind_period"),
    Source("penalties", "行政处罚", "市信用信息共享平台", Penalty, (
        USCC,
        Field("decided_on", "处罚决定日期", "date", aliases=("决定日期",)),
        Field("authority", "处罚机关", "text", max_length=64),
        Field("category", "处罚类别", "text", max_length=32),
        Field("severity", "严重程度", "enum", values=SEVERITY_VALUES, note="轻微、一般、严重"),
        Field("fine", "罚款金额", "money"),
        Field("document_no", "处罚决定书文号", "text", max_length=64, aliases=("决定书文号", "文号")),
        Field("publication_end", "公示截止日期", "date"),
        Field("repaired_on", "信用修复日期", "date", required=False),
    ), scope="decided_month"),
    Source("list_entries", "名单（黑名单、红名单）", "市信用信息共享平台", ListEntry, (
        USCC,
        Field("list_type", "名单类型", "enum", values=LIST_VALUES, note="、".join(LIST_LABELS.values())),
        Field("start_on", "列入日期", "date"),
        Field("end_on", "移出日期", "date", required=False, note="仍在名单上的留空"),
        Field("document_no", "列入依据文号", "text", max_length=64, aliases=("依据文号", "文号")),
    ), key=("uscc", "list_type", "start_on"), scope="list_month"),
)}


# ---- reading a file -----------------------------------------------------------------------------

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


# ---- validating every row -----------------------------------------------------------------------

class _Report:
    def __init__(self, frame: pd.DataFrame, source: Source):
        self.frame, self.labels = frame, {f.name: f.label for f in source.fields}
        self.parts: list[pd.DataFrame] = []

    def add(self, name: str, bad, problem) -> None:
        bad = pd.Series(bad, index=self.frame.index).fillna(False).astype(bool)
        if not bad.any():
            return
        problems = problem[bad] if isinstance(problem, pd.Series) else problem
        self.parts.append(pd.DataFrame({"行号": self.frame.index[bad] + 2, "列": self.labels.get(name, name),
                                        "值": self.frame.loc[bad, name] if name in self.frame else "",
                                        "问题": problems}))

    def table(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=REPORT_COLUMNS)
        return pd.concat(self.parts, ignore_index=True).sort_values(["行号"], kind="stable", ignore_index=True)


_USCC_PROBLEMS = {uscc_std.InvalidLength: "统一社会信用代码应为18位",
                  uscc_std.InvalidChecksum: "统一社会信用代码校验位错误",
                  uscc_std.InvalidFormat: "统一社会信用代码格式不正确（含非法字符）"}


def _uscc_problem(code: str) -> str:
    try:
        uscc_std.validate(code)
    except uscc_std.ValidationError as e:
        return next((m for cls, m in _USCC_PROBLEMS.items() if isinstance(e, cls)), "统一社会信用代码格式不正确")
    return ""


def uscc_problems(values: pd.Series) -> pd.Series:
    """'' for a valid code, else the Chinese reason; computed once per distinct code."""
    distinct = pd.unique(values)
    reasons = dict(zip(distinct, map(_uscc_problem, distinct), strict=True))
    return values.map(reasons)


_DATE_RE = (r"^(?P<y>\d{4})(?:[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?|(?P<m2>\d{2})(?P<d2>\d{2}))"
            r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_MONTH_RE = r"^(?P<y>\d{4})(?:[-/.年](?P<m>\d{1,2})月?|(?P<m2>\d{2}))$"


def parse_dates(values: pd.Series, *, month_only_ok: bool) -> pd.Series:
    """datetime64 (NaT when unreadable) from the spellings departments use; months give their first day.

    Parsed once per distinct spelling: a month of a city's records holds only a handful of them."""
    distinct = pd.Series(pd.unique(values), dtype=str)
    parsed = _parse_distinct_dates(distinct, month_only_ok)
    return pd.Series(pd.Index(distinct).get_indexer(values), index=values.index).map(
        dict(enumerate(parsed))).astype("datetime64[ns]")


def _parse_distinct_dates(values: pd.Series, month_only_ok: bool) -> pd.Series:
    parts = values.str.extract(_DATE_RE)
    y, m, d = parts["y"], parts["m"].fillna(parts["m2"]), parts["d"].fillna(parts["d2"])
    if month_only_ok:
        months = values.str.extract(_MONTH_RE)
        y = y.fillna(months["y"])
        m = m.fillna(months["m"].fillna(months["m2"]))
        d = d.where(parts["y"].notna(), "1")
    ymd = pd.DataFrame({"year": pd.to_numeric(y), "month": pd.to_numeric(m), "day": pd.to_numeric(d)})
    ok = ymd.notna().all(axis=1) & ymd["month"].between(1, 12) & ymd["day"].between(1, 31) \
        & ymd["year"].between(1900, 2100)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if ok.any():
        out[ok] = pd.to_datetime(ymd[ok].astype(int), errors="coerce")
    return out


def _numbers(values: pd.Series) -> pd.Series:
    """Numbers, also written with thousands separators or a trailing 元; NaN when unreadable."""
    number = pd.to_numeric(values, errors="coerce")
    retry = number.isna() & (values != "")
    if retry.any():
        cleaned = values[retry].str.replace(r"[,，\s]|元$", "", regex=True)
        number[retry] = pd.to_numeric(cleaned, errors="coerce")
    return number


def validate(source: Source, parsed: Parsed) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(typed rows to save, errors, registry findings); rows are only to be saved when errors is empty."""
    raw = parsed.frame
    report = _Report(raw, source)
    out = pd.DataFrame(index=raw.index)
    findings = pd.DataFrame(columns=REPORT_COLUMNS)
    uscc_bad = pd.Series(False, index=raw.index)
    for f in source.fields:
        col = raw[f.name]
        empty = col == ""
        if f.required:
            report.add(f.name, empty, "必填项为空")
        present = ~empty
        if f.kind == "uscc":
            code = col.str.upper()
            problem = uscc_problems(code)
            uscc_bad = present & (problem != "")
            if source.code == "registry":
                findings = _registry_findings(raw, code, uscc_bad, problem)
            else:
                report.add(f.name, uscc_bad, problem)
            out[f.name] = code
        elif f.kind in ("period", "date"):
            parsed_dates = parse_dates(col, month_only_ok=f.kind == "period")
            hint = ("所属期格式无法识别（应为 2026-10、202610、2026/10 或日期）" if f.kind == "period"
                    else "日期无效或格式无法识别（应为 2026-10-31、2026/10/31 或 20261031）")
            report.add(f.name, present & parsed_dates.isna(), hint)
            out[f.name] = parsed_dates.dt.to_period("M").dt.to_timestamp() if f.kind == "period" else parsed_dates
        elif f.kind == "year":
            year = pd.to_numeric(col.str.replace(r"年(度)?$", "", regex=True), errors="coerce")
            report.add(f.name, present & ~year.between(1990, 2100), "年度应为四位数字，如 2025")
            out[f.name] = year.astype("Int64")
        elif f.kind in ("money", "count", "decimal"):
            number = _numbers(col)
            unreadable = present & number.isna()
            noun = {"money": "金额", "count": "数量", "decimal": "用量"}[f.kind]
            report.add(f.name, unreadable, f"{noun}应为数字")
            report.add(f.name, present & (number < 0), f"{noun}不能为负数")
            report.add(f.name, present & (number.abs() >= 1e15), f"{noun}过大")
            if f.kind == "count":
                report.add(f.name, present & number.notna() & (number != np.floor(number)), "数量应为整数")
                out[f.name] = number.round().astype("Int64")
            elif f.kind == "money":  # integer yuan: 角分 are rounded half up
                out[f.name] = np.floor(number + 0.5).astype("Int64")
            else:
                out[f.name] = number.round(2)
        elif f.kind == "enum":
            value = col.map(f.values)
            report.add(f.name, present & value.isna(), f"取值无效，可选：{f.note or '、'.join(f.values)}")
            out[f.name] = value
        else:
            report.add(f.name, present & (col.str.len() > (f.max_length or 10**6)), f"长度超过{f.max_length}个字符")
            out[f.name] = col.where(present, None)
    if source.code == "list_entries":
        report.add("end_on", out["end_on"].notna() & (out["end_on"] < out["start_on"]), "移出日期早于列入日期")
    if source.key:
        dup = out.duplicated(list(source.key), keep="first") & out[list(source.key)].notna().all(axis=1)
        if dup.any():
            first_row = out.reset_index().groupby(list(source.key), dropna=True)["index"].transform("min") + 2
            report.add(source.key[0], dup, "与第" + first_row.astype(str) + "行重复（同一企业同一期间只能有一条）")
    if source.code != "registry":
        known = known_usccs(np.asarray(pd.unique(out["uscc"][~uscc_bad & (out["uscc"] != "")]), dtype=object))
        unknown = (out["uscc"] != "") & ~uscc_bad & ~out["uscc"].isin(known)
        report.add("uscc", unknown, "该企业不在在营企业数据库中（请核对代码，或先导入企业名录）")
    errors = report.table()
    if source.code == "registry":
        out = out[~raw.index.isin(findings["行号"] - 2)]
    return out.reset_index(drop=True), errors, findings


def _registry_findings(raw, code, invalid, problem) -> pd.DataFrame:
    """Indicator (九) findings of a registry file: invalid codes and codes met again after their first row."""
    valid = (code != "") & ~invalid
    repeated = valid & code.duplicated(keep="first")
    first_row = code.index.to_series().groupby(code).transform("min") + 2
    parts = [pd.DataFrame({"行号": raw.index[invalid] + 2, "列": USCC.label, "值": code[invalid],
                           "问题": problem[invalid]}),
             pd.DataFrame({"行号": raw.index[repeated] + 2, "列": USCC.label, "值": code[repeated],
                           "问题": "重复的统一社会信用代码（首次出现于第" + first_row[repeated].astype(str) + "行）"})]
    return pd.concat(parts, ignore_index=True).sort_values("行号", ignore_index=True)


def known_usccs(codes_: np.ndarray) -> set[str]:
    """The codes among `codes_` that are in the registry (looked up in chunks of distinct codes)."""
    found: set[str] = set()
    table = RegistryEnterprise.__table__
    with db.engine.connect() as conn:
        for start in range(0, len(codes_), _IN_CHUNK):
            chunk = codes_[start:start + _IN_CHUNK].tolist()
            found.update(conn.scalars(select(table.c.uscc).where(table.c.uscc.in_(chunk))))
    return found


# ---- saving -------------------------------------------------------------------------------------

@dataclass
class Checked:
    """A validated file: what would be saved, or the errors that stop it."""

    source: Source
    file_name: str
    sha256: str
    encoding: str
    rows: pd.DataFrame
    errors: pd.DataFrame
    findings: pd.DataFrame
    ignored_columns: list[str] = field(default_factory=list)
    rows_in_file: int = 0

    @property
    def ok(self) -> bool:
        return self.errors.empty

    def period_range(self) -> tuple[date | None, date | None]:
        col = {"uscc": None, "year": None, "decided_month": "decided_on", "list_month": "start_on"}.get(
            self.source.scope, "period")
        if self.source.scope == "year" and not self.rows.empty:
            return date(int(self.rows["year"].min()), 1, 1), date(int(self.rows["year"].max()), 12, 1)
        if col is None or self.rows.empty:
            return None, None
        months = self.rows[col].dt.to_period("M").dt.to_timestamp()
        return months.min().date(), months.max().date()


@dataclass
class ImportResult:
    checked: Checked
    batch_id: int | None = None
    rows_accepted: int = 0
    rows_replaced: int = 0
    rescored: int = 0  # platform firms re-scored because this import changed their data

    @property
    def ok(self) -> bool:
        return self.checked.ok


def check(source_code: str, data: bytes, file_name: str) -> Checked:
    """Read and validate a department file without touching the database's data."""
    source = SOURCES.get(source_code)
    if source is None:
        raise RuleViolation(f"未知的数据来源“{source_code}”，可选：{'、'.join(SOURCES)}。", "source")
    parsed = read_file(source, data, file_name)
    rows, errors, findings = validate(source, parsed)
    return Checked(source, Path(file_name).name, hashlib.sha256(data).hexdigest(), parsed.encoding, rows, errors,
                   findings, parsed.ignored_columns, len(parsed.frame))


def _scope_deletes(source: Source, rows: pd.DataFrame) -> list:
    """The DELETE statements that clear what this file replaces (one per period, kind or year it holds)."""
    t = source.sql_table
    if source.scope == "period":
        return [delete(t).where(t.c.period == p) for p in sorted(set(rows["period"].dt.date))]
    if source.scope == "kind_period":
        keys = rows[["kind", "period"]].drop_duplicates()
        return [delete(t).where(t.c.kind == k, t.c.period == p)
                for k, p in zip(keys["kind"], keys["period"].dt.date, strict=True)]
    if source.scope == "year":
        return [delete(t).where(t.c.year == int(y)) for y in sorted(set(rows["year"]))]
    if source.scope in ("decided_month", "list_month"):
        col = "decided_on" if source.scope == "decided_month" else "start_on"
        months = rows[col].dt.to_period("M")
        keys = pd.DataFrame({"m": months, "t": rows["list_type"] if "list_type" in rows else ""}).drop_duplicates()
        out = []
        for m, lt in zip(keys["m"], keys["t"], strict=True):
            lo, hi = m.start_time.date(), (m + 1).start_time.date()
            cond = [t.c[col] >= lo, t.c[col] < hi] + ([t.c.list_type == lt] if lt else [])
            out.append(delete(t).where(and_(*cond)))
        return out
    codes_ = rows["uscc"].tolist()
    return [delete(t).where(t.c.uscc.in_(codes_[i:i + _IN_CHUNK])) for i in range(0, len(codes_), _IN_CHUNK)]


def save(checked: Checked, *, user_id: int | None = None,
         progress: Callable[[int], None] | None = None) -> ImportResult:
    """Save a validated file in one transaction: the batch row, the replaced scope, the rows (bulk)."""
    if not checked.ok:
        raise RuleViolation("文件未通过校验，未保存任何数据。")
    period_from, period_to = checked.period_range()
    findings = checked.findings
    registry = checked.source.code == "registry"
    batch = {"source": checked.source.code, "file_name": checked.file_name[:255], "sha256": checked.sha256,
             "period_from": period_from, "period_to": period_to, "rows_accepted": len(checked.rows),
             "created_by": user_id, "created_at": now()}
    if registry:
        batch.update(codes_total=checked.rows_in_file,
                     codes_invalid=int((~findings["问题"].str.startswith("重复")).sum()),
                     codes_duplicate=int(findings["问题"].str.startswith("重复").sum()))
    table = checked.source.sql_table
    affected = set(checked.rows["uscc"]) if "uscc" in checked.rows else set()
    with db.engine.begin() as conn:
        batch_id = conn.execute(insert(ImportBatch.__table__).values(**batch)).inserted_primary_key[0]
        replaced = 0
        for stmt in _scope_deletes(checked.source, checked.rows):
            if checked.source.scope != "uscc":  # firms whose replaced records vanish change too
                affected.update(conn.scalars(select(table.c.uscc).distinct().where(stmt.whereclause)))
            replaced += conn.execute(stmt).rowcount
        rows = checked.rows.assign(batch_id=batch_id)
        bulk.write_frame(conn, table, rows, progress)
    result = ImportResult(checked, batch_id, len(rows), max(replaced, 0))
    result.rescored = _rescore(affected)
    return result


def _rescore(usccs: set[str]) -> int:
    """Re-score the platform firms this import touched (when a model is active). The import itself has been
    committed: a failure here is logged and leaves the old scores, it does not undo the import."""
    from . import scoring

    try:
        return scoring.rescore(usccs)
    except Exception:  # any scoring failure must not turn a saved import into an error page
        current_app.logger.exception("re-scoring %d firms after an import failed", len(usccs))
        db.session.rollback()
        return 0


def import_file(source_code: str, data: bytes, file_name: str, *, user_id: int | None = None,
                progress: Callable[[int], None] | None = None) -> ImportResult:
    """Check a file and, when every row is valid, save it; otherwise save nothing and return the errors."""
    checked = check(source_code, data, file_name)
    if not checked.ok:
        return ImportResult(checked)
    return save(checked, user_id=user_id, progress=progress)


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


# ---- coverage -----------------------------------------------------------------------------------

def coverage() -> dict:
    """Per source: rows, latest period, firms covered in it ÷ registry firms, and the last batch (SQL only)."""
    registry_n = db.session.scalar(select(func.count()).select_from(RegistryEnterprise.__table__)) or 0
    batches, users = ImportBatch.__table__, User.__table__
    rows = []
    for source in SOURCES.values():
        t = source.sql_table
        total = db.session.scalar(select(func.count()).select_from(t)) or 0
        latest, firms = None, None
        if source.code == "registry":
            firms = total
        elif source.code == "tax_grades":
            latest = db.session.scalar(select(func.max(t.c.year)))
            firms = db.session.scalar(select(func.count(func.distinct(t.c.uscc))).where(t.c.year == latest))
        elif "period" in t.c:
            latest = db.session.scalar(select(func.max(t.c.period)))
            firms = db.session.scalar(select(func.count(func.distinct(t.c.uscc))).where(t.c.period == latest))
        else:
            col = t.c.decided_on if source.code == "penalties" else t.c.start_on
            latest = db.session.scalar(select(func.max(col)))
            firms = db.session.scalar(select(func.count(func.distinct(t.c.uscc))))
        last = db.session.execute(select(batches, users.c.display_name.label("imported_by"))
                                  .outerjoin(users, users.c.id == batches.c.created_by)
                                  .where(batches.c.source == source.code)
                                  .order_by(batches.c.id.desc()).limit(1)).mappings().first()
        rows.append({"source": source, "rows": total, "latest": latest, "firms": firms or 0,
                     "share": (firms or 0) / registry_n if registry_n else None, "last_batch": last})
    return {"registry_firms": registry_n, "sources": rows, "indicator_9": indicator_9()}


def indicator_9() -> dict | None:
    """(九) duplicate or invalid USCCs ÷ all codes, from the latest registry batch."""
    b = ImportBatch.__table__
    last = db.session.execute(select(b).where(b.c.source == "registry", b.c.codes_total.is_not(None))
                              .order_by(b.c.id.desc()).limit(1)).mappings().first()
    if not last or not last["codes_total"]:
        return None
    bad = (last["codes_invalid"] or 0) + (last["codes_duplicate"] or 0)
    return {"batch_id": last["id"], "invalid": last["codes_invalid"], "duplicate": last["codes_duplicate"],
            "total": last["codes_total"], "ratio": bad / last["codes_total"]}
