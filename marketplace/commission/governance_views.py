"""Views of credit governance for staff: 企业档案 (firm directory and firm page, every opening logged),
信用修复 reviews, 联合奖惩 (case log, listed persons, red-list incentives), 信用承诺 archive, 查询留痕,
风险补偿. Thin: parse, call a service, render; the rules live in marketplace/services."""
from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from wtforms import (
    DateField,
    DecimalField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from .. import codes, limits
from ..extensions import db
from ..inputs import arg, fits
from ..models import (
    AccessLog,
    Application,
    CompensationClaim,
    CompensationEnrolment,
    CompensationFund,
    CreditCommitment,
    CreditRepair,
    Enterprise,
    EnterpriseScore,
    Institution,
    JointCase,
    ListEntry,
    Objection,
    PersonListEntry,
    Product,
    RedListIncentive,
)
from ..services import (
    RuleViolation,
    access_log,
    commitments,
    compensation,
    credit,
    exports,
    identity,
    joint,
    objections,
    repairs,
)
from ..services.workdays import today
from ..web import download as _download
from ..web import select_choices, show_refusal, show_violation, wan_to_yuan
from . import bp

PAGE = 200


def _arg(name: str, limit: int = 64) -> str:
    return (request.args.get(name) or "").strip()[:limit]


def _date_arg(name: str) -> date | None:
    raw = _arg(name, 10)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400, description=f"日期格式应为 2026-01-31：{name}")


# --------------------------------------------------------------------------------------------- 企业档案

@bp.route("/firms")
def firm_directory():
    """企业档案: search by USCC, name, district, industry and list status."""
    q, region, industry, status = _arg("q"), _arg("region", 6), _arg("industry", 1), _arg("list", 16)
    stmt = select(Enterprise).order_by(Enterprise.name)
    if q:
        stmt = stmt.where(or_(Enterprise.uscc == q.upper(), Enterprise.name.contains(q)))
    if region in codes.REGIONS:
        stmt = stmt.where(Enterprise.region_code == region)
    if industry in codes.INDUSTRIES:
        stmt = stmt.where(Enterprise.industry == industry)
    day = today()
    if status == "serious":
        stmt = stmt.where(Enterprise.uscc.in_(credit.listed_usccs(day)))
    elif status == "red":
        stmt = stmt.where(Enterprise.uscc.in_(credit.listed_usccs(day, list_types=codes.RED_LIST_TYPES)))
    elif status == "none":
        stmt = stmt.where(Enterprise.uscc.not_in(credit.listed_usccs(day, list_types=codes.LIST_TYPES)))
    firms = db.session.scalars(stmt.limit(PAGE)).all()
    return render_template("commission/firms.html", firms=firms, args=request.args, page_size=PAGE,
                           listed=credit.listed_usccs(day, [f.uscc for f in firms]))


@bp.route("/firms/<int:enterprise_id>")
def firm_page(enterprise_id: int):
    """One firm as staff see it: registry row, department records by source and month, penalties and lists
    with their basis documents, commitments, objections, repairs, applications, scores and the access log.
    Opening it is itself written to the access log. Records change only through an objection or a repair."""
    return _firm_page(db.get_or_404(Enterprise, enterprise_id))


def _firm_page(firm: Enterprise, broken: tuple[int, "BrokenForm"] | None = None, status: int = 200):
    """`broken`: (commitment id, staff's 记录未履行 form) coming back refused, with what was typed."""
    access_log.log_staff_opening(current_user.id, firm.id)
    day = today()
    department = {}
    for source in ("tax_records", "social_insurance_records", "provident_fund_records", "utility_records",
                   "tax_grades"):
        model, fields = objections.RECORDS[source]
        order = model.year.desc() if source == "tax_grades" else model.period.desc()
        rows = db.session.scalars(select(model).where(model.uscc == firm.uscc).order_by(order).limit(36)).all()
        department[source] = (("period" if source != "tax_grades" else "year",)
                              + (("kind",) if source == "utility_records" else ()) + fields, rows)
    registry = objections.RECORDS["registry_enterprises"][0]
    return render_template(
        "commission/firm.html", firm=firm, records=credit.public_records(firm, day),
        legal_representative=identity.legal_representative(firm),
        registry=db.session.scalar(select(registry).where(registry.uscc == firm.uscc)), department=department,
        all_entries=db.session.scalars(select(ListEntry).where(ListEntry.uscc == firm.uscc)
                                       .order_by(ListEntry.start_on.desc())).all(),
        commitments=commitments.of_enterprise(firm.id),
        objections=db.session.scalars(select(Objection).where(Objection.enterprise_id == firm.id)
                                      .order_by(Objection.id.desc())).all(),
        repairs=db.session.scalars(select(CreditRepair).where(CreditRepair.enterprise_id == firm.id)
                                   .order_by(CreditRepair.id.desc())).all(),
        applications=db.session.scalars(select(Application).where(Application.enterprise_id == firm.id)
                                        .order_by(Application.id.desc())).all(),
        scores=db.session.scalars(select(EnterpriseScore).where(EnterpriseScore.enterprise_id == firm.id)
                                  .order_by(EnterpriseScore.as_of.desc(), EnterpriseScore.id.desc()).limit(12)).all(),
        accesses=access_log.rows(access_log.search(uscc=firm.uscc, limit=100)),
        cases=db.session.scalars(select(JointCase).where(JointCase.enterprise_id == firm.id)
                                 .order_by(JointCase.id.desc()).limit(100)).all(),
        score=credit.current_scores([firm.id]).get(firm.id),
        broken=dict([broken]) if broken else {}), status


# --------------------------------------------------------------------------------------------- 信用修复

class RepairDecisionForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField("审核意见（不予修复时必填，将告知企业）", validators=[
        Optional(), fits(CreditRepair.reason)])


@bp.route("/repairs")
def repair_queue():
    status = _arg("status", 16) or "submitted"
    stmt = select(CreditRepair).order_by(CreditRepair.decision_due, CreditRepair.id)
    if status in codes.REPAIR_STATUSES:
        stmt = stmt.where(CreditRepair.status == status)
    rows = db.session.scalars(stmt.limit(500)).all()
    return render_template("commission/repairs.html", repairs=rows, status=status,
                           late={r.id: repairs.is_late(r) for r in rows},
                           overdue_count=repairs.overdue_reviews_count(),
                           decision_days=repairs.decision_days(),
                           months=current_app.config["REPAIR_MIN_PUBLICATION_MONTHS"])


@bp.route("/repairs/<int:repair_id>", methods=["GET", "POST"])
def repair_detail(repair_id: int):
    repair = db.get_or_404(CreditRepair, repair_id)
    form = RepairDecisionForm(data={"version": repair.version} if request.method == "GET" else None)
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        expected = arg("version", limits.VERSION, "版本", values=request.form)
        try:
            repairs.decide(repair, approve=request.form.get("decision") == "approve", reason=form.reason.data or "",
                           actor_id=current_user.id, expected_version=expected)
        except RuleViolation as e:  # the reason typed stays, the message beside it (a lost race: a flash)
            db.session.rollback()
            repair = db.session.get(CreditRepair, repair_id)
            show_refusal(form, e, "reason")
        else:
            flash(f"修复申请 {repair.id}：{codes.REPAIR_STATUSES[repair.status]}。", "success")
            return redirect(url_for(".repair_queue"))
    return render_template("commission/repair.html", r=repair, form=form, late=repairs.is_late(repair),
                           repairable_from=repairs.repairable_from(repair.penalty)), status


# --------------------------------------------------------------------------------------------- 联合奖惩

class PersonEntryForm(FlaskForm):
    person_name = StringField("自然人姓名（法定代表人）", validators=[DataRequired("请填写姓名。"),
                                                                      fits(PersonListEntry.person_name)])
    list_type = SelectField("名单", choices=select_choices({k: codes.LIST_TYPES[k] for k in codes.SERIOUS_LIST_TYPES},
                                                         "请选择"), validators=[DataRequired("请选择名单。")])
    document_no = StringField("列入依据文书号", validators=[DataRequired("请填写文书号。"),
                                                             fits(PersonListEntry.document_no)])
    start_on = DateField("列入日期", validators=[InputRequired("请填写列入日期。")])
    end_on = DateField("移出日期（可空）", validators=[Optional()])


class IncentiveForm(FlaskForm):
    list_type = SelectField("红名单", choices=select_choices({k: codes.LIST_TYPES[k] for k in codes.RED_LIST_TYPES},
                                                           "请选择"), validators=[DataRequired("请选择红名单。")])
    measure = SelectField("激励措施", choices=select_choices(codes.INCENTIVE_MEASURES, "请选择"),
                          validators=[DataRequired("请选择激励措施。")])
    note = StringField("说明（展示给受理人员）", validators=[Optional(), fits(RedListIncentive.note)])


JOINT_COLUMNS = [exports.Column("occurred_on", "日期", "date"), exports.Column("uscc", "统一社会信用代码"),
                 exports.Column("name", "企业名称"), exports.Column("list", "名单"),
                 exports.Column("document_no", "依据文书号"), exports.Column("via", "命中对象"),
                 exports.Column("measure", "措施"), exports.Column("institution", "金融机构"),
                 exports.Column("application_id", "申请编号", "int"), exports.Column("note", "说明")]


@bp.route("/joint", methods=["GET", "POST"])
def joint_page():
    """联合奖惩: the case log (by month, exportable), listed persons, red-list incentives."""
    person_form, incentive_form = PersonEntryForm(prefix="person"), IncentiveForm(prefix="incentive")
    if request.method == "POST":
        try:
            if "person-submit" in request.form and person_form.validate_on_submit():
                joint.add_person_entry(person_name=person_form.person_name.data, list_type=person_form.list_type.data,
                                       start_on=person_form.start_on.data, end_on=person_form.end_on.data,
                                       document_no=person_form.document_no.data, actor_id=current_user.id)
                flash("已登记名单自然人。", "success")
                return redirect(url_for(".joint_page"))
            if "incentive-submit" in request.form and incentive_form.validate_on_submit():
                joint.set_incentive(list_type=incentive_form.list_type.data, measure=incentive_form.measure.data,
                                    note=incentive_form.note.data, actor_id=current_user.id)
                flash("已新增守信激励措施。", "success")
                return redirect(url_for(".joint_page"))
        except RuleViolation as e:
            show_violation(person_form if "person-submit" in request.form else incentive_form, e, "list_type")
    month = _arg("month", 7)
    try:
        cases = joint.cases_in_month(month or None)
    except RuleViolation as e:
        abort(400, description=e.message)
    return render_template("commission/joint.html", cases=joint.case_rows(cases), month=month,
                           person_form=person_form, incentive_form=incentive_form, stop_form=FlaskForm(),
                           persons=db.session.scalars(select(PersonListEntry).order_by(PersonListEntry.id.desc())
                                                      .limit(200)).all(),
                           incentives=db.session.scalars(select(RedListIncentive).order_by(RedListIncentive.id)).all())


@bp.route("/joint/cases.csv")
def joint_cases_export():
    month = _arg("month", 7)
    if not month:
        abort(400, description="请选择月份。")
    try:
        cases = joint.cases_in_month(month)
    except RuleViolation as e:
        abort(400, description=e.message)
    table = exports.Table(f"联合奖惩案例{month}", JOINT_COLUMNS, joint.case_rows(cases))
    return _download(exports.to_csv(table), f"joint-cases-{month}.csv")


@bp.route("/joint/incentives/<int:incentive_id>/stop", methods=["POST"])
def stop_incentive(incentive_id: int):
    inc = db.get_or_404(RedListIncentive, incentive_id)
    if FlaskForm().validate_on_submit():
        joint.stop_incentive(inc, current_user.id)
        flash("已停用该激励措施。", "info")
    return redirect(url_for(".joint_page"))


# --------------------------------------------------------------------------------------------- 信用承诺

COMMITMENT_COLUMNS = [exports.Column("id", "编号", "int"), exports.Column("uscc", "统一社会信用代码"),
                      exports.Column("name", "企业名称"), exports.Column("kind", "承诺类型"),
                      exports.Column("purpose", "承诺事项"), exports.Column("signed_at", "签署时间", "datetime"),
                      exports.Column("signed_by", "签署人（登录名）"), exports.Column("broken_on", "违诺日期", "date"),
                      exports.Column("text", "承诺内容")]


class BrokenForm(FlaskForm):
    on = DateField("违诺日期", validators=[InputRequired("请填写违诺日期。")])
    evidence = TextAreaField("未履行的事实及证据", validators=[
        DataRequired("请填写未履行的事实及证据。"), fits(CreditCommitment.broken_evidence)])


def _commitment_filters():
    kind = _arg("kind", 16)
    return {"kind": kind if kind in codes.COMMITMENT_TYPES else None, "uscc": _arg("uscc", 18) or None,
            "month": _arg("month", 7) or None}


@bp.route("/commitments")
def commitment_archive():
    try:
        records = commitments.archive(**_commitment_filters())
    except RuleViolation as e:
        abort(400, description=e.message)
    return render_template("commission/commitments.html", rows=commitments.rows(records), args=request.args,
                           broken_form=BrokenForm(), page_size=commitments.PAGE)


@bp.route("/commitments.csv")
def commitment_export():
    try:
        records = commitments.archive(**_commitment_filters(), limit=None)
    except RuleViolation as e:
        abort(400, description=e.message)
    table = exports.Table("信用承诺", COMMITMENT_COLUMNS, commitments.rows(records))
    return _download(exports.to_csv(table), "credit-commitments.csv")


@bp.route("/commitments/<int:commitment_id>/broken", methods=["POST"])
def record_broken_commitment(commitment_id: int):
    c = db.get_or_404(CreditCommitment, commitment_id)
    form = BrokenForm()
    if not form.validate_on_submit():
        if "csrf_token" in form._fields and form.csrf_token.errors:
            flash("页面已过期，请重新提交。", "danger")
        return _firm_page(c.enterprise, (c.id, form), 422)
    try:
        commitments.record_broken(c, on=form.on.data, evidence=form.evidence.data, actor_id=current_user.id)
    except RuleViolation as e:  # the date and evidence typed stay, the message beside its field
        db.session.rollback()
        show_refusal(form, e, "evidence")
        return _firm_page(db.session.get(CreditCommitment, commitment_id).enterprise, (commitment_id, form), 422)
    flash(f"承诺 {c.id} 已记录为未履行，计入企业失信记录。", "success")
    return redirect(url_for(".firm_page", enterprise_id=c.enterprise_id))


# --------------------------------------------------------------------------------------------- 查询留痕

ACCESS_COLUMNS = [exports.Column("at", "查询时间", "datetime"), exports.Column("uscc", "统一社会信用代码"),
                  exports.Column("name", "企业名称"), exports.Column("institution", "查询机构"),
                  exports.Column("officer", "查询人员"), exports.Column("what", "查询用途")]


def _access_filters():
    return {"uscc": _arg("uscc", 18), "institution_id": arg("institution", limits.ID, "查询机构"),
            "officer": _arg("officer"), "date_from": _date_arg("from"), "date_to": _date_arg("to"),
            "what": _arg("what", 32) if _arg("what", 32) in codes.ACCESS_KINDS else ""}


@bp.route("/access-log")
def access_log_page():
    try:
        records = access_log.search(**_access_filters())
    except RuleViolation as e:
        abort(400, description=e.message)
    institutions = db.session.scalars(select(Institution).order_by(Institution.name)).all()
    return render_template("commission/access_log.html", rows=access_log.rows(records), args=request.args,
                           institutions=institutions, page_size=access_log.PAGE,
                           total=db.session.scalar(select(db.func.count(AccessLog.id))))


@bp.route("/access-log.csv")
def access_log_export():
    try:
        records = access_log.search(**_access_filters(), limit=None)
    except RuleViolation as e:
        abort(400, description=e.message)
    return _download(exports.to_csv(exports.Table("查询留痕", ACCESS_COLUMNS, access_log.rows(records))),
                     "access-log.csv")


# --------------------------------------------------------------------------------------------- 风险补偿

class FundForm(FlaskForm):
    name = StringField("资金池名称", validators=[DataRequired("请填写名称。"), fits(CompensationFund.name)])
    share_pct = DecimalField("补偿比例（%，本金损失）", places=2, validators=[
        InputRequired("请填写补偿比例。"), NumberRange(min=0.01, max=100, message="补偿比例应为0.01–100%%。")])
    cap_wan = DecimalField("单笔补偿上限（万元）", places=2, validators=[
        InputRequired("请填写单笔上限。"), NumberRange(min=0.01, max=1_000_000, message="单笔上限应为0.01–100万万元。")])
    budget_wan = DecimalField("资金规模（万元）", places=2, validators=[
        InputRequired("请填写资金规模。"), NumberRange(min=0.01, max=100_000_000, message="资金规模超出范围。")])
    # ids are checked by compensation.create_fund (a clear Chinese message, not WTForms' English one)
    products = SelectMultipleField("适用产品（不选：全部产品）", validate_choice=False)
    institutions = SelectMultipleField("适用机构（不选：全部机构）", validate_choice=False)


class ClaimDecisionForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField("审核意见", validators=[DataRequired("请填写审核意见。"),
                                                             fits(CompensationClaim.reason)])


CLAIM_COLUMNS = [exports.Column("application_id", "申请编号", "int"), exports.Column("uscc", "统一社会信用代码"),
                 exports.Column("name", "企业名称"), exports.Column("institution", "金融机构"),
                 exports.Column("product", "产品"), exports.Column("enrolled_on", "纳入日期", "date"),
                 exports.Column("principal", "放款本金（元）", "int"), exports.Column("balance", "贷款余额（元）", "int"),
                 exports.Column("status", "贷款状态"), exports.Column("exposure", "补偿敞口（元）", "int"),
                 exports.Column("paid", "已代偿（元）", "int"), exports.Column("claim_status", "补偿申请")]


@bp.route("/compensation", methods=["GET", "POST"])
def compensation_page():
    form = FundForm()
    form.products.choices = [(str(p.id), f"{p.institution.name} · {p.name}") for p in
                             db.session.scalars(select(Product).order_by(Product.institution_id, Product.name))]
    form.institutions.choices = [(str(i.id), i.name) for i in
                                 db.session.scalars(select(Institution).order_by(Institution.name))]
    if form.validate_on_submit():
        try:
            fund = compensation.create_fund(name=form.name.data, share=form.share_pct.data,
                                            per_loan_cap=wan_to_yuan(form.cap_wan.data),
                                            budget=wan_to_yuan(form.budget_wan.data), product_ids=form.products.data,
                                            institution_ids=form.institutions.data, actor_id=current_user.id)
        except RuleViolation as e:
            show_violation(form, e, "name")
        else:
            flash(f"风险补偿资金池“{fund.name}”已设立，此后放款的合格贷款自动纳入。", "success")
            return redirect(url_for(".compensation_fund", fund_id=fund.id))
    funds = db.session.scalars(select(CompensationFund).order_by(CompensationFund.id)).all()
    pending = db.session.scalars(select(CompensationClaim).where(CompensationClaim.status == "filed")
                                 .order_by(CompensationClaim.filed_at)).all()
    return render_template("commission/compensation.html", form=form, funds=[(f, compensation.summary(f)) for f in funds],
                           pending=pending)


@bp.route("/compensation/<int:fund_id>")
def compensation_fund(fund_id: int):
    return _fund_page(db.get_or_404(CompensationFund, fund_id))


def _fund_page(fund: CompensationFund, refused: tuple[int, "ClaimDecisionForm"] | None = None, status: int = 200):
    """`refused`: (claim id, staff's decision form) coming back refused, with the reason typed beside its error."""
    claims = db.session.scalars(select(CompensationClaim).join(CompensationClaim.enrolment)
                                .where(CompensationEnrolment.fund_id == fund.id)
                                .order_by(CompensationClaim.id.desc())).all()
    return render_template("commission/compensation_fund.html", fund=fund, summary=compensation.summary(fund),
                           rows=compensation.enrolment_rows(fund), claims=claims, decision_form=ClaimDecisionForm(),
                           refused=dict([refused]) if refused else {}), status


@bp.route("/compensation/<int:fund_id>.csv")
def compensation_export(fund_id: int):
    fund = db.get_or_404(CompensationFund, fund_id)
    s = compensation.summary(fund)
    table = exports.Table(fund.name, CLAIM_COLUMNS, compensation.enrolment_rows(fund),
                          notes=[f"资金规模 {s['budget']} 元；已代偿 {s['paid']} 元；余额 {s['balance']} 元；"
                                 f"待审核 {s['pending']} 元；补偿敞口 {s['exposure']} 元"])
    return _download(exports.to_csv(table, notes=True), f"compensation-fund-{fund.id}.csv")


@bp.route("/compensation/claims/<int:claim_id>", methods=["POST"])
def decide_compensation_claim(claim_id: int):
    claim = db.get_or_404(CompensationClaim, claim_id)
    form = ClaimDecisionForm()
    if not form.validate_on_submit():
        if "csrf_token" in form._fields and form.csrf_token.errors:
            flash("页面已过期，请重新提交。", "danger")
        return _fund_page(claim.enrolment.fund, (claim.id, form), 422)
    expected = arg("version", limits.VERSION, "版本", values=request.form)
    try:
        compensation.decide_claim(claim, approve=request.form.get("decision") == "approve", reason=form.reason.data,
                                  actor_id=current_user.id, expected_version=expected)
    except RuleViolation as e:  # the reason typed stays, the message beside it (a lost race: a flash)
        db.session.rollback()
        claim = db.session.get(CompensationClaim, claim_id)
        show_refusal(form, e, "reason")
        return _fund_page(claim.enrolment.fund, (claim.id, form), 422)
    flash(f"补偿申请 {claim.id}：{codes.CLAIM_STATUSES[claim.status]}。", "success")
    return redirect(url_for(".compensation_fund", fund_id=claim.enrolment.fund_id))

