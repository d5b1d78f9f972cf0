"""Global sensitivity indices: bars with their confidence intervals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._style import new_axes, paper_style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["sensitivity_indices"]


def sensitivity_indices(result: Any, output: str | None = None, ax: Axes | None = None) -> Axes:
    """Draw the indices of one output of :func:`richardson.sensitivity`.

    Sobol and FAST: first-order (S1) and total (ST) index of each parameter as paired
    horizontal bars with their confidence intervals, parameters ranked by ST. Morris:
    mu* with its interval and sigma.

    Parameters
    ----------
    result : SensitivityResult
        The result to draw.
    output : str, optional
        Which output (default: the first).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made if omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import richardson as rd
    >>> r = rd.sensitivity(rd.richardson2(), {"k": (0.5, 1.5), "a": (0.8, 1.2)}, n=64,
    ...                    progress=False)
    >>> ax = rd.plot.sensitivity_indices(r)
    """
    output = result.outputs[0] if output is None else output
    ranked = list(result.ranking(output).index)[::-1]  # largest at the top
    row = result.indices.sel(output=output, parameter=ranked)
    if result.method == "morris":
        bars = [("mu_star", "mu_star_conf", "mu*", "#1565c0"), ("sigma", None, "sigma", "#90a4ae")]
        xlabel = f"elementary effect on {output} (per full range)"
    else:
        bars = [
            ("S1", "S1_conf", "S1 (alone)", "#90caf9"),
            ("ST", "ST_conf", "ST (total)", "#1565c0"),
        ]
        xlabel = f"share of the variance of {output}"
    ax = new_axes(ax, figsize=(6.0, 1.2 + 0.45 * len(ranked)))
    position = np.arange(len(ranked), dtype=float)
    height = 0.38
    with paper_style():
        for offset, (key, conf, label, colour) in zip((-height / 2, height / 2), bars, strict=True):
            values = row[key].to_numpy()
            errors = row[conf].to_numpy() if conf else None
            ax.barh(
                position + offset,
                values,
                height=height,
                xerr=errors,
                color=colour,
                label=label,
                error_kw={"ecolor": "0.2", "capsize": 2, "lw": 0.8},
            )
        ax.set_yticks(position, ranked)
        ax.axvline(0.0, color="0.3", lw=0.8)
        ax.set_xlabel(xlabel)
        ax.set_title(f"{result.attrs['model']}: what drives {output} ({result.method})")
        ax.legend(loc="lower right")
    return ax
