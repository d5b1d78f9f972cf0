"""Richardson's own fitting method: regress yearly changes on levels (OLS via statsmodels).

For a model whose right-hand side is linear in its parameters, ``f(y, p) = Phi(y) p``
(every Richardson-type model: reaction, fatigue and grievance terms), the yearly change
``(y[t+1] - y[t]) / (t_{t+1} - t_t)`` is regressed on the columns of ``Phi`` evaluated at
the level at the start of each year ``y[t]`` (the default) or at mid-year
``(y[t] + y[t+1]) / 2`` (Richardson's own choice). The mid-year level is biased towards
"unstable": for any stationary series ``Cov(y[t+1] - y[t], (y[t] + y[t+1]) / 2) = 0``, so the
population slope on the mid-year level is zero whatever the true stability, and a stable
system's negative slope (its fatigue) is lost. For a map
(``kind="map"``) the next value ``y[t+1]`` is regressed on ``Phi(y[t])``. Equations that share
a parameter are stacked into one regression; the others are fitted one by one.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from ..errors import FitError
from ..model.core import Model

__all__ = ["linear_design", "DifferenceFit", "fit_differences", "is_linear_in_params"]

LEVELS = ("midpoint", "start")


def is_linear_in_params(model: Model) -> bool:
    """True when every right-hand side is ``sum_k p_k * phi_k(y, t)`` (no parameter-free term)."""
    symbols = model.param_symbols
    for expr in model.rhs:
        derivatives = [sp.diff(expr, p) for p in symbols]
        if any(d.free_symbols & set(symbols) for d in derivatives):
            return False
        rest = sp.expand(
            expr - sum((p * d for p, d in zip(symbols, derivatives, strict=True)), sp.S.Zero)
        )
        if rest != 0:
            return False
    return True


def linear_design(model: Model, states: np.ndarray, times: np.ndarray) -> np.ndarray:
    """``Phi`` of ``f = Phi p`` at the given states: shape ``(T, n, P)``.

    For a model linear in its parameters ``df/dp`` does not depend on ``p``, so it is the
    compiled parameter Jacobian evaluated at any parameter vector.
    """
    compiled = model.compile()
    p = model.param_vector()
    out = np.empty((len(times), model.n_states, len(p)))
    for row, (t, y) in enumerate(zip(times, states, strict=True)):
        out[row] = compiled.jac_p(float(t), y, p)
    return out


@dataclass(frozen=True)
class DifferenceFit:
    """Raw outcome of :func:`fit_differences` (wrapped into a FitResult by ``richardson.fit``)."""

    values: dict[str, float]
    stderr: dict[str, float]
    covariance: np.ndarray  # over the free parameters, in ``free`` order
    free: tuple[str, ...]
    conf_low: dict[str, float]
    conf_high: dict[str, float]
    regressions: tuple[Any, ...]  # statsmodels RegressionResults, one per group
    groups: tuple[tuple[str, ...], ...]  # equations (states) of each regression
    columns: tuple[tuple[str, ...], ...]  # parameters (regressors) of each regression
    rss: float
    n_obs: int
    loglike: float
    diagnostics: dict[str, Any]
    exact_fits: tuple[str, ...]  # equations whose residuals are all zero (to rounding)
    response: np.ndarray  # (T-1, n) observed yearly changes (or next values)
    fitted_response: np.ndarray  # (T-1, n)


def _groups(model: Model, free: set[int], design: np.ndarray) -> list[list[int]]:
    """Equations connected by a shared free parameter (union-find)."""
    n = model.n_states
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    used = np.any(design != 0, axis=0)  # (n, P)
    for k in free:
        rows = np.nonzero(used[:, k])[0]
        for r in rows[1:]:
            parent[find(r)] = find(rows[0])
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def fit_differences(
    model: Model,
    times: np.ndarray,
    observed: np.ndarray,
    fixed: dict[str, float],
    level: str = "start",
    hac: bool = False,
    hac_lags: int | None = None,
    conf_level: float = 0.95,
) -> DifferenceFit:
    """OLS of yearly changes on levels (see the module docstring).

    Parameters
    ----------
    model : Model
        Linear in its parameters.
    times : ndarray, shape (T,)
        Consecutive observation years.
    observed : ndarray, shape (T, n)
        Observed states in model-state order.
    fixed : dict
        Parameter name -> value held fixed (moved to the response side).
    level : {"start", "midpoint"}
        Where the regressors are evaluated for an ODE model: at the start of each year
        (unbiased for stable systems) or at mid-year (Richardson's replication).
    hac : bool
        Newey-West (HAC) standard errors, robust to autocorrelated and heteroskedastic errors.
    hac_lags : int, optional
        HAC lag length; ``floor(4 (T/100)^(2/9))`` by default.
    conf_level : float
        Level of the t-based confidence intervals.

    Returns
    -------
    DifferenceFit
    """
    import statsmodels.api as sm
    from statsmodels.stats.stattools import durbin_watson, jarque_bera

    if level not in LEVELS:
        raise FitError(f"level must be one of {LEVELS}, not {level!r}")
    steps = np.diff(times)
    if model.kind == "ode":
        response = np.diff(observed, axis=0) / steps[:, None]
        at = 0.5 * (observed[1:] + observed[:-1]) if level == "midpoint" else observed[:-1]
        at_times = 0.5 * (times[1:] + times[:-1]) if level == "midpoint" else times[:-1]
    else:
        response = observed[1:]
        at, at_times = observed[:-1], times[:-1]
    design = linear_design(model, at, at_times)  # (T-1, n, P)
    index = model.param_index
    fixed_idx = {index[name]: value for name, value in fixed.items()}
    free_idx = [k for k in range(len(index)) if k not in fixed_idx]
    adjusted = response.copy()
    for k, value in fixed_idx.items():
        adjusted -= design[:, :, k] * value
    names = model.param_names
    values = {name: float(fixed.get(name, np.nan)) for name in names}
    stderr = {name: float("nan") for name in names}
    low = dict(stderr)
    high = dict(stderr)
    covariance = np.full((len(free_idx), len(free_idx)), np.nan)
    position = {k: i for i, k in enumerate(free_idx)}
    regressions, groups, regressors, loglike, rss = [], [], [], 0.0, 0.0
    exact_fits: list[str] = []
    fitted = np.zeros_like(response)
    diagnostics: dict[str, Any] = {}
    used = np.any(design != 0, axis=0)
    for group in _groups(model, set(free_idx), design):
        columns = [k for k in free_idx if used[group, k].any()]
        y = adjusted[:, group].T.ravel()
        X = np.concatenate([design[:, i, :][:, columns] for i in group], axis=0)
        label = " + ".join(model.actors[i] for i in group)
        if not columns:
            fitted[:, group] = response[:, group] - adjusted[:, group]
            continue
        if len(y) <= len(columns):
            raise FitError(
                f"equation(s) {label}: {len(y)} yearly changes for {len(columns)} free parameters; "
                "use a longer period or fix some parameters (fixed={...})"
            )
        ols = sm.OLS(y, X)
        if hac:
            lags = (
                hac_lags if hac_lags is not None else int(np.floor(4 * (len(y) / 100) ** (2 / 9)))
            )
            result = ols.fit(cov_type="HAC", cov_kwds={"maxlags": max(lags, 0)})
        else:
            result = ols.fit()
        interval = np.asarray(result.conf_int(alpha=1 - conf_level))
        cov = np.asarray(result.cov_params())
        for a, k in enumerate(columns):
            name = names[k]
            values[name] = float(result.params[a])
            stderr[name] = float(result.bse[a])
            low[name], high[name] = float(interval[a, 0]), float(interval[a, 1])
            for b, k2 in enumerate(columns):
                covariance[position[k], position[k2]] = cov[a, b]
        fitted_group = result.fittedvalues.reshape(len(group), -1).T + (
            response[:, group] - adjusted[:, group]
        )
        fitted[:, group] = fitted_group
        regressions.append(result)
        groups.append(tuple(model.states[i] for i in group))
        regressors.append(tuple(names[k] for k in columns))
        rss += float(result.ssr)
        exact = float(result.ssr) <= 1e-24 * max(float(y @ y), 1e-300)
        if exact:
            # Residuals at rounding level: the changes are an exact line of the levels (data
            # made by the model itself). The likelihood is unbounded and the residual
            # diagnostics are 0/0; say so (FitResult notes) instead of letting numpy warn.
            exact_fits.append(label)
            loglike = math.inf
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                r_squared = float(result.rsquared)
            dw = jb_p = math.nan
        else:
            loglike += float(result.llf)
            r_squared = float(result.rsquared)
            dw = float(durbin_watson(result.resid))
            jb_p = float(jarque_bera(result.resid)[1])
        diagnostics[label] = {
            "r_squared": r_squared,
            "r_squared_is_centered": bool(result.k_constant),
            "durbin_watson": dw,
            "jarque_bera_p": jb_p,
            "condition_number": float(result.condition_number),
            "n_obs": int(result.nobs),
            "cov_type": result.cov_type,
        }
    for i, j in zip(*np.nonzero(np.isnan(covariance)), strict=True):
        if i != j:
            covariance[i, j] = 0.0  # parameters of separate regressions are uncorrelated
    return DifferenceFit(
        values=values,
        stderr=stderr,
        covariance=covariance,
        free=tuple(names[k] for k in free_idx),
        conf_low=low,
        conf_high=high,
        regressions=tuple(regressions),
        groups=tuple(groups),
        columns=tuple(regressors),
        rss=rss,
        n_obs=int(response.size),
        loglike=loglike,
        diagnostics=diagnostics,
        exact_fits=tuple(exact_fits),
        response=response,
        fitted_response=fitted,
    )
