"""richardson: arms-race and alliance-escalation models, from symbols to verdicts.

Build Richardson-type models symbolically, compile them to fast batched numpy code,
simulate single runs, ensembles and interventions, and analyse them.
"""

from __future__ import annotations

from . import data, plot
from .bootstrap import BootstrapResult, bootstrap
from .codegen import BoundSystem, CompiledModel, compile_model
from .conditions import StabilityConditions, stability_conditions
from .errors import (
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
from .margin import EscalationMargin, escalation_margin
from .model import TIME, Model, Parameter
from .simulate import iterate, simulate, simulate_ensemble
from .stability import REGIMES, Equilibrium, Regime, classify, equilibria
from .sweep import stability_map, sweep
from .trajectory import Ensemble, Runaway, Trajectory

__version__ = "0.1.0"

__all__ = [
    "BootstrapResult",
    "FitResult",
    "bootstrap",
    "fit",
    "richardson_total",
    "REGIMES",
    "Equilibrium",
    "EscalationMargin",
    "Regime",
    "StabilityConditions",
    "classify",
    "equilibria",
    "escalation_margin",
    "stability_conditions",
    "stability_map",
    "sweep",
    "TIME",
    "BoundSystem",
    "CompiledModel",
    "DataError",
    "DimensionMismatchError",
    "DuplicateNameError",
    "Ensemble",
    "FitError",
    "InvalidParameterError",
    "Model",
    "ModelError",
    "ModelFileError",
    "Parameter",
    "Pulse",
    "Ramp",
    "RichardsonError",
    "RichardsonWarning",
    "Runaway",
    "SimulationError",
    "Step",
    "Trajectory",
    "UnknownSymbolError",
    "compile_model",
    "data",
    "iterate",
    "plot",
    "pulse",
    "ramp",
    "richardson2",
    "richardson_n",
    "simulate",
    "simulate_ensemble",
    "step",
]
