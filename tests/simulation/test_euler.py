"""``method="euler"``: fixed-step Euler (Vensim's arithmetic) checked against closed forms,
its first-order convergence to the adaptive (dt -> 0) solution, and breakpoints of time-only
switches passed to the adaptive solvers."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import richardson as rd

x, k, g = sp.symbols("x k g")
t = rd.TIME


@pytest.fixture
def decay():
    return rd.Model(["x"], {"k": 0.5}, [-k * x], initial={"x": 2.0})


def test_euler_is_the_explicit_recursion(decay):
    run = rd.simulate(decay, (0, 4), method="euler", dt=0.25)
    n = np.arange(17)
    np.testing.assert_allclose(run.time, 0.25 * n, rtol=0, atol=1e-12)
    np.testing.assert_allclose(run.values[:, 0], 2.0 * (1 - 0.5 * 0.25) ** n, rtol=1e-13)
    assert run.attrs["method"] == "euler" and run.attrs["dt"] == 0.25


def test_euler_error_is_first_order(decay):
    exact = 2.0 * np.exp(-0.5 * 4.0)
    errors = [
        abs(rd.simulate(decay, (0, 4), method="euler", dt=dt).values[-1, 0] - exact)
        for dt in (0.1, 0.05, 0.025)
    ]
    assert 1.9 < errors[0] / errors[1] < 2.1 and 1.9 < errors[1] / errors[2] < 2.1


def test_step_takes_effect_at_the_first_grid_time_at_or_after_it():
    model = rd.Model(["x"], {"g": 0.0}, [g], initial={"x": 0.0})
    model = model.with_interventions(rd.step("g", at=0.3, to=1.0))
    run = rd.simulate(model, (0, 1), method="euler", dt=0.1)
    # rates 0, 0, 0 then 1 from t = 0.3 (0.1 * 3 = 0.30000000000000004 counts as 0.3)
    np.testing.assert_allclose(run.values[:, 0], [0, 0, 0, 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])


def test_t_eval_must_lie_on_the_grid(decay):
    with pytest.raises(rd.SimulationError, match="not a time of the Euler grid"):
        rd.simulate(decay, (0, 1), method="euler", dt=0.25, t_eval=[0.1])
    run = rd.simulate(decay, (0, 1), method="euler", dt=0.25, t_eval=[0.5, 1.0])
    np.testing.assert_allclose(run.values[:, 0], 2.0 * 0.875 ** np.array([2, 4]))


def test_dt_belongs_to_euler(decay):
    with pytest.raises(rd.SimulationError, match="dt= is the step of method='euler'"):
        rd.simulate(decay, (0, 1), dt=0.1)
    with pytest.raises(rd.SimulationError, match="positive"):
        rd.simulate(decay, (0, 1), method="euler", dt=0.0)


def test_too_many_steps_are_refused(decay):
    with pytest.raises(rd.SimulationError, match="more than"):
        rd.simulate(decay, (0, 1e9), method="euler", dt=1e-3)


def test_blow_up_is_recorded_not_raised():
    model = rd.Model(["x"], {}, [x**2], initial={"x": 1.0})
    run = rd.simulate(model, (0, 10), method="euler", dt=0.5)
    assert run.status == -1 and "non-finite" in run.message
    run = rd.simulate(model, (0, 10), method="euler", dt=0.5, ceiling=100.0)
    assert run.status == 1 and run.runaway is not None and run.values[-1, 0] >= 100


def test_observables_are_columns_of_the_trajectory(decay):
    model = rd.Model(
        ["x"],
        {"k": 0.5},
        [-k * x],
        initial={"x": 2.0},
        observables={"outflow": k * x, "switch": sp.Piecewise((1, t >= 1), (0, True))},
    )
    for method in ("euler", "LSODA"):
        run = rd.simulate(model, (0, 2), method=method, t_eval=[0, 1, 2])
        np.testing.assert_allclose(run.observables["outflow"], 0.5 * run.values[:, 0])
        np.testing.assert_allclose(run.observables["switch"], [0, 1, 1])
        frame = run.to_dataframe()
        assert list(frame.columns) == ["x", "outflow", "switch"]
        assert run.data["observables"].sel(observable="switch").values.tolist() == [0, 1, 1]


def test_observables_are_validated():
    with pytest.raises(rd.UnknownSymbolError, match="observable 'o' uses 'q'"):
        rd.Model(["x"], {}, [-x], observables={"o": sp.Symbol("q")})
    with pytest.raises(rd.DuplicateNameError, match="name of a state"):
        rd.Model(["x"], {}, [-x], observables={"x": 2 * x})


def test_a_lookup_of_time_flat_at_the_start_is_not_stepped_over():
    """A rate that is zero until a short bump at t = 60: LSODA's steps grow long on the flat
    start and jump over the bump (it returns 0) unless the switch times are breakpoints."""
    from richardson.io.vensim_functions import lookup

    rate = lookup(t, [0, 60, 60.25, 60.75, 61, 100], [0, 0, 1, 1, 0, 0])
    model = rd.Model(["x"], {}, [rate], initial={"x": 0.0})
    exact = 0.125 + 0.5 + 0.125  # the area of the trapezoid
    for method in ("LSODA", "RK45", "BDF"):
        run = rd.simulate(model, (0, 100), t_eval=[100], method=method)
        np.testing.assert_allclose(run.values[-1, 0], exact, rtol=1e-6)
    euler = rd.simulate(model, (0, 100), method="euler", dt=0.25, t_eval=[100])
    # left sums at 60, 60.25, 60.5, 60.75: rates 0, 1, 1, 1
    np.testing.assert_allclose(euler.values[-1, 0], 0.75, rtol=1e-12)


def test_time_breakpoints_are_the_switch_times():
    from richardson.simulation.breakpoints import time_breakpoints

    T = sp.Symbol("T")
    rhs = sp.Piecewise((1, t >= T), (0, True)) + sp.Piecewise((x, 2 * t < 7), (0, True))
    model = rd.Model(["x"], {"T": 4.0}, [rhs])
    assert time_breakpoints(model, {"T": 4.0}, 0, 10) == [3.5, 4.0]
    assert time_breakpoints(model, {"T": 12.0}, 0, 10) == [3.5]
