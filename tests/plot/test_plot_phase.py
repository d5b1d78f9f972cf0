"""Phase portraits: the artists are where the mathematics puts them."""

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

import richardson as rd


def _by_gid(ax, prefix):
    artists = [*ax.get_lines(), *ax.collections, *ax.patches]
    return [a for a in artists if (a.get_gid() or "").startswith(prefix)]


def _xy(line):
    """The finite points of a line (pieces are separated by NaN)."""
    points = np.column_stack([line.get_xdata(), line.get_ydata()])
    return points[np.all(np.isfinite(points), axis=1)]


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
    xs, ys = _xy(x_null), _xy(y_null)
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
    vertices = _xy(x_null)
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


def _trigger_scenario():
    from pathlib import Path

    return rd.load_model(
        Path(__file__).resolve().parents[2] / "models" / "mutual_defence_trigger.toml"
    )


def test_slice_of_the_trigger_scenario_draws_no_threshold_its_streamlines_deny():
    # With the Rival held at its low balance, the allies' field has one balance only: every
    # streamline of this slice leads to it, so no threshold may be drawn across it (the old
    # figure drew the full model's basin boundary here, which the streamlines contradicted).
    model = _trigger_scenario()
    low = min((eq for eq in rd.equilibria(model) if eq.stable), key=lambda eq: eq.state.sum())
    ax = rd.plot.phase_portrait(model, trajectories=0, shade_runaway=False)
    assert not _by_gid(ax, "separatrix")
    (on_slice,) = [a for a in _by_gid(ax, "equilibrium:stable") if a.get_alpha() == 1.0]
    assert len(on_slice.get_xdata()) == 1
    np.testing.assert_allclose(
        [on_slice.get_xdata()[0], on_slice.get_ydata()[0]], low.state[:2], rtol=1e-6
    )
    (note,) = [t for t in ax.texts if t.get_gid() == "slice"]
    assert note.get_text() == f"slice: Rival = {low.state[2]:.3g} held fixed"
    # the full model's saddle and high balance are drawn pale, as projections
    assert _by_gid(ax, "equilibrium:saddle:projected")
    assert _by_gid(ax, "equilibrium:stable:projected")


def test_threshold_of_a_slice_separates_the_slice_streamlines():
    # Ally 2 held at the full model's saddle value: in the (Ally 1, Rival) plane the slice is
    # bistable, and the drawn threshold must split starts that the slice's own field (the
    # one the streamlines show) sends to different balances.
    model = _trigger_scenario()
    held = 1.3718
    ax = rd.plot.phase_portrait(
        model, x="Ally 1", y="Rival", fixed={"Ally_2": held}, trajectories=0, shade_runaway=False
    )
    separatrices = _by_gid(ax, "separatrix")
    assert len(separatrices) == 2
    compiled, p = model.compile(), model.param_vector()

    def settle(start):
        def plane(t, s):
            rate = compiled.rhs(t, np.array([s[0], held, s[1]]), p)
            return [rate[0], rate[2]]

        return solve_ivp(plane, (0, 200), start, rtol=1e-9, atol=1e-12).y[:, -1]

    for line in separatrices:
        path = _xy(line)
        middle = len(path) // 2
        tangent = path[middle + 1] - path[middle - 1]
        normal = np.array([-tangent[1], tangent[0]]) / np.linalg.norm(tangent)
        one, other = settle(path[middle] - 0.05 * normal), settle(path[middle] + 0.05 * normal)
        assert abs(one[0] - other[0]) > 1.0  # low (0.53) against high (2.77) Ally 1


def test_swapped_axes_put_each_balance_coordinate_on_its_axis(classic):
    ax = rd.plot.phase_portrait(classic, x="y", y="x", trajectories=0, shade_runaway=False)
    (marker,) = _by_gid(ax, "equilibrium:stable")
    # the balance is x = 0.82 / 0.38, y = 0.70 / 0.38; y now runs along the horizontal axis
    np.testing.assert_allclose(
        [marker.get_xdata()[0], marker.get_ydata()[0]], [0.70 / 0.38, 0.82 / 0.38], rtol=1e-10
    )
    (x_null,) = _by_gid(ax, "nullcline:x")
    points = _xy(x_null)  # dx/dt = 0: x = (k y + g) / a, with y horizontal
    np.testing.assert_allclose(points[:, 1], (0.9 * points[:, 0] + 0.5) / 1.0, atol=1e-9)
    assert ax.get_xlabel() == "y" and ax.get_ylabel() == "x"
