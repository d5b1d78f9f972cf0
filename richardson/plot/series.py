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
        for actor in chosen:
            ax.plot(trajectory.time, trajectory.values[:, column[actor]], label=str(actor), lw=1.6)
        if mark_interventions:
            labels: dict[float, list[str]] = {}
            for intervention in trajectory.interventions:
                for moment in intervention.breakpoints():
                    if trajectory.time[0] <= moment <= trajectory.time[-1]:
                        labels.setdefault(moment, []).append(
                            f"{type(intervention).__name__.lower()} {intervention.param}"
                        )
            for moment, texts in labels.items():
                unique = list(dict.fromkeys(texts))
                text = ", ".join(unique)
                if len(text) > 32:  # keep the label inside the axes
                    text = (
                        f"{unique[0][:28]} (+{len(unique) - 1})" if len(unique) > 1 else text[:32]
                    )
                ax.axvline(moment, color="0.4", ls=":", lw=1)
                ax.annotate(
                    text,
                    (moment, 1.0),
                    xycoords=("data", "axes fraction"),
                    rotation=90,
                    va="top",
                    ha="right",
                    fontsize=7,
                    color="0.3",
                )
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
        ax.legend(loc="best", fontsize=8)
    return ax


def _ensemble_series(ensemble, ax, actors, logy, title, members, quantiles):  # noqa: ANN001, ANN202, PLR0913
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

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
        colours = []
        for actor in chosen:
            column = spending.sel(actor=actor).values
            (median,) = ax.plot(
                time, fan.sel(actor=actor).values[2], lw=1.8, label=f"{actor} (median)", zorder=3
            )
            colour = median.get_color()
            colours.append(colour)
            if shown.size:
                ax.plot(time, column[shown].T, color=colour, lw=0.5, alpha=0.15, zorder=1)
            band = fan.sel(actor=actor).values
            ax.fill_between(time, band[0], band[4], color=colour, alpha=0.18, lw=0, zorder=2)
            ax.fill_between(time, band[1], band[3], color=colour, alpha=0.32, lw=0, zorder=2)
        handles, labels = ax.get_legend_handles_labels()
        percent = [f"{100 * q:g}" for q in levels]
        handles += [
            Patch(color="0.5", alpha=0.18, lw=0),
            Patch(color="0.5", alpha=0.32 + 0.18, lw=0),
        ]
        labels += [f"{percent[0]}-{percent[4]}% of members", f"{percent[1]}-{percent[3]}%"]
        if shown.size:
            handles.append(Line2D([], [], color="0.5", lw=0.5, alpha=0.4))
            labels.append(f"members ({shown.size} of {total} drawn)")
        unit = spending.attrs.get("units") or ""
        time_unit = data.attrs.get("time_unit") or ""
        ax.set_xlabel(f"time ({time_unit})" if time_unit else "time")
        ax.set_ylabel(f"spending ({unit})" if unit else "spending")
        if logy:
            ax.set_yscale("log")
        ax.set_title(
            title if title is not None else f"{data.attrs.get('model', '')}: {total} runs".strip()
        )
        ax.legend(handles, labels, loc="best", fontsize=8)
    return ax
