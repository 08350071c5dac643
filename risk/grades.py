"""The score scale (PD → points, scorecard convention) and the grade bands AAA … C.

Points: score = offset + factor · ln(odds), odds = (1 − PD) / PD (good : bad), factor = PDO / ln 2,
offset = base_score − factor · ln(base_odds). With the defaults a firm at 50 : 1 good-to-bad odds
(PD ≈ 1.96 %) scores 600, and every 40 points doubles the odds.

Grades are cut on PD, so they do not move when the point scale is re-based. Upper PD bounds
(a firm is in the first band whose bound its PD is below) and, for the default scale, the score at
each bound:

| grade | PD below | score above (default scale) |
|-------|----------|-----------------------------|
| AAA   | 0.25 %   | 720 |
| AA    | 0.50 %   | 680 |
| A     | 1.00 %   | 639 |
| BBB   | 2.00 %   | 599 |
| BB    | 4.00 %   | 558 |
| B     | 8.00 %   | 515 |
| CCC   | 15.0 %   | 474 |
| CC    | 30.0 %   | 423 |
| C     | (rest)   |     |
"""
from dataclasses import asdict, dataclass, field

import numpy as np

GRADES = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C")  # best first, as marketplace/codes.GRADES
PD_CUTOFFS = (0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.15, 0.30)
PD_FLOOR = 1e-6  # keeps the log odds finite for PD 0 or 1


@dataclass(frozen=True)
class ScoreScale:
    base_score: float = 600.0
    base_odds: float = 50.0
    pdo: float = 40.0  # points to double the odds
    pd_cutoffs: tuple = field(default=PD_CUTOFFS)

    @property
    def factor(self) -> float:
        return self.pdo / np.log(2)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * np.log(self.base_odds)

    def score(self, pd_) -> np.ndarray:
        p = np.clip(np.asarray(pd_, dtype=float), PD_FLOOR, 1 - PD_FLOOR)
        return np.round(self.offset + self.factor * np.log((1 - p) / p), 1)

    def pd_of_score(self, score) -> np.ndarray:
        odds = np.exp((np.asarray(score, dtype=float) - self.offset) / self.factor)
        return 1 / (1 + odds)

    def grade(self, pd_) -> np.ndarray:
        idx = np.searchsorted(np.asarray(self.pd_cutoffs), np.asarray(pd_, dtype=float), side="right")
        return np.asarray(GRADES, dtype=object)[idx]

    def bands(self) -> list[dict]:
        """The grade table for the model card: grade, PD upper bound, score lower bound."""
        rows = []
        for g, cut in zip(GRADES, [*self.pd_cutoffs, None], strict=True):
            rows.append({"grade": g, "pd_below": cut,
                         "score_above": None if cut is None else float(self.score(cut))})
        return rows

    def to_dict(self) -> dict:
        d = asdict(self)
        d["pd_cutoffs"] = list(self.pd_cutoffs)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ScoreScale":
        d = dict(d)
        d["pd_cutoffs"] = tuple(d.get("pd_cutoffs", PD_CUTOFFS))
        return cls(**d)

    def __post_init__(self):
        if len(self.pd_cutoffs) != len(GRADES) - 1 or list(self.pd_cutoffs) != sorted(self.pd_cutoffs):
            raise ValueError(f"pd_cutoffs must be {len(GRADES) - 1} increasing PDs")
        if self.pdo <= 0 or self.base_odds <= 0:
            raise ValueError("pdo and base_odds must be positive")
