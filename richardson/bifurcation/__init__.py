"""Stage 4, bifurcation: continuation of equilibria and their special points.

:func:`continuation` (:mod:`.branches`) follows a branch by pseudo-arclength curve tracing
(:mod:`.tracing`) and detects folds, Hopf, branch, flip and Neimark-Sacker points
(:mod:`.detection`); :func:`continue_bifurcation` (:mod:`.curves`) follows a fold or Hopf
point in two parameters; :mod:`.maps` gives orbit diagrams and Lyapunov exponents of maps.
Results are in :mod:`.results`. ``.plot()`` methods import the plot stage lazily, the only
upward dependency of this stage.
"""

from .branches import continuation
from .curves import BifurcationCurve, CodimTwoPoint, continue_bifurcation
from .detection import BIFURCATION_KINDS
from .maps import OrbitDiagram, lyapunov_exponents, orbit_diagram
from .results import Bifurcation, Branch

__all__ = [
    "BIFURCATION_KINDS",
    "Bifurcation",
    "BifurcationCurve",
    "Branch",
    "CodimTwoPoint",
    "OrbitDiagram",
    "continuation",
    "continue_bifurcation",
    "lyapunov_exponents",
    "orbit_diagram",
]
