"""richardson: arms-race and alliance-escalation models, from symbols to verdicts.

Build Richardson-type models symbolically, compile them to fast batched numpy code,
simulate single runs, ensembles and interventions, and analyse them.
"""

from __future__ import annotations

from . import plot
from .alliance import alliance_model
from .codegen import BoundSystem, CompiledModel, compile_model
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
from .interventions import Pulse, Ramp, Step, pulse, ramp, step
from .io import load_model, save_model
from .model import TIME, Model, Parameter
from .simulate import iterate, simulate, simulate_ensemble
from .trajectory import Ensemble, Runaway, Trajectory
from .vensim import from_vensim, simulate_pysd, to_vensim

__version__ = "0.1.0"

__all__ = [
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
    "alliance_model",
    "compile_model",
    "from_vensim",
    "iterate",
    "load_model",
    "plot",
    "pulse",
    "ramp",
    "save_model",
    "richardson2",
    "richardson_n",
    "simulate",
    "simulate_ensemble",
    "simulate_pysd",
    "step",
    "to_vensim",
]
