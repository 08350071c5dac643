"""The synthetic city's department data: registry, tax, social insurance, provident fund, utilities,
penalties, list entries — and the known default-generating process behind them.

Pure numpy / pandas, no database. ``generate`` returns a dict of DataFrames with the columns of
/work/CONTRACT.md (marketplace/models/credit_data.py without ids and batch ids); ``generate_chunks``
yields the same city a slice of firms at a time, so a Jinan-scale city (580,000 firms × 24 months)
is produced with bounded memory. A firm's records depend only on (seed, firm number, months, as_of):
the same seed gives the same city however it is chunked, and a city of n firms is the first n firms of
any larger one. The registry holds the firms of ``seed.city.enterprise_chunks(n, seed)``.

The business-health process
---------------------------
Each firm i has a latent health h[i, t] for the months t = 1..T ending at the as-of month:

    h[i, t] = mu[i] + x[i, t] + d[i, t]
    mu[i]   = 0.8·N(0,1) + industry effect + size effect − 0.3·[firm younger than 2 years]
    x[i, t] = 0.85·x[i, t−1] + 0.30·N(0,1)                 (AR(1), stationary start)
    d[i, t] = −0.12·max(0, t − k[i])                        (a downturn from month k for ~10 % of firms;
                                                              every revoked / cancelled / suspended firm)

Every source is a noisy reading of h, which is what makes them move together:

* revenue ∝ headcount·productivity·exp(0.6·(h − mu))·season (Spring Festival dip in Jan/Feb, industry-specific
  peaks); productive firms are healthier (productivity carries 0.3·mu);
* profit margin = industry margin + 0.05·h (+ noise) → quarterly income tax (Jan/Apr/Jul/Oct, on the
  previous quarter) at 5 % (small and micro firms) or 25 %; VAT ≈ industry rate × revenue, unpaid with
  probability σ(−3.5 − 2h), unpaid tax accumulates in ``arrears`` (70 % carried month to month);
* insured headcount follows a slow average of h (firms shed staff after trouble starts); social insurance
  is paid short with probability σ(−3.2 − 2h), ``months_in_arrears`` counts consecutive short months;
* provident fund: joined by more of the larger and healthier firms, missed with probability σ(−3 − 2h);
* utilities (electricity and water for all firms, gas for manufacturing, catering, energy and some
  others): usage ∝ activity^0.7 with weather seasonality, paid late with probability σ(−2.8 − 1.6h);
* administrative penalties: monthly probability ≈ industry base × exp(−0.9h), severity worse when h is low;
* negative lists (失信被执行人, 重大税收违法, 严重违法失信, 拖欠农民工工资, 经营异常名录): monthly entry
  hazard σ(a − b·h), some entries end after a drawn duration; red lists: A级纳税人 follows the yearly
  tax grade (published each April), 守合同重信用 goes to some of the healthiest firms;
* tax grade (yearly): mean h of the year plus noise, cut at thresholds (D also after a major tax
  violation; M for firms younger than one year).

The default-generating process
------------------------------
Each firm's probability of defaulting within 12 months after ``as_of`` is

    true_pd = σ(α + z),   z = − 0.8·h_T                          (latent health at the as-of month)
                             − 0.5·min(h_T − h_{T−6}, 0)        (falling health; rising does not help)
                             + 0.6·[h_T < −1.2]                 (distress threshold)
                             + 0.5·[on a serious-dishonesty list at as_of]
                             + 0.25·[on the abnormal-operation list at as_of]
                             + 0.35·[younger than 2 years]·[h_T < 0]   (interaction)
                             + 0.2·[micro firm] + industry risk (H, E, K +0.2; F +0.05; I, M −0.1; D −0.2)
                             + 0.3·N(0,1)                       (unobservable: the only pure noise)

and ``defaulted_12m`` ~ Bernoulli(true_pd). α is solved so that the mean PD of a fixed reference city
(20,000 firms, its own seed) equals ``default_rate``, so α does not depend on the city being drawn.
``truth`` (uscc, true_pd) is what an oracle knows; a model never reads it (``python -m seed export``
writes it apart from the department files). The oracle AUC is AUC(true_pd, defaulted_12m).
"""
import zlib
from collections.abc import Iterator
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd

from marketplace import codes
from risk import features

from . import city

SUB = 1_000  # firms per random stream: the unit that makes the output independent of chunking
CHUNK = 10_000  # firms per generated chunk (about 1.3 million department rows)
REFERENCE_FIRMS = 20_000
REFERENCE_SEED = 424_242

TABLES = (*features.TABLES, "customs_certifications", "outcomes", "truth")  # department tables, AEO, the hidden truth

INDUSTRY_HEALTH = {"I": 0.15, "M": 0.15, "C": 0.0, "F": -0.05, "H": -0.2, "E": -0.15, "K": -0.2, "L": 0.0,
                   "O": -0.1, "R": -0.1, "A": -0.1, "G": 0.0}
SIZE_HEALTH = {"micro": -0.2, "small": 0.0, "medium": 0.2, "large": 0.3}
INDUSTRY_RISK = {"H": 0.2, "E": 0.2, "K": 0.2, "F": 0.05, "I": -0.1, "M": -0.1, "D": -0.2}
# Monthly revenue per insured employee (yuan), VAT paid as a share of revenue, profit margin, wage base.
PRODUCTIVITY = {"F": 40_000, "C": 30_000, "I": 28_000, "H": 14_000, "E": 25_000, "K": 35_000, "D": 50_000,
                "B": 40_000, "G": 25_000, "A": 15_000}
VAT_RATE = {"C": 0.035, "F": 0.015, "E": 0.025, "H": 0.02, "A": 0.0}
MARGIN = {"I": 0.12, "M": 0.10, "K": 0.10, "C": 0.06, "F": 0.04, "H": 0.05, "E": 0.05}
WAGE = {"I": 9_000, "M": 7_500, "K": 7_000, "J": 8_000, "D": 7_000, "C": 5_500, "E": 5_200}
HEADCOUNT = {"micro": (2, 9), "small": (10, 99), "medium": (100, 299), "large": (300, 1500)}
PF_PARTICIPATION = {"micro": 0.25, "small": 0.55, "medium": 0.85, "large": 0.97}

# Seasonality by calendar month (Jan..Dec): Spring Festival dip, year-end push, industry peaks.
_DEFAULT_SEASON = [0.92, 0.80, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.08]
SEASON = {
    "E": [0.60, 0.50, 0.95, 1.05, 1.10, 1.05, 0.90, 0.90, 1.05, 1.05, 1.10, 1.20],
    "H": [1.05, 0.85, 0.95, 1.00, 1.05, 1.00, 1.05, 1.05, 1.00, 1.10, 0.95, 1.05],
    "F": [1.10, 0.80, 0.95, 0.95, 1.00, 0.95, 0.95, 0.95, 1.00, 1.00, 1.15, 1.10],
    "A": [0.70, 0.70, 0.85, 0.95, 1.00, 1.00, 1.05, 1.10, 1.30, 1.30, 1.00, 0.90],
    "C": [0.90, 0.70, 1.00, 1.02, 1.02, 1.02, 1.00, 1.00, 1.05, 1.02, 1.05, 1.10],
}
UTILITY_KINDS = ("water", "electricity", "gas")
UTILITY_SEASON = {
    "water": [0.90, 0.85, 0.95, 1.00, 1.05, 1.10, 1.15, 1.15, 1.05, 1.00, 0.95, 0.90],
    "electricity": [1.10, 0.95, 0.95, 0.90, 0.95, 1.10, 1.25, 1.25, 1.00, 0.90, 0.95, 1.10],
    "gas": [1.60, 1.50, 1.30, 0.80, 0.65, 0.60, 0.60, 0.60, 0.65, 0.80, 1.30, 1.60],
}
UTILITY_PER_HEAD = {  # monthly usage per employee: t, kWh, m³
    "water": {"C": 8, "H": 15, "A": 20, "_": 3},
    "electricity": {"C": 1_500, "H": 800, "D": 3_000, "B": 2_000, "I": 300, "_": 400},
    "gas": {"C": 40, "H": 60, "D": 100, "_": 10},
}
UTILITY_PRICE = {"water": 4.9, "electricity": 0.75, "gas": 3.3}  # yuan per t / kWh / m³
GAS_INDUSTRIES = ("C", "H", "D", "B")

# (authority, document abbreviation, category) of administrative penalties.
PENALTY_KINDS = [
    ("济南市市场监督管理局", "市监", "产品质量"), ("济南市市场监督管理局", "市监", "虚假宣传"),
    ("济南市市场监督管理局", "市监", "价格违法"), ("济南市生态环境局", "环", "环境污染"),
    ("济南市应急管理局", "应急", "安全生产"), ("国家税务总局济南市税务局", "税", "税收违法"),
    ("济南市人力资源和社会保障局", "人社", "劳动保障"), ("济南市消防救援支队", "消", "消防安全"),
]
PUBLICATION_MONTHS = {"minor": 3, "general": 12, "serious": 36}
FINE_RANGE = {"minor": (200, 5_000), "general": (5_000, 100_000), "serious": (100_000, 1_000_000)}
# Negative lists: monthly entry hazard σ(a − b·h), duration range in months, chance of staying on it.
NEGATIVE_LISTS = {
    "dishonest_judgment_debtor": (-7.5, 1.8, (6, 30), 0.4, "（{y}）鲁01执{n}号"),
    "major_tax_violation": (-9.5, 1.8, (24, 36), 0.5, "济税稽罚〔{y}〕{n}号"),
    "serious_illegal": (-9.5, 1.5, (12, 36), 0.5, "济市监严〔{y}〕{n}号"),
    "wage_arrears": (-8.5, 1.8, (6, 24), 0.4, "济人社欠薪〔{y}〕{n}号"),
    "abnormal_operation": (-6.8, 1.3, (2, 18), 0.3, "济市监异〔{y}〕{n}号"),
}
SERIOUS_LISTS = codes.SERIOUS_LIST_TYPES
LABOUR_INTENSIVE = ("C", "E", "H")


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _lookup(mapping: dict, keys: np.ndarray, default) -> np.ndarray:
    return np.array([mapping.get(k, default) for k in keys])


def _periods(months: int, as_of: date) -> np.ndarray:
    last = np.datetime64(as_of, "M")
    return last - np.arange(months - 1, -1, -1)


def _draws(seed: int, start: int, n: int, months: int) -> dict[str, np.ndarray]:
    """All the randomness of firms start..start+n−1, drawn per SUB-firm block in a fixed order."""
    T = months
    shapes = {  # name: (distribution, shape after the firm axis)
        "mu": ("n", ()), "x0": ("n", ()), "eps": ("n", (T,)), "downturn": ("u", ()), "downturn_at": ("u", ()),
        "cease_at": ("u", ()), "heads": ("u", ()), "productivity": ("n", ()), "margin": ("n", ()),
        "rev_noise": ("n", (T,)), "margin_noise": ("n", (T,)), "u_vat": ("u", (T,)), "vat_share": ("u", (T,)),
        "u_si": ("u", (T,)), "si_share": ("u", (T,)), "pf": ("u", ()), "pf_cover": ("u", ()), "u_pf": ("u", (T,)),
        "gas": ("u", ()), "util_noise": ("n", (3, T)), "u_late": ("u", (3, T)), "late_days": ("u", (3, T)),
        "u_pen": ("u", (T,)), "pen_attr": ("u", (T, 5)), "u_list": ("u", (len(NEGATIVE_LISTS), T)),
        "list_attr": ("u", (len(NEGATIVE_LISTS), 4)), "grade_noise": ("n", (4,)), "red": ("u", (3,)),
        "pd_noise": ("n", ()), "outcome": ("u", ()),
    }
    parts: dict[str, list] = {k: [] for k in shapes}
    for block in range(start // SUB, (start + n - 1) // SUB + 1):
        rng = city.rng_for(seed, 20, block)
        lo = max(start - block * SUB, 0)
        hi = min(start + n - block * SUB, SUB)
        for name, (dist, shape) in shapes.items():
            size = (SUB, *shape)
            arr = rng.standard_normal(size) if dist == "n" else rng.random(size)
            parts[name].append(arr[lo:hi])
    return {k: np.concatenate(v) for k, v in parts.items()}


class _State:
    """The latent process and derived quantities of one slice of firms."""

    def __init__(self, firms: pd.DataFrame, start: int, months: int, seed: int, as_of: date):
        n, T = len(firms), months
        r = _draws(seed, start, n, months)
        self.r, self.n, self.T, self.as_of = r, n, T, as_of
        self.periods = _periods(months, as_of)
        self.uscc = firms["uscc"].to_numpy()
        self.industry = firms["industry"].to_numpy()
        self.size = firms["size"].to_numpy()
        status = firms["operating_status"].to_numpy()
        established = pd.to_datetime(firms["established_on"]).to_numpy()
        self.age_years = (np.datetime64(as_of, "D") - established.astype("datetime64[D]")).astype(float) / 365.25
        t = np.arange(T)

        young = self.age_years < 2
        self.mu = (0.8 * r["mu"] + _lookup(INDUSTRY_HEALTH, self.industry, 0.0)
                   + _lookup(SIZE_HEALTH, self.size, 0.0) - 0.3 * young)
        x = np.empty((n, T))
        x[:, 0] = r["x0"] * 0.30 / np.sqrt(1 - 0.85 ** 2)
        for k in range(1, T):
            x[:, k] = 0.85 * x[:, k - 1] + 0.30 * r["eps"][:, k]
        troubled = status != "active"
        has_downturn = (r["downturn"] < 0.10) | troubled
        k0 = np.where(troubled, r["downturn_at"] * T / 2, r["downturn_at"] * T)
        d = -0.12 * np.maximum(0, t[None, :] - k0[:, None]) * has_downturn[:, None]
        self.h = self.mu[:, None] + x + d

        # Months with records: from the month of establishment; revoked / cancelled firms stop.
        est_month = established.astype("datetime64[M]")
        active = self.periods[None, :] >= est_month[:, None]
        ceased = np.isin(status, ("revoked", "cancelled"))
        cease_t = np.where(ceased, (T // 2 + r["cease_at"] * (T - T // 2)).astype(int), T)
        self.active = active & (t[None, :] < cease_t[:, None])
        self.suspended = status == "suspended"
        self._lists()

    def _lists(self):
        """First entry of each negative list within the window (at most one per firm and list)."""
        r = self.r
        self.list_events = {}
        labour = np.isin(self.industry, LABOUR_INTENSIVE)
        for j, (name, (a, b, _dur, _stay, _doc)) in enumerate(NEGATIVE_LISTS.items()):
            shift = 0.7 * labour if name == "wage_arrears" else 0.0
            hazard = _sigmoid((a + (shift[:, None] if np.ndim(shift) else 0)) - b * self.h)
            hit = (r["u_list"][:, j, :] < hazard) & self.active
            first = np.where(hit.any(axis=1), hit.argmax(axis=1), -1)
            attr = r["list_attr"][:, j, :]
            start = _day_in_month(self.periods[np.maximum(first, 0)], attr[:, 0], self.as_of)
            lo, hi = _dur
            duration = (lo + attr[:, 1] * (hi - lo)).astype(int)
            end = (start.astype("datetime64[M]") + duration).astype("datetime64[D]") + (attr[:, 2] * 27).astype(int)
            stays = attr[:, 3] < _stay
            as_of = np.datetime64(self.as_of, "D")
            end = np.where(stays | (end > as_of), np.datetime64("NaT"), end)
            self.list_events[name] = (first >= 0, start, end)

    def on_list_at_as_of(self, names, day: date | None = None) -> np.ndarray:
        """On any of these lists at as_of (or on an earlier `day`)."""
        as_of = np.datetime64(day or self.as_of, "D")
        on = np.zeros(self.n, dtype=bool)
        for name in names:
            has, start, end = self.list_events[name]
            on |= has & (start <= as_of) & (np.isnat(end) | (as_of < end))
        return on

    def logit_without_intercept(self, months_back: int = 0, pd_noise: np.ndarray | None = None) -> np.ndarray:
        """z of the module docstring: the known non-linear risk function — at the as-of month, or at the month
        `months_back` before it (health, lists and age as they were then; `pd_noise` its own noise draw)."""
        t = self.T - 1 - months_back
        day = earlier_day(self.as_of, months_back)
        h_T = self.h[:, t]
        back = min(6, t)
        change = h_T - self.h[:, t - back]
        age = self.age_years - (self.as_of - day).days / 365.25
        return (-0.8 * h_T - 0.5 * np.minimum(change, 0) + 0.6 * (h_T < -1.2)
                + 0.5 * self.on_list_at_as_of(SERIOUS_LISTS, day)
                + 0.25 * self.on_list_at_as_of(("abnormal_operation",), day)
                + 0.35 * ((age < 2) & (h_T < 0))
                + 0.2 * (self.size == "micro") + _lookup(INDUSTRY_RISK, self.industry, 0.0)
                + 0.3 * (self.r["pd_noise"] if pd_noise is None else pd_noise))


@lru_cache(maxsize=16)
def intercept(default_rate: float, months: int, as_of: date) -> float:
    """α such that the mean true PD of the fixed reference city equals default_rate."""
    if not 0 < default_rate < 1:
        raise ValueError("default_rate must be between 0 and 1")
    firms = pd.concat(city.enterprise_chunks(REFERENCE_FIRMS, REFERENCE_SEED), ignore_index=True)
    z = _State(firms, 0, months, REFERENCE_SEED, as_of).logit_without_intercept()
    lo, hi = -20.0, 10.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _sigmoid(mid + z).mean() < default_rate else (lo, mid)
    return (lo + hi) / 2


def generate(n_enterprises: int = 2000, months: int = 24, seed: int = 2026, as_of: date = city.AS_OF,
             default_rate: float = 0.05) -> dict[str, pd.DataFrame]:
    """The whole city's department data as one dict of DataFrames (see the module docstring)."""
    parts = list(generate_chunks(n_enterprises, months, seed, as_of, default_rate))
    return {name: pd.concat([p[name] for p in parts], ignore_index=True) for name in TABLES}


def _customs_certifications(registry: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """海关高级认证企业: about 1 % of operating non-micro firms, chosen and dated from a hash of the USCC so
    the other tables' random streams are untouched."""
    digest = registry["uscc"].map(lambda u: zlib.crc32(u.encode()))
    chosen = (digest % 100 == 0) & (registry["operating_status"] == "active") & (registry["size"] != "micro")
    days = (digest[chosen] // 100) % 1800
    certified = (pd.Timestamp(as_of) - pd.to_timedelta(days + 30, unit="D")).astype("datetime64[ns]")
    return pd.DataFrame({"uscc": registry.loc[chosen, "uscc"].to_numpy(), "certified_on": certified.to_numpy(),
                         "revoked_on": pd.Series(pd.NaT, index=certified.index, dtype="datetime64[ns]").to_numpy(),
                         "certificate_no": ("AEO" + (digest[chosen] % 10**8).astype(str).str.zfill(8)).to_numpy()})


def generate_chunks(n_enterprises: int, months: int = 24, seed: int = 2026, as_of: date = city.AS_OF,
                    default_rate: float = 0.05, chunk_size: int = CHUNK) -> Iterator[dict[str, pd.DataFrame]]:
    """The same tables as ``generate``, ``chunk_size`` firms at a time (memory bounded by the chunk)."""
    if months < 1:
        raise ValueError("months must be at least 1")
    alpha = intercept(default_rate, months, as_of)
    start = 0
    for block in city.enterprise_chunks(n_enterprises, seed):
        for lo in range(0, len(block), chunk_size):
            firms = block.iloc[lo:lo + chunk_size].reset_index(drop=True)
            yield _tables(_State(firms, start, months, seed, as_of), firms, alpha)
            start += len(firms)


def outcomes(n_enterprises: int, months: int = 24, seed: int = 2026, as_of: date = city.AS_OF,
             default_rate: float = 0.05, months_back: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Only the outcomes (uscc, defaulted_12m) and the truth (uscc, true_pd) of a city — what `flask train-model`
    regenerates for the city in the database, whose outcomes are never stored. Only the latent process is
    drawn (no department table), chunk by chunk; the same figures as ``generate``'s.

    months_back > 0: the outcomes of the same city as it stood that many months before as_of (default within
    the 12 months after that earlier month-end), for out-of-time validation: the process of the module
    docstring applied at that month, with its own draws of the firm noise and of the outcome (an independent
    draw, not the later outcome again). Firms founded on or after that day are left out."""
    if not 0 <= months_back < months:
        raise ValueError("months_back must be at least 0 and less than months")
    alpha = intercept(default_rate, months, as_of)
    day = np.datetime64(earlier_day(as_of, months_back), "D")
    outs, truths, start = [], [], 0
    for block in city.enterprise_chunks(n_enterprises, seed):
        for lo in range(0, len(block), CHUNK):
            firms = block.iloc[lo:lo + CHUNK].reset_index(drop=True)
            s = _State(firms, start, months, seed, as_of)
            if months_back:
                noise, u = _later_draws(seed, start, len(firms))
                true_pd = _sigmoid(alpha + s.logit_without_intercept(months_back, noise))
            else:
                u, true_pd = s.r["outcome"], _sigmoid(alpha + s.logit_without_intercept())
            there = (pd.to_datetime(firms["established_on"]).to_numpy().astype("datetime64[D]") < day) \
                if months_back else np.ones(len(firms), dtype=bool)  # founded before that day, as features
            outs.append(pd.DataFrame({"uscc": s.uscc[there], "defaulted_12m": (u < true_pd)[there].astype(np.int64)}))
            truths.append(pd.DataFrame({"uscc": s.uscc[there], "true_pd": true_pd[there]}))
            start += len(firms)
    out, truth = pd.concat(outs, ignore_index=True), pd.concat(truths, ignore_index=True)
    out["uscc"], truth["uscc"] = out["uscc"].astype("str"), truth["uscc"].astype("str")  # as generate gives them
    return out, truth


def earlier_day(as_of: date, months_back: int) -> date:
    """The month-end `months_back` months before as_of's month (as_of itself for 0)."""
    if not months_back:
        return as_of
    return (pd.Timestamp(as_of) - pd.DateOffset(months=months_back) + pd.offsets.MonthEnd(0)).date()


def _later_draws(seed: int, start: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Firm noise and outcome draws of an earlier-month outcome: a stream of their own (key 21), per SUB-firm
    block like `_draws`, so adding it leaves every other figure of the city unchanged."""
    noise, u = [], []
    for block in range(start // SUB, (start + n - 1) // SUB + 1):
        rng = city.rng_for(seed, 21, block)
        lo, hi = max(start - block * SUB, 0), min(start + n - block * SUB, SUB)
        noise.append(rng.standard_normal(SUB)[lo:hi])
        u.append(rng.random(SUB)[lo:hi])
    return np.concatenate(noise), np.concatenate(u)


def _long(state: _State, mask: np.ndarray, columns: dict) -> pd.DataFrame:
    """Long-format rows (uscc, period, …) of the firm-months where mask is true."""
    i, t = np.nonzero(mask)
    out = {"uscc": state.uscc[i], "period": state.periods[t].astype("datetime64[ns]")}
    for name, values in columns.items():
        out[name] = values[i, t]
    return pd.DataFrame(out)


def _tables(s: _State, firms: pd.DataFrame, alpha: float) -> dict[str, pd.DataFrame]:
    r, n, T = s.r, s.n, s.T
    month_of_year = (s.periods.astype(int) % 12)  # 0 = January
    season = np.stack([np.array(SEASON.get(ind, _DEFAULT_SEASON))[month_of_year] for ind in s.industry]) \
        if n else np.zeros((0, T))
    h = s.h

    # Staff: a slow average of health, around the firm's base headcount.
    lo_hi = np.array([HEADCOUNT[z] for z in s.size]).reshape(n, 2).astype(float)
    base_heads = np.exp(np.log(lo_hi[:, 0]) + r["heads"] * (np.log(lo_hi[:, 1]) - np.log(lo_hi[:, 0])))
    slow = np.empty_like(h)
    slow[:, 0] = h[:, 0]
    for k in range(1, T):
        slow[:, k] = 0.6 * slow[:, k - 1] + 0.4 * h[:, k]
    heads = np.maximum(1, np.round(base_heads[:, None] * np.exp(0.3 * (slow - s.mu[:, None])))).astype(np.int64)

    # Revenue, VAT, income tax, arrears.
    productivity = _lookup(PRODUCTIVITY, s.industry, 20_000) * np.exp(0.3 * s.mu + 0.15 * r["productivity"])
    activity = np.exp(0.6 * (h - s.mu[:, None])) * season
    revenue = base_heads[:, None] * productivity[:, None] * activity * np.exp(0.06 * r["rev_noise"])
    revenue = np.where(s.suspended[:, None], revenue * 0.1, revenue)
    revenue = np.round(revenue).astype(np.int64)
    vat_due = revenue * _lookup(VAT_RATE, s.industry, 0.03)[:, None]
    vat_due = np.where(revenue < 100_000, 0.0, vat_due)  # small-scale taxpayers under 10万/month are exempt
    unpaid = r["u_vat"] < _sigmoid(-3.5 - 2 * h)
    share_paid = np.where(unpaid, r["vat_share"] * 0.6, 1.0)
    vat_paid = np.round(vat_due * share_paid).astype(np.int64)
    arrears = np.zeros((n, T))
    carried = np.zeros(n)
    for k in range(T):
        carried = 0.7 * carried + vat_due[:, k] * (1 - share_paid[:, k])
        arrears[:, k] = carried
    margin = _lookup(MARGIN, s.industry, 0.07)[:, None] + 0.05 * h + 0.01 * r["margin_noise"]
    income_rate = np.where(np.isin(s.size, ("micro", "small")), 0.05, 0.25)[:, None]
    profit = np.maximum(margin, 0) * revenue
    # Income tax is paid in Jan/Apr/Jul/Oct on the three months before.
    quarter_profit = np.zeros((n, T))
    for k in range(T):
        if month_of_year[k] in (0, 3, 6, 9):
            quarter_profit[:, k] = profit[:, max(0, k - 3):k].sum(axis=1)
    income_tax = np.round(income_rate * quarter_profit * s.active).astype(np.int64)
    tax_records = _long(s, s.active, {"revenue": revenue, "vat_paid": vat_paid, "income_tax_paid": income_tax,
                                      "arrears": np.round(arrears).astype(np.int64)})

    # Social insurance.
    wage = _lookup(WAGE, s.industry, 4_500)[:, None]
    due = np.round(heads * wage * 0.265).astype(np.int64)
    short = r["u_si"] < _sigmoid(-3.2 - 2 * h)
    paid = np.round(due * np.where(short, 0.2 + 0.7 * r["si_share"], 1.0)).astype(np.int64)
    run = np.zeros((n, T), dtype=np.int64)
    current = np.zeros(n, dtype=np.int64)
    for k in range(T):
        current = np.where(short[:, k] & s.active[:, k], current + 1, 0)
        run[:, k] = current
    si = _long(s, s.active, {"insured_headcount": heads, "amount_due": due, "amount_paid": paid,
                             "months_in_arrears": run})

    # Provident fund: joined by some firms only.
    joins = r["pf"] < _lookup(PF_PARTICIPATION, s.size, 0.5) * _sigmoid(1 + s.mu)
    pf_heads = np.maximum(1, np.round(heads * (0.4 + 0.6 * r["pf_cover"])[:, None])).astype(np.int64)
    missed = r["u_pf"] < _sigmoid(-3 - 2 * h)
    pf_paid = np.where(missed, 0, np.round(pf_heads * wage * 0.20)).astype(np.int64)
    pf = _long(s, s.active & joins[:, None], {"headcount": pf_heads, "amount_paid": pf_paid})

    # Utilities.
    util_frames = []
    uses_gas = np.isin(s.industry, GAS_INDUSTRIES) | (r["gas"] < 0.2)
    for j, kind in enumerate(UTILITY_KINDS):
        per_head = _lookup(UTILITY_PER_HEAD[kind], s.industry, UTILITY_PER_HEAD[kind]["_"])
        weather = np.array(UTILITY_SEASON[kind])[month_of_year][None, :]
        usage = (base_heads * per_head)[:, None] * activity ** 0.7 * weather * np.exp(0.05 * r["util_noise"][:, j])
        usage = np.round(usage, 2)
        billed = np.round(usage * UTILITY_PRICE[kind]).astype(np.int64)
        late = r["u_late"][:, j] < _sigmoid(-2.8 - 1.6 * h)
        days = np.where(late, 1 + (r["late_days"][:, j] * (10 + 25 * np.maximum(0, -h))).astype(np.int64), 0)
        mask = s.active & (uses_gas[:, None] if kind == "gas" else True)
        frame = _long(s, mask, {"usage": usage, "amount_billed": billed, "days_late": days})
        frame.insert(2, "kind", kind)
        util_frames.append(frame)
    utilities = pd.concat(util_frames, ignore_index=True).sort_values(["uscc", "period", "kind"],
                                                                      ignore_index=True)

    penalties = _penalties(s)
    grades, red_entries = _grades(s)
    list_entries = pd.concat([_negative_entries(s), red_entries], ignore_index=True)

    true_pd = _sigmoid(alpha + s.logit_without_intercept())
    registry = firms[["uscc", "name", "region_code", "industry", "size", "established_on", "registered_capital",
                      "operating_status", "legal_representative"]].copy()
    registry["established_on"] = pd.to_datetime(registry["established_on"]).astype("datetime64[ns]")
    tables = {
        "customs_certifications": _customs_certifications(registry, s.as_of),
        "registry": registry,
        "tax_records": tax_records,
        "tax_grades": grades,
        "social_insurance_records": si,
        "provident_fund_records": pf,
        "utility_records": utilities,
        "penalties": penalties,
        "list_entries": list_entries,
        "broken_commitments": _broken_commitments(s),
        "outcomes": pd.DataFrame({"uscc": s.uscc, "defaulted_12m": (r["outcome"] < true_pd).astype(np.int64)}),
        "truth": pd.DataFrame({"uscc": s.uscc, "true_pd": true_pd}),
    }
    for df in tables.values():  # text columns as pandas strings, also in empty or all-object frames
        for col in df.columns:
            if df[col].dtype.kind == "O":
                df[col] = df[col].astype("str")
    return tables


def _day_in_month(months: np.ndarray, u: np.ndarray, as_of: date) -> np.ndarray:
    """A day of each month (from a uniform draw), never after as_of."""
    days = months.astype("datetime64[D]") + (u * 28).astype(int)
    return np.minimum(days, np.datetime64(as_of, "D"))


def _add_months(days: np.ndarray, months) -> np.ndarray:
    """Dates plus whole months (day of month kept, capped at 28 so every month has it)."""
    d = pd.to_datetime(days)
    day = np.minimum(d.day.to_numpy(), 28) - 1
    return ((d.to_numpy().astype("datetime64[M]") + months).astype("datetime64[D]") + day).astype("datetime64[ns]")


def _penalties(s: _State) -> pd.DataFrame:
    r = s.r
    base = np.where(np.isin(s.industry, ("C", "H", "E", "G")), 0.006, 0.003)
    hit = (r["u_pen"] < base[:, None] * np.exp(-0.9 * s.h)) & s.active
    i, t = np.nonzero(hit)
    attr = r["pen_attr"][i, t]
    h = s.h[i, t]
    decided = _day_in_month(s.periods[t], attr[:, 0], s.as_of)
    serious = attr[:, 1] < _sigmoid(-2.2 - 0.8 * h)
    severity = np.where(serious, "serious", np.where(attr[:, 1] > 0.55, "minor", "general"))
    kind = (attr[:, 2] * len(PENALTY_KINDS)).astype(int)
    authority = np.array([k[0] for k in PENALTY_KINDS])[kind]
    abbr = np.array([k[1] for k in PENALTY_KINDS])[kind]
    category = np.array([k[2] for k in PENALTY_KINDS])[kind]
    lo = np.array([FINE_RANGE[v][0] for v in severity], dtype=float)
    hi = np.array([FINE_RANGE[v][1] for v in severity], dtype=float)
    fine = (np.round(np.exp(np.log(lo) + attr[:, 3] * (np.log(hi) - np.log(lo))) / 100) * 100).astype(np.int64)
    year = decided.astype("datetime64[Y]").astype(int) + 1970
    serial = (attr[:, 4] * 9000).astype(int) + 1000
    doc = pd.Series(abbr).radd("济").str.cat(pd.Series(year).astype(str), sep="罚〔") \
        .str.cat(pd.Series(serial).astype(str), sep="〕") + "号"
    pub_months = np.array([PUBLICATION_MONTHS[v] for v in severity], dtype=np.int64)
    publication_end = _add_months(decided, pub_months)
    # Firms in good shape apply for credit repair (信用修复) of general penalties after 3 to 12 months.
    repaired = decided + (90 + attr[:, 4] * 270).astype(int)
    can_repair = (severity == "general") & (s.h[i, -1] > -0.3) & (repaired <= np.datetime64(s.as_of, "D"))
    return pd.DataFrame({
        "uscc": s.uscc[i], "decided_on": decided.astype("datetime64[ns]"), "authority": authority,
        "category": category, "severity": severity, "fine": fine, "document_no": doc.to_numpy(),
        "publication_end": publication_end,
        "repaired_on": np.where(can_repair, repaired, np.datetime64("NaT")).astype("datetime64[ns]"),
    })


def _broken_commitments(s: _State) -> pd.DataFrame:
    """信用承诺未履行 recorded by staff: a firm in trouble breaks a commitment with monthly probability
    σ(−7.5 − 1.5h) (about 5 % of firms over two years). Drawn from a hash of the USCC and the month, so the
    other tables' random streams are untouched; like a penalty it reads health, it adds no risk of its own."""
    months = np.arange(s.T)
    u = np.array([[zlib.crc32(f"{code}:commitment:{t}".encode()) / 2**32 for t in months] for code in s.uscc]) \
        if s.n else np.zeros((0, s.T))
    hit = (u < _sigmoid(-7.5 - 1.5 * s.h)) & s.active
    first = np.where(hit.any(axis=1), hit.argmax(axis=1), -1)
    i = np.nonzero(first >= 0)[0]
    day = _day_in_month(s.periods[first[i]], u[i, first[i]] * 1000 % 1, s.as_of)
    return pd.DataFrame({"uscc": s.uscc[i], "broken_on": day.astype("datetime64[ns]")})


def _entry_frame(uscc, list_type, start, end, docs) -> pd.DataFrame:
    return pd.DataFrame({"uscc": uscc, "list_type": list_type, "start_on": start.astype("datetime64[ns]"),
                         "end_on": end.astype("datetime64[ns]"), "document_no": docs})


def _docs(template: str, start: np.ndarray, serial: np.ndarray) -> np.ndarray:
    year = start.astype("datetime64[Y]").astype(int) + 1970
    return np.array([template.format(y=y, n=k) for y, k in zip(year, serial, strict=True)], dtype=object)


def _negative_entries(s: _State) -> pd.DataFrame:
    frames = []
    for j, (name, (*_rest, template)) in enumerate(NEGATIVE_LISTS.items()):
        has, start, end = s.list_events[name]
        serial = (s.r["list_attr"][has, j, 3] * 90000).astype(int) + 10000
        frames.append(_entry_frame(s.uscc[has], name, start[has], end[has], _docs(template, start[has], serial)))
    return pd.concat(frames, ignore_index=True)


def _grades(s: _State) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Yearly tax grades for the years evaluated inside the window, and the red-list entries they bring."""
    r = s.r
    as_of = np.datetime64(s.as_of, "D")
    first_year = int(s.periods[0].astype("datetime64[Y]").astype(int) + 1970)
    # The (at most two) latest grades published by as_of (each April for the year before).
    years = [y for y in range(first_year - 1, s.as_of.year) if np.datetime64(f"{y + 1}-04-01") <= as_of][-2:]
    period_year = s.periods.astype("datetime64[Y]").astype(int) + 1970
    established = np.datetime64(s.as_of, "D") - (s.age_years * 365.25).astype("timedelta64[D]")
    tax_violation, tv_start, _ = s.list_events["major_tax_violation"]
    grade_frames, red_frames = [], []
    for k, year in enumerate(years):
        cols = period_year == year
        mean_h = s.h[:, cols].mean(axis=1) if cols.any() else s.mu
        score = mean_h + 0.4 * r["grade_noise"][:, k]
        grade = np.select([score < -1.6, score < -0.8, score < 0.7], ["D", "C", "B"], "A").astype(object)
        grade[tax_violation & (tv_start <= np.datetime64(f"{year}-12-31"))] = "D"
        grade[established > np.datetime64(f"{year - 1}-12-31")] = "M"
        exists = established <= np.datetime64(f"{year}-12-31")
        grade_frames.append(pd.DataFrame({"uscc": s.uscc[exists], "year": year, "grade": grade[exists]}))
        is_a = exists & (grade == "A")
        start = np.full(is_a.sum(), np.datetime64(f"{year + 1}-04-01", "D"))
        next_eval = np.datetime64(f"{year + 2}-04-01", "D")
        end = np.full(is_a.sum(), next_eval if next_eval <= as_of else np.datetime64("NaT"))
        red_frames.append(_entry_frame(s.uscc[is_a], "a_taxpayer", start, end,
                                       np.array([f"济税信A〔{year}〕公告"] * is_a.sum(), dtype=object)))
    # 守合同重信用: some of the healthiest firms, for two years from a date inside the window.
    honoured = (s.mu > 0.8) & (r["red"][:, 0] < 0.25) & s.active[:, 0]
    start = _day_in_month(s.periods[(r["red"][:, 1] * s.T).astype(int)], r["red"][:, 2], s.as_of)
    end = (start.astype("datetime64[M]") + 24).astype("datetime64[D]")
    end = np.where(end > as_of, np.datetime64("NaT"), end)
    red_frames.append(_entry_frame(s.uscc[honoured], "contract_honoring", start[honoured], end[honoured],
                                   _docs("济市监守信〔{y}〕{n}号", start[honoured],
                                         (r["red"][honoured, 2] * 900).astype(int) + 100)))
    grades = pd.concat(grade_frames, ignore_index=True) if grade_frames else \
        pd.DataFrame({"uscc": pd.Series(dtype=object), "year": [], "grade": pd.Series(dtype=object)})
    grades["year"] = grades["year"].astype(np.int64)
    return grades, pd.concat(red_frames, ignore_index=True)
