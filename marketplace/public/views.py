"""Views: home page and the 金融产品超市 with filters."""
from flask import abort, render_template, request
from sqlalchemy import select

from ..extensions import db
from ..models import Institution, Product
from ..services import catalogue
from ..web import wan_to_yuan
from . import bp


def product_filter_from_args() -> catalogue.ProductFilter:
    """Parse the supermarket's query string; amounts arrive in 万元, bad numbers are ignored."""
    amount_wan = request.args.get("amount", type=float)
    return catalogue.ProductFilter(
        kind=request.args.get("kind") or None,
        institution_id=request.args.get("institution", type=int),
        amount=wan_to_yuan(amount_wan) if amount_wan and amount_wan > 0 else None,
        term=request.args.get("term", type=int) or None,
        max_rate=request.args.get("max_rate", type=float) or None,
        online_only=request.args.get("online") == "1",
        q=(request.args.get("q") or "").strip() or None,
        sort=request.args.get("sort", "rate"),
    )


@bp.route("/")
def index():
    featured = catalogue.search_products(catalogue.ProductFilter(sort="rate"), per_page=6)
    return render_template("public/index.html", totals=catalogue.platform_totals(), featured=featured.items)


@bp.route("/products")
def products():
    f = product_filter_from_args()
    page = catalogue.search_products(f, page=request.args.get("page", 1, type=int))
    institutions = db.session.execute(select(Institution.id, Institution.name).order_by(Institution.name)).all()
    return render_template("public/products.html", page=page, f=f, institutions=institutions)


@bp.route("/products/<int:product_id>")
def product(product_id: int):
    item = db.session.get(Product, product_id)
    if item is None or item.status != "active":
        abort(404)
    return render_template("public/product.html", product=item)


@bp.route("/credit-repair")
def repair_process():
    """信用修复流程 (published for indicators 三十二/三十三): who may apply, when, with what, how long."""
    from flask import current_app

    from ..services import repairs

    return render_template("public/repair_process.html",
                           months=current_app.config["REPAIR_MIN_PUBLICATION_MONTHS"],
                           decision_days=repairs.decision_days(), commitment_text=repairs.COMMITMENT_TEXT)
