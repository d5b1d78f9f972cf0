"""One run: :func:`simulate`.

The orchestration is here; what varies lives in small pieces: the parameter
:class:`~richardson.model.interventions.Schedule` splits the time span at every discontinuity,
each segment is integrated by ``scipy.integrate.solve_ivp`` (or, for linear models, by the
exact matrix-exponential propagator), and a ceiling event stops runaway growth.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.linalg
import scipy.optimize
import scipy.sparse
from scipy.integrate import odeint

from ..codegen.observables import compile_observables
from ..errors import ModelError, SimulationError, did_you_mean
from ..model.core import Model
from ..model.interventions import Intervention, Schedule
from ._inputs import (
    GUARD_FACTOR,
    ceiling_value,
    check_floor,
    check_initial,
    check_params,
    output_times,
    time_span,
)
from ._stepping import MAX_STEPS, SegmentResult, integrate_segment
from .breakpoints import time_breakpoints
from .delays import check_delay_options, history_function, integrate_delayed, no_history
from .euler import euler_grid, euler_integrate, vensim_control
from .numba_backend import BACKENDS, check_supported, integrate_numba
from .trajectory import Runaway, Trajectory

__all__ = ["simulate", "METHODS", "GUARD_FACTOR"]

#: Integration methods: scipy's ``solve_ivp`` methods, ``"exact"`` (linear models only) and
#: ``"euler"`` (fixed-step Euler, Vensim's and PySD's arithmetic).
METHODS = ("LSODA", "RK45", "RK23", "DOP853", "Radau", "BDF", "exact", "euler")


def _check_method(method: str, model: Model) -> None:
    if method not in METHODS:
        raise SimulationError(
            f"unknown method {method!r}.{did_you_mean(method, METHODS)} Use one of {METHODS}."
        )


def _time_span(t_span: Sequence[float] | None, model: Model) -> tuple[float, float]:
    """``t_span`` checked, or the model file's INITIAL TIME and FINAL TIME when it is None."""
    if t_span is None:
        control = vensim_control(model)
        if "initial_time" not in control or "final_time" not in control:
            raise SimulationError(
                "t_span is needed: the model carries no INITIAL TIME and FINAL TIME."
            )
        t_span = (control["initial_time"], control["final_time"])
    return time_span(t_span)


def _interventions(model: Model, extra: Sequence[Intervention]) -> tuple[Intervention, ...]:
    interventions = tuple(model.interventions) + tuple(extra)
    for intervention in interventions:
        if not isinstance(intervention, Intervention):
            raise SimulationError(
                f"{intervention!r} is not an intervention; use richardson.step, pulse or ramp"
            )
        intervention.check_against(model)
    return interventions


def _segments(
    t0: float, t1: float, schedule: Schedule, extra: Sequence[float] = ()
) -> list[tuple[float, float]]:
    edges = [t0, *sorted(set(schedule.breakpoints(t0, t1)) | set(extra)), t1]
    return list(zip(edges[:-1], edges[1:], strict=True))


def _affine_propagator(
    matrix: np.ndarray, offset: np.ndarray, y: np.ndarray, dt: np.ndarray
) -> np.ndarray:
    """Exact solution of ``y' = A y + b`` at the non-decreasing times ``dt`` after the start.

    Works on the augmented matrix ``M = [[A, b], [0, 0]]``, whose exponential maps
    ``(y0, 1)`` to ``(y(t), 1)``. When ``M`` is diagonalisable with well-conditioned
    eigenvectors, ``exp(M t) = V exp(L t) V^-1`` gives all times in one product; otherwise
    (defective or nearly so) it steps with ``scipy.linalg.expm``, equal step lengths sharing
    one exponential.
    """
    n = len(y)
    augmented = np.zeros((n + 1, n + 1))
    augmented[:n, :n] = matrix
    augmented[:n, n] = offset
    start = np.append(y, 1.0)
    eigenvalues, vectors = np.linalg.eig(augmented)
    if np.linalg.cond(vectors) < 1e6:
        coefficients = np.linalg.solve(vectors, start)
        modes = np.exp(np.outer(dt, eigenvalues)) * coefficients
        return (modes @ vectors.T)[:, :n].real
    increments = np.diff(np.concatenate([[0.0], dt]))
    keys = np.round(increments, 12)
    propagators = {}
    out = np.empty((len(dt), n))
    for i, (key, step) in enumerate(zip(keys, increments, strict=True)):
        if key not in propagators:
            propagators[key] = scipy.linalg.expm(step * augmented)
        start = propagators[key] @ start
        out[i] = start[:n]
    return out


def simulate(
    model: Model,
    t_span: Sequence[float] | None = None,
    y0: Any = None,
    params: Mapping[str, float] | None = None,
    t_eval: Any = None,
    method: str = "LSODA",
    interventions: Sequence[Intervention] = (),
    ceiling: float | None = None,
    floor: float | None = None,
    rtol: float = 1e-8,
    atol: float = 1e-10,
    max_step: float = math.inf,
    dt: float | None = None,
    max_steps: int = MAX_STEPS,
    history: Any = None,
    backend: str = "numpy",
) -> Trajectory:
    """Integrate a model over a time span.

    Parameters
    ----------
    model : Model
        An ODE model (``kind="ode"``); use :func:`iterate` for maps.
    t_span : pair of float, optional
        Start and end time, in the model's time unit (years for the scenarios); an imported
        Vensim/XMILE model defaults to its INITIAL TIME and FINAL TIME.
    y0 : sequence or mapping, optional
        Initial spending per state (same unit as the states); defaults to the model's
        ``initial`` values.
    params : mapping, optional
        Parameter values overriding the model defaults.
    t_eval : array_like, optional
        Output times (inside ``t_span``); 201 equally spaced points by default.
    method : str
        ``"LSODA"`` (default, switches between stiff and non-stiff), any other
        ``solve_ivp`` method, or ``"exact"``: the matrix-exponential solution, for linear
        models with piecewise-constant parameters (no ramps); exact to rounding and the
        fastest choice for small systems. ``"euler"``: fixed-step Euler at ``dt`` (Vensim's
        and PySD's arithmetic), output at the file's SAVEPER unless ``t_eval`` is given;
        it reproduces Vensim's numbers, the adaptive methods the ``dt -> 0`` limit.
    interventions : sequence of Intervention
        Scheduled parameter changes (:func:`step`, :func:`pulse`, :func:`ramp`), added to the
        model's own. The solver restarts at each discontinuity.
    ceiling : float, optional
        Level of ``|spending|`` (same units as the states) at which growth counts as
        runaway; integration stops there and ``Trajectory.runaway`` records actor and time.
        Without it, a guard at ``GUARD_FACTOR * max(1, max|y0|)`` (at most ``1e300``) plays
        that role, so finite-time blow-up never hangs. A rate that overflows before the
        state reaches the level also counts as runaway.
    floor : float, optional
        Lower bound on every state, e.g. ``0`` to keep spending non-negative (the pure
        linear model can go negative). A state that reaches the floor stays there until
        its own rate turns positive (located as events, so the solver never chatters).
    rtol, atol : float
        Relative and absolute tolerances of the solver.
    max_step : float
        Largest step the solver may take (time units).
    dt : float, optional
        Step of ``method="euler"`` (model time unit); the file's TIME STEP by default.
    max_steps : int
        Budget of solver steps per segment (between interventions); a run that uses it up
        (a stiff system under an explicit method) stops with ``status=-1`` and a message.
    backend : {"numpy", "numba"}
        ``"numba"`` (the ``[fast]`` extra) integrates ``method="RK45"`` in compiled code
        (the same algorithm; results equal within the tolerance), tens of times faster for
        small models (:mod:`richardson.simulation.numba_backend`); no interventions, ceiling,
        floor or max_step. The first run of a model compiles it (seconds).

    Returns
    -------
    Trajectory

    Raises
    ------
    SimulationError
        For a bad time span, output times (NaN included), method, initial state, floor,
        ceiling or intervention.
    InvalidParameterError
        If a parameter value is NaN or infinite (the message names it).
    ModelError
        If the model is a map, or a parameter name is unknown.

    Examples
    --------
    >>> import richardson as rd
    >>> m = rd.richardson2(k=0.9, l=0.8, a=1.0, b=1.1, g=0.5, h=0.3)
    >>> tr = rd.simulate(m, (0, 50), y0=[1.0, 2.0])
    >>> round(tr.final()["x"], 4)  # equilibrium (b g + k h) / (a b - k l)
    2.1579
    """
    if model.kind != "ode":
        raise ModelError("this model is a map (kind='map'); use richardson.iterate instead.")
    _check_method(method, model)
    t0, t1 = _time_span(t_span, model)
    if dt is not None and method != "euler":
        raise SimulationError("dt= is the step of method='euler'; the other methods adapt it.")
    times = output_times(t_eval, t0, t1) if method != "euler" else None
    floor = check_floor(floor)
    no_history(model, history)
    if model.delays:
        check_delay_options(method, floor, dt)
        longest = max(d.value(model.defaults | dict(params or {})) for d in model.delays)
        if y0 is None and history is not None:
            y0 = history_function(model, history, t0, None, longest)(t0)
    y = model.initial_vector(y0)
    check_initial(y, model.states)
    if floor is not None and np.any(y < floor):
        raise SimulationError(
            f"initial state {y.tolist()} lies below floor={floor}; raise y0 or lower the floor."
        )
    p_base = model.param_vector(params)
    check_params(model.param_names, p_base)
    if int(max_steps) != max_steps or max_steps < 1:
        raise SimulationError(f"max_steps must be a positive whole number, not {max_steps!r}.")
    applied = _interventions(model, interventions)
    schedule = Schedule(model.param_index, applied)
    if model.delays and backend != "numpy":
        raise SimulationError(
            f"backend={backend!r} does not integrate delay models; leave backend='numpy' "
            "(the method of steps)"
        )
    if model.delays:
        limit = ceiling_value(ceiling, y)[0]
        past = history_function(model, history, t0, y, longest)
        outputs, status, message, runaway = integrate_delayed(
            model,
            schedule,
            p_base,
            y,
            t0,
            t1,
            times,
            past,
            method,
            rtol,
            atol,
            max_step,
            limit,
            int(max_steps),
        )
        extra = {"rtol": rtol, "atol": atol, "ceiling": limit, "delays": "method of steps"}
        return _finish(
            model, applied, schedule, p_base, *outputs, method, extra, status, message, runaway
        )
    if backend != "numpy":
        if backend not in BACKENDS:
            raise SimulationError(f"backend must be one of {BACKENDS}, not {backend!r}")
        check_supported(method, applied, ceiling, floor, max_step)
        out = integrate_numba(model, y, p_base, (t0, t1), times, rtol, atol)
        extra = {"rtol": rtol, "atol": atol, "backend": backend}
        return _finish(model, applied, schedule, p_base, *out[:2], method, extra, *out[2:])
    if method == "euler":
        return _simulate_euler(model, applied, schedule, p_base, y, t0, t1, dt, t_eval, ceiling)
    if model.n_states == 0:
        return _finish(
            model,
            applied,
            schedule,
            p_base,
            times,
            np.empty((len(times), 0)),
            method,
            {"rtol": rtol, "atol": atol},
            0,
            "no states: observables only",
        )
    extra = time_breakpoints(model, dict(zip(model.param_names, p_base, strict=True)), t0, t1)
    compiled = model.compile()
    if method == "exact" and not (
        compiled.is_linear
        and not any(schedule.varies_within(a, b) for a, b in _segments(t0, t1, schedule))
    ):
        raise SimulationError(
            "method='exact' needs a linear, autonomous model with piecewise-constant parameters "
            "(no ramps); use method='LSODA'."
        )
    limit, explicit_ceiling = ceiling_value(ceiling, y)

    out_t: list[np.ndarray] = []
    out_y: list[np.ndarray] = []
    status, message, runaway = 0, "integrated the whole time span", None
    notes: list[str] = []
    if np.max(np.abs(y)) >= limit:
        first = int(np.argmax(np.abs(y)))
        runaway = Runaway(model.actors[first], t0) if y[first] > 0 else None
        out_t, out_y, status = [np.array([t0])], [y[None, :]], 1
        message = f"initial |state| already at or above the ceiling {limit:g}"
    segments = [] if status else _segments(t0, t1, schedule, extra)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for index, (a, b) in enumerate(segments):
            last = index == len(segments) - 1
            wanted = times[(times >= a) & ((times < b) | (last & (times <= b)))]
            if method == "exact":
                result = _exact_segment(compiled, schedule, p_base, a, b, y, wanted, limit)
            else:
                result = _ivp_segment(
                    compiled,
                    schedule,
                    p_base,
                    a,
                    b,
                    y,
                    wanted,
                    limit,
                    floor,
                    method,
                    rtol,
                    atol,
                    max_step,
                    int(max_steps),
                )
            out_t.append(result.times)
            out_y.append(result.values)
            notes.extend(result.notes)
            y = result.end
            if result.status == 1:
                actor, at = model.actors[result.hit[0]], result.hit[1]
                status = 1
                if result.end[result.hit[0]] < 0:
                    message = (
                        f"{actor} fell below -{limit:g} at t = {at:.6g}: spending driven "
                        "negative without bound, a collapse (not runaway)"
                    )
                else:
                    runaway = Runaway(actor, at)
                    message = _runaway_message(result, actor, limit, explicit_ceiling)
                break
            if result.status < 0:
                status, message = -1, _failure_message(result, model.actors)
                break
    if notes:
        message = f"{message} ({'; '.join(notes)})"
    all_t = np.concatenate(out_t) if out_t else np.array([t0])
    all_y = np.concatenate(out_y) if out_y else y[None, :]
    extra = {"rtol": rtol, "atol": atol, "ceiling": limit}
    if floor is not None:
        extra["floor"] = floor
    return _finish(
        model, applied, schedule, p_base, all_t, all_y, method, extra, status, message, runaway
    )


def _subscripts(model: Model) -> dict[str, Any]:
    """The subscript ranges of an imported model's variables, for ``Trajectory.variable``."""
    ranges = model.metadata.get("subscripts")
    return {"subscripts": dict(ranges)} if ranges else {}


def _observables(model, schedule, p_base, times, values) -> dict[str, np.ndarray]:  # noqa: ANN001
    """The model's observables along the run (parameters as the interventions set them)."""
    if not model.observables or len(times) == 0:
        return {}
    params = np.array([schedule.at(t, p_base) for t in times]).reshape(len(times), -1)
    with np.errstate(all="ignore"):  # both branches of a Piecewise are evaluated
        table = compile_observables(model)(times, values, params)
    return {name: table[:, j].copy() for j, name in enumerate(model.observables)}


def _finish(
    model, applied, schedule, p_base, times, values, method, extra, status, message, runaway=None
):  # noqa: ANN001, ANN202
    attrs = {
        "model": model.name or "model",
        "method": method,
        **extra,
        "time_unit": model.time_unit,
        "state_unit": model.state_unit,
        "params": dict(zip(model.param_names, p_base.tolist(), strict=True)),
        **_subscripts(model),
    }
    return Trajectory(
        time=times,
        values=values,
        actors=model.actors,
        states=model.states,
        attrs=attrs,
        runaway=runaway,
        status=status,
        message=message,
        interventions=applied,
        observables=_observables(model, schedule, p_base, times, values),
    )


def _simulate_euler(model, applied, schedule, p_base, y, t0, t1, dt, t_eval, ceiling):  # noqa: ANN001, ANN202
    """``method="euler"``: fixed steps on the grid ``t0 + n dt``, output at SAVEPER."""
    step, n_steps, output = euler_grid(model, t0, t1, dt, None, t_eval)
    limit = None if ceiling is None else ceiling_value(ceiling, y)[0]
    if model.n_states:
        rhs = model.compile().rhs
    else:
        rhs = lambda t, state, p: np.empty(0)  # noqa: E731
    times, values, status, message, hit = euler_integrate(
        rhs, lambda t: schedule.at(t, p_base), y, t0, step, n_steps, output, limit
    )
    runaway = Runaway(model.actors[hit], float(times[-1])) if hit is not None else None
    extra = {"dt": step, "ceiling": limit if limit is not None else math.inf}
    return _finish(
        model, applied, schedule, p_base, times, values, "euler", extra, status, message, runaway
    )


def _runaway_message(result: SegmentResult, actor: str, limit: float, explicit: bool) -> str:
    at = result.hit[1]
    if result.reason == "rate":
        return (
            f"the rate of {actor} overflowed (beyond the largest double) {result.message} at "
            f"t = {at:.6g}, before the state reached the {'ceiling' if explicit else 'guard'} "
            f"{limit:g}: spending was escaping to infinity, counted as runaway"
        )
    if result.reason == "singular":
        return (
            f"{actor} was growing without bound ({result.message}) when the solver could no "
            f"longer advance at t = {at:.6g}: a finite-time blow-up, counted as runaway"
        )
    if result.reason == "state":
        return f"{actor} left the range of double precision at t = {at:.6g}, counted as runaway"
    if explicit:
        return f"{actor} crossed the ceiling {limit:g} at t = {at:.6g}"
    return (
        f"{actor} grew past the guard {limit:g} (|spending| up a millionfold) at t = {at:.6g}; "
        "pass ceiling=... to set the level"
    )


def _failure_message(result: SegmentResult, actors: Sequence[str]) -> str:
    if result.reason == "nan":
        actor = actors[result.hit[0]]
        return (
            f"the rate of {actor} {result.message}: the model is undefined there (a log, root "
            "or power of a negative number, or inf - inf); check the equations or set a floor"
        )
    return result.message


def _segment_function(compiled, schedule, p_base, a, b):  # noqa: ANN001, ANN202
    if schedule.varies_within(a, b):
        rhs, jac = compiled.rhs, compiled.jac
        return (
            lambda t, y: rhs(t, y, schedule.at(t, p_base)),
            lambda t, y: jac(t, y, schedule.at(t, p_base)),
        )
    bound = compiled.bind(schedule.at(0.5 * (a + b), p_base))
    return bound.rhs, bound.jac


def _lean_lsoda(compiled, schedule, p_base, a, b, y, wanted, limit, rtol, atol, max_step):  # noqa: ANN001, ANN202
    """LSODA through ``odeint`` (its stepping loop runs in Fortran, 5x less overhead than
    ``solve_ivp`` for small systems) for a linear segment with constant parameters.

    Returns None when the lean path does not apply or when an output reaches the ceiling,
    so the caller integrates the segment with ``solve_ivp`` and locates the crossing exactly.
    """
    if schedule.varies_within(a, b):
        return None
    bound = compiled.bind(schedule.at(0.5 * (a + b), p_base))
    if bound.matrix is None:
        return None
    growth = float(np.max(np.linalg.eigvals(bound.matrix).real)) * (b - a)
    if growth > 40:  # may overflow before an output time: let solve_ivp's event stop it
        return None
    eval_times = np.concatenate([[a], wanted[(wanted > a) & (wanted < b)], [b]])
    matrix = bound.matrix
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        values, info = odeint(
            bound.rhs,
            y,
            eval_times,
            Dfun=lambda t, state: matrix,
            tfirst=True,
            rtol=rtol,
            atol=atol,
            hmax=0.0 if math.isinf(max_step) else max_step,
            full_output=True,
        )
    if caught or info["message"] != "Integration successful." or np.max(np.abs(values)) >= limit:
        return None
    keep = np.isin(eval_times, wanted)
    return SegmentResult(eval_times[keep], values[keep], values[-1], 0, info["message"])


def _ivp_segment(
    compiled,
    schedule,
    p_base,
    a,
    b,
    y,
    wanted,
    limit,
    floor,
    method,  # noqa: ANN001
    rtol,
    atol,
    max_step,
    max_steps,
) -> SegmentResult:
    if method == "LSODA" and floor is None:
        lean = _lean_lsoda(compiled, schedule, p_base, a, b, y, wanted, limit, rtol, atol, max_step)
        if lean is not None:
            return lean
    fun, jac = _segment_function(compiled, schedule, p_base, a, b)
    return integrate_segment(
        fun, jac, a, b, y, wanted, limit, floor, method, rtol, atol, max_step, max_steps
    )


def _magnitude(states: np.ndarray) -> np.ndarray:
    """Largest ``|state|`` per row; a non-finite state counts as infinitely large."""
    states = np.atleast_2d(states)
    return np.where(np.isfinite(states), np.abs(states), np.inf).max(axis=1)


def _exact_segment(compiled, schedule, p_base, a, b, y, wanted, limit) -> SegmentResult:  # noqa: ANN001
    bound = compiled.bind(schedule.at(0.5 * (a + b), p_base))
    matrix, offset = bound.matrix, bound.offset
    probe = np.union1d(wanted, [a, b])
    if len(probe) < 65:  # the ceiling is checked on the probe grid, then located exactly
        probe = np.union1d(probe, np.linspace(a, b, 65))
    states = _affine_propagator(matrix, offset, y, probe - a)
    above = np.nonzero(_magnitude(states) >= limit)[0]
    if not above.size:
        keep = np.isin(probe, wanted)
        return SegmentResult(probe[keep], states[keep], states[-1], 0, "")

    def excess(t: float) -> float:
        state = _affine_propagator(matrix, offset, y, np.array([t - a]))
        return float(min(_magnitude(state)[0], 2 * limit)) - limit

    first = above[0]
    lo = probe[first - 1] if first > 0 else a
    crossing = scipy.optimize.brentq(
        excess, lo, probe[first], xtol=1e-300, rtol=1e-13, maxiter=4000
    )
    at_hit = _affine_propagator(matrix, offset, y, np.array([crossing - a]))[0]
    if not np.all(np.isfinite(at_hit)):
        at_hit = np.where(np.isfinite(at_hit), at_hit, limit)
    before = wanted[wanted < crossing]
    seg_y = np.vstack([_affine_propagator(matrix, offset, y, before - a), at_hit])
    index = int(np.argmax(np.abs(at_hit)))
    return SegmentResult(
        np.append(before, crossing), seg_y, at_hit, 1, "", (index, crossing), "guard"
    )
