"""richardson: arms-race and alliance-escalation models, from symbols to verdicts.

Build Richardson-type models symbolically, compile them to fast batched numpy code,
simulate single runs, ensembles and interventions, and analyse them.
"""

from __future__ import annotations

from . import data, plot
from .alliance import alliance_model
from .bootstrap import BootstrapResult, bootstrap
from .codegen import BoundSystem, CompiledModel, compile_model
from .codim2 import BifurcationCurve, CodimTwoPoint, continue_bifurcation
from .conditions import StabilityConditions, stability_conditions
from .continuation import Bifurcation, Branch, continuation
from .errors import (
    ContinuationError,
    DataError,
    DimensionMismatchError,
    DuplicateNameError,
    FitError,
    InvalidParameterError,
    ModelError,
    ModelFileError,
    RichardsonError,
    RichardsonWarning,
    SimulationError,
    UnknownSymbolError,
)
from .families import richardson2, richardson_n
from .fit import FitResult, fit, richardson_total
from .interventions import Pulse, Ramp, Step, pulse, ramp, step
from .io import load_model, save_model
from .mapbif import OrbitDiagram, lyapunov_exponents, orbit_diagram
from .margin import EscalationMargin, escalation_margin
from .model import TIME, Model, Parameter
from .simulate import iterate, simulate, simulate_ensemble
from .stability import REGIMES, Equilibrium, Regime, classify, equilibria
from .sweep import stability_map, sweep
from .trajectory import Ensemble, Runaway, Trajectory
from .trigger import TriggerPoint, nearest_bifurcation
from .vensim import from_vensim, simulate_pysd, to_vensim

__version__ = "0.1.0"

__all__ = [
    "Bifurcation",
    "BifurcationCurve",
    "BootstrapResult",
    "BoundSystem",
    "Branch",
    "CodimTwoPoint",
    "CompiledModel",
    "ContinuationError",
    "DataError",
    "DimensionMismatchError",
    "DuplicateNameError",
    "Ensemble",
    "Equilibrium",
    "EscalationMargin",
    "FitError",
    "FitResult",
    "InvalidParameterError",
    "Model",
    "ModelError",
    "ModelFileError",
    "OrbitDiagram",
    "Parameter",
    "Pulse",
    "REGIMES",
    "Ramp",
    "Regime",
    "RichardsonError",
    "RichardsonWarning",
    "Runaway",
    "SimulationError",
    "StabilityConditions",
    "Step",
    "TIME",
    "Trajectory",
    "TriggerPoint",
    "UnknownSymbolError",
    "alliance_model",
    "bootstrap",
    "classify",
    "compile_model",
    "continuation",
    "continue_bifurcation",
    "data",
    "equilibria",
    "escalation_margin",
    "fit",
    "from_vensim",
    "iterate",
    "load_model",
    "lyapunov_exponents",
    "nearest_bifurcation",
    "orbit_diagram",
    "plot",
    "pulse",
    "ramp",
    "richardson2",
    "richardson_n",
    "richardson_total",
    "save_model",
    "simulate",
    "simulate_ensemble",
    "simulate_pysd",
    "stability_conditions",
    "stability_map",
    "step",
    "sweep",
    "to_vensim",
]
