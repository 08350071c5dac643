"""Views of 核验队列: staff compare what a new firm account typed with the registry and approve or refuse."""
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import TextAreaField
from wtforms.validators import DataRequired

from ..extensions import db
from ..inputs import fits
from ..models import IdentityCheck
from ..services import RuleViolation, identity
from . import bp


class DecisionForm(FlaskForm):
    reason = TextAreaField("核验意见（将告知企业）", validators=[
        DataRequired("请填写核验意见（理由）。"), fits(IdentityCheck.decision_reason)])


@bp.route("/identity")
def identity_queue():
    """核验队列: pending checks, oldest first, and the latest decisions."""
    decided = db.session.scalars(select(IdentityCheck).where(IdentityCheck.decision.is_not(None))
                                 .order_by(IdentityCheck.decided_at.desc()).limit(50)).all()
    rows = identity.queue()
    return render_template("commission/identity_queue.html", rows=rows, decided=decided,
                           competing=identity.competing(rows), decisions=identity.DECISIONS,
                           mismatches=identity.MISMATCHES, form=DecisionForm(formdata=None),
                           reason_max=identity.REASON_MAX_LENGTH)


@bp.route("/identity/<int:check_id>/<any(approve, refuse):decision>", methods=["POST"])
def identity_decide(check_id: int, decision: str):
    if db.session.get(IdentityCheck, check_id) is None:
        abort(404)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash("；".join(e for f in form for e in f.errors) or "提交的内容有误。", "danger")
        return redirect(url_for(".identity_queue"))
    try:
        row = identity.decide(check_id, current_user.id, approve=decision == "approve", reason=form.reason.data)
    except RuleViolation as e:
        flash(e.message, "danger")
    else:
        flash(f"{row.enterprise.name}：{'已核验通过' if row.decision == 'approved' else '已拒绝'}，已通知企业。", "success")
    return redirect(url_for(".identity_queue"))
