"""Stage 6, fitting: models fitted to military-spending series, with their uncertainty.

:func:`fit` (:mod:`.estimate`) prepares the data and runs one of three estimators:
Richardson's difference regression (:mod:`.difference`, :mod:`.estimators`), least squares on
solved trajectories (:mod:`.ode`, :mod:`.estimators`) or the exact likelihood of the model
with yearly shocks (:mod:`.var`). :class:`FitResult` (:mod:`.result`) carries estimates,
intervals, unit-root diagnostics (:mod:`.diagnostics`) and the verdict, which is withheld
from current-price series (:mod:`.price_basis`) and from estimates whose bounds decide it
(:mod:`.bounds`). :func:`bootstrap` (:mod:`.resampling`, with moving blocks from
:mod:`.blocks`) gives the distribution of the verdict and the margin;
:func:`coupling_test` (:mod:`.coupling`) tests whether the actors react to each other;
:mod:`.calibration` measures all of it on synthetic data of known truth. ``.plot()`` methods
import the plot stage lazily, the only upward dependency of this stage.
"""

from .coupling import CouplingTest, coupling_test
from .diagnostics import TrendDiagnostics, trend_diagnostics
from .estimate import METHODS, fit, richardson_total
from .resampling import BootstrapResult, bootstrap
from .result import FitResult

__all__ = [
    "METHODS",
    "BootstrapResult",
    "CouplingTest",
    "FitResult",
    "TrendDiagnostics",
    "bootstrap",
    "coupling_test",
    "fit",
    "richardson_total",
    "trend_diagnostics",
]
