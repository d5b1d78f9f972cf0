"""Figures for every result: time series, quantile bands of ensembles, phase portraits,
stability maps, bifurcation diagrams, fits and orbit diagrams.

Every function takes an optional matplotlib ``ax``, draws on it and returns it; nothing
changes global matplotlib state (styles are applied with a context manager).
"""

from __future__ import annotations

from .bands import quantile_bands
from .bifurcation import bifurcation_curves, bifurcation_diagram, orbit_diagram
from .fitplot import bootstrap_margin, fit
from .maps import stability_map
from .phase import phase_portrait
from .sensitivity import sensitivity_indices
from .series import time_series

__all__ = [
    "bifurcation_curves",
    "bifurcation_diagram",
    "bootstrap_margin",
    "fit",
    "orbit_diagram",
    "phase_portrait",
    "quantile_bands",
    "sensitivity_indices",
    "stability_map",
    "time_series",
]
