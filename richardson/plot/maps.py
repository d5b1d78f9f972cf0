"""Stability maps: regimes over a two-parameter grid, with the boundary drawn."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from ._style import new_axes, paper_style

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.axes import Axes

__all__ = ["stability_map", "REGIME_COLOURS"]

#: Colour of each regime (and of failed points).
REGIME_COLOURS = {
    "stable_balance": "#81c784",
    "runaway": "#e57373",
    "disarmament": "#64b5f6",
    "bistable": "#ba68c8",
    "oscillatory": "#ffb74d",
    "saturation": "#bcaaa4",
    "threshold": "#ffd54f",  # told apart from runaway, which it borders
    "marginal": "#e0e0e0",
    "chaotic": "#9575cd",
    "failed": "#616161",
}


def stability_map(
    dataarray: xr.DataArray,
    ax: Axes | None = None,
    boundary: bool = True,
    curves: Sequence[tuple[Callable[[np.ndarray], np.ndarray], str]] = (),
    legend: bool = True,
    colours: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Axes:
    """Draw a regime map as a categorical colour map with a legend and boundary curves.

    Parameters
    ----------
    dataarray : xarray.DataArray
        Result of :func:`richardson.stability_map` with two grid dimensions; the first is
        drawn on the x axis, the second on the y axis.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made if omitted.
    boundary : bool
        Overlay the boundaries of the map as black lines. For a linear (or linearised) map,
        the zero contour of the ``max_real_eig`` coordinate, where the largest growth rate
        changes sign. For a nonlinear map of sampled verdicts (``attrs["method"]`` starting
        with ``"sampled"``) that number is not one growth rate, so the lines are drawn
        between grid cells of different regimes instead.
    curves : sequence of (callable, str)
        Extra curves ``y = f(x)`` (e.g. the analytic boundary ``l = a b / k``) with a label,
        drawn dashed.
    legend : bool
        Show a legend of the regimes present (and of the curves).
    colours : mapping, optional
        Regime name -> colour, overriding :data:`REGIME_COLOURS`.
    title : str, optional
        Axes title; the model name by default.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np, richardson as rd
    >>> mp = rd.stability_map(rd.richardson2(), {"k": np.linspace(0, 2, 41),
    ...                                          "l": np.linspace(0, 2, 41)})
    >>> ax = rd.plot.stability_map(mp)
    """
    if dataarray.ndim != 2:
        raise ValueError(
            f"a stability map plot needs two grid dimensions, got {dataarray.dims}; "
            "select or average the others first"
        )
    palette = dict(REGIME_COLOURS)
    palette.update(colours or {})
    xname, yname = dataarray.dims
    labels = dataarray.transpose(yname, xname).values.astype(str)
    present = [name for name in palette if np.any(labels == name)]
    if not present:
        raise ValueError("the map holds no known regime names")
    codes = np.full(labels.shape, np.nan)
    for index, name in enumerate(present):
        codes[labels == name] = index
    x = np.asarray(dataarray[xname].values, dtype=float)
    y = np.asarray(dataarray[yname].values, dtype=float)
    ax = new_axes(ax)
    with paper_style():
        ax.pcolormesh(
            x,
            y,
            codes,
            shading="nearest",
            vmin=-0.5,
            vmax=len(present) - 0.5,
            cmap=ListedColormap([palette[name] for name in present]),
            rasterized=True,
        )
        handles = [Patch(facecolor=palette[name], label=name.replace("_", " ")) for name in present]
        linear = str(dataarray.attrs.get("method", "linear")).startswith("linear")
        if boundary and linear and "max_real_eig" in dataarray.coords:
            growth = dataarray["max_real_eig"].transpose(yname, xname).values
            if np.nanmin(growth) < 0 < np.nanmax(growth):
                ax.contour(x, y, growth, levels=[0.0], colors="black", linewidths=1.4)
                handles.append(_line_handle("black", "-", "boundary (max Re eig = 0)"))
        elif boundary and not linear and len([n for n in present if n != "failed"]) > 1:
            # failed points are no regime: no boundary is drawn around them
            judged = np.where(labels == "failed", np.nan, codes)
            (line,) = ax.plot(
                *_regime_edges(x, y, judged), color="black", lw=1.4, label="regime boundary"
            )
            line.set_gid("regime-boundary")
            handles.append(line)
        for index, (curve, label) in enumerate(curves):
            with np.errstate(divide="ignore", invalid="ignore"):
                values = curve(x)
            style = ("--", ":", "-.")[index % 3]
            ax.plot(x, values, color="0.15", ls=style, lw=1.3)
            handles.append(_line_handle("0.15", style, label))
        ax.set_xlim(x.min(), x.max())
        ax.set_ylim(y.min(), y.max())
        ax.set_xlabel(_axis_label(dataarray, xname))
        ax.set_ylabel(_axis_label(dataarray, yname))
        ax.grid(False)
        ax.set_title(title if title is not None else dataarray.attrs.get("model", ""))
        if legend:
            ax.legend(handles=handles, loc="upper right", fontsize=8, frameon=True, framealpha=0.9)
    return ax


def _cell_edges(values: np.ndarray) -> np.ndarray:
    """Edges of the cells ``pcolormesh(shading="nearest")`` draws around grid values."""
    if values.size == 1:
        return np.array([values[0] - 0.5, values[0] + 0.5])
    middle = 0.5 * (values[1:] + values[:-1])
    return np.concatenate([[2 * values[0] - middle[0]], middle, [2 * values[-1] - middle[-1]]])


def _regime_edges(x: np.ndarray, y: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cell edges between neighbouring grid points of different regimes, as one
    NaN-separated polyline (``codes`` is indexed [y, x]; NaN cells have no regime)."""
    ex, ey = _cell_edges(x), _cell_edges(y)
    xs: list[float] = []
    ys: list[float] = []
    with np.errstate(invalid="ignore"):  # NaN (no regime) is nobody's neighbour
        across = np.isfinite(codes[:, 1:] + codes[:, :-1]) & (codes[:, 1:] != codes[:, :-1])
        along = np.isfinite(codes[1:, :] + codes[:-1, :]) & (codes[1:, :] != codes[:-1, :])
    rows, columns = np.nonzero(across)  # between x neighbours
    for row, column in zip(rows, columns, strict=True):
        xs += [ex[column + 1], ex[column + 1], np.nan]
        ys += [ey[row], ey[row + 1], np.nan]
    rows, columns = np.nonzero(along)  # between y neighbours
    for row, column in zip(rows, columns, strict=True):
        xs += [ex[column], ex[column + 1], np.nan]
        ys += [ey[row + 1], ey[row + 1], np.nan]
    return np.array(xs, dtype=float), np.array(ys, dtype=float)


def _line_handle(colour: str, style: str, label: str):  # noqa: ANN202
    from matplotlib.lines import Line2D

    return Line2D([0], [0], color=colour, ls=style, lw=1.4, label=label)


def _axis_label(dataarray: xr.DataArray, name: str) -> str:
    attrs = dataarray[name].attrs
    unit = attrs.get("units") or ""
    return f"{name} ({unit})" if unit else name
