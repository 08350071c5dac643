"""Money as people read it: integer yuan shown in 万元 / 亿元 — one helper for pages (the Jinja filters),
messages and exports (services never import the filters module)."""
from decimal import Decimal


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
