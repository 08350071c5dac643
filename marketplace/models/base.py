"""Column types shared by every model: UTC timestamps and integer-yuan money."""
from datetime import UTC

from sqlalchemy import BigInteger, CheckConstraint, DateTime, TypeDecorator

from ..clock import now as utcnow  # noqa: F401 — the one clock (marketplace/clock.py), the models' defaults

IN_CHUNK = 900  # values per IN (…) list: SQLite caps bound parameters (and no list grows with the data)


def one_of(column: str, allowed, name: str | None = None) -> CheckConstraint:
    """CHECK (column IN (…)) generated from a codes.py list, so the database and the code share one copy."""
    values = ", ".join("'" + v.replace("'", "''") + "'" for v in allowed)
    return CheckConstraint(f"{column} IN ({values})", name=name or column)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetime stored in UTC; SQLite hands back naive values, so they are re-tagged."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware value")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Money is whole yuan in a 64-bit integer: 219亿元 does not fit in 32 bits.
Yuan = BigInteger


def text_length(column) -> int:
    """The one length limit of a text: its String(n) column's n (`text_length(Objection.description)`); the
    forms (inputs.fits), the API schemas and the services read it here."""
    n = column.property.columns[0].type.length
    assert n, f"{column} has no length: give the column a String(n)"
    return n
