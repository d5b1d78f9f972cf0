"""Time series of a simulated trajectory, with intervention times marked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import UnknownSymbolError, did_you_mean
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
) -> Axes:
    """Plot spending over time, one line per actor.

    Parameters
    ----------
    trajectory : Trajectory
        Result of :func:`richardson.simulate` or :func:`richardson.iterate`.
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

    Returns
    -------
    matplotlib.axes.Axes
    """
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
