"""Continuation and bifurcation detection against normal forms and closed forms."""

import dataclasses
import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose

import richardson as rd

x, y, z, mu = sp.symbols("x y z mu")
a, b, k, l, g, h, s, theta, w = sp.symbols("a b k l g h s theta w")


def check_stability_labels(branch):
    """Reusable invariant: the stable flag agrees with the sign of the eigenvalues."""
    eig = branch.points["eigenvalues"].values
    if branch.model.kind == "map":
        expected = np.max(np.abs(eig), axis=1) < 1.0
    else:
        expected = np.max(eig.real, axis=1) < 0.0
    np.testing.assert_array_equal(branch.points["stable"].values, expected)


def check_on_branch(branch):
    """Reusable invariant: every point solves f(x, p) = 0."""
    compiled = branch.model.compile()
    base = branch.model.param_vector(branch.params)
    index = branch.model.param_index[branch.param]
    for value, state in zip(
        branch.points["parameter"].values, branch.points["state"].values, strict=True
    ):
        p = base.copy()
        p[index] = value
        assert np.max(np.abs(compiled.rhs(0.0, state, p))) < 1e-9


# ---------------------------------------------------------------------- normal forms
def test_saddle_node_fold_at_zero():
    model = rd.Model(["x"], {"mu": 1.0}, [mu - x**2])
    branch = rd.continuation(model, "mu", start=[1.0], bounds=(-1.0, 2.0))
    folds = branch.of_kind("fold")
    assert len(folds) == 1 and branch.bifurcations == folds
    assert abs(folds[0].parameter) < 1e-6 and abs(folds[0].state[0]) < 1e-6
    assert folds[0].located
    assert abs(folds[0].test_values["fold"]) < 1e-6
    # upper half (x > 0) is stable: eigenvalue -2x
    xs = branch.points["state"].values[:, 0]
    stable = branch.points["stable"].values
    assert np.all(stable[xs > 1e-6]) and not np.any(stable[xs < -1e-6])
    assert branch.success
    assert branch.points["parameter"].min() > -1e-12  # no equilibria below mu = 0
    check_stability_labels(branch)
    check_on_branch(branch)


def test_pitchfork_branch_point_and_switching():
    model = rd.Model(["x"], {"mu": -1.0}, [mu * x - x**3])
    branch = rd.continuation(model, "mu", start=[0.0], bounds=(-1.0, 1.0))
    assert [bif.kind for bif in branch.bifurcations] == ["branch"]
    point = branch.bifurcations[0]
    assert abs(point.parameter) < 1e-6 and abs(point.state[0]) < 1e-6
    other = branch.switch(point)
    values = other.points["parameter"].values
    states = other.points["state"].values[:, 0]
    assert states.max() > 0.9 and states.min() < -0.9  # both halves x = +-sqrt(mu)
    assert_allclose(states**2, values, atol=1e-9)
    assert np.all(other.points["stable"].values[np.abs(states) > 1e-3])
    check_stability_labels(branch)
    check_stability_labels(other)


@pytest.mark.parametrize(("sigma", "omega"), [(-1.0, 2.0), (0.5, 2.0), (-0.3, 0.7)])
def test_hopf_normal_form_and_lyapunov_coefficient(sigma, omega):
    r2 = x**2 + y**2
    model = rd.Model(
        ["x", "y"],
        {"mu": -1.0},
        [mu * x - omega * y + sigma * x * r2, omega * x + mu * y + sigma * y * r2],
    )
    branch = rd.continuation(model, "mu", start=[0.0, 0.0], bounds=(-1.0, 1.0))
    (hopf,) = branch.of_kind("hopf")
    assert abs(hopf.parameter) < 1e-6
    assert_allclose(hopf.frequency, omega, rtol=1e-9)
    # Kuznetsov's l1 (eq. 3.20, <q, q> = 1): in w = x + i y the system is
    # w' = (mu + i omega) w + sigma w |w|^2; with w = sqrt(2) z this gives c1 = 2 sigma,
    # so l1 = Re(c1) / omega = 2 sigma / omega.
    assert_allclose(hopf.lyapunov_coefficient, 2 * sigma / omega, rtol=1e-6)
    assert hopf.is_supercritical == (sigma < 0)


def test_neutral_saddle_is_not_a_hopf_point():
    # eigenvalues mu + 1 and mu - 1: their sum crosses zero at mu = 0 with a real pair
    model = rd.Model(["x", "y"], {"mu": -0.5}, [(mu + 1) * x + 0.1 * y, (mu - 1) * y])
    branch = rd.continuation(model, "mu", start=[0.0, 0.0], bounds=(-0.5, 0.5))
    hopf_test = branch.points["test_hopf"].values
    assert hopf_test.min() < 0 < hopf_test.max()  # the test function does change sign
    assert branch.bifurcations == ()


def test_brusselator_hopf_at_b_equal_one_plus_a_squared():
    model = rd.Model(
        ["x", "y"], {"a": 1.0, "b": 1.0}, [a - (b + 1) * x + x**2 * y, b * x - x**2 * y]
    )
    for a_value in (1.0, 1.5):
        branch = rd.continuation(
            model,
            "b",
            start=[a_value, 1.0 / a_value],
            bounds=(0.5, 4.0),
            params={"a": a_value, "b": 1.0},
        )
        (hopf,) = branch.of_kind("hopf")
        assert_allclose(hopf.parameter, 1 + a_value**2, rtol=1e-6)
        assert_allclose(hopf.state, [a_value, (1 + a_value**2) / a_value], rtol=1e-6)
        assert_allclose(hopf.frequency, a_value, rtol=1e-6)  # omega^2 = det J = a^2
        assert hopf.is_supercritical  # the Brusselator's Hopf bifurcation is supercritical
        check_stability_labels(branch)


# ---------------------------------------------------------------------- two parameters
def test_cusp_fold_curve_is_27a2_equal_4b3():
    model = rd.Model(["x"], {"a": 0.0, "b": 1.0}, [a + b * x - x**3])
    branch = rd.continuation(model, "a", start=[1.0], bounds=(-2.0, 2.0))
    folds = branch.of_kind("fold")
    assert len(folds) == 2
    assert_allclose(sorted(f.parameter for f in folds), [-2 / 27**0.5 * 1, 2 / 27**0.5], rtol=1e-6)
    curve = rd.continue_bifurcation(folds[0], "b", bounds=(-1.0, 2.0))
    a_values, b_values = curve.values("a"), curve.values("b")
    assert len(curve) > 20 and b_values.min() < 1e-6 and b_values.max() > 1.99
    assert_allclose(27 * a_values**2, 4 * b_values**3, atol=1e-6 * max(1.0, b_values.max() ** 3))
    (cusp,) = curve.special_points
    assert cusp.kind == "cusp"
    assert abs(cusp.params["a"]) < 1e-6 and abs(cusp.params["b"]) < 1e-6
    assert "cusp" in curve.summary()
    with pytest.raises(dataclasses.FrozenInstanceError):
        curve.kind = "hopf"


def test_bogdanov_takens_on_fold_and_hopf_curves():
    b1, b2 = sp.symbols("beta1 beta2")
    model = rd.Model(["x", "y"], {"beta1": -0.5, "beta2": -1.0}, [y, b1 + b2 * x + x**2 - x * y])
    branch = rd.continuation(model, "beta1", start=[-0.366, 0.0], bounds=(-1.0, 1.0))
    (fold,) = branch.of_kind("fold")
    (hopf,) = branch.of_kind("hopf")
    assert_allclose(fold.parameter, 0.25, rtol=1e-6)  # beta1 = beta2^2 / 4
    assert abs(hopf.parameter) < 1e-6
    fold_curve = rd.continue_bifurcation(fold, "beta2", bounds=(-2.0, 1.0))
    assert_allclose(fold_curve.values("beta1"), fold_curve.values("beta2") ** 2 / 4, atol=1e-9)
    hopf_curve = rd.continue_bifurcation(hopf, "beta2", bounds=(-2.0, 1.0))
    assert np.max(np.abs(hopf_curve.values("beta1"))) < 1e-6
    # kappa = omega^2 = -beta2 on the Hopf curve; positive beta2 gives neutral saddles
    assert_allclose(hopf_curve.points["kappa"].values, -hopf_curve.values("beta2"), atol=1e-9)
    for curve in (fold_curve, hopf_curve):
        (bt,) = curve.special_points
        assert bt.kind == "bogdanov_takens"
        assert abs(bt.params["beta1"]) < 1e-6 and abs(bt.params["beta2"]) < 1e-6


# ---------------------------------------------------------------------- Richardson models
def test_classic_linear_model_loses_stability_at_k_equal_ab_over_l():
    values = {"k": 0.2, "l": 0.8, "a": 1.0, "b": 1.1, "g": 0.0, "h": 0.0}
    model = rd.richardson2(**values)
    branch = rd.continuation(model, "k", start=[0.0, 0.0], bounds=(0.0, 3.0))
    (point,) = branch.bifurcations
    assert point.kind == "branch"
    assert_allclose(point.parameter, values["a"] * values["b"] / values["l"], rtol=1e-6)
    ks = branch.points["parameter"].values
    np.testing.assert_array_equal(
        branch.points["stable"].values[np.abs(ks - 1.375) > 1e-9],
        ks[np.abs(ks - 1.375) > 1e-9] < 1.375,
    )
    # with grievances the equilibrium escapes to infinity as k l -> a b: the branch stops
    grieved = model.with_params(g=0.5, h=0.3)
    escape = rd.continuation(
        grieved,
        "k",
        bounds=(0.0, 3.0),
        start=[0.5, 0.6],
        state_limit=1e3,
        max_step=5.0,
        direction="forward",
    )
    assert escape.points["parameter"].max() < 1.375
    assert escape.points["parameter"].max() > 1.375 * (1 - 1e-2)
    assert "|state|" in escape.message


def trigger_model():
    """Two allies facing one adversary; each ally's spending jumps by s when the threat z
    passes theta (a smooth mutual-defence switch)."""
    switch = s / (1 + sp.exp(-(z - theta) / w))
    return rd.Model(
        ["x1", "x2", "z"],
        {
            "k": 0.2,
            "l": 0.3,
            "a": 1.0,
            "b": 1.0,
            "g": 0.2,
            "h": 0.2,
            "s": 2.0,
            "theta": 2.0,
            "w": 0.2,
        },
        [
            k * z - a * sp.Symbol("x1") + g + switch,
            k * z - a * sp.Symbol("x2") + g + switch,
            l * (sp.Symbol("x1") + sp.Symbol("x2")) - b * z + h,
        ],
        name="trigger",
    )


def brute_force_folds(p, lo=-5.0, hi=10.0, count=2_000_001):
    """Folds in g from a dense scan of the symmetric equilibria: g(z) has its extrema there.

    At an equilibrium x1 = x2 = (k z + g + s sigma(z)) / a and b z = 2 l x + h, so
    g(z) = a (b z - h) / (2 l) - k z - s sigma(z); a fold in g is a local extremum of g(z).
    """
    zz = np.linspace(lo, hi, count)
    gz = (
        p["a"] * (p["b"] * zz - p["h"]) / (2 * p["l"])
        - p["k"] * zz
        - p["s"] / (1 + np.exp(-(zz - p["theta"]) / p["w"]))
    )
    slope = np.diff(gz)
    turns = np.flatnonzero(np.sign(slope[1:]) != np.sign(slope[:-1])) + 1
    return np.sort(gz[turns])


def test_trigger_scenario_folds_agree_with_brute_force_scan():
    model = trigger_model()
    branch = rd.continuation(model, "g", start=[0.3, 0.3, 0.4], bounds=(-1.0, 2.0))
    folds = np.sort([f.parameter for f in branch.of_kind("fold")])
    expected = brute_force_folds(model.defaults)
    assert expected.size == 2
    assert_allclose(folds, expected, rtol=1e-6)
    # between the folds the model is bistable: two stable equilibria coexist
    middle = 0.5 * (folds[0] + folds[1])
    params = branch.points["parameter"].values
    stable = branch.points["stable"].values
    crossings = np.flatnonzero(np.diff(np.sign(params - middle)) != 0)
    assert sum(stable[i] and stable[i + 1] for i in crossings) == 2
    check_stability_labels(branch)
    check_on_branch(branch)


@pytest.mark.slow
def test_trigger_scenario_fold_curve_matches_scans_in_s():
    model = trigger_model()
    branch = rd.continuation(model, "g", start=[0.3, 0.3, 0.4], bounds=(-1.0, 2.0))
    curve = rd.continue_bifurcation(
        branch.of_kind("fold")[0], "s", bounds=(0.5, 3.0), first_bounds=(-1.0, 3.0), max_points=80
    )
    assert len(curve) > 10
    checked = 0
    for g_value, s_value in list(zip(curve.values("g"), curve.values("s"), strict=True))[::8]:
        scanned = brute_force_folds(model.defaults | {"s": s_value}, count=400_001)
        if scanned.size:
            assert np.min(np.abs(scanned - g_value)) < 1e-6 * max(1.0, abs(g_value))
            checked += 1
    assert checked >= 3


# ---------------------------------------------------------------------- cross-check
def test_fold_agrees_with_pycont_lite_reference():
    import pycont  # pycont-lite, a dev dependency (the reference tool)

    a_value = 0.5
    model = rd.Model(["x", "y"], {"b": 3.0}, [a_value + b * x - x**3, x - y])
    ours = rd.continuation(model, "b", start=[-2.0, -2.0], bounds=(-1.0, 3.5))
    exact = 3 * (a_value / 2) ** (2 / 3)  # fold of a + b x - x^3: b = 3 (a/2)^(2/3)
    (fold,) = ours.of_kind("fold")
    assert_allclose(fold.parameter, exact, rtol=1e-9)

    def residual(u, p):
        return np.array([a_value + p * u[0] - u[0] ** 3, u[0] - u[1]])

    reference = pycont.arclengthContinuation(
        residual,
        np.array([-2.0, -2.0]),
        3.0,
        1e-6,
        0.05,
        0.01,
        300,
        solver_parameters={
            "tolerance": 1e-12,
            "initial_directions": "decrease_p",
            "param_min": -1.0,
            "param_max": 3.5,
        },
        verbosity="off",
    )
    (theirs,) = [e.p for e in reference.events if e.kind == "LP"]
    # pycont-lite locates folds only to about 1 % (its own bracketing); ours to 1e-9
    assert_allclose(theirs, fold.parameter, rtol=2e-2)


# ---------------------------------------------------------------------- results and errors
def test_branch_result_object_and_plot():
    model = rd.Model(
        ["x", "y"],
        {"a": 1.0, "b": 1.0},
        [a - (b + 1) * x + x**2 * y, b * x - x**2 * y],
        name="Brusselator",
    )
    branch = rd.continuation(model, "b", start=[1.0, 1.0], bounds=(0.5, 3.0))
    text = branch.summary()
    assert "hopf at b = 2" in text and "supercritical" in text
    assert "<pre>" in branch._repr_html_()
    assert set(branch.points.data_vars) >= {
        "parameter",
        "state",
        "max_real_eigenvalue",
        "stable",
        "eigenvalues",
        "test_hopf",
    }
    assert np.all(np.diff(branch.points["arclength"].values) > 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        branch.param = "a"
    with pytest.raises(ValueError, match="read-only"):
        branch.bifurcations[0].state[0] = 1.0
    ax = branch.plot(state="y")
    styles = {line.get_linestyle() for line in ax.get_lines()}
    assert {"-", "--"} <= styles
    assert any(line.get_label() == "Hopf" for line in ax.get_lines())
    plt.close("all")


def test_errors_are_clear():
    model = rd.Model(["x"], {"mu": 1.0}, [mu - x**2])
    with pytest.raises(rd.UnknownSymbolError, match="Did you mean 'mu'"):
        rd.continuation(model, "mux", bounds=(0, 1))
    with pytest.raises(rd.ContinuationError, match="outside bounds"):
        rd.continuation(model, "mu", bounds=(2.0, 3.0))
    with pytest.raises(rd.ContinuationError, match="bounds"):
        rd.continuation(model, "mu")
    empty = rd.continuation(model, "mu", start=[1.0], bounds=(-2.0, 2.0), params={"mu": -1.0})
    assert not empty.success and len(empty) == 0 and "no equilibrium" in empty.message
    pitchfork = rd.Model(["x"], {"mu": -1.0}, [mu * x - x**3])
    point = rd.continuation(pitchfork, "mu", start=[0.0], bounds=(-1, 1)).bifurcations[0]
    with pytest.raises(rd.ContinuationError, match="cannot be continued"):
        rd.continue_bifurcation(point, "mu", bounds=(0, 1))


def test_exact_answers_are_not_trivially_satisfied():
    # guard against a test function that is always zero: the fold test is O(1) away from it
    model = rd.Model(["x"], {"mu": 1.0}, [mu - x**2])
    branch = rd.continuation(model, "mu", start=[1.0], bounds=(0.5, 2.0))
    assert branch.bifurcations == ()
    assert np.min(np.abs(branch.points["test_fold"].values)) > 0.3
    assert math.isclose(branch.points["parameter"].min(), 0.5, rel_tol=1e-12)


def test_curves_over_a_stability_map_keep_its_regime_legend():
    import richardson as rd_

    a_, b_, x_ = sp.symbols("a b x")
    cusp = rd_.Model(["x"], {"a": -0.3, "b": 1.0}, [a_ + b_ * x_ - x_**3])
    branch = rd_.continuation(cusp, "a", start=[-1.0], bounds=(-1.0, 1.0))
    curve = rd_.continue_bifurcation(branch.of_kind("fold")[0], "b", bounds=(0.1, 2.0))
    regimes = rd_.stability_map(
        cusp, {"a": np.linspace(-1, 1, 5), "b": np.linspace(0.1, 2, 5)}, n_samples=4
    )
    ax = rd_.plot.stability_map(regimes)
    before = {t.get_text() for t in ax.get_legend().get_texts()}
    rd_.plot.bifurcation_curves(curve, ax=ax)
    after = {t.get_text() for t in ax.get_legend().get_texts()}
    assert before <= after and len(after) > len(before)
