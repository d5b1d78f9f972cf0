"""Calibration on synthetic data of known truth (issue 15 targets).

- Runaway share of each fitting method on 100 stable noisy races (target <= 10%) and on 100
  runaway races (target >= 90%); withheld verdicts are counted apart (they claim nothing).
- Share of stable replicates with bootstrap ``P(runaway) >= 0.95`` (target <= 5%).
- False-positive rate of ``rd.coupling_test`` on pairs of independent series that each grow
  6% a year (target <= 10%), and its power on strongly coupled ones.

The races are :func:`richardson.fitting.calibration.simulate_race` (40 years, yearly shocks
of 3 spending units): ``STABLE`` (a b = 0.225 > k l = 0.075) and ``RUNAWAY`` (growth 0.10 per
year).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

import richardson as rd
from richardson.fitting.calibration import calibrate

N = 100
BOOTSTRAP = 100


def bench_calibration_verdicts() -> list[dict]:
    rows = []
    for method in ("difference", "var", "ode"):
        started = time.perf_counter()
        stable = calibrate(method, "stable", n=N, seed=10_000, bootstrap=BOOTSTRAP, ci="wald")
        runaway = calibrate(method, "runaway", n=N, seed=20_000, ci="wald")
        rows.append(
            {
                "name": f"calibration.{method}",
                "stable_called_runaway": stable.runaway_share,
                "stable_withheld": stable.share("withheld"),
                "runaway_found": runaway.runaway_share,
                "runaway_withheld": runaway.share("withheld"),
                "stable_p_runaway_ge_0.95": stable.confident_share,
                "targets": "stable_called_runaway <= 0.10, runaway_found >= 0.90, "
                "stable_p_runaway_ge_0.95 <= 0.05",
                "met": bool(
                    stable.runaway_share <= 0.10
                    and runaway.runaway_share >= 0.90
                    and stable.confident_share <= 0.05
                ),
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
    return rows


def _trending_pair(rng: np.random.Generator, years: int = 50) -> pd.DataFrame:
    """Two independent series growing 6% a year with AR(1) deviations (rho = 0.6)."""
    columns = []
    for _ in range(2):
        noise = np.zeros(years)
        for t in range(1, years):
            noise[t] = 0.6 * noise[t - 1] + rng.normal(0.0, 0.1)
        columns.append(100.0 * np.exp(0.06 * np.arange(years) + noise))
    return pd.DataFrame(np.column_stack(columns), index=np.arange(years), columns=["x", "y"])


def _coupled_levels(rng: np.random.Generator, years: int = 80) -> pd.DataFrame:
    """Log levels pulled towards each other: x[t+1] = x[t] + 0.06 + 0.3 (y[t] - x[t]) + e."""
    logs = np.zeros((years, 2))
    logs[0] = [4.0, 4.5]
    for t in range(1, years):
        gap = logs[t - 1, 1] - logs[t - 1, 0]
        logs[t, 0] = logs[t - 1, 0] + 0.06 + 0.3 * gap + rng.normal(0.0, 0.05)
        logs[t, 1] = logs[t - 1, 1] + 0.06 - 0.3 * gap + rng.normal(0.0, 0.05)
    return pd.DataFrame(np.exp(logs), index=np.arange(years), columns=["x", "y"])


def bench_coupling_test_calibration() -> list[dict]:
    rows = []
    for method in ("granger", "lr"):
        rng = np.random.default_rng(30_000)
        false = [rd.coupling_test(_trending_pair(rng), method=method).coupled for _ in range(N)]
        rng = np.random.default_rng(40_000)
        power = [rd.coupling_test(_coupled_levels(rng), method=method).coupled for _ in range(N)]
        rows.append(
            {
                "name": f"coupling_test.{method}",
                "false_positive_rate": float(np.mean(false)),
                "power_coupled_levels": float(np.mean(power)),
                "target": "false_positive_rate <= 0.10",
                "met": bool(np.mean(false) <= 0.10),
            }
        )
    return rows
