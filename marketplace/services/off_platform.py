"""信易贷 loans an institution made outside any 信易贷 platform (indicator 十四): monthly reports by form
or CSV, kept in their own table and never mixed with platform loans."""
import csv
import io
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import OffPlatformLoan
from . import RuleViolation, workdays
from .accounts import normalise_uscc
from .workdays import today

CSV_COLUMNS = {"统一社会信用代码": "uscc", "企业名称": "enterprise_name", "放款金额（元）": "amount", "笔数": "loan_count",
               "uscc": "uscc", "enterprise_name": "enterprise_name", "amount": "amount", "loan_count": "loan_count"}


def parse_month(value: str) -> date:
    """'2026-10' → date(2026, 10, 1); months in the future are refused."""
    try:
        first = workdays.parse_month(value)
    except ValueError as e:
        raise RuleViolation(str(e), "month") from None
    if first > today().replace(day=1):
        raise RuleViolation("不能填报未来月份。", "month")
    return first


def _row(uscc: str, name: str, amount, count) -> dict:
    code = normalise_uscc(uscc)
    try:
        amount, count = int(str(amount).replace(",", "").strip()), int(str(count or 1).strip())
    except ValueError:
        raise RuleViolation("金额和笔数应为整数（金额单位：元）。", "amount") from None
    if amount <= 0:
        raise RuleViolation("放款金额应大于0。", "amount")
    if count <= 0:
        raise RuleViolation("笔数应大于0。", "loan_count")
    return {"uscc": code, "enterprise_name": (name or "").strip()[:128], "amount": amount, "loan_count": count}


def report(institution_id: int, month: date, *, uscc: str, enterprise_name: str, amount: int, loan_count: int,
           user_id: int | None = None) -> OffPlatformLoan:
    """Record (or correct) one firm's off-platform loans for the month."""
    row = _row(uscc, enterprise_name, amount, loan_count)
    existing = db.session.scalar(select(OffPlatformLoan).where(
        OffPlatformLoan.institution_id == institution_id, OffPlatformLoan.month == month,
        OffPlatformLoan.uscc == row["uscc"]))
    if existing is None:
        existing = OffPlatformLoan(institution_id=institution_id, month=month, reported_by=user_id, **row)
        db.session.add(existing)
    else:
        for k, v in row.items():
            setattr(existing, k, v)
        existing.reported_by = user_id
    _commit()
    return existing


def _commit() -> None:
    # Two reports for the same firm and month racing: the unique key keeps one, the other is told.
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise RuleViolation("该企业本月的报送刚刚已由他人提交，请刷新页面核对后再修改。", "uscc") from None


def import_csv(institution_id: int, month: date, data: bytes, user_id: int | None = None) -> int:
    """Replace the institution's report for the month with the CSV's rows (UTF-8 or GBK). A file with any
    bad row is refused whole, naming the line."""
    for encoding in ("utf-8-sig", "gbk"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RuleViolation("无法识别文件编码，请另存为UTF-8或GBK编码的CSV。", "file")
    reader = csv.DictReader(io.StringIO(text))
    header = {h: CSV_COLUMNS.get((h or "").strip()) for h in reader.fieldnames or []}
    if not {"uscc", "amount"} <= set(header.values()):
        raise RuleViolation("CSV须包含“统一社会信用代码”和“放款金额（元）”两列（可选“企业名称”“笔数”）。", "file")
    rows: dict[str, dict] = {}
    for line, raw in enumerate(reader, start=2):
        rec = {header[k]: v for k, v in raw.items() if header.get(k)}
        if not any((v or "").strip() for v in rec.values()):
            continue
        try:
            r = _row(rec.get("uscc"), rec.get("enterprise_name"), rec.get("amount"), rec.get("loan_count"))
        except RuleViolation as e:
            raise RuleViolation(f"第{line}行：{e.message}", "file") from None
        if r["uscc"] in rows:  # the same firm twice in one month: add up
            rows[r["uscc"]]["amount"] += r["amount"]
            rows[r["uscc"]]["loan_count"] += r["loan_count"]
        else:
            rows[r["uscc"]] = r
    if not rows:
        raise RuleViolation("文件中没有数据行。", "file")
    db.session.execute(delete(OffPlatformLoan).where(OffPlatformLoan.institution_id == institution_id,
                                                     OffPlatformLoan.month == month))
    db.session.add_all(OffPlatformLoan(institution_id=institution_id, month=month, reported_by=user_id, **r)
                       for r in rows.values())
    _commit()
    return len(rows)


def monthly_totals(institution_id: int | None = None):
    """(month, firms, loans, yuan) per month — one SQL aggregate."""
    stmt = select(OffPlatformLoan.month, func.count(OffPlatformLoan.id), func.sum(OffPlatformLoan.loan_count),
                  func.sum(OffPlatformLoan.amount)).group_by(OffPlatformLoan.month).order_by(OffPlatformLoan.month.desc())
    if institution_id:
        stmt = stmt.where(OffPlatformLoan.institution_id == institution_id)
    return db.session.execute(stmt).all()
