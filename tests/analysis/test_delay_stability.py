"""Stability with delays: characteristic roots, critical delays and verdicts, against closed
forms (Hayes 1950 for x' = -a x(t - tau); the two-nation crossing condition derived below)."""

import dataclasses
import math

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose
from scipy.special import lambertw

import richardson as rd
from richardson.analysis._delay_roots import imaginary_crossings, rightmost_roots
from richardson.errors import ModelError

x, y, z, k, l, a, b, g, h, tau = sp.symbols("x y z k l a b g h tau")


def self_correcting(a_value=1.0, tau_value=1.0):
    """x' = -a x(t - tau): a budget corrected with a lag."""
    return rd.Model(["x"], {"a": a_value, "tau": tau_value}, [-a * rd.delayed(x, tau)])


def two_nation(both=True, **values):
    """x' = -a x + k y(t - tau) + g, y' = l x(t - tau) - b y + h (Richardson, delayed reactions)."""
    params = {"k": 0.9, "l": 0.8, "a": 1.0, "b": 1.1, "g": 0.5, "h": 0.3, "tau": 1.0} | values
    reaction_y = l * rd.delayed(x, tau) if both else l * x
    rhs = [-a * x + k * rd.delayed(y, tau) + g, reaction_y - b * y + h]
    return rd.Model(["x", "y"], params, rhs)


@pytest.mark.parametrize("a_tau", [0.2, 0.36, 0.9, 1.5, 2.5])
def test_rightmost_root_of_the_scalar_equation_is_lambert_w(a_tau):
    # x' = -a x(t - tau): lambda = W_0(-a tau) / tau is the rightmost root (Hayes 1950;
    # Corless et al. 1996)
    a_value, lag = 0.7, a_tau / 0.7
    exact = complex(lambertw(-a_tau, 0)) / lag
    got = rightmost_roots(np.zeros((1, 1)), [(lag, np.array([[-a_value]]))], count=3)
    assert abs(got[0].real - exact.real) < 1e-9
    assert abs(abs(got[0].imag) - abs(exact.imag)) < 1e-7


@pytest.mark.parametrize("a_value", [0.5, 1.0, 3.0])
def test_scalar_critical_delay_is_pi_over_2a(a_value):
    result = rd.critical_delay(self_correcting(a_value), "tau")
    assert result.stable_without_delay
    assert result.delay == pytest.approx(math.pi / (2 * a_value), rel=1e-10)
    assert result.frequency == pytest.approx(a_value, rel=1e-10)
    assert result.period == pytest.approx(2 * math.pi / a_value, rel=1e-10)
    at_critical = rightmost_roots(np.zeros((1, 1)), [(result.delay, np.array([[-a_value]]))])
    assert abs(at_critical[0].real) < 1e-9
    (crossing,) = result.crossings
    assert crossing[2] > 0  # the root moves right: stability is lost, not gained


@pytest.mark.parametrize(("factor", "name"), [(0.95, "disarmament"), (1.05, "oscillatory")])
def test_scalar_is_stable_iff_a_tau_below_pi_over_2(factor, name):
    a_value = 2.0
    model = self_correcting(a_value, factor * math.pi / (2 * a_value))
    regime = rd.classify(model)
    assert regime.name == name
    assert (regime.growth_rate < 0) == (factor < 1)
    assert regime.method == "delay"
    assert f"{math.pi / (2 * a_value):.3g}" in regime.explanation  # the critical delay
    fate = rd.classify(model, y0=[1.0]).fate
    assert fate == name  # every start shares the balance's fate in a linear model


def negative_crossing(a_value, b_value, kl, both):
    """Closed form of the two-nation crossing with kl < 0 (derived in the docs page):
    (lambda + a)(lambda + b) = k l exp(-m lambda tau), m = 2 with both reactions delayed.
    At lambda = i omega: (omega^2 + a^2)(omega^2 + b^2) = (k l)^2 and
    m omega tau = pi - atan(omega / a) - atan(omega / b)."""
    s = a_value**2 + b_value**2
    omega = math.sqrt((-s + math.sqrt((a_value**2 - b_value**2) ** 2 + 4 * kl**2)) / 2)
    m = 2 if both else 1
    lag = (math.pi - math.atan(omega / a_value) - math.atan(omega / b_value)) / (m * omega)
    return omega, lag


@pytest.mark.parametrize("both", [True, False])
def test_two_nation_crossing_matches_the_closed_form(both):
    # a free rider x cuts spending when its partner y spends (k < 0); y follows x (l > 0)
    values = {"k": -0.9, "l": 0.8, "a": 0.3, "b": 0.2}
    model = two_nation(both, **values)
    omega, lag = negative_crossing(0.3, 0.2, -0.9 * 0.8, both)
    result = rd.critical_delay(model, "tau")
    assert result.stable_without_delay
    assert result.frequency == pytest.approx(omega, rel=1e-9)
    assert result.delay == pytest.approx(lag, rel=1e-9)
    assert rd.classify(model, params={"tau": 0.97 * lag}).name == "stable_balance"
    assert rd.classify(model, params={"tau": 1.03 * lag}).name == "oscillatory"


def test_two_nation_unstable_without_delay_has_critical_delay_zero():
    model = two_nation(k=1.2, l=1.1)  # k l > a b: Richardson's runaway
    result = rd.critical_delay(model, "tau")
    assert not result.stable_without_delay and result.delay == 0.0
    assert rd.classify(model).name == "runaway"


@pytest.mark.parametrize("lag", [0.1, 1.0, 3.0, 10.0, 40.0])
def test_metzler_two_nation_is_stable_for_every_delay(lag):
    model = two_nation(tau=lag)  # k l = 0.72 < a b = 1.1, non-negative reactions
    result = rd.critical_delay(model, "tau")
    assert math.isinf(result.delay) and math.isnan(result.frequency) and result.metzler
    assert result.crossings == ()
    assert result.rightmost_root.real < 0 and result.is_stable
    regime = rd.classify(model)
    assert regime.name == "stable_balance"
    assert "Metzler" in regime.explanation
    # the balance is that of the undelayed model: (b g + k h, l g + a h) / (a b - k l)
    balance = np.array([1.1 * 0.5 + 0.9 * 0.3, 0.8 * 0.5 + 1.0 * 0.3]) / (1.1 - 0.72)
    assert_allclose(regime.equilibria[0].state, balance, rtol=1e-10)


def test_random_metzler_systems_never_cross():
    rng = np.random.default_rng(7)
    for _ in range(8):
        n = int(rng.integers(2, 5))
        K = rng.uniform(0, 1, (n, n)) * (1 - np.eye(n))
        fatigue = K.sum(axis=1) + rng.uniform(0.1, 1.0, n)  # strictly diagonally dominant
        A0, A1 = -np.diag(fatigue), K
        assert imaginary_crossings(A0, A1) == []
        for lag in (0.5, 5.0):
            assert rightmost_roots(A0, [(lag, A1)], count=1)[0].real < 0


def test_delayed_negative_feedback_oscillates_with_the_predicted_period():
    # a budget that corrects its own spending with a lag, next to a rival:
    # x' = -a x(t - tau) + k y + g, y' = l x - b y + h
    params = {"a": 1.0, "k": 0.3, "g": 1.0, "l": 0.4, "b": 1.0, "h": 0.5, "tau": 1.0}
    rhs = [-a * rd.delayed(x, tau) + k * y + g, l * x - b * y + h]
    model = rd.Model(["x", "y"], params, rhs)
    result = rd.critical_delay(model, "tau")
    assert 0 < result.delay < math.inf
    balance = np.array(list(result.balance.values()))
    # at the critical delay the swings neither grow nor die: measure their period
    run = rd.simulate(
        model,
        (0, 240),
        y0=balance + [0.5, 0.0],
        method="DOP853",
        rtol=1e-10,
        atol=1e-12,
        params={"tau": result.delay},
        t_eval=np.linspace(0, 240, 24001),
    )
    signal = run.values[:, 0] - balance[0]
    up = np.nonzero((signal[:-1] < 0) & (signal[1:] >= 0))[0]
    crossings = run.time[up] - signal[up] * (run.time[up + 1] - run.time[up]) / (
        signal[up + 1] - signal[up]
    )
    late = crossings[crossings > 120]
    assert np.diff(late).mean() == pytest.approx(result.period, rel=1e-3)
    beyond = rd.classify(model, params={"tau": 1.2 * result.delay})
    assert beyond.name == "oscillatory"
    assert "critical delay" in beyond.explanation


def test_critical_delay_result_is_immutable_and_shows_itself():
    result = rd.critical_delay(self_correcting(), "tau")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.delay = 1.0
    assert "Hopf" in result.summary() and "1.5708" in result.summary()
    assert result._repr_html_().startswith("<pre>")


def test_critical_delay_refuses_what_it_cannot_vary():
    with pytest.raises(ModelError, match="needs a model with delayed terms"):
        rd.critical_delay(rd.richardson2(), "k")
    with pytest.raises(ModelError, match="no delayed term has the lag"):
        rd.critical_delay(self_correcting(), "a")
    with pytest.raises(ModelError, match="not a parameter"):
        rd.critical_delay(self_correcting(), "tua")
    m = rd.Model(["x"], {"a": 1.0, "tau": 1.0}, [-a * rd.delayed(x, tau) - tau * x])
    with pytest.raises(ModelError, match="outside the lags"):
        rd.critical_delay(m, "tau")


def test_two_delays_with_one_fixed():
    # x' = -a x(t - tau) - 0.2 x(t - 2): the fixed delay enters B(omega)
    m = rd.Model(
        ["x"],
        {"a": 1.0, "tau": 1.0},
        [-a * rd.delayed(x, tau) - sp.Rational(1, 5) * rd.delayed(x, 2)],
    )
    result = rd.critical_delay(m, "tau")
    lam = 1j * result.frequency
    residual = lam + np.exp(-lam * result.delay) + 0.2 * np.exp(-2 * lam)
    assert abs(residual) < 1e-10
    below = rightmost_roots(
        np.zeros((1, 1)), [(0.99 * result.delay, np.array([[-1.0]])), (2.0, np.array([[-0.2]]))]
    )
    assert below[0].real < 0


def test_hutchinson_logistic_delay_linearised_at_its_balance():
    # x' = r x (1 - x(t - tau) / K) (Hutchinson 1948): at x* = K the linearisation is
    # u' = -r u(t - tau), so tau_c = pi / (2 r) and the cycle born there has frequency r
    r, K, lag = sp.symbols("r K tau")
    model = rd.Model(
        ["x"], {"r": 0.8, "K": 5.0, "tau": 1.0}, [r * x * (1 - rd.delayed(x, lag) / K)]
    )
    result = rd.critical_delay(model, "tau")
    assert result.balance["x"] == pytest.approx(5.0, rel=1e-9)
    assert result.delay == pytest.approx(math.pi / 1.6, rel=1e-9)
    assert result.frequency == pytest.approx(0.8, rel=1e-9)
    beyond = rd.classify(model, params={"tau": 2.5}, n_samples=8)
    assert beyond.name == "oscillatory" and beyond.method == "delay"
    # the swings stay bounded (a limit cycle): spending keeps crossing the balance
    run = rd.simulate(model, (0, 200), y0=[4.0], params={"tau": 2.5}, method="DOP853")
    late = run.values[run.time > 100, 0]
    assert late.min() < 5.0 < late.max() < 50.0


def test_critical_delay_agrees_with_the_rightmost_roots_on_random_systems():
    # invariant: at the critical delay the rightmost root sits on the axis at i omega; just
    # below it every root is to the left, just above one pair is to the right
    rng = np.random.default_rng(11)
    checked = 0
    for _ in range(12):
        A0 = np.diag(-rng.uniform(0.5, 1.5, 2)) + rng.uniform(-0.3, 0.3, (2, 2)) * (1 - np.eye(2))
        A1 = rng.uniform(-1.5, 0.5, (2, 2))
        m = rd.Model(
            ["x", "y"],
            {"tau": 1.0},
            [
                float(A0[0, 0]) * x
                + float(A0[0, 1]) * y
                + float(A1[0, 0]) * rd.delayed(x, tau)
                + float(A1[0, 1]) * rd.delayed(y, tau),
                float(A0[1, 0]) * x
                + float(A0[1, 1]) * y
                + float(A1[1, 0]) * rd.delayed(x, tau)
                + float(A1[1, 1]) * rd.delayed(y, tau),
            ],
        )
        result = rd.critical_delay(m, "tau", balance=[0.0, 0.0])
        if not result.stable_without_delay or math.isinf(result.delay):
            continue
        checked += 1
        at = rightmost_roots(A0, [(result.delay, A1)], count=1)[0]
        assert abs(at.real) < 1e-8 and abs(abs(at.imag) - result.frequency) < 1e-8
        assert rightmost_roots(A0, [(0.98 * result.delay, A1)], count=1)[0].real < 0
        assert rightmost_roots(A0, [(1.02 * result.delay, A1)], count=1)[0].real > 0
    assert checked >= 3
