"""escalation_margin over the whole box of changes: every mode, every sub-system, negative
couplings, zero-valued parameters, bounds; checked against brute force."""

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose

import richardson as rd

MODELS = Path(__file__).resolve().parents[2] / "models"


def _far_side(J, from_runaway):
    """Routh-Hurwitz on a stack ``(n, n, m)`` (n = 2, 3): the largest real part of the
    eigenvalues is >= 0 (from a stable start) or < 0 (from runaway)."""
    n = J.shape[0]
    trace = np.trace(J)
    if n == 2:
        stable = (trace < 0) & (J[0, 0] * J[1, 1] - J[0, 1] * J[1, 0] > 0)
    else:
        minors = sum(J[i, i] * J[j, j] - J[i, j] * J[j, i] for i, j in ((0, 1), (0, 2), (1, 2)))
        det = np.linalg.det(np.moveaxis(J, -1, 0))
        c1, c2, c3 = -trace, minors, -det
        stable = (c1 > 0) & (c3 > 0) & (c1 * c2 > c3)
    return stable if from_runaway else ~stable


def _brute_force(model, names, scales, max_change, from_runaway, points):
    """Smallest t whose lattice of ``box(t)`` (``points`` + 1 values per axis, faces and
    corners included) holds a point on the far side: a scan of 50 sizes, then bisection."""
    compiled = model.compile()
    p0 = model.param_vector()
    index = [model.param_index[n] for n in names]
    axis = np.linspace(-1.0, 1.0, points + 1)
    lattice = np.array(np.meshgrid(*[axis] * len(names), indexing="ij")).reshape(len(names), -1)
    zero = np.zeros(model.n_states)

    def hit(t):
        P = np.repeat(p0[:, None], lattice.shape[1], axis=1)
        P[index] = p0[index][:, None] + t * lattice * scales[:, None]
        return bool(_far_side(compiled.jac(0.0, zero, P), from_runaway).any())

    levels = np.linspace(0.0, max_change, 51)[1:]
    first = next((j for j, t in enumerate(levels) if hit(t)), None)
    if first is None:
        return math.inf
    lo, hi = (levels[first - 1] if first else 0.0), levels[first]
    for _ in range(22):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if hit(mid) else (mid, hi)
    return hi


def _random_system(rng):
    """2 or 3 actors, couplings of both signs, 2-3 parameters varied (now and then a
    zero-valued self-reaction, which moves in absolute steps)."""
    n = int(rng.integers(2, 4))
    K = rng.uniform(-1.0, 1.0, (n, n))
    np.fill_diagonal(K, 0.0)
    model = rd.richardson_n(K, rng.uniform(0.2, 1.5, n), rng.uniform(0.1, 1.0, n))
    pool = [f"k_n{i}_n{j}" for i in range(n) for j in range(n) if i != j]
    pool += [f"a_n{i}" for i in range(n)]
    names = list(rng.choice(pool, int(rng.integers(2, 4)), replace=False))
    if rng.uniform() < 0.2:
        i = int(rng.integers(n))
        names[-1] = f"k_n{i}_n{i}"
    return model, [str(name) for name in dict.fromkeys(names)]


def _growth(model, values):
    J = model.compile().jac(0.0, np.zeros(model.n_states), model.param_vector(values))
    return float(np.max(np.linalg.eigvals(J).real)), float(np.max(np.abs(J)))


@pytest.mark.slow
def test_random_mixed_sign_systems_agree_with_brute_force():
    """200 seeded systems of 2 and 3 actors with couplings of both signs. The margin is
    within 1% of the brute-force lattice search, or smaller (the lattice misses the narrow
    tip of a window of stability) with a boundary point that the eigenvalues confirm; it is
    never infinite where the brute force finds a change within the range."""
    rng = np.random.default_rng(20261201)
    compared = smaller = exact = 0
    for _ in range(200):
        model, names = _random_system(rng)
        found = rd.escalation_margin(model, over=names, max_change=1.0)
        scales = np.array([found.scales[n] for n in names])
        for name, scale in zip(names, scales, strict=True):
            value = model.params[name].value
            assert scale == abs(value) if value != 0 else scale > 0
        brute = _brute_force(
            model, names, scales, 1.0, found.from_runaway, 16 if len(names) == 3 else 40
        )
        if math.isinf(brute):
            assert math.isinf(found.margin) or found.margin > 0.99, (names, found.margin)
            continue
        compared += 1
        exact += found.exact
        assert math.isfinite(found.margin), (names, brute)
        assert found.margin <= 1.01 * brute, (names, found.margin, brute, found.search)
        if found.margin < 0.99 * brute:
            smaller += 1
            growth, size = _growth(model, dict(found.boundary))
            assert abs(growth) <= 1e-8 * max(size, 1.0), (names, growth)
            assert max(abs(d) for d in found.direction.values()) <= found.margin * (1 + 1e-9)
    assert compared >= 150 and smaller <= 5 and exact >= 50, (compared, smaller, exact)


def test_greece_turkey_pair_tips_first():
    """models/greece_turkey_nato.toml: the Greece-Turkey block (eigenvalues -a +- c) crosses
    when c (1 + t) = a (1 - t), t = (a - c)/(a + c) = 25%, before the superpower pair (33.3%);
    alone, Greece's fatigue must fall to c^2 / a = 0.18 (-64%), the USA's to 0.05 (-75%).
    A brute-force check over the 14 parameters' corners and 20,000 random points gave 25%."""
    model = rd.load_model(MODELS / "greece_turkey_nato.toml")
    margin = rd.escalation_margin(model)
    assert_allclose(margin.margin, 0.25, rtol=1e-9)
    assert margin.exact and margin.subsystem == ("Greece", "Turkey")
    moved = {name for name, change in margin.direction.items() if change != 0}
    assert moved == {"a_Greece", "a_Turkey", "c_Greece_Turkey", "c_Turkey_Greece"}
    assert_allclose(margin.boundary["a_Greece"], 0.375, rtol=1e-9)
    assert margin.target_regime == "runaway"
    assert "The sub-system Greece, Turkey reaches the boundary first" in margin.summary()
    point = rd.nearest_bifurcation(model)
    assert point.param in ("a_Greece", "a_Turkey") and point.kind == "boundary"
    assert_allclose(point.relative_change, -0.64, rtol=1e-9)
    assert_allclose(point.value, 0.18, rtol=1e-9)
    changes = {name: change for name, change, _ in point.candidates}
    assert_allclose(changes["a_USA"], -0.75, rtol=1e-9)
    assert_allclose(changes["c_Greece_Turkey"], 0.25 / 0.3 / 0.3 - 1, rtol=1e-9)
    assert "64.0%" in point.summary()


def test_zero_valued_parameter_moves_in_absolute_steps():
    # k = 0: the boundary k l = a b is at k = 1.375; the step is the mean |value| of l, a, b
    model = rd.richardson2(k=0.0)
    margin = rd.escalation_margin(model, over=["k"])
    step = (0.8 + 1.0 + 1.1) / 3
    assert_allclose(margin.scales["k"], step, rtol=1e-12)
    assert_allclose(margin.margin, 1.375 / step, rtol=1e-9)
    assert_allclose(margin.boundary["k"], 1.375, rtol=1e-9)
    assert "k is 0, so its change is absolute" in margin.summary()
    given = rd.escalation_margin(model, over=["k"], scales={"k": 0.5}, max_change=3.0)
    assert_allclose(given.margin, 2.75, rtol=1e-9)
    assert math.isinf(rd.escalation_margin(model, over=["k"], scales={"k": 0.5}).margin)
    with pytest.raises(rd.ModelError, match="positive"):
        rd.escalation_margin(model, over=["k"], scales={"k": 0.0})


def test_bounds_stop_a_parameter():
    # a >= 0.9: raising k while a stops at 0.9 needs 0.72 (1 + t) = 1.1 * 0.9, t = 0.375
    # (without the bound 0.72 (1 + t) = 1.1 (1 - t), t = 0.2088)
    x, y = sp.symbols("x y")
    k, l, a, b, g, h = sp.symbols("k l a b g h")
    params = {"k": 0.9, "l": 0.8, "a": rd.Parameter("a", 1.0, bounds=(0.9, math.inf))}
    params |= {"b": 1.1, "g": 0.5, "h": 0.3}
    model = rd.Model(["x", "y"], params, [k * y - a * x + g, l * x - b * y + h])
    margin = rd.escalation_margin(model, over=["k", "a"])
    assert_allclose(margin.margin, 0.99 / 0.72 - 1, rtol=1e-9)
    assert_allclose(margin.boundary["a"], 0.9, rtol=1e-12)
    assert "stopped at their bounds" in margin.summary()


@pytest.mark.parametrize(
    ("over", "exact"),
    [
        (["k", "l"], math.sqrt(1.1 / 0.72) - 1),
        (["k", "l", "a", "b"], (math.sqrt(1.1 / 0.72) - 1) / (math.sqrt(1.1 / 0.72) + 1)),
    ],
)
def test_two_nation_closed_form_is_labelled_exact(over, exact):
    margin = rd.escalation_margin(rd.richardson2(k=0.9, l=0.8, a=1.0, b=1.1), over=over)
    assert_allclose(margin.margin, exact, rtol=1e-9)
    assert margin.exact and "exact" in margin.summary()


def test_two_actors_with_negative_coupling_are_exact_from_every_corner():
    # burden sharing (k < 0): not Metzler, yet trace and determinant decide at the corners;
    # brute force over a fine lattice of the box agrees
    model = rd.richardson_n([[0.0, -0.6], [0.9, 0.0]], [0.5, 0.4], [1.0, 1.0])
    names = ["k_n0_n1", "k_n1_n0", "a_n0"]
    margin = rd.escalation_margin(model, over=names)
    assert margin.exact and "corners decide" in margin.search
    scales = np.array([margin.scales[n] for n in names])
    brute = _brute_force(model, names, scales, 2.0, margin.from_runaway, 20)
    assert_allclose(margin.margin, brute, rtol=1e-5)


def test_three_actors_with_mixed_signs_are_labelled_a_search():
    model = rd.richardson_n(
        [[0.0, 0.8, -0.5], [0.6, 0.0, 0.4], [-0.7, 0.5, 0.0]], [1.0, 0.9, 1.2], [1.0] * 3
    )
    names = ["k_n0_n1", "k_n2_n0", "a_n1"]
    margin = rd.escalation_margin(model, over=names, max_change=1.0)
    assert not margin.exact and "cannot be ruled out" in margin.summary()
    scales = np.array([margin.scales[n] for n in names])
    brute = _brute_force(model, names, scales, 1.0, margin.from_runaway, 16)
    assert margin.margin <= 1.01 * brute and margin.margin >= 0.99 * brute


def test_leaving_runaway_counts_threshold_regimes_as_runaway():
    # negative grievances make the unstable two-nation race a threshold; the way out of it
    # is the Metzler corner: k (1 - t) = a (1 + t) with k = l, a = b
    model = rd.load_model(MODELS / "classic_two_nation.toml")
    k = model.params["k_Entente_Central_Powers"].value
    a = model.params["a_Entente"].value
    margin = rd.escalation_margin(model)
    assert margin.from_runaway and margin.current_regime == "threshold"
    assert_allclose(margin.margin, (k - a) / (k + a), rtol=1e-9)
    assert margin.target_regime != margin.current_regime
    point = rd.nearest_bifurcation(model)
    assert point.from_runaway
    assert_allclose(point.relative_change, a * a / k / k - 1, rtol=1e-9)


def test_corner_enumeration_matches_a_direct_scan():
    # every corner of a 2-actor box, scanned finely: the smallest first crossing
    model = rd.richardson_n([[0.0, 0.7], [-0.4, 0.0]], [0.3, 0.6], [1.0, 1.0])
    names = ["k_n0_n1", "k_n1_n0", "a_n1"]
    margin = rd.escalation_margin(model, over=names)
    compiled = model.compile()
    p0 = model.param_vector()
    index = [model.param_index[n] for n in names]
    t = np.linspace(0, 2, 200001)
    first = math.inf
    for corner in itertools.product((-1.0, 1.0), repeat=3):
        P = np.repeat(p0[:, None], t.size, axis=1)
        P[index] = p0[index][:, None] + np.outer(corner, t) * np.abs(p0[index])[:, None]
        J = compiled.jac(0.0, np.zeros(2), P)
        hit = np.flatnonzero(_far_side(J, False))
        if hit.size:
            first = min(first, t[hit[0]])
    assert abs(margin.margin - first) <= 2e-5


@pytest.mark.slow
def test_nonlinear_search_is_labelled_and_keeps_to_its_budget():
    # quadratic reactions, k = l: the balances vanish in a fold at k = 1 / (4 g) = 1.25
    x, y = sp.symbols("x y")
    k, l, a, b, g, h = sp.symbols("k l a b g h")
    params = dict(k=0.5, l=0.5, a=1.0, b=1.0, g=0.2, h=0.2)
    model = rd.Model(["x", "y"], params, [k * y**2 - a * x + g, l * x**2 - b * y + h])
    quick = rd.escalation_margin(model, over=["k", "l"], n_samples=8, budget=0.0)
    assert quick.method == "bisection" and not quick.exact
    assert_allclose(quick.margin, 1.25 / 0.5 - 1, rtol=2e-3)
    assert "allowed 1 of" in quick.summary() and "a search" in quick.summary()


def test_a_parameter_at_its_bound_is_said_to_move_one_way_only():
    """Fatigue 0 on its bound [0, inf): the margin may raise it, never lower it, and says so."""
    model = rd.alliance_model(
        ["A", "C"], {}, reaction=0.3, fatigue={"A": 0.0, "C": 1.0}, grievance=0.1
    )
    # a = 0 with k^2 = 0.09 > 0 = a_A a_C: a runaway; raising a_A to k^2 / a_C = 0.09 ends it
    found = rd.escalation_margin(model, over=["a_A"])
    assert found.from_runaway and found.boundary["a_A"] == pytest.approx(0.09, rel=1e-8)
    assert any("a_A sits at its lower bound 0: it can only be raised" in n for n in found.notes)
    assert "a_A sits at its lower bound 0" in found.summary()


def test_a_margin_over_many_parameters_is_summarised_by_family():
    model = rd.scenarios.load("nato_warsaw_pact")
    result = rd.escalation_margin(model)
    text = result.summary()
    reactions = [n for n in result.parameters if n.startswith("k_")]
    assert len(result.parameters) > 8 and len(reactions) > 1
    assert f"raising the {len(reactions)} k_* parameters by {result.percent:.3g}%" in text
    assert reactions[0] not in text  # grouped, not listed one by one
    # every reaction goes the same way to the same value, so the phrase gives it
    (after,) = {round(result.boundary[n], 12) for n in reactions}
    assert f"-> {after:.4g})" in text
