"""Portraits of maps and the regime boundaries of sampled stability maps: the artists are
where the mathematics puts them."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import sympy as sp
import xarray as xr
from numpy.testing import assert_allclose

import richardson as rd

x, y, r, a, b = sp.symbols("x y r a b")


def _gid(ax, name):
    return [line for line in ax.lines if line.get_gid() == name]


def test_cobweb_follows_the_logistic_map_to_its_fixed_point():
    model = rd.Model(["x"], {"r": 2.8}, [r * x * (1 - x)], kind="map", initial={"x": 0.1})
    ax = rd.plot.phase_portrait(model, trajectories=1, horizon=40)
    (web,) = _gid(ax, "cobweb")
    wx, wy = web.get_xdata(), web.get_ydata()
    orbit = [0.1]
    for _ in range(40):
        orbit.append(2.8 * orbit[-1] * (1 - orbit[-1]))
    # (x0, x0) -> (x0, x1) -> (x1, x1) -> (x1, x2) -> ...
    assert_allclose(wx[1::2], orbit[:-1], rtol=1e-12)
    assert_allclose(wy[1::2], orbit[1:], rtol=1e-12)
    assert_allclose(wx[2::2], wy[2::2], rtol=1e-12)  # the corners on the diagonal
    (stable,) = _gid(ax, "fixed:stable")  # x* = 1 - 1/r, |f'(x*)| = |2 - r| < 1
    assert_allclose(stable.get_xdata(), [1 - 1 / 2.8], rtol=1e-8)
    (unstable,) = _gid(ax, "fixed:unstable")  # x* = 0, f'(0) = r > 1
    assert_allclose(unstable.get_xdata(), [0.0], atol=1e-10)
    (curve,) = _gid(ax, "map")
    assert_allclose(curve.get_ydata(), 2.8 * curve.get_xdata() * (1 - curve.get_xdata()))
    assert ax.get_xlabel() == "x[n]" and ax.get_ylabel() == "x[n+1]"
    plt.close(ax.figure)


def test_orbit_plot_of_saperstein_map_joins_the_iterates():
    # Saperstein (1984): x[n+1] = 4 a y[n] (1 - y[n]), y[n+1] = 4 b x[n] (1 - x[n])
    model = rd.Model(
        ["x", "y"], {"a": 0.7, "b": 0.7}, [4 * a * y * (1 - y), 4 * b * x * (1 - x)], kind="map"
    )
    ax = rd.plot.phase_portrait(model, trajectories=[(0.2, 0.3)], horizon=25)
    (orbit,) = _gid(ax, "orbit")
    state = np.array([0.2, 0.3])
    expected = [state]
    for _ in range(25):
        state = np.array([2.8 * state[1] * (1 - state[1]), 2.8 * state[0] * (1 - state[0])])
        expected.append(state)
    assert_allclose(np.column_stack([orbit.get_xdata(), orbit.get_ydata()]), expected, rtol=1e-12)
    assert orbit.get_alpha() < 1  # joined lightly
    # the symmetric fixed point x = y = 1 - 1/2.8 is stable (multipliers +-(2 - 2.8))
    (stable,) = _gid(ax, "fixed:stable")
    assert_allclose([stable.get_xdata()[0], stable.get_ydata()[0]], [1 - 1 / 2.8] * 2, rtol=1e-8)
    plt.close(ax.figure)


def test_map_portrait_rejects_the_same_state_twice():
    model = rd.Model(["x", "y"], {"r": 1.5}, [y, r * y * (1 - x)], kind="map")
    with pytest.raises(rd.ModelError, match="two different states"):
        rd.plot.phase_portrait(model, x="x", y="x")
    with pytest.raises(rd.UnknownSymbolError, match="'z' is not a state or actor"):
        rd.plot.phase_portrait(model, x="z")


def _sampled_map(names, method):
    grid = np.array(names, dtype=object)  # [x, y]
    return xr.DataArray(
        grid,
        dims=("k", "l"),
        coords={
            "k": [0.0, 1.0, 2.0],
            "l": [0.0, 1.0],
            "max_real_eig": (("k", "l"), np.where(grid == "runaway", 0.5, -0.5)),
        },
        attrs={"method": method, "model": "toy"},
    )


def test_sampled_map_draws_the_cell_edges_between_regimes_not_max_re():
    names = [["stable_balance", "stable_balance"], ["stable_balance", "bistable"]]
    names.append(["bistable", "bistable"])
    ax = rd.plot.stability_map(_sampled_map(names, "sampled (classify at each point)"))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["stable balance", "bistable", "regime boundary"]
    (edges,) = [line for line in ax.lines if line.get_gid() == "regime-boundary"]
    segments = np.column_stack([edges.get_xdata(), edges.get_ydata()]).reshape(-1, 3, 2)[:, :2]
    # cells are centred on k = 0, 1, 2 and l = 0, 1 with edges at k = 0.5, 1.5 and l = 0.5:
    # (k=1, l=1) | (k=0, l=1) and (k=1, l=0) | (k=2, l=0) differ, and (k=1, l=0) / (k=1, l=1)
    expected = {((0.5, 0.5), (0.5, 1.5)), ((1.5, -0.5), (1.5, 0.5)), ((0.5, 0.5), (1.5, 0.5))}
    got = {tuple(map(tuple, np.round(s, 9))) for s in segments}
    assert got == expected
    plt.close(ax.figure)


def test_linear_map_keeps_the_max_re_boundary():
    names = [["stable_balance", "stable_balance"], ["stable_balance", "runaway"]]
    names.append(["runaway", "runaway"])
    ax = rd.plot.stability_map(_sampled_map(names, "linear (closed form)"))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["stable balance", "runaway", "boundary (max Re eig = 0)"]
    assert not [line for line in ax.lines if line.get_gid() == "regime-boundary"]
    plt.close(ax.figure)


def test_no_regime_boundary_is_drawn_around_failed_points():
    names = [["stable_balance", "failed"], ["stable_balance", "stable_balance"]]
    names.append(["failed", "stable_balance"])
    ax = rd.plot.stability_map(_sampled_map(names, "sampled (classify at each point)"))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["stable balance", "failed"]
    assert not [line for line in ax.lines if line.get_gid() == "regime-boundary"]
    plt.close(ax.figure)


def test_fixed_points_of_one_kind_share_one_legend_entry():
    r, z = sp.symbols("r z")
    logistic = rd.Model(["z"], {"r": 3.2}, [r * z * (1 - z)], kind="map", initial={"z": 0.1})
    ax = rd.plot.phase_portrait(logistic)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels.count("unstable fixed point") == 1  # 0 and 1 - 1/r are both unstable
    plt.close(ax.figure)
