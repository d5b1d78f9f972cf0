"""The guarded step loop of one segment: :func:`integrate_segment`.

``solve_ivp`` hands every decision to the solver; here each accepted step is checked before
the next one is taken, so no run can hang or report a NaN as success:

- the **guard** watches ``|y|`` (growth downwards runs away as surely as growth upwards); a
  crossing is located exactly on the step's dense output;
- a **non-finite rate** (``exp(x)`` or ``x**64`` overflowing before the state reaches the
  guard) stops the run at once: an infinite rate is runaway, a NaN rate a failure;
- a **floor** is an event, not a projection: a state that reaches it is pinned there (its rate
  held at zero) until its own rate turns positive, so the solver never chatters against a
  discontinuous vector field;
- a **step budget** and a no-progress check stop a solver that crawls (a stiff system under
  an explicit method, a step size that underflows), with a message that says what to try.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.optimize
from scipy.integrate import BDF, DOP853, LSODA, RK23, RK45, Radau

__all__ = ["SegmentResult", "integrate_segment", "SOLVERS", "MAX_STEPS"]

#: solver classes of ``scipy.integrate`` by method name.
SOLVERS = {"LSODA": LSODA, "RK45": RK45, "RK23": RK23, "DOP853": DOP853, "Radau": Radau, "BDF": BDF}

#: Default budget of accepted steps per segment.
MAX_STEPS = 100_000

#: Consecutive steps without progress in time after which the solver counts as stuck.
_STALLED_STEPS = 20

#: Step budget of the RK45 rescue when another solver breaks down.
_FALLBACK_STEPS = 2_000

_IMPLICIT = ("LSODA", "Radau", "BDF")


def _is_blowing_up(history: list[tuple[float, float]]) -> bool:
    """Whether the last accepted steps look like a finite-time singularity: ``max|y|``
    rising at every step while the steps shrink."""
    if len(history) < 3:
        return False
    sizes = [size for size, _ in history]
    lengths = [length for _, length in history]
    rising = all(b > a for a, b in zip(sizes, sizes[1:], strict=False))
    shrinking = all(b < a for a, b in zip(lengths, lengths[1:], strict=False))
    return rising and shrinking


@dataclass(frozen=True)
class SegmentResult:
    """What one segment produced.

    ``status`` is 0 (segment finished), 1 (guard or ceiling crossed: ``hit`` is
    ``(state index, time)``) or -1 (solver failure, see ``message``).
    """

    times: np.ndarray
    values: np.ndarray
    end: np.ndarray
    status: int
    message: str
    hit: tuple[int, float] | None = None
    reason: str = ""
    notes: tuple[str, ...] = ()


class _RateNotFinite(Exception):
    """Raised from inside the solver when the right-hand side is not finite."""

    def __init__(self, t: float, y: np.ndarray, rate: np.ndarray) -> None:
        super().__init__(t)
        self.t, self.y, self.rate = t, np.array(y, dtype=float), np.array(rate, dtype=float)


def _locate(function, lo: float, hi: float) -> float:  # noqa: ANN001
    """First time in ``[lo, hi]`` where ``function`` turns non-negative (it is at ``hi``)."""
    if hi <= lo or function(lo) >= 0:
        return lo
    if function(hi) < 0:
        return hi
    xtol = max(1e-15 * max(abs(lo), abs(hi)), 1e-300)
    return scipy.optimize.brentq(function, lo, hi, xtol=xtol, rtol=1e-15, maxiter=400)


def integrate_segment(
    fun,  # noqa: ANN001
    jac,  # noqa: ANN001
    a: float,
    b: float,
    y: np.ndarray,
    wanted: np.ndarray,
    limit: float,
    floor: float | None,
    method: str,
    rtol: float,
    atol: float,
    max_step: float,
    max_steps: int = MAX_STEPS,
) -> SegmentResult:
    """Integrate ``y' = fun(t, y)`` from ``a`` to ``b`` under the guard ``|y| < limit``.

    Parameters
    ----------
    fun, jac : callable
        Right-hand side and its Jacobian (``jac`` may be None).
    a, b : float
        Segment start and end (model time unit).
    y : numpy.ndarray
        State at ``a``.
    wanted : numpy.ndarray
        Output times inside ``[a, b]``.
    limit : float
        Guard or ceiling on ``|y|``; the run stops where a state first reaches it.
    floor : float or None
        Lower bound on every state (states reaching it are pinned there).
    method : str
        A key of :data:`SOLVERS`.
    rtol, atol, max_step : float
        Solver options.
    max_steps : int
        Budget of accepted steps for the segment.

    Returns
    -------
    SegmentResult
    """
    loop = _Loop(fun, jac, wanted, limit, floor, method, rtol, atol, max_step, b)
    return loop.run(a, np.asarray(y, dtype=float), max_steps)


class _Loop:
    """State of one segment's integration: outputs so far, pinned states, solver."""

    def __init__(self, fun, jac, wanted, limit, floor, method, rtol, atol, max_step, end):  # noqa: ANN001, PLR0913
        self.fun, self.jac = fun, jac
        self.wanted, self.limit, self.floor = wanted, limit, floor
        self.method, self.end = method, end
        self.options: dict[str, Any] = {"rtol": rtol, "atol": atol, "max_step": max_step}
        self.times: list[float] = []
        self.values: list[np.ndarray] = []
        self.pinned = np.zeros(0, dtype=bool)
        self.notes: list[str] = []
        self.fallen_back = False

    # ------------------------------------------------------------------ pieces
    def _rate(self, t: float, y: np.ndarray) -> np.ndarray:
        # below the floor (trial states only) the field is continued from the floor, so a
        # model undefined there (sqrt, log of spending) is never evaluated outside its domain
        state = y if self.floor is None else np.maximum(y, self.floor)
        rate = np.asarray(self.fun(t, state), dtype=float)
        if self.pinned.any():
            rate = np.where(self.pinned, 0.0, rate)
        if not np.all(np.isfinite(rate)):
            raise _RateNotFinite(t, y, rate)
        return rate

    def _solver(self, t: float, y: np.ndarray):  # noqa: ANN202
        options = dict(self.options)
        if self.jac is not None and self.method in _IMPLICIT and not self.pinned.any():
            options["jac"] = self.jac
        return SOLVERS[self.method](self._rate, t, y, self.end, **options)

    def _emit(self, lo: float, hi: float, dense, closed: bool) -> None:  # noqa: ANN001
        """Record the wanted outputs in ``(lo, hi]`` (``[lo, hi]`` when ``closed``)."""
        inside = (self.wanted > lo) | (closed & (self.wanted == lo))
        picked = self.wanted[inside & (self.wanted <= hi)]
        for t in picked:
            self.times.append(float(t))
            self.values.append(self._clamp(np.asarray(dense(t), dtype=float)))

    def _clamp(self, y: np.ndarray) -> np.ndarray:
        if self.floor is None:
            return y
        return np.where(self.pinned, self.floor, np.maximum(y, self.floor))

    def _result(self, end, status, message, hit=None, reason="") -> SegmentResult:  # noqa: ANN001
        n = len(end)
        values = np.array(self.values).reshape(-1, n)
        return SegmentResult(
            np.array(self.times), values, end, status, message, hit, reason, tuple(self.notes)
        )

    # ------------------------------------------------------------------ events
    def _first_event(self, solver, dense):  # noqa: ANN001, ANN202
        """The earliest event inside the last step: ``(time, kind, index)`` or None."""
        t_old, t, y = solver.t_old, solver.t, solver.y
        events = []
        magnitude = np.abs(y)
        for i in np.nonzero(magnitude >= self.limit)[0]:
            time = _locate(lambda s, i=i: abs(dense(s)[i]) - self.limit, t_old, t)
            events.append((time, "guard", int(i)))
        if self.floor is not None:
            for i in np.nonzero(~self.pinned & (y <= self.floor))[0]:
                time = _locate(lambda s, i=i: self.floor - dense(s)[i], t_old, t)
                events.append((time, "floor", int(i)))
            for i in np.nonzero(self.pinned)[0]:
                if self._free_rate(t, y)[i] > 0:
                    time = _locate(lambda s, i=i: self._free_rate(s, dense(s))[i], t_old, t)
                    events.append((time, "release", int(i)))
        return min(events) if events else None

    def _free_rate(self, t: float, y: np.ndarray) -> np.ndarray:
        """The rate a pinned state would have if it were let go."""
        state = np.maximum(np.where(self.pinned, self.floor, y), self.floor)
        return np.asarray(self.fun(t, state), dtype=float)

    # ------------------------------------------------------------------ loop
    def run(self, t: float, y: np.ndarray, max_steps: int) -> SegmentResult:
        self.pinned = np.zeros(len(y), dtype=bool)
        if self.floor is not None:
            y = np.maximum(y, self.floor)
            with np.errstate(all="ignore"):
                self.pinned = (y <= self.floor) & (self._free_rate(t, y) <= 0)
        self._emit(t, t, lambda s: y, closed=True)
        solver = self._solver(t, y)
        steps = stalled = 0
        history: list[tuple[float, float]] = []  # (max|y|, step length) of accepted steps
        while solver.status == "running":
            if steps >= max_steps:
                return self._result(
                    solver.y,
                    -1,
                    f"the solver {self.method} used its budget of {max_steps} steps at "
                    f"t = {solver.t:.6g} (step size {solver.step_size:.3g}) without reaching "
                    f"t = {self.end:g}; the system is probably stiff: use method='Radau' or "
                    "'BDF', or raise max_steps",
                )
            broke = self._step(solver)
            if isinstance(broke, SegmentResult):
                return broke
            steps += 1
            stalled = stalled + 1 if broke is None and solver.t == solver.t_old else 0
            if stalled >= _STALLED_STEPS:
                broke = f"made no progress ({_STALLED_STEPS} steps of zero length)"
            if broke is not None:
                if _is_blowing_up(history):
                    return self._escaped(solver.t, solver.y, "singular")
                if self.method == "RK45" or self.fallen_back:
                    return self._result(
                        solver.y,
                        -1,
                        f"the solver {self.method} {broke} at t = {solver.t:.6g}; the rates "
                        "are too large or too stiff for double precision at this time scale: "
                        "rescale the parameters or the units, or try method='Radau'",
                    )
                self.notes.append(
                    f"{self.method} {broke} at t = {solver.t:.6g}, continued with RK45"
                )
                self.method, self.fallen_back = "RK45", True
                solver = self._solver(solver.t, solver.y)
                steps, stalled, max_steps = 0, 0, min(max_steps, _FALLBACK_STEPS)
                continue
            if solver.t == solver.t_old:
                continue
            history.append((float(np.max(np.abs(solver.y))), solver.t - solver.t_old))
            del history[:-4]
            if not np.all(np.isfinite(solver.y)):
                return self._escaped(solver.t, solver.y, "state")
            dense = solver.dense_output()
            event = self._first_event(solver, dense)
            if event is None:
                self._emit(solver.t_old, solver.t, dense, closed=False)
                continue
            time, kind, index = event
            state = self._clamp(np.asarray(dense(time), dtype=float))
            self._emit(solver.t_old, np.nextafter(time, -np.inf), dense, closed=False)
            if kind == "guard":
                state[index] = np.sign(state[index]) * self.limit
                self.times.append(time)
                self.values.append(state)
                return self._result(state, 1, "", (index, time), "guard")
            if kind == "floor":
                state[index] = self.floor
                self.pinned[index] = True
            else:
                self.pinned[index] = False
            self._emit(np.nextafter(time, -np.inf), time, lambda s, state=state: state, False)
            solver = self._solver(time, state)
        return self._result(self._clamp(solver.y), 0, "segment integrated")

    def _step(self, solver) -> SegmentResult | str | None:  # noqa: ANN001
        """One solver step: None when it went well, a reason when the solver broke down,
        a result when the rate stopped the run."""
        try:
            solver.step()
        except _RateNotFinite as err:
            if np.all(np.isfinite(err.y)):
                return self._not_finite(solver, err)
            return "produced a non-finite trial state"
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as err:
            return f"broke down ({err})"
        if solver.status == "failed":
            return "failed (step size below the spacing of floating-point times)"
        return None

    def _not_finite(self, solver, err: _RateNotFinite) -> SegmentResult:  # noqa: ANN001
        if np.any(np.isinf(err.rate)):
            index = int(np.argmax(np.where(np.isinf(err.rate), np.abs(err.y), -np.inf)))
            return self._escaped(max(err.t, solver.t), err.y, "rate", index)
        index = int(np.argmax(np.isnan(err.rate)))
        return self._result(
            solver.y,
            -1,
            f"is NaN at t = {err.t:.6g}, state {err.y.tolist()}",
            (index, err.t),
            "nan",
        )

    def _escaped(self, t, y, reason, index=None) -> SegmentResult:  # noqa: ANN001
        """Runaway: the state or its rate left the range of double precision."""
        finite = np.where(np.isfinite(y), np.abs(y), np.inf)
        index = int(np.argmax(finite)) if index is None else index
        state = np.clip(
            np.where(np.isfinite(y), y, np.sign(y) * self.limit), -self.limit, self.limit
        )
        while self.times and self.times[-1] >= t:
            self.times.pop()
            self.values.pop()
        self.times.append(float(t))
        self.values.append(state)
        return self._result(state, 1, f"at {y[index]:.6g}", (index, float(t)), reason)
