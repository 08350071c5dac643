"""Validating every row of a file: codes, dates, numbers, code lists, repeated keys, firms unknown to the
registry; the registry's bad codes are findings for indicator (九), not errors."""

import numpy as np
import pandas as pd
from sqlalchemy import select
from stdnum.cn import uscc as uscc_std

from ...extensions import db
from ...models import (
    RegistryEnterprise,
)
from .. import registry
from .reading import Parsed
from .reports import REPORT_COLUMNS
from .sources import USCC, Source

_IN_CHUNK = 5_000



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
        table = pd.concat(self.parts, ignore_index=True).sort_values(["行号"], kind="stable", ignore_index=True)
        return table.astype({"行号": int})  # "第2行", never "第2.0行"


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
    if source.code == "customs_certifications":
        report.add("revoked_on", out["revoked_on"].notna() & (out["revoked_on"] < out["certified_on"]),
                   "撤销日期早于认证日期")
    if source.code == "list_entries":
        report.add("end_on", out["end_on"].notna() & (out["end_on"] < out["start_on"]), "移出日期早于列入日期")
    latest = registry.latest_as_of() if source.code == "registry" else None
    if latest is not None:  # the registry's history only moves forward (services/registry)
        report.add("as_of", out["as_of"].notna() & (out["as_of"] < pd.Timestamp(latest)),
                   f"数据截止日期早于已导入的在营企业数据库（数据截止{latest}）：较旧的文件不能覆盖较新的登记状态")
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
    return pd.concat(parts, ignore_index=True).sort_values("行号", ignore_index=True).astype({"行号": int})


def known_usccs(codes_: np.ndarray) -> set[str]:
    """The codes among `codes_` that are in the registry (looked up in chunks of distinct codes)."""
    found: set[str] = set()
    table = RegistryEnterprise.__table__
    with db.engine.connect() as conn:
        for start in range(0, len(codes_), _IN_CHUNK):
            chunk = codes_[start:start + _IN_CHUNK].tolist()
            found.update(conn.scalars(select(table.c.uscc).where(table.c.uscc.in_(chunk))))
    return found
