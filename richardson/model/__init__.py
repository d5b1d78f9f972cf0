"""Stage 1, the model: symbolic, immutable arms-race models and nothing numeric.

:class:`Model` (states, parameters, right-hand sides), the safe expression parser of model
files (:mod:`.expressions`), interventions as data (:mod:`.interventions`),
delayed terms ``delayed(y, tau)`` (:mod:`.delays`), the classic
Richardson families (:mod:`.families`), the alliance terms (:mod:`.terms`) and
:func:`alliance_model` (:mod:`.alliance`). A model never calls a solver; :meth:`Model.compile`
imports the compile stage lazily, the only upward dependency of this stage.
"""

from .alliance import alliance_model
from .core import TIME, Model, Parameter
from .delays import Delay, Delayed, delayed
from .families import richardson2, richardson2_delayed, richardson_n
from .interventions import Intervention, Pulse, Ramp, Schedule, Step, pulse, ramp, step

__all__ = [
    "TIME",
    "Delay",
    "Delayed",
    "Intervention",
    "Model",
    "Parameter",
    "Pulse",
    "Ramp",
    "Schedule",
    "Step",
    "alliance_model",
    "delayed",
    "pulse",
    "ramp",
    "richardson2",
    "richardson2_delayed",
    "richardson_n",
    "step",
]
