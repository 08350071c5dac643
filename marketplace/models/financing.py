"""Financing needs (融资需求), applications (融资申请) with their audit trail and repayments, credit
commitments (信用承诺) and 信易贷 loans reported from outside the platform."""
from datetime import date
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import codes
from ..extensions import db
from ..limits import TEXT
from .base import UTCDateTime, Yuan, one_of, utcnow


class FinancingNeed(db.Model):
    """What a firm wants to borrow: amount (yuan), term (months), purpose and the guarantee it offers."""

    __tablename__ = "financing_needs"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("term_months > 0", name="term_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    amount: Mapped[int] = mapped_column(Yuan)
    term_months: Mapped[int]
    purpose: Mapped[str] = mapped_column(String(TEXT["purpose"]))
    guarantee: Mapped[str] = mapped_column(String(16), default="credit")
    urgency: Mapped[str] = mapped_column(String(16), default="normal", server_default="normal")  # codes.URGENCIES
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    enterprise = relationship("Enterprise")


class CreditCommitment(db.Model):
    """信用承诺: a firm's signed commitment (主动承诺型 when it applies for a loan)."""

    __tablename__ = "credit_commitments"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # codes.COMMITMENT_TYPES
    text: Mapped[str] = mapped_column(Text)
    signed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    purpose: Mapped[str] = mapped_column(String(128), default="", server_default="")  # what it was signed for
    # 失信记录: a broken commitment recorded by staff with its evidence counts against the firm.
    broken_on: Mapped[date | None] = mapped_column(Date)
    broken_evidence: Mapped[str | None] = mapped_column(String(TEXT["evidence"]))
    broken_recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    enterprise = relationship("Enterprise")


OPEN_STATUSES_SQL = f"status IN ({', '.join(repr(s) for s in codes.OPEN_APPLICATION_STATUSES)})"


class Application(db.Model):
    """融资申请: a firm's application to one product, carried to a decision and disbursement by
    services/applications.py — the only place that changes `status`.

    `version` is SQLAlchemy's optimistic lock: every UPDATE says WHERE version = :seen, so of two
    officers deciding at once exactly one write lands.
    """

    __tablename__ = "applications"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("term_months > 0", name="term_positive"),
        one_of("status", codes.APPLICATION_STATUSES),
        # One open application per firm and product, enforced by the database so that two concurrent
        # 一键申请 cannot both land (a partial unique index on SQLite and PostgreSQL alike).
        Index("uq_applications_open_per_product", "enterprise_id", "product_id", unique=True,
              sqlite_where=sql_text(OPEN_STATUSES_SQL), postgresql_where=sql_text(OPEN_STATUSES_SQL)),
        # A bank's queue, 待办 and loans to refresh: its applications in a status, without the city's others.
        Index("ix_applications_institution_status", "institution_id", "status"),
        # The decision history's fingerprint (services/matching): count and sum of versions, index-only.
        Index("ix_applications_version", "version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    need_id: Mapped[int | None] = mapped_column(ForeignKey("financing_needs.id"), index=True)
    commitment_id: Mapped[int | None] = mapped_column(ForeignKey("credit_commitments.id"))
    amount: Mapped[int] = mapped_column(Yuan)  # requested
    term_months: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    dishonesty_flag: Mapped[bool] = mapped_column(default=False)  # on a serious list when applying, product flags
    submitted_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    accepted_at = mapped_column(UTCDateTime)
    decision_due: Mapped[date | None] = mapped_column(Date, index=True)  # 10 working days after acceptance
    decided_at = mapped_column(UTCDateTime)
    granted_amount: Mapped[int | None] = mapped_column(Yuan)
    granted_rate: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))  # annual %
    granted_term: Mapped[int | None]  # months
    repayment_method: Mapped[str | None] = mapped_column(String(16))  # the product's, fixed at the grant
    reject_reason: Mapped[str | None] = mapped_column(String(32))  # codes.REJECT_REASONS
    reject_note: Mapped[str | None] = mapped_column(String(TEXT["note"]))
    disbursed_amount: Mapped[int | None] = mapped_column(Yuan, index=True)  # 累计融资: an index-only sum
    disbursed_on: Mapped[date | None] = mapped_column(Date, index=True)
    repaid_amount: Mapped[int] = mapped_column(Yuan, default=0)  # principal repaid so far
    closed_on: Mapped[date | None] = mapped_column(Date)  # 结清 or 不良 date
    written_off_on: Mapped[date | None] = mapped_column(Date)  # 核销: a 不良 loan leaves the balance that day
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    version: Mapped[int] = mapped_column(default=1, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    enterprise = relationship("Enterprise")
    product = relationship("Product")
    institution = relationship("Institution")
    need = relationship("FinancingNeed")
    commitment = relationship("CreditCommitment")
    events = relationship("ApplicationEvent", order_by="ApplicationEvent.id", back_populates="application")
    repayments = relationship("LoanRepayment", order_by="LoanRepayment.id", back_populates="application")
    instalments = relationship("LoanInstalment", order_by="LoanInstalment.seq", back_populates="application")

    @property
    def balance(self) -> int:
        """贷款余额: principal disbursed and not yet repaid (0 before disbursement)."""
        return max((self.disbursed_amount or 0) - (self.repaid_amount or 0), 0)


class ApplicationEvent(db.Model):
    """Audit row of one application transition: who (user or API key), from which status to which, when."""

    __tablename__ = "application_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)

    application = relationship("Application", back_populates="events")
    actor = relationship("User")


class LoanInstalment(db.Model):
    """One line of a loan's 还款计划, drawn at disbursement (services/schedules.py): what is due on a day and
    how much of it has been paid. Principal lines sum to the disbursed amount to the yuan."""

    __tablename__ = "loan_instalments"
    __table_args__ = (
        UniqueConstraint("application_id", "seq", name="uq_loan_instalments_application_seq"),
        CheckConstraint("principal >= 0 AND interest >= 0 AND principal_paid >= 0 AND interest_paid >= 0 "
                        "AND principal_paid <= principal AND interest_paid <= interest", name="amounts"),
        # What is unpaid per loan, by due day (逾期 and 待收): half of all lines are settled and never read again.
        Index("ix_loan_instalments_unsettled", "application_id", "due_on",
              sqlite_where=sql_text("settled_on IS NULL"), postgresql_where=sql_text("settled_on IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    seq: Mapped[int]  # 期数, from 1
    due_on: Mapped[date] = mapped_column(Date, index=True)
    principal: Mapped[int] = mapped_column(Yuan)
    interest: Mapped[int] = mapped_column(Yuan)
    principal_paid: Mapped[int] = mapped_column(Yuan, default=0)
    interest_paid: Mapped[int] = mapped_column(Yuan, default=0)
    settled_on: Mapped[date | None] = mapped_column(Date)  # the day it was paid in full

    application = relationship("Application", back_populates="instalments")

    @property
    def due(self) -> int:
        return self.principal + self.interest

    @property
    def outstanding(self) -> int:
        return self.principal + self.interest - self.principal_paid - self.interest_paid


class LoanRepayment(db.Model):
    """A repayment on a disbursed platform loan, as applied to its schedule: `amount` is the principal it
    repaid (what 贷款余额 falls by), `interest` the interest it paid."""

    __tablename__ = "loan_repayments"
    __table_args__ = (CheckConstraint("amount >= 0 AND interest >= 0 AND amount + interest > 0",
                                      name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    amount: Mapped[int] = mapped_column(Yuan)  # principal
    interest: Mapped[int] = mapped_column(Yuan, default=0, server_default="0")
    paid_on: Mapped[date] = mapped_column(Date, index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    application = relationship("Application", back_populates="repayments")


class OffPlatformLoan(db.Model):
    """信易贷 loans an institution made outside any 信易贷 platform in a month (indicator 十四);
    kept apart from platform loans and never added to them."""

    __tablename__ = "off_platform_loans"
    __table_args__ = (
        UniqueConstraint("institution_id", "month", "uscc", name="uq_off_platform_loans_institution_month_uscc"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("loan_count > 0", name="count_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    month: Mapped[date] = mapped_column(Date, index=True)  # first day of the month
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    enterprise_name: Mapped[str] = mapped_column(String(128), default="")
    amount: Mapped[int] = mapped_column(Yuan)  # yuan disbursed in the month
    loan_count: Mapped[int] = mapped_column(default=1)
    reported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # A platform loan of the same bank, firm, month and amount: the report may be that loan counted twice,
    # so it stays out of (十四) until the bank confirms it is a different loan (confirmed_at).
    platform_application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    confirmed_at = mapped_column(UTCDateTime)
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    institution = relationship("Institution")
