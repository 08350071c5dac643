"""Loan products of an institution: create, edit, pause, with validated ranges."""
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from .. import codes, limits
from ..extensions import db
from ..models import Product
from . import RuleViolation, workflow


@dataclass
class ProductTerms:
    """A product's terms as entered; amounts in yuan, terms in months, rates in annual %."""

    name: str
    kind: str
    amount_min: int
    amount_max: int
    term_min: int
    term_max: int
    rate_min: Decimal
    rate_max: Decimal
    description: str = ""
    eligible_regions: list = field(default_factory=list)
    eligible_industries: list = field(default_factory=list)
    eligible_sizes: list = field(default_factory=list)
    min_years: int = 0
    min_grade: str | None = None
    online_only: bool = False
    xinyidai: bool = True
    dishonesty_rule: str = "block"
    repayment_method: str = "equal_instalment"  # codes.REPAYMENT_METHODS: each loan's 还款计划 follows it
    default_days_past_due: int | None = None  # 不良 after this many days past due; None = the commission's rule


def validate_terms(t: ProductTerms) -> None:
    if not t.name.strip():
        raise RuleViolation("请填写产品名称。", "name")
    if t.kind not in codes.PRODUCT_KINDS:
        raise RuleViolation("请选择产品类型。", "kind")
    if not 0 < t.amount_min <= t.amount_max:
        raise RuleViolation("额度范围无效：最低额度应大于0且不高于最高额度。", "amount_min")
    if not 0 < t.term_min <= t.term_max <= 360:
        raise RuleViolation("期限范围无效：应为1–360个月，且最短不长于最长。", "term_min")
    if not Decimal("0") < t.rate_min <= t.rate_max <= limits.RATE.hi:
        raise RuleViolation("年利率范围无效：应大于0、不超过36%，且下限不高于上限。", "rate_min")
    if t.min_years < 0:
        raise RuleViolation("经营年限要求不能为负。", "min_years")
    if t.min_grade and t.min_grade not in codes.GRADES:
        raise RuleViolation("最低信用等级无效。", "min_grade")
    if t.repayment_method not in codes.REPAYMENT_METHODS:
        raise RuleViolation("请选择还款方式。", "repayment_method")
    if t.default_days_past_due is not None and not 1 <= t.default_days_past_due <= 365:
        raise RuleViolation("认定不良的逾期天数应为1–365天（留空按平台规则）。", "default_days_past_due")
    if t.dishonesty_rule not in codes.DISHONESTY_RULES:
        raise RuleViolation("请选择对严重失信主体的处理方式。", "dishonesty_rule")
    for value, allowed, name in ((t.eligible_regions, codes.REGIONS, "eligible_regions"),
                                 (t.eligible_industries, codes.INDUSTRIES, "eligible_industries"),
                                 (t.eligible_sizes, codes.SIZES, "eligible_sizes")):
        if any(v not in allowed for v in value):
            raise RuleViolation("准入范围中有无效的代码。", name)


def save_product(institution_id: int, terms: ProductTerms, product: Product | None = None) -> Product:
    """Create a product for the institution, or update `product` (which must be the institution's own)."""
    validate_terms(terms)
    if product is not None and product.institution_id != institution_id:
        raise RuleViolation("只能修改本机构的产品。")
    same_name = select(Product.id).where(Product.institution_id == institution_id,
                                         Product.name == terms.name.strip())
    if product is not None:
        same_name = same_name.where(Product.id != product.id)
    if db.session.scalar(same_name.limit(1)) is not None:
        raise RuleViolation("本机构已有同名产品，请换一个名称以便企业区分。", "name")
    if product is None:
        product = Product(institution_id=institution_id, status="active")
        db.session.add(product)
    for name, value in vars(terms).items():
        setattr(product, name, value.strip() if isinstance(value, str) else value)
    db.session.commit()
    return product


def set_status(product: Product, institution_id: int, status: str, user_id: int | None = None) -> Product:
    """Pause (暂停) or resume (上架) a product of the institution (audited, status-locked)."""
    if product.institution_id != institution_id:
        raise RuleViolation("只能修改本机构的产品。")
    if status not in codes.PRODUCT_STATUSES:
        raise RuleViolation("未知的产品状态。")
    return workflow.transition(product, status, subject="产品", label=codes.PRODUCT_STATUSES[status],
                               apply=lambda p: (status, {}), actor_id=user_id)
