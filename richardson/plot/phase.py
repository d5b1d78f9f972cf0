"""Phase portraits: vector field, nullclines, balances by type, trajectories, separatrices
and the runaway region of a two-dimensional model or a 2-D slice of an N-actor model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.integrate import solve_ivp

from ..errors import ModelError, UnknownSymbolError, did_you_mean
from ._style import new_axes, paper_style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..model.core import Model

__all__ = ["phase_portrait"]

_STABLE = {"marker": "o", "color": "black", "markerfacecolor": "black", "ms": 8, "zorder": 6}
_UNSTABLE = {"marker": "o", "color": "black", "markerfacecolor": "white", "ms": 8, "zorder": 6}
_SADDLE = {"marker": "X", "color": "crimson", "markerfacecolor": "crimson", "ms": 9, "zorder": 6}


def _axes_states(model: Model, x: str | None, y: str | None) -> tuple[int, int]:
    if model.n_states < 2:
        raise ModelError("a phase portrait needs at least two states")
    names = list(model.states) + list(model.actors)
    chosen = []
    for given, default in ((x, 0), (y, 1)):
        if given is None:
            chosen.append(default)
            continue
        if given in model.states:
            chosen.append(model.states.index(given))
        elif given in model.actors:
            chosen.append(model.actors.index(given))
        else:
            raise UnknownSymbolError(
                f"{given!r} is not a state or actor{did_you_mean(given, names)}"
            )
    if chosen[0] == chosen[1]:
        raise ModelError("x and y must be two different states")
    return chosen[0], chosen[1]


def _slice_state(
    model: Model, fixed: Mapping[str, float] | None, balances: list[Any]
) -> np.ndarray:
    """Values of the states not on the axes: given, else those of the first stable balance,
    else of the first balance (the saddle of a threshold race), else 0."""
    base = np.zeros(model.n_states)
    stable = [eq for eq in balances if eq.stable] or list(balances)
    if stable:
        base = np.array(stable[0].state, dtype=float)
    for name, value in (fixed or {}).items():
        if name not in model.states:
            raise UnknownSymbolError(
                f"fixed value for {name!r}, which is not a state{did_you_mean(name, model.states)}"
            )
        base[model.states.index(name)] = float(value)
    return base


def _limits(points, xlim, ylim):  # noqa: ANN001, ANN202
    """The window: as given, else from 0 to 1.6 times the largest balance coordinate."""
    if xlim is not None and ylim is not None:
        return tuple(map(float, xlim)), tuple(map(float, ylim))
    values = np.abs(np.asarray(points, dtype=float).ravel())
    span = max(1.0, 1.6 * float(np.max(values))) if values.size else 10.0
    auto = (0.0, span)
    return (
        tuple(map(float, xlim)) if xlim is not None else auto,
        tuple(map(float, ylim)) if ylim is not None else auto,
    )


def phase_portrait(
    model: Model,
    params: Mapping[str, float] | None = None,
    ax: Axes | None = None,
    x: str | None = None,
    y: str | None = None,
    fixed: Mapping[str, float] | None = None,
    xlim: Sequence[float] | None = None,
    ylim: Sequence[float] | None = None,
    resolution: int = 41,
    field: str = "stream",
    normalize: bool = True,
    nullclines: bool = True,
    trajectories: int | Sequence[Sequence[float]] = 6,
    separatrices: bool = True,
    shade_runaway: bool = True,
    horizon: float = 50.0,
    legend: bool = True,
) -> Axes:
    """Draw the phase portrait of a model in the plane of two of its states.

    Parameters
    ----------
    model : Model
        An autonomous model with at least two states; a map (``kind="map"``) may have one.
        A map is drawn as its orbits: a cobweb for one state, the orbit's points joined
        lightly for two or more (``trajectories`` orbits, at most one cobweb or 3 orbits, of
        ``horizon`` steps), with its fixed points marked.
    params : mapping, optional
        Parameter values overriding the defaults.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made if omitted.
    x, y : str, optional
        States (or actor names) on the horizontal and vertical axis; the first two by default.
    fixed : mapping, optional
        Values (spending units) of the other states in an N-actor model; by default those of
        the first stable balance, else of the first balance (the saddle of a threshold race),
        else zero. Everything in the figure (field, nullclines,
        balances, threshold, runaway region) belongs to the same 2-D slice, the model with
        those states held at these values; the values are written under the x label, and the
        model's own balances that lie off the slice are drawn pale, as projections.
    xlim, ylim : pair of float, optional
        Plot window in spending units; by default from 0 to 1.6 times the largest balance.
    resolution : int
        Grid points per axis for the vector field and the nullclines.
    field : {"stream", "arrows", "none"}
        Streamlines, arrows, or no vector field.
    normalize : bool
        Arrows of equal length (direction only) when ``field="arrows"``.
    nullclines : bool
        Draw the curves where each state's rate of change is zero (``dx/dt = 0`` solid blue,
        ``dy/dt = 0`` solid orange); they cross at the balances.
    trajectories : int or sequence of initial states
        Number of sample trajectories started on the window's edge, or explicit starts
        ``[(x0, y0), ...]`` (spending units); integrated for ``horizon`` time units and drawn
        as thin dark-grey lines, one legend entry ("sample trajectories").
    separatrices : bool
        Draw the threshold between the basins of a bistable system, its trigger point: the
        stable manifolds of the saddles of the plane (backward integration along the stable
        eigenvector), in a slice of an N-actor model those of the slice's own saddles, so
        that the streamlines on either side of it lead to different balances.
    shade_runaway : bool
        Shade the initial states from which spending escalates beyond the window (ten times its
        size) within ``horizon`` (in the plane drawn).
    horizon : float
        Time span (model time units) for trajectories and the runaway test.
    legend : bool
        Add a legend listing only what is drawn: outside the axes on the right of a new
        figure, inside given axes (``loc="best"``).

    Returns
    -------
    matplotlib.axes.Axes
        Artists carry ``gid`` labels: ``"nullcline:<state>"``, ``"equilibrium:stable"``,
        ``"equilibrium:unstable"``, ``"equilibrium:saddle"`` (with ``":projected"`` appended
        for balances of an N-actor model whose other actors differ from the slice),
        ``"separatrix"``,
        ``"trajectory"``, ``"runaway"``; the note of a slice's fixed values ``"slice"``.

    Examples
    --------
    >>> import richardson as rd
    >>> ax = rd.plot.phase_portrait(rd.richardson2(), trajectories=0, shade_runaway=False)
    """
    from ..analysis.balances import equilibria
    from ..simulation.ensemble import simulate_ensemble

    if model.kind == "map":
        from .orbits import map_portrait

        return map_portrait(
            model,
            params,
            ax,
            x=x,
            y=y,
            xlim=xlim,
            ylim=ylim,
            starts=trajectories,
            steps=int(horizon),
            legend=legend,
        )
    if model.kind != "ode" or not model.is_autonomous:
        raise ModelError("phase portraits need an autonomous model (no explicit t)")
    if field not in ("stream", "arrows", "none"):
        raise ModelError(f"field must be 'stream', 'arrows' or 'none', not {field!r}")
    i, j = _axes_states(model, x, y)
    everywhere = [eq for eq in equilibria(model, params) if np.all(np.isfinite(eq.state))]
    base = _slice_state(model, fixed, everywhere)
    others = [k for k in range(model.n_states) if k not in (i, j)]
    plane, plane_params = _plane(model, params, i, j, base)
    p = plane.param_vector(plane_params)
    compiled = plane.compile()
    if plane is model:
        balances = everywhere
    else:
        balances = [eq for eq in equilibria(plane, plane_params) if np.all(np.isfinite(eq.state))]
    projected = [
        eq
        for eq in everywhere
        if others
        and not np.allclose(np.asarray(eq.state)[others], base[others], rtol=1e-6, atol=1e-9)
    ]
    points = [(eq.state[0], eq.state[1]) for eq in balances]
    points += [(eq.state[i], eq.state[j]) for eq in projected]
    (x0, x1), (y0, y1) = _limits(points, xlim, ylim)
    own_figure = ax is None
    ax = new_axes(ax, figsize=(7.4, 4.2) if legend else (6.0, 4.0))
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    rates = compiled.rhs(0.0, np.stack([gx.ravel(), gy.ravel()]), p)
    u, v = rates[0].reshape(gx.shape), rates[1].reshape(gx.shape)

    def field_2d(t: float, point: np.ndarray, sign: float = 1.0) -> np.ndarray:
        return sign * compiled.rhs(t, np.asarray(point, dtype=float), p)

    with paper_style():
        if shade_runaway:
            _shade_runaway(ax, plane, p, (x0, x1), (y0, y1), horizon, simulate_ensemble)
        if field == "stream":
            ax.streamplot(
                gx, gy, u, v, color="0.72", density=1.1, linewidth=0.7, arrowsize=0.8, zorder=1
            )
        elif field == "arrows":
            norm = np.hypot(u, v) if normalize else 1.0
            norm = np.where(norm == 0, 1.0, norm)
            ax.quiver(gx, gy, u / norm, v / norm, color="0.6", angles="xy", zorder=1)
        if nullclines:
            _draw_nullclines(ax, model, compiled, p, (i, j), (x0, x1), (y0, y1), resolution)
        for start in _trajectory_starts(trajectories, (x0, x1), (y0, y1)):
            path = solve_ivp(
                field_2d,
                (0, horizon),
                start,
                rtol=1e-7,
                atol=1e-9,
                events=_leave_box((x0, x1), (y0, y1)),
            )
            (line,) = ax.plot(
                path.y[0], path.y[1], color="0.3", lw=0.9, zorder=4, label="sample trajectories"
            )
            line.set_gid("trajectory")
        drawn = [(eq, False) for eq in balances] + [(eq, True) for eq in projected]
        for eq, off_slice in drawn:
            point = (eq.state[i], eq.state[j]) if off_slice else (eq.state[0], eq.state[1])
            if not (x0 <= point[0] <= x1 and y0 <= point[1] <= y1):
                continue
            kind = "saddle" if eq.kind == "saddle" else ("stable" if eq.stable else "unstable")
            style = {"saddle": _SADDLE, "stable": _STABLE, "unstable": _UNSTABLE}[kind]
            text = f"{kind} balance" + (
                " (full model, off the slice)" if off_slice else " of this slice" if others else ""
            )
            (marker,) = ax.plot(
                *point, linestyle="none", label=text, alpha=0.35 if off_slice else 1.0, **style
            )
            marker.set_gid(f"equilibrium:{kind}" + (":projected" if off_slice else ""))
            if separatrices and kind == "saddle" and not off_slice:
                _draw_separatrix(ax, eq, field_2d, (x0, x1), (y0, y1), horizon)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        unit = f" ({model.state_unit})" if model.state_unit else ""
        ax.set_xlabel(f"{model.actors[i]}{unit}")
        ax.set_ylabel(f"{model.actors[j]}{unit}")
        _title(ax, model, base, others)
        if legend:
            _legend(ax, outside=own_figure)
    return ax


def _plane(model: Model, params, i: int, j: int, base: np.ndarray):  # noqa: ANN001, ANN202
    """The 2-D system drawn: the model itself, or its slice with the other states held at
    ``base`` (a two-state model of its own, so that every layer is computed on it)."""
    import sympy as sp

    from ..model.core import Model

    if (i, j) == (0, 1) and model.n_states == 2:
        return model, params
    symbols = model.state_symbols
    held = {symbols[k]: sp.Float(base[k]) for k in range(model.n_states) if k not in (i, j)}
    values = model.param_vector(params)
    parameters = {
        name: _with_value(model.params[name], float(values[n]))
        for n, name in enumerate(model.param_names)
    }
    plane = Model(
        [model.states[i], model.states[j]],
        parameters,
        [model.rhs[i].subs(held), model.rhs[j].subs(held)],
        actors=[model.actors[i], model.actors[j]],
        name=model.name,
        state_unit=model.state_unit,
        time_unit=model.time_unit,
    )
    return plane, None


def _with_value(parameter, value: float):  # noqa: ANN001, ANN201
    """The parameter with another value (its bounds widened to hold it)."""
    from dataclasses import replace

    low, high = parameter.bounds
    return replace(parameter, value=value, bounds=(min(low, value), max(high, value)))


def _title(ax, model: Model, base: np.ndarray, others: list[int]) -> None:  # noqa: ANN001
    """The model's name as title, and for a slice what is held fixed, written under the x
    axis label."""
    import textwrap

    if not others:
        ax.set_title(model.name or "phase portrait")
        return
    # lines break between the held values, never inside one (non-breaking spaces)
    held = ", ".join(f"{model.actors[k]} = {base[k]:.3g}".replace(" ", "\u00a0") for k in others)
    note = textwrap.wrap(f"slice: {held}\u00a0held\u00a0fixed", 90, break_on_hyphens=False)
    note = [line.replace("\u00a0", " ") for line in note]
    ax.set_title(model.name or "phase portrait")
    # under the x label, where a retitled or neighbouring axes cannot cover it
    text = ax.annotate(
        "\n".join(note),
        (0.5, 0.0),
        xycoords=ax.xaxis.label,
        xytext=(0, -3),
        textcoords="offset points",
        ha="center",
        va="top",
        fontsize=8,
        color="0.3",
    )
    text.set_gid("slice")


def _legend(ax, outside: bool) -> None:  # noqa: ANN001
    """One entry per label: outside the axes on the right of a figure of our own, inside
    axes the caller placed (their neighbours may sit on the right)."""
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    if outside:
        ax.legend(
            list(unique.values()),
            list(unique),
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0.0,
            fontsize=8,
        )
    else:
        ax.legend(list(unique.values()), list(unique), loc="best", fontsize=7, framealpha=0.85)


def _draw_nullclines(ax, model, compiled, p, pair, xlim, ylim, resolution) -> None:  # noqa: ANN001
    """The curves where each plotted state's rate is zero, as labelled lines (only those that
    cross the window get a legend entry)."""
    import contourpy

    fine = max(resolution, 201)
    xs, ys = np.linspace(*xlim, fine), np.linspace(*ylim, fine)
    fx, fy = np.meshgrid(xs, ys)
    rates = compiled.rhs(0.0, np.stack([fx.ravel(), fy.ravel()]), p)
    for row, (index, color) in enumerate(zip(pair, ("tab:blue", "tab:orange"), strict=True)):
        values = rates[row].reshape(fx.shape)
        if not values.min() < 0 < values.max():
            continue
        pieces = contourpy.contour_generator(fx, fy, values).lines(0.0)
        if not pieces:
            continue
        joined = np.concatenate([np.vstack([piece, [np.nan, np.nan]]) for piece in pieces])
        (line,) = ax.plot(
            joined[:, 0],
            joined[:, 1],
            color=color,
            lw=1.8,
            zorder=3,
            label=f"d{model.actors[index]}/dt = 0",
        )
        line.set_gid(f"nullcline:{model.states[index]}")


def _trajectory_starts(trajectories, xlim, ylim):  # noqa: ANN001, ANN202
    if isinstance(trajectories, int):
        if trajectories <= 0:
            return []
        fractions = np.linspace(0.1, 0.9, max(1, (trajectories + 1) // 2))
        starts = [(xlim[0] + f * (xlim[1] - xlim[0]), ylim[1]) for f in fractions]
        starts += [(xlim[1], ylim[0] + f * (ylim[1] - ylim[0])) for f in fractions]
        starts = [(x, y) for x, y in starts]
        return [np.array(s, dtype=float) for s in starts[:trajectories]]
    return [np.asarray(s, dtype=float) for s in trajectories]


def _leave_box(xlim, ylim, margin=0.5):  # noqa: ANN001, ANN202
    width, height = xlim[1] - xlim[0], ylim[1] - ylim[0]

    def outside(t: float, point: np.ndarray) -> float:
        dx = max(xlim[0] - margin * width - point[0], point[0] - xlim[1] - margin * width)
        dy = max(ylim[0] - margin * height - point[1], point[1] - ylim[1] - margin * height)
        return -max(dx, dy)

    outside.terminal = True
    return outside


def _draw_separatrix(ax, eq, field_2d, xlim, ylim, horizon):  # noqa: ANN001, ANN202
    """Stable manifold of a 2-D saddle: integrate backward from both sides of its stable
    eigenvector."""
    values, vectors = np.asarray(eq.eigenvalues), np.asarray(eq.eigenvectors)
    stable = int(np.argmin(values.real))
    direction = np.real(vectors[:, stable])
    direction = direction / np.linalg.norm(direction)
    scale = 1e-6 * max(1.0, float(np.max(np.abs(eq.state))))
    first = True
    for sign in (1.0, -1.0):
        start = np.asarray(eq.state, dtype=float)[:2] + sign * scale * direction
        path = solve_ivp(
            lambda t, s: field_2d(t, s, -1.0),
            (0, 4 * horizon),
            start,
            rtol=1e-9,
            atol=1e-12,
            events=_leave_box(xlim, ylim, margin=0.05),
        )
        (line,) = ax.plot(
            path.y[0],
            path.y[1],
            color="crimson",
            ls="--",
            lw=1.6,
            zorder=5,
            label="separatrix (threshold)" if first else None,
        )
        line.set_gid("separatrix")
        first = False


def _shade_runaway(ax, plane, p, xlim, ylim, horizon, simulate_ensemble, cells=31):  # noqa: ANN001, ANN202
    """Shade the starts of the plane (a grid of simulations of the 2-D system drawn) from
    which spending passes ten times the window within ``horizon``."""
    import contourpy
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    gx, gy = np.meshgrid(np.linspace(*xlim, cells), np.linspace(*ylim, cells))
    starts = np.column_stack([gx.ravel(), gy.ravel()])
    ceiling = 10.0 * max(xlim[1] - xlim[0], ylim[1] - ylim[0])
    ensemble = simulate_ensemble(
        plane,
        np.tile(p, (gx.size, 1)),
        (0.0, horizon),
        starts,
        t_eval=np.linspace(0.0, horizon, 11),
        ceiling=ceiling,
        rtol=1e-6,
        atol=1e-9,
        progress=False,
    )
    escaped = np.isfinite(ensemble.data["runaway_time"].values).reshape(gx.shape)
    if not escaped.any():
        return
    generator = contourpy.contour_generator(gx, gy, escaped.astype(float), fill_type="OuterCode")
    points, codes = generator.filled(0.5, 1.5)
    if not points:
        return
    path = Path(np.concatenate(points), np.concatenate(codes))
    patch = PathPatch(
        path, facecolor="#f4c7c3", edgecolor="none", alpha=0.6, zorder=0, label="runaway region"
    )
    patch.set_gid("runaway")
    ax.add_patch(patch)
