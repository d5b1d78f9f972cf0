"""escalation_probability: coverage of its interval on a closed-form first-passage
probability, the model's own threshold, and the verdicts it withholds."""

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose
from scipy.stats import norm

import richardson as rd
from richardson.analysis.escape import interval
from richardson.errors import SimulationError, UnknownSymbolError


def _first_passage(mu, sigma, level, horizon):
    """P(max_{t <= T} X_t >= b) for X = mu t + sigma W from 0 (reflection principle)."""
    s = sigma * np.sqrt(horizon)
    return norm.cdf((mu * horizon - level) / s) + np.exp(2 * mu * level / sigma**2) * norm.cdf(
        (-level - mu * horizon) / s
    )


def test_coverage_on_brownian_motion_with_drift():
    """1-D Brownian motion with drift 0.4 and sigma 1 reaching 1 within 1 year: the exact
    probability is 0.4540. 100,000 paths in 200 groups of 500: the overall estimate lies within
    4 standard errors of it, and the 95% Wilson intervals of the groups cover it in 95.5% of
    the groups (seed 1; the sd of a coverage from 200 groups is 1.5%). Watching only at the
    50 sub-steps misses excursions between them: the same paths then give 0.413 and a
    coverage of 57%; the Brownian bridge check between sub-steps removes that bias."""
    mu, sigma, level, horizon = 0.4, 1.0, 1.0, 1.0
    truth = _first_passage(mu, sigma, level, horizon)
    assert_allclose(truth, 0.45398, atol=1e-5)
    model = rd.Model(["x"], {"mu": mu}, [sp.Symbol("mu")])
    result = rd.escalation_probability(
        model, horizon, sigma, y0=[0.0], threshold=level, n_paths=100_000, seed=1, dt=0.02
    )
    se = np.sqrt(truth * (1 - truth) / result.n_paths)
    assert abs(result.probability - truth) < 4 * se
    assert result.lower < truth < result.upper
    crossed = np.isfinite(result.crossing_times).reshape(200, 500)
    covered = [
        low <= truth <= high for low, high in (interval(k, 500, 0.95) for k in crossed.sum(axis=1))
    ]
    coverage = float(np.mean(covered))
    assert 0.91 <= coverage <= 0.99, coverage
    assert np.nanmax(result.crossing_times) <= horizon
    # ending beyond the level at the horizon: P(X_T >= b) = Phi((mu T - b) / (sigma sqrt T))
    ended = norm.cdf((mu * horizon - level) / (sigma * np.sqrt(horizon)))
    share = result.ended_beyond / result.n_paths
    assert abs(share - ended) < 4 * np.sqrt(ended * (1 - ended) / result.n_paths)
    assert "<pre>" in result._repr_html_() and "EscalationProbability 0.45" in repr(result)


def test_threshold_of_a_linear_threshold_regime():
    """k = 1.2 > a = 1 with goodwill g = -0.5: a saddle at x = y = 2.5. From 2.4 the drift is
    down, but shocks of 0.3 per sqrt(year) lift many paths over the balance."""
    model = rd.richardson2(k=1.2, l=1.2, a=1.0, b=1.0, g=-0.5, h=-0.5)
    near = rd.escalation_probability(model, 10, 0.3, y0=[2.4, 2.4], n_paths=2000, seed=0)
    far = rd.escalation_probability(model, 10, 0.3, y0=[1.0, 1.0], n_paths=2000, seed=0)
    assert "threshold balance" in near.threshold
    assert near.probability > far.upper  # closer to the threshold, more escapes
    assert near.lower < near.probability < near.upper
    assert "simulated paths (95% CI" in near.summary()
    beyond = rd.escalation_probability(model, 10, 0.3, y0=[2.6, 2.6], n_paths=10)
    assert beyond.is_withheld and "already lies" in beyond.reason


def test_classify_with_noise_ends_its_explanation_with_the_escape_probability():
    model = rd.richardson2(k=1.2, l=1.2, a=1.0, b=1.0, g=-0.5, h=-0.5)
    quiet = rd.classify(model, y0=[2.4, 2.4])
    shaken = rd.classify(model, y0=[2.4, 2.4], noise=0.3, noise_horizon=5, seed=3)
    direct = rd.escalation_probability(model, 5, 0.3, y0=[2.4, 2.4], seed=3)
    assert quiet.escape is None and shaken.name == quiet.name == "threshold"
    assert shaken.escape.crossings == direct.crossings  # the same seeded paths
    assert shaken.explanation.startswith(quiet.explanation)
    assert shaken.explanation.endswith(direct.summary())
    assert "sigma = 0.3 per actor" in shaken.summary()


def test_trigger_point_of_a_bistable_alliance():
    model = rd.load_model(_models() / "mutual_defence_trigger.toml")
    result = rd.escalation_probability(model, 20, 0.3, n_paths=3000, seed=0)
    assert "trigger point" in result.threshold
    assert 0 < result.crossings < result.n_paths
    quiet = rd.escalation_probability(model, 20, 0.05, n_paths=1000, seed=0)
    assert quiet.crossings == 0
    assert "None of 1,000 simulated paths" in quiet.summary()
    assert "upper bound" in quiet.summary() and "0.00%" not in quiet.summary()
    assert_allclose(quiet.upper, interval(0, 1000, 0.95)[1])


def test_withheld_without_threshold(classic):
    result = rd.escalation_probability(classic, 10, 0.3, y0=[1, 1])
    assert result.is_withheld and "no threshold" in result.reason
    assert result.summary().startswith("Escalation probability withheld")
    level = rd.escalation_probability(classic, 10, 0.3, y0=[1, 1], threshold={"x": 1.6})
    assert not level.is_withheld and "x = 1.6" in level.threshold


def test_bad_input(classic):
    with pytest.raises(SimulationError, match="horizon"):
        rd.escalation_probability(classic, -1, 0.3, y0=[1, 1])
    with pytest.raises(SimulationError, match="confidence"):
        rd.escalation_probability(classic, 1, 0.3, y0=[1, 1], confidence=95)
    with pytest.raises(UnknownSymbolError, match="Did you mean"):
        rd.escalation_probability(classic, 1, 0.3, y0=[1, 1], threshold={"xx": 1.0})


def _models():
    from pathlib import Path

    return Path(__file__).resolve().parents[2] / "models"
