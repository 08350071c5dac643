"""The bounds of every number, month and text the platform reads from a user — defined once here and read
by the form fields, the query-string and URL parsers (marketplace/inputs.py), the API schemas
(marketplace/api/schemas.py) and the services.

A number outside its bound is refused where it is parsed with a Chinese message; nothing unbounded ever
reaches SQL (PostgreSQL answers an integer ≥ 2³¹ in an id column, or NaN in a NUMERIC, with a 500).
Text lengths live on the model columns (String(n)); `TEXT` names the lengths of the long texts once.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True)
class Bound:
    """An inclusive range and a number of decimal places (0: an integer). `parse` is the one parser."""

    lo: Decimal
    hi: Decimal
    places: int = 0

    @property
    def integer(self) -> bool:
        return self.places == 0

    def describe(self) -> str:
        kind = "整数" if self.integer else f"数（最多{self.places}位小数）"
        return f"应为 {_show(self.lo)} 至 {_show(self.hi)} 之间的{kind}"

    def parse(self, raw) -> int | Decimal:
        """A number typed by a user (str, int or Decimal), checked; ValueError with a Chinese message."""
        if isinstance(raw, bool) or raw is None:
            raise ValueError(self.describe() + "。")
        text = str(raw).strip().replace(",", "")
        try:
            value = Decimal(text)
        except (InvalidOperation, ValueError):
            raise ValueError(self.describe() + "。") from None
        if not value.is_finite() or not self.lo <= value <= self.hi:
            raise ValueError(self.describe() + "。")
        step = Decimal(1).scaleb(-self.places)
        if value != value.quantize(step):
            raise ValueError(self.describe() + "。")
        return int(value) if self.integer else value.quantize(step)


def _show(value: Decimal) -> str:
    return f"{value:,}" if value == value.to_integral_value() else str(value)


def _bound(lo, hi, places=0) -> Bound:
    return Bound(Decimal(str(lo)), Decimal(str(hi)), places)


# Primary keys are PostgreSQL `integer` columns.
ID = _bound(1, 2**31 - 1)
# Money: 0.01 万元 … 1,000亿元 (anything above is a typing error, not an SME loan); yuan on the API.
WAN = _bound("0.01", 10_000_000, 2)
WAN_OR_ZERO = _bound(0, 10_000_000, 2)  # 注册资本 may be 0 (认缴 not yet stated)
YUAN = _bound(1, 100_000_000_000)
RATE = _bound("0.001", 36, 3)  # annual %, the platform's ceiling for 信易贷 products
TERM_MONTHS = _bound(1, 360)
LOAN_COUNT = _bound(1, 100_000)
DAYS_PAST_DUE = _bound(1, 365)  # a product's 逾期多少天认定为不良
YEARS = _bound(0, 100)  # years in operation a product requires
VERSION = ID  # an application's optimistic-lock version
PAGE = _bound(1, 10_000)
PER_PAGE = _bound(1, 200)
YEAR = _bound(2000, 2100)
PERIOD_PART = _bound(1, 12)  # quarter or month of a denominator
FIGURE = _bound("0.0001", 100_000_000, 4)  # a denominator: GDP in 亿元 or a count of firms

# Months the statistics, indicator, sharing and report pages accept.
FIRST_MONTH, LAST_MONTH = date(2000, 1, 1), date(2100, 12, 1)

# Lengths of the long texts users write (the columns are String(n) of these; forms read the columns).
TEXT = {
    "purpose": 500,  # 资金用途
    "description": 2000,  # 产品介绍
    "note": 500,  # 拒绝说明, 不良认定说明, 核验意见
    "objection": 2000,  # 异议理由, 处理意见
    "evidence": 2000,  # 信用修复的证明材料, 未履行承诺的事实及证据
    "decision": 2000,  # 审核意见: 信用修复, 风险补偿代偿
    "signoff": 500,  # 模型启用签批理由
}
