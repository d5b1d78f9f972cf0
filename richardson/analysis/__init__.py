"""Stage 5, analysis: balances, regime verdicts, stability conditions, escalation margins,
the nearest trigger point, sweeps, stability maps and global sensitivity.

=====================  ==============================================================
module                 job
=====================  ==============================================================
:mod:`.results`        :class:`Equilibrium`, :class:`Regime`, the closed name sets
:mod:`.balances`       :func:`equilibria` (exact or batched Newton)
:mod:`.regimes`        :func:`classify`
:mod:`.verdicts`       regime codes of many linear systems at once
:mod:`.conditions`     :func:`stability_conditions` (Richardson, Routh-Hurwitz, Jury)
:mod:`.margin`         :func:`escalation_margin`
:mod:`.escape`         :func:`escalation_probability` (noise-driven crossing)
:mod:`.trigger`        :func:`nearest_bifurcation`
:mod:`.sweeps`         :func:`sweep`, :func:`stability_map`
:mod:`.sensitivity`    :func:`sensitivity` (Sobol, Morris, FAST through SALib); its
                       :class:`SensitivityResult` lives in ``sensitivity_result``
:mod:`.delays`         :func:`critical_delay`, the verdicts of delay models
``_delay_roots``       characteristic roots of linear delay systems (pseudospectral)
``_sampled``           verdicts of nonlinear models from sampled starts
``_sampled_batch``     those verdicts for many points at once (nonlinear stability maps)
``_explain``           the plain-language explanations
``_spectral``,         Perron roots and certified rightmost roots for the fast maps
``_abscissa``,
``_family_map``
``_sensitivity_eval``  batched outputs of the sensitivity samples
=====================  ==============================================================
"""

from .balances import equilibria
from .conditions import StabilityConditions, stability_conditions
from .delays import CriticalDelay, critical_delay
from .escape import EscalationProbability, escalation_probability
from .margin import EscalationMargin, escalation_margin
from .regimes import classify
from .results import KINDS, REGIMES, Equilibrium, Regime
from .sensitivity import sensitivity
from .sensitivity_result import SensitivityResult
from .sweeps import SweepInterrupted, stability_map, sweep
from .trigger import TriggerPoint, nearest_bifurcation
from .verdicts import linear_verdicts, verdict_codes

__all__ = [
    "KINDS",
    "REGIMES",
    "CriticalDelay",
    "Equilibrium",
    "EscalationMargin",
    "EscalationProbability",
    "Regime",
    "SensitivityResult",
    "StabilityConditions",
    "SweepInterrupted",
    "TriggerPoint",
    "classify",
    "critical_delay",
    "equilibria",
    "escalation_margin",
    "escalation_probability",
    "linear_verdicts",
    "nearest_bifurcation",
    "sensitivity",
    "stability_conditions",
    "stability_map",
    "sweep",
    "verdict_codes",
]
