"""Time series of a simulated trajectory, with intervention times marked, or of an ensemble:
its members drawn light under a quantile fan chart."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import ModelError, UnknownSymbolError, did_you_mean
from ..simulation.trajectory import Ensemble
from ._style import new_axes, paper_style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..simulation.trajectory import Trajectory

__all__ = ["time_series"]


def time_series(
    trajectory: Trajectory,
    ax: Axes | None = None,
    actors: list[str] | None = None,
    mark_interventions: bool = True,
    mark_runaway: bool = True,
    logy: bool = False,
    title: str | None = None,
    members: int = 100,
    quantiles: tuple[float, float, float, float, float] = (0.05, 0.25, 0.5, 0.75, 0.95),
) -> Axes:
    """Plot spending over time, one line per actor (an ensemble: members and a fan chart).

    Parameters
    ----------
    trajectory : Trajectory or Ensemble
        Result of :func:`richardson.simulate` or :func:`richardson.iterate`, or of
        :func:`richardson.simulate_ensemble`: each actor's members are drawn as thin light
        lines under its quantile fan chart (outer and inner bands shaded, median drawn).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made if omitted.
    actors : list of str, optional
        Subset of actors to draw (all by default).
    mark_interventions : bool
        Draw a dotted vertical line, labelled, at every intervention time.
    mark_runaway : bool
        Mark the point where spending crossed the ceiling with a red cross.
    logy : bool
        Logarithmic spending axis (useful for runaway growth).
    title : str, optional
        Axes title; the model name by default.
    members : int
        Ensembles: at most this many members are drawn (evenly spaced through the
        ensemble; 0 for the fan chart alone). The quantiles use every member.
    quantiles : five floats
        Ensembles: the outer band, inner band and median, as fractions of the members
        (default 5-95%, 25-75% and the median); stopped members (NaN) are left out.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    UnknownSymbolError
        For an actor that is not in the result.
    ModelError
        For quantiles that are not five increasing fractions.
    """
    if isinstance(trajectory, Ensemble):
        return _ensemble_series(trajectory, ax, actors, logy, title, members, quantiles)
    ax = new_axes(ax)
    chosen = actors or trajectory.actors
    column = {actor: i for i, actor in enumerate(trajectory.actors)}
    for actor in chosen:
        if actor not in column:
            raise UnknownSymbolError(
                f"actor {actor!r} is not in this trajectory{did_you_mean(str(actor), column)}"
            )
    with paper_style():
        series = [
            ax.plot(trajectory.time, trajectory.values[:, column[actor]], label=str(actor), lw=1.6)[
                0
            ]
            for actor in chosen
        ]
        labels: dict[float, list[str]] = {}
        if mark_interventions:
            for intervention in trajectory.interventions:
                moments = intervention.breakpoints()
                for k, moment in enumerate(moments):
                    if trajectory.time[0] <= moment <= trajectory.time[-1]:
                        ends = " ends" if 0 < k == len(moments) - 1 else ""
                        labels.setdefault(moment, []).append(
                            f"{type(intervention).__name__.lower()} {intervention.param}{ends}"
                        )
            for moment in labels:
                ax.axvline(moment, color="0.4", ls=":", lw=1)
        if mark_runaway and trajectory.runaway is not None:
            actor, moment = trajectory.runaway
            level = float(trajectory.values[-1, column[actor]])
            ax.plot([moment], [level], "x", color="crimson", ms=9, mew=2, label="runaway")
        unit = trajectory.attrs.get("state_unit") or ""
        time_unit = trajectory.attrs.get("time_unit") or ""
        ax.set_xlabel(f"time ({time_unit})" if time_unit else "time")
        ax.set_ylabel(f"spending ({unit})" if unit else "spending")
        if logy:
            ax.set_yscale("log")
        ax.set_title(title if title is not None else trajectory.attrs.get("model", ""))
        _label_interventions(ax, sorted(labels.items()))  # once the axes have their size
        _dash_hidden(ax, series)
        ax.legend(loc="best", fontsize=8)
    return ax


#: Where an intervention label may go, in order of preference: (vertical, horizontal
#: alignment; "right" puts the label left of its line); then slid down its line.
_PLACES = (("top", "right"), ("top", "left"), ("bottom", "right"), ("bottom", "left"))
_LABEL_SIZE = 7.0  # points
_SLIDES = 12  # heights tried between the top and the bottom of the axes
_AIR = 3.0  # points kept between a label and a plotted series


def _dash_hidden(ax, lines) -> None:  # noqa: ANN001
    """Dash a series drawn on top of an earlier one all along (within a pixel), so that both
    show and its legend entry stands for something visible."""
    ax.autoscale_view()
    solid = []
    for line in lines:
        xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
        if any(_same_pixels(xy, other) for other in solid):
            line.set_linestyle((0, (4, 3)))
        else:
            solid.append(xy)


def _same_pixels(xy: np.ndarray, other: np.ndarray) -> bool:
    if xy.shape != other.shape:
        return False
    both = np.all(np.isfinite(xy), axis=1) & np.all(np.isfinite(other), axis=1)
    return bool(both.any() and np.all(np.abs(xy[both] - other[both]) <= 1.0))


def _short(texts: list[str], limit: int = 44) -> str:
    """The labels of one place, joined and kept inside ``limit`` characters."""
    unique = list(dict.fromkeys(texts))
    # a change that starts and ends within one label is named once
    unique = [t for t in unique if not (t.endswith(" ends") and t[:-5] in unique)]
    text = ", ".join(unique)
    if len(text) <= limit:
        return text
    keep = limit - 6
    first, ends = unique[0], ""
    if len(first) > keep:  # the parameter's name is cut, not the word "ends"
        first, ends = (first[:-5], " ends") if first.endswith(" ends") else (first, "")
        first = first[: keep - 1 - len(ends)] + "\u2026" + ends
    return f"{first} (+{len(unique) - 1})" if len(unique) > 1 else first


def _clusters(ax, marks) -> list[tuple[float, list[str]]]:  # noqa: ANN001
    """Intervention times closer on the drawn axis than a label is thick share one label."""
    thickness = 1.6 * _LABEL_SIZE * ax.figure.dpi / 72.0  # pixels, with room between labels
    groups: list[list[tuple[float, list[str]]]] = []
    last = -np.inf
    for moment, texts in marks:
        where = ax.transData.transform((moment, 0.0))[0]
        if groups and where - last < thickness:
            groups[-1].append((moment, texts))
        else:
            groups.append([(moment, texts)])
        last = where
    return [
        (float(np.mean([m for m, _ in group])), [t for _, ts in group for t in ts])
        for group in groups
    ]


def _heights(box) -> list[float]:  # noqa: ANN001
    """Shifts (axes fraction) that move a label hung from the top of the axes down its line:
    none, to the bottom, then the heights in between."""
    lowest = 0.008 - box.y0
    if lowest >= 0:
        return [0.0]
    middle = list(np.linspace(0.0, lowest, _SLIDES)[1:-1])
    return [0.0, lowest, *middle]


def _label_interventions(ax, marks) -> None:  # noqa: ANN001
    """Write the intervention labels along their lines: times too close to tell apart share a
    label; each goes to the first place beside its line (top, bottom, then slid between) that
    overlaps neither a label already placed nor the plotted series, in a shortened wording if
    the full one fits nowhere; else to the first place that overlaps no label."""
    if not marks:
        return
    canvas = ax.figure.canvas
    renderer = canvas.get_renderer() if hasattr(canvas, "get_renderer") else None
    ax.autoscale_view()  # the limits, hence the places, the figure will be drawn with
    engine = ax.figure.get_layout_engine()
    if renderer is not None and engine is not None:
        engine.execute(ax.figure)  # the axes' final size on the figure
    data = _series_points(ax)
    size = ax.get_window_extent().size  # pixels
    air = _AIR * ax.figure.dpi / 72.0
    pad = (air / 3 / max(size[0], 1.0), air / max(size[1], 1.0))  # less beside: its own line
    placed = []  # boxes in axes fraction
    for moment, texts in _clusters(ax, marks):
        # the full wording, a shorter one, the parameters alone ("g_Russia ends")
        bare = [t.split(" ", 1)[-1] for t in texts]
        wordings = list(dict.fromkeys([_short(texts), _short(texts, 26), _short(bare, 20)]))
        label = ax.annotate(
            wordings[0],
            (moment, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(-2, -2),
            textcoords="offset points",
            rotation=90,
            va="top",
            ha="right",
            fontsize=_LABEL_SIZE,
            color="0.3",
        )
        if renderer is None:
            continue
        options = []  # (preference, wording, side, box, free of labels, free of both)
        for w, wording in enumerate(wordings):
            label.set_text(wording)
            for k, side in enumerate(("right", "left")):
                label.set_ha(side)
                label.set_position((-2 if side == "right" else 2, -2))
                box = label.get_window_extent(renderer).transformed(ax.transAxes.inverted())
                # the full wording first: at the top, at the bottom, then slid between
                for j, shift in enumerate(_heights(box)):
                    moved = box.translated(0.0, shift)
                    free = not any(_touch(moved, other) for other in placed)
                    clear = free and not _covers(moved, data, pad)
                    options.append(((w, j, k), wording, side, shift, moved, free, clear))
        options.sort(key=lambda option: option[0])
        chosen = next((o for o in options if o[6]), None)
        if chosen is None:  # no place clears the series: the full wording, on a white ground
            chosen = next((o for o in options if o[5]), None) or options[0]
            label.set_bbox({"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 0.5})
        _, wording, side, shift, box, _, _ = chosen
        label.set_text(wording)
        label.set_ha(side)
        label.set_position((-2 if side == "right" else 2, -2))
        label.xy = (moment, 1.0 + shift)
        placed.append(box)


def _series_points(ax) -> np.ndarray:  # noqa: ANN001
    """Points along the plotted series (not vertical marker lines), in axes fraction: the
    vertices, and between two far apart enough points that a label cannot slip between."""
    to_axes = ax.transAxes.inverted()
    points = [np.empty((0, 2))]
    for line in ax.get_lines():
        xy = np.asarray(line.get_xydata(), dtype=float)
        if xy.size == 0 or np.ptp(xy[:, 0]) == 0:
            continue  # an intervention's vertical line
        xy = to_axes.transform(line.get_transform().transform(xy))
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        if len(xy) > 1:
            steps = np.ceil(np.hypot(*np.diff(xy, axis=0).T) / 0.004).astype(int).clip(1, 1000)
            start = np.repeat(xy[:-1], steps, axis=0)
            fraction = np.concatenate([np.arange(n) / n for n in steps])[:, None]
            xy = np.vstack(
                [start + fraction * np.repeat(np.diff(xy, axis=0), steps, axis=0), xy[-1:]]
            )
        points.append(xy)
    return np.concatenate(points)


def _covers(box, points: np.ndarray, pad: tuple[float, float] = (0.0, 0.0)) -> bool:  # noqa: ANN001
    """Whether a point lies in ``box`` grown by ``pad`` (axes fraction: half a line's width
    and some air)."""
    inside = (
        (points[:, 0] >= box.x0 - pad[0])
        & (points[:, 0] <= box.x1 + pad[0])
        & (points[:, 1] >= box.y0 - pad[1])
        & (points[:, 1] <= box.y1 + pad[1])
    )
    return bool(np.any(inside))


def _touch(box, other, gap: float = 0.004) -> bool:  # noqa: ANN001
    return (
        box.x0 < other.x1 + gap
        and other.x0 < box.x1 + gap
        and box.y0 < other.y1 + gap
        and other.y0 < box.y1 + gap
    )


def _ensemble_series(ensemble, ax, actors, logy, title, members, quantiles):  # noqa: ANN001, ANN202, PLR0913

    levels = np.asarray(quantiles, dtype=float)
    if levels.shape != (5,) or not np.all(np.diff(levels) > 0) or levels[0] < 0 or levels[-1] > 1:
        raise ModelError(
            f"quantiles must be five increasing fractions between 0 and 1 (outer band, inner "
            f"band, median), not {quantiles!r}"
        )
    data = ensemble.data
    names = [str(a) for a in data["actor"].values]
    chosen = list(actors or names)
    for actor in chosen:
        if actor not in names:
            raise UnknownSymbolError(
                f"actor {actor!r} is not in this ensemble{did_you_mean(str(actor), names)}"
            )
    time = data["time"].values
    spending = data["spending"]
    total = data.sizes["member"]
    shown = np.unique(np.linspace(0, total - 1, min(int(members), total)).round().astype(int))
    fan = ensemble.quantiles(levels)
    ax = new_axes(ax)
    with paper_style():
        percent = [f"{100 * q:g}" for q in levels]
        for first, actor in enumerate(chosen):
            # the bands and members of the first actor carry the legend entries (the others'
            # look the same in their own colour)
            column = spending.sel(actor=actor).values
            (median,) = ax.plot(
                time, fan.sel(actor=actor).values[2], lw=1.8, label=f"{actor} (median)", zorder=3
            )
            colour = median.get_color()
            if shown.size:
                lines = ax.plot(time, column[shown].T, color=colour, lw=0.5, alpha=0.15, zorder=1)
                if first == 0:
                    lines[0].set_label(f"members ({shown.size} of {total} drawn)")
            band = fan.sel(actor=actor).values
            outer = f"{percent[0]}-{percent[4]}% of members" if first == 0 else None
            inner = f"{percent[1]}-{percent[3]}%" if first == 0 else None
            ax.fill_between(
                time, band[0], band[4], color=colour, alpha=0.18, lw=0, zorder=2, label=outer
            )
            ax.fill_between(
                time, band[1], band[3], color=colour, alpha=0.32, lw=0, zorder=2, label=inner
            )
        unit = spending.attrs.get("units") or ""
        time_unit = data.attrs.get("time_unit") or ""
        ax.set_xlabel(f"time ({time_unit})" if time_unit else "time")
        ax.set_ylabel(f"spending ({unit})" if unit else "spending")
        if logy:
            ax.set_yscale("log")
        ax.set_title(
            title if title is not None else f"{data.attrs.get('model', '')}: {total} runs".strip()
        )
        ax.legend(loc="best", fontsize=8)
    return ax
