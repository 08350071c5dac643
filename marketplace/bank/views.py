"""Views of 金融机构工作台: products, the application queue and decisions, firm pages under authorization,
需求撮合, off-platform loan reports, messages."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from .. import codes, limits
from ..extensions import db
from ..inputs import arg
from ..models import Application, Enterprise, OffPlatformLoan, Product
from ..services import (
    RuleViolation,
    applications,
    authorizations,
    compensation,
    joint,
    matching,
    notifications,
    off_platform,
    products,
    schedules,
    workdays,
)
from ..services.applications import Actor
from ..web import get_owned_or_404, show_refusal, show_violation, wan_to_yuan, yuan_to_wan
from . import bp
from .forms import (
    GrantForm,
    LoanEventForm,
    OffPlatformCorrectForm,
    OffPlatformForm,
    OffPlatformUploadForm,
    ProductForm,
    RejectForm,
    RepayForm,
    VersionedForm,
    WriteOffForm,
)


def _terms(form: ProductForm) -> products.ProductTerms:
    return products.ProductTerms(
        name=form.name.data, kind=form.kind.data, description=form.description.data or "",
        amount_min=wan_to_yuan(form.amount_min_wan.data), amount_max=wan_to_yuan(form.amount_max_wan.data),
        term_min=form.term_min.data, term_max=form.term_max.data,
        rate_min=form.rate_min.data, rate_max=form.rate_max.data,
        eligible_regions=form.eligible_regions.data or [], eligible_industries=form.eligible_industries.data or [],
        eligible_sizes=form.eligible_sizes.data or [], min_years=form.min_years.data or 0,
        min_grade=form.min_grade.data or None, online_only=form.online_only.data, xinyidai=form.xinyidai.data,
        dishonesty_rule=form.dishonesty_rule.data or "block", repayment_method=form.repayment_method.data,
        default_days_past_due=form.default_days_past_due.data)


@bp.route("/")
def home():
    institution = current_user.institution
    schedules.refresh(institution_id=institution.id)
    counts = dict(db.session.execute(select(Application.status, func.count(Application.id)).where(
        Application.institution_id == institution.id).group_by(Application.status)).all())
    return render_template("bank/home.html", institution=institution, products=institution.products,
                           status_form=FlaskForm(), counts=counts, todo=applications.to_do(institution.id),
                           days_left=applications.working_days_left, today=workdays.today())


@bp.route("/products/new", methods=["GET", "POST"])
@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
def product_form(product_id: int | None = None):
    product = (get_owned_or_404(Product, product_id, institution_id=current_user.institution_id)
               if product_id else None)
    form = ProductForm(obj=product)
    if product and request.method == "GET":
        form.amount_min_wan.data = yuan_to_wan(product.amount_min)
        form.amount_max_wan.data = yuan_to_wan(product.amount_max)
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
            products.set_status(product, current_user.institution_id, request.form.get("status", ""),
                                user_id=current_user.id)
        except RuleViolation as e:
            flash(e.message, "danger")
        else:
            flash("产品状态已更新。", "success")
    return redirect(url_for(".home"))


# ------------------------------------------------------------------------------------ applications

@bp.route("/applications")
def application_queue():
    """The queue of applications to the institution's products, with filters and decision deadlines."""
    inst = current_user.institution_id
    schedules.refresh(institution_id=inst)
    status = request.args.get("status") or ""
    product_id = arg("product", limits.ID, "产品")
    rows = db.paginate(applications.queue(inst, status=status if status in codes.APPLICATION_STATUSES else None,
                                          product_id=product_id,
                                          late=request.args.get("late") == "1"),
                       page=arg("page", limits.PAGE, "页码", 1), per_page=25, error_out=False)
    return render_template("bank/applications.html", page=rows, status=status, product_id=product_id,
                           products=current_user.institution.products, is_late=applications.is_late,
                           days_left=applications.working_days_left)


@bp.route("/applications/<int:application_id>")
def application_detail(application_id: int):
    a = get_owned_or_404(Application, application_id, institution_id=current_user.institution_id)
    return _application_page(a)


def _application_page(a: Application, action: str | None = None, submitted=None, status: int = 200):
    """The application with a form per allowed action; `submitted` is the officer's form of `action` coming
    back with its errors beside the fields and the values typed."""
    schedules.refresh(application_ids=[a.id])
    version = {"version": a.version}
    forms = {"accept": VersionedForm(formdata=None, data=version),
             "grant": GrantForm(formdata=None, data={**version, "term_months": a.term_months}),
             "reject": RejectForm(formdata=None, data=version), "disburse": LoanEventForm(formdata=None, data=version),
             "repay": RepayForm(formdata=None, data=version),
             "write_off": WriteOffForm(formdata=None, data=version)}
    if a.granted_amount:
        forms["disburse"].amount_wan.data = yuan_to_wan(a.granted_amount)
    loan = schedules.summary(a) if a.instalments else None
    if loan and loan["next"]:
        forms["repay"].amount.data = loan["next"].outstanding
    if submitted is not None:
        submitted.version.data = a.version
        forms[action] = submitted
    auth = authorizations.valid_authorization(a.enterprise_id, a.institution_id)
    shown = {"score": None, "reasons": []}
    if auth is not None and "score" in auth.scopes:
        # The grade and its reasons are the firm's data: shown under its authorization, and the opening logged.
        auth = authorizations.open_firm_data(a.institution_id, a.enterprise_id, what="application_page",
                                             user_id=current_user.id)
        shown = authorizations.revealed(auth, a.enterprise)
    enrolment = compensation.enrolment_of(a.id)
    return render_template("bank/application.html", a=a, forms=forms, late=applications.is_late(a),
                           actions=applications.allowed_actions(a, "bank"), authorized=auth is not None,
                           score_shown=auth is not None and "score" in auth.scopes, score=shown["score"],
                           reasons=shown["reasons"], days_left=applications.working_days_left(a), loan=loan,
                           default_after=schedules.default_after(a), action_labels=applications.ACTION_LABELS,
                           cases=joint.cases_of_application(a.id), enrolment=enrolment,
                           claims=compensation.claims_of(enrolment.id) if enrolment else [],
                           claim_form=FlaskForm()), status


@bp.route("/applications/<int:application_id>/compensation-claim", methods=["POST"])
def file_compensation_claim(application_id: int):
    """风险补偿: claim the fund's share of a defaulted loan's principal loss."""
    a = get_owned_or_404(Application, application_id, institution_id=current_user.institution_id)
    if FlaskForm().validate_on_submit():
        try:
            claim = compensation.file_claim(a.id, institution_id=current_user.institution_id, actor_id=current_user.id)
        except RuleViolation as e:
            flash(e.message, "danger")
        else:
            flash(f"风险补偿申请已提交：申请补偿 {claim.amount:,} 元，待发改委审核。", "success")
    return redirect(url_for(".application_detail", application_id=a.id))


ACTION_FORMS = {"accept": VersionedForm, "grant": GrantForm, "reject": RejectForm, "disburse": LoanEventForm,
                "repay": RepayForm, "write_off": WriteOffForm}


@bp.route("/applications/<int:application_id>/<action>", methods=["POST"])
def application_action(application_id: int, action: str):
    """One decision or loan event, through services/applications (which audits and notifies)."""
    if action not in ACTION_FORMS:
        abort(404)
    a = get_owned_or_404(Application, application_id, institution_id=current_user.institution_id)
    form = ACTION_FORMS[action]()
    if not form.validate_on_submit():
        if "csrf_token" in form._fields and form.csrf_token.errors:
            flash("页面已过期，请重新提交。", "danger")
        return _application_page(a, action, form, 422)
    actor = Actor.of_user(current_user)
    expected = arg("version", limits.VERSION, "版本", values=request.form)
    calls = {
        "accept": lambda: applications.accept(a.id, actor, expected_version=expected),
        "grant": lambda: applications.grant(a.id, actor, amount=wan_to_yuan(form.amount_wan.data), rate=form.rate.data,
                                            term_months=form.term_months.data, expected_version=expected),
        "reject": lambda: applications.reject(a.id, actor, reason=form.reason.data, note=form.note.data,
                                              expected_version=expected),
        "disburse": lambda: applications.disburse(a.id, actor, amount=wan_to_yuan(form.amount_wan.data), on=form.on.data,
                                                  expected_version=expected),
        "repay": lambda: applications.repay(a.id, actor, amount=form.amount.data, on=form.on.data,
                                            expected_version=expected),
        "write_off": lambda: applications.write_off(a.id, actor, on=form.on.data, note=form.note.data or "",
                                                    expected_version=expected),
    }
    try:
        result = calls[action]()
    except applications.ConcurrentChange as e:
        flash(e.message, "danger")
        return _application_page(db.session.get(Application, a.id), status=409)
    except RuleViolation as e:
        db.session.refresh(a)
        target = e.field if e.field in form._fields else {"amount": "amount_wan"}.get(e.field, e.field)
        if target in form._fields and target != "version":
            form[target].errors = list(form[target].errors) + [e.message]
        else:
            flash(e.message, "danger")
        return _application_page(a, action, form, 422)
    else:
        flash(f"已{applications.ACTION_LABELS[action]}，当前状态：{codes.APPLICATION_STATUSES[result.status]}。",
              "success")
    return redirect(url_for(".application_detail", application_id=application_id))


# --------------------------------------------------------------------------- firm data (authorized)

@bp.route("/firms/<int:enterprise_id>")
def firm(enterprise_id: int):
    """A firm's score, reasons and data trends — only under the firm's valid authorization; every
    opening is written to the access log."""
    firm_ = db.get_or_404(Enterprise, enterprise_id)
    try:
        auth = authorizations.open_firm_data(current_user.institution_id, firm_.id, what="firm_page",
                                             user_id=current_user.id)
    except authorizations.NotAuthorized:
        abort(403)
    apps = db.session.scalars(select(Application).where(Application.enterprise_id == firm_.id,
                                                        Application.institution_id == current_user.institution_id)
                              .order_by(Application.id.desc())).all()
    return render_template("bank/firm.html", firm=firm_, auth=auth, applications=apps,
                           **authorizations.revealed(auth, firm_))


@bp.route("/matches")
def matches():
    """需求撮合: open needs that fit each product; a firm that has not authorized us shows only its need."""
    by_product = matching.needs_for_institution(current_user.institution_id, per_product=20)
    firm_ids = {int(e) for _, fits in by_product.values() for e in fits["enterprise_id"].dropna()}
    authorizations.log_list_read(current_user.institution_id, firm_ids, what="matches_list", user_id=current_user.id)
    names = dict(db.session.execute(select(Enterprise.id, Enterprise.name).where(
        Enterprise.id.in_(firm_ids))).all()) if firm_ids else {}
    return render_template("bank/matches.html", by_product=by_product, names=names)


# ------------------------------------------------------------------------------ off-platform loans

def _off_platform_page(form, upload, correcting: tuple[int, OffPlatformCorrectForm] | None = None, status=200):
    """The month's reports; `correcting` is (report id, the officer's correction form) coming back refused,
    with what was typed and each message beside its field."""
    inst = current_user.institution_id
    totals = off_platform.monthly_totals(inst)
    try:
        month = off_platform.parse_month(request.args.get("month")) if request.args.get("month") else \
            (totals[0][0] if totals else None)
    except RuleViolation:
        month = totals[0][0] if totals else None
    entries = off_platform.reports(inst, month) if month else []
    corrections = {e.id: OffPlatformCorrectForm(prefix=f"c{e.id}", formdata=None, data={
        "enterprise_name": e.enterprise_name, "amount_wan": yuan_to_wan(e.amount), "loan_count": e.loan_count})
        for e in entries}
    if correcting is not None and correcting[0] in corrections:
        corrections[correcting[0]] = correcting[1]
    return render_template("bank/off_platform.html", form=form, upload=upload, totals=totals, month=month,
                           entries=entries, corrections=corrections, action_form=FlaskForm()), status


@bp.route("/off-platform/<int:loan_id>/<action>", methods=["POST"])
def off_platform_entry(loan_id: int, action: str):
    """Correct, withdraw, or confirm-as-distinct one report — each audited by services/off_platform."""
    if action not in ("correct", "remove", "confirm"):
        abort(404)
    inst, uid = current_user.institution_id, current_user.id
    get_owned_or_404(OffPlatformLoan, loan_id, institution_id=inst)  # another bank's report: 404, not a hint
    form = OffPlatformCorrectForm(prefix=f"c{loan_id}") if action == "correct" else FlaskForm()
    month_arg = request.args.get("month")

    def refused():  # typed corrections come back beside their fields; a one-button action as a flash
        if action == "correct":
            return _off_platform_page(OffPlatformForm(formdata=None), OffPlatformUploadForm(prefix="csv", formdata=None),
                                      (loan_id, form), 422)
        return redirect(url_for(".off_platform_loans", month=month_arg))
    if not form.validate_on_submit():
        if action != "correct" or ("csrf_token" in form._fields and form.csrf_token.errors):
            flash("；".join(e for f in form for e in f.errors) or "提交的内容有误。", "danger")
        return refused()
    try:
        if action == "correct":
            off_platform.correct(loan_id, inst, amount=wan_to_yuan(form.amount_wan.data),
                                 loan_count=form.loan_count.data, enterprise_name=form.enterprise_name.data or "",
                                 user_id=uid)
        elif action == "remove":
            off_platform.remove(loan_id, inst, uid)
        else:
            off_platform.confirm_distinct(loan_id, inst, uid)
    except RuleViolation as e:
        db.session.rollback()
        if action == "correct":
            show_refusal(form, e, "amount_wan")
        else:
            flash(e.message, "danger")
        return refused()
    else:
        flash({"correct": "已更正，修改记录已写入审计日志。", "remove": "已撤销该条填报。",
               "confirm": "已确认为平台外另一笔贷款，计入指标（十四）。"}[action], "success")
    return redirect(url_for(".off_platform_loans", month=month_arg))


@bp.route("/off-platform", methods=["GET", "POST"])
def off_platform_loans():
    """Report 信易贷 loans made outside the platform for a month, one firm at a time."""
    form = OffPlatformForm()
    if form.validate_on_submit():
        try:
            month = off_platform.parse_month(form.month.data)
            off_platform.report(current_user.institution_id, month, uscc=form.uscc.data,
                                enterprise_name=form.enterprise_name.data or "", amount=wan_to_yuan(form.amount_wan.data),
                                loan_count=form.loan_count.data, user_id=current_user.id)
        except RuleViolation as e:
            show_violation(form, e, "uscc")
        else:
            flash("已登记。", "success")
            return redirect(url_for(".off_platform_loans"))
    return _off_platform_page(form, OffPlatformUploadForm(prefix="csv", formdata=None))


@bp.route("/off-platform/upload", methods=["POST"])
def off_platform_upload():
    """The same report as a CSV file for a whole month (replaces that month's earlier report)."""
    upload = OffPlatformUploadForm(prefix="csv")
    if upload.validate_on_submit():
        try:
            month = off_platform.parse_month(upload.month.data)
            n = off_platform.import_csv(current_user.institution_id, month, upload.file.data.read(),
                                        user_id=current_user.id)
        except RuleViolation as e:
            show_violation(upload, e, "file")
        else:
            flash(f"已导入 {month:%Y年%m月} 的平台外信易贷数据 {n} 条（覆盖该月原有填报）。", "success")
            return redirect(url_for(".off_platform_loans"))
    return _off_platform_page(OffPlatformForm(formdata=None), upload)


@bp.route("/messages")
def messages():
    rows = notifications.inbox(institution_id=current_user.institution_id)
    unread = {n.id for n in rows if n.read_at is None}
    notifications.mark_all_read(institution_id=current_user.institution_id)
    return render_template("messages.html", rows=rows, unread=unread, detail_endpoint="bank.application_detail")
