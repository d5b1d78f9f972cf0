"""The batched sampled verdicts of nonlinear stability maps equal ``classify`` point by point."""

from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import richardson as rd

MODELS = Path(__file__).resolve().parents[2] / "models"


def saperstein() -> rd.Model:
    x, y, a, b = sp.symbols("x y a b")
    return rd.Model(
        ["x", "y"], {"a": 0.5, "b": 0.5}, [4 * a * y * (1 - y), 4 * b * x * (1 - x)], kind="map"
    )


def both(model, grid, **options):
    batched = rd.stability_map(model, grid, progress=False, **options)
    one_by_one = rd.stability_map(model, grid, progress=False, batched=False, **options)
    return batched, one_by_one


@pytest.mark.slow
def test_saperstein_map_batched_equals_classify_at_each_point():
    """Disarmament (16ab < 1), saturation, bistable and chaotic points (Lyapunov exponents
    computed for all chaotic candidates at once): the same regime and growth rate everywhere."""
    values = np.array([0.2, 0.8, 0.95])
    batched, one_by_one = both(saperstein(), {"a": values, "b": values})
    assert batched.attrs["method"] == "sampled (the points of a chunk batched)"
    assert one_by_one.attrs["method"] == "sampled (classify at each point)"
    assert set(batched.values.ravel()) >= {"disarmament", "saturation", "chaotic"}
    np.testing.assert_array_equal(batched.values, one_by_one.values)
    np.testing.assert_allclose(
        batched["max_real_eig"].values, one_by_one["max_real_eig"].values, rtol=1e-9
    )
    # the closed form of zero spending's multipliers, +-4 sqrt(ab), decides the corner
    assert batched.sel(a=0.2, b=0.2).item() == "disarmament"  # 16 ab = 0.64 < 1


@pytest.mark.slow
def test_trigger_map_batched_equals_classify_at_each_point():
    """An ODE map whose points have different horizons (each run on its own time scale in
    the shared solver): stable and bistable points, the same verdict at each."""
    trigger = rd.load_model(MODELS / "mutual_defence_trigger.toml")
    grid = {"s_Ally_1": np.array([0.5, 2.0, 3.0]), "theta_Ally_1": np.array([0.2, 0.6, 1.0])}
    batched, one_by_one = both(trigger, grid)
    assert set(batched.values.ravel()) == {"stable_balance", "bistable"}
    np.testing.assert_array_equal(batched.values, one_by_one.values)
    np.testing.assert_allclose(
        batched["max_real_eig"].values, one_by_one["max_real_eig"].values, rtol=1e-8
    )


def test_batched_ode_map_of_a_logistic_race_with_known_verdicts():
    """dx/dt = r x (1 - x / M) - c: two balances for c < r M / 4 (a threshold below which
    spending collapses to the floor), none above (it collapses from everywhere)."""
    x, r, c, M = sp.symbols("x r c M")
    model = rd.Model(["x"], {"r": 1.0, "c": 0.1, "M": 2.0}, [r * x * (1 - x / M) - c])
    grid = {"c": np.array([0.1, 0.8]), "r": np.array([1.0])}
    batched, one_by_one = both(model, grid, n_samples=12, horizon=60.0)
    np.testing.assert_array_equal(batched.values, one_by_one.values)
    for c in grid["c"]:
        for r in grid["r"]:
            two_balances = c < r * 2.0 / 4
            verdict = batched.sel(c=c, r=r).item()
            assert (verdict != "disarmament") == two_balances, (c, r, verdict)


def test_options_the_batch_does_not_take_go_point_by_point():
    x, r, c = sp.symbols("x r c")
    model = rd.Model(["x"], {"r": 1.0, "c": 0.1}, [r * x * (1 - x) - c])
    judged = rd.stability_map(model, {"c": [0.1, 0.2]}, progress=False, y0=[0.5], n_samples=8)
    assert judged.attrs["method"] == "sampled (classify at each point)"
    # a malformed region fails every point with the reason, as classify does
    bad = rd.stability_map(model, {"c": [0.1, 0.2]}, progress=False, region=(1.0, 0.0))
    assert set(bad.values.ravel()) == {"failed"}
    assert "upper > lower" in bad.attrs["errors"][0]


@pytest.mark.parametrize("n", [2, 3, 4])
def test_newton_step_equals_the_pseudo_inverse_step(n):
    """Cramer's rule (2 and 3 states) or LU where a block is regular, the pseudo-inverse where
    it is singular: the step pinv(J) f of every block."""
    from richardson.analysis.balances import _solve_stacked

    rng = np.random.default_rng(n)
    J = rng.normal(size=(200, n, n))
    J[0] = 0.0  # singular: the least-squares step of a zero matrix is zero
    J[1, 0] = J[1, 1]  # two equal rows
    f = rng.normal(size=(n, 200))
    expected = np.einsum("mij,jm->im", np.linalg.pinv(J), f)
    scale = np.maximum(np.max(np.abs(expected), axis=0), 1.0)
    solved = _solve_stacked(np.moveaxis(J, 0, -1), f)  # blocks in the compiled layout (n, n, m)
    np.testing.assert_allclose(solved / scale, expected / scale, atol=1e-8)
    np.testing.assert_array_equal(solved[:, 0], 0.0)


def test_solver_bands_are_the_cheapest_cut_of_the_points_by_stiffness():
    """The dynamic programme of _bands against every way of cutting the points, sorted by
    stiffness, into contiguous bands (64 cuts of 7 points), under its own cost model."""
    import itertools

    from richardson.analysis import _sampled_batch as batch
    from richardson.analysis._sampled import Plan

    rng = np.random.default_rng(3)
    stiffness = [150.0, 150.0, 155.0, 260.0, 270.0, 900.0, 1500.0]
    sizes = [4000, 3000, 50, 2500, 60, 50, 51]
    plans = [
        Plan(np.zeros((2, size)), size, 100.0, 10.0, None, value)
        for value, size in zip(stiffness, sizes, strict=True)
    ]
    points = [int(j) for j in rng.permutation(len(plans))]

    def cost(band):
        steps = batch._TRANSIENT_STEPS + max(stiffness[j] for j in band) / 3.3
        return steps * (batch._STEP_OVERHEAD_MEMBERS + sum(sizes[j] for j in band))

    bands = batch._bands(plans, points)
    assert sorted(j for band in bands for j in band) == sorted(points)
    order = sorted(points, key=lambda j: stiffness[j])
    cheapest = min(
        sum(cost(order[a:b]) for a, b in itertools.pairwise((0, *cuts, len(order))))
        for r in range(len(order))
        for cuts in itertools.combinations(range(1, len(order)), r)
    )
    assert sum(cost(band) for band in bands) == pytest.approx(cheapest, rel=1e-12)
    # the big block of the least stiffness keeps its own solver; the small point of 155
    # rides with the next block, the two small stiff points share one solver rather than
    # each paying a solver's overhead
    assert [sorted(band) for band in bands] == [[0, 1], [2, 3, 4], [5, 6]]
