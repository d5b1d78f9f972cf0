"""Noise-driven escalation: :func:`escalation_probability`, the probability that random shocks
push spending over a threshold within a horizon, with a Monte Carlo confidence interval
(:class:`EscalationProbability`).

The threshold is, by default, the one the model itself has: in Richardson's threshold regime
(a linear model whose balance is a saddle) the hyperplane ``w . (x - x*) = 0`` through the
balance ``x*`` along the stable directions, ``w`` the left eigenvector of the one unstable
eigenvalue; above it spending runs away, below it it falls back. For a nonlinear model with a
trigger point (a bistable alliance), the same plane through the saddle between the basins (its
tangent there, exact only near the saddle). A level of spending (one number for every actor,
or one per actor) can be given instead, e.g. an economic ceiling.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.stats

from ..errors import SimulationError, UnknownSymbolError, did_you_mean
from ..model.core import Model
from ..simulation.stochastic import simulate_sde
from .balances import _linear_parts, equilibria
from .verdicts import threshold_balance

__all__ = ["EscalationProbability", "escalation_probability", "interval"]

#: How the confidence interval of a share of paths is computed.
INTERVAL_METHOD = "Wilson score interval"


def interval(crossings: int, paths: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval of a binomial share ``crossings / paths``.

    Wilson's interval keeps close to its nominal coverage for shares near 0 or 1, where the
    normal (Wald) interval fails, and with zero crossings gives a positive upper bound.
    """
    result = scipy.stats.binomtest(int(crossings), int(paths))
    ci = result.proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


@dataclass(frozen=True, eq=False)
class EscalationProbability:
    """The estimated probability that shocks push spending over a threshold in time.

    Attributes
    ----------
    probability : float or None
        Share of simulated paths that crossed (None when the verdict is withheld).
    lower, upper : float or None
        Bounds of the confidence interval (:data:`INTERVAL_METHOD`).
    crossings, n_paths : int
        Paths that crossed, and paths counted (failed paths left out).
    failed : int
        Paths stopped by a NaN state, not counted.
    horizon : float
        Time (model time unit) within which a crossing counts.
    confidence : float
        Level of the interval.
    threshold : str
        What counted as crossing, in words.
    reason : str
        Why the verdict is withheld ("" when it is given).
    crossing_times : numpy.ndarray
        Time of each counted path's first crossing, NaN when it did not cross.
    ended_beyond : int
        Counted paths that lie beyond the threshold at the horizon (or ran away): crossing
        is not the same as staying over, since near the threshold the drift away from it is
        weak and later shocks can bring a path back.
    time_unit : str
        The model's time unit.
    """

    probability: float | None
    lower: float | None
    upper: float | None
    crossings: int
    n_paths: int
    failed: int
    horizon: float
    confidence: float
    threshold: str
    reason: str = ""
    crossing_times: np.ndarray | None = None
    ended_beyond: int = 0
    time_unit: str = "year"
    method: str = INTERVAL_METHOD

    @property
    def is_withheld(self) -> bool:
        """True when no probability could be supported (see :attr:`reason`)."""
        return self.probability is None

    def summary(self) -> str:
        """The estimate in plain words, with its interval and what counted as crossing."""
        level = f"{100 * self.confidence:g}%"
        unit = self.time_unit
        units = unit + "s" if unit and not unit.endswith("s") else unit
        within = f"within {self.horizon:g} {units if self.horizon != 1 else unit}".rstrip()
        if self.is_withheld:
            return f"Escalation probability withheld: {self.reason}"
        paths = f"{self.n_paths:,} simulated paths"
        if self.crossings == 0:
            head = (
                f"None of {paths} crossed {self.threshold} {within}: the probability is below "
                f"{_percent(self.upper)} ({level} upper bound, {self.method}); it is not zero."
            )
        elif self.crossings == self.n_paths:
            head = (
                f"All {paths} crossed {self.threshold} {within}: the probability is above "
                f"{_percent(self.lower)} ({level} lower bound, {self.method})."
            )
        else:
            times = self.crossing_times[np.isfinite(self.crossing_times)]
            head = (
                f"In {_percent(self.probability)} of {paths} ({level} CI "
                f"{_percent(self.lower)}-{_percent(self.upper)}, {self.method}) shocks pushed "
                f"spending over {self.threshold} {within}; the median time to crossing was "
                f"{float(np.median(times)):.3g} {units}."
            )
        if self.crossings:
            head += (
                f" {_percent(self.ended_beyond / self.n_paths)} of the paths ended the horizon "
                "beyond it."
            )
        if self.failed:
            head += f" {self.failed} paths failed (NaN state) and are not counted."
        return head

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"

    def __repr__(self) -> str:
        if self.is_withheld:
            return "<EscalationProbability withheld>"
        return (
            f"<EscalationProbability {self.probability:.4g} "
            f"[{self.lower:.4g}, {self.upper:.4g}] of {self.n_paths} paths>"
        )


def _percent(share: float) -> str:
    value = 100 * share
    digits = 0 if value >= 10 else (1 if value >= 1 else 2)
    return f"{value:.{digits}f}%"


def _plane(jacobian: np.ndarray, balance: np.ndarray) -> tuple[np.ndarray, float] | None:
    """``(w, c)`` of the plane ``w . x = c`` through a saddle with one unstable eigenvalue,
    ``w`` its left eigenvector oriented towards rising spending (None otherwise)."""
    values, right = np.linalg.eig(jacobian)
    unstable = values.real > 1e-12 * max(1.0, float(np.abs(jacobian).max()))
    if unstable.sum() != 1:
        return None
    i = int(np.flatnonzero(unstable)[0])
    v = right[:, i].real
    v = v if v.sum() > 0 else -v
    left_values, left = np.linalg.eig(jacobian.T)
    w = left[:, int(np.argmin(np.abs(left_values - values[i])))].real
    if abs(w @ v) < 1e-300:
        return None
    w = w / (w @ v)
    return w, float(w @ balance)


def _model_threshold(
    model: Model, p: np.ndarray, start: np.ndarray, params: Mapping[str, float] | None
) -> tuple[np.ndarray, np.ndarray, str] | str:
    """The model's own threshold as ``(W, c, words)``, or the reason there is none."""
    compiled = model.compile()
    if compiled.is_linear:
        A, b = _linear_parts(compiled, p)
        found = threshold_balance(A, b)
        if found is None:
            return (
                "this linear model has no threshold (its balance is not a saddle with one "
                "rising direction and positive spending: it is stable, or runs away from any "
                "start); give threshold=<level> to ask about a level of spending instead"
            )
        balance, w = found
        words = "the threshold balance (the saddle of Richardson's unstable case)"
        return w[None, :], np.array([float(w @ balance)]), words
    saddles = []
    for balance in equilibria(model, params):
        jacobian = np.asarray(compiled.jac(0.0, balance.state, p), dtype=float)
        plane = _plane(jacobian, balance.state)
        if plane is not None:
            saddles.append((float(np.linalg.norm(balance.state - start)), plane, balance.state))
    if not saddles:
        return (
            "the model has no saddle balance with one unstable direction (no trigger point "
            "separating two basins was found); give threshold=<level> to ask about a level of "
            "spending instead"
        )
    _, (w, c), _ = min(saddles, key=lambda item: item[0])
    words = "the trigger point (the plane through the saddle between the basins)"
    return w[None, :], np.array([c]), words


def _level_threshold(model: Model, threshold: Any) -> tuple[np.ndarray, np.ndarray, str]:
    n = model.n_states
    names = {name: i for i, name in enumerate(model.actors)}
    names.update({name: i for i, name in enumerate(model.states)})
    if isinstance(threshold, Mapping):
        items = list(threshold.items())
        for name, _ in items:
            if name not in names:
                raise UnknownSymbolError(
                    f"threshold names {name!r}, which is neither an actor nor a state"
                    f"{did_you_mean(name, names)}"
                )
    else:
        items = [(a, threshold) for a in model.actors]
    rows, levels = np.zeros((len(items), n)), np.zeros(len(items))
    for r, (name, value) in enumerate(items):
        try:
            levels[r] = float(value)
        except (TypeError, ValueError) as err:
            raise SimulationError(f"threshold of {name!r} must be a number, not {value!r}") from err
        if not math.isfinite(levels[r]):
            raise SimulationError(f"threshold of {name!r} is {levels[r]}; give a finite level")
        rows[r, names[name]] = 1.0
    unit = f" {model.state_unit}" if model.state_unit else ""
    words = (
        f"a spending level of {levels[0]:g}{unit} (any actor)"
        if not isinstance(threshold, Mapping)
        else "the spending levels " + ", ".join(f"{k} = {float(v):g}" for k, v in items)
    )
    return rows, levels, words


def escalation_probability(  # noqa: PLR0913
    model: Model,
    horizon: float,
    noise: Any,
    y0: Any = None,
    threshold: Any = None,
    n_paths: int = 10_000,
    seed: Any = 0,
    confidence: float = 0.95,
    dt: float | None = None,
    kind: str = "additive",
    params: Mapping[str, float] | None = None,
    floor: float | None = None,
    progress: bool | None = None,
) -> EscalationProbability:
    """Probability that random shocks push spending over a threshold within ``horizon``.

    Simulates ``n_paths`` paths with :func:`~richardson.simulation.simulate_sde` (yearly
    output, sub-steps of ``dt``) and counts those whose state crosses the threshold, watched at
    every sub-step and, between sub-steps, on the Brownian bridge (so a coarse step does not
    miss short excursions). The share comes with a Wilson score interval.

    Parameters
    ----------
    model : Model
        An autonomous ODE model (the drift).
    horizon : float
        Time (model time unit) within which a crossing counts.
    noise : float, sequence or mapping
        Noise intensity per actor (see :func:`~richardson.simulation.simulate_sde`).
    y0 : sequence or mapping, optional
        Start (state units); the model's initial values by default.
    threshold : float or mapping, optional
        None: the model's own threshold (the saddle balance of a threshold regime, or the
        trigger point between two basins). A number: a level of spending (state units) that
        any actor reaching counts as escalation, e.g. a ceiling; a mapping actor -> level.
    n_paths : int
        Simulated paths (the interval narrows as ``1/sqrt(n_paths)``).
    seed : int, SeedSequence or None
        Seed of the shocks.
    confidence : float
        Level of the interval, in (0, 1).
    dt : float, optional
        Sub-step (time units); by default a hundredth of the horizon.
    kind : {"additive", "multiplicative"}
        Kind of noise.
    params : mapping, optional
        Parameter values overriding the model's.
    floor : float, optional
        Lower bound on every state (e.g. 0: additive shocks do not drive spending negative).
    progress : bool, optional
        Show a progress bar.

    Returns
    -------
    EscalationProbability
        Withheld (``probability`` None, ``reason`` says why) when the model has no threshold
        and none is given, or when the start already lies beyond it.

    Raises
    ------
    SimulationError
        For a bad horizon, confidence, threshold, noise or step.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *Journal of the American Statistical Association* 22, 209-212.

    Examples
    --------
    >>> import richardson as rd
    >>> model = rd.richardson2(k=1.2, l=1.2, a=1.0, b=1.0, g=-0.5, h=-0.5)
    >>> result = rd.escalation_probability(model, 10, 0.3, y0=[1.5, 1.5], n_paths=500)
    >>> 0 < result.probability < 1
    True
    """
    horizon = float(horizon)
    if not math.isfinite(horizon) or horizon <= 0:
        raise SimulationError(f"horizon is {horizon}; give a positive time (model time unit)")
    if not 0 < float(confidence) < 1:
        raise SimulationError(f"confidence is {confidence}; give a level in (0, 1), e.g. 0.95")
    p = model.param_vector(params)
    start = model.initial_vector(y0)
    if threshold is None:
        found = _model_threshold(model, p, start, params)
        if isinstance(found, str):
            return _withheld(found, horizon, confidence, model)
        rows, levels, words = found
    else:
        rows, levels, words = _level_threshold(model, threshold)
    if np.any(rows @ start >= levels):
        return _withheld(
            f"the start already lies at or beyond {words}: crossing needs no shock (the "
            "deterministic run decides); start below it to ask what shocks do",
            horizon,
            confidence,
            model,
        )
    steps = max(1, math.ceil(horizon))
    paths = simulate_sde(
        model,
        (0.0, horizon),
        start,
        noise=noise,
        n_paths=n_paths,
        seed=seed,
        t_eval=np.linspace(0.0, horizon, steps + 1),
        dt=horizon / 100 if dt is None else dt,
        kind=kind,
        params=params,
        floor=floor,
        progress=progress,
        _barrier=(rows, levels),
    )
    status = paths.data["status"].values
    counted = status >= 0
    times = paths.data["crossing_time"].values[counted]
    crossings, total = int(np.isfinite(times).sum()), int(counted.sum())
    final = paths.data["spending"].values[counted, -1, :]
    beyond = np.any(final @ rows.T >= levels, axis=1) | (status[counted] == 1)
    if total == 0:
        return _withheld("every path failed (NaN state)", horizon, confidence, model)
    low, high = interval(crossings, total, float(confidence))
    return EscalationProbability(
        probability=crossings / total,
        lower=low,
        upper=high,
        crossings=crossings,
        n_paths=total,
        failed=int((~counted).sum()),
        horizon=horizon,
        confidence=float(confidence),
        threshold=words,
        crossing_times=times,
        ended_beyond=int(beyond.sum()),
        time_unit=model.time_unit,
    )


def _withheld(
    reason: str, horizon: float, confidence: float, model: Model
) -> EscalationProbability:
    return EscalationProbability(
        probability=None,
        lower=None,
        upper=None,
        crossings=0,
        n_paths=0,
        failed=0,
        horizon=horizon,
        confidence=float(confidence),
        threshold="",
        reason=reason,
        time_unit=model.time_unit,
    )
