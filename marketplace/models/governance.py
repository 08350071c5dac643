"""Who may see what and who changed what: data authorizations (数据授权), the access log, API keys,
in-app notifications (站内消息), the audit log, and the denominators staff enter (GDP, enterprises)."""
from datetime import date
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import codes
from ..extensions import db
from ..limits import TEXT
from .base import UTCDateTime, Yuan, one_of, utcnow


class DataAuthorization(db.Model):
    """数据授权: a firm lets one institution see its data, for some scopes, until a date; revocable.

    Valid on day d when not revoked and d <= valid_until. Nothing of a firm is shown to a bank without it.
    """

    __tablename__ = "data_authorizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    scopes: Mapped[list] = mapped_column(JSON, default=list)  # codes.AUTHORIZATION_SCOPES keys
    valid_until: Mapped[date] = mapped_column(Date)
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    granted_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    revoked_at = mapped_column(UTCDateTime)

    enterprise = relationship("Enterprise")
    institution = relationship("Institution")

    def is_valid(self, on: date) -> bool:
        return self.revoked_at is None and on <= self.valid_until


class AccessLog(db.Model):
    """查询留痕: every opening of a firm's data by an institution or by commission staff — who, for which
    institution, which firm, for what, when. Append-only: nothing in the application edits or deletes a row,
    and on PostgreSQL a trigger (migration 0040) refuses UPDATE and DELETE."""

    __tablename__ = "access_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)  # None: staff
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    what: Mapped[str] = mapped_column(String(64))  # the purpose: codes.ACCESS_KINDS
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)

    user = relationship("User")
    institution = relationship("Institution")


class ApiKey(db.Model):
    """An institution's key to /api/v1/. Only a SHA-256 of the key is stored; `prefix` finds the row."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_used_at = mapped_column(UTCDateTime)
    revoked_at = mapped_column(UTCDateTime)

    institution = relationship("Institution")


class Notification(db.Model):
    """站内消息 to a firm (all its users) or to an institution (all its officers); with `user_id`, to that one
    account of the firm only (the outcome of its own 实名核验 claim, which competing claimants must not read)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    title: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    read_at = mapped_column(UTCDateTime)


class AuditLog(db.Model):
    """审计日志: who changed what, when — one row per change of a governed record."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # None: system / CLI
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)

    actor = relationship("User")


class CityFigure(db.Model):
    """A denominator entered by staff (分母): city GDP per year or quarter (yuan), or the number of
    enterprises registered in the city per month (在册企业数)."""

    __tablename__ = "city_figures"
    __table_args__ = (
        UniqueConstraint("kind", "period_kind", "period_start", name="uq_city_figures_period"),
        CheckConstraint("kind IN ('gdp', 'registered_enterprises')", name="kind"),
        CheckConstraint("period_kind IN ('year', 'quarter', 'month')", name="period_kind"),
        CheckConstraint("value > 0", name="value_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    period_kind: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date] = mapped_column(Date)  # first day of the year / quarter / month
    value: Mapped[int] = mapped_column(db.BigInteger)  # yuan for GDP, a count for enterprises
    source: Mapped[str] = mapped_column(String(128), default="")  # e.g. 市统计局《统计月报》
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Objection(db.Model):
    """异议: a firm disputes one of its data records. Valid objections (upheld) and their handling time in
    working days feed indicators (三十五) and (三十六); the source verifies within 1 working day.

    `record_public` says whether the disputed record is publicly shown (公示: penalties, lists, the
    registry) — (三十五) counts only objections against public information. `version` is the optimistic
    lock: of two staff deciding at once exactly one write lands."""

    __tablename__ = "objections"
    __table_args__ = (
        one_of("status", codes.OBJECTION_STATUSES),
        CheckConstraint("outcome IS NULL OR outcome IN ('corrected', 'withdrawn')", name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    record_source: Mapped[str] = mapped_column(String(32))  # tax_records, penalties, list_entries …
    record_id: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(24))  # codes.OBJECTION_KINDS
    description: Mapped[str] = mapped_column(String(TEXT["objection"]))
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    submitted_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    resolved_at = mapped_column(UTCDateTime, index=True)
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(String(TEXT["objection"]))
    record_public: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    verify_due: Mapped[date | None] = mapped_column(Date)  # source verification: 1 working day
    case_due: Mapped[date | None] = mapped_column(Date)  # the whole case: OBJECTION_CASE_WORKING_DAYS
    verified_at = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))  # upheld: corrected | withdrawn
    version: Mapped[int] = mapped_column(default=1, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    enterprise = relationship("Enterprise")


class ShareBatch(db.Model):
    """指标十一: one batch of the feed to the national 信易贷 platform — needs, grants and disbursements
    not sent before in their current form. The file itself is kept so a batch can be sent again: in the
    instance folder (services/sharing.py), the row holding only what describes it."""

    __tablename__ = "share_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[date] = mapped_column(Date, index=True)  # the month it covers up to (first day)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)  # {"financing_need": n, "credit_grant": n, …}
    sha256: Mapped[str] = mapped_column(String(64))
    stored_file: Mapped[str | None] = mapped_column(String(64))  # share-<id>.jsonl under instance/share_batches
    # JSON Lines of a batch produced before migration 0093 (later ones: NULL, the file holds them)
    content: Mapped[str | None] = mapped_column(Text, deferred=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    delivered_at = mapped_column(UTCDateTime)
    delivered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    creator = relationship("User", foreign_keys=[created_by])


class SharedRecord(db.Model):
    """Which version (content hash) of which record went out in which batch: a version is sent once."""

    __tablename__ = "shared_records"
    __table_args__ = (UniqueConstraint("record_type", "record_id", "content_hash", name="uq_shared_records_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("share_batches.id"), index=True)
    record_type: Mapped[str] = mapped_column(String(24))
    record_id: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))


class RecordCorrection(db.Model):
    """更正记录: a department record corrected or withdrawn from publication after an upheld objection —
    the old values kept (a withdrawn record's whole row), so every change traces to its objection."""

    __tablename__ = "record_corrections"
    __table_args__ = (CheckConstraint("action IN ('correct', 'withdraw')", name="action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    objection_id: Mapped[int] = mapped_column(ForeignKey("objections.id"), index=True)
    record_source: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(8))
    old_values: Mapped[dict] = mapped_column(JSON, default=dict)
    new_values: Mapped[dict] = mapped_column(JSON, default=dict)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class CreditRepair(db.Model):
    """信用修复: a firm applies to repair a penalty after its minimum publication period, with a 信用修复型
    commitment and evidence of the correction; staff approve (the penalty's repaired_on is set) or reject."""

    __tablename__ = "credit_repairs"
    __table_args__ = (
        CheckConstraint("status IN ('submitted', 'approved', 'rejected')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    penalty_id: Mapped[int] = mapped_column(ForeignKey("penalties.id"), index=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("credit_commitments.id"))
    evidence: Mapped[str] = mapped_column(String(TEXT["evidence"]))  # what proves the correction (fine paid, rectified …)
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    submitted_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    decision_due: Mapped[date] = mapped_column(Date)
    decided_at = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(String(TEXT["decision"]))
    version: Mapped[int] = mapped_column(default=1, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    enterprise = relationship("Enterprise")
    penalty = relationship("Penalty")
    commitment = relationship("CreditCommitment")


class PersonListEntry(db.Model):
    """A natural person on a list (e.g. 失信被执行人): a firm whose legal representative (法定代表人) is
    named is hit by the list for as long as the entry is in force (start_on ≤ day < end_on)."""

    __tablename__ = "person_list_entries"
    __table_args__ = (CheckConstraint("end_on IS NULL OR end_on >= start_on", name="dates_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_name: Mapped[str] = mapped_column(String(64), index=True)
    list_type: Mapped[str] = mapped_column(String(32))  # codes.SERIOUS_LIST_TYPES
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)
    document_no: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class RedListIncentive(db.Model):
    """守信激励 the commission configures for a red list (A级纳税人, 守合同重信用 …): fast track, a flag, a rate note."""

    __tablename__ = "red_list_incentives"
    __table_args__ = (CheckConstraint("measure IN ('fast_track', 'flag', 'rate_note')", name="measure"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_type: Mapped[str] = mapped_column(String(32))
    measure: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(128), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class JointCase(db.Model):
    """联合奖惩案例: one measure applied to one firm on one day because of one list entry — append-only.

    via = 'firm' (the firm is listed) or 'legal_representative' (its legal representative is)."""

    __tablename__ = "joint_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_on: Mapped[date] = mapped_column(Date, index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # who acted (None: at screening)
    list_type: Mapped[str] = mapped_column(String(32))
    list_entry_id: Mapped[int | None]  # list_entries.id or person_list_entries.id (see via)
    document_no: Mapped[str] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(24))
    measure: Mapped[str] = mapped_column(String(16))  # codes.JOINT_MEASURES
    note: Mapped[str] = mapped_column(String(128), default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    enterprise = relationship("Enterprise")
    institution = relationship("Institution")


class CompensationFund(db.Model):
    """风险补偿资金池: shares `share` of the principal lost on an eligible defaulted loan, at most
    `per_loan_cap` yuan a loan, out of `budget` yuan. Empty eligibility lists mean every product / institution."""

    __tablename__ = "compensation_funds"
    __table_args__ = (
        CheckConstraint("share > 0 AND share <= 1", name="share_range"),
        CheckConstraint("per_loan_cap > 0 AND budget > 0", name="amounts_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    share: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    per_loan_cap: Mapped[int] = mapped_column(Yuan)
    budget: Mapped[int] = mapped_column(Yuan)
    eligible_product_ids: Mapped[list] = mapped_column(JSON, default=list)
    eligible_institution_ids: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class CompensationEnrolment(db.Model):
    """A disbursed loan covered by a fund (enrolled automatically when it is disbursed)."""

    __tablename__ = "compensation_enrolments"
    __table_args__ = (UniqueConstraint("application_id", name="uq_compensation_enrolments_application"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("compensation_funds.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    principal: Mapped[int] = mapped_column(Yuan)  # disbursed amount
    enrolled_on: Mapped[date] = mapped_column(Date)

    fund = relationship("CompensationFund")
    application = relationship("Application")


class CompensationClaim(db.Model):
    """代偿申请: the institution claims the fund's share of a defaulted loan's principal loss; staff approve
    (paid = the amount claimed) or reject with a reason."""

    __tablename__ = "compensation_claims"
    __table_args__ = (
        CheckConstraint("status IN ('filed', 'approved', 'rejected')", name="status"),
        CheckConstraint("loss > 0 AND amount > 0", name="amounts_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("compensation_enrolments.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    loss: Mapped[int] = mapped_column(Yuan)  # principal outstanding at default
    amount: Mapped[int] = mapped_column(Yuan)  # min(cap, share × loss), whole yuan rounded down
    status: Mapped[str] = mapped_column(String(16), default="filed", index=True)
    filed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(String(TEXT["decision"]))
    version: Mapped[int] = mapped_column(default=1, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    enrolment = relationship("CompensationEnrolment")
    institution = relationship("Institution")
