"""Stability maps and sweeps: exact boundaries, executors, failures and plots."""

import math
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import matplotlib.pyplot as plt
import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose, assert_array_equal

import richardson as rd


def _product(k, l, offset=0.0):
    return k * l + offset


def _explode(k, l):
    if k > 1:
        raise ValueError("no")
    return {"sum": k + l, "label": "low" if k + l < 1 else "high"}


def test_map_reproduces_the_boundary_ab_equals_kl_to_grid_resolution():
    a, b = 1.0, 1.1
    ks, ls = np.linspace(0, 2, 301), np.linspace(0, 2, 257)
    result = rd.stability_map(rd.richardson2(a=a, b=b), {"k": ks, "l": ls})
    assert result.dims == ("k", "l")
    K, L = np.meshgrid(ks, ls, indexing="ij")
    runaway = result.values == "runaway"
    exact = K * L > a * b
    step = max(ks[1] - ks[0], ls[1] - ls[0])
    near_boundary = np.abs(K * L - a * b) <= 2 * step * (K + L)
    assert np.all(runaway[~near_boundary] == exact[~near_boundary])
    # the growth rate is the closed-form eigenvalue [-(a+b) + sqrt((a-b)^2 + 4kl)]/2
    assert_allclose(
        result["max_real_eig"].values,
        (-(a + b) + np.sqrt((a - b) ** 2 + 4 * K * L)) / 2,
        rtol=1e-12,
        atol=1e-14,
    )
    assert set(np.unique(result.values)) == {"stable_balance", "runaway"}


def test_map_of_grievances_shows_disarmament_where_all_are_negative():
    gs = np.linspace(-1, 1, 21)
    result = rd.stability_map(rd.richardson2(), {"g": gs, "h": gs})
    G, H = np.meshgrid(gs, gs, indexing="ij")
    assert_array_equal(result.values == "disarmament", (G <= 0) & (H <= 0))


def test_map_point_equals_classify():
    model = rd.richardson2()
    result = rd.stability_map(model, {"k": [0.5, 1.3], "l": [0.7, 1.2]}, fixed={"g": -0.1})
    for k in (0.5, 1.3):
        for l in (0.7, 1.2):
            regime = rd.classify(model, {"k": k, "l": l, "g": -0.1})
            point = result.sel(k=k, l=l)
            assert point.item() == regime.name
            assert_allclose(float(point["max_real_eig"]), regime.growth_rate, rtol=1e-12)


def test_n_actor_map_uses_batched_eigenvalues(rng):
    n = 4
    K = rng.uniform(0, 0.3, (n, n))
    np.fill_diagonal(K, 0)
    model = rd.richardson_n(K, np.ones(n), np.ones(n))
    grid = {"k_n0_n1": np.linspace(0, 3, 7), "k_n1_n0": np.linspace(0, 3, 5)}
    result = rd.stability_map(model, grid)
    for i, k01 in enumerate(grid["k_n0_n1"]):
        for j, k10 in enumerate(grid["k_n1_n0"]):
            J = K - np.eye(n)
            J[0, 1], J[1, 0] = k01, k10
            growth = np.max(np.linalg.eigvals(J).real)
            assert_allclose(result["max_real_eig"].values[i, j], growth, rtol=1e-10, atol=1e-12)
            assert (result.values[i, j] == "runaway") == (growth > 0)


def _two_bloc_model(rng, n=6):
    blocs = np.arange(n) < n // 2
    rivals = blocs[:, None] != blocs[None, :]
    K = np.where(rivals, rng.uniform(0.05, 0.3, (n, n)), rng.uniform(0.0, 0.05, (n, n)))
    np.fill_diagonal(K, 0.0)
    return rd.richardson_n(K, rng.uniform(0.8, 1.2, n), rng.uniform(0.1, 1.0, n)), K


FAST = "linear (characteristic polynomials of the grid)"


def test_few_entry_map_equals_per_point_jacobians(rng):
    """The path that never builds per-point Jacobians gives the same map as the one that does
    (chunk_size forces the latter), including disarmament from a grievance axis."""
    model, _ = _two_bloc_model(rng)
    fixed = {f"g_n{i}": -0.2 for i in range(1, 6)}
    grid = {"k_n0_n3": np.linspace(0.0, 30.0, 31), "g_n0": np.linspace(-1.0, 1.0, 9)}
    fast = rd.stability_map(model, grid, fixed=fixed)
    plain = rd.stability_map(model, grid, fixed=fixed, chunk_size=10**6)
    assert fast.attrs["method"] == FAST and plain.attrs["method"] != FAST
    # negative grievances with strong reaction: Richardson's threshold case
    expected = {"disarmament", "runaway", "stable_balance", "threshold"}
    assert set(np.unique(fast.values)) == expected
    assert_array_equal(fast.values, plain.values)
    assert_allclose(fast["max_real_eig"].values, plain["max_real_eig"].values, rtol=0, atol=1e-10)
    assert fast["k_n0_n3"].attrs == plain["k_n0_n3"].attrs
    # against LAPACK: the grievance axis leaves the Jacobian alone
    J = model.compile().jac(0.0, np.zeros(6), model.param_vector(fixed))
    for i, k in enumerate(grid["k_n0_n3"]):
        J[0, 3] = k
        growth = np.max(np.linalg.eigvals(J).real)
        assert_allclose(fast["max_real_eig"].values[i], growth, rtol=0, atol=1e-10 * max(k, 1))


def test_map_falls_back_when_grid_parameters_share_an_entry(rng):
    """An entry moved by two grid parameters (here k * s) is not separable: the per-point
    path answers, and agrees with eigvals."""
    x = sp.symbols("x0:3")
    k, s = sp.symbols("k s")
    model = rd.Model(
        list(map(str, x)),
        {"k": 0.5, "s": 1.0},
        [k * s * x[1] + 0.1 * x[2] - x[0] + 1, 0.4 * x[0] - x[1] + 1, 0.3 * x[1] - x[2] + 1],
    )
    grid = {"k": np.linspace(0, 3, 13), "s": np.linspace(0, 2, 7)}
    result = rd.stability_map(model, grid)
    assert result.attrs["method"] != FAST
    for i, kv in enumerate(grid["k"]):
        for j, sv in enumerate(grid["s"]):
            J = np.array([[-1, kv * sv, 0.1], [0.4, -1, 0], [0, 0.3, -1]])
            growth = np.max(np.linalg.eigvals(J).real)
            assert_allclose(result["max_real_eig"].values[i, j], growth, atol=1e-12)


def test_map_via_dask_equals_map_without():
    import distributed

    model = rd.richardson2()
    grid = {"k": np.linspace(0, 2, 23), "l": np.linspace(0, 2, 19)}
    plain = rd.stability_map(model, grid)
    x, y, s, theta = sp.symbols("x y s theta")
    trigger = rd.Model(
        ["x", "y"],
        {"s": 3.0, "theta": 1.5},
        [
            -x + 0.2 + s / (1 + sp.exp(-(y - theta) / 0.2)),
            -y + 0.2 + s / (1 + sp.exp(-(x - theta) / 0.2)),
        ],
    )
    small = {"s": [0.0, 3.0], "theta": [1.5]}
    local = rd.stability_map(trigger, small, n_samples=6)
    with (
        distributed.LocalCluster(
            processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = rd.stability_map(model, grid, executor=client, chunk_size=50)
        remote_nonlinear = rd.stability_map(
            trigger, small, executor=client, chunk_size=1, n_samples=6
        )
        swept = rd.sweep(
            partial(_product, offset=1.0), {"k": [1, 2, 3], "l": [0.5, 1.5]}, executor=client
        )
    assert_array_equal(remote.values, plain.values)
    assert_array_equal(remote["max_real_eig"].values, plain["max_real_eig"].values)
    assert_array_equal(remote_nonlinear.values, local.values)
    assert_array_equal(local.values[:, 0], ["stable_balance", "bistable"])
    assert_allclose(swept["value"].values, np.outer([1, 2, 3], [0.5, 1.5]) + 1.0)


def test_sweep_with_thread_pool_equals_serial_and_keeps_grid_order():
    grid = {"k": np.linspace(0, 1, 9), "l": np.linspace(0, 2, 5)}
    serial = rd.sweep(_product, grid, progress=False)
    with ThreadPoolExecutor(2) as pool:
        pooled = rd.sweep(_product, grid, executor=pool, chunk_size=3)
    assert_array_equal(serial["value"].values, pooled["value"].values)
    assert_allclose(serial["value"].values, np.outer(grid["k"], grid["l"]))
    assert serial.attrs["complete"] and not serial["failed"].any()


def test_sweep_records_failures_and_goes_on():
    result = rd.sweep(_explode, {"k": [0.25, 2.0], "l": [0.25, 1.0]})
    assert_array_equal(result["failed"].values, [[False, False], [True, True]])
    assert np.isnan(result["sum"].values[1]).all()
    assert_allclose(result["sum"].values[0], [0.5, 1.25])
    assert list(result["label"].values[0]) == ["low", "high"]
    assert result.attrs["n_failed"] == 2 and "ValueError: no" in result.attrs["errors"][0]


def test_sweep_over_a_table_of_points():
    import pandas as pd

    table = pd.DataFrame({"k": [0.1, 0.2, 0.3], "l": [1.0, 2.0, 3.0]})
    result = rd.sweep(_product, table)
    assert result["value"].dims == ("point",)
    assert_allclose(result["value"].values, [0.1, 0.4, 0.9])


def test_interrupted_map_returns_the_finished_part(monkeypatch):
    import importlib

    sweep_module = importlib.import_module("richardson.analysis.sweeps")

    calls = {"n": 0}
    original = sweep_module._linear_chunk

    def interrupt_second(*args):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original(*args)

    monkeypatch.setattr(sweep_module, "_linear_chunk", interrupt_second)
    grid = {"k": np.linspace(0, 2, 10), "l": np.linspace(0, 2, 10)}
    with pytest.warns(sweep_module.SweepInterrupted):
        result = rd.stability_map(rd.richardson2(), grid, chunk_size=30, progress=False)
    assert result.attrs["complete"] is False
    flat = result.values.ravel()
    assert np.all(flat[:30] != "failed") and np.all(flat[30:] == "failed")
    assert np.isnan(result["max_real_eig"].values.ravel()[30:]).all()


def test_bad_grids_and_names_raise():
    with pytest.raises(rd.UnknownSymbolError, match="Did you mean 'k'"):
        rd.stability_map(rd.richardson2(), {"kk": [1.0]})
    with pytest.raises(rd.ModelError, match="both in the grid"):
        rd.stability_map(rd.richardson2(), {"k": [1.0]}, fixed={"k": 2.0})
    with pytest.raises(rd.ModelError, match="executor"):
        rd.sweep(_product, {"k": [1.0], "l": [1.0]}, executor=object())
    with pytest.raises(rd.ModelError, match="1-D"):
        rd.sweep(_product, {"k": np.ones((2, 2)), "l": [1.0]})


def test_plot_draws_regimes_legend_and_boundary():
    ks = np.linspace(0.01, 2, 41)
    result = rd.stability_map(rd.richardson2(a=1.0, b=1.1), {"k": ks, "l": ks})
    ax = rd.plot.stability_map(result, curves=[(lambda k: 1.1 / k, "a*b = k*l")])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["stable balance", "runaway", "boundary (max Re eig = 0)", "a*b = k*l"]
    # the zero contour lies on the analytic boundary l = a b / k (to grid resolution)
    vertices = np.concatenate([p.vertices for c in ax.collections[1:] for p in c.get_paths()])
    assert_allclose(vertices[:, 0] * vertices[:, 1], 1.1, atol=0.05)
    assert ax.get_xlabel() == "k (1/year)"
    plt.close(ax.figure)
    assert math.isfinite(float(result["max_real_eig"].max()))
