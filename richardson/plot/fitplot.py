"""Fits: data, fitted trajectory and confidence band; bootstrap distribution of the margin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.ticker import MaxNLocator

from ..errors import FitError, RichardsonError
from ._style import new_axes, paper_style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..fitting.resampling import BootstrapResult
    from ..fitting.result import FitResult

__all__ = ["fit", "bootstrap_margin"]


def fit(
    result: FitResult,
    ax: Axes | None = None,
    band: bool = True,
    level: float = 0.95,
    bootstrap: BootstrapResult | None = None,
    logy: bool = False,
    title: str | None = None,
    n_samples: int = 300,
    seed: int = 0,
) -> Axes:
    """Plot the data (markers), the fitted trajectory (lines) and a confidence band.

    Parameters
    ----------
    result : FitResult
        A fit from :func:`richardson.fit`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made if omitted.
    band : bool
        Shade the pointwise confidence band of the trajectory (see :meth:`FitResult.band`).
    level : float
        Coverage of the band (0-1).
    bootstrap : BootstrapResult, optional
        Take the band's parameter sets from this bootstrap (converged resamples) instead of
        the normal approximation of the estimates.
    logy : bool
        Logarithmic spending axis.
    title : str, optional
        Axes title; the model name and the regime verdict by default.
    n_samples : int
        Parameter draws for the band (normal approximation).
    seed : int
        Seed of those draws.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = new_axes(ax)
    data = result.data
    samples = None
    if bootstrap is not None:
        samples = bootstrap.samples[bootstrap.converged].reset_index(drop=True)
    with paper_style():
        colours = [f"C{i}" for i in range(len(data.columns))]
        if band:
            try:
                frames = result.band(level=level, n_samples=n_samples, seed=seed, samples=samples)
            except RichardsonError as err:  # e.g. no finite covariance: say so on the figure
                frames = None
                ax.annotate(f"no band: {err}", (0.01, 0.01), xycoords="axes fraction", fontsize=7)
            if frames is not None:
                for colour, actor in zip(colours, data.columns, strict=True):
                    ax.fill_between(
                        frames["lower"].index,
                        frames["lower"][actor],
                        frames["upper"][actor],
                        color=colour,
                        alpha=0.18,
                        lw=0,
                    )
        trajectory = result.trajectory()
        for colour, actor in zip(colours, data.columns, strict=True):
            ax.plot(data.index, data[actor], "o", ms=3.5, color=colour, label=f"{actor} (data)")
            ax.plot(
                trajectory.time,
                trajectory.data["spending"].sel(actor=actor).values,
                color=colour,
                lw=1.6,
                label=f"{actor} (fit)",
            )
        unit = data.attrs.get("units") or result.model.state_unit
        ax.set_xlabel("year")
        # the series say what they count (military personnel before 1914, for instance)
        measure = str(data.attrs.get("measure", data.attrs.get("variable")))
        quantity = {"milper": "military personnel", "cinc": "capability"}.get(measure, "spending")
        ax.set_ylabel(f"{quantity} ({unit})" if unit else quantity)
        if logy:
            ax.set_yscale("log")
        if title is None:
            verdict = getattr(result.regime, "name", None)
            title = f"{result.model.name or 'model'} ({result.method} fit)"
            if verdict:
                title += f": {verdict.replace('_', ' ')}"
        ax.set_title(title)
        if band:
            ax.annotate(
                f"band: {100 * level:g}% "
                + ("bootstrap" if bootstrap is not None else "from the estimates' covariance"),
                (0.99, 0.01),
                xycoords="axes fraction",
                ha="right",
                fontsize=7,
                color="0.35",
            )
        ax.legend(loc="best", fontsize=7)
    return ax


def bootstrap_margin(
    result: BootstrapResult,
    ax: Axes | None = None,
    bins: int = 30,
    title: str | None = None,
    **hist_options: Any,
) -> Axes:
    """Histogram of the bootstrap distribution of the escalation margin.

    Resamples without a finite margin (no regime change within the search range) cannot be
    drawn on the axis; their share is written on the figure, with ``P(runaway)``.

    Parameters
    ----------
    result : BootstrapResult
        From :meth:`FitResult.bootstrap` with ``margins=True``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made if omitted.
    bins : int
        Histogram bins.
    title : str, optional
        Axes title.
    **hist_options
        Passed to ``Axes.hist``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = new_axes(ax)
    if result.margins is None:
        raise FitError(
            f"no escalation margins to draw. {result.withheld}"
            if result.withheld
            else "this bootstrap has no margins; run it with margins=True"
        )
    values = result.margins[result.converged]
    finite = values[np.isfinite(values)]
    with paper_style():
        if finite.size:
            ax.hist(100 * finite, bins=bins, color="C3", alpha=0.75, **hist_options)
        estimate = getattr(result.fit.escalation, "margin", None)
        if estimate is not None and np.isfinite(estimate):
            ax.axvline(100 * estimate, color="k", lw=1.2, ls="--", label="fitted")
            ax.legend(loc="upper right", fontsize=8)
        text = f"{np.mean(~np.isfinite(values)):.0%} of resamples: no regime change within range"
        if result.regimes is not None:
            text += f"\nP(runaway) = {result.p_runaway:.2f}"
        ax.annotate(text, (0.98, 0.75), xycoords="axes fraction", ha="right", fontsize=8)
        ax.set_xlabel("escalation margin (% change of the parameters)")
        ax.set_ylabel("resamples")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts, never 1.25 resamples
        ax.set_title(
            title
            if title is not None
            else f"Bootstrap of the escalation margin ({result.n} resamples)"
        )
    return ax
