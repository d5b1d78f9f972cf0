"""Regime verdicts: :func:`classify` gives a :class:`~.results.Regime` with a plain-language
explanation.

Linear models (``CompiledModel.is_linear``: the Richardson family) are decided exactly with
linear algebra. Nonlinear models get numeric balances from many starts and, where the
eigenvalues do not settle the question (trigger points, cycles, ceilings), simulations from
sampled initial states (:mod:`._sampled`).

References
----------
Richardson, L. F. (1960). *Arms and Insecurity*. Pittsburgh: Boxwood Press.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from ..model.core import Model
from ..simulation.stochastic import noise_vector
from .balances import (
    _check_autonomous,
    _linear_equilibria,
    _linear_parts,
    _nonlinear_equilibria,
    _param_vector,
    _region,
)
from .escape import escalation_probability
from .results import (
    REGIMES,
    Regime,
)
from .verdicts import linear_verdicts

__all__ = ["classify"]


def classify(
    model: Model,
    params: Mapping[str, float] | None = None,
    region: Any = None,
    n_samples: int = 48,
    horizon: float | None = None,
    seed: int = 0,
    y0: Any = None,
    noise: Any = None,
    noise_horizon: float = 10.0,
) -> Regime:
    """Give the regime of a parameter set, with a plain-language explanation.

    Linear models are decided exactly: the largest real part ``s`` of the eigenvalues of
    ``J = K - diag(a)`` decides between runaway (``s > 0``: spending grows without bound,
    doubling about every ``ln 2 / s``) and a stable balance; a stable system whose actors
    all have non-positive grievances (so that spending at zero is not pushed up) disarms.

    Delay models (``delayed(y, tau)`` terms) get the verdict of the model without delays,
    then the balance's stability with them, from the rightmost roots of the characteristic
    quasi-polynomial (:func:`critical_delay`); a balance stable without delays that the
    delays destabilise gives ``oscillatory`` (a delay-induced Hopf bifurcation), and the
    explanation names the critical delay.

    Nonlinear models combine the balances and their eigenvalues with simulations from
    ``n_samples`` initial states spread over ``region``: two or more distinct outcomes mean
    a trigger point (``bistable``); sustained swings mean ``oscillatory``; a stable balance
    reached although low spending escalates (the Jacobian at the lower corner of the
    region has an eigenvalue with positive real part) means ``saturation``.

    Parameters
    ----------
    model : Model
        An autonomous ODE or map.
    params : mapping, optional
        Parameter values overriding the defaults (reaction and fatigue in 1/time unit).
    region : pair or mapping, optional
        Spending box (state units) for balances and sampled starts; see :func:`equilibria`.
        By default balances are sought in a wide box (up to 10 times the largest parameter
        or initial value) and the starts are sampled around what was found: from 0 to twice
        the largest balance, initial value or ``y0`` of each state (the wide box when there
        is none). The shares of outcomes are shares of that box (``Regime.region``), not
        probabilities.
    n_samples : int
        Initial states simulated for nonlinear models.
    horizon : float, optional
        Simulated time (time units); by default 40 times the slowest time scale of the
        balances, between 50 and 2000.
    seed : int
        Seed of the sampled starts.
    y0 : array-like or mapping, optional
        A start (state units) whose fate is judged as well (``Regime.fate``): where that
        start goes, and, in a threshold regime, which side of the threshold it lies on.

    noise : float, sequence or mapping, optional
        Random shocks to spending (state units per square root of a time unit, one value or
        one per actor, additive): when given, :func:`escalation_probability` estimates how
        likely shocks push the start (``y0``, else the model's initial values) over the
        threshold within ``noise_horizon``, from 10,000 seeded paths, and the explanation
        ends with that estimate and its interval (``Regime.escape``).
    noise_horizon : float
        Horizon of that estimate, in time units.

    Returns
    -------
    Regime

    Raises
    ------
    ModelError
        For a time-dependent model or unknown parameter names.

    Examples
    --------
    >>> import richardson as rd
    >>> rd.classify(rd.richardson2(k=1.2, l=1.1, a=1.0, b=1.1)).name
    'runaway'
    """
    verdict = _classify(model, params, region, n_samples, horizon, seed, y0)
    if noise is None:
        return verdict
    escape = escalation_probability(
        model, noise_horizon, noise, y0=y0, params=params, seed=seed, progress=False
    )
    words = f"{verdict.explanation} Under random shocks ({_noise_words(model, noise)}): "
    return replace(verdict, explanation=words + escape.summary(), escape=escape)


def _noise_words(model: Model, noise: Any) -> str:
    """The shocks in words, from the per-state intensities ``simulate_sde`` integrates."""
    sigma = noise_vector(model, noise)
    if np.all(sigma == sigma[0]):
        return f"sigma = {sigma[0]:g} per actor"
    return "sigma " + ", ".join(f"{a} {s:g}" for a, s in zip(model.actors, sigma, strict=True))


def _classify(model, params, region, n_samples, horizon, seed, y0) -> Regime:  # noqa: ANN001
    _check_autonomous(model, "classify")
    if getattr(model, "delays", ()):
        from .delays import classify_delayed

        options = {"region": region, "n_samples": n_samples, "horizon": horizon, "seed": seed}
        return classify_delayed(model, params, y0=y0, **options)
    p = _param_vector(model, params)
    start = None if y0 is None else model.initial_vector(y0)
    compiled = model.compile()
    if compiled.is_linear:
        return _classify_linear(model, compiled, p, start)
    from ._sampled import classify_sampled

    lower, upper = _region(model, region, p)
    found = _nonlinear_equilibria(model, compiled, p, lower, upper, 200, seed, 1e-10)
    if region is None:
        lower, upper = _sampling_box(model, found, lower, upper, start)
    return classify_sampled(
        model, compiled, p, found, lower, upper, int(n_samples), horizon, seed, start
    )


def _sampling_box(
    model: Model,
    found: list[Any],
    lower: np.ndarray,
    upper: np.ndarray,
    start: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """The box the default starts are sampled from: ``lower`` (0: the default search box
    starts there) to twice the largest balance, initial value or start of each state (twice
    the largest over all states for a state that is 0 in all of them), inside the search box;
    the search box when nothing is positive."""
    points = [e.state for e in found if np.all(np.isfinite(e.state))]
    if model.initial and len(model.initial) == model.n_states:
        points.append(model.initial_vector())
    if start is not None:
        points.append(np.asarray(start, dtype=float))
    if not points:
        return lower, upper
    top = np.max(np.abs(np.array(points)), axis=0)
    top = np.where(top > 1e-9 * float(np.max(upper - lower)), top, 0.0)  # rounding is 0
    if not np.any(top > 0):
        return lower, upper
    top = np.where(top > 0, top, top.max())
    return lower, np.minimum(2.0 * top, upper)


def _floored_balance(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Balance of ``dx/dt = A x + b`` with spending kept non-negative (x_i = 0 where pushed down).

    Solves the complementarity problem ``x >= 0, A x + b <= 0, x_i (A x + b)_i = 0`` by
    active-set iteration (exact for the stable Richardson case, where ``-A`` is an M-matrix).
    """
    n = len(b)
    support = np.ones(n, dtype=bool)
    x = np.zeros(n)
    for _ in range(2 * n + 2):
        x = np.zeros(n)
        if np.any(support):
            sub = A[np.ix_(support, support)]
            x[support] = np.linalg.lstsq(sub, -b[support], rcond=None)[0]
        negative = support & (x < 0)
        if np.any(negative):
            support &= ~negative
            continue
        rate = A @ x + b
        pushed = ~support & (rate > 1e-12 * max(1.0, float(np.max(np.abs(b)))))
        if not np.any(pushed):
            break
        support |= pushed
    return np.maximum(x, 0.0)


def _classify_linear(
    model: Model, compiled: Any, p: np.ndarray, start: np.ndarray | None = None
) -> Regime:
    from ._explain import explain_linear, fate_text

    A, b = _linear_parts(compiled, p)
    discrete = model.kind == "map"
    codes, growth = linear_verdicts(A[..., None], b[:, None], discrete)
    name = REGIMES[int(codes[0])]
    found = _linear_equilibria(model, compiled, p)
    rate = float(growth[0])
    grows = name in ("runaway", "threshold") and rate > 0 and not discrete
    doubling = math.log(2.0) / rate if grows else math.inf
    if discrete and name in ("runaway", "threshold"):
        radius = rate + 1.0
        doubling = math.log(2.0) / math.log(radius) if radius > 1 else math.inf
    floored = _floored_balance(A, b) if not discrete else None
    explanation = explain_linear(model, A, b, name, rate, doubling, found, floored)
    fate = None
    if start is not None:
        fate, side = _linear_fate(A, b, name, start, floored, discrete)
        explanation += " " + fate_text(model, start, fate, side)
    return Regime(
        name=name,
        explanation=explanation,
        equilibria=tuple(found),
        growth_rate=rate,
        doubling_time=doubling,
        params=dict(zip(model.param_names, p.tolist(), strict=True)),
        method="linear",
        time_unit=model.time_unit,
        fate=fate,
        start=None if start is None else dict(zip(model.states, start.tolist(), strict=True)),
    )


def _linear_fate(
    A: np.ndarray,
    b: np.ndarray,
    name: str,
    start: np.ndarray,
    floored: np.ndarray | None,
    discrete: bool = False,
) -> tuple[str, str | None]:
    """Where ``start`` goes under ``x' = A x + b`` (a map: ``x -> A x + b``; spending floored
    at zero), and its side.

    Exact: in a threshold regime the sign of ``w . (x0 - x*)`` (see
    :func:`~.verdicts.threshold_balance`; for a map on ``A - I``) decides; a start below falls
    back to the floored balance (zero spending: disarmament). Every other regime is the fate
    of every start.
    """
    if name != "threshold":
        return name, None
    from .verdicts import threshold_balance

    balance, w = threshold_balance(A - np.eye(len(b)) if discrete else A, b)
    if float(w @ (start - balance)) > 0:
        return "runaway", "above"
    if np.all(b <= 0):
        return "disarmament", "below"  # zero spending is a resting point, the saddle repels
    # mixed grievances: where the floored flow comes to rest is found by simulating it
    rest = _floored_map_rest(A, b, start) if discrete else _floored_rest(A, b, start)
    return rest, "below"


def _floored_map_rest(A: np.ndarray, b: np.ndarray, start: np.ndarray, steps: int = 10_000) -> str:
    """Regime name of where ``x -> max(A x + b, 0)`` from ``start`` comes to rest."""
    x = np.maximum(start, 0.0)
    top = max(1.0, float(np.abs(start).max()), float(np.abs(b).max()))
    for _ in range(steps):
        following = np.maximum(A @ x + b, 0.0)
        if np.max(following) > 1e6 * top:
            return "runaway"
        if np.max(np.abs(following - x)) <= 1e-12 * top:
            break
        x = following
    return "disarmament" if np.all(x <= 1e-9 * top) else "stable_balance"


def _floored_rest(A: np.ndarray, b: np.ndarray, start: np.ndarray) -> str:
    """Regime name of where ``x' = A x + b`` from ``start``, floored at zero, comes to rest."""
    from scipy.integrate import solve_ivp

    rates = np.abs(np.linalg.eigvals(A).real)
    slowest = max(float(rates[rates > 1e-12].min()) if np.any(rates > 1e-12) else 0.1, 1e-3)
    horizon = float(np.clip(50.0 / slowest, 50.0, 5000.0))

    def floored(t: float, x: np.ndarray) -> np.ndarray:
        rate = A @ x + b
        return np.where((x <= 0) & (rate < 0), 0.0, rate)

    run = solve_ivp(floored, (0.0, horizon), np.maximum(start, 0.0), method="LSODA", rtol=1e-8)
    final = np.maximum(run.y[:, -1], 0.0)
    top = max(1.0, float(np.abs(start).max()), float(np.abs(b).max()))
    if not run.success or np.max(final) > 1e6 * top:
        return "runaway"
    return "disarmament" if np.all(final <= 1e-9 * top) else "stable_balance"
