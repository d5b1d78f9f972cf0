"""Calibration on known truth, small and seeded (benchmarks/bench_calibration.py runs 100
replicates per case): no method calls stable races runaway, every method finds runaway races,
and the bootstrap is not confidently wrong.

Measured on 30 replicates of 40 years (``python -c "from richardson.fitting.calibration
import calibrate; print(calibrate('var', n=30).summary())"``): stable races called runaway by
difference 0/30, var 0/30, ode 0/30; runaway races found by difference 30/30, var 29/30,
ode 29/30 (the rest withheld); P(runaway) >= 0.95 on stable races 0/30 for each.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from richardson.fitting.calibration import RUNAWAY, STABLE, calibrate, simulate_race


def test_the_synthetic_races_are_what_they_claim():
    stable = simulate_race(STABLE, years=400, seed=1)
    balance = np.linalg.solve(
        np.array([[-STABLE["a"], STABLE["k"]], [STABLE["l"], -STABLE["b"]]]),
        -np.array([STABLE["g"], STABLE["h"]]),
    )
    assert_allclose(stable.iloc[50:].mean().to_numpy(), balance, rtol=0.05)
    runaway = simulate_race(RUNAWAY, years=60, seed=1)
    assert runaway.iloc[-1].min() > 20 * runaway.iloc[0].max()  # grows about e^(0.1 * 60)
    assert simulate_race(STABLE, seed=3).equals(simulate_race(STABLE, seed=3))


@pytest.mark.parametrize("method", ["difference", "var", "ode"])
def test_stable_races_are_not_called_runaway(method):
    result = calibrate(method, "stable", n=6, seed=100, ci="wald")
    assert result.n == 6 and result.verdicts.get("runaway", 0) == 0, result.summary()
    assert result.verdicts.get("stable_balance", 0) >= 5, result.summary()


@pytest.mark.parametrize("method", ["difference", "var", "ode"])
def test_runaway_races_are_found(method):
    result = calibrate(method, "runaway", n=6, seed=200, ci="wald")
    assert result.verdicts.get("runaway", 0) >= 5, result.summary()
    assert result.verdicts.get("stable_balance", 0) == 0, result.summary()


@pytest.mark.slow
def test_the_bootstrap_is_not_confidently_wrong_on_stable_races():
    result = calibrate("difference", "stable", n=10, seed=300, bootstrap=100)
    assert result.confident_runaway == 0, result.summary()
    assert result.confident_share == 0.0
