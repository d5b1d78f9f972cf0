"""Moving-block resampling: the rows it draws, the rule that picks it, and what it buys on
autocorrelated series whose truth is known."""

import numpy as np
import pandas as pd
import pytest

import richardson as rd
from richardson.fitting.blocks import ResamplingScheme, choose_scheme, resampled_rows


def ar1(rho: float, n_times: int, rng: np.random.Generator) -> np.ndarray:
    x = np.zeros(n_times)
    x[0] = rng.normal() / np.sqrt(1 - rho**2)
    for t in range(1, n_times):
        x[t] = rho * x[t - 1] + rng.normal()
    return x


def test_block_rows_are_runs_of_consecutive_years():
    rng = np.random.default_rng(0)
    rows = resampled_rows(40, 500, ResamplingScheme("block", 4, "test"), rng)
    assert rows.shape == (500, 40) and rows.min() >= 0 and rows.max() <= 39
    steps = np.diff(rows.reshape(500, 10, 4), axis=2)
    assert np.all(steps == 1)  # inside each block the years follow each other
    iid = resampled_rows(40, 500, ResamplingScheme("iid", 1, "test"), rng)
    assert np.mean(np.diff(iid, axis=1) == 1) < 0.1


def test_the_rule_picks_blocks_for_autocorrelated_residuals():
    rng = np.random.default_rng(1)
    white = [choose_scheme(rng.normal(size=(40, 2))).kind for _ in range(50)]
    red = [choose_scheme(np.column_stack([ar1(0.7, 40, rng)] * 2)).kind for _ in range(50)]
    # two series at a 95% band each: iid in about 90% of white-noise cases (measured 46/50)
    assert white.count("iid") >= 40
    assert red.count("block") >= 48  # measured 50/50
    chosen = choose_scheme(np.column_stack([ar1(0.7, 40, rng)]))
    assert chosen.block_length == 3 and "2/sqrt(T) = 0.32" in chosen.reason
    with pytest.raises(rd.FitError, match="scheme must be one of"):
        choose_scheme(rng.normal(size=(40, 1)), scheme="blocks")
    with pytest.raises(rd.FitError, match="block_length"):
        choose_scheme(rng.normal(size=(40, 1)), scheme="block", block_length=0)


def test_blocks_keep_the_spread_that_single_years_lose():
    """The mean of 200 years of an AR(1) with rho = 0.6 has variance (1 + rho)/(1 - rho) = 4
    times that of white noise. Resampling single years sees only the white-noise part;
    moving blocks of 12 years recover most of it. Measured ratios to the truth: iid 0.26,
    blocks 0.81 (mean over 20 series)."""
    rng = np.random.default_rng(2)
    rho, n_times = 0.6, 200
    truth = (1 / (1 - rho**2)) * (1 + rho) / (1 - rho) / n_times  # long-run variance / T, approx
    ratios = {"iid": [], "block": []}
    for _ in range(20):
        series = ar1(rho, n_times, rng)
        for kind, length in (("iid", 1), ("block", 12)):
            rows = resampled_rows(n_times, 400, ResamplingScheme(kind, length, "test"), rng)
            ratios[kind].append(np.var(series[rows].mean(axis=1)) / truth)
    assert np.mean(ratios["iid"]) < 0.4
    assert 0.6 < np.mean(ratios["block"]) < 1.2


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:fit at a bound:richardson.errors.RichardsonWarning")
def test_bootstrap_names_its_scheme():
    """Levels wandering around a balance with AR(0.8) deviations: the trajectory fit's residuals
    are the deviations, strongly autocorrelated, so the bootstrap draws blocks."""
    rng = np.random.default_rng(3)
    years = np.arange(1950, 1990)
    shocks = np.column_stack([ar1(0.8, years.size, rng), ar1(0.8, years.size, rng)])
    data = pd.DataFrame(np.array([20.0, 15.0]) + shocks, index=years, columns=["x", "y"])
    data.attrs["units"] = "spending index"
    result = rd.fit(rd.richardson2(), data, ci="wald", verdict=False)
    boot = result.bootstrap(30, seed=1, verdicts=False, margins=False)
    assert boot.scheme.kind == "block" and boot.scheme.block_length == 3
    assert "moving blocks of 3 consecutive years" in boot.summary()
    iid = result.bootstrap(30, seed=1, verdicts=False, margins=False, scheme="iid")
    assert "single years (asked for)" in iid.summary()
    assert 0.0 <= boot.failed_share <= 1.0 and f"{boot.failed_share:.0%} failed" in boot.summary()
