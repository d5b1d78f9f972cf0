"""The regimes at the edges: ``threshold`` and ``marginal``, and the fate of a given start,
on exact cases (the closed-form two-nation saddle, normal forms)."""

import math
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose

import richardson as rd
from richardson.analysis.verdicts import linear_verdicts

MODELS = Path(__file__).resolve().parents[2] / "models"

GOODWILL = {"k": 1.2, "l": 1.1, "a": 1.0, "b": 1.1, "g": -1.0, "h": -0.5}


def saddle(k, l, a, b, g, h):  # noqa: E741
    """Closed form of the balance of x' = -a x + k y + g, y' = l x - b y + h."""
    det = a * b - k * l
    return np.array([(b * g + k * h) / det, (a * h + l * g) / det])


def test_richardsons_unstable_case_with_goodwill_is_a_threshold():
    regime = rd.classify(rd.richardson2(**GOODWILL))
    assert regime.name == "threshold"
    x_star = saddle(**GOODWILL)
    assert_allclose(regime.equilibria[0].state, x_star, rtol=1e-12)
    assert regime.equilibria[0].kind == "saddle"
    # growth rate: the positive root of lambda^2 + (a + b) lambda + ab - kl = 0
    a, b, k, l = (GOODWILL[n] for n in "abkl")  # noqa: E741
    root = (-(a + b) + math.sqrt((a + b) ** 2 - 4 * (a * b - k * l))) / 2
    assert_allclose(regime.growth_rate, root, rtol=1e-12)
    assert_allclose(regime.doubling_time, math.log(2) / root, rtol=1e-12)
    assert "excess of spending over the threshold" in regime.explanation
    assert "goodwill" in regime.explanation
    # the same reactions with positive grievances: no threshold, plain runaway
    assert rd.classify(rd.richardson2(**{**GOODWILL, "g": 1.0, "h": 0.5})).name == "runaway"
    # and with no grievance at all the balance is zero spending: every start runs away
    assert rd.classify(rd.richardson2(**{**GOODWILL, "g": 0.0, "h": 0.0})).name == "runaway"


@pytest.mark.parametrize("factor, fate", [(1.02, "runaway"), (0.98, "disarmament")])
def test_fate_on_each_side_of_the_threshold(factor, fate):
    model = rd.richardson2(**GOODWILL)
    start = factor * saddle(**GOODWILL)
    regime = rd.classify(model, y0=start)
    assert regime.name == "threshold" and regime.fate == fate
    side = "above" if fate == "runaway" else "below"
    assert f"lies {side} the threshold" in regime.explanation
    assert regime.start == {"x": start[0], "y": start[1]}
    # the verdict agrees with the exact solution from that start (matrix exponential)
    run = rd.simulate(model, (0, 40), y0=start, t_eval=[40.0], method="exact")
    excess, initial = run.values[-1] - saddle(**GOODWILL), abs(factor - 1) * saddle(**GOODWILL)
    # the excess over the threshold grows like exp(0.1 t): e^4 = 55 over 40 years
    if fate == "runaway":
        assert excess.min() > 20 * initial.max()
    else:
        assert excess.max() < -20 * initial.max() and run.values[-1].max() < 0


def test_a_line_of_balances_is_marginal_and_a_forced_one_runs_away():
    marginal = rd.classify(rd.richardson2(k=0.5, l=0.5, a=0.5, b=0.5, g=0.0, h=0.0))
    assert marginal.name == "marginal" and abs(marginal.growth_rate) < 1e-15
    assert "line of balances" in marginal.explanation
    # a b = k l to rounding only (0.3 * 0.7 vs 0.21): still marginal, not runaway
    rounded = rd.classify(rd.richardson2(k=0.21, l=1.0, a=0.3, b=0.7, g=0.0, h=0.0))
    assert rounded.name == "marginal"
    # a grievance along the neutral direction drives linear growth: runaway
    forced = rd.classify(rd.richardson2(k=0.5, l=0.5, a=0.5, b=0.5, g=1.0, h=0.0))
    assert forced.name == "runaway"


def test_batched_verdicts_agree_with_classify_at_the_edges():
    cases = [
        GOODWILL,
        {**GOODWILL, "g": 1.0, "h": 0.5},
        {"k": 0.5, "l": 0.5, "a": 0.5, "b": 0.5, "g": 0.0, "h": 0.0},
        {"k": 0.5, "l": 0.5, "a": 0.5, "b": 0.5, "g": 1.0, "h": 0.0},
        {"k": 0.3, "l": 0.2, "a": 1.0, "b": 1.0, "g": 1.0, "h": 1.0},
    ]
    model = rd.richardson2()
    compiled = model.compile()
    p = np.column_stack([model.param_vector(case) for case in cases])
    A = compiled.jac(0.0, np.zeros((2, len(cases))), p)
    b = compiled.rhs(0.0, np.zeros((2, len(cases))), p)
    codes, _ = linear_verdicts(A, b)
    names = [rd.REGIMES[c] for c in codes]
    assert names == [rd.classify(model, case).name for case in cases]
    assert names == ["threshold", "runaway", "marginal", "runaway", "stable_balance"]


def normal_form(r: float) -> rd.Model:
    x, rr = sp.symbols("x r")
    return rd.Model(["x"], {"r": r}, [rr + x**2])


def test_saddle_node_normal_form_is_threshold_not_bistable():
    regime = rd.classify(normal_form(-1.0), region=(-3.0, 3.0), n_samples=24)
    assert regime.name == "threshold"
    kinds = sorted((round(float(e.state[0]), 6), e.stable) for e in regime.equilibria)
    assert kinds == [(-1.0, True), (1.0, False)]  # x* = -+sqrt(-r)
    below = rd.classify(normal_form(-1.0), region=(-3.0, 3.0), n_samples=24, y0=[0.5])
    above = rd.classify(normal_form(-1.0), region=(-3.0, 3.0), n_samples=24, y0=[1.5])
    assert below.fate == "stable_balance" and above.fate == "runaway"
    assert below.name == above.name == "threshold"  # the start is judged, not counted
    assert rd.classify(normal_form(0.5), region=(-3.0, 3.0), n_samples=12).name == "runaway"


def test_two_finite_stable_states_stay_bistable():
    x = sp.Symbol("x")
    pitchfork = rd.Model(["x"], {"c": 1.0}, [sp.Symbol("c") * x - x**3])
    regime = rd.classify(pitchfork, region=(-2.0, 2.0), n_samples=24)
    assert regime.name == "bistable"


def test_a_fit_is_judged_from_its_last_observed_state():
    model = rd.richardson2(**GOODWILL)
    x_star = saddle(**GOODWILL)
    times = np.arange(0.0, 16.0)
    run = rd.simulate(model, (0, 15), y0=1.05 * x_star, t_eval=times, method="exact")
    import pandas as pd

    data = pd.DataFrame(run.values, index=times.astype(int), columns=["x", "y"])
    data.attrs["units"] = "spending index"
    result = rd.fit(rd.richardson2(), data, method="difference")
    assert result.regime.name == "threshold"
    assert result.regime.fate == "runaway"
    assert_allclose(list(result.regime.start.values()), run.values[-1], rtol=1e-12)
    assert "judged from the last observed state (15): its fate is runaway" in result.summary()


def logistic(r: float) -> rd.Model:
    x, rr = sp.symbols("x r")
    return rd.Model(["x"], {"r": rr.subs(rr, r)}, [rr * x * (1 - x)], kind="map")


@pytest.mark.parametrize(
    "r, name, exponent",
    [
        (3.2, "oscillatory", None),  # period 2
        (3.83, "oscillatory", None),  # the period-3 window
        (3.9, "chaotic", 0.49),  # a chaotic band; 0.495 measured by a 10^5-step QR run
        (4.0, "chaotic", math.log(2)),  # exact: ln 2
    ],
)
def test_maps_are_chaotic_only_with_a_positive_lyapunov_exponent(r, name, exponent):
    regime = rd.classify(logistic(r), region=(0.01, 0.99), n_samples=12)
    assert regime.name == name
    if exponent is not None:
        printed = float(regime.explanation.split("exponent is ")[1].split(" per step")[0])
        assert printed == pytest.approx(exponent, abs=0.02)
    else:
        assert "period of about" in regime.explanation


def test_goodwill_names_only_the_negative_grievances():
    mixed = rd.classify(rd.richardson2(**{**GOODWILL, "h": 0.05}))
    assert mixed.name == "threshold"
    assert (
        "negative grievances: g = -1)" in mixed.explanation and "h = 0.05" not in mixed.explanation
    )


# ---------------------------------------------------------------------- maps at the edges
def affine_map(r: float, g: float) -> rd.Model:
    x, rr, gg = sp.symbols("x r g")
    return rd.Model(["x"], {"r": r, "g": g}, [rr * x + gg], kind="map")


def test_a_linear_map_with_goodwill_has_a_threshold_at_its_fixed_point():
    """x -> 1.5 x - 10: fixed point 20, deviations multiplied by 1.5 each step (exact)."""
    model = affine_map(1.5, -10.0)
    assert rd.classify(model).name == "threshold"
    assert rd.classify(model, y0=[19.9]).fate == "disarmament"
    assert rd.classify(model, y0=[20.1]).fate == "runaway"
    # the same without goodwill has no threshold: every start escalates
    assert rd.classify(affine_map(1.5, 1.0)).name == "runaway"
    # a multiplier below -1 flips the sign each step: no threshold either
    assert rd.classify(affine_map(-1.5, -10.0)).name == "runaway"
    # the batched verdicts say the same
    codes, _ = linear_verdicts(np.array([[[1.5, 1.5]]]), np.array([[-10.0, 1.0]]), discrete=True)
    assert [rd.REGIMES[c] for c in codes] == ["threshold", "runaway"]


@pytest.mark.parametrize("r", [2.5, 4.5])
def test_map_orbits_driven_below_zero_are_not_runaway(r):
    """The logistic map sends x > 1 to minus infinity: a collapse, never 'runaway'."""
    regime = rd.classify(logistic(r), n_samples=24)
    assert "runaway" not in regime.outcomes and regime.outcomes["collapse"] > 0
    assert regime.name == ("saturation" if r == 2.5 else "disarmament")
    assert "below zero without bound" in regime.explanation
    assert "escalates without bound" not in regime.explanation


def saperstein() -> rd.Model:
    x, y, a, b = sp.symbols("x y a b")
    return rd.Model(
        ["x", "y"], {"a": 0.5, "b": 0.5}, [4 * a * y * (1 - y), 4 * b * x * (1 - x)], kind="map"
    )


def test_saperstein_stability_map_is_stable_where_the_multipliers_are_inside_the_circle():
    """Zero spending is stable iff 16 a b < 1 (multipliers +-4 sqrt(ab)); above, the positive
    fixed point takes over while its multipliers stay inside the unit circle."""
    values = np.array([0.1, 0.2, 0.35, 0.5])
    regimes = rd.stability_map(saperstein(), {"a": values, "b": values}, progress=False)
    for i, a in enumerate(values):
        for j, b in enumerate(values):
            name = str(regimes.values[i, j])
            if 16 * a * b < 0.95:
                assert name == "disarmament", (a, b, name)
            elif 16 * a * b > 1.05:
                assert name == "saturation", (a, b, name)  # a stable positive fixed point
    assert "runaway" not in set(regimes.values.ravel())


def test_basin_shares_are_shares_of_a_stated_box_around_the_balances():
    trigger = rd.load_model(MODELS / "mutual_defence_trigger.toml")
    regime = rd.classify(trigger)
    assert regime.name == "bistable"
    high = max(float(e.state.max()) for e in regime.equilibria)
    tops = [hi for _, hi in regime.region.values()]
    # twice the largest coordinate of each state over the balances and the initial state
    assert max(tops) == pytest.approx(2 * high, rel=1e-9)
    assert all(lo == 0.0 for lo, _ in regime.region.values())
    assert "shares of that box, not probabilities" in regime.summary()
    assert "Ally_1 0 to" in regime.summary()
    # a region given is used as given
    given = rd.classify(trigger, region=(0.0, 3.0))
    assert set(given.region.values()) == {(0.0, 3.0)}


def test_starts_whose_rates_are_not_finite_are_left_out_not_called_runaway():
    x, c = sp.symbols("x c")
    # defined for x <= 3 only: the starts above fail, the rest settle at x = 1
    partly = rd.Model(["x"], {"c": 3.0}, [1 - x + 1e-300 * sp.sqrt(c - x)])
    regime = rd.classify(partly, region=(0.0, 6.0), n_samples=24)
    assert regime.name == "stable_balance"
    assert regime.outcomes["failed"] > 0 and "runaway" not in regime.outcomes
    assert "could not be integrated" in regime.explanation
    nowhere = rd.Model(["x"], {"c": 0.5}, [sp.sqrt(c - x)])
    with pytest.raises(rd.SimulationError, match="no verdict"):
        rd.classify(nowhere, region=(0.6, 2.0), n_samples=12)


def test_a_stable_balance_on_the_zero_boundary_is_sampled_inside_the_box():
    # With k_USA_China = 0 the USA's balance is at 0 spending; the seed runs near it used to
    # fall below the floor and the whole verdict failed (the east_asia map's first column).
    model = rd.scenarios.load("east_asia")
    verdict = rd.classify(model, params={"k_USA_China": 0.0}, n_samples=6)
    usa = model.states.index("USA")
    stable = [e for e in verdict.equilibria if e.stable]
    assert verdict.name == "saturation"
    assert any(abs(e.state[usa]) < 1e-9 for e in stable)
