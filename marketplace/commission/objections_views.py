"""Views of 异议处理: staff verify objections and decide them (upheld: the record is corrected or withdrawn from
publication and the firm re-scored; rejected: with a reason). Overdue cases stand out in the queue."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Optional

from .. import codes, limits
from ..extensions import db
from ..inputs import arg, fits
from ..models import Objection
from ..services import RuleViolation, objections
from ..web import show_refusal
from . import bp


class ResolutionForm(FlaskForm):
    version = HiddenField()
    resolution = TextAreaField("处理意见（将告知企业）", validators=[Optional(), fits(Objection.resolution)])


@bp.route("/objections")
def objection_queue():
    status = request.args.get("status", "open")
    stmt = select(Objection).order_by(Objection.submitted_at)
    if status == "open":
        stmt = stmt.where(Objection.status.in_(objections.OPEN_STATUSES))
    elif status in codes.OBJECTION_STATUSES:
        stmt = stmt.where(Objection.status == status)
    rows = db.session.scalars(stmt.limit(500)).all()
    overdue = {o.id: objections.overdue(o) for o in rows}
    return render_template("commission/objections.html", objections=rows, status=status, overdue=overdue,
                           labels={o.id: objections.label_of(o) for o in rows},
                           overdue_count=sum(1 for v in overdue.values() if v))


@bp.route("/objections/<int:objection_id>", methods=["GET", "POST"])
def objection_detail(objection_id: int):
    objection = db.get_or_404(Objection, objection_id)
    form = ResolutionForm(data={"version": objection.version} if request.method == "GET" else None)
    model, fields = objections.RECORDS.get(objection.record_source, (None, ()))
    typed, errors, status = {}, {}, 200
    if form.validate_on_submit():
        expected = arg("version", limits.VERSION, "版本", values=request.form)
        new_values = {f: request.form.get(f"new_{f}", "") for f in fields}  # objections._parse bounds each
        outcome = request.form.get("outcome") or None
        try:
            objections.move(objection, request.form.get("to_status", ""), actor_id=current_user.id,
                            resolution=form.resolution.data or "", outcome=outcome,
                            new_values=new_values, expected_version=expected)
        except RuleViolation as e:
            # the page comes back with what staff typed and the message beside the part it concerns
            db.session.rollback()
            objection = db.session.get(Objection, objection_id)
            typed, status = {"outcome": outcome or "", **{f"new_{f}": v for f, v in new_values.items()}}, 422
            if e.field in ("outcome", "new_values"):
                errors[e.field] = e.message
            else:
                show_refusal(form, e, "resolution")
        else:
            flash(f"异议 {objection.id} 已更新为：{codes.OBJECTION_STATUSES[objection.status]}。", "success")
            return redirect(url_for(".objection_queue"))
    elif form.is_submitted():
        status = 422
    record = objections.find_record(objection.record_source, objection.record_id)
    label = objections.record_label(objection.record_source, record) if record is not None else None
    values = [(f, getattr(record, f)) for f in fields] if record is not None else []
    return render_template("commission/objection.html", o=objection, form=form, days=objections.handling_days(objection),
                           next_statuses=sorted(objections.TRANSITIONS[objection.status]), record_label=label,
                           values=values, choices=objections.CHOICES,
                           lengths=objections.text_lengths(objection.record_source) if model is not None else {},
                           overdue=objections.overdue(objection), corrections=objections.corrections(objection.id),
                           typed=typed, errors=errors, label=objections.field_label, shown=objections.value_text,
                           lines=objections.correction_lines), status
