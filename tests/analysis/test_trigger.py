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


@pytest.mark.slow
def test_trigger_scenario_folds_agree_with_brute_force_scan():
    """The mutual-defence scenario file: folds in the rival's grievance g_Rival, located by
    continuation, bracket the change in the number of balances found by a root scan."""
    from pathlib import Path

    model = rd.load_model(
        Path(__file__).resolve().parents[2] / "models" / "mutual_defence_trigger.toml"
    )
    stable = [eq for eq in rd.equilibria(model) if eq.stable]
    low = min(stable, key=lambda eq: eq.state.sum())
    g0 = model.params["g_Rival"].value
    branch = rd.continuation(
        model, "g_Rival", start=low.state, bounds=(g0 - 2.0, g0 + 2.0), max_points=600
    )
    folds = sorted(b.parameter for b in branch.bifurcations if b.kind == "fold")
    assert folds, branch.summary()
    for fold in folds:
        counts = [
            len(rd.equilibria(model, {"g_Rival": value}, region=(-5, 20), n_starts=300))
            for value in (fold - 2e-3, fold + 2e-3)
        ]
        assert counts[0] != counts[1], (fold, counts)
