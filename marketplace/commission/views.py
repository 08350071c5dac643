"""Views of 发改委管理后台: overview with late decisions, institution onboarding (入驻), API keys, department
data import and coverage."""
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from ..clock import now
from ..extensions import db
from ..models import ApiKey, Institution, Product, User
from ..services import RuleViolation, accounts, api_keys, applications, catalogue, identity, ingest, jobs
from ..web import download, show_violation, to_job_page
from . import bp
from .forms import ApiKeyForm, ImportForm, OnboardInstitutionForm


@bp.route("/")
def home():
    product_counts = (select(Product.institution_id, func.count(Product.id).label("n"))
                      .group_by(Product.institution_id).subquery())
    institutions = db.session.execute(
        select(Institution, func.coalesce(product_counts.c.n, 0))
        .outerjoin(product_counts, product_counts.c.institution_id == Institution.id)
        .order_by(Institution.joined_at.desc(), Institution.id.desc())).all()
    return render_template("commission/home.html", totals=catalogue.platform_totals(), institutions=institutions,
                           late=applications.late_applications(), identity_queue=len(identity.queue()))


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
    return _users_page()


def _users_page(reset=None, temporary=None):
    rows = db.session.scalars(select(User).order_by(User.role, User.username).limit(500)).all()
    return render_template("commission/users.html", users=rows, form=FlaskForm(), reset=reset,
                           temporary=temporary, now=now())


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
def reset_password(user_id: int):
    """重置密码: a temporary password, shown once on this response (never stored in a cookie or a message);
    the user must change it at the next login, and every session of the user ends now."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        user, temporary = accounts.reset_password(user_id, current_user.id)
    except RuleViolation:
        abort(404)
    return _users_page(reset=user, temporary=temporary)


def _reports_dir() -> Path:
    return Path(current_app.instance_path) / "import_reports"


@bp.route("/data/import", methods=["GET", "POST"])
def import_data():
    """部门数据导入: upload one department file; a background job checks it, saves all rows or none (with a
    row-by-row report) and re-scores the firms it touched; its page shows the progress and the outcome."""
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        name = upload.filename or "upload.csv"
        job = jobs.enqueue("import", current_user.id, source=form.source.data,
                           source_label=ingest.SOURCES[form.source.data].label, file_name=name[:255],
                           max_rows=current_app.config["IMPORT_MAX_ROWS"],
                           input=jobs.stash_input(upload.read(), Path(name).suffix))
        return to_job_page(job)
    recent = [(j, jobs.status(j)) for j in jobs.recent(10, kind="import")]
    return render_template("commission/import.html", form=form, recent=recent)


@bp.route("/data/import/reports/<token>.csv")
def import_report(token):
    path = ingest.report_path(_reports_dir(), token)
    if path is None:
        abort(404)
    return download(path, f"导入报告_{token[:8]}.csv")


@bp.route("/data/formats")
def data_formats():
    """数据格式说明: the accepted columns of every source."""
    return render_template("commission/data_formats.html", sources=ingest.SOURCES.values(),
                           kinds=ingest.KIND_LABELS, scopes=ingest.SCOPE_LABELS)


@bp.route("/data/coverage")
def data_coverage():
    """数据覆盖情况: per source, latest period, share of registry firms covered, last batch."""
    return render_template("commission/coverage.html", coverage=ingest.coverage())


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
            api_keys.revoke(key_id, user_id=current_user.id)
        except RuleViolation as e:
            flash(e.message, "danger")
        else:
            flash("密钥已吊销。", "info")
    return redirect(url_for(".api_key_list"))
