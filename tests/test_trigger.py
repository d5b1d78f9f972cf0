"""nearest_bifurcation: the closest one-parameter trigger point."""

import numpy as np
import pytest
import sympy as sp

import richardson as rd


def test_linear_boundary_is_the_closed_form(classic):
    point = rd.nearest_bifurcation(classic)
    candidates = {name: change for name, change, _ in point.candidates}
    # k l = a b along each parameter alone: k = ab/l, l = ab/k, a = kl/b, b = kl/a
    assert candidates["k"] == pytest.approx(1.1 / 0.8 / 0.9 - 1, rel=1e-9)
    assert candidates["l"] == pytest.approx(1.1 / 0.9 / 0.8 - 1, rel=1e-9)
    assert candidates["a"] == pytest.approx(0.72 / 1.1 / 1.0 - 1, rel=1e-9)
    assert candidates["b"] == pytest.approx(0.72 / 1.0 / 1.1 - 1, rel=1e-9)
    assert point.kind == "boundary" and point.param in ("a", "b")
    assert abs(point.relative_change) == pytest.approx(min(abs(c) for c in candidates.values()))
    assert "34.5%" in point.summary()


def test_fold_of_a_one_dimensional_trigger_matches_closed_form():
    # x' = g + s x^2 / (1 + x^2) - x has folds where the line and the sigmoid are tangent;
    # brute force: scan s and count equilibria on a fine grid
    x = sp.Symbol("x")
    g, s = sp.symbols("g s")
    model = rd.Model(["x"], {"g": 0.1, "s": 2.0}, [g + s * x**2 / (1 + x**2) - x])
    point = rd.nearest_bifurcation(model, over=["s"])
    assert point.kind == "fold"
    grid = np.linspace(0, 6, 600001)
    counts = []
    scan = np.linspace(point.value - 0.01, point.value + 0.01, 21)
    for value in scan:
        f = 0.1 + value * grid**2 / (1 + grid**2) - grid
        counts.append(int(np.sum(np.sign(f[1:]) != np.sign(f[:-1]))))
    changes = scan[1:][np.diff(counts) != 0]
    assert len(changes) == 1 and abs(changes[0] - point.value) <= 0.001 + 1e-9


def test_unknown_parameter(classic):
    with pytest.raises(rd.UnknownSymbolError, match="Did you mean 'k'"):
        rd.nearest_bifurcation(classic, over=["kk"])


def test_from_a_runaway_race_the_boundary_is_where_a_balance_becomes_stable():
    point = rd.nearest_bifurcation(rd.richardson2(k=1.3, l=1.2), over=["k"])
    assert point.from_runaway and point.value == pytest.approx(1.1 / 1.2, rel=1e-9)
    assert "settles to a balance" in point.summary()
