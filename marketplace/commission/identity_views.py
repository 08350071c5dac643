"""Views of 核验队列: staff compare what a new firm account typed with the registry and approve or refuse."""
from flask import flash, redirect, render_template, url_for
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
    return _queue_page()


def _queue_page(check_id: int | None = None, typed: str = "", error: str = "", status: int = 200):
    """The queue; a refused decision comes back with the reason typed in its row and the message beside it."""
    decided = db.session.scalars(select(IdentityCheck).where(IdentityCheck.decision.is_not(None))
                                 .order_by(IdentityCheck.decided_at.desc()).limit(50)).all()
    rows = identity.queue()
    return render_template("commission/identity_queue.html", rows=rows, decided=decided,
                           competing=identity.competing(rows), decisions=identity.DECISIONS,
                           mismatches=identity.MISMATCHES, form=DecisionForm(formdata=None),
                           reason_max=identity.REASON_MAX_LENGTH, typed={check_id: typed},
                           errors={check_id: error} if error else {}), status


@bp.route("/identity/<int:check_id>/<any(approve, refuse):decision>", methods=["POST"])
def identity_decide(check_id: int, decision: str):
    db.get_or_404(IdentityCheck, check_id)
    form = DecisionForm()
    typed = (form.reason.data or "")[:identity.REASON_MAX_LENGTH * 2]
    if not form.validate_on_submit():
        if "csrf_token" in form._fields and form.csrf_token.errors:
            flash("页面已过期，请重新提交。", "danger")
        return _queue_page(check_id, typed, "；".join(form.reason.errors), 422)
    try:
        row = identity.decide(check_id, current_user.id, approve=decision == "approve", reason=form.reason.data)
    except RuleViolation as e:
        if e.field == "reason":
            return _queue_page(check_id, typed, e.message, 422)
        flash(e.message, "danger")  # already decided by a colleague: nothing typed is wrong
    else:
        flash(f"{row.enterprise.name}：{'已核验通过' if row.decision == 'approved' else '已拒绝'}，已通知企业。", "success")
    return redirect(url_for(".identity_queue"))
