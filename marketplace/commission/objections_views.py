"""Views of 异议处理: staff verify objections and decide them (upheld: the record is corrected; rejected)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import TextAreaField
from wtforms.validators import Optional

from .. import codes
from ..extensions import db
from ..inputs import fits
from ..models import Objection
from ..services import RuleViolation, objections
from ..services.workdays import local_date, working_days_between
from . import bp


class ResolutionForm(FlaskForm):
    resolution = TextAreaField("处理意见（将告知企业）", validators=[Optional(), fits(Objection.resolution)])


@bp.route("/objections")
def objection_queue():
    status = request.args.get("status", "open")
    stmt = select(Objection).order_by(Objection.submitted_at)
    if status == "open":
        stmt = stmt.where(Objection.status.in_(("submitted", "verifying")))
    elif status in codes.OBJECTION_STATUSES:
        stmt = stmt.where(Objection.status == status)
    rows = db.session.scalars(stmt.limit(500)).all()
    return render_template("commission/objections.html", objections=rows, status=status)


@bp.route("/objections/<int:objection_id>", methods=["GET", "POST"])
def objection_detail(objection_id: int):
    objection = db.session.get(Objection, objection_id)
    if objection is None:
        abort(404)
    form = ResolutionForm()
    if form.validate_on_submit():
        try:
            objections.move(objection, request.form.get("to_status", ""), actor_id=current_user.id,
                            resolution=form.resolution.data or "")
        except RuleViolation as e:
            flash(e.message, "danger")
        else:
            flash(f"异议 {objection.id} 已更新为：{codes.OBJECTION_STATUSES[objection.status]}。", "success")
            return redirect(url_for(".objection_queue"))
    end = objection.resolved_at or None
    days = working_days_between(local_date(objection.submitted_at), local_date(end)) if end else None
    return render_template("commission/objection.html", o=objection, form=form, days=days,
                           next_statuses=sorted(objections.TRANSITIONS[objection.status]))
