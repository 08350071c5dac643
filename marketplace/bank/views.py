"""Views of 金融机构工作台: the institution's products."""
from decimal import Decimal

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from ..models import Product
from ..services import RuleViolation, products
from ..web import get_owned_or_404, show_violation
from . import bp
from .forms import ProductForm


def _terms(form: ProductForm) -> products.ProductTerms:
    return products.ProductTerms(
        name=form.name.data, kind=form.kind.data, description=form.description.data or "",
        amount_min=int(form.amount_min_wan.data * 10000), amount_max=int(form.amount_max_wan.data * 10000),
        term_min=form.term_min.data, term_max=form.term_max.data,
        rate_min=form.rate_min.data, rate_max=form.rate_max.data,
        eligible_regions=form.eligible_regions.data or [], eligible_industries=form.eligible_industries.data or [],
        eligible_sizes=form.eligible_sizes.data or [], min_years=form.min_years.data or 0,
        min_grade=form.min_grade.data or None, online_only=form.online_only.data, xinyidai=form.xinyidai.data)


@bp.route("/")
def home():
    institution = current_user.institution
    return render_template("bank/home.html", institution=institution, products=institution.products,
                           status_form=FlaskForm())


@bp.route("/products/new", methods=["GET", "POST"])
@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
def product_form(product_id: int | None = None):
    product = (get_owned_or_404(Product, product_id, institution_id=current_user.institution_id)
               if product_id else None)
    form = ProductForm(obj=product)
    if product and request.method == "GET":
        form.amount_min_wan.data = Decimal(product.amount_min) / 10000
        form.amount_max_wan.data = Decimal(product.amount_max) / 10000
        form.min_grade.data = product.min_grade or ""
    if form.validate_on_submit():
        try:
            products.save_product(current_user.institution_id, _terms(form), product)
        except RuleViolation as e:
            show_violation(form, e, "name")
        else:
            flash("产品已保存。", "success")
            return redirect(url_for(".home"))
    return render_template("bank/product_form.html", form=form, product=product)


@bp.route("/products/<int:product_id>/status", methods=["POST"])
def product_status(product_id: int):
    product = get_owned_or_404(Product, product_id, institution_id=current_user.institution_id)
    if FlaskForm().validate_on_submit():
        try:
            products.set_status(product, current_user.institution_id, request.form.get("status", ""))
        except RuleViolation as e:
            flash(e.message, "danger")
        else:
            flash("产品状态已更新。", "success")
    return redirect(url_for(".home"))
