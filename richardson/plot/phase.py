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
    """Values of the states not on the axes: given, else the first stable balance, else 0."""
    base = np.zeros(model.n_states)
    stable = [eq for eq in balances if eq.stable]
    if stable:
        base = np.array(stable[0].state, dtype=float)
    for name, value in (fixed or {}).items():
        if name not in model.states:
            raise UnknownSymbolError(
                f"fixed value for {name!r}, which is not a state{did_you_mean(name, model.states)}"
            )
        base[model.states.index(name)] = float(value)
    return base


def _limits(balances, i, j, xlim, ylim):  # noqa: ANN001, ANN202
    if xlim is not None and ylim is not None:
        return tuple(map(float, xlim)), tuple(map(float, ylim))
    points = (
        np.array([[eq.state[i], eq.state[j]] for eq in balances]) if balances else np.zeros((0, 2))
    )
    span = max(1.0, 1.6 * float(np.max(np.abs(points)))) if len(points) else 10.0
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
        An autonomous ODE model with at least two states.
    params : mapping, optional
        Parameter values overriding the defaults.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made if omitted.
    x, y : str, optional
        States (or actor names) on the horizontal and vertical axis; the first two by default.
    fixed : mapping, optional
        Values (spending units) of the other states in an N-actor model; by default those of
        the first stable balance, else zero.
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
        ``[(x0, y0), ...]`` (spending units); integrated for ``horizon`` time units.
    separatrices : bool
        Draw the threshold between the basins of a bistable system, its trigger point: for
        two states the stable manifolds of saddles (backward integration along the stable
        eigenvector); in a slice of an N-actor model the boundary between the starts that
        settle at different stable balances (from a grid of simulations).
    shade_runaway : bool
        Shade the initial states from which spending escalates beyond the window (ten times its
        size) within ``horizon``.
    horizon : float
        Time span (model time units) for trajectories and the runaway test.
    legend : bool
        Add a legend.

    Returns
    -------
    matplotlib.axes.Axes
        Artists carry ``gid`` labels: ``"nullcline:<state>"``, ``"equilibrium:stable"``,
        ``"equilibrium:unstable"``, ``"equilibrium:saddle"`` (with ``":projected"`` appended
        for balances of an N-actor model whose other actors differ from the slice),
        ``"separatrix"``,
        ``"trajectory"``, ``"runaway"``.

    Examples
    --------
    >>> import richardson as rd
    >>> ax = rd.plot.phase_portrait(rd.richardson2(), trajectories=0, shade_runaway=False)
    """
    from ..analysis.balances import equilibria
    from ..simulation.ensemble import simulate_ensemble

    if model.kind != "ode" or not model.is_autonomous:
        raise ModelError("phase portraits need an autonomous ODE model (kind='ode', no explicit t)")
    if field not in ("stream", "arrows", "none"):
        raise ModelError(f"field must be 'stream', 'arrows' or 'none', not {field!r}")
    i, j = _axes_states(model, x, y)
    p = model.param_vector(params)
    compiled = model.compile()
    balances = [eq for eq in equilibria(model, params) if np.all(np.isfinite(eq.state))]
    base = _slice_state(model, fixed, balances)
    (x0, x1), (y0, y1) = _limits(balances, i, j, xlim, ylim)
    ax = new_axes(ax)
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.repeat(base[:, None], gx.size, axis=1)
    grid[i], grid[j] = gx.ravel(), gy.ravel()
    rates = compiled.rhs(0.0, grid, p)
    u, v = rates[i].reshape(gx.shape), rates[j].reshape(gx.shape)

    def field_2d(t: float, point: np.ndarray, sign: float = 1.0) -> np.ndarray:
        state = base.copy()
        state[i], state[j] = point
        rate = compiled.rhs(t, state, p)
        return sign * np.array([rate[i], rate[j]])

    with paper_style():
        stable = [eq for eq in balances if eq.stable]
        basins = separatrices and model.n_states > 2 and len(stable) >= 2
        if shade_runaway or basins:
            gx_, gy_, escaped, final = _grid_fate(
                model, p, base, i, j, (x0, x1), (y0, y1), horizon, simulate_ensemble
            )
            if shade_runaway:
                _shade_runaway(ax, gx_, gy_, escaped)
            if basins:
                _draw_basin_boundary(ax, gx_, gy_, escaped, final, stable)
        if field == "stream":
            ax.streamplot(
                gx, gy, u, v, color="0.65", density=1.1, linewidth=0.7, arrowsize=0.8, zorder=1
            )
        elif field == "arrows":
            norm = np.hypot(u, v) if normalize else 1.0
            norm = np.where(norm == 0, 1.0, norm)
            ax.quiver(gx, gy, u / norm, v / norm, color="0.6", angles="xy", zorder=1)
        if nullclines:
            fine = max(resolution, 201)
            fx, fy = np.meshgrid(np.linspace(x0, x1, fine), np.linspace(y0, y1, fine))
            fine_grid = np.repeat(base[:, None], fx.size, axis=1)
            fine_grid[i], fine_grid[j] = fx.ravel(), fy.ravel()
            fine_rates = compiled.rhs(0.0, fine_grid, p)
            for index, color in ((i, "tab:blue"), (j, "tab:orange")):
                values = fine_rates[index].reshape(fx.shape)
                if values.min() < 0 < values.max():
                    contour = ax.contour(
                        fx, fy, values, levels=[0.0], colors=[color], linewidths=1.8, zorder=3
                    )
                    contour.set_gid(f"nullcline:{model.states[index]}")
                ax.plot([], [], color=color, lw=1.8, label=f"d{model.actors[index]}/dt = 0")
        for start in _trajectory_starts(trajectories, (x0, x1), (y0, y1)):
            path = solve_ivp(
                field_2d,
                (0, horizon),
                start,
                rtol=1e-7,
                atol=1e-9,
                events=_leave_box((x0, x1), (y0, y1)),
            )
            (line,) = ax.plot(path.y[0], path.y[1], color="0.25", lw=1.0, zorder=4)
            line.set_gid("trajectory")
        seen = set()
        for eq in balances:
            point = (eq.state[i], eq.state[j])
            if not (x0 <= point[0] <= x1 and y0 <= point[1] <= y1):
                continue
            kind = "saddle" if eq.kind == "saddle" else ("stable" if eq.stable else "unstable")
            style = {"saddle": _SADDLE, "stable": _STABLE, "unstable": _UNSTABLE}[kind]
            others = [k for k in range(model.n_states) if k not in (i, j)]
            off_slice = bool(others) and not np.allclose(
                np.asarray(eq.state)[others], base[others], rtol=1e-6, atol=1e-9
            )
            text = f"{kind} balance" + (" (projected: other actors differ)" if off_slice else "")
            label = None if text in seen else text
            seen.add(text)
            (marker,) = ax.plot(
                *point, linestyle="none", label=label, alpha=0.4 if off_slice else 1.0, **style
            )
            marker.set_gid(f"equilibrium:{kind}" + (":projected" if off_slice else ""))
            if separatrices and kind == "saddle" and model.n_states == 2:
                _draw_separatrix(ax, eq, field_2d, (x0, x1), (y0, y1), horizon)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        unit = f" ({model.state_unit})" if model.state_unit else ""
        ax.set_xlabel(f"{model.actors[i]}{unit}")
        ax.set_ylabel(f"{model.actors[j]}{unit}")
        ax.set_title(model.name or "phase portrait")
        if legend:
            ax.legend(loc="upper left", fontsize=7, framealpha=0.85)
    return ax


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


def _grid_fate(model, p, base, i, j, xlim, ylim, horizon, simulate_ensemble, cells=31):  # noqa: ANN001, ANN202
    """Simulate a grid of starts in the slice: grid, runaway mask and final states."""
    gx, gy = np.meshgrid(np.linspace(*xlim, cells), np.linspace(*ylim, cells))
    starts = np.repeat(base[None, :], gx.size, axis=0)
    starts[:, i], starts[:, j] = gx.ravel(), gy.ravel()
    ceiling = 10.0 * max(xlim[1] - xlim[0], ylim[1] - ylim[0], float(np.max(np.abs(base))))
    ensemble = simulate_ensemble(
        model,
        np.tile(p, (gx.size, 1)),
        (0.0, horizon),
        starts,
        t_eval=np.linspace(0.0, horizon, 101),
        ceiling=ceiling,
        rtol=1e-6,
        atol=1e-9,
        progress=False,
    )
    escaped = np.isfinite(ensemble.data["runaway_time"].values).reshape(gx.shape)
    final = ensemble.data["spending"].values[:, -1, :]
    return gx, gy, escaped, final


def _shade_runaway(ax, gx, gy, escaped):  # noqa: ANN001, ANN202
    if escaped.any():
        shading = ax.contourf(
            gx,
            gy,
            escaped.astype(float),
            levels=[0.5, 1.5],
            colors=["#f4c7c3"],
            alpha=0.6,
            zorder=0,
        )
        shading.set_gid("runaway")
        ax.fill([], [], color="#f4c7c3", label="runaway region")


def _draw_basin_boundary(ax, gx, gy, escaped, final, stable):  # noqa: ANN001, ANN202
    """Threshold between the basins of two or more stable balances of an N-actor model, in the
    slice: the contour between grid starts that settle at different balances."""
    centres = np.array([np.asarray(eq.state, dtype=float) for eq in stable])
    distance = np.linalg.norm(final[:, None, :] - centres[None, :, :], axis=2)
    basin = np.argmin(distance, axis=1).reshape(gx.shape).astype(float)
    basin[escaped] = np.nan
    if np.unique(basin[np.isfinite(basin)]).size < 2:
        return
    levels = np.arange(len(stable) - 1) + 0.5
    boundary = ax.contour(
        gx, gy, basin, levels=levels, colors=["crimson"], linestyles="--", linewidths=1.6, zorder=5
    )
    boundary.set_gid("separatrix")
    ax.plot([], [], color="crimson", ls="--", lw=1.6, label="threshold between basins")
