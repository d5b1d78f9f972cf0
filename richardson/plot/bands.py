"""Quantile bands of an ensemble (paths under shocks, or parameter sets): nested shaded bands
around the median, one colour per actor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import UnknownSymbolError, did_you_mean
from ._style import new_axes, paper_style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..simulation.trajectory import Ensemble

__all__ = ["quantile_bands"]


def quantile_bands(
    ensemble: Ensemble,
    ax: Axes | None = None,
    actors: Sequence[str] | None = None,
    levels: Sequence[float] = (0.05, 0.25),
    logy: bool = False,
    title: str | None = None,
) -> Axes:
    """Plot the median of each actor's spending with nested quantile bands.

    Parameters
    ----------
    ensemble : Ensemble
        Result of :func:`richardson.simulate_sde` or :func:`richardson.simulate_ensemble`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made if omitted.
    actors : sequence of str, optional
        Actors to draw (all by default).
    levels : sequence of float
        Lower quantile levels below 0.5; each gives the band from ``q`` to ``1 - q`` (the
        default draws the 5-95% and 25-75% bands), shaded lighter the wider it is.
    logy : bool
        Logarithmic spending axis.
    title : str, optional
        Axes title; the number of members and the bands by default.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    UnknownSymbolError
        For an actor not in the ensemble.
    ValueError
        For a level outside ``(0, 0.5)``.
    """
    lows = sorted(float(q) for q in levels)
    if any(not 0 < q < 0.5 for q in lows):
        raise ValueError(f"levels must lie in (0, 0.5), not {list(levels)!r}")
    names = [str(a) for a in ensemble.data["actor"].values]
    chosen = list(actors) if actors is not None else names
    for actor in chosen:
        if actor not in names:
            raise UnknownSymbolError(
                f"actor {actor!r} is not in this ensemble{did_you_mean(str(actor), names)}"
            )
    bands = ensemble.quantiles([*lows, 0.5, *(1 - q for q in reversed(lows))])
    time = ensemble.data["time"].values
    ax = new_axes(ax)
    with paper_style():
        for actor in chosen:
            column = bands.sel(actor=actor).values  # (quantile, time)
            (line,) = ax.plot(time, column[len(lows)], lw=1.6, label=f"{actor} (median)")
            for i, _ in enumerate(lows):
                alpha = 0.15 + 0.25 * i / max(1, len(lows) - 1) if len(lows) > 1 else 0.25
                ax.fill_between(
                    time, column[i], column[-1 - i], color=line.get_color(), alpha=alpha, lw=0
                )
        spread = ", ".join(f"{100 * q:g}-{100 * (1 - q):g}%" for q in lows)
        ax.set_xlabel(f"time ({ensemble.data.attrs.get('time_unit', '')})".replace(" ()", ""))
        units = ensemble.data["spending"].attrs.get("units", "")
        ax.set_ylabel(f"spending ({units})" if units else "spending")
        if logy:
            ax.set_yscale("log")
        count = ensemble.data.sizes["member"]
        ax.set_title(title if title is not None else f"{count} paths: median and {spread} bands")
        if len(chosen) <= 12:
            ax.legend(loc="best", fontsize=8)
    return ax
