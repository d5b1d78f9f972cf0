"""Batched evaluation of the escalation outputs for :func:`richardson.sensitivity`.

One call evaluates every output for a chunk of parameter sets (one set per column of ``P``):
linear models through their Jacobians and :func:`linear_verdicts` (closed form for two
actors, Perron roots or certified rightmost roots for more) and one stacked solve for the
balances; nonlinear models, and outputs that need a run (``time_to_ceiling``, callables of a
:class:`Trajectory`), through one :func:`simulate_ensemble` of the chunk. Module-level and
picklable, so chunks can run on a process pool or a dask cluster.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..simulation.ensemble import simulate_ensemble
from ..simulation.trajectory import Runaway, Trajectory
from .balances import _linear_parts
from .results import REGIMES
from .verdicts import linear_verdicts

__all__ = ["NAMED_OUTPUTS", "EvaluationPlan", "evaluate_chunk", "needs_runs"]

#: Outputs known by name (callables of a :class:`Trajectory` are the open-ended rest).
NAMED_OUTPUTS = ("abscissa", "runaway", "balance", "time_to_ceiling")
_ESCALATING = np.array([REGIMES.index("runaway"), REGIMES.index("threshold")])


@dataclass(frozen=True)
class EvaluationPlan:
    """What to compute for each parameter set.

    Attributes
    ----------
    outputs : tuple
        Names from :data:`NAMED_OUTPUTS` and callables ``f(Trajectory) -> float``, in order.
    linear : bool
        True when the compiled model is linear (exact verdicts, no runs unless asked).
    t_span : tuple of float
        Time span of the runs (model time unit).
    ceiling : float or None
        Spending level at which a run counts as runaway (None: the ensemble's guard).
    y0 : numpy.ndarray
        Start of every run (state units).
    """

    outputs: tuple[Any, ...]
    linear: bool
    t_span: tuple[float, float]
    ceiling: float | None
    y0: np.ndarray

    @property
    def needs_runs(self) -> bool:
        """True when some output needs simulated runs."""
        return needs_runs(self.outputs, self.linear)


def needs_runs(outputs: tuple[Any, ...], linear: bool) -> bool:
    """True when ``outputs`` of a (linear or nonlinear) model need simulated runs."""
    return not linear or any(callable(o) or o == "time_to_ceiling" for o in outputs)


def evaluate_chunk(portable: Any, plan: EvaluationPlan, P: np.ndarray) -> np.ndarray:
    """Every output of ``plan`` for the parameter sets ``P`` (shape ``(n_params, m)``).

    Returns
    -------
    numpy.ndarray
        Shape ``(n_rows, m)``: one row per scalar output, ``"balance"`` giving one row per
        actor; NaN where an evaluation failed (a singular system, a callable that raised).
    """
    model = portable.model
    compiled = model.compile()
    m = P.shape[1]
    verdicts = balances = runs = None
    if plan.linear:
        A, b = _linear_parts(compiled, P)
        if "abscissa" in plan.outputs or "runaway" in plan.outputs:
            verdicts = linear_verdicts(A, b, model.kind == "map")
        if "balance" in plan.outputs:
            balances = _linear_balances(A, b, model.kind == "map")
    if plan.needs_runs:
        runs = simulate_ensemble(
            model,
            np.ascontiguousarray(P.T),
            plan.t_span,
            y0=plan.y0,
            ceiling=plan.ceiling,
            progress=False,
            chunk_size=m,
        ).data
    # a run that crossed the ceiling reached no balance: its balance and abscissa are NaN
    escaped = None if runs is None else np.isfinite(runs["runaway_time"].to_numpy().astype(float))
    rows: list[np.ndarray] = []
    for output in plan.outputs:
        if callable(output):
            rows.append(_callable_row(output, model, runs, P))
        elif output == "balance":
            if balances is None:
                balances = np.where(escaped, np.nan, _final_states(runs))
            rows.extend(balances)
        elif output == "time_to_ceiling":
            hit = runs["runaway_time"].to_numpy().astype(float)
            rows.append(np.where(np.isfinite(hit), hit, plan.t_span[1]))
        elif verdicts is not None:
            codes, growth = verdicts
            rows.append(growth if output == "abscissa" else np.isin(codes, _ESCALATING) * 1.0)
        elif output == "runaway":
            rows.append(np.isfinite(runs["runaway_time"].to_numpy().astype(float)) * 1.0)
        else:  # abscissa of a nonlinear model: at the state each run reaches
            final = _final_states(runs)
            J = compiled.jac(plan.t_span[1], final, P)
            eigenvalues = np.linalg.eigvals(np.moveaxis(J, -1, 0))
            rows.append(np.where(escaped, np.nan, eigenvalues.real.max(axis=-1)))
    out = np.vstack(rows) if rows else np.empty((0, m))
    out[~np.isfinite(out)] = np.nan
    return out


def _linear_balances(A: np.ndarray, b: np.ndarray, discrete: bool) -> np.ndarray:
    """Balances ``x* = -A^-1 b`` (ODE) or ``(I - A)^-1 b`` (map), shape ``(n, m)``; NaN
    where the system is singular."""
    n = A.shape[0]
    stacked = np.moveaxis(A, -1, 0)
    if discrete:
        stacked, rhs = np.eye(n) - stacked, b.T[..., None]
    else:
        rhs = -b.T[..., None]
    out = np.full((A.shape[2], n), np.nan)
    determinant = np.linalg.det(stacked)
    scale = np.max(np.abs(stacked), axis=(1, 2)) ** n
    regular = np.abs(determinant) > 1e-13 * np.maximum(scale, 1e-300)
    if regular.any():
        out[regular] = np.linalg.solve(stacked[regular], rhs[regular])[..., 0]
    return out.T


def _final_states(runs: Any) -> np.ndarray:
    """State of each run at the end of the span, shape ``(n, m)``."""
    return np.ascontiguousarray(runs["spending"].to_numpy()[:, -1, :].T)


def _callable_row(
    function: Callable[[Trajectory], Any], model: Any, runs: Any, P: np.ndarray
) -> np.ndarray:
    """``function(trajectory)`` of every member, as floats (NaN where it fails)."""
    time = runs["time"].to_numpy().astype(float)
    spending = runs["spending"].to_numpy()
    hit = runs["runaway_time"].to_numpy().astype(float)
    who = runs["runaway_actor"].to_numpy()
    row = np.full(P.shape[1], np.nan)
    for j in range(P.shape[1]):
        ran_away = math.isfinite(hit[j])
        keep = time <= hit[j] if ran_away else slice(None)
        trajectory = Trajectory(
            time=time[keep],
            values=spending[j][keep],
            actors=model.actors,
            states=model.states,
            attrs={
                "model": model.name,
                "params": dict(zip(model.param_names, P[:, j], strict=True)),
            },
            runaway=Runaway(str(who[j]), float(hit[j])) if ran_away else None,
            status=1 if ran_away else 0,
            message="",
        )
        try:
            value = float(function(trajectory))
        except Exception:  # noqa: BLE001 -- a failed evaluation is NaN, counted in the result
            continue
        row[j] = value
    return row
