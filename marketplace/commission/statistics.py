"""Views of the commission's statistics: denominators (分母录入), the indicator dashboard, records and exports."""
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Optional

from .. import limits
from ..clock import add_months
from ..extensions import db
from ..inputs import BoundedDecimalField, CountField, arg, fits, month_arg
from ..models import AuditLog, CityFigure, ShareBatch
from ..services import (
    RuleViolation,
    breakdowns,
    denominators,
    exports,
    figure_cache,
    indicators,
    jobs,
    reports,
    sharing,
    workdays,
)
from ..web import download, select_choices, show_violation, to_job_page
from . import bp

SHARE_LABELS = sharing.RECORD_LABELS
RECORDS_PER_PAGE = 500
PERIOD_CHOICES = {"gdp:year": "GDP · 年度", "gdp:quarter": "GDP · 季度", "registered_enterprises:month": "在册企业数 · 月度"}


class FigureForm(FlaskForm):
    what = SelectField("指标", choices=select_choices(PERIOD_CHOICES))
    year = CountField("年份", validators=[InputRequired("请填写年份。")], bound=limits.YEAR)
    part = CountField("季度 / 月份（年度数据不填）", validators=[Optional()], bound=limits.PERIOD_PART)
    value = BoundedDecimalField("数值（GDP 单位：亿元；企业数单位：户）", bound=limits.FIGURE,
                                validators=[InputRequired("请填写数值。")])
    source = StringField("数据来源", validators=[Optional(), fits(CityFigure.source)])


@bp.route("/denominators", methods=["GET", "POST"])
def denominators_page():
    form = FigureForm()
    if form.validate_on_submit():
        kind, period_kind = form.what.data.split(":")
        # GDP is entered in 亿元 as the statistics bureau publishes it, stored in yuan.
        value = int(form.value.data * 100_000_000) if kind == "gdp" else int(form.value.data)
        try:
            start = denominators.period_start(period_kind, form.year.data, form.part.data or 1)
            denominators.set_figure(kind=kind, period_kind=period_kind, start=start, value=value,
                                    source=form.source.data, actor_id=current_user.id)
        except RuleViolation as e:
            show_violation(form, e, "value")
        else:
            flash("已保存，修改记录已写入审计日志。", "success")
            return redirect(url_for(".denominators_page"))
    figures = db.session.scalars(select(CityFigure).order_by(CityFigure.kind, CityFigure.period_start.desc())).all()
    history = db.session.scalars(select(AuditLog).where(AuditLog.action == "city_figure.set")
                                 .order_by(AuditLog.id.desc()).limit(50)).all()
    return render_template("commission/denominators.html", form=form, figures=figures, history=history,
                           kinds=denominators.KINDS, convention=denominators.MONTHLY_CONVENTION)


def _month_arg() -> date:
    """?month=YYYY-MM (a bad or absurd month is a 400), defaulting to the last full month in Shanghai."""
    return month_arg() or add_months(workdays.today(), -1)


def _scope_arg() -> str:
    scope = request.args.get("scope", "month")
    return scope if scope in indicators.SCOPES else "month"


@bp.route("/indicators")
def indicators_page():
    month, scope = _month_arg(), _scope_arg()
    figures, computed_at = reports.figures(month, scope)
    (balances, flows), flows_at = reports.balances_and_flows(month)
    return render_template("commission/indicators.html", month=month, scope=scope, scopes=indicators.SCOPES,
                           figures=figures, balances=balances.rows, flows=flows.rows,
                           computed_at=min(computed_at, flows_at), live=not figure_cache.is_closed(
                               indicators.Period(month)), share_batch=sharing.last_batch_for(month),
                           convention=denominators.MONTHLY_CONVENTION, definitions=indicators.DEFINITIONS)


@bp.route("/indicators/<code>")
def indicator_records(code: str):
    if code not in indicators.INDICATORS:
        abort(404)
    period = indicators.Period(_month_arg(), _scope_arg())
    table = indicators.records(code, period)
    fmt = request.args.get("format")
    if fmt in ("xlsx", "csv"):
        data = exports.to_xlsx([table]) if fmt == "xlsx" else exports.to_csv(table)
        return download(data, f"indicator-{code}-{period.month:%Y-%m}-{period.scope}.{fmt}")
    figure = indicators.figure(code, period)
    rows = list(table.records())
    pages = max(1, -(-len(rows) // RECORDS_PER_PAGE))
    page = min(arg("page", limits.PAGE, "页码", 1), pages)
    shown = rows[(page - 1) * RECORDS_PER_PAGE: page * RECORDS_PER_PAGE]
    return render_template("commission/indicator_records.html", figure=figure, table=table, rows=shown,
                           total=len(rows), period=period, code=code, page=page, pages=pages,
                           first=(page - 1) * RECORDS_PER_PAGE + 1,
                           definition=indicators.DEFINITIONS[code])


@bp.route("/indicators/report-job", methods=["POST"])
def indicators_report_job():
    """The monthly report pack built by a background job (large cities: the page does not wait)."""
    month = _month_arg()
    if not FlaskForm().validate_on_submit():
        abort(400)
    job = jobs.enqueue("report_pack", current_user.id, month=month.isoformat())
    return to_job_page(job)


@bp.route("/indicators/report.xlsx")
def indicators_report():
    month = _month_arg()
    return download(reports.monthly_pack(month), f"xinyidai-indicators-{month:%Y-%m}.xlsx")


@bp.route("/statistics")
def statistics_page():
    period = indicators.Period(_month_arg(), _scope_arg())
    tables, computed_at = breakdowns.analysis(period)
    return render_template("commission/statistics.html", period=period, scopes=indicators.SCOPES,
                           tables=tables, decisions=tables.pop("decisions"), computed_at=computed_at,
                           live=not figure_cache.is_closed(period))


@bp.route("/statistics/<key>.<fmt>")
def statistics_export(key: str, fmt: str):
    period = indicators.Period(_month_arg(), _scope_arg())
    tables, _ = breakdowns.analysis(period)
    tables.pop("decisions")
    if key not in tables or fmt not in ("xlsx", "csv"):
        abort(404)
    table = tables[key]
    data = exports.to_xlsx([table]) if fmt == "xlsx" else exports.to_csv(table)
    return download(data, f"statistics-{key}-{period.month:%Y-%m}-{period.scope}.{fmt}")


@bp.route("/sharing", methods=["GET", "POST"])
def sharing_page():
    form = FlaskForm()
    month = _month_arg()
    if form.validate_on_submit():
        job = jobs.enqueue("sharing_batch", current_user.id, month=month.isoformat())
        return to_job_page(job)
    batches = db.session.scalars(select(ShareBatch).order_by(ShareBatch.id.desc()).limit(100)).all()
    return render_template("commission/sharing.html", form=form, month=month, batches=batches,
                           new=sharing.new_counts(month), labels=SHARE_LABELS, fields=sharing.FIELDS)


@bp.route("/sharing/<int:batch_id>.<fmt>")
def sharing_download(batch_id: int, fmt: str):
    batch = db.session.get(ShareBatch, batch_id)
    if batch is None or fmt not in ("jsonl", "csv"):
        abort(404)
    try:
        return download(sharing.batch_file(batch, fmt), f"share-{batch.id}.{fmt}")
    except sharing.BatchFileMissing as e:
        flash(e.message, "danger")
        return redirect(url_for(".sharing_page"))


@bp.route("/sharing/<int:batch_id>/delivered", methods=["POST"])
def sharing_delivered(batch_id: int):
    batch = db.session.get(ShareBatch, batch_id)
    if batch is None:
        abort(404)
    if FlaskForm().validate_on_submit():
        sharing.mark_delivered(batch, current_user.id)
        flash(f"第 {batch.id} 批已标记为已报送。", "success")
    return redirect(url_for(".sharing_page"))
