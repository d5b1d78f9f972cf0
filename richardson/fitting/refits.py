"""Refits of bootstrap resamples, in picklable chunks: the work a worker process does.

A chunk holds a portable description of the model (rebuilt in the worker), the fields of the
trajectory problem and the resampled targets. ODE resamples are refitted together by the
batched Levenberg-Marquardt of :func:`richardson.fitting.ode.batched_least_squares`, with
ceilings through their reciprocal (:mod:`.reciprocal`); every refit is then classified and,
when asked, its escalation margin measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import RichardsonError
from ..model.core import Model
from .ode import TrajectoryProblem, batched_least_squares, least_squares
from .reciprocal import ReciprocalProblem, limit_model, reciprocal_parameters

if TYPE_CHECKING:
    from .result import FitResult

__all__ = ["REFIT_ITERATIONS", "RATE_PER_INTERVAL"]

#: Iterations of the batched Levenberg-Marquardt refit of the resamples of an ODE fit: the
#: per-refit limit (a refit still improving after it counts as not converged).
REFIT_ITERATIONS = 150
#: Fastest rate, per sampling interval, a refit may reach: adjustments well within one
#: interval cannot be told from instant ones by the data (resamples crawling that way
#: along a flat valley stop at this edge instead of turning stiff and slow).
RATE_PER_INTERVAL = 30.0


def _portable(model: Model) -> dict[str, Any]:
    """Plain-data description of a model that pickles (rebuilt in worker processes)."""
    return {
        "states": list(model.states),
        "params": dict(model.params),
        "rhs": list(model.rhs),
        "kind": model.kind,
        "actors": list(model.actors),
        "blocs": {k: list(v) for k, v in model.blocs.items()},
        "name": model.name,
        "description": model.description,
        "state_unit": model.state_unit,
        "time_unit": model.time_unit,
        "initial": dict(model.initial),
        "metadata": dict(model.metadata),
    }


@dataclass(frozen=True)
class _Chunk:
    """One unit of work: refit some resamples and give their verdicts."""

    model: dict[str, Any]
    kind: str  # "ode" or "difference"
    samples: np.ndarray | None  # (Q, m) already-fitted estimates (difference)
    problem: dict[str, Any] | None  # TrajectoryProblem fields without the compiled model
    theta_hat: np.ndarray | None
    targets: np.ndarray | None  # (N, m)
    batched: bool
    free: tuple[str, ...]
    verdicts: bool
    margins: bool
    margin_over: tuple[str, ...] | None
    region: dict[str, tuple[float, float]] | None = None
    last: np.ndarray | None = None  # the last observed state: the start each verdict judges


def _problem_fields(problem: TrajectoryProblem) -> dict[str, Any]:
    return {
        k: getattr(problem, k)
        for k in (
            "times",
            "observed",
            "p_base",
            "free_params",
            "fit_initial",
            "y0",
            "log",
            "names",
            "lower",
            "upper",
            "rtol",
            "exact_linear",
        )
    }


def _refit_rate_limit(problem: TrajectoryProblem, result: FitResult) -> float:
    """:data:`RATE_PER_INTERVAL` per sampling interval, or twice the fit's own fastest rate."""
    interval = float(np.min(np.diff(problem.times)))
    own = float(problem._fastest_rates(result._theta[:, None])[0])
    return max(RATE_PER_INTERVAL / interval, 2.0 * own)


def _run_chunk(
    chunk: _Chunk,
) -> tuple[np.ndarray, np.ndarray, list[str] | None, np.ndarray | None, list[str]]:
    """Worker: refit (ODE) and classify one chunk. Module-level so that it pickles."""
    model = Model(**chunk.model)
    if chunk.kind == "ode":
        inner = TrajectoryProblem(compiled=model.compile(), **chunk.problem)
        # ceilings are refitted as reciprocals, so that "no ceiling" is a point, not a crawl
        problem = ReciprocalProblem(
            inner, reciprocal_parameters(model, inner.names, inner.lower, inner.upper)
        )
        m = chunk.targets.shape[1]
        start = np.repeat(problem.to_internal(chunk.theta_hat)[:, None], m, axis=1)
        if chunk.batched:
            # no one-by-one finishing: a member still moving after REFIT_ITERATIONS batched
            # steps is counted as not converged (and reported as such), not left to run
            result = batched_least_squares(problem, start, chunk.targets, max_iter=REFIT_ITERATIONS)
            theta, converged = result.theta.copy(), result.converged.copy()
        else:
            theta = np.empty_like(start)
            converged = np.zeros(m, dtype=bool)
            for j in range(m):
                single = least_squares(problem, start[:, 0], chunk.targets[:, j : j + 1])
                theta[:, j] = single.x
                converged[j] = bool(single.success) and np.isfinite(single.cost)
        theta = problem.to_external(theta)
    else:
        theta = chunk.samples
        converged = np.all(np.isfinite(theta), axis=0)
    regimes, fates, margins, notes = None, None, None, []
    if chunk.verdicts or chunk.margins:
        regimes, fates, margins, notes = _verdict_chunk(
            model,
            chunk.free,
            theta,
            converged,
            chunk.verdicts,
            chunk.margins,
            chunk.margin_over,
            chunk.region,
            chunk.last,
        )
    return theta, converged, regimes, fates, margins, notes


def _verdict_chunk(
    model: Model,
    free: tuple[str, ...],
    theta: np.ndarray,
    converged: np.ndarray,
    verdicts: bool,
    margins: bool,
    margin_over: tuple[str, ...] | None,
    region: dict[str, tuple[float, float]] | None = None,
    last: np.ndarray | None = None,
):  # noqa: ANN202
    """Regime names, fates of ``last`` and escalation margins of each column of ``theta``.

    The fate is where the last observed state goes under the resample's model (exact for
    linear models: the side of the threshold, :func:`~richardson.analysis.verdicts.
    threshold_balance`), so that a threshold regime counts towards ``P(runaway)`` only when
    the observed system lies beyond its threshold.

    Nonlinear resamples are judged on ``region`` (the box of the original fit's verdict),
    so every resample is classified on the same spending levels; an estimate at infinity
    (a ceiling the resample does not reach) is judged on the model without that term
    (:func:`.reciprocal.limit_model`).

    For linear models the regimes of the whole chunk come from one batched eigenvalue
    computation (:func:`richardson.analysis.verdicts.linear_verdicts`, the test :func:`classify`
    applies to linear models); otherwise :func:`classify` runs per resample. Margins always
    come from :func:`richardson.escalation_margin`, per resample.
    """
    from ..analysis.margin import escalation_margin
    from ..analysis.regimes import classify
    from ..analysis.results import REGIMES
    from ..analysis.verdicts import linear_verdicts, threshold_balance

    m = theta.shape[1]
    regimes = [""] * m if verdicts else None
    fates: list[str] | None = [""] * m if verdicts else None
    values = np.full(m, np.nan) if margins else None
    notes: list[str] = []
    param_rows = [name for name in free if name in model.param_index]
    positions = [free.index(name) for name in param_rows]
    compiled = model.compile()
    batched = verdicts and compiled.is_linear and compiled.is_autonomous
    if batched:
        full = np.repeat(model.param_vector()[:, None], m, axis=1)
        full[[model.param_index[n] for n in param_rows]] = theta[positions]
        zero = np.zeros((model.n_states, m))
        A = compiled.jac(0.0, zero, full)  # (n, n, m)
        b = compiled.rhs(0.0, zero, full)  # (n, m)
        with np.errstate(invalid="ignore", over="ignore"):
            finite = np.all(np.isfinite(A), axis=(0, 1)) & np.all(np.isfinite(b), axis=0)
            usable = converged & finite
            codes = np.zeros(m, dtype=int)
            if usable.any():
                codes[usable] = linear_verdicts(A[:, :, usable], b[:, usable], model.kind == "map")[
                    0
                ]
        for j in np.nonzero(usable)[0]:
            regimes[j] = fates[j] = REGIMES[int(codes[j])]
            if regimes[j] == "threshold" and last is not None:
                balance, w = threshold_balance(A[:, :, j], b[:, j])
                fates[j] = "runaway" if float(w @ (last - balance)) > 0 else "below"
    limits: dict[tuple[str, ...], Model] = {}
    for j in range(m):
        if not converged[j]:
            continue
        params = dict(zip(param_rows, theta[positions, j].tolist(), strict=True))
        infinite = tuple(name for name, value in params.items() if value == math.inf)
        if infinite not in limits:
            limits[infinite] = limit_model(model, infinite)
        judged = limits[infinite]
        params = {name: value for name, value in params.items() if name not in infinite}
        if verdicts and not batched:
            try:
                regime = classify(judged, params, region=region, y0=last)
                regimes[j], fates[j] = regime.name, regime.fate or ""
            except (RichardsonError, ArithmeticError, np.linalg.LinAlgError) as err:
                if len(notes) < 5:
                    notes.append(f"resample regime failed: {err}")
        if margins:
            try:
                over = (
                    None
                    if margin_over is None
                    else [name for name in margin_over if name not in infinite]
                )
                found = escalation_margin(judged, params, over=over, region=region, budget=None)
                values[j] = found.margin
            except (RichardsonError, ArithmeticError, np.linalg.LinAlgError) as err:
                if len(notes) < 5:
                    notes.append(f"resample margin failed (left NaN): {err}")
    return regimes, fates, values, notes


def _verdict_region(result: FitResult) -> dict[str, tuple[float, float]] | None:
    """The spending box on which the fit's own verdict is given (nonlinear models): the box
    its sampled starts were spread over, so that every resample is judged on the same one."""
    from ..analysis.balances import _region

    fitted = result.fitted_model
    if fitted.compile().is_linear:
        return None
    if result.regime is not None and result.regime.region:
        return dict(result.regime.region)
    lower, upper = _region(fitted, None, fitted.param_vector())
    return {
        state: (float(lo), float(hi))
        for state, lo, hi in zip(fitted.states, lower, upper, strict=True)
    }
