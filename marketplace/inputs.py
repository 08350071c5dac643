"""Where the web pages read numbers and text from a user, each bounded by marketplace/limits.py: the form
fields (万元, rates, ids, counts), the text-length validator that reads the model column, query-string
arguments, the `<int:…>` URL converter, and the guard that refuses NUL characters in any request."""
import secrets
from datetime import date

from flask import request
from flask_wtf import FlaskForm
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter
from wtforms import DateField, DecimalField, HiddenField, IntegerField
from wtforms.validators import Length

from . import limits
from .models.base import text_length
from .services import workdays


class BadInput(BadRequest):
    """A 400 whose Chinese description is shown on the error page (or in the API's JSON error)."""


# ------------------------------------------------------------------------------------------ form fields

class _BoundedMixin:
    """Parses with `limits.Bound.parse`: non-numbers, Infinity/NaN, too many decimals and values out of
    range become a field error in Chinese; an empty input leaves `data` None for the required validators."""

    bound: limits.Bound

    def __init__(self, label=None, validators=None, *, bound: limits.Bound | None = None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.bound = bound or self.bound

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        try:
            self.data = self.bound.parse(valuelist[0])
        except ValueError as e:
            raise ValueError(f"{self.label.text}{e}") from None


class BoundedDecimalField(_BoundedMixin, DecimalField):
    """A decimal number in `bound` (e.g. `bound=limits.FIGURE`); `data` is a Decimal."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.places = self.bound.places


class WanField(BoundedDecimalField):
    """An amount in 万元 (two decimals, 0.01 … 1,000亿元); `data` is a Decimal of 万元."""

    bound = limits.WAN


class RateField(BoundedDecimalField):
    """An annual interest rate in % (three decimals, 0.001 … 36)."""

    bound = limits.RATE


class CountField(_BoundedMixin, IntegerField):
    """A whole number in a bound: months of a term by default; pass `bound=limits.LOAN_COUNT` etc."""

    bound = limits.TERM_MONTHS


class DayField(DateField):
    """A calendar date (YYYY-MM-DD) between 2000 and 2100."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(f"{self.label.text}应为 YYYY-MM-DD 格式的日期。") from None
        if self.data is not None and not date(int(limits.YEAR.lo), 1, 1) <= self.data <= date(int(limits.YEAR.hi), 12, 31):
            self.data = None
            raise ValueError(f"{self.label.text}应在 {limits.YEAR.lo} 年至 {limits.YEAR.hi} 年之间。")


def fits(column, minimum: int = 0) -> Length:
    """The form's length limit is the column's: `fits(Enterprise.name)` (one limit for form and column)."""
    n = text_length(column)
    message = f"最多{n}个字符。" if not minimum else f"应为{minimum}–{n}个字符。"
    return Length(min=minimum or -1, max=n, message=message)


def new_token() -> str:
    return secrets.token_urlsafe(18)


class OnceForm(FlaskForm):
    """A form whose submission carries a one-time token (services/submissions.py): a double click or a
    resent POST creates nothing twice."""

    submission = HiddenField(default=new_token)


# ----------------------------------------------------------------------------------- query-string args

def arg(name: str, bound: limits.Bound, label: str, default=None, *, values=None):
    """A number from the query string (or `values`), checked against its bound; absent or empty → default,
    anything else unparseable or out of range → 400 with a Chinese message."""
    raw = (request.args if values is None else values).get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return bound.parse(raw)
    except ValueError as e:
        raise BadInput(f"参数“{label}”{e}") from None


def id_list(name: str, *, values=None) -> list[int]:
    """Several ids (e.g. ?product_ids=3&product_ids=5): any bad one → 400."""
    out = []
    for raw in (request.values if values is None else values).getlist(name):
        try:
            out.append(limits.ID.parse(raw))
        except ValueError as e:
            raise BadInput(f"参数“{name}”{e}") from None
    return out


def month_arg(name: str = "month") -> date | None:
    """?month=YYYY-MM within limits.FIRST_MONTH … LAST_MONTH; None when absent; 400 otherwise."""
    raw = request.args.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        return workdays.parse_month(raw)
    except ValueError as e:
        raise BadInput(str(e)) from None


# ------------------------------------------------------------------------------------------ URL and NUL

class IdConverter(IntegerConverter):
    """`<int:…>` in every route: 1 … 2³¹−1, anything else is a 404 before a view runs."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits, int(limits.ID.lo) if min is None else min,
                         int(limits.ID.hi) if max is None else max, signed)


def _refuse_nul():
    """No text the platform stores or queries may contain NUL (PostgreSQL refuses it with a 500)."""
    if "\x00" in request.path or any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)):
        raise BadInput("请求中含有不允许的空字符（NUL），请删除后重试。")
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data") and any(
            "\x00" in k or "\x00" in v for k, v in request.form.items(multi=True)):
        raise BadInput("提交的内容含有不允许的空字符（NUL），请删除后重试。")


def init_app(app) -> None:
    """Register the id converter (before any blueprint) and the NUL guard; WTForms speaks Chinese."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(_refuse_nul)
    # WTForms' own messages ("Not a valid choice.") in its shipped Chinese catalogue; Flask-WTF's i18n
    # would need Flask-Babel, so it is switched off in favour of WTForms' `locales`.
    app.config.setdefault("WTF_I18N_ENABLED", False)
    FlaskForm.Meta.locales = ("zh",)
