"""Figures for every result: time series, phase portraits, stability maps, bifurcation
diagrams, fits and orbit diagrams.

Every function takes an optional matplotlib ``ax``, draws on it and returns it; nothing
changes global matplotlib state (styles are applied with a context manager).
"""

from __future__ import annotations

from .fitplot import bootstrap_margin, fit
from .maps import stability_map
from .series import time_series

__all__ = ["bootstrap_margin", "fit", "stability_map", "time_series"]
