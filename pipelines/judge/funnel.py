"""Funnel-plot limits for small units: is a township's or a branch's shortfall beyond chance?

Funnel-plot control limits with exact binomial tails (Spiegelhalter, *Funnel plots for comparing
institutional performance*, 2005): a unit of n people whose rate is p is flagged when, were its
true rate the city's p0, a shortfall at least as large as the one observed would happen with a
probability below the one-sided tail of ``z`` (3.09 → 0.1 %, the 99.8 % limit). Exact tails matter
near 100 %, where the normal approximation would flag a branch of 12 for one absent member.
SciPy's binomial survival function computes the tails for every candidate at once.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import binom

EPS = 1e-9


def tail_probability(bad: np.ndarray, n: np.ndarray, pi: np.ndarray) -> np.ndarray:
    """P(B ≥ bad) for B ~ Binomial(n, pi), element-wise (1 where bad ≤ 0)."""
    bad = np.asarray(bad, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    pi = np.clip(np.asarray(pi, dtype=float), 0.0, 1.0)
    out = binom.sf(bad - 1, n, pi)
    return np.where(bad <= 0, 1.0, out)


def beyond_limit(p: np.ndarray, n: np.ndarray, p0: np.ndarray, sign: int, z: float) -> np.ndarray:
    """True where a proportion ``p`` of ``n`` lies beyond the funnel limit around ``p0``, on the bad side.

    The shortfall counted is failures when higher is better (n·(1 − p), chance 1 − p0) and
    successes when lower is better (n·p, chance p0).
    """
    p = np.asarray(p, dtype=float)
    n = np.asarray(n, dtype=float)
    p0 = np.asarray(p0, dtype=float)
    ok = np.isfinite(p) & np.isfinite(p0) & np.isfinite(n) & (n > 0) & (sign * (p - p0) < -EPS)
    out = np.zeros(len(p), dtype=bool)
    if not ok.any():
        return out
    nn = np.round(n[ok]).astype(np.int64)
    bad = np.round(nn * ((1 - p[ok]) if sign > 0 else p[ok])).astype(np.int64)
    chance = (1 - p0[ok]) if sign > 0 else p0[ok]
    alpha = 0.5 * math.erfc(z / math.sqrt(2))
    out[ok] = tail_probability(bad, nn, chance) < alpha
    return out
