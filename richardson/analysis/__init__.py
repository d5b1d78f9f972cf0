"""Stage 5, analysis: balances, regime verdicts, stability conditions, escalation margins,
the nearest trigger point, sweeps and stability maps.

=====================  ==============================================================
module                 job
=====================  ==============================================================
:mod:`.results`        :class:`Equilibrium`, :class:`Regime`, the closed name sets
:mod:`.balances`       :func:`equilibria` (exact or batched Newton)
:mod:`.regimes`        :func:`classify`
:mod:`.verdicts`       regime codes of many linear systems at once
:mod:`.conditions`     :func:`stability_conditions` (Richardson, Routh-Hurwitz, Jury)
:mod:`.margin`         :func:`escalation_margin`
:mod:`.trigger`        :func:`nearest_bifurcation`
:mod:`.sweeps`         :func:`sweep`, :func:`stability_map`
``_sampled``           verdicts of nonlinear models from sampled starts
``_explain``           the plain-language explanations
``_spectral``,         Perron roots and certified rightmost roots for the fast maps
``_abscissa``,
``_family_map``
=====================  ==============================================================
"""

from .balances import equilibria
from .conditions import StabilityConditions, stability_conditions
from .margin import EscalationMargin, escalation_margin
from .regimes import classify
from .results import KINDS, REGIMES, Equilibrium, Regime
from .sweeps import SweepInterrupted, stability_map, sweep
from .trigger import TriggerPoint, nearest_bifurcation
from .verdicts import linear_verdicts, verdict_codes

__all__ = [
    "KINDS",
    "REGIMES",
    "Equilibrium",
    "EscalationMargin",
    "Regime",
    "StabilityConditions",
    "SweepInterrupted",
    "TriggerPoint",
    "classify",
    "equilibria",
    "escalation_margin",
    "linear_verdicts",
    "nearest_bifurcation",
    "stability_conditions",
    "stability_map",
    "sweep",
    "verdict_codes",
]
