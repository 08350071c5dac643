"""Draw the demo city as pandas DataFrames: enterprises (in chunks, bounded memory), institutions, products.

Every draw comes from a numpy Generator keyed by (seed, table, block), so the same --seed gives the
same city, and later tables (department records) key their own streams without disturbing these.
"""
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from marketplace import codes

from . import names

CHUNK = 50_000
AS_OF = date(2026, 10, 31)  # the demo city's "today": the end of its last full month of data

# Shares of the city's firms; J/S/T (finance, public bodies, international organisations) are not SMEs.
INDUSTRY_SHARES = {
    "F": 0.30, "L": 0.12, "C": 0.12, "I": 0.08, "M": 0.08, "E": 0.06, "H": 0.06, "O": 0.04, "G": 0.04,
    "R": 0.025, "K": 0.02, "A": 0.02, "P": 0.01, "Q": 0.01, "N": 0.01, "D": 0.0025, "B": 0.0025,
}
SIZE_SHARES = {"micro": 0.70, "small": 0.22, "medium": 0.06, "large": 0.02}
# Districts weighted roughly by their number of firms.
REGION_SHARES = {
    "370102": 0.15, "370103": 0.10, "370104": 0.09, "370105": 0.09, "370112": 0.16, "370113": 0.05,
    "370114": 0.09, "370115": 0.05, "370116": 0.08, "370117": 0.03, "370124": 0.04, "370126": 0.07,
}
CAPITAL_WAN = {"micro": (10, 100), "small": (100, 1000), "medium": (1000, 5000), "large": (5000, 50000)}

USCC_ALPHABET = np.array(list("0123456789ABCDEFGHJKLMNPQRTUWXY"))
_USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])
# Multiplying by a number coprime with 10**8 permutes 0..10**8-1: unique, scattered organisation codes.
_ORG_MULTIPLIER = 48_271_009


def rng_for(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng([seed, *keys])


def uscc_codes(region_codes: np.ndarray, serials: np.ndarray) -> np.ndarray:
    """Valid USCCs (GB 32100-2015): '9' '1' + region + 8-digit org body + GB 11714 check + check char.

    `serials` must be distinct non-negative integers below 10**8; distinct serials give distinct codes.
    """
    body = (serials.astype(np.int64) * _ORG_MULTIPLIER + 12_345_678) % 100_000_000
    body_digits = (body[:, None] // 10 ** np.arange(7, -1, -1)) % 10
    org_check = 11 - (body_digits @ _ORG_WEIGHTS) % 11  # GB 11714: 10 is written 'X', 11 is '0'
    org_check_idx = np.where(org_check == 10, 30, np.where(org_check == 11, 0, org_check))  # 'X' is 30th
    region_digits = np.array([list(r) for r in region_codes.astype(str)], dtype=np.int64)
    first17 = np.column_stack([np.full(len(body), 9), np.full(len(body), 1), region_digits, body_digits,
                               org_check_idx])
    check_idx = (31 - (first17 @ _USCC_WEIGHTS) % 31) % 31
    chars = USCC_ALPHABET[np.column_stack([first17, check_idx])]
    return chars.view("<U18").ravel() if chars.flags.c_contiguous else np.array(["".join(r) for r in chars])


def _choice(rng, shares: dict, n: int) -> np.ndarray:
    keys = np.array(list(shares))
    p = np.array(list(shares.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def _pick(rng, words, n: int) -> np.ndarray:
    arr = np.array(words)
    return arr[rng.integers(0, len(arr), n)]


def enterprise_chunks(n: int, seed: int) -> Iterator[pd.DataFrame]:
    """The city's enterprises with ids 1..n, CHUNK rows at a time (memory stays bounded at Jinan scale).

    Block b is drawn from its own stream, so a city of n firms is the first n firms of any larger one.
    """
    for block, start in enumerate(range(0, n, CHUNK)):
        yield _enterprise_block(block, seed).iloc[: n - start]


def _enterprise_block(block: int, seed: int) -> pd.DataFrame:
    rng = rng_for(seed, 1, block)
    m = CHUNK
    ids = np.arange(block * CHUNK + 1, block * CHUNK + m + 1)
    industry = _choice(rng, INDUSTRY_SHARES, m)
    size = _choice(rng, SIZE_SHARES, m)
    region = _choice(rng, REGION_SHARES, m)
    trade = np.char.add(_pick(rng, list(names.TRADE_NAME_CHARS), m), _pick(rng, list(names.TRADE_NAME_CHARS), m))
    word_idx = rng.integers(0, 1 << 30, m)
    words = np.array([names.INDUSTRY_WORDS[i][w % len(names.INDUSTRY_WORDS[i])]
                      for i, w in zip(industry, word_idx, strict=True)])
    name = np.char.add(np.char.add(np.char.add("济南", trade), words), _pick(rng, names.COMPANY_SUFFIXES, m))
    person = np.char.add(_pick(rng, list(names.SURNAMES), m), _pick(rng, list(names.GIVEN_CHARS), m))
    lo = np.array([CAPITAL_WAN[s][0] for s in size])
    hi = np.array([CAPITAL_WAN[s][1] for s in size])
    capital = (np.exp(rng.uniform(np.log(lo), np.log(hi))).round() * 10_000).astype(np.int64)
    # Firm age: a long tail of old firms, many young ones (years, up to 30).
    age_days = np.minimum(rng.gamma(1.6, 4.0, m) * 365.25, 30 * 365.25).astype(int) + 30
    established = pd.to_datetime(AS_OF) - pd.to_timedelta(age_days, unit="D")
    status = _choice(rng, {"active": 0.965, "suspended": 0.015, "revoked": 0.012, "cancelled": 0.008}, m)
    joined_days = rng.integers(0, 3 * 365, m)
    registered_at = pd.Timestamp(datetime(2026, 11, 1, tzinfo=UTC)) - pd.to_timedelta(joined_days, unit="D") \
        - pd.to_timedelta(rng.integers(0, 86_400, m), unit="s")
    df = pd.DataFrame({
        "id": ids,
        "uscc": uscc_codes(region, ids),
        "name": name,
        "region_code": region,
        "industry": industry,
        "size": size,
        "registered_capital": capital,
        "established_on": established.date,
        "legal_representative": person,
        "operating_status": status,
        "registered_at": registered_at.to_pydatetime(),
    })
    return df




def institutions(n: int, seed: int) -> pd.DataFrame:
    rng = rng_for(seed, 2, 0)
    rows = []
    for i in range(n):
        name, short, kind = names.INSTITUTIONS[i % len(names.INSTITUTIONS)]
        if i >= len(names.INSTITUTIONS):
            name = f"{name}（第{i // len(names.INSTITUTIONS) + 1}分支）"
        rows.append({
            "id": i + 1, "name": name, "short_name": short, "kind": kind,
            "licence_no": f"{'B' if kind in ('bank', 'village_bank') else 'L'}{rng.integers(10**9, 10**10):010d}",
            "region_code": str(rng.choice(list(codes.REGIONS))),
            "joined_at": datetime(2023, 1, 1, tzinfo=UTC) + timedelta(days=int(rng.integers(0, 1000))),
        })
    return pd.DataFrame(rows)


GUARANTEE_TEMPLATES = [t for t in names.PRODUCT_TEMPLATES if t[1] == "guarantee"]


def products(n: int, n_institutions: int, seed: int) -> pd.DataFrame:
    rng = rng_for(seed, 3, 0)
    inst = institutions(n_institutions, seed)
    rows = []
    for i in range(n):
        owner = inst.iloc[i % n_institutions]
        # A guarantee company only offers guaranteed loans.
        templates = GUARANTEE_TEMPLATES if owner["kind"] == "guarantee" else names.PRODUCT_TEMPLATES
        tname, kind, (amin, amax), (tmin, tmax), (rmin, rmax), online = \
            templates[int(rng.integers(0, len(templates)))]
        # Each institution prices a little differently.
        shift = round(float(rng.normal(0, 0.25)), 2)
        r_lo = max(2.8, round(rmin + shift, 2))
        r_hi = max(r_lo + 0.5, round(rmax + shift, 2))
        n_regions = int(rng.choice([0, 0, 0, 2, 4]))
        n_inds = int(rng.choice([0, 0, 0, 3, 5]))
        rows.append({
            "id": i + 1, "institution_id": int(owner["id"]), "name": f"{owner['short_name']}·{tname}", "kind": kind,
            "description": f"{owner['name']}面向济南市中小微企业推出的{codes.PRODUCT_KINDS[kind]}类贷款产品。",
            "amount_min": amin * 10_000, "amount_max": amax * 10_000, "term_min": tmin, "term_max": tmax,
            "rate_min": Decimal(str(r_lo)), "rate_max": Decimal(str(r_hi)),
            "eligible_regions": sorted(rng.choice(list(codes.REGIONS), n_regions, replace=False).tolist()),
            "eligible_industries": sorted(rng.choice(list(INDUSTRY_SHARES), n_inds, replace=False).tolist()),
            "eligible_sizes": ["micro", "small", "medium"] if rng.random() < 0.5 else [],
            "min_years": int(rng.choice([0, 1, 1, 2, 3])),
            "min_grade": str(rng.choice(["", "", "BB", "BBB", "A"])) or None,
            "online_only": bool(online), "xinyidai": bool(rng.random() < 0.9),
            "status": "active",
            "created_at": datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=int(rng.integers(0, 1000))),
        })
    df = pd.DataFrame(rows)
    # 还款方式 from a stream of its own, so the draws above stay what they were: short loans are often
    # interest-first or bullet, longer ones mostly equal instalments.
    method_rng = rng_for(seed, 3, 1)
    short = df["term_max"] <= 12
    df["repayment_method"] = np.where(
        short, method_rng.choice(["interest_only", "bullet", "equal_instalment"], n, p=[0.5, 0.2, 0.3]),
        method_rng.choice(["equal_instalment", "interest_only"], n, p=[0.8, 0.2]))
    return df
