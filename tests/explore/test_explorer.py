"""The explorer driven from Python: sliders, verdict, markers and artists change as they must."""

import ipywidgets  # noqa: E402, F401  (the [explore] extra, installed by make test)
import numpy as np
import pytest
from numpy.testing import assert_allclose

import richardson as rd
from richardson.explore.explorer import slider_range


def two_nations() -> rd.Explorer:
    return rd.explore(rd.richardson2(k=0.9, l=0.8, a=1.0, b=1.1, g=0.5, h=0.5), y0=[1.0, 2.0])


def marker_points(explorer: rd.Explorer, kind: str) -> np.ndarray:
    line = explorer._figure.markers[kind]
    return np.column_stack([line.get_xdata(), line.get_ydata()])


def test_crossing_ab_equals_kl_turns_the_verdict_to_runaway_and_removes_the_balance():
    explorer = two_nations()
    assert explorer.verdict.name == "stable_balance"
    # Richardson's balance x* = (b g + k h)/(ab - kl), y* = (a h + l g)/(ab - kl)
    det = 1.0 * 1.1 - 0.9 * 0.8
    expected = [(1.1 * 0.5 + 0.9 * 0.5) / det, (1.0 * 0.5 + 0.8 * 0.5) / det]
    assert_allclose(marker_points(explorer, "stable"), [expected], rtol=1e-10)
    assert "Restraint outweighs mutual reaction" in explorer.verdict_html.value
    png_before = explorer.image.value
    explorer.set(k=1.5)  # k l = 1.2 > a b = 1.1
    assert explorer.verdict.name == "runaway" and explorer.params["k"] == 1.5
    assert marker_points(explorer, "stable").size == 0  # the stable balance is gone
    assert "Mutual reaction outweighs restraint" in explorer.verdict_html.value
    assert explorer.image.value != png_before  # the figure was redrawn
    assert explorer.sliders["k"].value == 1.5
    # the margin follows: from runaway, the distance back to k l = a b
    assert explorer.frame.margin is not None and explorer.frame.margin.from_runaway


def test_the_slider_callback_redraws_like_set():
    explorer = two_nations()
    explorer.sliders["l"].value = 1.5  # what a user's drag does (on release)
    assert explorer.verdict.name == "runaway" and explorer.params["l"] == 1.5
    title = explorer._figure.phase.get_title()
    assert title == "runaway"


def test_goodwill_shows_the_threshold_and_the_start_decides_the_fate():
    explorer = rd.explore(rd.richardson2(k=1.2, l=1.1, a=1.0, b=1.0, g=-1.0, h=-1.0), y0=[1, 1])
    assert explorer.verdict.name == "threshold"
    saddle = marker_points(explorer, "saddle")[0]
    # the threshold line passes through the saddle along the stable eigenvector
    line = explorer._figure.separatrix
    points = np.column_stack([line.get_xdata(), line.get_ydata()])
    points = points[np.all(np.isfinite(points), axis=1)]
    assert len(points) > 10
    assert np.min(np.linalg.norm(points - saddle, axis=1)) < 1e-3 * np.linalg.norm(saddle)
    assert explorer.verdict.fate == "disarmament"  # (1, 1) lies below the threshold
    explorer.set(y0=[2 * saddle[0], 2 * saddle[1]])
    assert explorer.verdict.fate == "runaway"
    assert explorer._figure.series.get_title() == "from the start: runaway"


def test_the_trajectory_panel_is_the_simulation_from_the_start():
    explorer = two_nations()
    run = rd.simulate(
        explorer.snapshot(None).model,
        (0, 30),
        y0=[1.0, 2.0],
        method="exact",
        t_eval=explorer.frame.times,
    )
    line = explorer._figure.lines[0]
    assert_allclose(line.get_ydata(), run.values[:, 0], rtol=1e-9)


def test_snapshot_returns_the_parameters_a_model_and_the_figure(tmp_path):
    explorer = two_nations().set(k=1.0)
    snap = explorer.snapshot(tmp_path / "state.png")
    assert snap.params["k"] == 1.0 and snap.model.params["k"].value == 1.0
    assert snap.figure.read_bytes()[:4] == b"\x89PNG"
    assert rd.classify(snap.model).name == explorer.verdict.name


def test_an_alliance_model_draws_two_chosen_actors_with_the_rest_at_their_balance():
    model = rd.load_model("models/greece_turkey_nato.toml")
    explorer = rd.explore(model, x="Greece", y="Turkey")
    assert explorer.spec.plane == (0, 1)
    stable = [eq for eq in explorer.verdict.equilibria if eq.stable][0]
    assert_allclose(explorer.frame.slice_, stable.state)
    assert_allclose(marker_points(explorer, "stable"), [stable.state[:2]], rtol=1e-10)
    explorer.set(c_Greece_Turkey=0.6, c_Turkey_Greece=0.6)  # eigenvalue -a + c = +0.1
    assert explorer.verdict.name == "runaway"


def test_maps_get_a_cobweb():
    import sympy as sp

    x, r = sp.symbols("x r")
    model = rd.Model(["x"], {"r": 2.5}, [r * x * (1 - x)], kind="map", initial={"x": 0.1})
    explorer = rd.explore(model)
    assert explorer._figure.cobweb
    web = explorer._figure.web
    assert len(web.get_xdata()) > 10
    explorer.set(r=4.0)
    assert explorer.verdict.name == "chaotic"


def test_bad_names_and_values_are_clear_errors():
    with pytest.raises(rd.UnknownSymbolError, match=r"'kk' \(in over=\).*Did you mean"):
        rd.explore(rd.richardson2(), over=["kk"])
    with pytest.raises(rd.UnknownSymbolError, match=r"'kk' \(in params=\)"):
        rd.explore(rd.richardson2(), params={"kk": 1.0})
    explorer = two_nations()
    with pytest.raises(rd.UnknownSymbolError, match="'kk' is not a parameter"):
        explorer.set(kk=1.0)
    with pytest.raises(rd.ModelError, match="finite"):
        explorer.set(k=float("nan"))


def test_slider_ranges():
    assert slider_range(0.5, (0.0, 1.0), 3.0, False) == (0.0, 1.0, False)
    low, high, log = slider_range(0.9, (0.0, float("inf")), 3.0, False)
    assert (low, high, log) == (0.0, 0.9 + 2.7, False)
    low, high, log = slider_range(100.0, (1e-12, float("inf")), 3.0, True)
    assert log and low == pytest.approx(100 / 10**1.5) and high == pytest.approx(100 * 10**1.5)
    assert slider_range(0.0, (-float("inf"), float("inf")), 3.0, False)[:2] == (-3.0, 3.0)


def test_show_is_a_png_picture_of_the_current_figure():
    picture = two_nations().show()
    assert picture.data[:4] == b"\x89PNG"
