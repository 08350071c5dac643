"""Matching needs (融资需求) with products (金融产品): hard eligibility, ranking, pre-approved lines.

The guarantee a need offers is a hard rule: a product that requires a mortgage, a pledge or a guarantor is
never offered to a firm that offers none. The approval likelihood shown is the platform's own record — how
often institutions granted applications to the same kind of product from firms of the same current grade —
and is not shown below MIN_DECISIONS decisions. The pre-approved line (预授信额度) is bounded by the firm's
12-month revenue from its tax records and by the product's own range, and is stated with its derivation.

Vectorised: one query of needs and one of products become two DataFrames, and every rule is a numpy
broadcast over the needs × products grid (in blocks of rows, so memory stays bounded at city scale).
The firm's grade comes from services/credit.current_grades (joined), serious-dishonesty lists from
credit.listed_usccs.
"""
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, func, select, true

from .. import codes
from ..extensions import db
from ..models import Enterprise, FinancingNeed, Institution, Product
from . import authorizations, credit
from .workdays import today

UNGRADED = 99  # grade rank of a firm without a score (未评级)
NO_MINIMUM = 100  # min-grade rank of a product without a minimum grade: admits everyone
GRADE_RANK = {g: i for i, g in enumerate(codes.GRADES)}
REGION_BIT = {c: 1 << i for i, c in enumerate(codes.REGIONS)}
INDUSTRY_BIT = {c: 1 << i for i, c in enumerate(codes.INDUSTRIES)}
SIZE_BIT = {c: 1 << i for i, c in enumerate(codes.SIZES)}
ALL = -1  # every bit set: an empty eligibility list means no restriction

# 预授信额度 = REVENUE_SHARE × the firm's last 12 months of revenue × its grade's factor, within the product's
# range; none while the firm owes tax or has no tax record. A working-capital line of about a quarter to a
# third of annual sales is what a bank's 流动资金贷款 estimate (营运资金需求) gives for a typical turnover.
REVENUE_SHARE = 0.3
LINE_FACTOR = np.array([1.0, 0.9, 0.8, 0.65, 0.5, 0.4, 0.3, 0.2, 0.1])
UNGRADED_LINE_FACTOR = 0.3
# Below this many decisions on similar applications no approval likelihood is shown (nor used in ranking).
MIN_DECISIONS = 10
# Ranking weights: fit of amount, fit of term, the firm's grade, price, approval likelihood.
WEIGHTS = {"amount": 0.25, "term": 0.15, "grade": 0.20, "rate": 0.20, "approval": 0.20}
BLOCK = 4096  # needs per block of the grid

RULE_LABELS = {
    "status": "企业经营状态异常（非存续）",
    "region": "所在区县不在产品准入范围",
    "industry": "所属行业不在产品准入范围",
    "size": "企业规模不在产品准入范围",
    "amount": "申请金额不在产品额度范围",
    "term": "申请期限不在产品期限范围",
    "years": "经营年限不足",
    "grade": "信用等级未达产品最低要求",
    "dishonesty": "企业在严重失信主体名单上",
    "guarantee": "产品要求的担保方式您未提供",
}


def _mask(values, bits: dict) -> int:
    if not values:
        return ALL
    m = 0
    for v in values:
        m |= bits.get(v, 0)
    return m


# ------------------------------------------------------------------------------------------- frames

PRODUCT_COLUMNS = ["product_id", "institution_id", "institution_name", "name", "kind", "amount_min", "amount_max",
                   "term_min", "term_max", "rate_min", "rate_max", "eligible_regions", "eligible_industries",
                   "eligible_sizes", "min_years", "min_grade", "dishonesty_rule", "online_only"]
GUARANTEE_CODES = {g: i + 1 for i, g in enumerate(codes.GUARANTEE_KINDS)}  # 0: not known (no need)


def products_frame(rows) -> pd.DataFrame:
    """Products as numbers: list rules become bit masks, the minimum grade a rank. Columns are built as
    arrays first and framed once (pandas per-column work dominates for small frames)."""
    cols = {c: [r[i] for r in rows] for i, c in enumerate(PRODUCT_COLUMNS)}
    cols["region_mask"] = np.array([_mask(v, REGION_BIT) for v in cols["eligible_regions"]], dtype=np.int64)
    cols["industry_mask"] = np.array([_mask(v, INDUSTRY_BIT) for v in cols["eligible_industries"]], dtype=np.int64)
    cols["size_mask"] = np.array([_mask(v, SIZE_BIT) for v in cols["eligible_sizes"]], dtype=np.int64)
    cols["min_rank"] = np.array([GRADE_RANK.get(g, NO_MINIMUM) if g else NO_MINIMUM for g in cols["min_grade"]],
                                dtype=np.int64)
    cols["min_grade"] = [g or "" for g in cols["min_grade"]]  # never None: pandas would show it as nan
    cols["guarantee"] = [codes.PRODUCT_GUARANTEE.get(k, "credit") for k in cols["kind"]]
    cols["guarantee_code"] = np.array([GUARANTEE_CODES[g] for g in cols["guarantee"]], dtype=np.int64)
    for c in ("rate_min", "rate_max"):
        cols[c] = np.array([float(v) for v in cols[c]], dtype=float)  # ranking only; stored rates stay Decimal
    for c in ("amount_min", "amount_max", "term_min", "term_max", "min_years", "product_id"):
        cols[c] = np.array(cols[c], dtype=np.int64)
    cols["block"] = np.array([r == "block" for r in cols["dishonesty_rule"]], dtype=bool)
    return pd.DataFrame(cols)


_PRODUCTS_CACHE: dict = {}


def _products_stmt():
    return (select(Product.id, Product.institution_id, Institution.name, Product.name, Product.kind,
                   Product.amount_min, Product.amount_max, Product.term_min, Product.term_max, Product.rate_min,
                   Product.rate_max, Product.eligible_regions, Product.eligible_industries,
                   Product.eligible_sizes, Product.min_years, Product.min_grade, Product.dishonesty_rule,
                   Product.online_only)
            .join(Institution).where(Product.status == "active").order_by(Product.id))


def load_products(product_ids=None, institution_id=None) -> pd.DataFrame:
    """Active products in one query. The whole catalogue is kept between calls while its fingerprint
    (count, newest change) is unchanged — one aggregate query instead of re-reading 250 JSON rows."""
    stmt = _products_stmt()
    if product_ids is not None or institution_id is not None:
        if product_ids is not None:
            stmt = stmt.where(Product.id.in_(list(product_ids)))
        if institution_id is not None:
            stmt = stmt.where(Product.institution_id == institution_id)
        return products_frame(db.session.execute(stmt).all())
    key = (str(db.engine.url), *db.session.execute(
        select(func.count(Product.id), func.max(Product.updated_at), func.max(Product.id))).one())
    cached = _PRODUCTS_CACHE.get("all")
    if cached is None or cached[0] != key:
        cached = (key, products_frame(db.session.execute(stmt).all()))
        _PRODUCTS_CACHE["all"] = cached
    return cached[1]


NEED_COLUMNS = ["need_id", "enterprise_id", "amount", "term_months", "uscc", "region_code", "industry", "size",
                "established_on", "operating_status", "guarantee"]


def needs_frame(rows, on: date, grades: dict | None = None, listed: set | None = None,
                tax: dict | None = None) -> pd.DataFrame:
    """Needs joined with their firm, as numbers: bits for region/industry/size, years, grade rank, listed,
    the guarantee offered, and the firm's 12-month tax summary (NaN without tax records).
    `grades` is {enterprise_id: (grade, pd)}, `tax` is credit.tax_summary's {uscc: {...}}."""
    grades = grades or {}
    listed = listed or set()
    tax = tax or {}
    cols = {c: [r[i] for r in rows] for i, c in enumerate(NEED_COLUMNS)}
    for c in ("need_id", "enterprise_id", "amount", "term_months"):
        cols[c] = np.array(cols[c], dtype=np.int64)
    cols["region_bit"] = np.array([REGION_BIT.get(v, 0) for v in cols["region_code"]], dtype=np.int64)
    cols["industry_bit"] = np.array([INDUSTRY_BIT.get(v, 0) for v in cols["industry"]], dtype=np.int64)
    cols["size_bit"] = np.array([SIZE_BIT.get(v, 0) for v in cols["size"]], dtype=np.int64)
    cols["years"] = np.array([(on - d).days / 365.25 if d else np.nan for d in cols["established_on"]], dtype=float)
    g = [grades.get(int(e), (None, None)) for e in cols["enterprise_id"]]
    cols["grade"] = [x[0] or "" for x in g]  # "" = 未评级 (None would become nan in pandas)
    cols["pd"] = np.array([np.nan if x[1] is None else float(x[1]) for x in g], dtype=float)
    cols["grade_rank"] = np.array([GRADE_RANK.get(x[0], UNGRADED) for x in g], dtype=np.int64)
    cols["listed"] = np.array([u in listed for u in cols["uscc"]], dtype=bool)
    cols["active"] = np.array([s == "active" for s in cols["operating_status"]], dtype=bool)
    cols["guarantee"] = [g or "" for g in cols["guarantee"]]
    cols["guarantee_code"] = np.array([GUARANTEE_CODES.get(g, 0) for g in cols["guarantee"]], dtype=np.int64)
    for key in ("revenue", "tax", "arrears"):
        cols[key] = np.array([tax[u][key] if u in tax else np.nan for u in cols["uscc"]], dtype=float)
    return pd.DataFrame(cols)


def _need_rows_stmt():
    return (select(FinancingNeed.id, FinancingNeed.enterprise_id, FinancingNeed.amount, FinancingNeed.term_months,
                   Enterprise.uscc, Enterprise.region_code, Enterprise.industry, Enterprise.size,
                   Enterprise.established_on, Enterprise.operating_status, FinancingNeed.guarantee)
            .join(Enterprise, Enterprise.id == FinancingNeed.enterprise_id)
            .where(FinancingNeed.status == "open"))


def load_needs(need_ids=None, on: date | None = None, where=None, assessed=None) -> pd.DataFrame:
    """Open needs with their firms and current grades in one query, plus list status and tax; `where` narrows
    the needs by an SQL condition. The firms' grades are joined, their list status and tax read by a select of
    the needs' USCCs: no id list that grows with the data. `assessed` (an SQL condition on the need's firm):
    only these firms' grade, list status and tax are read — the others' rows carry none (column `assessed`
    False: 未评级, not listed, no tax) and serve only what the firm published in its need."""
    on = on or today()
    conds = [] if where is None else [where]
    if need_ids is not None:
        conds.append(FinancingNeed.id.in_(list(need_ids)))
    grades = credit.current_grades()
    joined = grades.c.enterprise_id == FinancingNeed.enterprise_id
    rows = db.session.execute(_need_rows_stmt().add_columns(
        grades.c.grade, grades.c.pd, (assessed if assessed is not None else true()).label("assessed"))
        .outerjoin(grades, joined if assessed is None else and_(joined, assessed))
        .where(*conds).order_by(FinancingNeed.id)).all()
    if not rows:
        return needs_frame([], on).assign(assessed=np.array([], dtype=bool))
    usccs = select(Enterprise.uscc).join(FinancingNeed, FinancingNeed.enterprise_id == Enterprise.id).where(
        FinancingNeed.status == "open", *conds, *([] if assessed is None else [assessed]))
    listed = credit.listed_usccs(on, usccs)
    tax = credit.tax_summary(usccs, on)
    frame = needs_frame(rows, on, {r.enterprise_id: (r.grade, r.pd) for r in rows if r.grade is not None}, listed,
                        tax)
    frame["assessed"] = np.array([bool(r.assessed) for r in rows], dtype=bool)
    return frame


# ----------------------------------------------------------------------------------------- the grid

def rule_grid(n: pd.DataFrame, p: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each hard rule as a boolean needs × products array (True = passes)."""
    col = lambda s: s.to_numpy()[:, None]  # noqa: E731 — needs down the rows
    row = lambda s: s.to_numpy()[None, :]  # noqa: E731 — products across the columns
    amount, term = col(n["amount"]), col(n["term_months"])
    years = np.nan_to_num(col(n["years"]), nan=-1.0)
    listed = col(n["listed"])
    return {
        "status": np.broadcast_to(col(n["active"]), (len(n), len(p))),
        "region": (col(n["region_bit"]) & row(p["region_mask"])) != 0,
        "industry": (col(n["industry_bit"]) & row(p["industry_mask"])) != 0,
        "size": (col(n["size_bit"]) & row(p["size_mask"])) != 0,
        "amount": (row(p["amount_min"]) <= amount) & (amount <= row(p["amount_max"])),
        "term": (row(p["term_min"]) <= term) & (term <= row(p["term_max"])),
        "years": (row(p["min_years"]) <= 0) | (years >= row(p["min_years"])),
        "grade": col(n["grade_rank"]) <= row(p["min_rank"]),
        "dishonesty": ~(listed & row(p["block"])),
        # A credit product suits every firm; any other needs the very guarantee the firm offers.
        "guarantee": ((row(p["guarantee_code"]) == GUARANTEE_CODES["credit"])
                      | (row(p["guarantee_code"]) == col(n["guarantee_code"])) | (col(n["guarantee_code"]) == 0)),
    }


def eligible(n: pd.DataFrame, p: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(eligible, flagged): all hard rules pass; flagged = on a serious list of a product that only flags."""
    rules = rule_grid(n, p)
    ok = np.logical_and.reduce(list(rules.values()))
    flagged = ok & n["listed"].to_numpy()[:, None] & ~p["block"].to_numpy()[None, :]
    return ok, flagged


def _rate_position(n: pd.DataFrame) -> np.ndarray:
    """Where in a product's rate range a firm of this grade lands (0 best … 1 worst; 未评级 0.6)."""
    rank = n["grade_rank"].to_numpy()
    return np.where(rank < len(codes.GRADES), rank / (len(codes.GRADES) - 1), 0.6)[:, None]


def estimates(n: pd.DataFrame, p: pd.DataFrame) -> dict[str, np.ndarray]:
    """Estimated rate range and pre-approved line (预授信额度, yuan, whole 万元) per need × product."""
    pos = _rate_position(n)
    lo_r, hi_r = p["rate_min"].to_numpy()[None, :], p["rate_max"].to_numpy()[None, :]
    spread = hi_r - lo_r
    rank = n["grade_rank"].to_numpy()
    factor = np.where(rank < len(codes.GRADES), LINE_FACTOR[np.minimum(rank, len(LINE_FACTOR) - 1)],
                      UNGRADED_LINE_FACTOR)[:, None]
    amin, amax = p["amount_min"].to_numpy()[None, :], p["amount_max"].to_numpy()[None, :]
    revenue = n["revenue"].to_numpy(dtype=float)[:, None]
    owes_tax = (n["arrears"].to_numpy(dtype=float) > 0)[:, None]
    raw = np.nan_to_num(revenue, nan=0.0) * REVENUE_SHARE * factor
    base = np.floor(raw / 10_000) * 10_000  # whole 万元
    line = np.minimum(base, amax)
    line = np.where(np.isnan(revenue) | owes_tax | (line < amin), 0, line)  # 0: no pre-approved line
    return {"rate_low": lo_r + spread * np.clip(pos - 0.15, 0, 1),
            "rate_high": lo_r + spread * np.clip(pos + 0.15, 0, 1),
            "line": line.astype(np.int64), "line_base": np.broadcast_to(raw, line.shape),
            "factor": np.broadcast_to(factor, line.shape)}


def scores(n: pd.DataFrame, p: pd.DataFrame, history: pd.DataFrame | None = None) -> dict[str, np.ndarray]:
    """Ranking components in [0, 1] and the weighted total (history: decision_history(), read when None)."""
    amount = n["amount"].to_numpy(dtype=float)[:, None]
    amin, amax = p["amount_min"].to_numpy(dtype=float)[None, :], p["amount_max"].to_numpy(dtype=float)[None, :]
    la, lmin, lmax = np.log(np.maximum(amount, 1)), np.log(amin), np.log(amax)
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = np.where(lmax > lmin, (la - lmin) / (lmax - lmin), 0.5)
    amount_fit = 1 - np.abs(np.clip(pos, 0, 1) - 0.5)
    term = n["term_months"].to_numpy(dtype=float)[:, None]
    tmin, tmax = p["term_min"].to_numpy(dtype=float)[None, :], p["term_max"].to_numpy(dtype=float)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        tpos = np.where(tmax > tmin, (term - tmin) / (tmax - tmin), 0.5)
    term_fit = 1 - np.abs(np.clip(tpos, 0, 1) - 0.5)
    rank = n["grade_rank"].to_numpy()
    graded = rank < len(codes.GRADES)
    grade = np.where(graded, (len(codes.GRADES) - 1 - rank) / (len(codes.GRADES) - 1), 0.35)[:, None]
    est = estimates(n, p)
    rate = np.clip((15.0 - (est["rate_low"] + est["rate_high"]) / 2) / 12.0, 0, 1)
    granted, decided = decision_record(n, p, history)
    with np.errstate(divide="ignore", invalid="ignore"):
        approval = np.where(decided >= MIN_DECISIONS, granted / decided, np.nan)
    # Without a record the approval term is neutral (0.5) rather than a guess.
    total = (WEIGHTS["amount"] * amount_fit + WEIGHTS["term"] * term_fit + WEIGHTS["grade"] * grade
             + WEIGHTS["rate"] * rate + WEIGHTS["approval"] * np.nan_to_num(approval, nan=0.5))
    return {"amount_fit": amount_fit, "term_fit": term_fit, "grade": np.broadcast_to(grade, total.shape),
            "rate": rate, "approval": approval, "decided": decided, "granted": granted, "total": total, **est}


_HISTORY_CACHE: dict = {}


def _history_fingerprint() -> tuple:
    """Changes whenever the decision history can: an application added, removed or updated (every ORM update
    raises its optimistic-lock `version`), or a firm's current score row replaced. One statement of two
    index-only aggregates (ix_applications_version, uq_enterprise_current_scores_score_id): a few ms at city
    scale, instead of the ~60–160 ms of grouping every decided application of the city on each page view."""
    from ..models import Application, CurrentScore

    apps = select(func.count().label("n"), func.coalesce(func.sum(Application.version), 0).label("versions")
                  ).select_from(Application).subquery()
    scores_ = select(func.count().label("n"), func.coalesce(func.sum(CurrentScore.score_id), 0).label("ids")
                     ).select_from(CurrentScore).subquery()
    return str(db.engine.url), *db.session.execute(select(apps, scores_).join_from(apps, scores_, true())).one()


def decision_history() -> pd.DataFrame:
    """The platform's own decisions: per product kind and the applicant's current grade ("" = 未评级), how
    many applications were decided and how many granted — one grouped query over every decided application,
    kept between calls while _history_fingerprint() is unchanged (the figure is the query's, never a second
    tally kept beside the applications: a re-scoring moves a firm's past decisions to its new grade)."""
    key = _history_fingerprint()
    cached = _HISTORY_CACHE.get("history")
    if cached is None or cached[0] != key:
        cached = (key, _decision_history())
        _HISTORY_CACHE["history"] = cached
    return cached[1].copy()


def _decision_history() -> pd.DataFrame:
    from ..models import Application
    from .applications import BANK_GRANTED_STATUSES, DECIDED_STATUSES  # the state machine's own lists

    grades = credit.current_grades()
    granted = func.sum(case((Application.status.in_(BANK_GRANTED_STATUSES), 1), else_=0))
    rows = db.session.execute(
        select(Product.kind, grades.c.grade, func.count(Application.id), granted)
        .join(Product, Product.id == Application.product_id)
        .outerjoin(grades, grades.c.enterprise_id == Application.enterprise_id)
        .where(Application.status.in_(DECIDED_STATUSES)).group_by(Product.kind, grades.c.grade)).all()
    return pd.DataFrame([(k, g or "", int(d), int(a or 0)) for k, g, d, a in rows],
                        columns=["kind", "grade", "decided", "granted"])


def decision_record(n: pd.DataFrame, p: pd.DataFrame, history: pd.DataFrame | None = None):
    """(granted, decided) needs × products: decisions on the same product kind for firms of the same grade."""
    h = decision_history() if history is None else history
    kinds = {k: i for i, k in enumerate(codes.PRODUCT_KINDS)}
    grades = {g: i for i, g in enumerate(("", *codes.GRADES))}
    table = np.zeros((2, len(grades), len(kinds)))
    for r in h.itertuples():
        if r.kind in kinds and r.grade in grades:
            table[:, grades[r.grade], kinds[r.kind]] += (r.granted, r.decided)
    gi = np.array([grades.get(g, 0) for g in n["grade"]], dtype=np.int64)
    ki = np.array([kinds.get(k, 0) for k in p["kind"]], dtype=np.int64)
    return table[0][gi][:, ki], table[1][gi][:, ki]


# ------------------------------------------------------------------------------------ what callers use

@dataclass
class Recommendation:
    product_id: int
    name: str
    institution_name: str
    kind: str
    score: float
    approval: float | None  # share granted of similar decided applications; None below MIN_DECISIONS
    decided: int  # how many similar applications the platform decided
    rate_low: float
    rate_high: float
    line: int  # 预授信额度, yuan; 0 = no pre-approved line (line_basis says why)
    line_basis: str
    online_only: bool
    flagged: bool
    reasons: list[str] = field(default_factory=list)


def _why(need: pd.Series, prod: pd.Series, flagged: bool) -> list[str]:
    from ..money import wan

    out = [f"额度 {wan(prod.amount_min)}–{wan(prod.amount_max)} 万元，覆盖您需要的 {wan(need.amount)} 万元",
           f"期限 {prod.term_min}–{prod.term_max} 个月，覆盖 {need.term_months} 个月"]
    if prod.guarantee == "credit":
        out.append("纯信用产品，无需抵押或担保")
    else:
        out.append(f"产品要求{codes.GUARANTEE_KINDS[prod.guarantee]}，与您提供的担保方式一致")
    if need.grade and prod.min_grade:
        out.append(f"您的信用等级 {need.grade} 达到产品要求的 {prod.min_grade} 级")
    elif not prod.min_grade:
        out.append("不设最低信用等级" + ("（您尚未评级）" if not need.grade else ""))
    restricted = [name for name, v in (("区县", prod.eligible_regions), ("行业", prod.eligible_industries),
                                       ("规模", prod.eligible_sizes)) if v]
    out.append(f"符合产品的{'、'.join(restricted)}准入要求" if restricted else "不限区县、行业和规模")
    if prod.online_only:
        out.append("全流程线上办理")
    if flagged:
        out.append("注意：企业在严重失信主体名单上，该产品需人工审核")
    return out


def line_basis(need: pd.Series, prod: pd.Series, line: int, base: float, factor: float) -> str:
    """How the pre-approved line was derived, in the words the firm reads on its recommendations."""
    from ..money import wan

    if np.isnan(need.revenue):
        return "平台尚无贵企业近12个月的纳税数据，暂不测算预授信额度，以银行审批为准。"
    if need.arrears > 0:
        return f"贵企业目前有欠税 {wan(need.arrears)} 万元，清缴后方可测算预授信额度。"
    grade = f"信用等级 {need.grade} 系数 {factor:g}" if need.grade else f"未评级系数 {factor:g}"
    text = f"近12个月营业收入 {wan(need.revenue)} 万元 × {REVENUE_SHARE:.0%} × {grade} = {wan(base)} 万元"
    whole = int(base // 10_000) * 10_000
    if whole != int(base) and line:
        text += f"，取整为 {wan(whole)} 万元"
    if line == 0:
        return text + f"，低于产品最低额度 {wan(prod.amount_min)} 万元，暂无预授信额度。"
    if line < whole:
        return text + f"，以产品最高额度 {wan(prod.amount_max)} 万元为限。"
    return text + "。"


def recommend_for_need(need_id: int, limit: int = 10, products: pd.DataFrame | None = None) -> list[Recommendation]:
    """Eligible products for one open need, best first, each with why it fits, the estimated rate range
    and the pre-approved line."""
    n = load_needs([need_id])
    if n.empty:
        return []
    p = load_products() if products is None else products
    if p.empty:
        return []
    ok, flagged = eligible(n, p)
    s = scores(n, p)
    total = np.where(ok[0], s["total"][0], -np.inf)
    order = [j for j in np.lexsort((p["product_id"].to_numpy(), p["rate_min"].to_numpy(), -total)) if ok[0, j]]
    need = n.iloc[0]
    out, seen = [], set()
    for j in order:
        prod = p.iloc[j]
        if (prod.institution_name, prod["name"]) in seen:  # one institution's same-named products: the best one
            continue
        seen.add((prod.institution_name, prod["name"]))
        approval = s["approval"][0, j]
        line = int(s["line"][0, j])
        out.append(Recommendation(
            product_id=int(prod.product_id), name=prod["name"], institution_name=prod.institution_name,
            kind=prod.kind, score=float(total[j]), approval=None if np.isnan(approval) else float(approval),
            decided=int(s["decided"][0, j]),
            rate_low=round(float(s["rate_low"][0, j]), 2), rate_high=round(float(s["rate_high"][0, j]), 2),
            line=line, line_basis=line_basis(need, prod, line, float(s["line_base"][0, j]), float(s["factor"][0, j])),
            online_only=bool(prod.online_only), flagged=bool(flagged[0, j]),
            reasons=_why(need, prod, bool(flagged[0, j]))))
        if len(out) == limit:
            break
    return out


def check_eligibility(firm: Enterprise, products: list[Product], amount: int, term_months: int,
                      on: date | None = None) -> dict[int, dict]:
    """{product_id: {"failed": [Chinese rule labels], "flagged": bool}} for one firm applying with
    this amount and term — the same rules as the grid."""
    on = on or today()
    scores_ = credit.current_scores([firm.id])
    grades = {k: (s.grade, float(s.pd)) for k, s in scores_.items()}
    n = needs_frame([(0, firm.id, amount, term_months, firm.uscc, firm.region_code, firm.industry, firm.size,
                      firm.established_on, firm.operating_status, "")], on, grades,
                    credit.listed_usccs(on, [firm.uscc]))
    p = products_frame([(x.id, x.institution_id, "", x.name, x.kind, x.amount_min, x.amount_max, x.term_min,
                         x.term_max, x.rate_min, x.rate_max, x.eligible_regions, x.eligible_industries,
                         x.eligible_sizes, x.min_years, x.min_grade, x.dishonesty_rule, x.online_only)
                        for x in products])
    rules = rule_grid(n, p)
    _, flagged = eligible(n, p)
    return {int(pid): {"failed": [RULE_LABELS[r] for r, grid in rules.items() if not grid[0, j]],
                       "flagged": bool(flagged[0, j])}
            for j, pid in enumerate(p["product_id"])}


def match_all(top_k: int = 5, on: date | None = None, products: pd.DataFrame | None = None,
              needs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every open need × every active product: the top_k eligible products of each need, as a DataFrame
    need_id, product_id, rank (1 = best), score, approval, line. One query each for needs and products."""
    n_all = load_needs(on=on) if needs is None else needs
    p = load_products() if products is None else products
    parts = []
    if n_all.empty or p.empty:
        return pd.DataFrame(columns=["need_id", "product_id", "rank", "score", "approval", "line"])
    pid = p["product_id"].to_numpy()
    k = min(top_k, len(p))
    history = decision_history()
    for start in range(0, len(n_all), BLOCK):
        n = n_all.iloc[start:start + BLOCK]
        ok, _ = eligible(n, p)
        s = scores(n, p, history)
        total = np.where(ok, s["total"], -np.inf)
        top = np.argpartition(-total, k - 1, axis=1)[:, :k]
        top_scores = np.take_along_axis(total, top, axis=1)
        order = np.argsort(-top_scores, axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        top_scores = np.take_along_axis(top_scores, order, axis=1)
        rows_idx = np.repeat(np.arange(len(n)), k)
        cols_idx = top.ravel()
        keep = np.isfinite(top_scores.ravel())
        parts.append(pd.DataFrame({
            "need_id": n["need_id"].to_numpy()[rows_idx][keep],
            "product_id": pid[cols_idx][keep],
            "rank": np.tile(np.arange(1, k + 1), len(n))[keep],
            "score": top_scores.ravel()[keep],
            "approval": s["approval"][rows_idx, cols_idx][keep],
            "line": s["line"][rows_idx, cols_idx][keep],
        }))
    return pd.concat(parts, ignore_index=True)


MATCH_COLUMNS = ["need_id", "enterprise_id", "authorized", "amount", "term_months", "guarantee", "urgency", "purpose",
                 "created_at", "region_code", "industry", "size", "grade", "score", "approval", "flagged"]
FIRM_COLUMNS = ["region_code", "industry", "size", "grade", "score", "approval", "flagged"]


def needs_for_institution(institution_id: int, per_product: int = 20, on: date | None = None) -> dict:
    """需求撮合 for a bank: {product_id: (product row, DataFrame of fitting needs)}.

    What the bank may see is decided by the firm's authorization (services/authorizations): needs of firms
    that authorized this institution are matched on every rule and ranked by score, with their grade and
    attributes; needs of the others are matched on what the firm published in the need alone (amount and
    term inside the product's ranges), newest first, and carry nothing else — no grade, score, list flag,
    district, industry or size, so not even eligibility rules on them leak into the list."""
    p = load_products(institution_id=institution_id)
    out = {}
    if p.empty:
        return out
    # Only the authorizing firms' grades, lists and tax are read (joined in SQL): the others show their need alone.
    n = load_needs(on=on, assessed=FinancingNeed.enterprise_id.in_(authorizations.authorizing(institution_id)))
    if n.empty:
        return {int(r.product_id): (r, pd.DataFrame(columns=MATCH_COLUMNS)) for r in p.itertuples()}
    is_auth = n["assessed"].to_numpy()
    ok, flagged = eligible(n, p)
    rules = rule_grid(n, p)
    terms_ok = rules["amount"] & rules["term"]
    s = scores(n, p)
    need_ids = n["need_id"].to_numpy()
    firm = {c: n[c].tolist() for c in ("enterprise_id", "region_code", "industry", "size", "grade")}  # read per row
    shown_per_product = []
    for j in range(len(p)):
        auth_idx = np.flatnonzero(ok[:, j] & is_auth)
        auth_idx = auth_idx[np.argsort(-s["total"][auth_idx, j], kind="stable")]
        anon_idx = np.flatnonzero(terms_ok[:, j] & ~is_auth)
        anon_idx = anon_idx[np.argsort(-need_ids[anon_idx], kind="stable")]
        shown = [(int(i), True) for i in auth_idx[:per_product]]
        shown += [(int(i), False) for i in anon_idx[:per_product - len(shown)]]
        shown_per_product.append(shown)
    # What the firms published, read for the needs shown only (at most per_product per product).
    wanted = sorted({int(need_ids[i]) for shown in shown_per_product for i, _ in shown})
    published = {}
    for part in credit.in_parts(wanted):
        published.update((r.id, r) for r in db.session.execute(select(
            FinancingNeed.id, FinancingNeed.amount, FinancingNeed.term_months, FinancingNeed.guarantee,
            FinancingNeed.urgency, FinancingNeed.purpose, FinancingNeed.created_at)
            .where(FinancingNeed.id.in_(part))))
    for j, prod in enumerate(p.itertuples()):
        rows = []
        for i, shown in shown_per_product[j]:
            need = published[int(need_ids[i])]
            row = {"need_id": need.id, "authorized": shown,
                   "enterprise_id": int(firm["enterprise_id"][i]) if shown else None,
                   "amount": need.amount, "term_months": need.term_months, "guarantee": need.guarantee,
                   "urgency": need.urgency, "purpose": need.purpose, "created_at": need.created_at}
            if shown:
                row.update(region_code=firm["region_code"][i], industry=firm["industry"][i],
                           size=firm["size"][i], grade=firm["grade"][i], score=float(s["total"][i, j]),
                           approval=float(s["approval"][i, j]), flagged=bool(flagged[i, j]))
            else:
                row.update({c: None for c in FIRM_COLUMNS})
            rows.append(row)
        out[int(prod.product_id)] = (prod, pd.DataFrame(rows, columns=MATCH_COLUMNS))
    return out
