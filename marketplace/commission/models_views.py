"""评分模型 (model card): the credit-risk model's quality figures and versions, and switching the active one."""
from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from ..services import jobs, scoring
from ..web import download, to_job_page
from . import bp


@bp.route("/models")
def model_card_active():
    versions = scoring.registry.versions(scoring.model_dir())
    active = next((v["version"] for v in versions if v["active"]), None)
    if active is None:
        return render_template("commission/model_card.html", m=None)
    return redirect(url_for(".model_card", version=active))


def _saved_or_404(version: str) -> str:
    """A saved model version named in the URL; any other name is a 404 before anything reads the disk."""
    if version not in {v["version"] for v in scoring.registry.versions(scoring.model_dir())}:
        abort(404)
    return version


@bp.route("/models/<version>")
def model_card(version: str):
    return render_template("commission/model_card.html", m=scoring.model_card(_saved_or_404(version)))


@bp.route("/models/rescore", methods=["POST"])
def rescore_all():
    """Re-score every platform firm with the active model (e.g. after a large import), as a background job."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    job = jobs.enqueue("score_all", current_user.id)
    return to_job_page(job)


@bp.route("/models/<version>/activate", methods=["POST"])
def activate_model(version: str):
    """A staff sign-off with a required reason (scoring.request_activation: one activation at a time); the
    version becomes active once a background job has re-scored every platform firm with it."""
    _saved_or_404(version)
    if not FlaskForm().validate_on_submit():
        abort(400)
    reason = request.form.get("reason", "")
    try:
        job = scoring.request_activation(version, actor_id=current_user.id, reason=reason)
    except scoring.ScoringError as e:  # the card again, with the reason typed and the message beside it
        return render_template("commission/model_card.html", m=scoring.model_card(version),
                               signoff={"reason": reason, "error": str(e)}), 422
    return to_job_page(job)


@bp.route("/models/<version>/scorecard.csv")
def model_scorecard(version: str):
    """The WOE scorecard challenger's points per attribute, as trained beside this version."""
    path = scoring.scorecard_file(_saved_or_404(version))
    if path is None:  # a version trained before the scorecard challenger existed
        abort(404)
    return download(path, f"scorecard_{version}.csv")
