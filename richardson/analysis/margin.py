"""Escalation margin: how far a parameter set sits from the runaway boundary.

The margin is the smallest ``t`` such that changing each named parameter by at most ``t``
times its scale (``|p_i' - p_i| <= t scale_i``, ``scale_i = |p_i|``, or an absolute step for a
parameter whose value is 0) moves the system into runaway (or, if it already runs away, out
of it). It is the figure a user quotes: "the fitted pre-1914 system sat 12% from the
instability boundary".

Linear models are searched over the whole box of changes, every mode and every sub-system
(:mod:`._margin_linear`; exact where the structure allows it, the result says which); other
models by bisection on the verdict of :func:`classify` along several directions.
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from ..errors import ModelError, UnknownSymbolError, did_you_mean
from ..model._frozen import FrozenMapping
from ..model.core import Model
from ._margin_linear import box_margin
from ._margin_words import LISTED, families, grouped_moves
from .balances import _check_autonomous, _param_vector, _region
from .regimes import classify
from .results import Regime

__all__ = ["EscalationMargin", "escalation_margin"]

#: Random corners added to the directions of a nonlinear search.
RANDOM_CORNERS = 3


@dataclass(frozen=True, eq=False)
class EscalationMargin:
    """Distance of a parameter set from the runaway boundary.

    Attributes
    ----------
    margin : float
        Smallest change (``0.12`` = 12% of each scale) of the named parameters, each changed
        by at most this fraction of its scale, that changes the regime to runaway (or out of
        it). ``inf`` when no change within the search range does.
    parameters : tuple of str
        The parameters allowed to change.
    direction : mapping
        Parameter -> signed change at the boundary in units of its scale (``+0.12`` =
        raised by 12% of ``|value|``).
    boundary : mapping
        Parameter -> value at the boundary point.
    current : mapping
        Parameter -> value now.
    current_regime : str
        Regime of the parameter set analysed.
    target_regime : str
        Regime just across the boundary.
    method : str
        ``"linear"`` (eigenvalues over the box of changes, :mod:`._margin_linear`) or
        ``"bisection"`` (bisection on the regime verdict of :func:`classify` along
        directions).
    max_change : float
        Search range: largest change tried, in units of the scales.
    scales : mapping
        Parameter -> the unit of its change (parameter unit): ``|value|``, or for a
        parameter whose value is 0 the absolute step stated in ``notes``.
    exact : bool
        Whether the margin is exact (to the root finder's tolerance) rather than the best
        of a search; see ``search``.
    search : str
        What was done, in words (which structure made it exact, or what was searched).
    subsystem : tuple of str
        States of the sub-system that reaches the boundary (empty when it is the whole
        system).
    from_runaway : bool
        Whether the parameter set analysed runs away (linear: the largest real part of the
        eigenvalues is >= 0, which includes the ``threshold`` and ``marginal`` regimes), so
        that the margin is the distance out of runaway.
    notes : tuple of str
        Remarks: parameters stopped at their bounds, absolute steps, search limits.
    """

    margin: float
    parameters: tuple[str, ...]
    direction: Mapping[str, float]
    boundary: Mapping[str, float]
    current: Mapping[str, float]
    current_regime: str
    target_regime: str
    method: str
    max_change: float
    scales: Mapping[str, float] = field(default_factory=dict)
    exact: bool = False
    search: str = ""
    subsystem: tuple[str, ...] = ()
    from_runaway: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for name in ("direction", "boundary", "current", "scales"):
            object.__setattr__(self, name, FrozenMapping(dict(getattr(self, name))))
        for name in ("parameters", "subsystem", "notes"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @property
    def percent(self) -> float:
        """The margin in percent."""
        return 100.0 * self.margin

    def summary(self) -> str:
        """One paragraph for an appendix: how far, which way, where the boundary is."""
        names = ", ".join(self.parameters)
        if len(self.parameters) > LISTED:
            names = f"its {len(self.parameters)} parameters ({families(self.parameters)})"
        now = self.current_regime.replace("_", " ")
        if not math.isfinite(self.margin):
            text = (
                f"Escalation margin: none within the search range. Changing {names} by up to "
                f"{100 * self.max_change:.0f}% each does not "
                + ("end the runaway." if self.from_runaway else "make the system run away.")
                + f" Current regime: {now}."
            )
        else:
            moved = [name for name in self.parameters if self.direction[name] != 0]
            moves = (
                grouped_moves(self, moved) if len(moved) > LISTED else list(map(self._move, moved))
            )
            target = self.target_regime.replace("_", " ")
            text = (
                f"Escalation margin: {self.percent:.3g}%. The system ({now}) changes to "
                f"{target} when "
                + (
                    f"{names} moves by {self.percent:.3g}%"
                    if len(self.parameters) == 1
                    else f"each of {names} moves by at most {self.percent:.3g}% of its value"
                )
                + ": "
                + "; ".join(moves)
                + "."
            )
            if self.subsystem:
                text += f" The sub-system {', '.join(self.subsystem)} reaches the boundary first."
        if self.method == "linear":
            how = f"linear, {self.search}"
            if not self.exact:
                how += "; a smaller change in a direction not tried cannot be ruled out"
        else:
            how = f"{self.method} ({self.search}); a search: a smaller change may exist"
        return "\n".join([text, *self.notes, f"Method: {how}."])

    def _move(self, name: str) -> str:
        change, now, then = self.direction[name], self.current[name], self.boundary[name]
        verb = "raising" if change > 0 else "lowering"
        if now == 0:
            return f"{verb} {name} from 0 to {then:.4g} ({100 * abs(change):.3g}% of its step)"
        return f"{verb} {name} by {100 * abs(change):.3g}% ({now:.4g} -> {then:.4g})"

    def __repr__(self) -> str:
        return (
            f"<EscalationMargin {self.margin:.4g} over {self.parameters}: "
            f"{self.current_regime} -> {self.target_regime}>"
        )

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


def _jacobian_parameters(model: Model) -> list[str]:
    """Parameters the Jacobian depends on (reactions, fatigues, couplings)."""
    jacobian = sp.Matrix(model.rhs).jacobian(sp.Matrix(model.state_symbols))
    used = jacobian.free_symbols
    return [
        name
        for name, sym in zip(model.param_names, model.param_symbols, strict=True)
        if sym in used
    ]


def _default_parameters(model: Model, p: np.ndarray) -> list[str]:
    """Parameters the Jacobian depends on (reactions and fatigues), with non-zero values."""
    return [n for n in _jacobian_parameters(model) if p[model.param_index[n]] != 0]


def _scales(
    model: Model, p0: np.ndarray, names: Sequence[str], given: Mapping[str, float] | None
) -> tuple[np.ndarray, list[str]]:
    """Unit of change of each parameter and notes on the absolute steps chosen.

    ``|value|``; for a parameter whose value is 0, ``given[name]`` or else the mean ``|value|``
    of the model's non-zero Jacobian parameters with the same unit (1 when there are none).
    """
    given = dict(given or {})
    for name, value in given.items():
        if name not in names:
            raise UnknownSymbolError(
                f"scales names {name!r}, which is not among the parameters varied {list(names)}"
            )
        if not (math.isfinite(float(value)) and float(value) > 0):
            raise ModelError(f"the scale of {name!r} must be a positive number, not {value}")
    scales, notes = [], []
    pool = None
    for name in names:
        value = float(p0[model.param_index[name]])
        if value != 0:
            scales.append(abs(value))
            continue
        unit = model.params[name].unit
        if name in given:
            step, why = float(given[name]), "as given"
        else:
            if pool is None:
                pool = _jacobian_parameters(model)
            same = [
                abs(float(p0[model.param_index[other]]))
                for other in pool
                if model.params[other].unit == unit and p0[model.param_index[other]] != 0
            ]
            step = float(np.mean(same)) if same else 1.0
            why = (
                f"the mean |value| of the other parameters in {unit or 'its unit'}"
                if same
                else "1 in its unit, no other parameter sharing it"
            )
        scales.append(step)
        shown = unit if unit and unit != "1" else "(dimensionless)"
        notes.append(
            f"{name} is 0, so its change is absolute: 100% means {step:.4g} {shown} ({why})."
        )
    return np.array(scales), notes


def escalation_margin(
    model: Model,
    params: Mapping[str, float] | None = None,
    over: Sequence[str] | None = None,
    max_change: float = 2.0,
    tol: float = 1e-10,
    scales: Mapping[str, float] | None = None,
    budget: float | None = 5.0,
    **classify_options: Any,
) -> EscalationMargin:
    """How far a parameter set is from the runaway boundary, in relative parameter change.

    Finds the smallest ``t`` such that changing each parameter in ``over`` by at most ``t``
    times its scale (``|p_i' - p_i| <= t |p_i|``) reaches the boundary of the runaway regime
    (from either side), within the parameters' bounds. A parameter whose value is 0 moves in
    absolute steps (``scales``).

    Linear models are searched over the whole box of changes, over every eigenvalue and every
    sub-system (a pair of allies that can escalate between themselves while the rest stays
    calm). The margin is exact when the structure allows it, the result says so
    (``exact``): Metzler systems (reactions >= 0) whose parameters each move their entries
    one way, where the growth rate is largest at one corner of the box; two-nation blocks
    from a stable balance, where the corners decide. For Richardson's two nations with
    ``over=["k", "l"]`` the margin is ``sqrt(a b / (k l)) - 1``. Otherwise (mixed-sign
    couplings among three or more actors, leaving runaway) it is a search: rays to the
    corners, each parameter alone and random directions, refined locally; the answer is a
    genuine boundary point. See :mod:`richardson.analysis._margin_linear`.

    Nonlinear models are searched by bisection on the verdict of :func:`classify` along
    several directions: the steepest (from the growth rate at the balances), each parameter
    alone both ways and a few random corners, while ``budget`` lasts.

    Parameters
    ----------
    model : Model
        An autonomous model.
    params : mapping, optional
        The parameter set analysed (defaults of the model otherwise).
    over : sequence of str, optional
        Parameters allowed to change. Default: every parameter with a non-zero value that
        the Jacobian depends on (reactions, fatigues and couplings, not grievances).
    max_change : float
        Largest change searched, in units of the scales (2.0 = 200%); beyond it the margin
        is ``inf``.
    tol : float
        Absolute tolerance on the margin for linear models (nonlinear: ``1e-3`` relative).
    scales : mapping, optional
        Parameter -> absolute step (parameter unit) for parameters whose value is 0.
        Default: the mean ``|value|`` of the non-zero Jacobian parameters with the same unit
        (1 when there are none); the notes state the step used.
    budget : float or None
        Seconds of wall time for a nonlinear search: the steepest direction is always
        finished, further directions are tried while time remains (``None``: all of them,
        reproducible on any machine). Linear models ignore it.
    **classify_options
        Passed to :func:`classify` for nonlinear models (``region``, ``n_samples``, ...).

    Returns
    -------
    EscalationMargin

    Raises
    ------
    ModelError
        If a name in ``over`` is not a parameter, or ``max_change`` or a scale is not a
        positive number.

    Examples
    --------
    >>> import richardson as rd
    >>> m = rd.richardson2(k=0.9, l=0.8, a=1.0, b=1.1)
    >>> round(rd.escalation_margin(m, over=["k", "l"]).margin, 6)  # sqrt(1.1 / 0.72) - 1
    0.236033
    """
    _check_autonomous(model, "escalation_margin")
    p0 = _param_vector(model, params)
    names = [over] if isinstance(over, str) else list(over) if over is not None else None
    if names is None:
        names = _default_parameters(model, p0)
    if not names:
        raise ModelError("no parameters to vary: pass over=[...] with parameter names")
    for name in names:
        if name not in model.param_index:
            raise UnknownSymbolError(
                f"{name!r} is not a parameter of this model{did_you_mean(name, model.param_names)}"
            )
    max_change = float(max_change)
    if not (math.isfinite(max_change) and max_change > 0):
        raise ModelError(f"max_change must be a positive fraction (2.0 = 200%), not {max_change}")
    scale, notes = _scales(model, p0, names, scales)
    notes += _bound_notes(model, p0, names)
    if model.compile().is_linear and model.kind == "ode":
        return _linear_margin(model, p0, names, scale, max_change, tol, notes)
    return _nonlinear_margin(model, p0, names, scale, max_change, budget, notes, classify_options)


def _bound_notes(model: Model, p0: np.ndarray, names: Sequence[str]) -> list[str]:
    """A note for each parameter that sits on one of its bounds and can move one way only."""
    notes = []
    for name in names:
        value = float(p0[model.param_index[name]])
        low, high = (float(b) for b in model.params[name].bounds)
        if low == high:
            notes.append(f"{name} is fixed by its bounds ({low:g}) and cannot move.")
        elif value <= low:
            notes.append(
                f"{name} sits at its lower bound {low:g}: it can only be raised, so a change "
                "that needs it lower is out of reach."
            )
        elif value >= high:
            notes.append(
                f"{name} sits at its upper bound {high:g}: it can only be lowered, so a change "
                "that needs it higher is out of reach."
            )
    return notes


def _change_bounds(
    model: Model, p0: np.ndarray, names: Sequence[str], scale: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the scaled changes from the parameters' bounds (0 always inside)."""
    index = [model.param_index[n] for n in names]
    bounds = np.array([model.params[n].bounds for n in names], dtype=float)
    with np.errstate(invalid="ignore"):
        lower = (bounds[:, 0] - p0[index]) / scale
        upper = (bounds[:, 1] - p0[index]) / scale
    return np.minimum(np.nan_to_num(lower, nan=0.0), 0.0), np.maximum(
        np.nan_to_num(upper, nan=0.0), 0.0
    )


def _linear_margin(
    model: Model,
    p0: np.ndarray,
    names: Sequence[str],
    scale: np.ndarray,
    max_change: float,
    tol: float,
    notes: Sequence[str] = (),
    limits: tuple[np.ndarray, np.ndarray] | None = None,
) -> EscalationMargin:
    """The margin of a linear ODE model (``limits``: extra bounds on the scaled changes)."""
    compiled = model.compile()
    index = np.array([model.param_index[n] for n in names])
    lower, upper = _change_bounds(model, p0, names, scale)
    if limits is not None:
        lower, upper = np.maximum(lower, limits[0]), np.minimum(upper, limits[1])
    zero = np.zeros(model.n_states)

    def parameters(deltas: np.ndarray) -> np.ndarray:  # (k, m) -> (P, m)
        values = np.repeat(p0[:, None], deltas.shape[1], axis=1)
        values[index] = p0[index][:, None] + deltas * scale[:, None]
        return values

    def jacobians(deltas: np.ndarray) -> np.ndarray:
        return compiled.jac(0.0, zero, parameters(deltas))

    found = box_margin(jacobians, lower, upper, max_change, tol)

    def regime(deltas: np.ndarray) -> Regime:
        return classify(model, dict(zip(model.param_names, parameters(deltas)[:, 0], strict=True)))

    current_regime = regime(np.zeros((len(names), 1)))
    current = {n: float(p0[i]) for n, i in zip(names, index, strict=True)}
    notes = list(notes)
    if math.isfinite(found.t):
        at = parameters(found.delta[:, None])[:, 0]
        past = np.clip((found.t * (1 + 1e-9) + 1e-12) * found.ray, lower, upper)
        target_regime = regime(past[:, None]).name
        boundary = {n: float(at[i]) for n, i in zip(names, index, strict=True)}
        direction = dict(zip(names, found.delta.tolist(), strict=True))
        if np.any(np.abs(found.delta - found.t * found.ray) > 1e-9 * max(found.t, 1.0)):
            notes.append("Some parameters stopped at their bounds.")
    else:
        target_regime = current_regime.name
        boundary, direction = dict(current), {n: 0.0 for n in names}
    subsystem = ()
    if found.states and len(found.states) < model.n_states:
        subsystem = tuple(model.states[i] for i in found.states)
    return EscalationMargin(
        margin=float(found.t),
        parameters=tuple(names),
        direction=direction,
        boundary=boundary,
        current=current,
        current_regime=current_regime.name,
        target_regime=target_regime,
        method="linear",
        max_change=max_change,
        scales=dict(zip(names, scale.tolist(), strict=True)),
        exact=found.exact,
        search=_search_words(model, found),
        subsystem=subsystem,
        from_runaway=found.inside,
        notes=tuple(notes),
    )


def _search_words(model: Model, found: Any) -> str:
    """What the linear search did, per sub-system, in words."""
    if not found.blocks:
        return "exact: the growth rate does not depend on these parameters"
    if len(found.blocks) == 1:
        return ("exact: " if found.exact else "search: ") + found.blocks[0][1]
    names = model.actors or model.states
    parts = [
        f"{', '.join(names[i] for i in states)}: {how}" + ("" if exact else " (a search)")
        for states, how, exact, _ in found.blocks
    ]
    head = "exact" if found.exact else "search"
    return f"{head} over {len(found.blocks)} sub-systems ({'; '.join(parts)})"


class _OutOfTime(Exception):
    """The nonlinear search's budget ran out inside a direction."""


def _nonlinear_margin(
    model: Model,
    p0: np.ndarray,
    names: Sequence[str],
    scale: np.ndarray,
    max_change: float,
    budget: float | None,
    notes: Sequence[str],
    classify_options: Mapping[str, Any],
) -> EscalationMargin:
    """Bisection on the verdict of :func:`classify` along several directions."""
    started = time.monotonic()
    deadline = math.inf if budget is None else started + float(budget)
    compiled = model.compile()
    options = {"n_samples": 24, **classify_options}
    index = np.array([model.param_index[n] for n in names])
    lower, upper = _change_bounds(model, p0, names, scale)

    def parameters(delta: np.ndarray) -> dict[str, float]:
        values = p0.copy()
        values[index] = p0[index] + delta * scale
        return dict(zip(model.param_names, values, strict=True))

    current_regime = classify(model, parameters(np.zeros(len(names))), **options).name
    inside = current_regime == "runaway"
    signs = _steepest_signs(model, compiled, p0, index, scale, options.get("region"))
    if inside:
        signs = -signs
    k = len(names)
    rng = np.random.default_rng(0)
    candidates = [signs, *np.eye(k), *(-np.eye(k)), *rng.choice((-1.0, 1.0), (RANDOM_CORNERS, k))]
    directions: list[np.ndarray] = []
    for u in candidates:
        if np.any(u) and not any(np.array_equal(u, d) for d in directions):
            directions.append(np.asarray(u, dtype=float))
    notes = list(notes)
    if not np.any(signs):
        notes.append("The growth rate at the balances does not depend on these parameters here.")
    grid = np.concatenate([[0.0], np.geomspace(0.01, max_change, 10)])
    best_t, best_u, tried = math.inf, None, 0
    for u in directions:
        if tried and time.monotonic() > deadline:
            break

        def crossed(t: float, u: np.ndarray = u, first: bool = not tried) -> bool:
            if not first and time.monotonic() > deadline:
                raise _OutOfTime
            regime = classify(model, parameters(np.clip(t * u, lower, upper)), **options)
            return (regime.name == "runaway") != inside

        try:
            if math.isfinite(best_t):
                if not crossed(best_t):
                    tried += 1
                    continue
                levels = np.append(grid[grid < best_t], best_t)
            else:
                levels = grid
            found = _bisect_levels(crossed, levels, known_last=math.isfinite(best_t))
        except _OutOfTime:
            break
        tried += 1
        if found is not None and found < best_t:
            best_t, best_u = found, u
    if tried < len(directions):
        notes.append(
            f"The time budget ({budget:g} s) allowed {tried} of {len(directions)} directions."
        )
    current = {n: float(p0[i]) for n, i in zip(names, index, strict=True)}
    if best_u is not None:
        delta = np.clip(best_t * best_u, lower, upper)
        target = classify(model, parameters(delta), **options).name
        if inside and target == "runaway":  # exactly on the boundary: step just past it
            past = np.clip((best_t * (1 + 1e-9) + 1e-12) * best_u, lower, upper)
            target = classify(model, parameters(past), **options).name
        target_regime = "runaway" if not inside else target
        boundary = {
            n: float(p0[i] + d * s) for n, i, d, s in zip(names, index, delta, scale, strict=True)
        }
        direction = dict(zip(names, delta.tolist(), strict=True))
        if np.any((np.abs(delta) < best_t * (1 - 1e-9)) & (best_u != 0)):
            notes.append("Some parameters stopped at their bounds.")
    else:
        target_regime = "runaway" if not inside else current_regime
        boundary, direction = dict(current), {n: 0.0 for n in names}
    return EscalationMargin(
        margin=float(best_t),
        parameters=tuple(names),
        direction=direction,
        boundary=boundary,
        current=current,
        current_regime=current_regime,
        target_regime=target_regime,
        method="bisection",
        max_change=max_change,
        scales=dict(zip(names, scale.tolist(), strict=True)),
        exact=False,
        from_runaway=inside,
        search=(
            f"{tried} directions: the steepest, each parameter alone both ways, "
            f"{RANDOM_CORNERS} random corners"
        ),
        notes=tuple(notes),
    )


def _bisect_levels(crossed: Any, levels: np.ndarray, known_last: bool) -> float | None:
    """First level where ``crossed`` holds (the last one is known to when ``known_last``),
    then bisection to ``1e-3`` relative; None when no level crosses."""
    hit = None
    for j in range(1, len(levels)):
        if (known_last and j == len(levels) - 1) or crossed(levels[j]):
            hit = j
            break
    if hit is None:
        return None
    lo, hi = levels[hit - 1], levels[hit]
    while hi - lo > 1e-3 * max(hi, 1e-3):
        mid = 0.5 * (lo + hi)
        if crossed(mid):
            hi = mid
        else:
            lo = mid
    return float(hi)


def _steepest_signs(
    model: Model,
    compiled: Any,
    p0: np.ndarray,
    index: np.ndarray,
    scale: np.ndarray,
    region: Any,
) -> np.ndarray:
    """Sign of d(growth)/d(change_i) for each varied parameter (central differences)."""
    h = 1e-6
    points = np.repeat(p0[:, None], 2 * len(index), axis=1)
    for j, i in enumerate(index):
        points[i, 2 * j] += h * scale[j]
        points[i, 2 * j + 1] -= h * scale[j]
    rates = np.array(
        [_nonlinear_growth(model, compiled, points[:, j], region) for j in range(points.shape[1])]
    )
    derivative = rates[0::2] - rates[1::2]
    finite = np.isfinite(derivative)
    size = max(1e-12, float(np.max(np.abs(derivative[finite]))) if finite.any() else 1.0)
    signs = np.sign(np.where(np.abs(derivative) > 1e-6 * size, derivative, 0.0))
    return np.nan_to_num(signs)


def _nonlinear_growth(model: Model, compiled: Any, p: np.ndarray, region: Any) -> float:
    """Largest growth rate over the balances in the region (at low spending if there is none)."""
    from .balances import _nonlinear_equilibria

    lower, upper = _region(model, region, p)
    found = _nonlinear_equilibria(model, compiled, p, lower, upper, 64, 0, 1e-10)
    stable = [e.growth_rate for e in found if e.stable]
    if stable:
        return max(stable)
    with np.errstate(all="ignore"):
        J = compiled.jac(0.0, lower, p)
    return float(np.max(np.linalg.eigvals(J).real)) if np.all(np.isfinite(J)) else math.nan
