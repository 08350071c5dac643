"""The product supermarket (金融产品超市) and the platform totals on the home page."""
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import Enterprise, Institution, Product
from . import applications

SORTS = {
    "rate": (Product.rate_min.asc(), Product.id),
    "amount": (Product.amount_max.desc(), Product.id),
    "term": (Product.term_max.desc(), Product.id),
    "newest": (Product.created_at.desc(), Product.id.desc()),
}


@dataclass(frozen=True)
class ProductFilter:
    """What a visitor can narrow the supermarket by; amounts in yuan, terms in months."""

    kind: str | None = None
    institution_id: int | None = None
    amount: int | None = None  # products that can lend this much
    term: int | None = None  # products that can run this many months
    max_rate: float | None = None  # lowest quoted rate at or below this
    online_only: bool = False
    q: str | None = None
    sort: str = "rate"


def search_products(f: ProductFilter, *, page: int = 1, per_page: int = 20):
    """Active products matching the filter, paginated (a Flask-SQLAlchemy Pagination)."""
    # The cards name each product's institution: loaded by the same join (no query per card).
    stmt = (select(Product).join(Institution).options(contains_eager(Product.institution))
            .where(Product.status == "active"))
    if f.kind:
        stmt = stmt.where(Product.kind == f.kind)
    if f.institution_id:
        stmt = stmt.where(Product.institution_id == f.institution_id)
    if f.amount:
        stmt = stmt.where(Product.amount_min <= f.amount, Product.amount_max >= f.amount)
    if f.term:
        stmt = stmt.where(Product.term_min <= f.term, Product.term_max >= f.term)
    if f.max_rate:
        stmt = stmt.where(Product.rate_min <= f.max_rate)
    if f.online_only:
        stmt = stmt.where(Product.online_only.is_(True))
    if f.q:
        like = f"%{f.q.strip()}%"
        stmt = stmt.where(or_(Product.name.like(like), Institution.name.like(like)))
    stmt = stmt.order_by(*SORTS.get(f.sort, SORTS["rate"]))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def platform_totals() -> dict:
    """入驻企业, 入驻金融机构, 发布产品 and 累计融资 (yuan) — each one SQL aggregate."""
    return {
        "enterprises": db.session.scalar(select(func.count(Enterprise.id))),
        "institutions": db.session.scalar(select(func.count(Institution.id))),
        "products": db.session.scalar(select(func.count(Product.id)).where(Product.status == "active")),
        # 累计融资 through the platform: disbursed platform loans only (never the off-platform reports).
        "financing": applications.disbursed_total(),
    }
