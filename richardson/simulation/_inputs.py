"""Checks of what a user passes to the simulation stage: time span, output times,
parameters, initial states, ceiling and floor.

Every check names the culprit (the parameter, the argument, the position of the bad value)
and says how to fix it, so a NaN never reaches a solver.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import InvalidParameterError, SimulationError

__all__ = [
    "GUARD_CAP",
    "GUARD_FACTOR",
    "ceiling_value",
    "check_floor",
    "check_initial",
    "check_params",
    "output_times",
    "time_span",
]

#: Without an explicit ceiling, a run stops once a state exceeds this multiple of
#: ``max(1, max|y0|)``: growth by a factor of a million counts as runaway.
GUARD_FACTOR = 1e6

#: The guard never lies above this level, far enough below the largest double
#: (1.8e308) that rates at the guard can still be computed.
GUARD_CAP = 1e300


def time_span(t_span: Sequence[float]) -> tuple[float, float]:
    """``(t0, t1)`` as floats, finite with ``t1 > t0``."""
    try:
        t0, t1 = (float(t) for t in t_span)
    except (TypeError, ValueError) as err:
        raise SimulationError(f"t_span must be a pair (t0, t1), not {t_span!r}.") from err
    if not (math.isfinite(t0) and math.isfinite(t1)) or t1 <= t0:
        raise SimulationError(f"t_span ({t0}, {t1}) must be finite with t1 > t0.")
    return t0, t1


def output_times(t_eval: Any, t0: float, t1: float) -> np.ndarray:
    """Output times: 201 points by default, otherwise finite, increasing, inside the span."""
    if t_eval is None:
        return np.linspace(t0, t1, 201)
    try:
        times = np.asarray(t_eval, dtype=float).ravel()
    except (TypeError, ValueError) as err:
        raise SimulationError(f"t_eval must be a sequence of numbers, not {t_eval!r}.") from err
    bad = np.nonzero(~np.isfinite(times))[0]
    if bad.size:
        raise SimulationError(
            f"t_eval[{bad[0]}] is {times[bad[0]]}; output times must be finite numbers."
        )
    if times.size == 0 or np.any(np.diff(times) <= 0):
        raise SimulationError("t_eval must be a non-empty, strictly increasing sequence of times.")
    if times[0] < t0 or times[-1] > t1:
        raise SimulationError(f"t_eval must lie inside t_span ({t0}, {t1}).")
    return times


def check_params(names: Sequence[str], values: np.ndarray, where: str = "") -> None:
    """Refuse non-finite parameter values, naming the first culprit.

    ``values`` has shape ``(n_params,)`` or ``(n_params, members)``.
    """
    values = np.asarray(values, dtype=float)
    bad = np.argwhere(~np.isfinite(values))
    if not bad.size:
        return
    first = tuple(bad[0])
    name = names[first[0]]
    member = f" of member {first[1]}" if len(first) > 1 else ""
    raise InvalidParameterError(
        f"parameter {name!r}{member}{where} is {values[first]}; every parameter must be a "
        f"finite number: give {name} a finite value."
    )


def check_initial(y: np.ndarray, states: Sequence[str]) -> None:
    """Refuse a non-finite initial state, naming the state (and member)."""
    bad = np.argwhere(~np.isfinite(np.asarray(y, dtype=float)))
    if not bad.size:
        return
    first = tuple(bad[0])
    member = f" of member {first[1]}" if len(first) > 1 else ""
    raise SimulationError(
        f"initial state of {states[first[0]]!r}{member} is {np.asarray(y)[first]}; "
        "give a finite starting value."
    )


def check_floor(floor: float | None) -> float | None:
    """The floor as a finite float (or None)."""
    if floor is None:
        return None
    try:
        value = float(floor)
    except (TypeError, ValueError) as err:
        raise SimulationError(f"floor must be a number, not {floor!r}.") from err
    if not math.isfinite(value):
        raise SimulationError(f"floor is {value}; give a finite lower bound (e.g. floor=0).")
    return value


def ceiling_value(ceiling: float | None, y0: np.ndarray) -> tuple[float, bool]:
    """The level of ``|y|`` that stops a run, and whether the user chose it.

    Without a ceiling the guard is ``GUARD_FACTOR * max(1, max|y0|)``, capped at
    :data:`GUARD_CAP`; a start beyond the cap is refused.
    """
    if ceiling is None:
        start = float(np.max(np.abs(y0))) if np.size(y0) else 0.0
        if start >= GUARD_CAP:
            raise SimulationError(
                f"initial state {start:.6g} lies beyond {GUARD_CAP:g}, too close to the largest "
                "double (1.8e308) for rates to be computed; express spending in larger units, "
                "or pass ceiling=... to integrate there anyway."
            )
        return min(GUARD_FACTOR * max(1.0, start), GUARD_CAP), False
    try:
        value = float(ceiling)
    except (TypeError, ValueError) as err:
        raise SimulationError(f"ceiling must be a number, not {ceiling!r}.") from err
    if not math.isfinite(value) or value <= 0:
        raise SimulationError(
            f"ceiling is {value}; give a finite, positive level of spending (the guard "
            "watches |spending|)."
        )
    return value, True
