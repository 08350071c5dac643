"""Small helpers shared by the HTML blueprints."""
from decimal import Decimal

from flask import abort

from .services import RuleViolation, ownership


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
