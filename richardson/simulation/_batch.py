"""The guarded step loop of an ensemble chunk: :class:`Batch`.

All members of a chunk are one stacked system, but each member keeps its own fate:

- a member whose ``|state|`` reaches the guard is **frozen** there; its crossing time is
  located exactly (root of ``max|y| - limit`` on the step's dense output), not read off the
  output grid; upwards it is runaway, downwards a collapse;
- a member whose rate is infinite (overflow) or NaN is frozen at once, so it never poisons
  the error norm, and hence the step size, of the others: infinite counts as runaway, NaN
  as a failure of that member;
- when the chunk uses up its step budget or the solver fails, the members that force the
  small steps (largest ``rho(J) + |f|/|y|``, a stiffness and speed score) are stopped and
  flagged as failed, and the others go on.

Frozen members have rate zero, so the solver restarts whenever the set changes.
"""

from __future__ import annotations

import numpy as np
import scipy.optimize
import scipy.sparse

from ._stepping import SOLVERS

__all__ = ["Batch", "ENSEMBLE_MAX_STEPS"]

#: Default step budget of one chunk and segment before the slowest members are stopped.
ENSEMBLE_MAX_STEPS = 10_000

_RUNNING, _RUNAWAY, _COLLAPSE, _FAILED = 0, 1, 2, -1


class Batch:
    """Fates and outputs of the ``m`` members of one chunk, across its segments.

    Parameters
    ----------
    rhs, jac : callable
        ``rhs(t, state, p)`` and ``jac(t, state, p)`` of the compiled model, with
        ``state`` of shape ``(n, m)``.
    times : numpy.ndarray
        Output times of the whole run.
    initial : numpy.ndarray
        States ``(n, m)`` at the start.
    limit : float or numpy.ndarray
        Guard on ``|state|``: one for all members or one per member ``(m,)``.
    floor : float or None
        Lower bound on every state (the field is projected there).
    method, rtol, atol, max_steps
        Solver options and the step budget per segment.
    t0 : float
        Start time (a member starting at or beyond the guard is runaway there).
    """

    def __init__(self, rhs, jac, times, initial, limit, floor, method, rtol, atol, max_steps, t0):  # noqa: ANN001, PLR0913
        self.rhs, self.jac = rhs, jac
        n, m = initial.shape
        self.n, self.m = n, m
        limit = np.broadcast_to(np.asarray(limit, dtype=float), (m,))
        self.times, self.limit, self.floor = times, limit, floor
        self.method, self.rtol, self.atol, self.max_steps = method, rtol, atol, max_steps
        self.y = initial.astype(float).copy()
        self.out = np.full((len(times), n, m), np.nan)
        self.fate = np.full(m, _RUNNING)
        self._frozen = np.zeros(m, dtype=bool)
        self._any_frozen = False
        self.runaway_time = np.full(m, np.nan)
        self.runaway_actor = np.full(m, -1)
        self.collapse_time = np.full(m, np.nan)
        self.reasons: dict[int, str] = {}
        self._pending: dict[int, tuple[float, str]] = {}
        self._params = None
        self._history: list[tuple[np.ndarray, float]] = []  # (states (n, m), step)
        self._smallest_limit = float(limit.min())
        index = np.abs(self.y).max(axis=0) >= limit
        for member in np.nonzero(index)[0]:
            self._runaway(member, t0, self.y[:, member])

    # -------------------------------------------------------------- the field
    @property
    def frozen(self) -> np.ndarray:
        return self._frozen

    def _set_fate(self, member: int, fate: int) -> None:
        self.fate[member] = fate
        self._frozen = self.fate != _RUNNING
        self._any_frozen = True

    def _fun(self, t: float, flat: np.ndarray) -> np.ndarray:
        state = flat.reshape(self.n, self.m)
        on_floor = self.floor is not None and state.min() <= self.floor
        if on_floor:
            state = np.maximum(state, self.floor)  # the field continued from the floor
        rate = np.asarray(self.rhs(t, state, self._params(t)), dtype=float)
        if on_floor:
            rate = np.where((state <= self.floor) & (rate < 0), 0.0, rate)
        if self._any_frozen:
            rate[:, self._frozen] = 0.0
        # the sum is finite only when every rate is (an overflow of the sum is checked below)
        if not np.isfinite(rate.sum()) and not np.isfinite(rate).all():
            bad = ~np.all(np.isfinite(rate), axis=0)
            for member in np.nonzero(bad)[0]:
                if member not in self._pending:
                    kind = "overflow" if np.any(np.isinf(rate[:, member])) else "nan"
                    self._pending[member] = (t, kind)
            rate[:, bad] = 0.0
        return rate.ravel()

    def _block_jac(self, t: float, flat: np.ndarray):  # noqa: ANN202
        n, m = self.n, self.m
        with np.errstate(all="ignore"):
            blocks = np.array(self.jac(t, flat.reshape(n, m), self._params(t)), dtype=float)
        blocks[:, :, self.frozen | ~np.all(np.isfinite(blocks), axis=(0, 1))] = 0.0
        i, j, member = np.meshgrid(np.arange(n), np.arange(n), np.arange(m), indexing="ij")
        rows, cols = (i * m + member).ravel(), (j * m + member).ravel()
        return scipy.sparse.csc_array((blocks.ravel(), (rows, cols)), shape=(n * m, n * m))

    def _solver(self, t: float, end: float):  # noqa: ANN202
        options = {"rtol": self.rtol, "atol": self.atol}
        if self.method in ("BDF", "Radau"):
            options["jac"] = self._block_jac
        return SOLVERS[self.method](self._fun, t, self.y.ravel(), end, **options)

    # -------------------------------------------------------------- fates
    def _runaway(self, member: int, t: float, state: np.ndarray) -> None:
        """Freeze a member whose ``|state|`` reached the guard: runaway when the largest
        state is positive, a collapse (driven negative without bound) otherwise."""
        magnitude = np.where(np.isfinite(state), np.abs(state), np.inf)
        actor = int(np.argmax(magnitude))
        if state[actor] < 0:
            self._set_fate(member, _COLLAPSE)
            self.collapse_time[member] = t
        else:
            self._set_fate(member, _RUNAWAY)
            self.runaway_time[member] = t
            self.runaway_actor[member] = actor
        limit = self.limit[member]
        clipped = np.clip(np.where(np.isfinite(state), state, limit), -limit, limit)
        self.y[:, member] = clipped
        self.out[self.times > t, :, member] = clipped

    def _fail(self, member: int, t: float, reason: str) -> None:
        self._set_fate(member, _FAILED)
        self.reasons[int(member)] = reason
        self.out[self.times > t, :, member] = np.nan

    def _settle_pending(self, t_accepted: float) -> bool:
        """Freeze the members whose rate went non-finite; True when any was."""
        if not self._pending:
            return False
        for member, (t, kind) in sorted(self._pending.items()):
            if self.fate[member] != _RUNNING:
                continue
            if kind == "overflow":
                self._runaway(member, max(t, t_accepted), self.y[:, member])
            else:
                self._fail(member, t_accepted, f"its rate is NaN at t = {t:.6g}")
        self._pending.clear()
        return True

    def _stop_slowest(self, t: float, why: str) -> None:
        """Stop the members that force the small steps (stiff or fast), flagged as failed."""
        active = np.nonzero(~self.frozen)[0]
        with np.errstate(all="ignore"):
            rate = np.asarray(self.rhs(t, self.y, self._params(t)), dtype=float)
            blocks = np.array(self.jac(t, self.y, self._params(t)), dtype=float)
        blocks = np.nan_to_num(blocks, nan=0.0, posinf=1e300, neginf=-1e300)
        radius = np.abs(np.linalg.eigvals(np.moveaxis(blocks, -1, 0))).max(axis=1)
        speed = np.max(np.abs(rate) / np.maximum(np.abs(self.y), self.atol), axis=0)
        score = np.nan_to_num(radius + speed, nan=np.inf)[active]
        worst = active[score >= 0.1 * np.max(score)] if np.isfinite(np.max(score)) else active
        rising = _blowing_up([(np.abs(y).max(axis=0), step) for y, step in self._history])
        for member in worst:
            if rising is not None and rising[member]:
                self._runaway(member, t, self.y[:, member])
                continue
            self._fail(member, t, f"{why} at t = {t:.6g} (the fastest or stiffest member)")

    # -------------------------------------------------------------- loop
    def segment(self, a: float, b: float, last: bool, params) -> None:  # noqa: ANN001
        """Integrate every running member from ``a`` to ``b``."""
        self._params = params
        at_start = self.times == a
        self.out[at_start] = np.where(self.frozen & (self.fate == _FAILED), np.nan, self.y)
        t = a
        with np.errstate(all="ignore"):
            while t < b and not np.all(self.frozen):
                t = self._run(t, b)
        if last:
            self.out[self.times == b] = np.where(self.fate == _FAILED, np.nan, self.y)

    def _run(self, t: float, b: float) -> float:
        """Integrate until ``b`` or until the set of running members changes."""
        solver = self._solver(t, b)
        self._history.clear()
        steps = 0
        while solver.status == "running":
            why = None
            if steps >= self.max_steps:
                why = f"the chunk used its budget of {self.max_steps} steps (stiff or too fast)"
            else:
                try:
                    solver.step()
                except (ValueError, ArithmeticError, np.linalg.LinAlgError) as err:
                    why = f"the solver broke down ({err})"
                steps += 1
                if why is None and solver.status == "failed":
                    why = "the step size fell below the spacing of floating-point times"
            if why is not None:
                if not self._settle_pending(solver.t):
                    self._stop_slowest(solver.t, why)
                return solver.t
            if solver.t == solver.t_old:
                continue
            changed = self._accept(solver)
            if changed is not None:
                return changed
        return solver.t

    def _accept(self, solver) -> float | None:  # noqa: ANN001
        """Outputs and guard crossings of one accepted step; the restart time or None."""
        t_old, t = solver.t_old, solver.t
        states = solver.y.reshape(self.n, self.m)
        crossed = np.zeros(self.m, dtype=bool)
        # the guard per member only when some |state| reaches the smallest guard at all
        if states.max() >= self._smallest_limit or -states.min() >= self._smallest_limit:
            crossed = (np.abs(states).max(axis=0) >= self.limit) & ~self.frozen
        inside = (self.times > t_old) & (self.times <= t)
        if inside.any() or crossed.any():  # the step's interpolant, only when it is read
            dense = solver.dense_output()
        if inside.any():
            values = np.moveaxis(dense(self.times[inside]).reshape(self.n, self.m, -1), -1, 0)
            block = self.out[inside]
            running = ~self.frozen
            block[:, :, running] = values[:, :, running]
            self.out[inside] = block
        self._history.append((states, t - t_old))
        del self._history[:-4]
        # the solver's own states (a frozen member's rate is zero, so its state is unchanged)
        self.y = states
        for member in np.nonzero(crossed)[0]:
            when = _crossing(dense, self.n, self.m, member, self.limit[member], t_old, t)
            state = dense(when).reshape(self.n, self.m)[:, member]
            self._runaway(member, when, state)
        settled = self._settle_pending(t)
        return t if crossed.any() or settled else None


def _blowing_up(history: list[tuple[np.ndarray, float]]) -> np.ndarray | None:
    """Members whose ``max|y|`` rose at each of the last steps while the steps shrank (a
    finite-time singularity), or None when the history is too short."""
    if len(history) < 3:
        return None
    sizes = np.array([size for size, _ in history])
    lengths = np.array([length for _, length in history])
    if not np.all(np.diff(lengths) < 0):
        return None
    return np.all(np.diff(sizes, axis=0) > 0, axis=0)


def _crossing(dense, n, m, member, limit, lo, hi) -> float:  # noqa: ANN001
    """Time in ``[lo, hi]`` where ``max|y|`` of one member first reaches ``limit``."""

    def excess(s: float) -> float:
        column = dense(s).reshape(n, m)[:, member]
        return float(min(np.max(np.abs(column)), 2 * limit)) - limit

    if excess(lo) >= 0:
        return lo
    if excess(hi) < 0:
        return hi
    xtol = max(1e-15 * max(abs(lo), abs(hi)), 1e-300)
    return scipy.optimize.brentq(excess, lo, hi, xtol=xtol, rtol=1e-15, maxiter=400)
