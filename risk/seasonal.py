"""Seasonal factors per industry and calendar month, estimated at training from the training firms only and
saved with the model, so that a firm scored alone, a chunk of firms and the whole city are all adjusted with
the very table the model was trained with (never with one drawn from the firms scored together).

Method (the classic ratio to a centred moving average, on logs): for every firm with 24 full months of a
positive monthly series, the log value minus its 2×12 centred moving average gives one residual per calendar
month (the middle 12 months of the 24); the residuals are averaged per industry and calendar month, shrunk
towards the all-industry average by SHRINK firms, and centred so that the 12 factors of an industry multiply
to one. A firm's value divided by its industry's factor of that calendar month is its seasonally adjusted
value: a Spring Festival February is compared with an ordinary month, not read as decline.
"""
import numpy as np
import pandas as pd

SHRINK = 30      # firms: an industry with few firms leans on the all-industry factors
CLIP = 2.0       # a residual (log) beyond ±2 is an outlier, not a season
ALL = "*"        # the all-industry factors (also for an industry the training firms did not have)
SPAN = 24        # months of history a firm needs to contribute


class Estimate:
    """Sums of residuals per (series, industry, calendar month), added chunk by chunk; `table()` finishes it."""

    def __init__(self):
        self.sums: dict[tuple[str, str], np.ndarray] = {}
        self.counts: dict[tuple[str, str], np.ndarray] = {}

    def add(self, series: str, values: np.ndarray, present: np.ndarray, industries: np.ndarray,
            month_of_year: np.ndarray) -> None:
        """values / present: (firms, SPAN) with month 0 the latest; month_of_year: (SPAN,) 0 = January."""
        if values.shape[1] < SPAN:
            return
        v, p = values[:, :SPAN][:, ::-1], present[:, :SPAN][:, ::-1]  # chronological: 0 = oldest
        full = p.all(1) & (v > 0).all(1)
        if not full.any():
            return
        logs = np.log(v[full])
        w = np.r_[0.5, np.ones(11), 0.5] / 12  # 2×12 centred moving average
        ma = np.stack([logs[:, t - 6:t + 7] @ w for t in range(6, 18)], axis=1)
        resid = np.clip(logs[:, 6:18] - ma, -CLIP, CLIP)
        months = month_of_year[:SPAN][::-1][6:18]
        inds = np.asarray(industries, dtype=object)[full]
        for ind in [ALL, *sorted(set(inds) - {None})]:
            rows = resid if ind == ALL else resid[inds == ind]
            s = self.sums.setdefault((series, ind), np.zeros(12))
            c = self.counts.setdefault((series, ind), np.zeros(12))
            np.add.at(s, months, rows.sum(0))
            np.add.at(c, months, len(rows))

    def table(self) -> dict:
        """{"factors": {series: {industry | "*": [12 log factors, January first]}}, "firms": {series: n}}."""
        out: dict = {"method": "ratio_to_centred_moving_average", "shrink": SHRINK, "factors": {}, "firms": {}}
        for series in sorted({s for s, _ in self.sums}):
            total, n_all = self.sums[(series, ALL)], self.counts[(series, ALL)]
            base = np.where(n_all > 0, total / np.maximum(n_all, 1), 0.0)
            facs = {}
            for (s, ind), sums in self.sums.items():
                if s != series:
                    continue
                n = self.counts[(s, ind)]
                f = base if ind == ALL else (sums + SHRINK * base) / (n + SHRINK)
                facs[ind] = [round(float(x), 6) for x in f - f.mean()]
            out["factors"][series] = facs
            out["firms"][series] = int(n_all.max())
        return out


def adjust(table: dict | None, series: str, values: np.ndarray, industries, month_of_year: np.ndarray) -> np.ndarray:
    """values (firms, months; month 0 the latest) divided by each firm's industry factor of each calendar month;
    NaN throughout without a table for the series (a model trained without one never reads the result)."""
    facs = (table or {}).get("factors", {}).get(series)
    if not facs:
        return np.full(values.shape, np.nan)
    levels = [k for k in facs if k != ALL]
    grid = np.array([facs[ALL]] + [facs[k] for k in levels])  # (1 + industries, 12)
    code = 1 + pd.Index(levels, dtype=object).get_indexer(pd.Index(np.asarray(industries, dtype=object)))
    lookup = grid[code][:, month_of_year[:values.shape[1]]]
    return values / np.exp(lookup)
