"""Delay models: the method of steps on scipy's dense output.

A model with delayed terms ``delayed(y, tau)`` (:mod:`richardson.model.delays`) is a system of
delay differential equations ``x'(t) = f(t, x(t), x(t - tau_1), ..., p)``. Between ``t0``
and ``t0 + tau_min`` every delayed value is a value of the history; once that stretch is
integrated, its dense output is the history of the next one, and so on (the method of
steps, Bellen & Zennaro 2003, ch. 3). Here the stretches are the steps of one of scipy's
solvers (``RK45``, ``DOP853``, ``LSODA``, ...), capped at the shortest delay: every value a
step needs lies in the history or in the dense output of an earlier step, which is kept. The
right-hand side is the one compiled from :func:`~richardson.model.delays.lagged_form`, the
delayed states written into the parameter slots of the lagged terms. The solver restarts at
the first few ``t0 + n tau_j`` (where a history that does not solve the equation makes a
derivative jump, so that no step straddles a kink) and at every intervention.

Why not jitcdde (a well-kept DDE library that compiles the equations to C): once compiled it
runs a step several times faster, but it needs a C compiler at run time and compiles for a
second or more per model before the first step, which for one run of a new model costs far
more than the whole run here. ``benchmarks/bench_delays.py`` measures both on the two-nation
model; the figures are in ``docs/delays.md``.

References
----------
Bellen, A. and Zennaro, M. (2003). *Numerical Methods for Delay Differential Equations*.
Oxford University Press.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from scipy.integrate import BDF, DOP853, LSODA, RK23, RK45, Radau
from scipy.integrate._ivp.rk import Dop853DenseOutput, RkDenseOutput
from scipy.interpolate import make_interp_spline
from scipy.optimize import brentq

from ..errors import SimulationError
from ..model.core import Model
from ..model.delays import lagged_form
from ..model.interventions import Schedule
from .trajectory import Runaway

__all__ = ["integrate_delayed", "history_function", "DDE_METHODS"]

#: scipy's solvers the method of steps uses (each step has a dense output).
_SOLVERS = {
    "LSODA": LSODA,
    "RK45": RK45,
    "RK23": RK23,
    "DOP853": DOP853,
    "Radau": Radau,
    "BDF": BDF,
}
DDE_METHODS = tuple(_SOLVERS)


def history_function(
    model: Model, history: Any, t0: float, y0: np.ndarray | None, longest: float
) -> Callable[[float], np.ndarray]:
    """The state before ``t0`` as a function of time, from what the user gave.

    Parameters
    ----------
    model : Model
        The delay model (its states give the length of each value).
    history : None, callable, array, mapping or pair (times, values)
        None: the initial state held constant before ``t0``. A callable ``h(t)`` returning one
        value per state. One value per state (sequence or mapping state -> value): that
        constant. A pair ``(times, values)`` with ``values`` of shape ``(len(times), n)``:
        interpolated by a cubic spline; the times must cover ``[t0 - longest lag, t0]``.
    t0 : float
        Start of the run (time units).
    y0 : numpy.ndarray or None
        Initial state, the default constant history.
    longest : float
        Longest lag (time units): how far back the history is needed.

    Raises
    ------
    SimulationError
        If the history has the wrong shape, is not finite, or does not cover the lags.
    """
    n = model.n_states
    if history is None:
        constant = np.array(y0, dtype=float)
        return lambda t: constant
    if isinstance(history, tuple) and len(history) == 2 and not callable(history[0]):
        return _tabulated(model, history, t0, longest)
    if callable(history):
        for t in (t0 - longest, t0):
            try:
                value = np.asarray(history(t), dtype=float)
            except Exception as err:  # noqa: BLE001 (the user's function; say where it failed)
                raise SimulationError(
                    f"the history function failed at t = {t:g}: {err}; it must take a time "
                    f"and return {n} values (one per state {list(model.states)})"
                ) from err
            if value.shape != (n,) or not np.all(np.isfinite(value)):
                raise SimulationError(
                    f"the history function returned {value.tolist()} at t = {t:g}; it must "
                    f"return {n} finite values, one per state {list(model.states)}"
                )
        return lambda t: np.asarray(history(t), dtype=float)
    if isinstance(history, Mapping):
        constant = model.initial_vector(history)
    else:
        constant = np.asarray(history, dtype=float)
    if constant.shape != (n,) or not np.all(np.isfinite(constant)):
        raise SimulationError(
            f"history= has shape {constant.shape}; give {n} finite values (one per state "
            f"{list(model.states)}), a function of time, or a pair (times, values)"
        )
    return lambda t: constant


def _tabulated(model: Model, history: tuple, t0: float, longest: float) -> Callable:
    times = np.asarray(history[0], dtype=float)
    values = np.asarray(history[1], dtype=float)
    n = model.n_states
    if times.ndim != 1 or values.shape != (len(times), n) or len(times) < 2:
        raise SimulationError(
            f"history=(times, values) needs at least 2 times and values of shape "
            f"(len(times), {n}); got {times.shape} and {values.shape}"
        )
    if not (np.all(np.isfinite(times)) and np.all(np.isfinite(values))):
        raise SimulationError("history=(times, values) holds NaN or infinite entries")
    if np.any(np.diff(times) <= 0):
        raise SimulationError("the history times must increase strictly")
    if times[0] > t0 - longest + 1e-12 * max(1.0, abs(t0)) or times[-1] < t0:
        raise SimulationError(
            f"the history covers [{times[0]:g}, {times[-1]:g}] but the lags need "
            f"[{t0 - longest:g}, {t0:g}]; extend it"
        )
    spline = make_interp_spline(times, values, k=min(3, len(times) - 1))
    return lambda t: spline(t)


class _Past:
    """The solution known so far: the history before ``t0``, dense outputs after."""

    def __init__(self, t0: float, history: Callable[[float], np.ndarray]) -> None:
        self.t0 = t0
        self.history = history
        self.starts: list[float] = []
        self.pieces: list[Any] = []

    def add(self, start: float, piece: Any) -> None:
        self.starts.append(start)
        self.pieces.append(_fast(piece))

    def __call__(self, s: float) -> np.ndarray:
        if s < self.t0 or not self.pieces:  # the first stretch reads at most t0
            return self.history(s)
        index = max(bisect.bisect_right(self.starts, s) - 1, 0)
        return self.pieces[index](s)


def _fast(piece: Any) -> Callable[[float], np.ndarray]:
    """The dense output of one step as a function of one time: for the explicit Runge-Kutta
    pairs the interpolant's polynomial itself (``scipy``'s own call tiles and accumulates
    arrays, several times slower for one point); other solvers' interpolants as they are."""
    if isinstance(piece, RkDenseOutput):
        Q, h, start, y_old = piece.Q, piece.h, piece.t_old, piece.y_old
        powers = np.arange(1, Q.shape[1] + 1)

        def rk(s: float) -> np.ndarray:
            return y_old + h * (Q @ (((s - start) / h) ** powers))

        return rk
    if isinstance(piece, Dop853DenseOutput):
        F, h, start, y_old = piece.F[::-1], piece.h, piece.t_old, piece.y_old

        def dop853(s: float) -> np.ndarray:
            x = (s - start) / h
            y = np.zeros_like(y_old)
            for i, f in enumerate(F):
                y = (y + f) * (x if i % 2 == 0 else 1 - x)
            return y + y_old

        return dop853
    return piece


def integrate_delayed(
    model: Model,
    schedule: Schedule,
    p_base: np.ndarray,
    y: np.ndarray,
    t0: float,
    t1: float,
    times: np.ndarray,
    history: Callable[[float], np.ndarray],
    method: str,
    rtol: float,
    atol: float,
    max_step: float,
    limit: float,
    max_steps: int,
) -> tuple[tuple[np.ndarray, np.ndarray], int, str, Runaway | None]:
    """Integrate a delay model by the method of steps (see the module docstring).

    Returns
    -------
    ((times, values), status, message, runaway)
        Output times reached and states there (``(len, n)``); status 0 for the whole span, 1 when a
        state reached ``limit`` (``runaway`` names actor and time), -1 for a solver failure
        or ``max_steps`` steps used up (between restarts, as for ordinary runs).
    """
    plain, slots = lagged_form(model)
    compiled = plain.compile()
    params = dict(zip(model.param_names, p_base, strict=True))
    lags = np.array([delay.value(params) for delay in model.delays])
    if np.any(~np.isfinite(lags)) or np.any(lags <= 0):
        bad = model.delays[int(np.argmax(~np.isfinite(lags) | (lags <= 0)))]
        raise SimulationError(
            f"the lag of {bad} is {bad.value(params)} with these parameters; a delay must be "
            "a positive number of time units"
        )
    _check_constant_lags(model, schedule)
    rows = [model.states.index(delay.state) for delay in model.delays]
    distinct, which = np.unique(lags, return_inverse=True)
    groups = [np.nonzero(which == j)[0] for j in range(len(distinct))]
    past = _Past(t0, history)
    n_base = len(p_base)
    rhs, jac = compiled.rhs, compiled.jac

    # one buffer, refilled at each call (the compiled functions do not keep it)
    buffer = np.concatenate([p_base, np.zeros(len(slots))])
    varying = bool(schedule.interventions)
    reads = [
        (float(lag), n_base + group, np.asarray(rows)[group])
        for lag, group in zip(distinct, groups, strict=True)
    ]

    def parameters(t: float) -> np.ndarray:
        if varying:
            buffer[:n_base] = schedule.at(t, p_base)
        for lag, where, which in reads:
            buffer[where] = past(t - lag)[which]
        return buffer

    def fun(t: float, state: np.ndarray) -> np.ndarray:
        return rhs(t, state, parameters(t))

    def jacobian(t: float, state: np.ndarray) -> np.ndarray:
        return jac(t, state, parameters(t))

    edges = _edges(t0, t1, distinct, schedule)
    options = {"rtol": rtol, "atol": atol, "max_step": min(max_step, float(distinct.min()))}
    if method in ("Radau", "BDF", "LSODA"):
        options["jac"] = jacobian
    out_t, out_y, steps = [], [], 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for index, (a, b) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
            last = index == len(edges) - 2
            solver = _SOLVERS[method](fun, a, y, b, **options)
            budget = max_steps
            while solver.status == "running":
                if budget == 0:
                    message = (
                        f"used up max_steps={max_steps} solver steps at t = {solver.t:.6g} "
                        "(a stiff system under an explicit method? try method='LSODA' or "
                        "'Radau', or raise max_steps)"
                    )
                    return _joined(out_t, out_y, y), -1, message, None
                message = solver.step()
                steps += 1
                budget -= 1
                if solver.status == "failed":
                    message = f"the solver stopped at t = {solver.t:.6g}: {message}"
                    return _joined(out_t, out_y, y), -1, message, None
                start, stop, piece = solver.t_old, solver.t, solver.dense_output()
                past.add(start, piece)
                done = stop >= b
                after = (times >= start) if start == a else (times > start)
                wanted = times[after & ((times < stop) | (done & last & (times <= stop)))]
                y = solver.y
                if not np.all(np.isfinite(y)) or np.max(np.abs(y)) >= limit:
                    hit = _crossing(piece, start, stop, limit)
                    early = wanted[wanted < hit]
                    out_t += [early, np.array([hit])]
                    out_y += [_at(piece, early, len(y)), piece(hit)[None, :]]
                    at_hit = piece(hit)
                    worst = int(np.argmax(np.abs(at_hit)))
                    actor = model.actors[worst]
                    message = f"{actor} reached |spending| {limit:g} at t = {hit:.6g}"
                    runaway = Runaway(actor, hit) if at_hit[worst] > 0 else None
                    return _joined(out_t, out_y, y), 1, message, runaway
                out_t.append(wanted)
                out_y.append(_at(piece, wanted, len(y)))
    message = (
        f"integrated the whole time span (method of steps: {steps} steps of at most "
        f"{distinct.min():g} time units, the shortest delay)"
    )
    return _joined(out_t, out_y, y), 0, message, None


def _joined(out_t: list, out_y: list, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if not out_t:
        return np.empty(0), np.empty((0, len(y)))
    return np.concatenate(out_t), np.vstack(out_y)


def _at(piece: Any, times: np.ndarray, n: int) -> np.ndarray:
    return piece(times).T.reshape(len(times), n) if len(times) else np.empty((0, n))


def _crossing(piece: Any, start: float, stop: float, limit: float) -> float:
    """First time in ``[start, stop]`` where ``max |y|`` reaches ``limit`` on one step."""

    def excess(s: float) -> float:
        value = piece(s)
        return (
            min(float(np.max(np.where(np.isfinite(value), np.abs(value), np.inf))), 2 * limit)
            - limit
        )

    grid = np.linspace(start, stop, 65)
    above = next(i for i, s in enumerate(grid) if not excess(s) < 0 or i == len(grid) - 1)
    if above == 0:
        return start
    return float(brentq(excess, grid[above - 1], grid[above], xtol=1e-14, rtol=1e-12))


#: The solver restarts at ``t0 + n tau`` for n up to this: where a history that does not
#: solve the equation makes the derivative of order n jump (later jumps are smoother than
#: the solvers' orders notice).
_KINKS = 3


def _edges(t0: float, t1: float, lags: np.ndarray, schedule: Schedule) -> list[float]:
    """Where the solver restarts: the first kinks ``t0 + n lag``, every intervention, ``t1``."""
    points = set(schedule.breakpoints(t0, t1))
    for lag in lags:
        points.update((t0 + lag * np.arange(1, _KINKS + 1)).tolist())
    scale = 1e-12 * max(1.0, abs(t0), abs(t1))
    inside = sorted(p for p in points if t0 + scale < p < t1 - scale)
    return [t0, *inside, t1]


def _check_constant_lags(model: Model, schedule: Schedule) -> None:
    used = {s.name for delay in model.delays for s in delay.lag.free_symbols}
    for intervention in schedule.interventions:
        if intervention.param in used:
            raise SimulationError(
                f"an intervention changes {intervention.param!r}, a lag of this delay model; "
                "delays are constant during a run (simulate the stretches separately)"
            )


def check_delay_options(method: str, floor: float | None, dt: Any) -> None:
    """Refuse options the method of steps does not offer.

    Raises
    ------
    SimulationError
        For ``method="exact"`` or ``"euler"``, ``dt=``, or a floor.
    """
    if method not in DDE_METHODS:
        raise SimulationError(
            f"method={method!r} does not integrate delay models; use one of {DDE_METHODS}"
        )
    if floor is not None:
        raise SimulationError(
            "floor= is not available for delay models; simulate without it (the linear "
            "delay model may go negative) or write the floor into the equations"
        )
    if dt is not None:
        raise SimulationError("dt= is the step of method='euler', which delay models do not use")


def no_history(model: Model, history: Any) -> None:
    """Refuse ``history=`` for a model without delays (it would be silently unused)."""
    if history is not None and not model.delays:
        raise SimulationError(
            "history= is for delay models (with delayed(y, tau) terms); this model has none"
        )
