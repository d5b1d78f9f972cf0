"""The estimator behind ``fit(..., method="var")``: a linear model driven by random shocks,
``dx = (A x + g) dt + S dW`` (an Ornstein-Uhlenbeck process), sampled every ``dt`` years is
exactly the VAR(1) ``x[t+1] = F x[t] + c + e[t]``, ``F = expm(A dt)``,
``c = int_0^dt expm(A s) ds g``, ``e ~ N(0, Q)``, ``Q = int_0^dt expm(A s) S S^T expm(A s)^T ds``.

``F`` and ``c`` come from one exponential of ``[[A, g], [0, 0]] dt`` (valid for singular
``A``). ``Q`` is a free positive-definite matrix profiled out of the likelihood, as in a VAR;
:func:`shock_covariance` (Van Loan) maps ``S S^T`` to ``Q``, and a fit reports the ``S S^T``
its ``Q`` implies. The profiled likelihood's gradient is exact: one Frechet derivative of the
matrix exponential (its adjoint) gives it for every parameter at once.

References: Bergstrom (1984), Continuous time stochastic models and issues of aggregation
over time, *Handbook of Econometrics* II ch. 20; Van Loan (1978), Computing integrals
involving the matrix exponential, *IEEE Trans. Automatic Control* 23(3), 395-404.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.optimize
import scipy.stats

from ..errors import FitError
from ..model.core import Model
from .difference import fit_differences, is_linear_in_params
from .estimators import (
    _at_bound,
    _check_dof,
    _estimability,
    _information,
    _Observations,
    _with_fitted,
)
from .result import FitResult

__all__ = [
    "MIN_STARTS",
    "VarProblem",
    "fit_var",
    "shock_covariance",
    "var_resamples",
    "var_transition",
]

#: Fewest start points of the optimiser (the difference-regression start plus perturbations).
MIN_STARTS = 4

_PENALTY = 1e20  # objective where the transition or the residual covariance breaks down
_MAX_SIGMA_STATES = 10  # the implied S S^T solves an n^2 x n^2 system: only for small n


# ---------------------------------------------------------------------- transition
def var_transition(A: np.ndarray, g: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact one-step transition ``x[t+1] = F x[t] + c`` of ``dx/dt = A x + g``.

    Parameters
    ----------
    A : ndarray, shape (n, n)
        State matrix, 1/year.
    g : ndarray, shape (n,)
        Constant drift, spending units per year.
    dt : float
        Step, years.

    Returns
    -------
    F : ndarray, shape (n, n)
        ``expm(A dt)``, dimensionless.
    c : ndarray, shape (n,)
        ``int_0^dt expm(A s) ds g``, spending units (``A^-1 (F - I) g`` for invertible A).
    """
    A = np.asarray(A, dtype=float)
    n = A.shape[0]
    E = scipy.linalg.expm(_augmented(A, np.asarray(g, dtype=float), dt))
    return E[:n, :n], E[:n, n]


def shock_covariance(A: np.ndarray, sigma: np.ndarray, dt: float) -> np.ndarray:
    """One step's shock covariance ``Q`` from the continuous-time ``S S^T`` (Van Loan 1978).

    Parameters
    ----------
    A : ndarray, shape (n, n)
        State matrix, 1/year.
    sigma : ndarray, shape (n, n)
        ``S S^T``, the shocks' covariance per year, spending units^2/year.
    dt : float
        Step, years.

    Returns
    -------
    ndarray, shape (n, n)
        ``int_0^dt expm(A s) S S^T expm(A s)^T ds``, spending units^2.
    """
    A = np.asarray(A, dtype=float)
    n = A.shape[0]
    block = np.zeros((2 * n, 2 * n))
    block[:n, :n], block[:n, n:], block[n:, n:] = -A * dt, np.asarray(sigma) * dt, A.T * dt
    E = scipy.linalg.expm(block)
    Q = E[n:, n:].T @ E[:n, n:]
    return 0.5 * (Q + Q.T)


def _implied_sigma(A: np.ndarray, Q: np.ndarray, dt: float) -> np.ndarray | None:
    """The ``S S^T`` whose :func:`shock_covariance` is ``Q``: the map is linear,
    ``vec Q = int_0^dt expm((A (+) A) s) ds vec(S S^T)`` (Kronecker sum); None if ill-posed."""
    n = A.shape[0]
    if n > _MAX_SIGMA_STATES:
        return None
    N, eye = n * n, np.eye(n)
    block = np.zeros((2 * N, 2 * N))
    block[:N, :N] = (np.kron(A, eye) + np.kron(eye, A)) * dt
    block[:N, N:] = np.eye(N) * dt
    integral = scipy.linalg.expm(block)[:N, N:]
    if not np.all(np.isfinite(integral)) or np.linalg.cond(integral) > 1e12:
        return None
    sigma = np.linalg.solve(integral, Q.ravel()).reshape(n, n)
    return 0.5 * (sigma + sigma.T)


def _frechet(X: np.ndarray, G: np.ndarray) -> np.ndarray:
    """Frechet derivative ``L(X, G)`` of expm: the corner of ``expm([[X, G], [0, X]])``
    (faster than scipy's ``expm_frechet`` for small matrices; linear in ``G``, so ``G`` is
    normalised). ``<G, L(M, dM)> = <L(M^T, G), dM>`` turns one call into a full gradient."""
    k, size = X.shape[0], float(np.abs(G).max())
    if size == 0.0:
        return np.zeros_like(G)
    block = np.zeros((2 * k, 2 * k))
    block[:k, :k] = block[k:, k:] = X
    block[:k, k:] = G / size
    return scipy.linalg.expm(block)[:k, k:] * size


def _augmented(A: np.ndarray, g: np.ndarray, dt: float) -> np.ndarray:
    n = A.shape[0]
    M = np.zeros((n + 1, n + 1))
    M[:n, :n], M[:n, n] = A * dt, g * dt
    return M


# ---------------------------------------------------------------------- problem
@dataclass(frozen=True, eq=False)
class VarProblem:
    """What a refit of the VAR(1) likelihood needs: the ``_problem`` of a var fit.

    Attributes
    ----------
    compiled : CompiledModel
        The model's functions (``A = jac(0, 0, p)``, ``g = rhs(0, 0, p)``).
    dt : float
        Sampling step, years.
    observed : ndarray, shape (T, n)
        The series fitted, model-state order, spending units.
    p_base, free_params : ndarray
        Parameter vector with the fixed values; positions of the free ones in it.
    names, lower, upper : tuple of str, ndarray, ndarray
        Free parameters (the fit's ``free``) and their bounds.
    scale : ndarray
        Typical error of each free estimate; the optimiser works in these units.
    theta, F, c, Q : ndarray
        The estimate (``names`` order); fitted transition (dimensionless), intercept
        (spending units) and one-step shock covariance (spending units^2).
    fixed_derivatives : ndarray or None
        ``d[A | g]/dtheta`` if constant (models linear in the parameters), ``(n, n + 1, q)``.
    """

    compiled: Any
    dt: float
    observed: np.ndarray
    p_base: np.ndarray
    free_params: np.ndarray
    names: tuple[str, ...]
    lower: np.ndarray
    upper: np.ndarray
    scale: np.ndarray
    theta: np.ndarray
    F: np.ndarray
    c: np.ndarray
    Q: np.ndarray
    fixed_derivatives: np.ndarray | None = None

    def __post_init__(self) -> None:
        for name in ("observed", "p_base", "free_params", "lower", "upper", "scale", "theta"):
            self._freeze(name, np.array(getattr(self, name)))
        for name in ("F", "c", "Q"):
            self._freeze(name, np.array(getattr(self, name), dtype=float))
        if self.fixed_derivatives is not None:
            self._freeze("fixed_derivatives", np.array(self.fixed_derivatives, dtype=float))

    def _freeze(self, name: str, array: np.ndarray) -> None:
        array.setflags(write=False)
        object.__setattr__(self, name, array)

    def system(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``A`` (1/year) and ``g`` (spending units/year) of ``dx/dt = A x + g``."""
        p = np.array(self.p_base, dtype=float)
        p[self.free_params] = theta
        zero = np.zeros(self.observed.shape[1])
        return (
            np.asarray(self.compiled.jac(0.0, zero, p), dtype=float),
            np.asarray(self.compiled.rhs(0.0, zero, p), dtype=float),
        )

    def transition(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``F`` and ``c`` of the exact VAR(1) (:func:`var_transition`)."""
        return var_transition(*self.system(theta), self.dt)

    def derivatives(self, theta: np.ndarray) -> np.ndarray:
        """``d[A | g]/dtheta``, shape ``(n, n + 1, q)``: the parameter Jacobian at the unit
        states minus that at zero (``df/dp = dA/dp y + dg/dp`` for a model linear in y)."""
        if self.fixed_derivatives is not None:
            return self.fixed_derivatives
        n = self.observed.shape[1]
        p = np.array(self.p_base, dtype=float)
        p[self.free_params] = theta
        states = np.zeros((n, n + 1))
        states[:, :n] = np.eye(n)
        jac = np.asarray(self.compiled.jac_p(0.0, states, np.repeat(p[:, None], n + 1, axis=1)))
        jac = np.broadcast_to(jac, (n, len(p), n + 1))[:, self.free_params, :]  # (n, q, n+1)
        out = np.empty((n, n + 1, len(self.free_params)))
        out[:, n, :] = jac[:, :, n]
        out[:, :n, :] = (jac[:, :, :n] - jac[:, :, n : n + 1]).transpose(0, 2, 1)
        return out

    def objective(
        self, theta: np.ndarray, observed: np.ndarray | None = None
    ) -> tuple[float, np.ndarray]:
        """``(T - 1)/2 log det Q_hat`` (the profiled negative log-likelihood without
        constants; ``Q_hat`` the mean outer product of the one-step residuals) at free
        parameters ``theta`` for ``observed`` (the fitted data by default), and its exact
        gradient; a large penalty where it cannot be evaluated."""
        data = self.observed if observed is None else observed
        theta = np.asarray(theta, dtype=float)
        fail = (_PENALTY, np.zeros(len(theta)))
        n = data.shape[1]
        with np.errstate(all="ignore"):
            M = _augmented(*self.system(theta), self.dt)
            if not np.all(np.isfinite(M)):
                return fail
            E = scipy.linalg.expm(M)
            before = data[:-1]
            residual = data[1:] - before @ E[:n, :n].T - E[:n, n]
            m = len(residual)
            sign, logdet = np.linalg.slogdet(residual.T @ residual / m)
            if not (sign > 0 and np.isfinite(logdet)):
                return fail
            weights = np.linalg.solve(residual.T @ residual / m, residual.T).T  # R Q^-1
            adjoint = np.zeros((n + 1, n + 1))
            adjoint[:n, :n], adjoint[:n, n] = weights.T @ before, weights.sum(axis=0)
            frechet = _frechet(M.T, adjoint)[:n]
            gradient = -self.dt * np.einsum("ij,ijk->k", frechet, self.derivatives(theta))
        if not np.all(np.isfinite(gradient)):
            return fail
        return 0.5 * m * float(logdet), gradient

    def minimise(
        self, start: np.ndarray, observed: np.ndarray | None = None
    ) -> tuple[np.ndarray, scipy.optimize.OptimizeResult, bool]:
        """L-BFGS-B from ``start`` (clipped into the bounds) in units of ``scale``: the
        minimiser, the optimiser's report, and whether it converged (finite, and reported
        converged or with projected gradient below 1e-3 in units of ``scale``)."""
        origin = np.clip(np.asarray(start, dtype=float), self.lower, self.upper)
        scale = self.scale
        low, high = (self.lower - origin) / scale, (self.upper - origin) / scale

        def scaled(u: np.ndarray) -> tuple[float, np.ndarray]:
            value, gradient = self.objective(origin + scale * u, observed)
            return value, gradient * scale

        result = scipy.optimize.minimize(
            scaled,
            np.zeros(len(origin)),
            jac=True,
            method="L-BFGS-B",
            bounds=list(zip(low, high, strict=True)),
            options={"maxiter": 1000, "ftol": 1e-10, "gtol": 1e-5},
        )
        u = np.clip(result.x, low, high)
        theta = origin + scale * u
        converged = bool(np.all(np.isfinite(theta)) and result.fun < _PENALTY)
        if converged and not result.success:
            gradient = scaled(u)[1]
            pinned = ((u <= low + 1e-10) & (gradient > 0)) | ((u >= high - 1e-10) & (gradient < 0))
            converged = bool(np.max(np.abs(np.where(pinned, 0.0, gradient))) < 1e-3)
        return theta, result, converged

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        """Observed information: central differences (steps 1e-3 ``scale``) of the exact
        gradient, symmetrised; shape ``(q, q)``."""
        columns = []
        for k, step in enumerate(1e-3 * self.scale):
            shift = np.zeros(len(theta))
            shift[k] = step
            columns.append(
                (self.objective(theta + shift)[1] - self.objective(theta - shift)[1]) / (2 * step)
            )
        H = np.column_stack(columns)
        return 0.5 * (H + H.T)

    def simulate(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` series of the fitted VAR(1) from the first observation, shape
        ``(T, n_states, n)``, spending units."""
        T, k = self.observed.shape
        values, vectors = np.linalg.eigh(self.Q)
        root = vectors * np.sqrt(np.clip(values, 0.0, None))
        shocks = rng.standard_normal((n, T - 1, k))  # resample-major: a prefix of n draws
        out = np.empty((T, k, n))
        out[0] = self.observed[0][:, None]
        with np.errstate(all="ignore"):
            for t in range(T - 1):
                out[t + 1] = self.F @ out[t] + self.c[:, None] + root @ shocks[:, t, :].T
        return out


# ---------------------------------------------------------------------- estimator
def fit_var(
    model: Model, obs: _Observations, fixed: dict[str, float], options: dict[str, Any]
) -> FitResult:
    """Maximum likelihood of the exact VAR(1) of a linear model with random shocks.

    The exact Gaussian likelihood of ``x[1..T-1]`` given ``x[0]``, the shock covariance
    ``Q`` (one step, spending units^2) free and profiled out: the parameters minimise
    ``(T - 1)/2 log det Q_hat`` (L-BFGS-B within their bounds, exact gradient) from at least
    :data:`MIN_STARTS` starts: difference-regression estimates (``level_at="start"``),
    clipped into the bounds, and seeded perturbations of them.

    Parameters
    ----------
    model : Model
        An ODE model linear (affine) in its states, with constant coefficients and no
        interventions (every Richardson model).
    obs : _Observations
        The aligned data, at equally spaced years (the step ``dt``, years).
    fixed : dict
        Parameter name -> value held fixed.
    options : dict
        As built by :func:`richardson.fit`: reads ``level``, ``seed``, ``n_starts`` and
        ``log`` (refused).

    Returns
    -------
    FitResult
        ``method="var"``; ``stderr`` from the inverse Hessian of the profiled negative
        log-likelihood (observed information; the profile gives the same parameter block as
        the full Hessian), Wald intervals ``estimate +- z stderr``, ``fitted`` the one-step
        predictions ``F x[t] + c`` (first row the first observation), ``n_obs = (T - 1) n``,
        ``loglike`` with constants, AIC and BIC counting the free model parameters but not
        the ``n (n + 1)/2`` entries of ``Q``. ``diagnostics``: ``"Q"`` (nested list),
        ``"Sigma"`` (the ``S S^T`` per year that ``Q`` implies, or None), ``"dt"``,
        ``"durbin_watson"``, ``"starts"``, ``"start"``, ``"condition_number"``.

    Raises
    ------
    FitError
        For a map, a model not linear in its states, time-dependent coefficients, fixed
        initial states, unequal spacing, too few years, or a likelihood that cannot be
        evaluated from any start.
    """
    compiled = _check(model, fixed, options)
    dt = _step(obs.times)
    values = obs.values
    T, n = values.shape
    index = model.param_index
    names = tuple(name for name in model.param_names if name not in fixed)
    q, m = len(names), T - 1
    if not q:
        raise FitError("nothing to fit: every parameter is fixed")
    _check_dof(m * n, q + n * (n + 1) // 2, "method='var' (parameters and shock covariance)")
    if m <= n:
        raise FitError(f"{T} years: a {n}x{n} shock covariance needs more than {n + 1} years")
    bounds = np.array([model.params[name].bounds for name in names], dtype=float)
    start, scale, start_note = _difference_start(model, obs, fixed, names, bounds)
    problem = VarProblem(
        compiled=compiled,
        dt=dt,
        observed=values,
        p_base=model.param_vector({k: v for k, v in fixed.items() if k in index}),
        free_params=np.array([index[name] for name in names], dtype=int),
        names=names,
        lower=bounds[:, 0],
        upper=bounds[:, 1],
        scale=scale,
        theta=start,
        F=np.eye(n),
        c=np.zeros(n),
        Q=np.eye(n),
    )
    if is_linear_in_params(model):
        problem = replace(problem, fixed_derivatives=problem.derivatives(start))
    rng = np.random.default_rng(options.get("seed"))
    starts = [start]
    for _ in range(max(int(options.get("n_starts", 1)), MIN_STARTS) - 1):
        jitter = start * np.exp(rng.normal(0.0, 0.5, q)) + scale * rng.normal(0.0, 1.0, q)
        starts.append(np.clip(jitter, problem.lower, problem.upper))
    runs = [problem.minimise(s) for s in starts]
    if all(r[1].fun >= _PENALTY for r in runs):
        raise FitError(
            "the VAR(1) likelihood could not be evaluated from any start (singular residual "
            "covariance or overflowing transition); fix some parameters or use method='ode'"
        )
    theta, best, _ = min(runs, key=lambda r: r[1].fun)
    F, c = problem.transition(theta)
    residual = values[1:] - values[:-1] @ F.T - c
    Q = residual.T @ residual / m
    loglike = -0.5 * m * (n * math.log(2.0 * math.pi) + np.linalg.slogdet(Q)[1] + n)

    notes = list(obs.notes)
    covariance, condition, unidentified = _covariance(problem.hessian(theta), scale, names)
    if unidentified:
        notes.append(
            f"the likelihood is flat along {unidentified} at the estimate: not identifiable "
            "from these data (standard errors are NaN); fix some of them"
        )
    errors = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    at_bound = _at_bound(
        names, theta, np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds]), notes
    )
    sigma = _implied_sigma(problem.system(theta)[0], Q, dt)
    if sigma is not None and np.linalg.eigvalsh(sigma).min() < -1e-8 * np.abs(sigma).max():
        notes.append(
            "the shock covariance Q implies a continuous-time S S^T that is not positive "
            "semidefinite: no Ornstein-Uhlenbeck process with the fitted A has these yearly "
            "shocks; read the fit as a discrete VAR(1)"
        )
    params = {name: float(fixed.get(name, model.params[name].value)) for name in model.param_names}
    params.update(zip(names, theta.tolist(), strict=True))
    stderr = dict.fromkeys(params, math.nan)
    stderr.update(zip(names, errors.tolist(), strict=True))
    z = scipy.stats.norm.ppf(0.5 + options["level"] / 2.0)
    intervals = pd.DataFrame(
        {"lower": theta - z * errors, "upper": theta + z * errors}, index=list(names)
    )
    intervals.attrs = {"level": options["level"], "method": "wald"}
    initial = dict(zip(model.states, values[0].tolist(), strict=True))
    fitted_model, bound_notes, outside = _with_fitted(model, params, initial, "fit (VAR(1))")
    fitted = pd.DataFrame(
        np.vstack([values[:1], values[1:] - residual]),
        index=obs.frame.index,
        columns=list(model.actors),
    )
    aic, bic = _information(loglike, q, m * n)
    tss = np.sum((values[1:] - values[1:].mean(axis=0)) ** 2, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(tss > 0, 1.0 - np.sum(residual**2, axis=0) / tss, math.nan)
    from statsmodels.stats.stattools import durbin_watson

    constant = 0.5 * m * n * (math.log(2.0 * math.pi) + 1.0)
    diagnostics = {
        "Q": Q.tolist(),
        "Sigma": None if sigma is None else sigma.tolist(),
        "dt": dt,
        "durbin_watson": dict(zip(model.actors, map(float, durbin_watson(residual)), strict=True)),
        "starts": [  # cost: -2 log-likelihood at the optimum of each start
            {"cost": 2 * float(r.fun + constant), "success": bool(r.success), "converged": ok}
            for _, r, ok in runs
        ],
        "start": start_note,
        "condition_number": condition,
    }
    refit_scale = np.where(np.isfinite(errors) & (errors > 0), errors, scale)
    return FitResult(
        model=model,
        fitted_model=fitted_model,
        method="var",
        params=params,
        stderr=stderr,
        free=names,
        covariance=pd.DataFrame(covariance, index=list(names), columns=list(names)),
        intervals=intervals,
        level=options["level"],
        data=obs.frame,
        fitted=fitted,
        n_obs=m * n,
        rss=float(np.sum(residual**2)),
        loglike=float(loglike),
        aic=aic,
        bic=bic,
        r_squared=dict(zip(model.actors, r2.tolist(), strict=True)),
        success=bool(best.success),
        message=str(best.message),
        diagnostics=diagnostics,
        notes=tuple(notes + bound_notes),
        regime=None,
        escalation=None,
        options=options,
        problems=_estimability(at_bound, outside, unidentified),
        at_bound=tuple(at_bound),
        _problem=replace(problem, theta=theta, F=F, c=c, Q=Q, scale=refit_scale),
        _theta=theta,
    )


def var_resamples(result: FitResult, n: int, rng: np.random.Generator) -> np.ndarray:
    """Parametric bootstrap of a ``method="var"`` fit.

    Simulates ``n`` series of the fitted VAR(1) (the same first observation, ``F`` and
    ``c``, Gaussian shocks of covariance ``Q``) and refits each by maximum likelihood,
    warm-started at the estimate.

    Parameters
    ----------
    result : FitResult
        A fit with ``method="var"``.
    n : int
        Number of resamples.
    rng : numpy.random.Generator
        Source of the shocks (the same seed gives the same resamples).

    Returns
    -------
    ndarray, shape (len(result.free), n)
        Refitted estimates, ``result.free`` order; NaN columns for refits that failed
        (never raised).

    Raises
    ------
    FitError
        If ``result`` is not a var fit or ``n`` is not a positive whole number.
    """
    problem = result._problem
    if not isinstance(problem, VarProblem) or tuple(result.free) != problem.names:
        raise FitError(f"var_resamples needs a fit with method='var', not {result.method!r}")
    if int(n) != n or n < 1:
        raise FitError(f"n must be a positive whole number, not {n}")
    series = problem.simulate(int(n), rng)
    out = np.full((len(problem.names), int(n)), math.nan)
    for j in range(int(n)):
        try:
            theta, _, converged = problem.minimise(problem.theta, series[:, :, j])
        except (ArithmeticError, ValueError, np.linalg.LinAlgError):
            continue
        if converged:
            out[:, j] = theta
    return out


# ---------------------------------------------------------------------- helpers
def _check(model: Model, fixed: dict[str, float], options: dict[str, Any]) -> Any:
    if model.kind != "ode":
        raise FitError(
            "method='var' discretises an ODE exactly; this model is a map: use "
            "method='difference' (or method='ode' for an ODE version)"
        )
    compiled = model.compile()
    if not compiled.is_linear:
        raise FitError(
            "method='var' needs a model linear in its states (dx/dt = A x + g, as every "
            "Richardson model); this one is not: use method='ode' or method='difference'"
        )
    if not model.is_autonomous or model.interventions:
        raise FitError(
            "method='var' needs constant coefficients; this model depends on time or has "
            "scheduled interventions: fit each period separately or use method='ode'"
        )
    if any(name.endswith("(t0)") for name in fixed):
        raise FitError(
            "initial states are not estimated by method='var' (its likelihood is "
            "conditional on the first observation); do not fix them"
        )
    if any(math.isnan(v) for v in fixed.values()):
        raise FitError("fixed values must be numbers")
    if options.get("log"):
        raise FitError("log=True applies to method='ode' only (the VAR is linear); drop it")
    return compiled


def _step(times: np.ndarray) -> float:
    """The common sampling step, years; FitError unless the years are equally spaced."""
    steps = np.diff(np.asarray(times, dtype=float))
    if len(steps) == 0 or not steps[0] > 0:
        raise FitError("method='var' needs increasing observation years")
    if not np.allclose(steps, steps[0], rtol=1e-9, atol=0.0):
        found = sorted({round(float(s), 9) for s in steps})
        raise FitError(
            f"method='var' needs equally spaced years; the steps here are {found[:5]} years. "
            "Interpolate to a regular grid (e.g. data.reindex(range(first, last + 1))"
            ".interpolate()) or use method='ode', which takes any spacing"
        )
    return float(steps[0])


def _difference_start(
    model: Model,
    obs: _Observations,
    fixed: dict[str, float],
    names: tuple[str, ...],
    bounds: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, str]:
    """Start (clipped into the bounds), optimiser scale and a note saying which start."""
    start = np.array([model.params[name].value for name in names], dtype=float)
    errors, note = np.full(len(names), math.nan), "model defaults"
    if is_linear_in_params(model):
        try:
            with warnings.catch_warnings():  # only a start: the fit reports identifiability
                warnings.simplefilter("ignore")
                raw = fit_differences(model, obs.times, obs.values, dict(fixed), level="start")
        except (FitError, ValueError, np.linalg.LinAlgError):
            raw = None
        estimates = None if raw is None else np.array([raw.values[name] for name in names])
        if estimates is not None and np.all(np.isfinite(estimates)):
            start, note = estimates, "difference-regression estimates (level_at='start')"
            errors = np.array([raw.stderr[name] for name in names])
    start = np.clip(start, bounds[:, 0], bounds[:, 1])
    fallback = 0.1 * np.maximum(np.abs(start), 1e-2)
    return start, np.where(np.isfinite(errors) & (errors > 0), errors, fallback), note


def _covariance(
    hessian: np.ndarray, scale: np.ndarray, names: tuple[str, ...]
) -> tuple[np.ndarray, float, list[str]]:
    """Inverse observed information (computed on the scaled Hessian), its condition
    number, and the estimates along flat directions (covariance all NaN if any)."""
    q = hessian.shape[0]
    scaled = hessian * np.outer(scale, scale)
    if not np.all(np.isfinite(scaled)):
        return np.full((q, q), math.nan), math.inf, list(names)
    eigen, vectors = np.linalg.eigh(scaled)
    flat = eigen <= 1e-10 * max(eigen.max(), 0.0)
    if flat.any():
        weight = np.abs(vectors[:, flat]).max(axis=1)
        flat_names = [name for name, w in zip(names, weight, strict=True) if w > 0.1]
        return np.full((q, q), math.nan), math.inf, flat_names
    inverse = np.linalg.inv(scaled) * np.outer(scale, scale)
    return 0.5 * (inverse + inverse.T), float(eigen.max() / eigen.min()), []
