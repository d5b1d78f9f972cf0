"""Trend and unit-root diagnostics (richardson.fitting.diagnostics) on series of known truth.

The counts in the comments are what these seeds give; in brackets, 300 seeded series of
the same design.
"""

import dataclasses
import json
import warnings

import numpy as np
import pandas as pd
import pytest

import richardson as rd
from richardson.errors import DataError, FitError
from richardson.fitting.diagnostics import TrendDiagnostics, trend_diagnostics

N = 80  # years
YEARS = 1900 + np.arange(N)


def random_walk(seed: int) -> np.ndarray:
    """A random walk with drift 1 and unit shocks."""
    return 50.0 + np.cumsum(np.random.default_rng(seed).normal(1.0, 1.0, N))


def trend_stationary(seed: int) -> np.ndarray:
    """A linear trend plus AR(1) noise with coefficient 0.5."""
    shocks = np.random.default_rng(seed).normal(0.0, 1.0, N)
    noise = np.zeros(N)
    for t in range(1, N):
        noise[t] = 0.5 * noise[t - 1] + shocks[t]
    return 10.0 + 0.5 * np.arange(N) + noise


def common_trend(seed: int, k: int = 2) -> pd.DataFrame:
    """k series: one random walk with drift plus independent unit noise each."""
    rng = np.random.default_rng(seed)
    walk = np.cumsum(rng.normal(1.0, 1.0, N))
    columns = {name: 2.0 * j + walk + rng.normal(0.0, 1.0, N) for j, name in enumerate("ABC"[:k])}
    return pd.DataFrame(columns, index=YEARS)


def p_words(p: float) -> str:
    """The documented wording of a p-value that is not a bound."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def conclusion(series: np.ndarray) -> str:
    return trend_diagnostics(pd.DataFrame({"A": series}, index=YEARS)).conclusions["A"]


# ---------------------------------------------------------------------- known truth
def test_random_walk_with_drift_has_a_unit_root():
    found = [conclusion(random_walk(seed)) for seed in range(20)]
    # measured: 16 "unit root", 2 "trend-stationary", 2 "inconclusive" (300 series: 66%,
    # 9%, 25%). The bound is below the 16/20 one might hope for: on 80 years the KPSS test
    # rejects trend-stationarity of a random walk in only 67% of cases, so "unit root"
    # (which needs both tests to agree) cannot be promised on more than about 2 in 3.
    assert found.count("unit root") >= 12
    assert found.count("trend-stationary") <= 3


def test_stationary_ar1_around_a_trend_is_trend_stationary():
    found = [conclusion(trend_stationary(seed)) for seed in range(100, 120)]
    # measured: 18 "trend-stationary", 2 "inconclusive" (300 series: 88%, 12%, 0% unit root)
    assert found.count("trend-stationary") >= 14
    assert found.count("unit root") == 0


def test_common_random_walk_is_cointegrated():
    results = [trend_diagnostics(common_trend(seed)) for seed in range(200, 220)]
    # measured: 20 of 20 (Engle-Granger)
    assert sum(r.cointegration.cointegrated for r in results) >= 16
    assert all(r.cointegration.method == "Engle-Granger" for r in results)
    assert all(r.has_unit_root == ("unit root" in r.conclusions.values()) for r in results)


def test_johansen_counts_one_relation_among_three():
    ranks = []
    for seed in range(10):
        frame = common_trend(seed)
        frame["C"] = 50.0 + np.cumsum(np.random.default_rng(seed + 99).normal(1.0, 1.0, N))
        result = trend_diagnostics(frame)
        assert result.cointegration.method == "Johansen trace"
        ranks.append(result.cointegration.rank)
    # measured: rank 1 in 9 of 10, 2 once (200 replicates: 88% rank 1, 11% rank 2, 1% rank 0)
    assert ranks.count(1) >= 7
    assert trend_diagnostics(frame, alpha=0.07).lines()[-1] == (
        "Johansen tested at 5%, not 7% (its critical values exist at 10, 5 and 1% only)."
    )


def test_short_series_are_not_tested():
    frame = common_trend(0).iloc[:10]
    result = trend_diagnostics(frame)
    assert result.conclusions == {"A": "too short", "B": "too short"}
    assert result.cointegration is None
    assert "A: too short for unit-root tests (10 years)." in result.lines()
    assert result.as_dict()["series"]["A"]["adf"] is None
    assert not result.has_unit_root
    assert "too short" in result.summary()


# ---------------------------------------------------------------------- wording
def test_lines_carry_the_numbers():
    walks = pd.DataFrame({"USA": random_walk(3), "USSR": random_walk(4)}, index=YEARS)
    result = trend_diagnostics(walks)
    assert result.conclusions == {"USA": "unit root", "USSR": "unit root"}
    usa, ussr = result["USA"], result["USSR"]
    assert usa.kpss.p_bound == ussr.kpss.p_bound == "below"  # KPSS beyond its table
    first = result.lines()[0]  # measured: ADF p = 0.66, 0.60; KPSS p < 0.01
    assert first == (
        f"Both series have a unit root (ADF p = {usa.adf.p_value:.2f}, "
        f"{ussr.adf.p_value:.2f}; KPSS p < 0.01): a constant-coefficient fit of levels is "
        'not meaningful; use differences or method="var" on a stationary transform.'
    )
    assert result.has_unit_root

    steady = pd.DataFrame({"USA": trend_stationary(100)}, index=YEARS)
    single = trend_diagnostics(steady)
    adf, kpss = single["USA"].adf, single["USA"].kpss
    assert kpss.p_bound == "above"  # measured: ADF p < 0.001, KPSS p = 0.10 or more
    assert single.lines() == [
        f"USA: trend-stationary (ADF {p_words(adf.p_value)}, KPSS p = 0.10 or more): it "
        "returns to a linear trend after shocks."
    ]


def test_cointegration_sentence():
    result = trend_diagnostics(common_trend(200))
    expected = p_words(result.cointegration.p_value)
    assert result.lines()[-1].startswith(
        f"The series are cointegrated (Engle-Granger {expected}): they share a stochastic trend"
    )


def test_result_is_frozen_plain_and_printable():
    result = trend_diagnostics(common_trend(1))
    assert isinstance(result, TrendDiagnostics)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.alpha = 0.1
    plain = result.as_dict()
    json.dumps(plain)  # plain numbers only
    assert set(plain["series"]) == {"A", "B"}
    assert plain["series"]["A"]["adf"]["lags"] >= 0
    assert plain["lines"] == result.lines()
    text = result.summary()
    assert text.startswith("Trend and unit-root diagnostics (the series as given, 1900-1979")
    assert "ADF: H0 unit root" in text and "Engle-Granger" in text
    assert result._repr_html_().startswith("<pre>")


def test_log_scale():
    growth = pd.DataFrame({"A": np.exp(0.01 * random_walk(5))}, index=YEARS)
    assert trend_diagnostics(growth, log=True).log
    with pytest.raises(DataError, match="positive"):
        trend_diagnostics(growth - 2.0, log=True)


# ---------------------------------------------------------------------- bad input
def test_bad_inputs_are_refused_with_their_fix():
    frame = common_trend(0)
    with pytest.raises(DataError, match="DataFrame"):
        trend_diagnostics([1.0, 2.0, 3.0])
    missing = frame.copy()
    missing.loc[1905, "A"] = np.nan
    with pytest.raises(DataError, match=r"\['A'\] in 1 year\(s\): 1905.*rd\.data\.interpolate"):
        trend_diagnostics(missing)
    with pytest.raises(DataError, match="not numeric"):
        trend_diagnostics(frame.assign(name="x"))
    with pytest.raises(FitError, match="alpha"):
        trend_diagnostics(frame, alpha=0.0)
    with pytest.raises(DataError, match=r"\['B'\] never change"):
        trend_diagnostics(frame.assign(B=1.0))
    with pytest.raises(DataError, match="not evenly spaced"):
        trend_diagnostics(frame.drop(index=[1950]))
    assert trend_diagnostics(frame["A"]).conclusions.keys() == {"A"}  # a Series is one column


# ---------------------------------------------------------------------- real data
def test_greece_turkey_has_a_conclusion_for_both():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a RichardsonWarning about jumps
        frame = rd.data.load("greece_turkey", prices="constant")
    result = trend_diagnostics(frame)
    assert set(result.conclusions) == {"Greece", "Turkey"}
    assert set(result.conclusions.values()) <= {"unit root", "trend-stationary", "inconclusive"}
    assert result.cointegration is not None and np.isfinite(result.cointegration.p_value)
    assert len(result.lines()) >= 2
