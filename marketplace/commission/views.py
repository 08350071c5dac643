"""Views of 发改委管理后台: overview with late decisions, institution onboarding (入驻), API keys."""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from ..extensions import db
from ..models import ApiKey, Institution, Product, User
from ..services import RuleViolation, accounts, api_keys, applications, catalogue
from ..web import show_violation
from . import bp
from .forms import ApiKeyForm, OnboardInstitutionForm


@bp.route("/")
def home():
    product_counts = (select(Product.institution_id, func.count(Product.id).label("n"))
                      .group_by(Product.institution_id).subquery())
    institutions = db.session.execute(
        select(Institution, func.coalesce(product_counts.c.n, 0))
        .outerjoin(product_counts, product_counts.c.institution_id == Institution.id)
        .order_by(Institution.joined_at.desc(), Institution.id.desc())).all()
    return render_template("commission/home.html", totals=catalogue.platform_totals(), institutions=institutions,
                           late=applications.late_applications())


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


@bp.route("/api-keys", methods=["GET", "POST"])
def api_key_list():
    """Issue and revoke institutions' keys to /api/v1/. A new key is shown once, on this response only."""
    form = ApiKeyForm()
    form.institution_id.choices = [(i.id, i.name) for i in db.session.scalars(
        select(Institution).order_by(Institution.name))]
    new_key = None
    if form.validate_on_submit():
        try:
            row, new_key = api_keys.issue(form.institution_id.data, form.name.data, user_id=current_user.id)
        except RuleViolation as e:
            show_violation(form, e, "institution_id")
    keys = db.session.scalars(select(ApiKey).order_by(ApiKey.id.desc())).all()
    return render_template("commission/api_keys.html", form=form, keys=keys, new_key=new_key,
                           revoke_form=FlaskForm())


@bp.route("/api-keys/<int:key_id>/revoke", methods=["POST"])
def revoke_api_key(key_id: int):
    if FlaskForm().validate_on_submit():
        try:
            api_keys.revoke(key_id)
        except RuleViolation as e:
            flash(e.message, "danger")
        else:
            flash("密钥已吊销。", "info")
    return redirect(url_for(".api_key_list"))
