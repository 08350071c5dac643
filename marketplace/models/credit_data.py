"""Department data (部门数据): the city registry, monthly tax / social insurance / provident fund / utility
records, penalties, list entries, and the import batches every row came in with.

Long format, one row per firm per period; money is integer yuan; a period is the first day of its month.
Rows are written in bulk (services/bulk.py), never one ORM object per row; the classes exist for the schema,
the migration and SQL aggregates.
"""
from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String, UniqueConstraint, and_, or_
from sqlalchemy.orm import Mapped, mapped_column

from .. import codes
from ..extensions import db
from .base import UTCDateTime, Yuan, utcnow

TAX_GRADES = ("A", "B", "M", "C", "D")
UTILITY_KINDS = ("water", "electricity", "gas")
PENALTY_SEVERITIES = ("minor", "general", "serious")
LIST_TYPES = tuple(codes.LIST_TYPES)  # see codes.py: serious-dishonesty, other negative and red lists


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ImportBatch(db.Model):
    """One delivered file (or one generated table): who, when, what, its SHA-256 and the periods it covers.

    For the registry (在营企业数据库) the batch also keeps how many codes it held and how many of them were
    invalid or duplicated: indicator (九) = (codes_invalid + codes_duplicate) ÷ codes_total.
    """

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    period_from: Mapped[date | None] = mapped_column(Date)
    period_to: Mapped[date | None] = mapped_column(Date)
    rows_accepted: Mapped[int] = mapped_column(default=0)
    codes_total: Mapped[int | None]
    codes_invalid: Mapped[int | None]
    codes_duplicate: Mapped[int | None]
    # 数据截止日期 of a registry file: the day its contents describe (indicator 九 and 十七 use the latest
    # registry whose as-of date is in or before the period, whenever it was imported).
    as_of: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)


def _batch_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("import_batches.id"))


class RegistryCodeFinding(db.Model):
    """One bad code of a registry file (indicator 九's records): invalid, or a repeat of an earlier row."""

    __tablename__ = "registry_code_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    line: Mapped[int]  # 行号 in the file (header = line 1)
    code: Mapped[str] = mapped_column(String(64))  # the code as written (cut to 64 characters)
    problem: Mapped[str] = mapped_column(String(16))  # invalid | duplicate
    detail: Mapped[str] = mapped_column(String(64))  # the Chinese reason shown in the report


class RegistryEnterprise(db.Model):
    """在营企业数据库: every enterprise of the city (from market regulation), not only platform users."""

    __tablename__ = "registry_enterprises"
    # (uscc, size) answers "the registry's size of these platform firms" from the index alone: (十三) and the
    # size breakdowns look up ~28,000 codes instead of reading all 580,000 rows into a hash join.
    __table_args__ = (Index("ix_registry_enterprises_uscc_size", "uscc", "size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    region_code: Mapped[str] = mapped_column(String(6))
    industry: Mapped[str] = mapped_column(String(1))
    size: Mapped[str] = mapped_column(String(8))
    established_on: Mapped[date | None] = mapped_column(Date)
    registered_capital: Mapped[int | None] = mapped_column(Yuan)
    operating_status: Mapped[str] = mapped_column(String(16))
    # 法定代表人 (older files lack it); indexed: joint punishment finds every firm a listed person represents.
    legal_representative: Mapped[str | None] = mapped_column(String(64), index=True)
    batch_id: Mapped[int] = _batch_fk()



class RegistryStatusChange(db.Model):
    """在营企业数据库 history: a firm's operating status as a registry file reported it, from that file's
    数据截止日期 (effective_on) — a change of status, or the firm's first appearance after the first file
    (from_status None: not in the registry before). registry_enterprises holds the latest state; these rows
    rewind it to any earlier day (services/registry.py), so a past month's figures never move when a later
    registry file arrives."""

    __tablename__ = "registry_status_changes"
    __table_args__ = (Index("ix_registry_status_changes_uscc_effective_on", "uscc", "effective_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    effective_on: Mapped[date] = mapped_column(Date, index=True)
    batch_id: Mapped[int] = _batch_fk()

# The monthly tables: the unique key (uscc, period …) is the firm index as well; the period index serves
# the replacement of a whole period on re-import. No more indexes than that: each one slows bulk loads.
class TaxRecord(db.Model):
    """纳税 (monthly): revenue declared, VAT and income tax paid, tax in arrears (欠税)."""

    __tablename__ = "tax_records"
    __table_args__ = (
        UniqueConstraint("uscc", "period"),
        CheckConstraint("revenue >= 0 AND vat_paid >= 0 AND income_tax_paid >= 0 AND arrears >= 0",
                        name="amounts_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18))  # indexed by the unique key, which starts with it
    period: Mapped[date] = mapped_column(Date, index=True)
    revenue: Mapped[int] = mapped_column(Yuan)
    vat_paid: Mapped[int] = mapped_column(Yuan)
    income_tax_paid: Mapped[int] = mapped_column(Yuan)
    arrears: Mapped[int] = mapped_column(Yuan)
    batch_id: Mapped[int] = _batch_fk()


class TaxGrade(db.Model):
    """纳税信用等级 (yearly): A, B, M (new or small firm without a full record), C, D."""

    __tablename__ = "tax_grades"
    __table_args__ = (
        UniqueConstraint("uscc", "year"),
        CheckConstraint(_in("grade", TAX_GRADES), name="grade"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18))  # indexed by the unique key, which starts with it
    year: Mapped[int] = mapped_column(index=True)
    grade: Mapped[str] = mapped_column(String(1))
    batch_id: Mapped[int] = _batch_fk()


class SocialInsuranceRecord(db.Model):
    """社保 (monthly): insured headcount, contributions due and paid, consecutive months in arrears."""

    __tablename__ = "social_insurance_records"
    __table_args__ = (
        UniqueConstraint("uscc", "period"),
        CheckConstraint("insured_headcount >= 0 AND amount_due >= 0 AND amount_paid >= 0 "
                        "AND months_in_arrears >= 0", name="amounts_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18))  # indexed by the unique key, which starts with it
    period: Mapped[date] = mapped_column(Date, index=True)
    insured_headcount: Mapped[int]
    amount_due: Mapped[int] = mapped_column(Yuan)
    amount_paid: Mapped[int] = mapped_column(Yuan)
    months_in_arrears: Mapped[int]
    batch_id: Mapped[int] = _batch_fk()


class ProvidentFundRecord(db.Model):
    """公积金 (monthly): employees covered and the amount paid (employer and employee shares)."""

    __tablename__ = "provident_fund_records"
    __table_args__ = (
        UniqueConstraint("uscc", "period"),
        CheckConstraint("headcount >= 0 AND amount_paid >= 0", name="amounts_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18))  # indexed by the unique key, which starts with it
    period: Mapped[date] = mapped_column(Date, index=True)
    headcount: Mapped[int]
    amount_paid: Mapped[int] = mapped_column(Yuan)
    batch_id: Mapped[int] = _batch_fk()


class UtilityRecord(db.Model):
    """水电气 (monthly, one row per kind): usage (t, kWh, m³), amount billed, days the payment was late."""

    __tablename__ = "utility_records"
    __table_args__ = (
        UniqueConstraint("uscc", "period", "kind"),
        CheckConstraint(_in("kind", UTILITY_KINDS), name="kind"),
        CheckConstraint("usage >= 0 AND amount_billed >= 0 AND days_late >= 0", name="amounts_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18))  # indexed by the unique key, which starts with it
    period: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(12))
    usage: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    amount_billed: Mapped[int] = mapped_column(Yuan)
    days_late: Mapped[int]
    batch_id: Mapped[int] = _batch_fk()


class Penalty(db.Model):
    """行政处罚: decision date, authority, category, severity, fine, document number, end of publication,
    and the date it was repaired (信用修复), after which it no longer counts against the firm."""

    __tablename__ = "penalties"
    __table_args__ = (
        CheckConstraint(_in("severity", PENALTY_SEVERITIES), name="severity"),
        CheckConstraint("fine >= 0", name="fine_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    decided_on: Mapped[date] = mapped_column(Date, index=True)
    authority: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))
    fine: Mapped[int] = mapped_column(Yuan)
    document_no: Mapped[str] = mapped_column(String(64))
    publication_end: Mapped[date] = mapped_column(Date)
    repaired_on: Mapped[date | None] = mapped_column(Date)
    batch_id: Mapped[int] = _batch_fk()


class CustomsCertification(db.Model):
    """海关高级认证企业 (AEO advanced certification, from customs): certified from certified_on until revoked_on
    (exclusive; null = still certified). Indicator (十七) counts it beside A-grade taxpayers."""

    __tablename__ = "customs_certifications"
    __table_args__ = (
        CheckConstraint("revoked_on IS NULL OR revoked_on >= certified_on", name="dates_ordered"),
        UniqueConstraint("uscc", "certified_on", name="uq_customs_certifications_uscc_certified_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18))  # indexed by the unique key, which starts with it
    certified_on: Mapped[date] = mapped_column(Date)
    revoked_on: Mapped[date | None] = mapped_column(Date)
    certificate_no: Mapped[str | None] = mapped_column(String(64))
    batch_id: Mapped[int] = _batch_fk()

    @classmethod
    def in_force_on(cls, day: date):
        return and_(cls.certified_on <= day, or_(cls.revoked_on.is_(None), cls.revoked_on > day))


class ListEntry(db.Model):
    """名单: a firm on a negative or red list from start_on until end_on (exclusive; null = still on it)."""

    __tablename__ = "list_entries"
    __table_args__ = (
        CheckConstraint(_in("list_type", LIST_TYPES), name="list_type"),
        CheckConstraint("end_on IS NULL OR end_on >= start_on", name="dates_ordered"),
        Index("ix_list_entries_list_type_start_on", "list_type", "start_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    list_type: Mapped[str] = mapped_column(String(32))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)
    document_no: Mapped[str] = mapped_column(String(64))
    batch_id: Mapped[int] = _batch_fk()

    @classmethod
    def active_on(cls, day: date):
        """SQL condition: on the list on `day` — from start_on, and off it from end_on (that day included)."""
        return and_(cls.start_on <= day, or_(cls.end_on.is_(None), cls.end_on > day))
