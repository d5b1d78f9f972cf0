"""Delay models in rd.simulate: the method of steps against closed forms."""

import math

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose

import richardson as rd
from richardson.errors import SimulationError

x, y, a, g, tau, lam = sp.symbols("x y a g tau lam")


def negative_feedback(**values):
    """x' = lam x(t - tau): x' = -x(t - 1) with the defaults."""
    return rd.Model(["x"], {"lam": -1.0, "tau": 1.0} | values, [lam * rd.delayed(x, tau)])


def steps_solution(t):
    """x' = -x(t - 1), x = 1 before 0: the method of steps by hand (piecewise polynomial)."""
    t = np.asarray(t, dtype=float)
    u = t - 1
    second = t**2 / 2 - 2 * t + 1.5
    third = -0.5 - (u**3 / 6 - u**2 + 1.5 * u - 2.0 / 3.0)
    return np.where(t <= 1, 1 - t, np.where(t <= 2, second, third))


@pytest.mark.parametrize("method", ["RK45", "DOP853", "LSODA", "Radau"])
def test_method_of_steps_matches_the_piecewise_polynomial(method):
    times = np.linspace(0, 3, 61)
    rtol, atol = 1e-8, 1e-10
    run = rd.simulate(
        negative_feedback(), (0, 3), y0=[1.0], t_eval=times, method=method, rtol=rtol, atol=atol
    )
    assert run.status == 0 and "method of steps" in run.message
    assert_allclose(run.time, times)
    error = np.abs(run.values[:, 0] - steps_solution(times))
    # error in units of the tolerance asked for (the whole span: three stretches)
    assert np.max(error / (atol + rtol * np.abs(steps_solution(times)))) < 100
    assert run.final()["x"] == pytest.approx(-1.0 / 6.0, abs=1e-7)


def test_an_exponential_history_stays_exponential():
    # x' = lam x(t - tau) has the solution exp(s t) when lam = s exp(s tau); with that
    # history the solution is exp(s t) for all t (a non-polynomial closed form)
    s, lag = -0.5, 1.3
    m = negative_feedback(lam=s * math.exp(s * lag), tau=lag)
    times = np.linspace(0, 8, 41)
    run = rd.simulate(
        m,
        (0, 8),
        t_eval=times,
        method="DOP853",
        rtol=1e-10,
        atol=1e-12,
        history=lambda t: np.array([math.exp(s * t)]),
    )
    assert_allclose(run.values[:, 0], np.exp(s * times), rtol=1e-8)


def test_a_tabulated_history_is_interpolated():
    s, lag = -0.5, 1.3
    m = negative_feedback(lam=s * math.exp(s * lag), tau=lag)
    table_t = np.linspace(-2, 0, 201)
    run = rd.simulate(
        m,
        (0, 5),
        method="DOP853",
        rtol=1e-10,
        atol=1e-12,
        history=(table_t, np.exp(s * table_t)[:, None]),
    )
    assert_allclose(run.final()["x"], math.exp(s * 5), rtol=1e-7)


def test_a_constant_history_apart_from_the_start():
    # history 0, x(0) = 1: x = 1 on [0, 1], then x = 2 - t on [1, 2]
    times = np.array([0.0, 0.5, 1.0, 1.5, 2.0])
    run = rd.simulate(
        negative_feedback(),
        (0, 2),
        y0=[1.0],
        history=[0.0],
        t_eval=times,
        method="RK45",
        rtol=1e-10,
        atol=1e-12,
    )
    assert_allclose(run.values[:, 0], [1.0, 1.0, 1.0, 0.5, 0.0], atol=1e-9)


def test_growth_stops_at_the_ceiling():
    run = rd.simulate(negative_feedback(lam=1.0), (0, 20), y0=[1.0], ceiling=50.0)
    assert run.status == 1 and run.runaway.actor == "x"
    # x' = x(t - 1) from 1: x = 1 + t, then 1 + t + (t - 1)^2 / 2, ... crosses 50 before 20
    assert 0 < run.runaway.time < 20
    assert run.final()["x"] == pytest.approx(50.0, rel=1e-6)


def test_interventions_act_on_delay_models():
    m = rd.Model(["x"], {"a": 1.0, "g": 0.0, "tau": 0.5}, [g - a * rd.delayed(x, tau)])
    run = rd.simulate(
        m, (0, 60), y0=[0.0], interventions=[rd.step("g", 30.0, 2.0)], method="DOP853"
    )
    assert run.final()["x"] == pytest.approx(2.0, abs=1e-6)  # the new balance g / a
    with pytest.raises(SimulationError, match="lag of this delay model"):
        rd.simulate(m, (0, 2), y0=[0.0], interventions=[rd.step("tau", 1.0, 0.7)])


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"method": "euler"}, "does not integrate delay models"),
        ({"method": "exact"}, "does not integrate delay models"),
        ({"floor": 0.0}, "floor= is not available"),
        ({"history": [1.0, 2.0]}, "give 1 finite values"),
        ({"history": lambda t: [1.0, 2.0]}, "must return 1 finite values"),
        ({"history": (np.array([-0.5, 0.0]), np.ones((2, 1)))}, "extend it"),
        ({"params": {"tau": -1.0}}, "positive number of time units"),
    ],
)
def test_bad_delay_options_are_refused(options, words):
    with pytest.raises(SimulationError, match=words):
        rd.simulate(negative_feedback(), (0, 2), y0=[1.0], **options)


def test_history_without_delays_is_refused():
    with pytest.raises(SimulationError, match="history= is for delay models"):
        rd.simulate(rd.richardson2(), (0, 1), y0=[1.0, 1.0], history=[1.0, 1.0])


def test_a_run_from_the_history_alone_starts_at_its_end():
    run = rd.simulate(
        negative_feedback(),
        (0, 1),
        history=lambda t: np.array([2.0 + t]),
        method="RK45",
        rtol=1e-10,
        atol=1e-12,
    )
    # x(0) = 2, x' = -(2 + t - 1) on [0, 1]: x = 2 - t - t^2 / 2
    assert run.final()["x"] == pytest.approx(0.5, abs=1e-9)


def test_a_used_up_step_budget_stops_the_run_with_a_message():
    run = rd.simulate(negative_feedback(), (0, 30), y0=[1.0], method="RK45", max_steps=5)
    assert run.status == -1 and "max_steps=5" in run.message
    assert run.time[-1] < 30
