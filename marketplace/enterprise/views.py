"""Views of 企业中心: profile and credit, needs, recommendations, one-click applications, authorizations,
notifications."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from .. import codes, limits
from ..extensions import db
from ..inputs import arg, id_list
from ..models import (
    Application,
    CreditRepair,
    DataAuthorization,
    FinancingNeed,
    Institution,
    Objection,
    Product,
)
from ..services import (
    RuleViolation,
    applications,
    authorizations,
    credit,
    identity,
    matching,
    needs,
    notifications,
    objections,
    repairs,
    schedules,
    submissions,
)
from ..services.applications import Actor
from ..services.workdays import today
from ..web import get_owned_or_404, show_violation, wan_to_yuan, yuan_to_wan
from . import bp
from .forms import ApplyForm, AuthorizationForm, NeedForm, ObjectionForm, RepairForm


@bp.app_context_processor
def _unread():
    from flask_login import current_user as user

    if getattr(user, "is_authenticated", False) and user.role in ("enterprise", "bank"):
        owner = {"enterprise_id": user.enterprise_id, "user_id": user.id} if user.role == "enterprise" else \
            {"institution_id": user.institution_id}
        return {"unread_messages": notifications.unread_count(**owner)}
    return {}


# What an account whose firm is not verified (实名核验) may open besides its status page: its messages.
OPEN_TO_UNVERIFIED = {"enterprise.messages"}


@bp.before_request
def _verified_firms_only():
    """A pending or refused account sees none of the firm's data and cannot act in its name: every page but
    the messages shows why and what happens next (home: 200, anything else: 403)."""
    if not current_user.is_authenticated or current_user.role != "enterprise":
        return None  # the role gate answers
    firm = current_user.enterprise
    if firm.is_verified or request.endpoint in OPEN_TO_UNVERIFIED:
        return None
    page = render_template("enterprise/unverified.html", firm=firm, check=identity.claim_of(current_user),
                           mismatches=identity.MISMATCHES)
    return page, 200 if request.endpoint == "enterprise.home" else 403


@bp.route("/")
def home():
    firm = current_user.enterprise
    rows = db.session.scalars(select(FinancingNeed).where(FinancingNeed.enterprise_id == firm.id)
                              .order_by(FinancingNeed.created_at.desc())).all()
    apps = db.session.scalars(select(Application).where(Application.enterprise_id == firm.id)
                              .order_by(Application.id.desc()).limit(10)).all()
    score = credit.current_scores([firm.id]).get(firm.id)
    return render_template("enterprise/home.html", firm=firm, needs=rows, close_form=FlaskForm(),
                           applications=apps, score=score, legal_representative=identity.legal_representative(firm))


@bp.route("/credit")
def credit_profile():
    """本企业信用画像: score, grade, reasons, what would improve it, and the department data trends."""
    firm = current_user.enterprise
    score = credit.current_scores([firm.id]).get(firm.id)
    records = credit.public_records(firm, today())
    return render_template("enterprise/credit.html", firm=firm, score=score, reasons=credit.reason_texts(score, plain=True),
                           review=credit.record_review(firm.uscc, firm.established_on, today()),
                           arrival=None if score else credit.data_arrival(firm.uscc),
                           favourable=credit.favourable_factors(score), trends=credit.department_trends(firm.uscc),
                           list_entries=records["list_entries"], records=records)


@bp.route("/needs/new", methods=["GET", "POST"])
def new_need():
    form = NeedForm()
    if form.validate_on_submit():
        try:
            submissions.claim(form.submission.data, current_user.id)
            need = needs.publish_need(current_user.enterprise_id, amount=wan_to_yuan(form.amount_wan.data),
                                      term_months=form.term_months.data, purpose=form.purpose.data,
                                      guarantee=form.guarantee.data, urgency=form.urgency.data)
        except submissions.DuplicateSubmission as e:
            flash(e.message, "info")
            return redirect(url_for(".home"))
        except RuleViolation as e:
            db.session.rollback()
            show_violation(form, e, "amount_wan")
        else:
            flash("融资需求已发布，以下是为您推荐的产品。", "success")
            return redirect(url_for(".recommendations", need_id=need.id))
    return render_template("enterprise/need_form.html", form=form, title="发布融资需求")


@bp.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
def edit_need(need_id: int):
    need = get_owned_or_404(FinancingNeed, need_id, enterprise_id=current_user.enterprise_id)
    form = NeedForm(obj=need)
    if not form.is_submitted():
        form.amount_wan.data = yuan_to_wan(need.amount)
    if form.validate_on_submit():
        try:
            needs.update_need(need, current_user.enterprise_id, amount=wan_to_yuan(form.amount_wan.data),
                              term_months=form.term_months.data, purpose=form.purpose.data,
                              guarantee=form.guarantee.data, urgency=form.urgency.data)
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
        needs.close_need(need, current_user.enterprise_id, user_id=current_user.id)
        flash("融资需求已关闭。", "info")
    return redirect(url_for(".home"))


@bp.route("/needs/<int:need_id>/recommendations")
def recommendations(need_id: int):
    need = get_owned_or_404(FinancingNeed, need_id, enterprise_id=current_user.enterprise_id)
    recs = matching.recommend_for_need(need.id, limit=20) if need.status == "open" else []
    return render_template("enterprise/recommendations.html", need=need, recs=recs, form=FlaskForm(),
                           min_decisions=matching.MIN_DECISIONS)


def _apply_form(product_ids: list[int]) -> tuple[ApplyForm, list[dict]]:
    """The form and, per institution of the chosen products, its current authorization (shown beside the
    scopes it would receive, with an unticked 扩大 box when it already has one)."""
    form = ApplyForm()
    rows = db.session.execute(select(Product.id, Product.name, Institution.id, Institution.name).join(Institution)
                              .where(Product.id.in_(product_ids), Product.status == "active")).all()
    form.product_ids.choices = [(pid, f"{name}（{inst}）") for pid, name, _, inst in rows]
    institutions = []
    for inst_id, inst_name in sorted({(i, n) for _, _, i, n in rows}):
        current = authorizations.valid_authorization(current_user.enterprise_id, inst_id)
        institutions.append({"id": inst_id, "name": inst_name, "current": current})
    form.widen_institution_ids.choices = [(x["id"], x["name"]) for x in institutions if x["current"]]
    return form, institutions


@bp.route("/apply", methods=["GET", "POST"])
def apply():
    """一键申请: confirm amount and term, sign the commitment and authorize the institutions, submit."""
    ids = id_list("product_ids") or id_list("product")
    form, institutions = _apply_form(ids)
    need = None
    need_id = arg("need_id", limits.ID, "融资需求", values=request.values)
    if need_id:
        need = get_owned_or_404(FinancingNeed, need_id, enterprise_id=current_user.enterprise_id)
    if not form.product_ids.choices:
        flash("请先选择要申请的产品。", "warning")
        return redirect(url_for(".recommendations", need_id=need.id) if need else url_for("public.products"))
    if not form.is_submitted():
        form.product_ids.data = [c[0] for c in form.product_ids.choices]
        if need:
            form.need_id.data = need.id
            form.amount_wan.data = yuan_to_wan(need.amount)
            form.term_months.data = need.term_months
    if form.validate_on_submit():
        try:
            submissions.claim(form.submission.data, current_user.id)
            created = applications.submit(
                Actor.of_user(current_user), product_ids=form.product_ids.data, amount=wan_to_yuan(form.amount_wan.data),
                term_months=form.term_months.data, need_id=need.id if need else None,
                authorize_until=form.authorize_until.data, commitment_accepted=form.commitment.data,
                scopes=form.scopes.data or [], widen_institution_ids=form.widen_institution_ids.data or [])
        except submissions.DuplicateSubmission as e:
            flash(e.message, "info")
            return redirect(url_for(".application_list"))
        except RuleViolation as e:
            db.session.rollback()
            show_violation(form, e, "product_ids")
        else:
            flash(f"已提交 {len(created)} 笔申请，并已签署信用承诺；各机构的授权范围见“数据授权”。", "success")
            return redirect(url_for(".application_list"))
    return render_template("enterprise/apply.html", form=form, need=need, institutions=institutions,
                           commitment_text=applications.COMMITMENT_TEXT)


@bp.route("/applications")
def application_list():
    schedules.refresh(enterprise_id=current_user.enterprise_id)
    rows = db.session.scalars(select(Application).where(Application.enterprise_id == current_user.enterprise_id)
                              .order_by(Application.id.desc())).all()
    return render_template("enterprise/applications.html", applications=rows)


@bp.route("/applications/<int:application_id>")
def application_detail(application_id: int):
    a = get_owned_or_404(Application, application_id, enterprise_id=current_user.enterprise_id)
    schedules.refresh(application_ids=[a.id])
    allowed = applications.allowed_actions(a, "enterprise")
    return render_template("enterprise/application.html", a=a, form=FlaskForm(), allowed=allowed,
                           action_labels=applications.ACTION_LABELS,
                           can_withdraw="withdraw" in allowed, late=applications.is_late(a),
                           loan=schedules.summary(a) if a.instalments else None)


@bp.route("/applications/<int:application_id>/<any(confirm, decline):action>", methods=["POST"])
def respond_to_grant(application_id: int, action: str):
    """授信确认: the firm accepts the grant (the bank may then disburse) or declines it (the application closes)."""
    a = get_owned_or_404(Application, application_id, enterprise_id=current_user.enterprise_id)
    if FlaskForm().validate_on_submit():
        step = applications.confirm if action == "confirm" else applications.decline
        try:
            step(a.id, Actor.of_user(current_user),
                 expected_version=arg("version", limits.VERSION, "版本", values=request.form))
        except RuleViolation as e:
            flash(e.message, "danger")
        else:
            flash("已确认接受授信，等待银行放款。" if action == "confirm" else "已谢绝授信，该申请已关闭。", "info")
    return redirect(url_for(".application_detail", application_id=application_id))


@bp.route("/applications/<int:application_id>/withdraw", methods=["POST"])
def withdraw(application_id: int):
    a = get_owned_or_404(Application, application_id, enterprise_id=current_user.enterprise_id)
    if FlaskForm().validate_on_submit():
        try:
            applications.withdraw(a.id, Actor.of_user(current_user),
                                  expected_version=arg("version", limits.VERSION, "版本", values=request.form))
        except RuleViolation as e:
            flash(e.message, "danger")
        else:
            flash("申请已撤回。", "info")
    return redirect(url_for(".application_detail", application_id=application_id))


@bp.route("/authorizations", methods=["GET", "POST"])
def authorization_list():
    """数据授权: who may see the firm's data, for what, until when; grant and revoke."""
    form = AuthorizationForm()
    form.institution_id.choices = [(0, "请选择金融机构")] + [(i.id, i.name) for i in db.session.scalars(
        select(Institution).order_by(Institution.name))]
    if form.validate_on_submit():
        try:
            submissions.claim(form.submission.data, current_user.id)
            authorizations.grant(current_user.enterprise_id, form.institution_id.data, scopes=form.scopes.data,
                                 valid_until=form.valid_until.data, user_id=current_user.id,
                                 widen=form.widen.data)
        except submissions.DuplicateSubmission as e:
            flash(e.message, "info")
            return redirect(url_for(".authorization_list"))
        except RuleViolation as e:
            db.session.rollback()
            show_violation(form, e, "institution_id")
        else:
            flash("授权已生效。", "success")
            return redirect(url_for(".authorization_list"))
    rows = db.session.scalars(select(DataAuthorization).where(
        DataAuthorization.enterprise_id == current_user.enterprise_id).order_by(DataAuthorization.id.desc())).all()
    return render_template("enterprise/authorizations.html", form=form, rows=rows, today=today(),
                           revoke_form=FlaskForm(),
                           accesses=authorizations.access_history(current_user.enterprise_id))


@bp.route("/authorizations/<int:authorization_id>/revoke", methods=["POST"])
def revoke_authorization(authorization_id: int):
    auth = get_owned_or_404(DataAuthorization, authorization_id, enterprise_id=current_user.enterprise_id)
    if FlaskForm().validate_on_submit():
        authorizations.revoke(auth, current_user.enterprise_id, user_id=current_user.id)
        flash(f"已撤回对{auth.institution.name}的授权，即时生效。", "info")
    return redirect(url_for(".authorization_list"))


@bp.route("/messages")
def messages():
    mine = {"enterprise_id": current_user.enterprise_id, "user_id": current_user.id}
    rows = notifications.inbox(**mine)
    unread = {n.id for n in rows if n.read_at is None}
    notifications.mark_all_read(**mine)
    return render_template("messages.html", rows=rows, unread=unread, home=url_for(".home"),
                           detail_endpoint="enterprise.application_detail")



@bp.route("/objections", methods=["GET", "POST"])
def objection_list():
    """异议: dispute a data record the platform holds about this firm; follow each objection."""
    form = ObjectionForm()
    form.record.choices = [("", "请选择")] + objections.disputable_records(current_user.enterprise.uscc)
    if request.method == "GET" and request.args.get("record"):
        form.record.data = request.args["record"][:64]
    if form.validate_on_submit():
        try:
            submissions.claim(form.submission.data, current_user.id)
            source, record_id = objections.parse_record_key(form.record.data)
            objections.raise_objection(current_user.enterprise_id, record_source=source,
                                       record_id=record_id, kind=form.kind.data, description=form.description.data,
                                       actor_id=current_user.id)
        except submissions.DuplicateSubmission as e:
            flash(e.message, "info")
            return redirect(url_for(".objection_list"))
        except RuleViolation as e:
            db.session.rollback()
            show_violation(form, e, "description")
        else:
            flash("异议已提交，数据来源部门将在1个工作日内核实，处理结果将通过站内消息告知。", "success")
            return redirect(url_for(".objection_list"))
    rows = db.session.scalars(select(Objection).where(Objection.enterprise_id == current_user.enterprise_id)
                              .order_by(Objection.id.desc())).all()
    labels = {o.id: objections.label_of(o) for o in rows}
    return render_template("enterprise/objections.html", form=form, objections=rows, labels=labels)


@bp.route("/repairs", methods=["GET", "POST"])
def repair_list():
    """信用修复: apply to repair a penalty past its minimum publication period; follow each application."""
    firm = current_user.enterprise
    penalties = repairs.penalties_of(firm.uscc)
    form = RepairForm()
    form.penalty_id.choices = [("", "请选择")] + [
        (str(p.id), f"{p.document_no}（{p.decided_on}，{codes.PENALTY_SEVERITIES.get(p.severity, '')}，"
                    f"{repairs.repairable_from(p)} 起可申请）") for p in penalties if p.repaired_on is None]
    if request.method == "GET" and request.args.get("penalty"):
        form.penalty_id.data = request.args["penalty"][:12]
    if form.validate_on_submit():
        penalty_id = arg("penalty_id", limits.ID, "行政处罚记录", values=request.form) or 0
        try:
            submissions.claim(form.submission.data, current_user.id)
            repairs.apply(firm.id, penalty_id=penalty_id, evidence=form.evidence.data,
                          commitment_accepted=form.commitment.data, actor_id=current_user.id)
        except submissions.DuplicateSubmission as e:
            flash(e.message, "info")
            return redirect(url_for(".repair_list"))
        except RuleViolation as e:
            db.session.rollback()
            show_violation(form, e, "evidence")
        else:
            flash("信用修复申请已提交，审核结果将通过站内消息告知。", "success")
            return redirect(url_for(".repair_list"))
    rows = db.session.scalars(select(CreditRepair).where(CreditRepair.enterprise_id == firm.id)
                              .order_by(CreditRepair.id.desc())).all()
    return render_template("enterprise/repairs.html", form=form, repairs=rows, penalties=penalties,
                           repairable_from=repairs.repairable_from, commitment_text=repairs.COMMITMENT_TEXT)
