"""Every public figure on every bundled scenario, read as a reader would: labels that do not
collide and legend entries that stand for something visible inside the axes.

The checks work on the drawn figure (after ``fig.canvas.draw()``): the window extents of the
titles, axis labels, offset texts, annotations, legends and tick labels, and the artists that
each legend entry names. Set ``RICHARDSON_FIGURE_DIR`` to a folder to keep a PNG of every
figure checked (for looking at them).
"""

import itertools
import os
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import sympy as sp
from matplotlib.collections import Collection
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from scipy.integrate import solve_ivp

import richardson as rd
from richardson.app.demo import _map_axes, _spread, scenario_files

SCENARIOS = {scenario.key: scenario for scenario in scenario_files()}
LINEAR = sorted(key for key, s in SCENARIOS.items() if s.model.compile().is_linear)
NONLINEAR = sorted(set(SCENARIOS) - set(LINEAR))


# ---------------------------------------------------------------------- the checks
def _texts(ax):
    """(name, Text) of every visible, non-empty label of an axes."""
    items = [("title", t) for t in (ax.title, ax._left_title, ax._right_title)]
    items += [("xlabel", ax.xaxis.label), ("ylabel", ax.yaxis.label)]
    items += [("x offset", ax.xaxis.offsetText), ("y offset", ax.yaxis.offsetText)]
    items += [("annotation", t) for t in ax.texts]
    return [(n, t) for n, t in items if t.get_visible() and t.get_text().strip()]


def _ticks(axis, ax):
    """Visible tick labels of one axis that the renderer draws (inside the view limits)."""
    low, high = sorted(axis.get_view_interval())
    span = high - low
    labels = []
    for tick in axis.get_major_ticks():
        label = tick.label1
        if not (label.get_visible() and label.get_text().strip()):
            continue
        if not low - 1e-9 * span <= tick.get_loc() <= high + 1e-9 * span:
            continue
        labels.append(label)
    return labels


def _overlap(a, b, slack=1.0):
    return min(a.x1, b.x1) - max(a.x0, b.x0) > slack and min(a.y1, b.y1) - max(a.y0, b.y0) > slack


def _collisions(fig):
    """Pairs of labels whose drawn boxes overlap, as readable strings."""
    renderer = fig.canvas.get_renderer()
    found = []
    for ax in fig.axes:
        boxes = [(name, t.get_text(), t.get_window_extent(renderer)) for name, t in _texts(ax)]
        legend = ax.get_legend()
        if legend is not None:
            boxes.append(("legend", "", legend.get_window_extent(renderer)))
        ticks = {
            axis: [(f"{axis} tick", t.get_text(), t.get_window_extent(renderer)) for t in labels]
            for axis, labels in (("x", _ticks(ax.xaxis, ax)), ("y", _ticks(ax.yaxis, ax)))
        }
        for (n1, t1, b1), (n2, t2, b2) in itertools.combinations(boxes, 2):
            if _overlap(b1, b2):
                found.append(f"{n1} {t1!r} overlaps {n2} {t2!r}")
        for items in ticks.values():
            for (n1, t1, b1), (n2, t2, b2) in itertools.combinations(items, 2):
                if _overlap(b1, b2):
                    found.append(f"{n1} {t1!r} overlaps {n2} {t2!r}")
            for (n1, t1, b1), (n2, t2, b2) in itertools.product(items, boxes):
                if n2 != "legend" and _overlap(b1, b2):
                    found.append(f"{n1} {t1!r} overlaps {n2} {t2!r}")
    return found


def _artists(ax):
    return [*ax.lines, *ax.collections, *ax.patches, *ax.images]


def _points(artist):
    """Data coordinates (n x 2) an artist draws."""
    if isinstance(artist, Line2D):
        return np.column_stack(
            [np.asarray(artist.get_xdata(), float), np.asarray(artist.get_ydata(), float)]
        )
    if isinstance(artist, Collection):
        parts = []
        offsets = np.asarray(artist.get_offsets(), float)
        if len(artist.get_paths()) and artist.get_offset_transform() is not artist.axes.transData:
            offsets = np.zeros((0, 2))
        parts.append(offsets.reshape(-1, 2))
        if hasattr(artist, "get_coordinates"):  # a QuadMesh: the centres of unmasked cells
            corners = artist.get_coordinates()
            centres = corners[:-1, :-1].reshape(-1, 2) if corners.ndim == 3 else corners
            mask = np.ma.getmaskarray(artist.get_array()).reshape(-1)
            parts.append(centres[~mask] if mask.size == len(centres) else centres)
        else:
            parts += [p.vertices for p in artist.get_paths()]
        return np.concatenate(parts) if parts else np.zeros((0, 2))
    if isinstance(artist, Patch):
        path = artist.get_path().transformed(artist.get_patch_transform())
        return path.vertices
    return np.zeros((0, 2))


def _inside(ax, points):
    (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
    if not len(points):
        return False
    x, y = points[:, 0], points[:, 1]
    return bool(np.any((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)))


def _shown(artist):
    if not artist.get_visible() or (artist.get_alpha() is not None and artist.get_alpha() == 0):
        return False
    if isinstance(artist, Line2D):
        return artist.get_linestyle() not in ("None", "none", "") or artist.get_marker() not in (
            None,
            "None",
            "none",
            "",
        )
    return True


def _colours(artist):
    found = []
    for getter in ("get_color", "get_facecolor", "get_edgecolor", "get_markerfacecolor"):
        if hasattr(artist, getter):
            value = getattr(artist, getter)()
            array = np.atleast_2d(np.asarray(to_rgba_array_safe(value)))
            found += [tuple(np.round(row[:3], 3)) for row in array]
    return set(found)


def to_rgba_array_safe(value):
    from matplotlib.colors import to_rgba_array

    try:
        return to_rgba_array(value)
    except (ValueError, TypeError):
        return np.zeros((0, 4))


def _mesh_colours(ax):
    """Colours a colour-mapped QuadMesh paints inside the axes."""
    found = set()
    for artist in ax.collections:
        if hasattr(artist, "get_coordinates") and artist.get_array() is not None:
            values = np.ma.masked_invalid(artist.get_array()).compressed()
            found |= {tuple(np.round(c[:3], 3)) for c in artist.cmap(artist.norm(values))}
    return found


def _legend_problems(fig):
    """Legend entries with no visible artist that draws data inside the axes limits: the
    axes' artists of the entry's label, or for a proxy handle drawn nowhere else (a regime
    patch), an artist or colour-mapped cell of its colour."""
    problems = []
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=True):
            label = text.get_text()
            same = [a for a in _artists(ax) if a.get_label() == label]
            if same:  # the entry's own artists: one of them must draw something
                if not any(_shown(a) and _inside(ax, _points(a)) for a in same):
                    problems.append(f"legend entry {label!r} has no visible artist inside the axes")
                continue
            # a proxy handle (not in the axes): an artist of its colour must be drawn
            colour = {tuple(np.round(to_rgba(c)[:3], 3)) for c in _handle_colours(handle)}
            twins = [
                a
                for a in _artists(ax)
                if _colours(a) & colour and _shown(a) and _inside(ax, _points(a))
            ]
            if twins or colour & _mesh_colours(ax):
                continue
            problems.append(f"legend entry {label!r} has no visible artist inside the axes")
    return problems


def _handle_colours(handle):
    colours = []
    for getter in ("get_color", "get_facecolor", "get_markerfacecolor"):
        if hasattr(handle, getter):
            value = getattr(handle, getter)()
            colours += [tuple(c) for c in np.atleast_2d(to_rgba_array_safe(value))]
    return colours


FIGURE_DIR = os.environ.get("RICHARDSON_FIGURE_DIR")


def check(ax_or_fig, name):
    """Draw, save when asked, and assert no collisions and no empty legend entries."""
    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    fig.canvas.draw()
    if FIGURE_DIR:
        Path(FIGURE_DIR).mkdir(parents=True, exist_ok=True)
        fig.savefig(Path(FIGURE_DIR) / f"{name}.png")
    problems = _collisions(fig) + _legend_problems(fig)
    plt.close(fig)
    assert not problems, f"{name}: " + "; ".join(problems)


# ---------------------------------------------------------------------- the checker itself
def test_the_checker_sees_a_collision_and_an_empty_legend_entry():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label="drawn")
    ax.plot([5, 6], [5, 6], color="C7", label="outside")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend()
    ax.annotate("first label", (0.5, 0.5))
    ax.annotate("second label", (0.5, 0.5))
    fig.canvas.draw()
    assert any("'first label' overlaps annotation 'second label'" in p for p in _collisions(fig))
    assert _legend_problems(fig) == ["legend entry 'outside' has no visible artist inside the axes"]
    plt.close(fig)


# ---------------------------------------------------------------------- every scenario
def _labels_on_series(ax):
    """Intervention labels that a plotted series runs through (its segments sampled every
    pixel, so a steep stretch between two vertices counts)."""
    renderer = ax.figure.canvas.get_renderer()
    found = []
    for label in ax.texts:
        box = label.get_window_extent(renderer)
        for line in ax.get_lines():
            xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
            xy = xy[np.all(np.isfinite(xy), axis=1)]
            if len(xy) < 2 or np.ptp(xy[:, 0]) == 0:
                continue  # an intervention's own vertical line
            steps = np.ceil(np.hypot(*np.diff(xy, axis=0).T)).astype(int).clip(1)
            t = np.concatenate([np.arange(n) / n for n in steps])[:, None]
            dense = np.repeat(xy[:-1], steps, axis=0) + t * np.repeat(np.diff(xy, axis=0), steps, 0)
            inside = (dense[:, 0] >= box.x0) & (dense[:, 0] <= box.x1)
            inside &= (dense[:, 1] >= box.y0) & (dense[:, 1] <= box.y1)
            if np.any(inside):
                found.append(f"label {label.get_text()!r} sits on {line.get_label()!r}")
    return found


def _hidden_series(ax):
    """Series drawn solid on top of an earlier one all along (within a pixel as drawn): the
    legend entry of the one beneath stands for nothing visible."""
    lines = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
    drawn = [line.get_transform().transform(np.asarray(line.get_xydata(), float)) for line in lines]
    found = []
    for i, j in itertools.combinations(range(len(lines)), 2):
        if lines[i].get_linestyle() != lines[j].get_linestyle() or drawn[i].shape != drawn[j].shape:
            continue
        if np.nanmax(np.abs(drawn[i] - drawn[j])) <= 1.0:
            found.append(f"{lines[j].get_label()!r} hides {lines[i].get_label()!r}")
    return found


@pytest.mark.parametrize("key", sorted(SCENARIOS))
def test_time_series_of_every_scenario(key):
    scenario = SCENARIOS[key]
    trajectory = rd.simulate(scenario.model, scenario.t_span, scenario.y0, ceiling=scenario.ceiling)
    # the axis the demo draws it on (logarithmic for a runaway or a wide spread)
    logy = trajectory.has_runaway or _spread(trajectory.values)
    ax = rd.plot.time_series(trajectory, logy=logy)
    ax.figure.canvas.draw()
    problems = _labels_on_series(ax) + _hidden_series(ax)
    assert not problems, f"{key}: " + "; ".join(problems)
    check(ax, f"{key}_series")


@pytest.mark.parametrize("key", sorted(SCENARIOS))
def test_shock_bands_and_fan_chart_of_every_scenario(key):
    scenario = SCENARIOS[key]
    model = scenario.model
    t0, t1 = scenario.t_span
    start = scenario.y0 if scenario.y0 is not None else model.initial_vector()
    scale = float(np.max(np.abs(start))) or 1.0
    paths = rd.simulate_sde(
        model,
        (t0, min(t1, t0 + 20)),
        start,
        noise=0.05 * scale,
        n_paths=40,
        seed=1,
        t_eval=np.linspace(t0, min(t1, t0 + 20), 21),
        floor=0.0,
        progress=False,
    )
    check(rd.plot.quantile_bands(paths), f"{key}_bands")
    check(rd.plot.time_series(paths, members=10), f"{key}_fan")


def _line_points(artist):
    points = _points(artist)
    return points[np.all(np.isfinite(points), axis=1)]


def _settle(model, base, start, horizon, scale):
    """End of the slice's own flow (states off the axes held at ``base``) from ``start``."""
    compiled, p = model.compile(), model.param_vector()

    def plane(t, point):
        state = base.copy()
        state[:2] = point
        return compiled.rhs(t, state, p)[:2]

    def escape(t, point):
        return 10 * scale - np.max(np.abs(point))

    escape.terminal = True
    return solve_ivp(plane, (0, horizon), start, rtol=1e-8, atol=1e-10, events=escape).y[:, -1]


@pytest.mark.parametrize("key", sorted(SCENARIOS))
def test_phase_portrait_of_every_scenario(key):
    model = SCENARIOS[key].model
    ax = rd.plot.phase_portrait(model, trajectories=4, resolution=31)
    fig = ax.figure
    fig.canvas.draw()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    # sample trajectories are explained in the legend
    for line in ax.lines:
        if line.get_gid() == "trajectory" and _inside(ax, _line_points(line)):
            assert line.get_label() in legend, f"{key}: trajectories not in the legend"
    balances = rd.equilibria(model)
    stable = [eq for eq in balances if eq.stable] or balances
    base = np.array(stable[0].state if stable else np.zeros(model.n_states), dtype=float)
    if model.n_states > 2:  # a slice says what it holds fixed, and at which value
        words = " ".join(t.get_text() for _, t in _texts(ax))
        for k in range(2, model.n_states):
            assert f"{model.actors[k]} = {base[k]:.3g}" in words, f"{key}: slice not stated"
    # the drawn threshold splits starts that the drawn field sends to different fates
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    scale = max(x1 - x0, y1 - y0)
    for artist in [*ax.lines, *ax.collections]:
        if artist.get_gid() != "separatrix":
            continue
        path = _line_points(artist)
        path = path[(path[:, 0] > x0) & (path[:, 0] < x1) & (path[:, 1] > y0) & (path[:, 1] < y1)]
        middle = len(path) // 2
        tangent = path[min(middle + 1, len(path) - 1)] - path[max(middle - 1, 0)]
        normal = np.array([-tangent[1], tangent[0]]) / np.linalg.norm(tangent)
        ends = [
            _settle(model, base, path[middle] + side * 0.02 * scale * normal, 200.0, scale)
            for side in (-1, 1)
        ]
        assert np.linalg.norm(ends[0] - ends[1]) > 0.1 * scale, (
            f"{key}: starts on both sides of the drawn threshold meet in the drawn field"
        )
    check(ax, f"{key}_portrait")


def _map_grid(model, count):
    grid = {}
    for name in _map_axes(model, None):
        value = model.params[name].value
        grid[name] = (
            np.linspace(0.0, 2.5 * value, count) if value > 0 else np.linspace(-1, 1, count)
        )
    return grid


@pytest.mark.parametrize("key", LINEAR)
def test_stability_map_of_every_linear_scenario(key):
    model = SCENARIOS[key].model
    regimes = rd.stability_map(model, _map_grid(model, 40), progress=False)
    ax = rd.plot.stability_map(regimes)
    growth = regimes["max_real_eig"].values
    if np.nanmin(growth) < 0 < np.nanmax(growth):
        assert "boundary (max Re eig = 0)" in [t.get_text() for t in ax.get_legend().get_texts()]
    check(ax, f"{key}_map")


@pytest.mark.slow
@pytest.mark.parametrize("key", NONLINEAR)
def test_stability_map_of_every_nonlinear_scenario_draws_regime_boundaries(key):
    model = SCENARIOS[key].model
    # sampled verdicts are slow (issue 23 asks for them batched): the smallest useful grids
    count = 4 if model.n_states <= 3 else 3
    regimes = rd.stability_map(model, _map_grid(model, count), progress=False, n_samples=2)
    assert regimes.attrs["method"].startswith("sampled")
    ax = rd.plot.stability_map(regimes)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    # max Re = 0 means nothing for a sampled verdict: the boundaries between regimes instead
    assert "boundary (max Re eig = 0)" not in labels
    judged = set(regimes.values.astype(str).ravel()) - {"failed"}
    assert ("regime boundary" in labels) == (len(judged) > 1)
    check(ax, f"{key}_map")


@pytest.mark.parametrize("key", sorted(SCENARIOS))
def test_bifurcation_diagram_of_every_scenario(key):
    model = SCENARIOS[key].model
    name = _map_axes(model, None)[0]
    value = model.params[name].value
    start = rd.equilibria(model)[0].state
    branch = rd.continuation(model, name, start=start, bounds=(0.0, 2.5 * value or 1.0))
    check(rd.plot.bifurcation_diagram(branch, title=model.name), f"{key}_bifurcation")


# ---------------------------------------------------------------------- results
def test_bifurcation_diagram_and_fold_curve_figures():
    model = SCENARIOS["mutual_defence_trigger"].model
    name = next(n for n in model.param_names if n.startswith("k"))
    balance = min((eq for eq in rd.equilibria(model) if eq.stable), key=lambda e: e.state.sum())
    branch = rd.continuation(model, name, start=balance.state, bounds=(0.0, 1.0))
    check(rd.plot.bifurcation_diagram(branch, title=model.name), "trigger_bifurcation")
    folds = branch.of_kind("fold")
    assert folds
    other = next(n for n in model.param_names if n.startswith("k") and n != name)
    curve = rd.continue_bifurcation(folds[0], other, bounds=(0.0, 1.0), max_points=60)
    check(rd.plot.bifurcation_curves(curve), "trigger_fold_curve")


def test_fold_curves_drawn_over_a_map_keep_its_framed_legend_and_are_listed_once():
    model = SCENARIOS["mutual_defence_trigger"].model
    name = next(n for n in model.param_names if n.startswith("k"))
    balance = min((eq for eq in rd.equilibria(model) if eq.stable), key=lambda e: e.state.sum())
    branch = rd.continuation(model, name, start=balance.state, bounds=(0.0, 1.0))
    other = next(n for n in model.param_names if n.startswith("k") and n != name)
    curves = [
        rd.continue_bifurcation(fold, other, bounds=(0.0, 1.0), max_points=40)
        for fold in branch.of_kind("fold")
    ]
    assert len(curves) > 1  # the case this test is about
    classic = SCENARIOS["classic_two_nation"].model
    ax = rd.plot.stability_map(rd.stability_map(classic, _map_grid(classic, 20), progress=False))
    for curve in curves:
        rd.plot.bifurcation_curves(curve, ax=ax)
    legend = ax.get_legend()
    labels = [t.get_text() for t in legend.get_texts()]
    assert len(labels) == len(set(labels)), labels
    assert legend.get_frame_on()  # the regime swatches stay visible over their regions
    plt.close(ax.figure)


def test_orbit_diagram_figure():
    x, r = sp.symbols("x r")
    logistic = rd.Model(["x"], {"r": 3.0}, [r * x * (1 - x)], kind="map", initial={"x": 0.3})
    diagram = rd.orbit_diagram(logistic, "r", np.linspace(2.5, 4.0, 120), transient=200, keep=60)
    check(rd.plot.orbit_diagram(diagram, title="logistic map"), "logistic_orbit_diagram")


@pytest.fixture(scope="module")
def small_fit():
    truth = {"k": 0.3, "l": 0.25, "a": 0.5, "b": 0.6, "g": 2.0, "h": 1.5}
    years = np.arange(0, 21)
    clean = rd.simulate(
        rd.richardson2(**truth), (0, 20), y0=[1.0, 3.0], t_eval=years.astype(float), method="exact"
    ).values
    noisy = clean + np.random.default_rng(5).normal(0.0, 0.1, clean.shape)
    data = pd.DataFrame(noisy, index=years, columns=["x", "y"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rd.RichardsonWarning)
        return rd.fit(rd.richardson2(**truth), data, ci="wald", margin_over=("k", "l"))


def test_fit_and_bootstrap_figures(small_fit):
    check(rd.plot.fit(small_fit), "fit_band")
    boot = small_fit.bootstrap(12, seed=1, margins=True, progress=False)
    check(rd.plot.fit(small_fit, bootstrap=boot), "fit_bootstrap_band")
    check(rd.plot.bootstrap_margin(boot), "bootstrap_margin")


def test_sensitivity_figure():
    result = rd.sensitivity(
        rd.richardson2(), {"k": (0.5, 1.5), "a": (0.8, 1.2), "g": (0.0, 1.0)}, n=64, progress=False
    )
    check(rd.plot.sensitivity_indices(result), "sensitivity")


# ---------------------------------------------------------------------- maps
def test_cobweb_of_a_one_state_map():
    x, r = sp.symbols("x r")
    logistic = rd.Model(["x"], {"r": 2.8}, [r * x * (1 - x)], kind="map", initial={"x": 0.1})
    ax = rd.plot.phase_portrait(logistic)
    check(ax, "logistic_cobweb")


def test_orbit_plot_of_a_two_state_map():
    x, y, a, b = sp.symbols("x y a b")
    saperstein = rd.Model(
        ["x", "y"],
        {"a": 0.7, "b": 0.7},
        [4 * a * y * (1 - y), 4 * b * x * (1 - x)],
        kind="map",
        initial={"x": 0.2, "y": 0.3},
    )
    ax = rd.plot.phase_portrait(saperstein)
    check(ax, "saperstein_orbit")


# ---------------------------------------------------------------------- crowded labels
def test_intervention_labels_close_in_time_do_not_overlap():
    ivs = [
        rd.step("k", 10, 0.5),
        rd.step("l", 10.5, 0.6),
        rd.pulse("g", 11, 0.2, 1.0),
        rd.step("a", 11.3, 1.2),
        rd.step("b", 30, 1.0),
    ]
    trajectory = rd.simulate(rd.richardson2(k=0.9), (0, 60), y0=[1, 2], interventions=ivs)
    ax = rd.plot.time_series(trajectory)
    labels = " ".join(t.get_text() for t in ax.texts)
    for name in ("step k", "step l", "pulse g", "step b"):
        assert name in labels
    check(ax, "crowded_interventions")


def test_an_intervention_label_stays_off_the_plotted_series():
    # the hotline run peaks at the step: a label at the top of its line would sit on the peak
    model = rd.richardson2(k=1.3, l=1.2)
    ivs = [rd.step("k", 10, 0.6), rd.step("l", 10, 0.6)]
    ax = rd.plot.time_series(rd.simulate(model, (0, 40), [1, 2], interventions=ivs))
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    (label,) = [t for t in ax.texts if "step" in t.get_text()]
    box = label.get_window_extent(renderer)
    for line in ax.get_lines():
        xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
        if np.ptp(xy[:, 0]) == 0:
            continue  # the intervention's own vertical line
        inside = (xy[:, 0] >= box.x0) & (xy[:, 0] <= box.x1) & (xy[:, 1] >= box.y0)
        assert not np.any(inside & (xy[:, 1] <= box.y1)), line.get_label()
    plt.close(fig)


def test_offset_texts_of_a_slice_clear_its_title():
    reaction = np.array([[0, 0.3, 0.2], [0.3, 0, 0.2], [0.1, 0.1, 0]])
    model = rd.richardson_n(reaction, [1.0, 1.0, 1.0], [0.5e6, 0.4e6, 0.3e6])
    balance = rd.equilibria(model)[0].state
    ax = rd.plot.phase_portrait(
        model,
        xlim=(balance[0] - 5, balance[0] + 5),
        ylim=(balance[1] - 5, balance[1] + 5),
        trajectories=2,
        shade_runaway=False,
    )
    ax.figure.canvas.draw()
    assert ax.yaxis.offsetText.get_text()  # the case this test is about
    check(ax, "offset_slice")
