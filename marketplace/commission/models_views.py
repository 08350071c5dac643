"""评分模型 (model card): the credit-risk model's quality figures and versions, and switching the active one."""
from flask import abort, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from ..services import jobs, scoring
from . import bp


@bp.route("/models")
def model_card_active():
    versions = scoring.registry.versions(scoring.model_dir())
    active = next((v["version"] for v in versions if v["active"]), None)
    if active is None:
        return render_template("commission/model_card.html", m=None)
    return redirect(url_for(".model_card", version=active))


@bp.route("/models/<version>")
def model_card(version: str):
    try:
        m = scoring.model_card(version)
    except scoring.ScoringError:
        abort(404)
    return render_template("commission/model_card.html", m=m)


@bp.route("/models/rescore", methods=["POST"])
def rescore_all():
    """Re-score every platform firm with the active model (e.g. after a large import), as a background job."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    job = jobs.enqueue("score_all", current_user.id)
    return redirect(url_for(".job_page", job_id=job.id))


@bp.route("/models/<version>/activate", methods=["POST"])
def activate_model(version: str):
    """Make another version the active model and re-score every platform firm with it, in a background job
    (services/jobs.py), so the grades banks and firms see always come from the active model."""
    if version not in {v["version"] for v in scoring.registry.versions(scoring.model_dir())}:
        abort(404)
    job = jobs.enqueue("activate_model", current_user.id, version=version)
    return redirect(url_for(".job_page", job_id=job.id))
