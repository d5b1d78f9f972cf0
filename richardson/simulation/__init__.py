"""Stage 3, simulation: one run (:mod:`.integrate`), ensembles as one batched system
(:mod:`.ensemble`), shocks (:mod:`.stochastic`), orbits of maps (:mod:`.iteration`) and
their results (:mod:`.trajectory`).

:meth:`Trajectory.plot` and :meth:`Ensemble.plot` import the plot stage lazily, the only
upward dependency of this stage.
"""

from .ensemble import grid, simulate_ensemble
from .integrate import GUARD_FACTOR, METHODS, simulate
from .iteration import iterate
from .stochastic import simulate_sde
from .trajectory import Ensemble, Runaway, Trajectory

__all__ = [
    "GUARD_FACTOR",
    "METHODS",
    "Ensemble",
    "Runaway",
    "Trajectory",
    "grid",
    "iterate",
    "simulate",
    "simulate_ensemble",
    "simulate_sde",
]
