"""Small helpers shared by the HTML blueprints."""
import io
from decimal import Decimal

from flask import abort, flash, send_file

from .services import RuleViolation, ownership, workflow


def wan_to_yuan(wan) -> int:
    """An amount typed in 万元 (a Decimal or int from a form) as integer yuan."""
    return int((Decimal(wan) * 10000).to_integral_value())


def yuan_to_wan(yuan: int) -> Decimal:
    """Integer yuan as the 万元 a form field shows."""
    return Decimal(yuan) / 10000


def show_violation(form, error: RuleViolation, default_field: str) -> None:
    """Put a service's Chinese message under the form field it concerns."""
    field = getattr(form, error.field or default_field, None) or getattr(form, default_field)
    field.errors = list(field.errors) + [error.message]


def show_refusal(form, error: RuleViolation, default_field: str) -> None:
    """A refused decision coming back to its page with what was typed: the message beside the field it
    concerns; a concurrent change (nothing the user typed is wrong) as a flash above the page."""
    if isinstance(error, workflow.ConcurrentChange) or error.field == "version":
        flash(error.message, "danger")
    else:
        show_violation(form, error, default_field)


def get_owned_or_404(model, object_id: int, **owner):
    """The row with this id if its owner columns match (e.g. enterprise_id=…); 404 otherwise, never 403,
    so that ids of other firms' records are not confirmed to exist."""
    try:
        return ownership.owned(model, object_id, **owner)
    except ownership.NotOwned:
        abort(404)


def select_choices(mapping: dict, prompt: str | None = None, *, show_code: bool = False) -> list:
    """WTForms choices from a code → label mapping, with an optional empty first option."""
    from wtforms.fields.choices import SelectChoice

    options = [SelectChoice("", prompt)] if prompt else []
    return options + [SelectChoice(k, f"{k} {v}" if show_code else v) for k, v in mapping.items()]


DOWNLOAD_TYPES = {
    "csv": "text/csv",  # Werkzeug adds "; charset=utf-8" to every text/* type (naming it here doubled it)
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jsonl": "application/x-ndjson",
}


def download(data, filename: str):
    """A file to save, for every download of the site: bytes built for this request, or a file written
    earlier (a background job's result, a Path). The name may be Chinese: Werkzeug writes the RFC 6266 /
    5987 header (an ASCII `filename=` fallback and `filename*=UTF-8''…`); a raw non-Latin-1 name in
    Content-Disposition is refused by gunicorn with a 500."""
    mimetype = DOWNLOAD_TYPES.get(filename.rsplit(".", 1)[-1].lower(), "application/octet-stream")
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    return send_file(source, mimetype=mimetype, as_attachment=True, download_name=filename)


def to_job_page(job):
    """After a background job is queued: say so, and show its page (progress, outcome)."""
    from flask import flash, redirect, url_for

    flash("已提交后台任务：本页显示进度和结果，可以离开本页，稍后在“后台任务”中查看。", "info")
    return redirect(url_for("commission.job_page", job_id=job.id))
