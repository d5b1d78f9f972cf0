"""Bifurcation diagrams, two-parameter curves and orbit diagrams."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._style import new_axes, paper_style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..bifurcation.curves import BifurcationCurve
    from ..bifurcation.maps import OrbitDiagram
    from ..bifurcation.results import Branch

__all__ = ["bifurcation_diagram", "bifurcation_curves", "orbit_diagram", "MARKERS"]

#: Marker style of each kind of special point.
MARKERS = {
    "fold": dict(marker="o", color="crimson", label="fold (trigger point)"),
    "hopf": dict(marker="*", color="darkorange", label="Hopf", markersize=12),
    "branch": dict(marker="D", color="purple", label="branch point"),
    "flip": dict(marker="v", color="teal", label="flip (period doubling)"),
    "neimark_sacker": dict(marker="^", color="olive", label="Neimark-Sacker"),
    "cusp": dict(marker="P", color="black", label="cusp", markersize=10),
    "bogdanov_takens": dict(marker="X", color="navy", label="Bogdanov-Takens", markersize=10),
}


def _state_values(
    branch: Branch, state: Any
) -> tuple[np.ndarray, str, Callable[[np.ndarray], float]]:
    names = list(branch.points["state_name"].values)
    actors = list(branch.points["actor"].values)
    matrix = branch.points["state"].values
    if callable(state):
        values = np.array([state(row) for row in matrix])
        return values, getattr(state, "__name__", "state"), state
    if state is None:
        state = names[0]
    if isinstance(state, (int, np.integer)):
        column = int(state)
    elif state in names:
        column = names.index(state)
    elif state in actors:
        column = actors.index(state)
    else:
        from ..errors import UnknownSymbolError, did_you_mean

        raise UnknownSymbolError(
            f"state={state!r} is not a state of the model{did_you_mean(str(state), names)}"
        )
    return matrix[:, column], actors[column], lambda row: row[column]


def bifurcation_diagram(
    branch: Branch | Sequence[Branch],
    ax: Axes | None = None,
    state: str | int | Callable[[np.ndarray], float] | None = None,
    color: str = "C0",
    label: str | None = None,
    mark: bool = True,
    title: str | None = None,
) -> Axes:
    """Plot equilibria against the continuation parameter: stable solid, unstable dashed.

    Parameters
    ----------
    branch : Branch or sequence of Branch
        Result(s) of :func:`richardson.continuation` (e.g. a branch and the one switched to
        at its branch point), drawn on the same axes.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made if omitted.
    state : str, int or callable, optional
        Which state goes on the vertical axis: a state or actor name, an index, or a function
        of the state vector (e.g. total spending ``sum``); the first state by default.
    color : str
        Line colour.
    label : str, optional
        Legend label of the (stable part of the) branch.
    mark : bool
        Mark fold, Hopf, branch, flip and Neimark-Sacker points.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    branches = [branch] if hasattr(branch, "points") else list(branch)
    ax = new_axes(ax)
    seen: set[str] = set()
    with paper_style():
        for item in branches:
            values, name, pick = _state_values(item, state)
            parameter = item.points["parameter"].values
            stable = item.points["stable"].values
            for flag, style in ((True, "-"), (False, "--")):
                shown = np.where(stable == flag, values, np.nan)
                # join each stable/unstable run to its neighbours so that the line is continuous
                edges = np.flatnonzero(np.diff(stable.astype(int)) != 0)
                for edge in edges:
                    if stable[edge] != flag:
                        shown[edge] = values[edge]
                    else:
                        shown[edge + 1] = values[edge + 1]
                # each style is named once, by the first branch that draws some of it
                text = (label or "stable") if flag else "unstable"
                if text in seen or not np.isfinite(shown).any():
                    text = None
                else:
                    seen.add(text)
                ax.plot(parameter, shown, style, color=color, lw=1.8 if flag else 1.3, label=text)
            if mark:
                for point in item.bifurcations:
                    style = dict(MARKERS.get(point.kind, {"marker": "o", "color": "k"}))
                    text = style.pop("label", point.kind)
                    ax.plot(
                        [point.parameter],
                        [pick(np.asarray(point.state))],
                        ls="none",
                        markeredgecolor="k",
                        zorder=5,
                        label=None if text in seen else text,
                        **style,
                    )
                    seen.add(text)
        first = branches[0]
        unit = first.model.state_unit
        ax.set_xlabel(first.param)
        ax.set_ylabel(f"{name} ({unit})" if unit else str(name))
        if title is not None:
            ax.set_title(title)
        ax.legend(loc="best", fontsize=8)
    return ax


def bifurcation_curves(
    curves: BifurcationCurve | Sequence[BifurcationCurve],
    ax: Axes | None = None,
    x: str | None = None,
    color: str | None = None,
    label: str | None = None,
    mark: bool = True,
    neutral_saddles: bool = False,
) -> Axes:
    """Draw two-parameter fold / Hopf / flip curves, e.g. over a stability map.

    The axes are not cleared and their limits are kept when they already hold a plot, so the
    curves can be overlaid on a stability map made by :func:`richardson.plot.stability_map`
    as the exact regime boundaries.

    Parameters
    ----------
    curves : BifurcationCurve or sequence of them
        Results of :func:`richardson.continue_bifurcation`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (e.g. the one returned by a stability map); new if omitted.
    x : str, optional
        Parameter on the horizontal axis; by default the first parameter of the first curve.
    color : str, optional
        Line colour; by default fold curves are red, Hopf curves orange, flip curves teal.
    label : str, optional
        Legend label (default: the curve kind).
    mark : bool
        Mark cusp and Bogdanov-Takens points.
    neutral_saddles : bool
        Also draw the neutral-saddle part of Hopf curves (dotted); hidden by default.

    Returns
    -------
    matplotlib.axes.Axes
    """
    items = [curves] if hasattr(curves, "points") else list(curves)
    had_data = ax is not None and bool(ax.has_data())
    ax = new_axes(ax)
    limits = (ax.get_xlim(), ax.get_ylim())
    defaults = {"fold": "crimson", "hopf": "darkorange", "flip": "teal"}
    seen: set[str] = set()
    with paper_style():
        horizontal = x or items[0].params[0]
        for curve in items:
            if horizontal not in curve.params:
                from ..errors import ContinuationError

                raise ContinuationError(
                    f"x={horizontal!r} is not one of the curve's parameters {curve.params}"
                )
            vertical = curve.params[1 - curve.params.index(horizontal)]
            hx, vy = curve.values(horizontal), curve.values(vertical)
            shade = color or defaults.get(curve.kind, "k")
            text = label or f"{curve.kind} curve"
            if curve.kind == "hopf":
                saddle = curve.points["neutral_saddle"].values
                ax.plot(
                    hx,
                    np.where(saddle, np.nan, vy),
                    "-",
                    color=shade,
                    lw=2,
                    label=None if text in seen else text,
                )
                if neutral_saddles:
                    ax.plot(
                        hx,
                        np.where(saddle, vy, np.nan),
                        ":",
                        color=shade,
                        lw=1,
                        label="neutral saddle",
                    )
            else:
                ax.plot(hx, vy, "-", color=shade, lw=2, label=None if text in seen else text)
            seen.add(text)
            if mark:
                for point in curve.special_points:
                    style = dict(MARKERS.get(point.kind, {"marker": "o", "color": "k"}))
                    name = style.pop("label", point.kind)
                    ax.plot(
                        [point.params[horizontal]],
                        [point.params[vertical]],
                        ls="none",
                        markeredgecolor="k",
                        zorder=6,
                        label=None if name in seen else name,
                        **style,
                    )
                    seen.add(name)
        if had_data:
            ax.set_xlim(*limits[0])
            ax.set_ylim(*limits[1])
        else:
            ax.set_xlabel(horizontal)
            ax.set_ylabel(vertical)
        _extend_legend(ax)
    return ax


def _extend_legend(ax) -> None:  # noqa: ANN001
    """Add the labelled artists to the axes' legend, keeping entries drawn with explicit
    handles (a stability map's regime patches) instead of replacing them, and its frame (on a
    map, a swatch without one is lost on the region of its own colour). A label drawn twice
    (two fold curves) is listed once."""
    old = ax.get_legend()
    handles, labels = ax.get_legend_handles_labels()
    frame = {}
    if old is not None:
        kept = [
            (h, t.get_text())
            for h, t in zip(old.legend_handles, old.get_texts(), strict=True)
            if t.get_text() not in labels
        ]
        handles = [h for h, _ in kept] + handles
        labels = [t for _, t in kept] + labels
        if old.get_frame_on():
            frame = {"frameon": True, "framealpha": old.get_frame().get_alpha() or 0.9}
    unique = {}
    for handle, label in zip(handles, labels, strict=True):
        unique.setdefault(label, handle)  # the first of each label's handles
    ax.legend(list(unique.values()), list(unique), loc="best", fontsize=8, **frame)


def orbit_diagram(
    diagram: OrbitDiagram,
    ax: Axes | None = None,
    state: str | int | None = None,
    markersize: float = 1.0,
    color: str = "k",
    title: str | None = None,
) -> Axes:
    """Scatter the long-run states of a map against the parameter (the classic orbit diagram).

    Parameters
    ----------
    diagram : OrbitDiagram
        Result of :func:`richardson.orbit_diagram`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made if omitted.
    state : str or int, optional
        Which state to show (name, actor name or index); the first by default.
    markersize : float
        Size of each dot (points).
    color : str
        Dot colour.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    data = diagram.data
    names = list(data["state_name"].values)
    actors = list(data["actor"].values)
    if state is None:
        column = 0
    elif isinstance(state, (int, np.integer)):
        column = int(state)
    elif state in names:
        column = names.index(state)
    elif state in actors:
        column = actors.index(state)
    else:
        from ..errors import UnknownSymbolError, did_you_mean

        raise UnknownSymbolError(f"state={state!r} is not a state{did_you_mean(str(state), names)}")
    values = data["state"].values[:, :, column]
    grid = np.repeat(data["value"].values[:, None], values.shape[1], axis=1)
    ax = new_axes(ax, figsize=(7.0, 4.0))
    with paper_style():
        ax.plot(
            grid.ravel(),
            values.ravel(),
            ls="none",
            marker=".",
            color=color,
            ms=markersize,
            alpha=0.5,
            mew=0,
        )
        ax.set_xlabel(diagram.param)
        unit = data["state"].attrs.get("units", "")
        ax.set_ylabel(f"{actors[column]} ({unit})" if unit else str(actors[column]))
        if title is not None:
            ax.set_title(title)
    return ax
