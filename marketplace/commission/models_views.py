"""评分模型 (model card): the credit-risk model's quality figures and versions, and switching the active one."""
import time

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ..extensions import db
from ..models import AuditLog
from ..services import scoring
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


@bp.route("/models/<version>/activate", methods=["POST"])
def activate_model(version: str):
    """Make another version the active model and re-score every platform firm with it at once, so the
    grades banks and firms see always come from the active model."""
    if version not in {v["version"] for v in scoring.registry.versions(scoring.model_dir())}:
        abort(404)
    scoring.activate(version)
    started = time.perf_counter()
    result = scoring.score_firms()
    db.session.add(AuditLog(actor_id=current_user.id, action="model.activated", object_type="model_version",
                            object_id=version[:64], detail={"scored": result["scored"], "as_of": str(result["as_of"])}))
    db.session.commit()
    flash(f"已启用模型 {version}，并已重新评分 {result['scored']:,} 家平台企业（用时 {time.perf_counter() - started:.1f} 秒）。",
          "success")
    return redirect(url_for(".model_card", version=version))
