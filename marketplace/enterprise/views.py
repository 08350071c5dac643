"""Views of 企业中心: the firm's profile and its financing needs."""
from decimal import Decimal

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from ..extensions import db
from ..models import FinancingNeed
from ..services import RuleViolation, needs
from ..web import get_owned_or_404, show_violation
from . import bp
from .forms import NeedForm


def _yuan(wan: Decimal) -> int:
    return int((wan * 10000).to_integral_value())


@bp.route("/")
def home():
    firm = current_user.enterprise
    rows = db.session.scalars(select(FinancingNeed).where(FinancingNeed.enterprise_id == firm.id)
                              .order_by(FinancingNeed.created_at.desc())).all()
    return render_template("enterprise/home.html", firm=firm, needs=rows, close_form=FlaskForm())


@bp.route("/needs/new", methods=["GET", "POST"])
def new_need():
    form = NeedForm()
    if form.validate_on_submit():
        try:
            needs.publish_need(current_user.enterprise_id, amount=_yuan(form.amount_wan.data),
                               term_months=form.term_months.data, purpose=form.purpose.data,
                               guarantee=form.guarantee.data)
        except RuleViolation as e:
            show_violation(form, e, "amount_wan")
        else:
            flash("融资需求已发布。", "success")
            return redirect(url_for(".home"))
    return render_template("enterprise/need_form.html", form=form, title="发布融资需求")


@bp.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
def edit_need(need_id: int):
    need = get_owned_or_404(FinancingNeed, need_id, enterprise_id=current_user.enterprise_id)
    form = NeedForm(obj=need)
    if not form.is_submitted():
        form.amount_wan.data = Decimal(need.amount) / 10000
    if form.validate_on_submit():
        try:
            needs.update_need(need, current_user.enterprise_id, amount=_yuan(form.amount_wan.data),
                              term_months=form.term_months.data, purpose=form.purpose.data,
                              guarantee=form.guarantee.data)
        except RuleViolation as e:
            show_violation(form, e, "amount_wan")
        else:
            flash("融资需求已更新。", "success")
            return redirect(url_for(".home"))
    return render_template("enterprise/need_form.html", form=form, title="修改融资需求")


@bp.route("/needs/<int:need_id>/close", methods=["POST"])
def close_need(need_id: int):
    need = get_owned_or_404(FinancingNeed, need_id, enterprise_id=current_user.enterprise_id)
    if FlaskForm().validate_on_submit():
        needs.close_need(need, current_user.enterprise_id)
        flash("融资需求已关闭。", "info")
    return redirect(url_for(".home"))
