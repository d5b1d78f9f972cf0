"""The two estimators behind :func:`~.estimate.fit`: Richardson's difference regression
(:mod:`.difference`) and least squares on solved trajectories (:mod:`.ode`), each turned
into a :class:`~.result.FitResult` with its covariance and information criteria.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, FitError, RichardsonWarning, did_you_mean
from ..model.core import Model, Parameter
from .bounds import at_bound_sentence
from .difference import fit_differences, is_linear_in_params
from .ode import TrajectoryProblem, least_squares
from .result import FitResult, _profile, _wald


@dataclass(frozen=True)
class _Observations:
    times: np.ndarray  # (T,)
    values: np.ndarray  # (T, n) in model-state order
    frame: pd.DataFrame  # columns renamed to the model's actors
    columns: tuple[str, ...]  # original column of each state
    notes: tuple[str, ...]


def _with_fitted(
    model: Model, values: Mapping[str, float], initial: Mapping[str, float], source: str
) -> tuple[Model, list[str], list[str]]:
    """The model with fitted defaults; values outside declared bounds widen them, with a note.

    Returns the fitted model, the notes and the names of the estimates outside their bounds.
    """
    notes, outside = [], []
    updates = {}
    for name, value in values.items():
        if name not in model.param_index or not math.isfinite(value):
            continue
        parameter = model.params[name]
        lower, upper = parameter.bounds
        if not lower <= value <= upper:
            notes.append(
                f"{name} = {value:.4g} lies outside its declared bounds ({lower:g}, "
                f"{upper:g}); the fitted model widens them. Read this as evidence "
                "against the model's sign assumption, not as a physical value"
            )
            lower, upper = min(lower, value), max(upper, value)
            outside.append(name)
        updates[name] = Parameter(
            name, value, (lower, upper), parameter.unit, parameter.description, source
        )
    fitted = model.with_params(updates)
    from dataclasses import replace

    return replace(fitted, initial=dict(initial)), notes, outside


def _at_bound(
    names: tuple[str, ...] | list[str],
    theta: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    notes: list[str],
) -> list[str]:
    """Estimates within 1e-6 (relative) of a finite bound; adds a note and warns if any."""
    at_bound = [
        n
        for n, v, lo, hi in zip(names, theta, lower, upper, strict=True)
        if (np.isfinite(lo) and abs(v - lo) <= 1e-6 * (1 + abs(lo)))
        or (np.isfinite(hi) and abs(v - hi) <= 1e-6 * (1 + abs(hi)))
    ]
    if at_bound:
        message = (
            f"fit at a bound for {at_bound}: the data push the estimate against the "
            "model's constraint; its standard error and interval are not reliable"
        )
        notes.append(message)
        warnings.warn(message, RichardsonWarning, stacklevel=4)
    return at_bound


#: Fewest residual degrees of freedom (observations minus free estimates) a fit accepts.
MIN_RESIDUAL_DOF = 2


def _check_dof(n_obs: int, q: int, what: str) -> None:
    if n_obs - q < MIN_RESIDUAL_DOF:
        raise FitError(
            f"{what}: {n_obs} observations for {q} free estimates leave {n_obs - q} residual "
            f"degrees of freedom; at least {MIN_RESIDUAL_DOF} are needed ({q + MIN_RESIDUAL_DOF} "
            "observations). Use more years or fix some parameters (fixed=...)"
        )


def _estimability(
    at_bound: list[str], outside: list[str], unidentified: list[str]
) -> tuple[str, ...]:
    """Reasons, one sentence each, why the estimates cannot carry a verdict."""
    problems = []
    if at_bound:
        problems.append(at_bound_sentence(at_bound))
    if outside:
        problems.append(
            f"the estimates of {outside} have the wrong sign (outside their declared bounds): "
            "the data contradict the model's sign assumptions"
        )
    if unidentified:
        problems.append(
            f"{unidentified} are not identifiable from these data (their effects cannot be "
            "told apart: standard errors undefined)"
        )
    return tuple(problems)


def _information(loglike: float, q: int, n_obs: int) -> tuple[float, float]:
    """AIC and BIC; NaN when the likelihood is unbounded (an exact fit)."""
    if not math.isfinite(loglike):
        return math.nan, math.nan
    return -2.0 * loglike + 2.0 * q, -2.0 * loglike + q * math.log(n_obs)


def _exact_fit_note(what: str) -> str:
    return (
        f"{what} passes through every observation exactly (residual sum of squares 0 to "
        "rounding): the Gaussian likelihood is unbounded, so AIC and BIC are undefined (NaN), "
        "standard errors are 0 and residual diagnostics undefined; real data carry noise, so "
        "check that the data are not the model's own output"
    )


# ---------------------------------------------------------------------- difference
def _fit_difference(
    model: Model, obs: _Observations, fixed: dict[str, float], options: dict[str, Any]
) -> FitResult:
    if not is_linear_in_params(model):
        raise FitError(
            "method='difference' needs a model whose right-hand sides are linear in "
            "the parameters (sum of parameter x term); use method='ode'"
        )
    if any(name.endswith("(t0)") for name in fixed):
        raise FitError("initial states are not estimated by method='difference'; do not fix them")
    if any(math.isnan(v) for v in fixed.values()):
        raise FitError("fixed values must be numbers")
    raw = fit_differences(
        model,
        obs.times,
        obs.values,
        fixed,
        level=options["level_at"],
        hac=options["hac"],
        hac_lags=options["hac_lags"],
        conf_level=options["level"],
    )
    free = raw.free
    covariance = pd.DataFrame(raw.covariance, index=list(free), columns=list(free))
    intervals = pd.DataFrame(
        {"lower": [raw.conf_low[n] for n in free], "upper": [raw.conf_high[n] for n in free]},
        index=list(free),
    )
    intervals.attrs = {"level": options["level"], "method": "t"}
    initial = dict(zip(model.states, obs.values[0].tolist(), strict=True))
    for regression, names in zip(raw.regressions, raw.columns, strict=True):
        _check_dof(int(regression.nobs), len(names), "method='difference'")
    fitted_model, notes, outside = _with_fitted(
        model, raw.values, initial, "fit (difference regression)"
    )
    unidentified = [n for n in free if not math.isfinite(raw.stderr[n])]
    steps = np.diff(obs.times)[:, None]
    if model.kind == "ode":
        ahead = obs.values[:-1] + steps * raw.fitted_response
    else:
        ahead = raw.fitted_response
    fitted = pd.DataFrame(
        np.vstack([obs.values[:1], ahead]), index=obs.frame.index, columns=list(model.actors)
    )
    aic, bic = _information(raw.loglike, len(free), raw.n_obs)
    if raw.exact_fits:
        notes.append(_exact_fit_note(f"the regression of {', '.join(raw.exact_fits)}"))
    r2 = {label: d["r_squared"] for label, d in raw.diagnostics.items()}
    return FitResult(
        model=model,
        fitted_model=fitted_model,
        method="difference",
        params=dict(raw.values),
        stderr=dict(raw.stderr),
        free=free,
        covariance=covariance,
        intervals=intervals,
        level=options["level"],
        data=obs.frame,
        fitted=fitted,
        n_obs=raw.n_obs,
        rss=raw.rss,
        loglike=raw.loglike,
        aic=aic,
        bic=bic,
        r_squared=r2,
        success=True,
        message="ordinary least squares (closed form)",
        diagnostics=dict(raw.diagnostics),
        notes=obs.notes + tuple(notes),
        regime=None,
        escalation=None,
        options=options,
        regressions=raw.regressions,
        problems=_estimability([], outside, unidentified),
        _problem=raw,
    )


# ---------------------------------------------------------------------- ODE
def _fit_ode(
    model: Model,
    obs: _Observations,
    fixed: dict[str, float],
    bounds: Mapping[str, tuple[float, float]] | None,
    start: Mapping[str, float] | None,
    options: dict[str, Any],
) -> FitResult:
    log = options["log"]
    if log and np.any(obs.values <= 0):
        raise DataError("log=True needs positive spending; the data hold zeros or negatives")
    compiled = model.compile()
    index = model.param_index
    initial_names = [f"{s}(t0)" for s in model.states]
    bounds = dict(bounds or {})
    for name in bounds:
        if name not in index and name not in initial_names:
            raise FitError(
                f"bounds given for {name!r}, which is not a parameter or initial "
                f"state{did_you_mean(name, list(index) + initial_names)}"
            )
    p_base = model.param_vector({k: v for k, v in fixed.items() if k in index and math.isfinite(v)})
    free_params = np.array([index[n] for n in model.param_names if n not in fixed], dtype=int)
    fit_initial = options["fit_initial"]
    free_initial = [
        s
        for s, name in zip(model.states, initial_names, strict=True)
        if fit_initial and name not in fixed
    ]
    if fit_initial and len(free_initial) not in (0, model.n_states):
        raise FitError("fix either all initial states or none (fit_initial=False fixes all)")
    fit_initial = fit_initial and bool(free_initial)
    y0 = obs.values[0].copy()
    for i, name in enumerate(initial_names):
        if name in fixed and math.isfinite(fixed[name]):
            y0[i] = fixed[name]
    names = tuple(model.param_names[k] for k in free_params) + (
        tuple(initial_names) if fit_initial else ()
    )
    lower = np.array(
        [
            bounds.get(n, model.params[n].bounds if n in index else (-math.inf, math.inf))[0]
            for n in names
        ],
        dtype=float,
    )
    upper = np.array(
        [
            bounds.get(n, model.params[n].bounds if n in index else (-math.inf, math.inf))[1]
            for n in names
        ],
        dtype=float,
    )
    if np.any(lower > upper):
        raise FitError("a lower bound exceeds its upper bound")
    if not names:
        raise FitError("nothing to fit: every parameter and initial state is fixed")
    problem = TrajectoryProblem(
        compiled=compiled,
        times=obs.times,
        observed=obs.values,
        p_base=p_base,
        free_params=free_params,
        fit_initial=fit_initial,
        y0=y0,
        log=log,
        names=names,
        lower=lower,
        upper=upper,
    )
    theta0, start_note = _start(model, obs, fixed, start, names, p_base, y0)
    starts = [theta0]
    rng = np.random.default_rng(options["seed"])
    q_model = len(free_params)
    for _ in range(options["n_starts"] - 1):
        jitter = theta0.copy()
        jitter[:q_model] *= np.exp(rng.normal(0.0, 0.5, q_model))
        jitter[q_model:] *= np.exp(rng.normal(0.0, 0.05, len(theta0) - q_model))
        starts.append(jitter)
    target = problem.target()
    # the screen costs one batched solve: cheap for linear models (exact propagation), a
    # multiple of the whole fit for nonlinear ones, which refine n_starts perturbations only
    if options.get("search", "global") == "global" and start is None and compiled.is_linear:
        screened = _screened_starts(problem, target, theta0, model, names, q_model, rng)
        starts += screened
        start_note += f" and the {len(screened)} best of a Sobol screen around them"
    runs = [least_squares(problem, s, target) for s in starts]
    best = min(runs, key=lambda r: (not np.isfinite(r.cost), 2 * r.cost))
    theta = best.x
    residual, jac, ok = problem.residuals(theta[:, None], target)
    if not ok[0]:
        raise FitError(
            "the model could not be solved at the fitted parameters; try other "
            "starting values (start=...), bounds or log=True"
        )
    residual, jac = residual[:, 0], jac[:, :, 0]
    rss = float(residual @ residual)
    n_obs, q = residual.size, len(names)
    dof = n_obs - q
    _check_dof(n_obs, q, "method='ode'")
    notes = list(obs.notes)
    sigma2 = rss / dof
    covariance, rank, condition = _covariance(jac, sigma2)
    if rank < q:
        notes.append(
            f"the Jacobian has rank {rank} < {q}: some parameters are not identifiable "
            "from these data (standard errors are NaN); fix some of them"
        )
    stderr_free = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    at_bound = _at_bound(names, theta, lower, upper, notes)
    values = {name: float(fixed.get(name, model.params[name].value)) for name in model.param_names}
    for name in initial_names:
        values[name] = float(y0[initial_names.index(name)])
    values.update(dict(zip(names, theta.tolist(), strict=True)))
    stderr = {name: math.nan for name in values}
    stderr.update(dict(zip(names, stderr_free.tolist(), strict=True)))
    predicted = problem.solve(theta[:, None], sensitivities=False)[0][:, :, 0]
    initial = {s: values[f"{s}(t0)"] for s in model.states}
    fitted_model, bound_notes, outside = _with_fitted(
        model, values, initial, "fit (trajectory least squares)"
    )
    unidentified = _unidentified(jac, names) if rank < q else []
    notes += bound_notes
    if rss > 0.0:
        loglike = -0.5 * n_obs * (math.log(2 * math.pi * rss / n_obs) + 1.0)
    else:
        loglike = math.inf
        notes.append(_exact_fit_note("the fitted trajectory"))
    aic, bic = _information(loglike, q, n_obs)
    scale_obs = np.log(obs.values) if log else obs.values
    scale_fit = np.log(predicted) if log else predicted
    r2 = {}
    for i, actor in enumerate(model.actors):
        tss = float(np.sum((scale_obs[:, i] - scale_obs[:, i].mean()) ** 2))
        r2[actor] = (
            1.0 - float(np.sum((scale_obs[:, i] - scale_fit[:, i]) ** 2)) / tss if tss else math.nan
        )
    covariance_frame = pd.DataFrame(covariance, index=list(names), columns=list(names))
    from statsmodels.stats.stattools import durbin_watson

    res_matrix = residual.reshape(len(obs.times), model.n_states)
    diagnostics = {
        "durbin_watson": {
            a: float(durbin_watson(res_matrix[:, i])) for i, a in enumerate(model.actors)
        },
        "starts": [
            {"cost": float(2 * r.cost), "success": bool(r.success), "nfev": int(r.nfev)}
            for r in runs
        ],
        "start": start_note,
        "condition_number": condition,
        "solves": problem.n_solves[0],
    }
    provisional = FitResult(
        model=model,
        fitted_model=fitted_model,
        method="ode",
        params=values,
        stderr=stderr,
        free=names,
        covariance=covariance_frame,
        intervals=pd.DataFrame(),
        level=options["level"],
        data=obs.frame,
        fitted=pd.DataFrame(predicted, index=obs.frame.index, columns=list(model.actors)),
        n_obs=n_obs,
        rss=rss,
        loglike=loglike,
        aic=aic,
        bic=bic,
        r_squared=r2,
        success=bool(best.success),
        message=str(best.message),
        diagnostics=diagnostics,
        notes=tuple(notes),
        regime=None,
        escalation=None,
        options=options,
        problems=_estimability(at_bound, outside, unidentified),
        at_bound=tuple(at_bound),
        _problem=problem,
        _theta=theta,
    )
    if options["ci"] == "profile" and rank == q:
        intervals = _profile(provisional, options["level"])
    else:
        intervals = _wald(provisional, options["level"])
    object.__setattr__(provisional, "intervals", intervals)
    extra = []
    if intervals.attrs.get("wald_fallback"):
        extra.append(
            f"the profile of {list(intervals.attrs['wald_fallback'])} had zero width although "
            "their standard errors are positive: their intervals are Wald intervals"
        )
    lowest = intervals.attrs.get("lower_objective")
    if lowest is not None:
        message = (
            f"a profile refit met RSS {lowest:.6g} < {rss:.6g} at the optimum: the fit stopped "
            "in a local minimum; refit with more starts (n_starts=20) or other start values"
        )
        extra.append(message)
        warnings.warn(message, RichardsonWarning, stacklevel=3)
    if extra:
        object.__setattr__(provisional, "notes", provisional.notes + tuple(extra))
    return provisional


#: Candidates of the global screen of the trajectory fit (a Sobol set) and how many of the best
#: are refined locally.
SCREEN_POINTS = 256
SCREEN_KEEP = 6


def _screened_starts(
    problem: TrajectoryProblem,
    target: np.ndarray,
    theta0: np.ndarray,
    model: Model,
    names: tuple[str, ...],
    q_model: int,
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """The best few of a Sobol screen of starting points around ``theta0``.

    Each model parameter ranges over a factor 10 either way of its start (log scale), or,
    where the start is zero (an estimate clipped to its bound), from 0 to the typical size of
    the parameters with the same unit; initial states vary by 10%. All candidates are solved
    in one batched call; the ``SCREEN_KEEP`` lowest objectives become local starts. A start
    of zero never moves under multiplicative jitter, which is how a local fit gets stuck with
    the reaction of the wrong actor at 0.
    """
    import scipy.stats

    n_points = SCREEN_POINTS
    unit = scipy.stats.qmc.Sobol(len(theta0), seed=rng).random(n_points)  # (m, Q) in [0, 1)
    candidates = np.empty((len(theta0), n_points))
    magnitude = np.abs(theta0)
    for j in range(len(theta0)):
        if j >= q_model:  # initial state
            candidates[j] = theta0[j] * (0.9 + 0.2 * unit[:, j])
            continue
        same = [
            magnitude[i]
            for i in range(q_model)
            if model.params[names[i]].unit == model.params[names[j]].unit and magnitude[i] > 0
        ]
        if magnitude[j] > 0:
            candidates[j] = theta0[j] * np.exp(np.log(10.0) * (2.0 * unit[:, j] - 1.0))
        else:
            candidates[j] = unit[:, j] * (float(np.median(same)) if same else 1.0)
    candidates = np.clip(candidates, problem.lower[:, None], problem.upper[:, None])
    residual, _, ok = problem.residuals(candidates, np.repeat(target, n_points, axis=1), False)
    with np.errstate(invalid="ignore"):
        cost = np.where(ok, np.sum(residual**2, axis=0), np.inf)
    order = [i for i in np.argsort(cost) if np.isfinite(cost[i])]
    # the best candidates that differ from each other: in the model parameters, relative to
    # their spread over the screen, at least a quarter of the box apart
    spread = np.ptp(candidates[:q_model], axis=1)
    spread = np.where(spread > 0, spread, 1.0)
    kept: list[int] = []
    for i in order:
        if all(
            np.max(np.abs(candidates[:q_model, i] - candidates[:q_model, j]) / spread) > 0.25
            for j in kept
        ):
            kept.append(i)
        if len(kept) == SCREEN_KEEP:
            break
    return [candidates[:, i].copy() for i in kept]


def _unidentified(jac: np.ndarray, names: tuple[str, ...]) -> list[str]:
    """Estimates that move along the null space of the (column-scaled) residual Jacobian."""
    scale = np.linalg.norm(jac, axis=0)
    _, singular, vt = np.linalg.svd(jac / np.where(scale > 0, scale, 1.0), full_matrices=True)
    tol = singular.max() * max(jac.shape) * np.finfo(float).eps
    null = vt[int(np.sum(singular > tol)) :]
    return [n for n, weight in zip(names, np.abs(null).max(axis=0), strict=True) if weight > 0.1]


def _covariance(jac: np.ndarray, sigma2: float) -> tuple[np.ndarray, int, float]:
    """``sigma2 (J^T J)^-1`` computed on column-scaled J (parameters differ by orders of
    magnitude); rank and condition number of the scaled Jacobian."""
    q = jac.shape[1]
    scale = np.linalg.norm(jac, axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    singular = np.linalg.svd(jac / scale, compute_uv=False)
    tol = singular.max() * max(jac.shape) * np.finfo(float).eps
    rank = int(np.sum(singular > tol))
    condition = float(singular.max() / singular.min()) if singular.min() > 0 else math.inf
    if rank < q:
        return np.full((q, q), np.nan), rank, condition
    scaled = jac / scale
    inverse = np.linalg.inv(scaled.T @ scaled)
    return sigma2 * inverse / np.outer(scale, scale), rank, condition


def _start(
    model: Model,
    obs: _Observations,
    fixed: dict[str, float],
    start: Mapping[str, float] | None,
    names: tuple[str, ...],
    p_base: np.ndarray,
    y0: np.ndarray,
) -> tuple[np.ndarray, str]:
    values = dict(zip(model.param_names, p_base.tolist(), strict=True))
    note = "model defaults"
    consecutive = np.all(np.diff(obs.times) == 1)
    if start is None and consecutive and is_linear_in_params(model):
        raw = fit_differences(
            model, obs.times, obs.values, {k: v for k, v in fixed.items() if k in model.param_index}
        )
        values.update({k: v for k, v in raw.values.items() if math.isfinite(v)})
        note = "difference-regression estimates"
    for name, value in (start or {}).items():
        if name not in values and name not in {f"{s}(t0)" for s in model.states}:
            raise FitError(
                f"start value given for {name!r}, which is not estimated{did_you_mean(name, names)}"
            )
        values[name] = float(value)
        note = "user start values"
    for i, state in enumerate(model.states):
        values.setdefault(f"{state}(t0)", float(y0[i]))
    theta = np.array([values[n] for n in names], dtype=float)
    return theta, note
