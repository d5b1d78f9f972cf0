"""Stage 6, fitting: models fitted to military-spending series, with their uncertainty.

:func:`fit` (:mod:`.estimate`) prepares the data and runs one of the estimators
(:mod:`.estimators`): Richardson's difference regression (:mod:`.difference`) or least
squares on solved trajectories (:mod:`.ode`); :class:`FitResult` (:mod:`.result`) carries
estimates, intervals and the verdict; :func:`bootstrap` (:mod:`.resampling`) the
distribution of the verdict and the margin. ``.plot()`` methods import the plot stage
lazily, the only upward dependency of this stage.
"""

from .estimate import METHODS, fit, richardson_total
from .resampling import BootstrapResult, bootstrap
from .result import FitResult

__all__ = ["METHODS", "BootstrapResult", "FitResult", "bootstrap", "fit", "richardson_total"]
