"""Views of 发改委管理后台: overview and institution onboarding (入驻)."""
from flask import flash, redirect, render_template, url_for
from sqlalchemy import func, select

from ..extensions import db
from ..models import Institution, Product, User
from ..services import RuleViolation, accounts, catalogue
from ..web import show_violation
from . import bp
from .forms import OnboardInstitutionForm


@bp.route("/")
def home():
    product_counts = (select(Product.institution_id, func.count(Product.id).label("n"))
                      .group_by(Product.institution_id).subquery())
    institutions = db.session.execute(
        select(Institution, func.coalesce(product_counts.c.n, 0))
        .outerjoin(product_counts, product_counts.c.institution_id == Institution.id)
        .order_by(Institution.joined_at.desc(), Institution.id.desc())).all()
    return render_template("commission/home.html", totals=catalogue.platform_totals(), institutions=institutions)


@bp.route("/institutions/new", methods=["GET", "POST"])
def onboard_institution():
    form = OnboardInstitutionForm()
    if form.validate_on_submit():
        try:
            officer = accounts.onboard_institution(
                name=form.name.data, kind=form.kind.data, licence_no=form.licence_no.data,
                region_code=form.region_code.data, officer_username=form.officer_username.data,
                officer_name=form.officer_name.data, officer_password=form.officer_password.data)
        except RuleViolation as e:
            show_violation(form, e, "name")
        else:
            flash(f"{officer.institution.name} 已入驻，业务人员登录名：{officer.username}", "success")
            return redirect(url_for(".home"))
    return render_template("commission/onboard.html", form=form)


@bp.route("/users")
def users():
    rows = db.session.scalars(select(User).order_by(User.role, User.username).limit(500)).all()
    return render_template("commission/users.html", users=rows)
