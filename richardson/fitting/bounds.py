"""Does a verdict rest on a constraint? Estimates pushed against their bounds (a fatigue at 0,
a reaction at 0) are where the data would go further if the model let them. The verdict stands
only when the fit without those bounds gives the same regime: then the constraint does not
decide it. Otherwise the fit withholds the verdict.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..errors import RichardsonError, RichardsonWarning
from ..model.core import Model, Parameter

__all__ = ["at_bound_sentence", "verdict_beyond_bounds"]


def at_bound_sentence(names: list[str] | tuple[str, ...]) -> str:
    """The reason given when estimates on their bounds withhold a verdict."""
    return (
        f"the estimates of {list(names)} sit on their bounds: the data push them against the "
        "model's constraints, and the fit without those bounds gives another regime, so the "
        "verdict rests on the constraint, not on the data"
    )


def _unbounded(model: Model, names: list[str]) -> Model:
    """The model with the bounds of ``names`` lifted to (-inf, inf)."""
    updates = {}
    for name in names:
        p = model.params[name]
        updates[name] = Parameter(
            name, p.value, (-math.inf, math.inf), p.unit, p.description, p.source
        )
    return model.with_params(updates)


def verdict_beyond_bounds(result: Any, at_bound: tuple[str, ...]) -> tuple[bool, str]:
    """Refit without the bounds that the estimates sit on, and compare the regimes.

    The model is refitted to the same data with the same options, the bounds of the
    at-bound parameters lifted (to +-inf); the verdict stands when both fitted models have
    the same regime.

    Returns
    -------
    (bool, str)
        Whether the regimes agree, and a note saying what was checked (empty when the
        check could not be made; the verdict is then withheld).
    """
    from ..analysis.regimes import classify
    from .estimate import fit
    from .result import last_observed_state

    names = [n for n in at_bound if n in result.model.params]
    if not names:
        return True, ""
    free = _unbounded(result.model, names)
    options = result.options
    keep = ("method", "log", "fit_initial", "level", "n_starts", "search", "seed", "level_at")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RichardsonWarning)
            unbounded = fit(
                free,
                result.data,
                columns={s: a for s, a in zip(free.states, free.actors, strict=True)},
                fixed={k: v for k, v in options.get("fixed", {}).items() if math.isfinite(v)},
                bounds={k: v for k, v in options.get("bounds", {}).items() if k not in names},
                ci="wald",
                verdict=False,
                **{k: options[k] for k in keep if k in options},
            )
        # the verdict compared is where the observed system goes from its last state (a
        # threshold it lies beyond is the same verdict as runaway)
        last = last_observed_state(result)
        base = _verdict(classify(result.fitted_model, y0=last))
        other = _verdict(classify(unbounded.fitted_model, y0=last))
    except (RichardsonError, ArithmeticError, np.linalg.LinAlgError):
        return False, ""
    shown = ", ".join(f"{n} = {unbounded.params[n]:.3g}" for n in names)
    note = (
        f"the estimates of {names} sit on their bounds; without those bounds the fit gives "
        f"{shown} and the regime {other}"
        + (", the same verdict: the constraint does not decide it" if other == base else "")
    )
    return other == base, note


def _verdict(regime: Any) -> str:
    """The regime name, or for a threshold the fate of the last observed state."""
    return regime.fate if regime.name == "threshold" and regime.fate else regime.name
