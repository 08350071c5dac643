"""信易贷 loans an institution made outside any 信易贷 platform (indicator 十四): monthly reports by form
or CSV, kept in their own table and never mixed with platform loans.

One unit for the person: the form takes 万元; a CSV names its unit in the amount header — 放款金额（万元） or
放款金额（元） — and either is accepted. Only loans to medium, small and micro firms are 信易贷 loans: a report
about a firm the registry (or, where the registry has none, the platform) classes as large is refused. A report
with the same bank, firm, month and amount as a platform loan is flagged: it stays out of (十四) until the bank
confirms it is a different loan, so one loan is never counted on both sides. Every report, correction,
confirmation and deletion is audited.
"""
import csv
import io
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from ..clock import add_months, now
from ..extensions import db
from ..models import Application, Enterprise, OffPlatformLoan, RegistryEnterprise
from . import RuleViolation, audit, workdays
from .accounts import normalise_uscc
from .workdays import today

MAX_AMOUNT_YUAN = 10**12  # one firm's monthly off-platform loans: bounded where parsed (1 万亿元)
MAX_LOANS = 10_000
# Header → (field, unit). The amount header must say its unit; English headers for systems: amount_yuan, amount_wan.
CSV_COLUMNS = {"统一社会信用代码": ("uscc", None), "企业名称": ("enterprise_name", None), "笔数": ("loan_count", None),
               "放款金额（元）": ("amount", "yuan"), "放款金额（万元）": ("amount", "wan"),
               "uscc": ("uscc", None), "enterprise_name": ("enterprise_name", None), "loan_count": ("loan_count", None),
               "amount_yuan": ("amount", "yuan"), "amount_wan": ("amount", "wan")}
UNIT_LABELS = {"yuan": "元", "wan": "万元"}


def parse_month(value: str) -> date:
    """'2026-10' → date(2026, 10, 1); months in the future are refused."""
    try:
        first = workdays.parse_month(value)
    except ValueError as e:
        raise RuleViolation(str(e), "month") from None
    if first > today().replace(day=1):
        raise RuleViolation("不能填报未来月份。", "month")
    return first


def _header(text: str) -> str:
    return re.sub(r"\s+", "", (text or "").replace("\ufeff", "")).replace("(", "（").replace(")", "）")


def to_yuan(value, unit: str) -> int:
    """An amount as typed, in 万元 (up to 2 decimals, i.e. 100 yuan) or yuan (whole), as integer yuan."""
    text = str(value if value is not None else "").replace(",", "").replace("，", "").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise RuleViolation(f"金额应为数字（单位：{UNIT_LABELS[unit]}）。", "amount") from None
    if not number.is_finite():
        raise RuleViolation(f"金额应为数字（单位：{UNIT_LABELS[unit]}）。", "amount")
    yuan = number * 10000 if unit == "wan" else number
    if yuan != yuan.to_integral_value():
        raise RuleViolation("金额最小单位为元（万元最多4位小数）。" if unit == "wan" else "以元为单位的金额应为整数。", "amount")
    if yuan <= 0:
        raise RuleViolation("放款金额应大于0。", "amount")
    if yuan > MAX_AMOUNT_YUAN:
        raise RuleViolation("放款金额超出合理范围，请核对单位。", "amount")
    return int(yuan)


def _count(value) -> int:
    text = str(value if value not in (None, "") else 1).strip()
    if not text.isdigit() or not 0 < int(text) <= MAX_LOANS:
        raise RuleViolation(f"笔数应为1–{MAX_LOANS}的整数。", "loan_count")
    return int(text)


def firm_size(uscc: str) -> tuple[str | None, str]:
    """(size, basis): the registry's classification, else the size the firm declared on the platform."""
    size = db.session.scalar(select(RegistryEnterprise.size).where(RegistryEnterprise.uscc == uscc))
    if size:
        return size, "在营企业数据库"
    size = db.session.scalar(select(Enterprise.size).where(Enterprise.uscc == uscc))
    return size, "企业在平台注册时自报"


def _row(uscc: str, name: str, amount_yuan: int, count) -> dict:
    code = normalise_uscc(uscc)
    size, basis = firm_size(code)
    if size == "large":
        raise RuleViolation(f"该企业为大型企业（依据：{basis}）：平台外信易贷只统计中小微企业贷款，不予登记。", "uscc")
    return {"uscc": code, "enterprise_name": (name or "").strip()[:128], "amount": amount_yuan,
            "loan_count": _count(count)}


def matching_platform_loan(institution_id: int, month: date, uscc: str, amount: int) -> int | None:
    """A platform loan of the same bank, firm, month and amount (the report may be that loan counted twice)."""
    nxt = add_months(month, 1)
    return db.session.scalar(
        select(Application.id).join(Enterprise, Enterprise.id == Application.enterprise_id)
        .where(Application.institution_id == institution_id, Enterprise.uscc == uscc,
               Application.disbursed_on >= month, Application.disbursed_on < nxt,
               Application.disbursed_amount == amount).order_by(Application.id).limit(1))


def _flag(loan: OffPlatformLoan) -> None:
    """Re-check the match after any change; a changed report needs a fresh confirmation. The lookup must not
    flush the new row: its INSERT belongs in _commit, where a racing duplicate becomes a RuleViolation
    (flushed here, the second report would wait on the first and fail with an IntegrityError, a 500)."""
    with db.session.no_autoflush:
        loan.platform_application_id = matching_platform_loan(loan.institution_id, loan.month, loan.uscc, loan.amount)
    loan.confirmed_at = loan.confirmed_by = None


def report(institution_id: int, month: date, *, uscc: str, enterprise_name: str, amount: int, loan_count: int,
           user_id: int | None = None) -> OffPlatformLoan:
    """Record (or correct) one firm's off-platform loans for the month; `amount` in yuan."""
    row = _row(uscc, enterprise_name, amount, loan_count)
    existing = db.session.scalar(select(OffPlatformLoan).where(
        OffPlatformLoan.institution_id == institution_id, OffPlatformLoan.month == month,
        OffPlatformLoan.uscc == row["uscc"]))
    old = _snapshot(existing) if existing else None
    if existing is None:
        existing = OffPlatformLoan(institution_id=institution_id, month=month, reported_by=user_id, **row)
        db.session.add(existing)
    else:
        for k, v in row.items():
            setattr(existing, k, v)
        existing.reported_by = user_id
    _flag(existing)
    _commit(lambda: audit.record(user_id, "off_platform.reported" if old is None else "off_platform.corrected",
                                 existing, month=month, old=old, new=_snapshot(existing)))
    return existing


def _commit(then) -> None:
    """Flush, `then()` (the audit row, which needs the ids), commit. Two reports for the same firm and month
    racing: the unique key keeps one, the other is told."""
    try:
        db.session.flush()
        then()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise RuleViolation("该企业本月的报送刚刚已由他人提交，请刷新页面核对后再修改。", "uscc") from None


def _snapshot(loan: OffPlatformLoan) -> dict:
    return {"uscc": loan.uscc, "enterprise_name": loan.enterprise_name, "amount": loan.amount,
            "loan_count": loan.loan_count}


def _owned(loan_id: int, institution_id: int) -> OffPlatformLoan:
    loan = db.session.get(OffPlatformLoan, loan_id)
    if loan is None or loan.institution_id != institution_id:
        raise RuleViolation("没有这条填报记录。")
    return loan


def correct(loan_id: int, institution_id: int, *, amount: int, loan_count: int, enterprise_name: str,
            user_id: int | None) -> OffPlatformLoan:
    """Correct one report (amount in yuan); the old and new values go to the audit log in the same commit."""
    loan = _owned(loan_id, institution_id)
    return report(institution_id, loan.month, uscc=loan.uscc, enterprise_name=enterprise_name, amount=amount,
                  loan_count=loan_count, user_id=user_id)


def remove(loan_id: int, institution_id: int, user_id: int | None) -> None:
    """Withdraw one report (reported in error); audited with what it said."""
    loan = _owned(loan_id, institution_id)
    audit.record(user_id, "off_platform.removed", loan, month=loan.month, old=_snapshot(loan))
    db.session.delete(loan)
    db.session.commit()


def confirm_distinct(loan_id: int, institution_id: int, user_id: int | None) -> OffPlatformLoan:
    """The bank confirms a flagged report is a different loan from the matching platform loan: it counts."""
    loan = _owned(loan_id, institution_id)
    if loan.platform_application_id is None:
        raise RuleViolation("这条填报没有与平台内贷款相符，无需确认。")
    loan.confirmed_at, loan.confirmed_by = now(), user_id
    audit.record(user_id, "off_platform.confirmed_distinct", loan, month=loan.month,
                 platform_application_id=loan.platform_application_id)
    db.session.commit()
    return loan


MAX_CSV_ROWS = 20_000  # one institution's loans of one month; the upload itself is capped at 2 MB


def import_csv(institution_id: int, month: date, data: bytes, user_id: int | None = None) -> int:
    """Replace the institution's report for the month with the CSV's rows (UTF-8 or GBK). A file with any
    bad row is refused whole, naming the line."""
    if data.count(b"\n") > MAX_CSV_ROWS + 1:
        raise RuleViolation(f"文件超过 {MAX_CSV_ROWS:,} 行：一家机构一个月的报告不应有这么多行，请检查文件。", "file")
    for encoding in ("utf-8-sig", "gbk"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RuleViolation("无法识别文件编码，请另存为UTF-8或GBK编码的CSV。", "file")
    reader = csv.DictReader(io.StringIO(text))
    header = {h: CSV_COLUMNS.get(_header(h)) for h in reader.fieldnames or []}
    fields = {v[0] for v in header.values() if v}
    units = {v[1] for v in header.values() if v and v[1]}
    if any(_header(h) in ("放款金额", "amount") for h in header):
        raise RuleViolation("请在金额列名中注明单位：“放款金额（万元）”或“放款金额（元）”。", "file")
    if not {"uscc", "amount"} <= fields or len(units) != 1:
        raise RuleViolation("CSV须包含“统一社会信用代码”和一列金额——“放款金额（万元）”或“放款金额（元）”"
                            "（可选“企业名称”“笔数”）。", "file")
    unit = units.pop()
    rows: dict[str, dict] = {}
    for line, raw in enumerate(reader, start=2):
        rec = {header[k][0]: v for k, v in raw.items() if k is not None and header.get(k)}
        if not any((v or "").strip() for v in rec.values()):
            continue
        try:
            r = _row(rec.get("uscc"), rec.get("enterprise_name"), to_yuan(rec.get("amount"), unit),
                     rec.get("loan_count"))
        except RuleViolation as e:
            raise RuleViolation(f"第{line}行：{e.message}", "file") from None
        if r["uscc"] in rows:  # the same firm twice in one month: add up
            rows[r["uscc"]]["amount"] += r["amount"]
            rows[r["uscc"]]["loan_count"] += r["loan_count"]
        else:
            rows[r["uscc"]] = r
    if not rows:
        raise RuleViolation("文件中没有数据行。", "file")
    replaced = db.session.execute(delete(OffPlatformLoan).where(OffPlatformLoan.institution_id == institution_id,
                                                                OffPlatformLoan.month == month)).rowcount
    loans = [OffPlatformLoan(institution_id=institution_id, month=month, reported_by=user_id, **r)
             for r in rows.values()]
    for loan in loans:
        _flag(loan)
    db.session.add_all(loans)
    _commit(lambda: audit.record(user_id, "off_platform.imported", loans[0], month=month, unit=UNIT_LABELS[unit],
                                 rows=len(loans), replaced=max(replaced or 0, 0),
                                 amount=sum(r["amount"] for r in rows.values())))
    return len(rows)


def reports(institution_id: int, month: date) -> list[OffPlatformLoan]:
    """The institution's reports for one month, each one visible (and correctable)."""
    return db.session.scalars(select(OffPlatformLoan).where(OffPlatformLoan.institution_id == institution_id,
                                                            OffPlatformLoan.month == month)
                              .order_by(OffPlatformLoan.uscc)).all()


def monthly_totals(institution_id: int | None = None):
    """(month, firms, loans, yuan) per month — one SQL aggregate."""
    stmt = select(OffPlatformLoan.month, func.count(OffPlatformLoan.id), func.sum(OffPlatformLoan.loan_count),
                  func.sum(OffPlatformLoan.amount)).group_by(OffPlatformLoan.month).order_by(OffPlatformLoan.month.desc())
    if institution_id:
        stmt = stmt.where(OffPlatformLoan.institution_id == institution_id)
    return db.session.execute(stmt).all()
