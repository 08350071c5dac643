"""The current instant (UTC-aware), one place so tests can reason about it."""
from ..models.base import utcnow


def now():
    return utcnow()
