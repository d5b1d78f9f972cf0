"""Phase portraits: the artists are where the mathematics puts them."""

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

import richardson as rd


def _by_gid(ax, prefix):
    artists = [*ax.get_lines(), *ax.collections]
    return [a for a in artists if (a.get_gid() or "").startswith(prefix)]


def _mutual_trigger():
    """Two states that each commit to defence once the other's spending passes theta."""
    x, y = sp.symbols("x y")
    a, g, s, theta, w = sp.symbols("a g s theta w")
    return rd.Model(
        ["x", "y"],
        {"a": 1.0, "g": 0.2, "s": 3.0, "theta": 1.5, "w": 0.2},
        [
            -a * x + g + s / (1 + sp.exp(-(y - theta) / w)),
            -a * y + g + s / (1 + sp.exp(-(x - theta) / w)),
        ],
        actors=["Ally A", "Ally B"],
        state_unit="bn USD",
    )


def test_nullclines_are_the_analytic_lines_and_balance_is_marked(classic):
    ax = rd.plot.phase_portrait(classic, trajectories=0, shade_runaway=False)
    (x_null,) = _by_gid(ax, "nullcline:x")
    (y_null,) = _by_gid(ax, "nullcline:y")
    xs = np.concatenate([p.vertices for p in x_null.get_paths()])
    ys = np.concatenate([p.vertices for p in y_null.get_paths()])
    assert len(xs) > 10 and len(ys) > 10
    # dx/dt = 0:  y = (a x - g) / k ;  dy/dt = 0:  y = (l x + h) / b
    np.testing.assert_allclose(xs[:, 1], (1.0 * xs[:, 0] - 0.5) / 0.9, atol=1e-9)
    np.testing.assert_allclose(ys[:, 1], (0.8 * ys[:, 0] + 0.3) / 1.1, atol=1e-9)
    (marker,) = _by_gid(ax, "equilibrium:stable")
    np.testing.assert_allclose(
        [marker.get_xdata()[0], marker.get_ydata()[0]], [0.82 / 0.38, 0.70 / 0.38], rtol=1e-10
    )
    assert not _by_gid(ax, "runaway")
    assert ax.get_xlabel() == "x" and ax.get_ylabel() == "y"


def test_bistable_portrait_has_saddle_and_separatrix_between_basins():
    model = _mutual_trigger()
    ax = rd.plot.phase_portrait(model, xlim=(0, 4), ylim=(0, 4), trajectories=4)
    assert len(_by_gid(ax, "equilibrium:stable")) == 2
    (saddle,) = _by_gid(ax, "equilibrium:saddle")
    separatrices = _by_gid(ax, "separatrix")
    assert len(separatrices) == 2
    assert ax.get_xlabel() == "Ally A (bn USD)"
    compiled, p = model.compile(), model.param_vector()

    def settle(start):
        return solve_ivp(
            lambda t, s: compiled.rhs(t, s, p), (0, 60), start, rtol=1e-9, atol=1e-12
        ).y[:, -1]

    # points just off the separatrix, on either side, settle at different balances
    path = np.column_stack([separatrices[0].get_xdata(), separatrices[0].get_ydata()])
    point = path[len(path) // 2]
    tangent = path[len(path) // 2 + 1] - path[len(path) // 2 - 1]
    normal = np.array([-tangent[1], tangent[0]]) / np.linalg.norm(tangent)
    low, high = settle(point - 0.05 * normal), settle(point + 0.05 * normal)
    assert abs(low[0] - high[0]) > 2.0
    # the saddle sits on the symmetry line x = y
    assert saddle.get_xdata()[0] == pytest.approx(saddle.get_ydata()[0], rel=1e-8)


def test_runaway_region_is_shaded_for_an_unstable_race():
    hot = rd.richardson2(k=1.3, l=1.2)
    ax = rd.plot.phase_portrait(hot, xlim=(0, 5), ylim=(0, 5), trajectories=2, horizon=30)
    assert _by_gid(ax, "runaway")
    assert len(_by_gid(ax, "trajectory")) == 2


def test_slice_of_a_three_actor_model_and_png(tmp_path, rng):
    K = np.array([[0, 0.3, 0.2], [0.3, 0, 0.2], [0.1, 0.1, 0]])
    model = rd.richardson_n(K, [1.0, 1.0, 1.0], [0.5, 0.4, 0.3], actors=["A", "B", "C"])
    ax = rd.plot.phase_portrait(
        model, x="A", y="C", fixed={"B": 1.0}, trajectories=0, shade_runaway=False
    )
    (x_null,) = _by_gid(ax, "nullcline:A")
    vertices = np.concatenate([p.vertices for p in x_null.get_paths()])
    # dA/dt = 0.3 B + 0.2 C - A + 0.5 = 0 with B = 1  =>  C = (A - 0.8) / 0.2
    np.testing.assert_allclose(vertices[:, 1], (vertices[:, 0] - 0.8) / 0.2, atol=1e-8)
    path = tmp_path / "portrait.png"
    ax.figure.savefig(path)
    assert path.stat().st_size > 10_000


def test_bad_axes_are_reported(classic):
    with pytest.raises(rd.UnknownSymbolError, match="'z' is not a state or actor"):
        rd.plot.phase_portrait(classic, x="z")
    with pytest.raises(rd.ModelError, match="two different states"):
        rd.plot.phase_portrait(classic, x="x", y="x")


def test_slice_of_the_trigger_scenario_shows_the_threshold_between_basins():
    from pathlib import Path

    model = rd.load_model(
        Path(__file__).resolve().parents[2] / "models" / "mutual_defence_trigger.toml"
    )
    stable = [eq for eq in rd.equilibria(model) if eq.stable]
    assert len(stable) == 2
    low = min(stable, key=lambda eq: eq.state.sum())
    ax = rd.plot.phase_portrait(
        model, trajectories=0, shade_runaway=False, fixed={model.states[2]: float(low.state[2])}
    )
    (boundary,) = _by_gid(ax, "separatrix")
    compiled, p = model.compile(), model.param_vector()
    # starts on either side of the drawn threshold settle at different balances
    vertices = np.concatenate([path.vertices for path in boundary.get_paths()])
    point = vertices[len(vertices) // 2]
    ends = []
    for shift in (-0.15, 0.15):
        start = low.state.copy()
        start[0], start[1] = point[0] + shift, point[1] + shift
        run = solve_ivp(lambda t, s: compiled.rhs(t, s, p), (0, 200), start, rtol=1e-8, atol=1e-10)
        ends.append(run.y[:, -1])
    assert np.linalg.norm(ends[0] - ends[1]) > 1.0
