"""Paper-ready defaults, applied with a context manager (never at import)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import matplotlib.pyplot as plt

PAPER_STYLE = {
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "font.size": 10,
    "axes.titlesize": 11,
    "legend.frameon": False,
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
}


@contextlib.contextmanager
def paper_style() -> Iterator[None]:
    """Temporarily apply the paper style."""
    with plt.rc_context(PAPER_STYLE):
        yield


def new_axes(ax=None, figsize=(6.0, 4.0)):  # noqa: ANN001, ANN201
    """Return ``ax`` or a fresh axes on a new figure."""
    if ax is not None:
        return ax
    # The figure is made outside rc_context: pyplot may set up its backend (and, in Jupyter,
    # interactive mode) on the first figure, and leaving the context would undo that.
    # Constrained layout keeps titles, labels and a legend outside the axes on the canvas.
    figure = plt.figure(figsize=figsize, dpi=PAPER_STYLE["figure.dpi"], layout="constrained")
    with paper_style():
        ax = figure.add_subplot()
    return ax
