"""rd.simulate against exact answers: matrix exponentials, closed-form equilibria,
eigenvalues and crossing times; interventions, floors, blow-up, maps and errors."""

import math

import numpy as np
import pytest
import scipy.linalg
import sympy as sp
from scipy.integrate import solve_ivp

import richardson as rd


def expm_solution(A, b, y0, times):
    """x(t) = e^{At} x0 + int_0^t e^{As} b ds, via the augmented matrix exponential."""
    n = len(y0)
    augmented = np.zeros((n + 1, n + 1))
    augmented[:n, :n], augmented[:n, n] = A, b
    return np.array([(scipy.linalg.expm(augmented * t) @ np.append(y0, 1.0))[:n] for t in times])


@pytest.mark.parametrize("n", [2, 3, 10])
@pytest.mark.parametrize("method", ["LSODA", "exact"])
def test_linear_solution_equals_matrix_exponential(n, method, rng):
    K = rng.uniform(0, 0.4, (n, n)) / n
    a = rng.uniform(0.8, 1.5, n)
    g = rng.uniform(-0.5, 1.0, n)
    model = rd.richardson_n(K, a, g)
    y0 = rng.uniform(0.5, 2.0, n)
    times = np.linspace(0, 20, 41)
    rtol = 1e-11
    trajectory = rd.simulate(model, (0, 20), y0, t_eval=times, method=method, rtol=rtol, atol=1e-13)
    exact = expm_solution(K - np.diag(a), g, y0, times)
    np.testing.assert_allclose(trajectory.time, times)
    np.testing.assert_allclose(trajectory.values, exact, rtol=1e-8, atol=1e-10)
    assert trajectory.status == 0 and trajectory.runaway is None


def test_error_measured_in_units_of_tolerance(classic):
    times = np.linspace(0, 30, 61)
    exact = expm_solution(
        np.array([[-1.0, 0.9], [0.8, -1.1]]), np.array([0.5, 0.3]), [1.0, 2.0], times
    )
    errors = []
    for rtol in (1e-5, 1e-7, 1e-9):
        tr = rd.simulate(
            classic, (0, 30), [1, 2], t_eval=times, method="DOP853", rtol=rtol, atol=rtol * 1e-3
        )
        error = np.max(np.abs(tr.values - exact) / (np.abs(exact) * rtol + rtol * 1e-3))
        errors.append(np.max(np.abs(tr.values - exact)))
        # local tolerances bound the error per step; over 30 years the global error may
        # accumulate to some dozens of tolerance units, never more than 100
        assert error < 100, f"error {error:.1f} tolerances at rtol={rtol}"
    assert errors[0] > errors[1] > errors[2]


def test_two_nation_equilibrium_and_eigenvalues_match_formulas(rng):
    for _ in range(20):
        k, l, a, b = rng.uniform(0.1, 1.0, 4)
        a, b = a + math.sqrt(k * l), b + math.sqrt(k * l)  # ensures a b > k l (stable)
        g, h = rng.uniform(0, 1, 2)
        model = rd.richardson2(k=k, l=l, a=a, b=b, g=g, h=h)
        det = a * b - k * l
        x_star, y_star = (b * g + k * h) / det, (l * g + a * h) / det
        compiled = model.compile()
        p = model.param_vector()
        np.testing.assert_allclose(compiled.rhs(0, np.array([x_star, y_star]), p), 0, atol=1e-12)
        root = math.sqrt((a - b) ** 2 + 4 * k * l)
        expected = np.sort([(-(a + b) - root) / 2, (-(a + b) + root) / 2])
        np.testing.assert_allclose(
            np.sort(np.linalg.eigvals(compiled.jac(0, np.zeros(2), p)).real), expected, rtol=1e-12
        )
        slowest = -expected[1]
        horizon = 40 / slowest
        final = rd.simulate(model, (0, horizon), [0.0, 0.0], method="exact").values[-1]
        np.testing.assert_allclose(final, [x_star, y_star], rtol=1e-9)


@pytest.mark.parametrize("method", ["LSODA", "RK45", "exact"])
def test_runaway_time_equals_analytic_crossing(method):
    # symmetric unstable race: x = y, dx/dt = (k - a) x + g  =>  closed-form crossing time
    k, a, g, x0, ceiling = 1.3, 1.0, 0.2, 1.0, 500.0
    model = rd.richardson2(k=k, l=k, a=a, b=a, g=g, h=g)
    r = k - a
    t_cross = math.log((ceiling + g / r) / (x0 + g / r)) / r
    tr = rd.simulate(
        model, (0, 100), [x0, x0], method=method, ceiling=ceiling, rtol=1e-10, atol=1e-12
    )
    assert tr.status == 1 and tr.has_runaway
    assert tr.runaway.actor in ("x", "y")
    assert tr.runaway.time == pytest.approx(t_cross, rel=1e-7)
    assert tr.time[-1] == pytest.approx(t_cross, rel=1e-7)
    assert tr.values[-1].max() == pytest.approx(ceiling, rel=1e-6)
    assert "crossed the ceiling 500" in tr.message


def test_finite_time_blowup_stops_at_guard_without_warnings():
    x = sp.Symbol("x")
    model = rd.Model(["x"], {"c": 1.0}, [sp.Symbol("c") * x**2])
    tr = rd.simulate(model, (0, 5), [1.0])  # x = 1 / (1 - t) blows up at t = 1
    assert tr.has_runaway
    # guard = 1e6 * max(1, |x0|): 1/(1-t) = 1e6  =>  t = 1 - 1e-6
    # (the solution is extremely steep there: 5e-7 of time is 50% of the distance to t=1)
    assert tr.runaway.time == pytest.approx(1 - 1e-6, abs=5e-7)
    assert "guard" in tr.message


def test_step_changes_trajectory_exactly_where_scheduled(classic):
    times = np.linspace(0, 20, 81)
    tr = rd.simulate(
        classic,
        (0, 20),
        [1.0, 2.0],
        t_eval=times,
        interventions=[rd.step("k", at=10, to=0.2)],
        rtol=1e-11,
        atol=1e-13,
    )
    A = np.array([[-1.0, 0.9], [0.8, -1.1]])
    b = np.array([0.5, 0.3])
    before = times <= 10
    np.testing.assert_allclose(
        tr.values[before], expm_solution(A, b, [1.0, 2.0], times[before]), rtol=1e-8
    )
    at_step = expm_solution(A, b, [1.0, 2.0], [10.0])[0]
    A_after = np.array([[-1.0, 0.2], [0.8, -1.1]])
    after = times >= 10
    np.testing.assert_allclose(
        tr.values[after], expm_solution(A_after, b, at_step, times[after] - 10), rtol=1e-8
    )
    untouched = expm_solution(A, b, [1.0, 2.0], times[after])
    assert np.all(np.abs(tr.values[after][1:] - untouched[1:]) > 1e-6)


def test_pulse_is_a_shock_of_given_size_and_width(classic):
    times = np.linspace(0, 10, 41)
    tr = rd.simulate(
        classic,
        (0, 10),
        [1.0, 1.0],
        t_eval=times,
        method="exact",
        interventions=[rd.pulse("g", start=2.0, width=1.0, size=3.0)],
    )
    A, b = np.array([[-1.0, 0.9], [0.8, -1.1]]), np.array([0.5, 0.3])
    x2 = expm_solution(A, b, [1.0, 1.0], [2.0])[0]
    x3 = expm_solution(A, b + [3.0, 0.0], x2, [1.0])[0]
    np.testing.assert_allclose(tr.values[times == 3.0][0], x3, rtol=1e-10)
    np.testing.assert_allclose(tr.values[-1], expm_solution(A, b, x3, [7.0])[0], rtol=1e-10)


def test_ramp_matches_independent_time_varying_integration(classic):
    ramp = rd.ramp("k", start=5, end=15, to=0.1)
    times = np.linspace(0, 25, 51)
    tr = rd.simulate(
        classic, (0, 25), [1.0, 2.0], t_eval=times, interventions=[ramp], rtol=1e-11, atol=1e-13
    )

    def k_of_t(t):
        return 0.9 if t < 5 else 0.1 if t > 15 else 0.9 + (0.1 - 0.9) * (t - 5) / 10

    def f(t, s):
        return [k_of_t(t) * s[1] - s[0] + 0.5, 0.8 * s[0] - 1.1 * s[1] + 0.3]

    reference = solve_ivp(
        f, (0, 25), [1.0, 2.0], t_eval=times, rtol=1e-12, atol=1e-14, method="DOP853", max_step=0.05
    )
    np.testing.assert_allclose(tr.values, reference.y.T, rtol=1e-7)


def test_exact_method_refuses_ramps_and_nonlinear_models(classic):
    with pytest.raises(rd.SimulationError, match="method='exact'"):
        rd.simulate(
            classic, (0, 10), [1, 1], method="exact", interventions=[rd.ramp("k", 1, 2, 0.1)]
        )


def test_floor_keeps_spending_non_negative():
    # goodwill (negative grievances) drives the linear model below zero without a floor
    model = rd.richardson2(k=0.2, l=0.2, a=1.0, b=1.0, g=-1.0, h=-1.0)
    free = rd.simulate(model, (0, 10), [1.0, 1.0])
    assert free.values.min() < -0.5
    floored = rd.simulate(model, (0, 10), [1.0, 1.0], floor=0.0)
    assert floored.values.min() >= 0.0
    np.testing.assert_allclose(floored.values[-1], [0.0, 0.0], atol=1e-8)
    # before reaching the floor both agree: x = y = (1 + 1/0.8) e^{-0.8 t} - 1/0.8
    t_zero = math.log(1 + 0.8) / 0.8
    early = floored.time < t_zero - 0.05
    exact = (1 + 1 / 0.8) * np.exp(-0.8 * floored.time[early]) - 1 / 0.8
    np.testing.assert_allclose(floored.values[early, 0], exact, rtol=1e-6, atol=1e-8)


def test_trajectory_is_labelled_xarray(classic):
    tr = rd.simulate(classic, (0, 5), {"x": 1.0, "y": 2.0})
    assert tr.data["spending"].dims == ("time", "actor")
    assert list(tr.data["actor"].values) == ["x", "y"]
    assert tr.data.attrs["method"] == "LSODA" and tr.data.attrs["params"]["k"] == 0.9
    frame = tr.to_dataframe()
    assert list(frame.columns) == ["x", "y"] and frame.index[0] == 0.0
    assert "final state" in tr.summary() and "<pre>" in tr._repr_html_()


def test_plot_draws_one_line_per_actor_and_marks_interventions(classic):
    tr = rd.simulate(classic, (0, 20), [1, 2], interventions=[rd.step("k", 10, 0.1)])
    ax = tr.plot()
    lines = [line for line in ax.get_lines() if line.get_label() in ("x", "y")]
    assert len(lines) == 2
    np.testing.assert_allclose(lines[0].get_xdata(), tr.time)
    assert any(list(line.get_xdata()) == [10, 10] for line in ax.get_lines())


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"t_span": (5, 1)}, rd.SimulationError, "t1 > t0"),
        ({"t_span": (0, 1), "y0": [1.0]}, rd.DimensionMismatchError, "y0 has 1 entries"),
        ({"t_span": (0, 1), "params": {"kk": 1.0}}, rd.UnknownSymbolError, "Did you mean 'k'"),
        ({"t_span": (0, 1), "method": "RK99"}, rd.SimulationError, "unknown method"),
        ({"t_span": (0, 1), "t_eval": [0.5, 0.2]}, rd.SimulationError, "strictly increasing"),
        ({"t_span": (0, 1), "t_eval": [0.5, 2.0]}, rd.SimulationError, "inside t_span"),
        ({"t_span": (0, 1), "interventions": [rd.step("q", 1, 2)]}, rd.UnknownSymbolError, "'q'"),
        ({"t_span": (0, 1), "y0": [-1.0, 1.0], "floor": 0.0}, rd.SimulationError, "below floor"),
    ],
)
def test_bad_input_gets_a_clear_error(classic, kwargs, error, match):
    kwargs = {"y0": [1.0, 1.0], **kwargs}
    with pytest.raises(error, match=match):
        rd.simulate(classic, **kwargs)


def test_bad_interventions():
    with pytest.raises(rd.SimulationError, match="width > 0"):
        rd.pulse("g", start=1, width=0, size=1)
    with pytest.raises(rd.SimulationError, match="end > start"):
        rd.ramp("k", start=5, end=5, to=0)
    with pytest.raises(rd.SimulationError, match="finite"):
        rd.step("k", at=math.nan, to=0)


def test_model_interventions_apply_to_every_run(classic):
    scenario = classic.with_interventions(rd.step("k", at=5, to=0.0))
    tr = rd.simulate(scenario, (0, 40), [1, 1], method="exact")
    # with k = 0 after t = 5: x* = g / a = 0.5, y* = (l x* + h) / b
    np.testing.assert_allclose(tr.values[-1], [0.5, (0.8 * 0.5 + 0.3) / 1.1], rtol=1e-8)
    assert tr.interventions == scenario.interventions


# ---------------------------------------------------------------- maps
def test_iterate_linear_difference_equation_equals_matrix_power():
    x, y = sp.symbols("x y")
    k, a, g = sp.symbols("k a g")
    model = rd.Model(
        ["x", "y"],
        {"k": 0.3, "a": 0.4, "g": 0.1},
        [x + k * y - a * x + g, y + k * x - a * y + g],
        kind="map",
    )
    tr = rd.iterate(model, 30, [1.0, 0.0])
    M = np.array([[0.6, 0.3], [0.3, 0.6]])
    state = np.array([1.0, 0.0])
    for step in range(30):
        state = M @ state + 0.1
        np.testing.assert_allclose(tr.values[step + 1], state, rtol=1e-13)
    assert tr.time[-1] == 30


def test_iterate_stops_on_divergence():
    x = sp.Symbol("x")
    model = rd.Model(["x"], {"r": 3.0}, [sp.Symbol("r") * x], kind="map")
    tr = rd.iterate(model, 100, [1.0], ceiling=1e3)
    assert tr.has_runaway and tr.runaway.time == 7.0  # 3^7 = 2187 is the first above 1000


def test_map_and_ode_are_not_mixed(classic):
    x = sp.Symbol("x")
    logistic = rd.Model(["x"], {"r": 3.2}, [sp.Symbol("r") * x * (1 - x)], kind="map")
    with pytest.raises(rd.ModelError, match="rd.iterate|richardson.iterate"):
        rd.simulate(logistic, (0, 1), [0.5])
    with pytest.raises(rd.ModelError, match="richardson.simulate"):
        rd.iterate(classic, 10, [1, 1])


def test_exact_method_handles_defective_matrices():
    # a = b = 1, k = 1, l = 0: A = [[-1, 1], [0, -1]] is a Jordan block (not diagonalisable)
    model = rd.richardson2(k=1.0, l=0.0, a=1.0, b=1.0, g=0.0, h=0.0)
    times = np.linspace(0, 10, 21)
    tr = rd.simulate(model, (0, 10), [1.0, 2.0], t_eval=times, method="exact")
    np.testing.assert_allclose(tr.values[:, 1], 2.0 * np.exp(-times), rtol=1e-12)
    np.testing.assert_allclose(tr.values[:, 0], (1.0 + 2.0 * times) * np.exp(-times), rtol=1e-12)


def test_lean_lsoda_path_agrees_with_solve_ivp_path(classic):
    # the floor forces the solve_ivp path; far from the floor both integrate the same field
    times = np.linspace(0, 30, 31)
    lean = rd.simulate(classic, (0, 30), [1.0, 2.0], t_eval=times, rtol=1e-10, atol=1e-12)
    general = rd.simulate(
        classic, (0, 30), [1.0, 2.0], t_eval=times, rtol=1e-10, atol=1e-12, floor=-100.0
    )
    np.testing.assert_allclose(lean.values, general.values, rtol=1e-7)
    np.testing.assert_allclose(
        lean.values,
        expm_solution(
            np.array([[-1.0, 0.9], [0.8, -1.1]]), np.array([0.5, 0.3]), [1.0, 2.0], times
        ),
        rtol=1e-8,
    )


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"params": {"k": math.nan}}, rd.InvalidParameterError, "parameter 'k' is nan"),
        ({"params": {"l": math.inf}}, rd.InvalidParameterError, "parameter 'l' is inf"),
        ({"floor": math.nan}, rd.SimulationError, "floor is nan"),
        ({"t_eval": [0.0, math.nan]}, rd.SimulationError, r"t_eval\[1\] is nan"),
        ({"ceiling": math.nan}, rd.SimulationError, "ceiling is nan"),
        ({"y0": [1.0, math.nan]}, rd.SimulationError, "initial state of 'y' is nan"),
    ],
)
def test_nan_inputs_are_refused_naming_the_culprit(classic, kwargs, error, match):
    kwargs = {"t_span": (0, 1), "y0": [1.0, 1.0], **kwargs}
    with pytest.raises(error, match=match):
        rd.simulate(classic, **kwargs)


def test_iterate_refuses_nan_and_watches_the_magnitude():
    x = sp.Symbol("x")
    model = rd.Model(["x"], {"r": 3.0}, [sp.Symbol("r") * x], kind="map")
    with pytest.raises(rd.InvalidParameterError, match="parameter 'r' is nan"):
        rd.iterate(model, 10, [1.0], params={"r": math.nan})
    with pytest.raises(rd.SimulationError, match="ceiling is nan"):
        rd.iterate(model, 10, [1.0], ceiling=math.nan)
    # from -1 the orbit runs to minus infinity: 3^7 = 2187 is the first |x| above 1000;
    # driven negative without bound is a collapse, not runaway
    tr = rd.iterate(model, 100, [-1.0], ceiling=1e3)
    assert tr.status == 1 and not tr.has_runaway and "collapse" in tr.message
    assert tr.time[-1] == 7.0 and tr.values[-1, 0] == -2187.0


def test_stability_map_refuses_nan_grid_values_and_parameters(classic):
    # kept with the other NaN-input checks of issue 18 (the sweep itself is tested in analysis/)
    with pytest.raises(rd.InvalidParameterError, match=r"grid value k\[1\] is nan"):
        rd.stability_map(classic, {"k": [0.1, math.nan], "l": [0.1, 0.2]})
    with pytest.raises(rd.InvalidParameterError, match="parameter 'a' is nan.*fixed"):
        rd.stability_map(classic, {"k": [0.1, 0.2]}, fixed={"a": math.nan})


def test_nan_rate_is_a_failure_that_names_the_state():
    # x' = -sqrt(x) from 1 reaches 0 at t = 2; beyond, sqrt of a negative trial state is NaN
    x = sp.Symbol("x")
    model = rd.Model(["x"], {}, [-sp.sqrt(x)])
    tr = rd.simulate(model, (0, 5), [1.0], method="RK45")
    assert tr.status == -1 and not tr.success and tr.runaway is None
    assert "rate of x is NaN" in tr.message and "floor" in tr.message
    assert np.all(np.isfinite(tr.values)) and tr.time[-1] <= 2.0 + 1e-6
    # before that: x = (1 - t/2)^2
    early = tr.time < 1.9
    np.testing.assert_allclose(tr.values[early, 0], (1 - tr.time[early] / 2) ** 2, rtol=1e-6)
    # with a floor the run goes on: x stays at 0 from t = 2
    floored = rd.simulate(model, (0, 5), [1.0], floor=0.0, method="RK45")
    assert floored.status == 0 and floored.values[-1, 0] == 0.0


def test_step_budget_stops_a_stiff_run_under_an_explicit_method():
    model = rd.richardson2(a=1e6)  # time scale 1e-6 years: stiff for RK45 over 20 years
    tr = rd.simulate(model, (0, 20), [1, 1], method="RK45", max_steps=500)
    assert tr.status == -1 and "budget of 500 steps" in tr.message and "Radau" in tr.message
    stiff = rd.simulate(model, (0, 20), [1, 1], method="Radau", max_steps=500)
    assert stiff.status == 0
    with pytest.raises(rd.SimulationError, match="max_steps"):
        rd.simulate(model, (0, 20), [1, 1], max_steps=0)


def test_an_empty_unit_is_left_out_of_the_attrs_not_written_as_an_empty_string():
    # xarray labels an axis "name []" when the units attribute is an empty string
    from richardson.model.core import Model

    x = sp.Symbol("x")
    bare = Model(["x"], {"a": 1.0}, [-sp.Symbol("a") * x], time_unit="")
    spending = rd.simulate(bare, (0, 1), [1.0]).data["spending"]
    assert "units" not in spending.attrs and "units" not in spending["time"].attrs
    labelled = rd.simulate(rd.richardson2(state_unit="GBP"), (0, 1), [1, 2]).data["spending"]
    assert labelled.attrs["units"] == "GBP" and labelled["time"].attrs["units"] == "year"
