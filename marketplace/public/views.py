"""Views: home page and the 金融产品超市 with filters."""
from flask import abort, render_template, request
from sqlalchemy import select

from .. import limits
from ..extensions import db
from ..inputs import arg
from ..models import Institution, Product
from ..services import catalogue
from ..web import wan_to_yuan
from . import bp


def product_filter_from_args() -> catalogue.ProductFilter:
    """Parse the supermarket's query string; amounts arrive in 万元; a bad or absurd number is a 400."""
    amount_wan = arg("amount", limits.WAN, "金额（万元）")
    return catalogue.ProductFilter(
        kind=request.args.get("kind") or None,
        institution_id=arg("institution", limits.ID, "机构"),
        amount=wan_to_yuan(amount_wan) if amount_wan else None,
        term=arg("term", limits.TERM_MONTHS, "期限（月）"),
        max_rate=arg("max_rate", limits.RATE, "利率上限（%）"),
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
    page = catalogue.search_products(f, page=arg("page", limits.PAGE, "页码", 1))
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
