"""Calibration on known truth: how often each fitting method calls a system runaway when the
truth is stable (and the reverse), and how often the bootstrap is confidently wrong.

The synthetic races are two-nation Richardson systems hit by yearly shocks, sampled once a
year: exactly the process ``method="var"`` models, and the one that real budgets resemble
(crises, elections). ``benchmarks/bench_calibration.py`` runs 100 replicates per case; the test
suite keeps small seeded versions.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg
from tqdm import tqdm

from ..errors import RichardsonWarning
from ..model.families import richardson2

__all__ = ["STABLE", "RUNAWAY", "Calibration", "simulate_race", "calibrate"]

#: A stable race: a b = 0.225 > k l = 0.075 (balance x = 66.4, y = 70.2), per year.
STABLE = MappingProxyType({"k": 0.3, "l": 0.25, "a": 0.5, "b": 0.45, "g": 20.0, "h": 15.0})
#: A runaway race: k l = 0.275 > a b = 0.18 (growth rate 0.10 per year).
RUNAWAY = MappingProxyType({"k": 0.55, "l": 0.5, "a": 0.4, "b": 0.45, "g": 5.0, "h": 4.0})


def simulate_race(
    params: Mapping[str, float],
    years: int = 40,
    shock: float = 3.0,
    start: tuple[float, float] = (40.0, 40.0),
    seed: int = 0,
) -> pd.DataFrame:
    """Yearly observations of a two-nation Richardson race with yearly shocks.

    ``x[t+1] = F x[t] + c + e[t]`` with ``F = expm(A)``, ``c = A^-1 (F - I) g`` (the exact
    yearly sampling of ``dx/dt = A x + g`` between shocks) and independent shocks
    ``e ~ N(0, shock^2 I)``.

    Parameters
    ----------
    params : mapping
        ``k, l, a, b`` (1/year) and ``g, h`` (spending units/year) of :func:`richardson2`.
    years : int
        Number of yearly observations.
    shock : float
        Standard deviation of each year's shock, spending units.
    start : pair of float
        Spending in the first year.
    seed : int
        Seed of the shocks.

    Returns
    -------
    pandas.DataFrame
        Year index 0..years-1, columns ``x`` and ``y``; ``attrs["units"]`` says
        ``"spending index"`` (no prices).
    """
    A = np.array([[-params["a"], params["k"]], [params["l"], -params["b"]]], dtype=float)
    g = np.array([params["g"], params["h"]], dtype=float)
    augmented = scipy.linalg.expm(np.block([[A, g[:, None]], [np.zeros((1, 3))]]))
    F, c = augmented[:2, :2], augmented[:2, 2]
    rng = np.random.default_rng(seed)
    values = np.empty((years, 2))
    values[0] = start
    for t in range(1, years):
        values[t] = F @ values[t - 1] + c + rng.normal(0.0, shock, 2)
    frame = pd.DataFrame(values, index=np.arange(years), columns=["x", "y"])
    frame.attrs["units"] = "spending index"
    return frame


@dataclass(frozen=True)
class Calibration:
    """Verdicts of one method on replicates of one truth.

    Attributes
    ----------
    method : str
        Fitting method.
    truth : str
        ``"stable"`` or ``"runaway"``.
    verdicts : mapping
        Count of each verdict (regime name, ``"withheld"``, ``"failed"``).
    confident_runaway : int
        Replicates with bootstrap ``P(runaway) >= 0.95`` (0 when no bootstrap was run).
    n : int
        Replicates finished.
    """

    method: str
    truth: str
    verdicts: Mapping[str, int]
    confident_runaway: int = 0
    n: int = 0
    bootstrap: int = 0
    options: Mapping[str, Any] = field(default_factory=dict)

    def share(self, verdict: str) -> float:
        """Share of replicates with that verdict."""
        return self.verdicts.get(verdict, 0) / self.n if self.n else math.nan

    @property
    def runaway_share(self) -> float:
        return self.share("runaway")

    @property
    def confident_share(self) -> float:
        """Share of replicates with bootstrap ``P(runaway) >= 0.95``."""
        return self.confident_runaway / self.n if self.n and self.bootstrap else math.nan

    def summary(self) -> str:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.verdicts.items()))
        text = f"{self.method} on {self.n} {self.truth} replicates: {parts}"
        if self.bootstrap:
            text += f"; P(runaway) >= 0.95 in {self.confident_runaway}"
        return text


def calibrate(
    method: str,
    truth: str = "stable",
    n: int = 100,
    seed: int = 0,
    bootstrap: int = 0,
    years: int = 40,
    progress: bool = False,
    **fit_options: Any,
) -> Calibration:
    """Fit ``n`` seeded replicates of a known truth and count the verdicts.

    Parameters
    ----------
    method : {"difference", "ode", "var"}
        Passed to :func:`richardson.fit`.
    truth : {"stable", "runaway"}
        :data:`STABLE` or :data:`RUNAWAY`.
    n : int
        Replicates (seeds ``seed .. seed + n - 1``).
    seed : int
        First seed.
    bootstrap : int
        Resamples per replicate for ``P(runaway)`` (0: none).
    years : int
        Years per replicate.
    progress : bool
        Show a tqdm progress bar. Ctrl-C returns the replicates finished so far.
    **fit_options
        Passed to :func:`richardson.fit` (the escalation margin is searched over ``k`` only
        unless ``margin_over`` is given: the verdict does not depend on it).

    Returns
    -------
    Calibration
    """
    from .estimate import fit

    params = STABLE if truth == "stable" else RUNAWAY
    fit_options.setdefault("margin_over", ["k"])
    counts: Counter[str] = Counter()
    confident = done = 0
    try:
        for replicate in tqdm(range(n), desc=f"calibration {method}", disable=not progress):
            data = simulate_race(params, years=years, seed=seed + replicate)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RichardsonWarning)
                try:
                    result = fit(richardson2(), data, method=method, **fit_options)
                except (ArithmeticError, ValueError, RuntimeError, np.linalg.LinAlgError):
                    counts["failed"] += 1
                    done += 1
                    continue
                if result.regime is None:
                    counts["withheld"] += 1
                else:
                    # heading for runaway: runaway, or a threshold the last year lies beyond
                    regime = result.regime
                    beyond = regime.name == "threshold" and regime.fate == "runaway"
                    counts["runaway" if beyond else regime.name] += 1
                    if bootstrap:
                        boot = result.bootstrap(bootstrap, seed=replicate, margins=False)
                        confident += int(boot.p_runaway >= 0.95)
            done += 1
    except KeyboardInterrupt:
        pass
    return Calibration(method, truth, dict(counts), confident, done, bootstrap, dict(fit_options))
