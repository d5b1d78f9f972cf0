"""Portraits of maps (``kind="map"``): a cobweb for one state, orbits in a plane for two."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ModelError, UnknownSymbolError, did_you_mean
from ._style import new_axes, paper_style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..model.core import Model

__all__ = ["map_portrait"]

_FIXED = {
    True: {"marker": "o", "color": "black", "markerfacecolor": "black", "ms": 7, "zorder": 6},
    False: {"marker": "o", "color": "black", "markerfacecolor": "white", "ms": 7, "zorder": 6},
}


def _column(model: Model, name: str | None, default: int) -> int:
    if name is None:
        return default
    if name in model.states:
        return model.states.index(name)
    if name in model.actors:
        return model.actors.index(name)
    names = list(model.states) + list(model.actors)
    raise UnknownSymbolError(f"{name!r} is not a state or actor{did_you_mean(name, names)}")


def _orbit(compiled: Any, p: np.ndarray, start: np.ndarray, steps: int) -> np.ndarray:
    """States x[0..steps] of the map, cut where the orbit leaves every finite bound."""
    states = [np.asarray(start, dtype=float)]
    limit = 1e6 * max(1.0, float(np.max(np.abs(start))))
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(steps):
            state = np.asarray(compiled.rhs(float(step), states[-1], p), dtype=float)
            if not np.all(np.isfinite(state)) or np.max(np.abs(state)) > limit:
                break
            states.append(state)
    return np.array(states)


def _starts(model: Model, starts: Any, count: int) -> list[np.ndarray]:
    """The model's initial state (or 0.5 in every state) and, for an integer, that many
    starts spread between half and one and a half times it."""
    if not isinstance(starts, (int, np.integer)):
        return [model.initial_vector(s) for s in starts]
    if starts <= 0:
        return []
    try:
        first = model.initial_vector()
    except ModelError:
        first = np.full(model.n_states, 0.5)
    scales = np.linspace(1.0, 1.5, min(int(starts), count))
    return [first * scale if scale != 1.0 else first for scale in scales]


def map_portrait(
    model: Model,
    params: Mapping[str, float] | None = None,
    ax: Axes | None = None,
    x: str | None = None,
    y: str | None = None,
    xlim: Sequence[float] | None = None,
    ylim: Sequence[float] | None = None,
    starts: int | Sequence[Sequence[float]] = 2,
    steps: int = 60,
    legend: bool = True,
) -> Axes:
    """Draw the orbits of a map: a cobweb diagram for one state, an orbit plot for more.

    Parameters
    ----------
    model : Model
        A model with ``kind="map"`` (autonomous).
    params : mapping, optional
        Parameter values overriding the defaults.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made if omitted.
    x, y : str, optional
        States (or actor names) on the axes of an orbit plot; the first two by default. Other
        states are not held: the orbit of the whole map is projected on the plane.
    xlim, ylim : pair of float, optional
        Plot window (spending units); by default the orbits' and fixed points' range.
    starts : int or sequence of initial states
        Number of orbits (the first from the model's initial state, the others from multiples
        of it up to 1.5; at most one cobweb, at most 3 orbits in a plane), or explicit
        initial states.
    steps : int
        Steps of each orbit.
    legend : bool
        Add a legend of what is drawn (outside the axes of a new figure, inside given axes).

    Returns
    -------
    matplotlib.axes.Axes
        Artists carry ``gid`` labels: ``"map"``, ``"diagonal"``, ``"cobweb"`` (one
        state), ``"orbit"`` (two or more), ``"fixed:stable"``, ``"fixed:unstable"``.

    Examples
    --------
    >>> import sympy as sp, richardson as rd
    >>> x, r = sp.symbols("x r")
    >>> logistic = rd.Model(["x"], {"r": 2.8}, [r * x * (1 - x)], kind="map",
    ...                     initial={"x": 0.1})
    >>> ax = rd.plot.phase_portrait(logistic)
    """
    from ..analysis.balances import equilibria

    if model.kind != "map" or not model.is_autonomous:
        raise ModelError("orbit portraits need an autonomous map (kind='map', no explicit n)")
    p = model.param_vector(params)
    compiled = model.compile()
    count = 1 if model.n_states == 1 else 3  # one cobweb reads best; orbits are lighter
    orbits = [_orbit(compiled, p, start, int(steps)) for start in _starts(model, starts, count)]
    fixed = [eq for eq in equilibria(model, params) if np.all(np.isfinite(eq.state))]
    outside = ax is None
    ax = new_axes(ax, figsize=(7.0, 4.2) if legend else (6.0, 4.0))
    with paper_style():
        if model.n_states == 1:
            _cobweb(ax, model, compiled, p, orbits, fixed, xlim, ylim)
        else:
            i, j = _column(model, x, 0), _column(model, y, 1)
            if i == j:
                raise ModelError("x and y must be two different states")
            _orbit_plot(ax, model, orbits, fixed, i, j, xlim, ylim)
        if legend and outside:
            ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=8)
        elif legend:
            ax.legend(loc="best", fontsize=7, framealpha=0.85)
    return ax


def _window(values: np.ndarray, given: Sequence[float] | None) -> tuple[float, float]:
    if given is not None:
        return float(given[0]), float(given[1])
    values = values[np.isfinite(values)]
    low, high = (min(0.0, values.min()), values.max()) if values.size else (0.0, 1.0)
    pad = 0.06 * max(high - low, 1e-9)  # on both sides: a fixed point at 0 is not clipped
    return low - pad, high + pad


def _mark_fixed(ax, fixed, i, j, xlim, ylim, cobweb) -> None:  # noqa: ANN001
    listed = set()  # one legend entry per kind of fixed point
    for eq in fixed:
        point = (eq.state[0], eq.state[0]) if cobweb else (eq.state[i], eq.state[j])
        if not (xlim[0] <= point[0] <= xlim[1] and ylim[0] <= point[1] <= ylim[1]):
            continue
        kind = "stable fixed point" if eq.stable else "unstable fixed point"
        label = "_" + kind if kind in listed else kind  # "_..." stays out of the legend
        listed.add(kind)
        (marker,) = ax.plot(*point, linestyle="none", label=label, **_FIXED[bool(eq.stable)])
        marker.set_gid("fixed:stable" if eq.stable else "fixed:unstable")


def _cobweb(ax, model, compiled, p, orbits, fixed, xlim, ylim) -> None:  # noqa: ANN001
    values = np.concatenate([o[:, 0] for o in orbits] + [[eq.state[0] for eq in fixed] or [0.0]])
    xlim = _window(values, xlim)
    grid = np.linspace(*xlim, 400)
    curve = np.asarray(compiled.rhs(0.0, grid[None, :], p), dtype=float)[0]
    ylim = _window(np.concatenate([values, curve[np.abs(curve) < 10 * np.ptp(xlim)]]), ylim)
    name = model.actors[0]
    (line,) = ax.plot(grid, curve, color="C0", lw=1.6, label=f"map: {name}[n+1] = f({name}[n])")
    line.set_gid("map")
    (line,) = ax.plot(xlim, xlim, color="0.55", lw=0.9, label=f"{name}[n+1] = {name}[n]")
    line.set_gid("diagonal")
    for number, orbit in enumerate(orbits):
        steps = orbit[:, 0]
        # (x0, x0) -> (x0, x1) -> (x1, x1) -> (x1, x2) -> ...
        web_y = np.concatenate([steps[:1], np.repeat(steps[1:], 2)])
        web_x = np.repeat(steps, 2)[: len(web_y)]
        label = "cobweb" + (f" from {name} = {steps[0]:.3g}" if len(orbits) > 1 else "")
        (web,) = ax.plot(web_x, web_y, color=f"C{3 + number}", lw=0.8, alpha=0.85, label=label)
        web.set_gid("cobweb")
    _mark_fixed(ax, fixed, 0, 0, xlim, ylim, cobweb=True)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    unit = f" ({model.state_unit})" if model.state_unit else ""
    ax.set_xlabel(f"{name}[n]{unit}")
    ax.set_ylabel(f"{name}[n+1]{unit}")
    ax.set_title(model.name or "cobweb diagram")


def _orbit_plot(ax, model, orbits, fixed, i, j, xlim, ylim) -> None:  # noqa: ANN001
    xs = np.concatenate([o[:, i] for o in orbits] + [[eq.state[i] for eq in fixed] or [0.0]])
    ys = np.concatenate([o[:, j] for o in orbits] + [[eq.state[j] for eq in fixed] or [0.0]])
    xlim, ylim = _window(xs, xlim), _window(ys, ylim)
    for number, orbit in enumerate(orbits):
        colour = f"C{number}"
        start = ", ".join(f"{v:.3g}" for v in orbit[0])
        (line,) = ax.plot(
            orbit[:, i],
            orbit[:, j],
            "-o",
            color=colour,
            lw=0.6,
            alpha=0.45,
            ms=3,
            label=f"orbit from ({start})",
        )
        line.set_gid("orbit")
        ax.plot(*orbit[0, [i, j]], "s", color=colour, ms=5, zorder=5)
    _mark_fixed(ax, fixed, i, j, xlim, ylim, cobweb=False)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    unit = f" ({model.state_unit})" if model.state_unit else ""
    ax.set_xlabel(f"{model.actors[i]}[n]{unit}")
    ax.set_ylabel(f"{model.actors[j]}[n]{unit}")
    title = model.name or "orbits of the map"
    if model.n_states > 2:
        title += " (projection)"
    ax.set_title(title)
