"""Fixed-point continuation of maps, orbit diagrams and Lyapunov exponents."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose

import richardson as rd

x, y, r, a, b = sp.symbols("x y r a b")


@pytest.fixture
def logistic():
    return rd.Model(["x"], {"r": 2.5}, [r * x * (1 - x)], kind="map", initial={"x": 0.3})


@pytest.fixture
def saperstein():
    # Saperstein (1984): x[n+1] = 4 a y[n] (1 - y[n]), y[n+1] = 4 b x[n] (1 - x[n])
    return rd.Model(
        ["x", "y"],
        {"a": 1.0, "b": 1.0},
        [4 * a * y * (1 - y), 4 * b * x * (1 - x)],
        kind="map",
        initial={"x": 0.3, "y": 0.2},
    )


def test_logistic_period_doubling_at_3_and_1_plus_sqrt6(logistic):
    branch = rd.continuation(logistic, "r", start=[0.6], bounds=(1.5, 3.5))
    (flip,) = branch.of_kind("flip")
    assert_allclose(flip.parameter, 3.0, rtol=1e-6)
    assert_allclose(flip.state, [2 / 3], rtol=1e-6)
    assert_allclose(flip.eigenvalues, [-1.0], atol=1e-6)
    assert np.all(branch.points["stable"].values == (branch.points["parameter"].values < 3.0))
    period2 = rd.continuation(
        logistic, "r", start=[0.5], bounds=(3.1, 3.6), params={"r": 3.2}, period=2
    )
    (flip2,) = period2.of_kind("flip")
    assert_allclose(flip2.parameter, 1 + np.sqrt(6), rtol=1e-6)
    # the period-2 points solve r^2 x^2 - r (r + 1) x + (r + 1) = 0
    rr = period2.points["parameter"].values
    xx = period2.points["state"].values[:, 0]
    assert_allclose(rr**2 * xx**2 - rr * (rr + 1) * xx + rr + 1, 0.0, atol=1e-9)


def test_neimark_sacker_of_delayed_logistic_map():
    # x[n+1] = y, y[n+1] = r y (1 - x): multipliers exp(+-i pi/3) at r = 2
    model = rd.Model(["x", "y"], {"r": 1.5}, [y, r * y * (1 - x)], kind="map")
    branch = rd.continuation(model, "r", start=[0.3, 0.3], bounds=(1.2, 2.5))
    (ns,) = branch.bifurcations
    assert ns.kind == "neimark_sacker"
    assert_allclose(ns.parameter, 2.0, rtol=1e-6)
    assert_allclose(ns.frequency, np.pi / 3, rtol=1e-6)
    assert_allclose(np.abs(ns.eigenvalues), 1.0, atol=1e-6)


def test_flip_curve_of_saperstein_map(saperstein):
    # at a fixed point the multipliers are +-sqrt(16 a b (1 - 2x)(1 - 2y)): they reach +-1
    # together (fold and flip at once) where 16 a b (1 - 2x)(1 - 2y) = 1
    def product(a_values, b_values, states):
        return 16 * a_values * b_values * (1 - 2 * states[:, 0]) * (1 - 2 * states[:, 1])

    branch = rd.continuation(
        saperstein, "a", start=[0.5, 0.5], bounds=(0.3, 1.0), params={"a": 0.5, "b": 0.8}
    )
    flips = branch.of_kind("flip")
    assert len(flips) == 2
    for flip in flips:
        assert_allclose(product(flip.parameter, 0.8, flip.state[None]), 1.0, atol=1e-9)
        assert_allclose(np.sort(flip.eigenvalues.real), [-1.0, 1.0], atol=1e-6)
    curve = rd.continue_bifurcation(flips[0], "b", bounds=(0.5, 1.0), first_bounds=(0.5, 1.0))
    assert len(curve) > 10
    assert_allclose(
        product(curve.values("a"), curve.values("b"), curve.points["state"].values), 1.0, atol=1e-8
    )


@pytest.mark.slow
def test_lyapunov_exponents_closed_forms(logistic, saperstein):
    # fully chaotic logistic map: ln 2 (Ulam and von Neumann)
    full = rd.lyapunov_exponents(logistic.with_params(r=4.0), steps=20_000)
    assert_allclose(full.values, [np.log(2)], atol=1.5e-2)
    # period-2 orbit: exponent = (1/2) ln |multiplier|, multiplier = -r^2 + 2 r + 4
    values = np.array([3.2, 3.3, 3.4])
    periodic = rd.lyapunov_exponents(logistic, "r", values, transient=3000, steps=2000)
    assert_allclose(
        periodic.values[:, 0], 0.5 * np.log(np.abs(-(values**2) + 2 * values + 4)), rtol=1e-8
    )
    # Saperstein at a = b = 1: two steps are two full logistic maps, both exponents ln 2
    both = rd.lyapunov_exponents(saperstein, steps=20_000)
    assert_allclose(both.values, [np.log(2)] * 2, atol=1.5e-2)


def test_orbit_diagram_period_two_points(logistic):
    values = np.array([3.2, 3.4])
    diagram = rd.orbit_diagram(logistic, "r", values, transient=3000, keep=10)
    for row, rv in enumerate(values):
        root = np.sqrt((rv - 3) * (rv + 1))
        expected = np.sort([(rv + 1 - root) / (2 * rv), (rv + 1 + root) / (2 * rv)])
        got = np.unique(np.round(diagram.data["state"].values[row, :, 0], 10))
        assert_allclose(got, expected, atol=1e-9)
    assert not diagram.data["escaped"].any()
    assert "Orbit diagram" in diagram.summary()
    ax = diagram.plot()
    assert len(ax.get_lines()) == 1
    plt.close("all")


def test_orbit_diagram_marks_escaping_orbits(logistic):
    diagram = rd.orbit_diagram(logistic, "r", [3.5, 4.5], transient=100, keep=5)
    np.testing.assert_array_equal(diagram.data["escaped"].values, [False, True])
    assert np.isnan(diagram.data["state"].values[1]).all()


def test_map_tools_reject_odes():
    model = rd.Model(["x"], {"r": 1.0}, [r * x])
    with pytest.raises(rd.ModelError, match="maps"):
        rd.orbit_diagram(model, "r", [1.0], x0=[0.1])
    with pytest.raises(rd.UnknownSymbolError, match="Did you mean 'r'"):
        rd.lyapunov_exponents(
            model.__class__(["x"], {"r": 1.0}, [r * x], kind="map"), "rr", [1.0], x0=[0.1]
        )


def test_lyapunov_exponents_are_labelled_with_the_parameter_name(logistic):
    """The parameter axis is named after the parameter (as stability maps name theirs) and
    selects by value; the period-2 exponent is (1/2) ln |4 + 2r - r^2|."""
    exponents = rd.lyapunov_exponents(logistic, "r", [3.2, 3.4], transient=3000, steps=2000)
    assert exponents.dims == ("r", "exponent")
    assert exponents.attrs["param"] == "r"
    assert float(exponents.sel(r=3.4, exponent=1)) == pytest.approx(
        0.5 * np.log(abs(4 + 2 * 3.4 - 3.4**2)), rel=1e-8
    )
