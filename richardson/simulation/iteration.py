"""Difference equations (``kind="map"``): :func:`iterate` gives the orbit of a map."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ModelError, SimulationError
from ..model.core import Model
from ..model.interventions import Intervention, Schedule
from ._inputs import ceiling_value, check_initial, check_params
from .integrate import _interventions
from .trajectory import Runaway, Trajectory

__all__ = ["iterate"]


# ---------------------------------------------------------------------- maps
def iterate(
    model: Model,
    n: int | Sequence[int],
    x0: Any = None,
    params: Mapping[str, float] | None = None,
    interventions: Sequence[Intervention] = (),
    ceiling: float | None = None,
) -> Trajectory:
    """Iterate a difference-equation model ``x[k+1] = f(x[k], p, k)`` for ``n`` steps.

    Parameters
    ----------
    model : Model
        A model with ``kind="map"`` (Richardson's difference form, Saperstein's map).
    n : int or pair of int
        Number of steps, the result having ``n + 1`` states (step 0 to n); or a step span
        ``(first, last)`` as :func:`simulate` takes a time span, e.g. ``(0, 50)``: the
        states of steps ``first`` to ``last`` (``last - first`` steps, the step index being
        the time interventions are scheduled in).
    x0 : sequence or mapping, optional
        Initial state; defaults to the model's ``initial`` values.
    params : mapping, optional
        Parameter values overriding the defaults.
    interventions : sequence of Intervention
        Scheduled parameter changes, with step index as time.
    ceiling : float, optional
        Level of ``|x|`` at which iteration stops and records runaway (default: a guard at
        ``GUARD_FACTOR * max(1, max|x0|)``; a non-finite state also stops it).

    Returns
    -------
    Trajectory
        With ``time`` the step index.

    Raises
    ------
    InvalidParameterError
        For a NaN or infinite parameter value (the message names it).
    SimulationError
        For a bad number of steps or step span, initial state or ceiling.

    Examples
    --------
    >>> import sympy as sp
    >>> import richardson as rd
    >>> x, r = sp.symbols("x r")
    >>> m = rd.Model(["x"], {"r": 2.0}, [r * x * (1 - x)], kind="map", initial={"x": 0.1})
    >>> orbit = rd.iterate(m, (0, 50))  # same as rd.iterate(m, 50)
    >>> len(orbit.time), round(float(orbit.values[-1, 0]), 6)  # the fixed point 1 - 1/r
    (51, 0.5)
    """
    if model.kind != "map":
        raise ModelError("this model is an ODE (kind='ode'); integrate it with richardson.simulate")
    first, last = _step_span(n)
    x = model.initial_vector(x0)
    check_initial(x, model.states)
    p_base = model.param_vector(params)
    check_params(model.param_names, p_base)
    applied = _interventions(model, interventions)
    schedule = Schedule(model.param_index, applied)
    compiled = model.compile()
    limit, _ = ceiling_value(ceiling, x)
    states = [x]
    runaway, status, message = None, 0, f"iterated {last - first} steps"
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for k in range(first, last):
            x = compiled.rhs(float(k), x, schedule.at(float(k), p_base))
            if not np.all(np.isfinite(x)) or np.max(np.abs(x)) >= limit:
                finite = np.where(np.isfinite(x), np.abs(x), np.inf)
                first = int(np.argmax(finite))
                status = 1
                message = f"state left the admissible range |x| < {limit:g} at step {k + 1}"
                if x[first] < 0:
                    message += ": spending driven negative without bound, a collapse"
                else:
                    runaway = Runaway(model.actors[first], float(k + 1))
                states.append(np.where(np.isfinite(x), x, np.nan))
                break
            states.append(x)
    values = np.array(states)
    attrs = {
        "model": model.name or "model",
        "method": "iterate",
        "rtol": 0.0,
        "atol": 0.0,
        "ceiling": limit,
        "time_unit": "step",
        "state_unit": model.state_unit,
        "params": dict(zip(model.param_names, p_base.tolist(), strict=True)),
    }
    return Trajectory(
        time=np.arange(first, first + len(values), dtype=float),
        values=values,
        actors=model.actors,
        states=model.states,
        attrs=attrs,
        runaway=runaway,
        status=status,
        message=message,
        interventions=applied,
    )


def _step_span(n: Any) -> tuple[int, int]:
    """``(first, last)`` step of ``n`` steps or of a step span ``(first, last)``."""
    wanted = (
        "give the number of steps (n=50) or a step span (first, last) of whole numbers with "
        "last > first, e.g. (0, 50)"
    )
    if isinstance(n, (str, bytes, Mapping)):
        raise SimulationError(f"n is {n!r}; {wanted}")
    if isinstance(n, Sequence) or isinstance(n, np.ndarray):
        if len(n) != 2:
            raise SimulationError(f"the step span {n!r} has {len(n)} entries, not 2; {wanted}")
        first, last = n
    else:
        first, last = 0, n
    try:
        whole = all(float(v) == int(v) for v in (first, last))
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole or int(last) <= int(first):
        raise SimulationError(f"n is {n!r}; {wanted}")
    return int(first), int(last)
