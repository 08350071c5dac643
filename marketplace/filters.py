"""Jinja filters: money in 万元, local (Asia/Shanghai) times, code labels."""

from flask import request, url_for

from . import codes
from .money import wan, wan_number, yi  # noqa: F401 — registered below; services use money.py
from .services.workdays import SHANGHAI


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
    app.jinja_env.filters.update(wan=wan, yi=yi, wan_number=wan_number, local_time=local_time, extract=extract)
    app.jinja_env.globals.update(codes=codes, page_url=page_url)
