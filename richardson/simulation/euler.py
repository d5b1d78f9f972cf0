"""Fixed-step Euler: Vensim's and PySD's arithmetic, for reproducing their output.

``y[n+1] = y[n] + dt f(t[n], y[n], p(t[n]))`` on the grid ``t[n] = t0 + n dt``, with the
parameters of the interventions evaluated at each grid time (a STEP at ``at`` is on from the
first grid time ``>= at``). The output is the grid state at every SAVEPER (or at ``t_eval``,
which must lie on the grid). This is first-order accurate: its error against the adaptive
solvers (the ``dt -> 0`` limit) shrinks in proportion to ``dt``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import SimulationError
from ..model.core import Model

__all__ = ["euler_grid", "euler_integrate", "MAX_EULER_STEPS", "vensim_control"]

#: Most Euler steps one run may take (a bound on run time: about a second per 10^5 steps
#: for a few hundred states).
MAX_EULER_STEPS = 5_000_000


def vensim_control(model: Model) -> Mapping[str, float]:
    """The simulation control of an imported model (``metadata["vensim"]``), or ``{}``."""
    control = model.metadata.get("vensim", {})
    return control if isinstance(control, Mapping) else {}


def euler_grid(
    model: Model,
    t0: float,
    t1: float,
    dt: float | None,
    saveper: float | None,
    t_eval: Any,
) -> tuple[float, int, np.ndarray]:
    """Step, number of steps and the grid indices to output.

    Parameters
    ----------
    model : Model
        For the defaults: TIME STEP and SAVEPER of an imported file.
    t0, t1 : float
        Start and end (model time unit).
    dt : float or None
        The step; TIME STEP of the file, else ``(t1 - t0) / 1000``.
    saveper : float or None
        Output interval; SAVEPER of the file, else ``dt``. Outputs are the grid times
        nearest to ``t0 + k saveper`` (exact when SAVEPER is a multiple of ``dt``).
    t_eval : array_like or None
        Output times on the grid, instead of SAVEPER.

    Raises
    ------
    SimulationError
        For a non-positive step, too many steps, or output times off the grid.
    """
    control = vensim_control(model)
    if dt is None:
        dt = float(control.get("time_step", (t1 - t0) / 1000))
    dt = float(dt)
    if not (math.isfinite(dt) and dt > 0):
        raise SimulationError(f"dt = {dt} must be a positive number (model time unit)")
    steps = (t1 - t0) / dt
    n_steps = int(math.floor(steps + 1e-9))
    if n_steps > MAX_EULER_STEPS:
        raise SimulationError(
            f"Euler from {t0:g} to {t1:g} with dt = {dt:g} takes {n_steps} steps, more than "
            f"{MAX_EULER_STEPS}; increase dt or shorten the time span"
        )
    if t_eval is not None:
        times = np.asarray(t_eval, dtype=float).ravel()
        if times.size == 0 or np.any(np.diff(times) <= 0):
            raise SimulationError("t_eval must be a non-empty, strictly increasing sequence")
        index = np.rint((times - t0) / dt).astype(np.int64)
        off = np.abs(t0 + index * dt - times) > 1e-6 * max(dt, 1e-12) + 1e-9 * np.abs(times)
        if np.any(off) or np.any(index < 0) or np.any(index > n_steps):
            bad = times[off | (index < 0) | (index > n_steps)][0]
            raise SimulationError(
                f"t_eval contains {bad:g}, which is not a time of the Euler grid "
                f"t0 + n dt (dt = {dt:g}) inside t_span"
            )
        return dt, n_steps, index
    if saveper is None:
        saveper = float(control.get("saveper", dt))
    stride = float(saveper) / dt
    if not (math.isfinite(stride) and stride >= 1 - 1e-9):
        raise SimulationError(f"saveper = {saveper:g} is shorter than the step dt = {dt:g}")
    count = int(math.floor((t1 - t0) / float(saveper) + 1e-9))
    # a SAVEPER that is not a multiple of dt is saved at the nearest grid time
    index = np.unique(np.rint(np.arange(count + 1) * stride).astype(np.int64))
    return dt, n_steps, index[index <= n_steps]


def euler_integrate(
    rhs: Any,
    parameters_at: Any,
    y: np.ndarray,
    t0: float,
    dt: float,
    n_steps: int,
    output: np.ndarray,
    limit: float | None,
) -> tuple[np.ndarray, np.ndarray, int, str, int | None]:
    """March Euler steps and keep the states at the grid indices ``output``.

    Parameters
    ----------
    rhs : callable
        ``rhs(t, y, p)`` of the compiled model.
    parameters_at : callable
        ``t -> p`` (the interventions applied at grid time ``t``).
    y : numpy.ndarray
        Initial state.
    t0, dt : float
        Grid start and step (model time unit).
    n_steps : int
        Number of steps.
    output : numpy.ndarray
        Sorted grid indices whose state is returned.
    limit : float or None
        Ceiling: stop once a state reaches it (runaway).

    Returns
    -------
    times, values, status, message, runaway_state
        ``status`` 0 (whole span), 1 (ceiling reached; ``runaway_state`` is the index of the
        state that crossed) or -1 (a state became non-finite).
    """
    wanted = set(output.tolist())
    last = int(output[-1]) if len(output) else 0
    times, values = [], []
    state = np.array(y, dtype=float)
    status, message, hit = 0, "integrated the whole time span with fixed-step Euler", None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for n in range(min(n_steps, last) + 1):
            t = round(t0 + n * dt, 10)  # 0.30000000000000004 -> 0.3: STEP at 0.3 is on
            if n in wanted:
                times.append(t)
                values.append(state.copy())
            if not np.all(np.isfinite(state)):
                status, message = -1, f"a state became non-finite at t = {t:.6g}"
                break
            if limit is not None and state.size and np.max(state) >= limit:
                status, hit = 1, int(np.argmax(state))
                message = f"ceiling {limit:g} reached at t = {t:.6g}"
                if n not in wanted:
                    times.append(t)
                    values.append(state.copy())
                break
            if n == min(n_steps, last):
                break
            state = state + dt * np.asarray(rhs(t, state, parameters_at(t)), dtype=float)
    out_y = np.array(values).reshape(len(values), len(y))
    return np.array(times), out_y, status, message, hit
