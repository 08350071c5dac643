"""Jinja filters: money in 万元, local (Asia/Shanghai) times, code labels."""
from datetime import UTC, datetime
from decimal import Decimal

from flask import request, url_for

from . import codes
from .services.workdays import SHANGHAI


def wan(yuan) -> str:
    """Integer yuan shown as 万元 with up to two decimals (1,234.5 万元 → '1,234.5')."""
    if yuan is None:
        return "—"
    value = (Decimal(int(yuan)) / Decimal(10000)).quantize(Decimal("0.01"))
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text


def yi(yuan) -> str:
    """Integer yuan shown as 亿元 with two decimals."""
    if yuan is None:
        return "—"
    return f"{Decimal(int(yuan)) / Decimal(100_000_000):,.2f}"


def wan_number(yuan) -> float:
    """Integer yuan as a plain number of 万元 for charts."""
    return round(int(yuan or 0) / 10000, 2)


def local_time(value, fmt="%Y-%m-%d %H:%M") -> str:
    """A stored (UTC) moment in Beijing time; ISO text (model registry files) is read first, naive = UTC."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
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
    app.jinja_env.filters.update(wan=wan, yi=yi, wan_number=wan_number, local_time=local_time, extract=extract)
    app.jinja_env.globals.update(codes=codes, page_url=page_url)
