"""Financial institutions (入驻金融机构) and their loan products (金融产品)."""
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import codes
from ..extensions import db
from ..limits import TEXT
from .base import UTCDateTime, Yuan, one_of, utcnow


class Institution(db.Model):
    """A lender that joined the platform: 银行, 小额贷款公司, 融资担保公司 or 村镇银行."""

    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    licence_no: Mapped[str] = mapped_column(String(64))  # 金融许可证 / 经营许可证编号
    region_code: Mapped[str] = mapped_column(String(6))
    joined_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)

    products = relationship("Product", back_populates="institution", order_by="Product.id")


class Product(db.Model):
    """A loan product in the 金融产品超市. Amounts in yuan, terms in months, rates in annual %."""

    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("amount_min > 0 AND amount_min <= amount_max", name="amount_range"),
        CheckConstraint("term_min > 0 AND term_min <= term_max", name="term_range"),
        CheckConstraint("rate_min > 0 AND rate_min <= rate_max", name="rate_range"),
        one_of("repayment_method", codes.REPAYMENT_METHODS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    description: Mapped[str] = mapped_column(String(TEXT["description"]), default="")
    amount_min: Mapped[int] = mapped_column(Yuan)
    amount_max: Mapped[int] = mapped_column(Yuan)
    term_min: Mapped[int]  # months
    term_max: Mapped[int]
    rate_min: Mapped[Decimal] = mapped_column(Numeric(6, 3))  # annual %
    rate_max: Mapped[Decimal] = mapped_column(Numeric(6, 3))
    # Empty list = no restriction.
    eligible_regions: Mapped[list] = mapped_column(JSON, default=list)
    eligible_industries: Mapped[list] = mapped_column(JSON, default=list)
    eligible_sizes: Mapped[list] = mapped_column(JSON, default=list)
    min_years: Mapped[int] = mapped_column(default=0)  # minimum years in operation
    min_grade: Mapped[str | None] = mapped_column(String(4))  # minimum platform credit grade
    # Firms on a serious-dishonesty list: 'block' (不予准入) or 'flag' (提示人工审核); codes.DISHONESTY_RULES.
    dishonesty_rule: Mapped[str] = mapped_column(String(8), default="block", server_default="block")
    online_only: Mapped[bool] = mapped_column(default=False)  # 线上申请、线上放款
    xinyidai: Mapped[bool] = mapped_column(default=True)  # counted as a 信易贷 product
    # 还款方式 (codes.REPAYMENT_METHODS) of every loan under the product: the schedule is drawn from it.
    repayment_method: Mapped[str] = mapped_column(String(16), default="equal_instalment",
                                                  server_default="equal_instalment")
    # Days past due after which a loan is 不良; None = the commission's rule (DEFAULT_DAYS_PAST_DUE).
    default_days_past_due: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, index=True)  # matching's cache key

    institution = relationship("Institution", back_populates="products")
