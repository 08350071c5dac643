"""Jinja filters: money in 万元, local (Asia/Shanghai) times, code labels."""

from decimal import Decimal

from flask import request, url_for

from . import codes
from .money import wan, wan_number, yi  # noqa: F401 — registered below; services use money.py
from .services.workdays import SHANGHAI


def half_up(value, places: int = 2) -> str:
    """四舍五入 to `places` decimals (8.25 → '8.3' at one place), with thousands separators."""
    from .services.indicators import half_up as quantize

    if value is None:
        return "—"
    return f"{quantize(value, places):,}"


def pct(ratio, places: int = 2) -> str:
    """A ratio as a percentage, rounded half up; a tiny non-zero ratio gets more places (or ‱) so it can be read."""
    if ratio is None:
        return "—"
    value = Decimal(str(ratio)) * 100
    while places < 6 and value and abs(value) < Decimal(1).scaleb(-places + 1):
        places += 1
    return f"{half_up(value, places)}%"


def local_time(value, fmt="%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    return value.astimezone(SHANGHAI).strftime(fmt)


def extract(key, mapping: dict):
    """Label of a code: {{ codes_list|map('extract', codes.REGIONS) }}."""
    return mapping.get(key, key)


def page_url(page: int) -> str:
    """The current page's URL with only ?page= changed (keeps the filters)."""
    args = request.args.to_dict()
    args["page"] = page
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def init_app(app):
    app.jinja_env.filters.update(half_up=half_up, pct=pct, wan=wan, yi=yi, wan_number=wan_number, local_time=local_time, extract=extract)
    app.jinja_env.globals.update(codes=codes, page_url=page_url)
