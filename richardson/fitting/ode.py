"""Trajectory fitting: least squares on solved ODE trajectories with forward sensitivities.

The model's compiled right-hand side, ``df/dy`` and ``df/dp`` are integrated together with
the sensitivity equations ``S' = (df/dy) S + df/dp`` (``S = dy/dtheta``), so every residual
comes with its exact Jacobian. All of it is batched: ``m`` parameter sets (starts, profile
points, bootstrap resamples) are one vectorised system, fitted together by a batched
Levenberg-Marquardt iteration (:func:`batched_least_squares`). A single fit uses
``scipy.optimize.least_squares`` (trust-region reflective, bounds) on the same residuals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize
import scipy.stats
from scipy.integrate import solve_ivp

from ..codegen.compiled import CompiledModel

__all__ = [
    "TrajectoryProblem",
    "batched_least_squares",
    "batched_expm",
    "profile_intervals",
    "LMResult",
]

#: A member whose predicted spending exceeds this multiple of the largest observation is
#: frozen and counted as failed (the parameters describe a runaway far from the data).
BLOW_UP = 1e4
#: Right-hand-side evaluations of one batched explicit solve, and of one member's stiff solve,
#: before it is abandoned (a solve that needs more is stiff or running away: a smooth 30-year
#: solve takes a few hundred).
BATCH_RHS_BUDGET = 3_000
MEMBER_RHS_BUDGET = 6_000
#: Explicit steps (stability-limited, estimated from the Jacobian at the observed states)
#: above which a member is solved on its own with LSODA rather than in the batch.
STIFF_STEPS = 300


class _OverBudget(Exception):
    """Raised inside a right-hand side when a solve has used up its evaluations."""


@dataclass(eq=False)
class TrajectoryProblem:
    """Everything needed to turn parameter vectors into residuals and their Jacobian.

    Attributes
    ----------
    compiled : CompiledModel
        The model's generated functions.
    times : ndarray, shape (T,)
        Observation times (years); integration starts at ``times[0]``.
    observed : ndarray, shape (T, n)
        Observed states in model-state order.
    p_base : ndarray, shape (P,)
        Full parameter vector; free entries are overwritten by ``theta``.
    free_params : ndarray of int
        Positions (in the model's parameter vector) of the free model parameters.
    fit_initial : bool
        If True the last ``n`` entries of ``theta`` are the initial states.
    y0 : ndarray, shape (n,)
        Initial state used when ``fit_initial`` is False.
    log : bool
        Residuals ``log(observed) - log(predicted)`` instead of differences.
    exact_linear : bool
        Solve linear autonomous models exactly (matrix exponentials) instead of by RK45.
    max_rate : float
        Members whose fastest rate (the Jacobian's norm at the observed states, per time
        unit) exceeds this are not solved but failed: adjustments much faster than the
        sampling interval cannot be told from instant ones by the data.
    names : tuple of str
        Names of the entries of ``theta``.
    lower, upper : ndarray, shape (Q,)
        Bounds of ``theta``.
    """

    compiled: CompiledModel
    times: np.ndarray
    observed: np.ndarray
    p_base: np.ndarray
    free_params: np.ndarray
    fit_initial: bool
    y0: np.ndarray
    log: bool
    names: tuple[str, ...]
    lower: np.ndarray
    upper: np.ndarray
    rtol: float = 1e-8
    exact_linear: bool = True
    max_rate: float = math.inf
    n_solves: list[int] = field(default_factory=lambda: [0])

    @property
    def n(self) -> int:
        return self.observed.shape[1]

    @property
    def q(self) -> int:
        return len(self.names)

    @property
    def q_model(self) -> int:
        return len(self.free_params)

    def target(self, observed: np.ndarray | None = None) -> np.ndarray:
        """Flattened observations ``(N, 1)`` (time-major), on the log scale if ``log``."""
        values = self.observed if observed is None else observed
        flat = values.reshape(-1, 1) if values.ndim == 2 else values
        return np.log(flat) if self.log else flat

    def full(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Full parameter vectors ``(P, m)`` and initial states ``(n, m)`` from ``theta (Q, m)``."""
        m = theta.shape[1]
        params = np.repeat(self.p_base[:, None], m, axis=1)
        params[self.free_params] = theta[: self.q_model]
        if self.fit_initial:
            initial = theta[self.q_model :]
        else:
            initial = np.repeat(self.y0[:, None], m, axis=1)
        return params, initial

    def solve(self, theta: np.ndarray, sensitivities: bool = True):  # noqa: ANN201
        """Predicted states ``(T, n, m)``, sensitivities ``(T, n, Q, m)`` and success ``(m,)``."""
        theta = np.asarray(theta, dtype=float)
        n, q, qm = self.n, self.q, self.q_model
        m = theta.shape[1]
        params, initial = self.full(theta)
        compiled = self.compiled
        cap = BLOW_UP * max(1.0, float(np.nanmax(np.abs(self.observed))))
        free = self.free_params
        width = n * (1 + q) if sensitivities else n
        t = self.times

        def make_rhs(p: np.ndarray, columns: int, budget: int):  # noqa: ANN202
            calls = [0]

            def rhs(t: float, flat: np.ndarray) -> np.ndarray:
                calls[0] += 1
                if calls[0] > budget:
                    raise _OverBudget
                z = flat.reshape(width, columns)
                y = z[:n]
                rate = np.empty_like(z)
                rate[:n] = compiled.rhs(t, y, p)
                if sensitivities:
                    s = z[n:].reshape(n, q, columns)
                    jac = compiled.jac(t, y, p)
                    ds = np.einsum("ijm,jqm->iqm", jac, s)
                    if qm:
                        ds[:, :qm] += compiled.jac_p(t, y, p)[:, free]
                    rate[n:] = ds.reshape(n * q, columns)
                stopped = ~np.all(np.isfinite(y) & (np.abs(y) < cap), axis=0)
                if stopped.any():
                    rate[:, stopped] = 0.0
                return rate.ravel()

            return rhs

        def integrate(p: np.ndarray, z: np.ndarray, method: str, budget: int) -> np.ndarray:
            columns = z.shape[1]
            try:
                solution = solve_ivp(
                    make_rhs(p, columns, budget),
                    (t[0], t[-1]),
                    z.ravel(),
                    method=method,
                    t_eval=t,
                    rtol=self.rtol,
                    atol=1e-12,
                )
            except _OverBudget:
                return np.full((len(t), width, columns), np.nan)
            if solution.status == 0 and solution.y.shape[1] == len(t):
                return solution.y.T.reshape(-1, width, columns)
            return np.full((len(t), width, columns), np.nan)

        z0 = np.zeros((width, m))
        z0[:n] = initial
        if sensitivities and self.fit_initial:
            s0 = np.zeros((n, q, m))
            s0[np.arange(n), qm + np.arange(n)] = 1.0
            z0[n:] = s0.reshape(n * q, m)
        self.n_solves[0] += 1
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if self.exact_linear and compiled.is_linear and compiled.is_autonomous:
                states = self._propagate_linear(params, z0, sensitivities)
            else:
                states = np.full((len(t), width, m), np.nan)
                rates = self._fastest_rates(params)
                span = float(t[-1] - t[0])
                too_fast = ~(rates <= self.max_rate)
                stiff = ~too_fast & (rates * span / 3.0 > STIFF_STEPS)
                # members that are stiff near the data go to LSODA (which switches to a stiff
                # method) one by one; the rest share batched explicit solves, split in halves
                # when one of them turns out stiff after all (a member that makes the system
                # stiff sets the step size for all): a failed solve, never a hang
                pending = [np.flatnonzero(~stiff & ~too_fast)]
                while pending:
                    cols = pending.pop()
                    if cols.size == 0:
                        continue
                    if cols.size > 1:
                        part = integrate(params[:, cols], z0[:, cols], "RK45", BATCH_RHS_BUDGET)
                        if np.all(np.isfinite(part)):
                            states[:, :, cols] = part
                        else:
                            pending += [cols[: cols.size // 2], cols[cols.size // 2 :]]
                        continue
                    stiff[cols] = True
                for j in np.flatnonzero(stiff):
                    states[:, :, j : j + 1] = integrate(
                        params[:, j : j + 1], z0[:, j : j + 1], "LSODA", MEMBER_RHS_BUDGET
                    )
        predicted = states[:, :n]
        ok = np.all(np.isfinite(predicted) & (np.abs(predicted) < cap), axis=(0, 1))
        if self.log:
            ok &= np.all(predicted > 0, axis=(0, 1))
        sens = states[:, n:].reshape(len(t), n, q, m) if sensitivities else None
        return predicted, sens, ok

    def _fastest_rates(self, params: np.ndarray) -> np.ndarray:
        """Largest Jacobian norm ``(m,)`` of each member over the observed states (1/time).

        An explicit method needs about ``rate * span / 3`` steps to stay stable; above
        :data:`STIFF_STEPS` of them (a few hundred) the member is solved by LSODA alone.
        """
        m = params.shape[1]
        with np.errstate(all="ignore"):
            norms = np.zeros(m)
            for row, time in zip(self.observed, self.times, strict=True):
                jac = self.compiled.jac(float(time), np.repeat(row[:, None], m, axis=1), params)
                norms = np.fmax(norms, np.abs(jac).sum(axis=1).max(axis=0))
        return np.where(np.isfinite(norms), norms, np.inf)

    def _propagate_linear(
        self, params: np.ndarray, z0: np.ndarray, sensitivities: bool
    ) -> np.ndarray:
        """Exact solution of a linear model and its sensitivities by matrix exponentials.

        For ``f = A(p) y + b(p)`` the parameter Jacobian is affine in ``y``,
        ``df/dp = C y + d``, so states and sensitivities together obey one linear system
        with constant coefficients ``z' = M z`` (``z = [y, S, 1]``), solved exactly with one
        ``expm`` per distinct time step and member.
        """
        compiled, n, q, qm = self.compiled, self.n, self.q, self.q_model
        width, m = z0.shape
        zero = np.zeros((n, m))
        A = compiled.jac(0.0, zero, params)  # (n, n, m)
        b = compiled.rhs(0.0, zero, params)  # (n, m)
        size = width + 1
        M = np.zeros((size, size, m))
        M[:n, :n] = A
        M[:n, -1] = b
        if sensitivities:
            eye = np.eye(q)
            M[n:width, n:width] = np.einsum("ijm,kl->ikjlm", A, eye).reshape(n * q, n * q, m)
            if qm:
                free = self.free_params
                d = compiled.jac_p(0.0, zero, params)[:, free]  # (n, qm, m)
                forcing = np.zeros((n, q, m))
                forcing[:, :qm] = d
                M[n:width, -1] = forcing.reshape(n * q, m)
                for j in range(n):
                    unit = zero.copy()
                    unit[j] = 1.0
                    column = np.zeros((n, q, m))
                    column[:, :qm] = compiled.jac_p(0.0, unit, params)[:, free] - d
                    M[n:width, j] = column.reshape(n * q, m)
        times = self.times
        states = np.empty((len(times), width, m))
        current = np.vstack([z0, np.ones((1, m))]).T[:, :, None]  # (m, size, 1)
        states[0] = z0
        stack = np.moveaxis(M, 2, 0)  # (m, size, size)
        propagators: dict[float, np.ndarray] = {}
        for row in range(1, len(times)):
            dt = float(times[row] - times[row - 1])
            if dt not in propagators:
                propagators[dt] = batched_expm(stack * dt)
            current = propagators[dt] @ current
            states[row] = current[:, :width, 0].T
        return states

    def residuals(self, theta: np.ndarray, target: np.ndarray, jacobian: bool = True):  # noqa: ANN201
        """Residuals ``(N, m)``, Jacobian ``d residual / d theta (N, Q, m)`` and success ``(m,)``.

        ``target`` is the flattened data, ``(N, 1)`` or one column per member ``(N, m)``.
        """
        predicted, sens, ok = self.solve(theta, sensitivities=jacobian)
        T, n, m = predicted.shape
        with np.errstate(invalid="ignore", divide="ignore"):
            model_values = np.log(predicted) if self.log else predicted
            residual = target - model_values.reshape(T * n, m)
            jac = None
            if jacobian:
                jac = sens if not self.log else sens / predicted[:, :, None, :]
                jac = -jac.reshape(T * n, self.q, m)
        residual[:, ~ok] = np.nan
        return residual, jac, ok


_PADE13 = (
    64764752532480000.0,
    32382376266240000.0,
    7771770303897600.0,
    1187353796428800.0,
    129060195264000.0,
    10559470521600.0,
    670442572800.0,
    33522128640.0,
    1323241920.0,
    40840800.0,
    960960.0,
    16380.0,
    182.0,
    1.0,
)
_THETA13 = 5.371920351148152


def batched_expm(stack: np.ndarray) -> np.ndarray:
    """Matrix exponentials of a stack ``(m, D, D)``: Pade(13) with scaling and squaring.

    Higham's (2005) degree-13 algorithm with one scaling for the whole stack (the largest
    1-norm decides), so every step is a batched ``matmul`` or ``solve``; agrees with
    ``scipy.linalg.expm`` to rounding (tested).
    """
    b = _PADE13
    norm = float(np.max(np.abs(stack).sum(axis=1))) if stack.size else 0.0
    if not np.isfinite(norm):
        return np.full_like(stack, np.nan)
    squarings = max(0, int(np.ceil(np.log2(norm / _THETA13)))) if norm > _THETA13 else 0
    A = stack / 2.0**squarings
    eye = np.broadcast_to(np.eye(stack.shape[-1]), stack.shape)
    A2 = A @ A
    A4 = A2 @ A2
    A6 = A4 @ A2
    U = A @ (
        A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * eye
    )
    V = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * eye
    try:
        R = np.linalg.solve(V - U, V + U)
    except np.linalg.LinAlgError:
        return np.full_like(stack, np.nan)
    for _ in range(squarings):
        R = R @ R
    return R


@dataclass(frozen=True)
class LMResult:
    """Outcome of :func:`batched_least_squares` for ``m`` members."""

    theta: np.ndarray  # (Q, m)
    cost: np.ndarray  # (m,) residual sum of squares
    converged: np.ndarray  # (m,) bool
    iterations: int


def batched_least_squares(
    problem: TrajectoryProblem,
    theta0: np.ndarray,
    target: np.ndarray,
    fixed: np.ndarray | None = None,
    max_iter: int = 60,
    ftol: float = 1e-9,
    xtol: float = 1e-10,
    gtol: float = 1e-8,
) -> LMResult:
    """Levenberg-Marquardt for many members at once (one batched integration per iteration).

    Parameters
    ----------
    problem : TrajectoryProblem
        The model, times and bounds.
    theta0 : ndarray, shape (Q, m)
        Starting points, one column per member.
    target : ndarray, shape (N, 1) or (N, m)
        Flattened data (log scale if ``problem.log``), shared or one column per member.
    fixed : ndarray of bool, shape (Q, m), optional
        Entries held at their starting value (profile likelihood).
    max_iter : int
        Iteration limit.
    ftol : float
        Relative decrease of the cost below which an accepted step counts as converged.
    xtol : float
        Relative step size below which a member counts as converged.
    gtol : float
        A member is converged when every free Jacobian column is this close to orthogonal
        to its residual (cosine), i.e. at a stationary point.

    Returns
    -------
    LMResult
    """
    theta = np.array(theta0, dtype=float)
    q, m = theta.shape
    fixed = np.zeros((q, m), dtype=bool) if fixed is None else np.asarray(fixed, dtype=bool)
    lower, upper = problem.lower[:, None], problem.upper[:, None]
    residual, jac, ok = problem.residuals(theta, target)
    cost = np.where(ok, np.nansum(residual**2, axis=0), np.inf)
    damping = np.full(m, 1e-3)
    near_lower, near_upper = problem.lower.copy(), problem.upper.copy()
    finite_lower, finite_upper = np.isfinite(near_lower), np.isfinite(near_upper)
    near_lower[finite_lower] += 1e-14 * np.abs(near_lower[finite_lower])
    near_upper[finite_upper] -= 1e-14 * np.abs(near_upper[finite_upper])
    active = ok.copy()
    converged = np.zeros(m, dtype=bool)
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007
        idx = np.nonzero(active)[0]
        if idx.size == 0:
            break
        current = theta[:, idx]
        held = fixed[:, idx].T.copy()  # (k, Q)
        # first-order optimality: cosine between the residual and each free Jacobian column
        J_now, r_now = jac[:, :, idx], residual[:, idx]
        cosine = np.abs(np.einsum("nqm,nm->mq", J_now, r_now)) / (
            np.linalg.norm(J_now, axis=0).T * np.linalg.norm(r_now, axis=0)[:, None] + 1e-300
        )
        stationary = np.all((cosine <= gtol) | held, axis=1)
        if np.any(stationary):
            converged[idx[stationary]] = True
            active[idx[stationary]] = False
            keep = ~stationary
            idx, current, held = idx[keep], current[:, keep], held[keep]
            if idx.size == 0:
                break
        step = _damped_step(jac[:, :, idx], residual[:, idx], damping[idx], held)
        # projected step: entries at a bound that the step pushes outwards are held too
        blocked = ((current.T <= near_lower) & (step < 0)) | (
            (current.T >= near_upper) & (step > 0)
        )
        if np.any(blocked & ~held):
            held |= blocked
            step = _damped_step(jac[:, :, idx], residual[:, idx], damping[idx], held)
        trial = np.clip(current + step.T, lower, upper)
        t_target = target if target.shape[1] == 1 else target[:, idx]
        t_res, t_jac, t_ok = problem.residuals(trial, t_target)
        t_cost = np.where(t_ok, np.nansum(t_res**2, axis=0), np.inf)
        better = t_cost < cost[idx]
        small = better & (cost[idx] - t_cost <= ftol * cost[idx])
        tiny_step = np.all(np.abs(trial - current) <= xtol * (np.abs(current) + xtol), axis=0)
        accept = idx[better]
        theta[:, accept] = trial[:, better]
        cost[accept] = t_cost[better]
        residual[:, accept] = t_res[:, better]
        jac[:, :, accept] = t_jac[:, :, better]
        damping[accept] = np.maximum(damping[accept] / 3.0, 1e-12)
        damping[idx[~better]] *= 4.0
        done = small | tiny_step | (damping[idx] > 1e10)
        converged[idx[done]] = True
        active[idx[done]] = False
    return LMResult(
        theta=theta, cost=cost, converged=converged & np.isfinite(cost), iterations=iterations
    )


def _damped_step(
    jac: np.ndarray, residual: np.ndarray, damping: np.ndarray, held: np.ndarray
) -> np.ndarray:
    """Levenberg-Marquardt steps ``(k, Q)`` for ``k`` members; ``held`` entries do not move."""
    q = jac.shape[1]
    J = np.where(held.T[None], 0.0, jac)
    normal = np.einsum("nqm,npm->mqp", J, J)
    gradient = np.einsum("nqm,nm->mq", J, residual)
    diag = np.einsum("mqq->mq", normal).copy()
    diag = np.maximum(diag, 1e-12 * diag.max(axis=1, keepdims=True) + 1e-300)
    diag[held] = 1.0
    system = normal + damping[:, None, None] * diag[:, :, None] * np.eye(q)[None]
    try:
        step = -np.linalg.solve(system, gradient[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        step = -np.stack(
            [np.linalg.lstsq(a, g, rcond=None)[0] for a, g in zip(system, gradient, strict=True)]
        )
    step[held] = 0.0
    return step


def least_squares(
    problem: TrajectoryProblem, theta0: np.ndarray, target: np.ndarray, max_nfev: int = 400
) -> scipy.optimize.OptimizeResult:
    """One fit with ``scipy.optimize.least_squares`` (trust-region reflective, exact Jacobian)."""
    cache: dict[str, object] = {}

    def evaluate(x: np.ndarray):  # noqa: ANN202
        key = x.tobytes()
        if cache.get("key") != key:
            residual, jac, ok = problem.residuals(x[:, None], target)
            if not ok[0]:
                residual = np.full_like(residual, 1e150)
                jac = np.zeros_like(jac)
            cache.update(key=key, residual=residual[:, 0], jac=jac[:, :, 0])
        return cache

    lower, upper = problem.lower, problem.upper
    start = np.clip(theta0, lower, upper)
    # least_squares wants a start strictly inside finite bounds
    span = np.where(np.isfinite(upper - lower), upper - lower, np.abs(start) + 1.0)
    start = np.clip(start, lower + 1e-10 * span, upper - 1e-10 * span)
    return scipy.optimize.least_squares(
        lambda x: evaluate(x)["residual"],
        start,
        jac=lambda x: evaluate(x)["jac"],
        bounds=(lower, upper),
        method="trf",
        x_scale="jac",
        max_nfev=max_nfev,
        ftol=1e-12,
        xtol=1e-12,
        gtol=1e-12,
    )


def profile_intervals(
    problem: TrajectoryProblem,
    theta: np.ndarray,
    stderr: np.ndarray,
    covariance: np.ndarray,
    rss: float,
    n_obs: int,
    level: float,
    which: list[int],
    grid: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0),
) -> tuple[np.ndarray, np.ndarray]:
    """Profile-likelihood confidence limits of the parameters ``which``.

    The profile ``RSS_j(v)`` (all other parameters re-fitted with ``theta_j = v``) is
    evaluated on a grid of ``v = theta_j +- c * stderr_j * t`` for the factors ``c`` in
    ``grid``, all grid points of all parameters in one batched fit. A limit is where
    ``RSS_j(v) = RSS (1 + F(level; 1, N - Q) / (N - Q))`` (the F-test form of the likelihood
    ratio, exact for models linear in their parameters), located by linear interpolation of
    the signed root ``sign(v - theta_j) sqrt(RSS_j(v) - RSS)``, which is linear in ``v`` for a
    linear model. Limits beyond the grid or a bound are reported as the bound or +-inf.

    Returns
    -------
    (lower, upper) : ndarray
        Limits, shape ``(len(which),)``.
    lowest : float
        The lowest RSS met by any profile refit: below ``rss`` the optimum was only local.
    """
    q = len(theta)
    dof = max(n_obs - q, 1)
    threshold = rss * scipy.stats.f.ppf(level, 1, dof) / dof
    t_factor = scipy.stats.t.ppf(0.5 + level / 2.0, dof)
    columns, fixed_masks, meta = [], [], []
    for j in which:
        scale = (
            stderr[j] * t_factor
            if np.isfinite(stderr[j]) and stderr[j] > 0
            else (0.1 * abs(theta[j]) + 1e-6)
        )
        for sign in (-1.0, 1.0):
            for c in grid:
                value = theta[j] + sign * c * scale
                value = min(max(value, problem.lower[j]), problem.upper[j])
                # warm start at the conditional mean of the others given theta_j = value
                column = theta + covariance[:, j] / covariance[j, j] * (value - theta[j])
                column = np.clip(column, problem.lower, problem.upper)
                column[j] = value
                mask = np.zeros(q, dtype=bool)
                mask[j] = True
                columns.append(column)
                fixed_masks.append(mask)
                meta.append((j, sign, value))
    start = np.array(columns).T
    result = batched_least_squares(
        problem,
        start,
        problem.target(),
        fixed=np.array(fixed_masks).T,
        max_iter=30,
        ftol=1e-8,
        gtol=1e-6,
    )
    lower = np.full(len(which), -math.inf)
    upper = np.full(len(which), math.inf)
    for position, j in enumerate(which):
        for sign, out in ((-1.0, lower), (1.0, upper)):
            points = [
                (abs(v - theta[j]), result.cost[k])
                for k, (jj, s, v) in enumerate(meta)
                if jj == j and s == sign
            ]
            distance = np.array([0.0] + [d for d, _ in points])
            excess = np.array([0.0] + [max(c - rss, 0.0) for _, c in points])
            root = np.sqrt(excess)
            target = math.sqrt(threshold)
            crossing = np.nonzero(root >= target)[0]
            bound = problem.lower[j] if sign < 0 else problem.upper[j]
            if crossing.size:
                hi = int(crossing[0])
                lo = hi - 1
                fraction = (
                    (target - root[lo]) / (root[hi] - root[lo]) if root[hi] > root[lo] else 1.0
                )
                d = distance[lo] + fraction * (distance[hi] - distance[lo])
                out[position] = theta[j] + sign * d
            elif np.isfinite(bound) and abs(bound - theta[j]) <= distance[-1] + 1e-15:
                out[position] = bound
            else:
                out[position] = sign * math.inf
    finite = np.isfinite(result.cost)
    lowest = float(np.min(result.cost[finite])) if finite.any() else math.inf
    return lower, upper, lowest
