"""Escalation margin: how far a parameter set sits from the runaway boundary.

The margin is the smallest ``t`` such that changing each named parameter by at most a
fraction ``t`` of its value (``p_i -> p_i (1 + d_i)``, ``|d_i| <= t``) moves the system into
runaway (or, if it already runs away, out of it). It is the figure a user quotes: "the fitted
pre-1914 system sat 12% from the instability boundary".
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import scipy.optimize
import sympy as sp

from ..errors import InvalidParameterError, ModelError, UnknownSymbolError, did_you_mean
from ..model.core import Model
from .balances import _check_autonomous, _linear_parts, _param_vector, _region
from .regimes import classify
from .results import REGIMES
from .verdicts import linear_verdicts

__all__ = ["EscalationMargin", "escalation_margin"]


#: Codes of the linear regimes on the growing side of the boundary (growth rate > 0).
_ESCALATING_CODES = (REGIMES.index("runaway"), REGIMES.index("threshold"))

@dataclass(frozen=True, eq=False)
class EscalationMargin:
    """Distance of a parameter set from the runaway boundary.

    Attributes
    ----------
    margin : float
        Smallest relative change (``0.12`` = 12%) of the named parameters, each changed by
        at most this fraction, that changes the regime to runaway (or out of it). ``inf``
        when no change within the search range does.
    parameters : tuple of str
        The parameters allowed to change.
    direction : mapping
        Parameter -> signed relative change at the boundary (``+0.12`` = raised by 12%).
    boundary : mapping
        Parameter -> value at the boundary point.
    current : mapping
        Parameter -> value now.
    current_regime : str
        Regime of the parameter set analysed.
    target_regime : str
        Regime on the other side of the boundary (``"runaway"`` or the regime reached when
        leaving runaway).
    method : str
        ``"linear"`` (root of the largest eigenvalue's real part along the steepest
        direction, to rounding) or ``"bisection"`` (bisection on the regime verdict).
    max_change : float
        Search range: largest relative change tried.
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
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for name in ("direction", "boundary", "current"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        object.__setattr__(self, "parameters", tuple(self.parameters))
        object.__setattr__(self, "notes", tuple(self.notes))

    @property
    def percent(self) -> float:
        """The margin in percent."""
        return 100.0 * self.margin

    def summary(self) -> str:
        """One paragraph for an appendix: how far, which way, where the boundary is."""
        names = ", ".join(self.parameters)
        now = self.current_regime.replace("_", " ")
        if not math.isfinite(self.margin):
            text = (
                f"Escalation margin: none within the search range. Changing {names} by up to "
                f"{100 * self.max_change:.0f}% each does not "
                + (
                    "end the runaway."
                    if self.current_regime == "runaway"
                    else "make the system run away."
                )
                + f" Current regime: {now}."
            )
        else:
            moves = []
            for name in self.parameters:
                change = self.direction[name]
                if change == 0:
                    continue
                verb = "raising" if change > 0 else "lowering"
                moves.append(
                    f"{verb} {name} by {100 * abs(change):.3g}% "
                    f"({self.current[name]:.4g} -> {self.boundary[name]:.4g})"
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
        return "\n".join([text, *self.notes, f"Method: {self.method}."])

    def __repr__(self) -> str:
        return (
            f"<EscalationMargin {self.margin:.4g} over {self.parameters}: "
            f"{self.current_regime} -> {self.target_regime}>"
        )

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


def _default_parameters(model: Model, p: np.ndarray) -> list[str]:
    """Parameters the Jacobian depends on (reactions and fatigues), with non-zero values."""
    jacobian = sp.Matrix(model.rhs).jacobian(sp.Matrix(model.state_symbols))
    used = jacobian.free_symbols
    return [
        name
        for name, sym in zip(model.param_names, model.param_symbols, strict=True)
        if sym in used and p[model.param_index[name]] != 0
    ]


def escalation_margin(
    model: Model,
    params: Mapping[str, float] | None = None,
    over: Sequence[str] | None = None,
    max_change: float = 2.0,
    tol: float = 1e-10,
    **classify_options: Any,
) -> EscalationMargin:
    """How far a parameter set is from the runaway boundary, in relative parameter change.

    Finds the smallest ``t`` such that changing each parameter in ``over`` by at most a
    fraction ``t`` of its value reaches the boundary of the runaway regime (from either
    side). The search follows the steepest direction: each parameter moves by ``t`` in the
    direction that raises the largest growth rate (lowers it, to leave runaway), clipped at
    its bounds. For the linear family the growth rate is monotone in every reaction (up) and
    fatigue (down) coefficient, so this direction is optimal and the result exact to
    rounding: for Richardson's two nations with ``over=["k", "l"]`` the margin is
    ``sqrt(a b / (k l)) - 1``. Nonlinear models are searched by bisection on the verdict of
    :func:`classify` along the same direction (found from the growth rate at the balances).

    Parameters
    ----------
    model : Model
        An autonomous model.
    params : mapping, optional
        The parameter set analysed (defaults of the model otherwise).
    over : sequence of str, optional
        Parameters allowed to change. Default: every parameter with a non-zero value that
        the Jacobian depends on (reactions and fatigues, not grievances).
    max_change : float
        Largest relative change searched (2.0 = 200%); beyond it the margin is ``inf``.
    tol : float
        Absolute tolerance on the margin for linear models (nonlinear: ``1e-3``).
    **classify_options
        Passed to :func:`classify` for nonlinear models (``region``, ``n_samples``, ...).

    Returns
    -------
    EscalationMargin

    Raises
    ------
    ModelError
        If a name in ``over`` is not a parameter, or its value is zero (a relative change
        of zero is meaningless: shift the parameter or leave it out).

    Examples
    --------
    >>> import richardson as rd
    >>> m = rd.richardson2(k=0.9, l=0.8, a=1.0, b=1.1)
    >>> round(rd.escalation_margin(m, over=["k", "l"]).margin, 6)  # sqrt(1.1 / 0.72) - 1
    0.236033
    """
    _check_autonomous(model, "escalation_margin")
    p0 = _param_vector(model, params)
    names = list(over) if over is not None else _default_parameters(model, p0)
    if isinstance(over, str):
        names = [over]
    if not names:
        raise ModelError("no parameters to vary: pass over=[...] with parameter names")
    for name in names:
        if name not in model.param_index:
            raise UnknownSymbolError(
                f"{name!r} is not a parameter of this model{did_you_mean(name, model.param_names)}"
            )
        if p0[model.param_index[name]] == 0:
            raise InvalidParameterError(
                f"{name!r} is 0, so a relative change of it is meaningless; give it a non-zero "
                "value or leave it out of over=..."
            )
    max_change = float(max_change)
    if not (math.isfinite(max_change) and max_change > 0):
        raise ModelError(f"max_change must be a positive fraction (2.0 = 200%), not {max_change}")
    index = np.array([model.param_index[n] for n in names])
    bounds = np.array([model.params[n].bounds for n in names])
    compiled = model.compile()
    linear = compiled.is_linear and model.kind == "ode"
    if linear:

        def growth(points: np.ndarray) -> np.ndarray:  # points: (P, m)
            A, b = _linear_parts(compiled, points)
            return linear_verdicts(A, b)[1]

        def is_runaway(points: np.ndarray) -> np.ndarray:
            # a linear threshold regime grows like runaway (beyond its saddle): same side
            A, b = _linear_parts(compiled, points)
            codes, _ = linear_verdicts(A, b)
            return np.isin(codes, _ESCALATING_CODES)
    else:
        options = {"n_samples": 24, **classify_options}
        region = options.get("region")

        def growth(points: np.ndarray) -> np.ndarray:
            return np.array(
                [
                    _nonlinear_growth(model, compiled, points[:, j], region)
                    for j in range(points.shape[1])
                ]
            )

        def is_runaway(points: np.ndarray) -> np.ndarray:
            return np.array(
                [
                    classify(
                        model, dict(zip(model.param_names, points[:, j], strict=True)), **options
                    ).name
                    == "runaway"
                    for j in range(points.shape[1])
                ]
            )

    current_regime = classify(
        model,
        dict(zip(model.param_names, p0, strict=True)),
        **({} if linear else {"n_samples": 24, **classify_options}),
    ).name
    inside = current_regime == "runaway" or (linear and current_regime == "threshold")
    signs = _steepest_signs(growth, p0, index)
    if inside:
        signs = -signs

    def point(t: float | np.ndarray) -> np.ndarray:
        t = np.atleast_1d(np.asarray(t, dtype=float))
        values = np.repeat(p0[:, None], len(t), axis=1)
        moved = p0[index][:, None] * (1.0 + signs[:, None] * t[None, :])
        values[index] = np.clip(moved, bounds[:, :1], bounds[:, 1:])
        return values

    notes = []
    if not np.any(signs):
        notes.append("The growth rate does not depend on these parameters here.")
    t_found = math.inf
    if linear and np.any(signs):
        grid = np.linspace(0.0, max_change, 401)
        flags = is_runaway(point(grid))
        crossed = np.nonzero(flags != inside)[0]
        if crossed.size:
            hi = grid[crossed[0]]
            lo = grid[crossed[0] - 1] if crossed[0] > 0 else 0.0
            rate = lambda t: float(growth(point(t))[0])  # noqa: E731
            if rate(lo) * rate(hi) < 0:
                t_found = scipy.optimize.brentq(
                    rate, lo, hi, xtol=tol, rtol=4 * np.finfo(float).eps
                )
            else:
                t_found = hi
        method = "linear"
    elif np.any(signs):
        grid = np.concatenate([[0.0], np.geomspace(0.01, max_change, 10)])
        crossed = None
        for j in range(1, len(grid)):
            if bool(is_runaway(point(grid[j]))[0]) != inside:
                crossed = j
                break
        if crossed is not None:
            lo, hi = grid[crossed - 1], grid[crossed]
            while hi - lo > 1e-3 * max(hi, 1e-3):
                mid = 0.5 * (lo + hi)
                if bool(is_runaway(point(mid))[0]) != inside:
                    hi = mid
                else:
                    lo = mid
            t_found = hi
        method = "bisection"
    else:
        method = "linear" if linear else "bisection"
    current = {n: float(p0[model.param_index[n]]) for n in names}
    if math.isfinite(t_found):
        at = point(t_found)[:, 0]
        target_regime = classify(
            model,
            dict(zip(model.param_names, at, strict=True)),
            **({} if linear else {"n_samples": 24, **classify_options}),
        ).name
        if inside and (target_regime == "runaway" or (linear and target_regime == "threshold")):
            # exactly on the boundary: step just past it
            past = point(t_found * (1 + 1e-9) + 1e-12)[:, 0]
            target_regime = classify(
                model,
                dict(zip(model.param_names, past, strict=True)),
                **({} if linear else {"n_samples": 24, **classify_options}),
            ).name
        if not inside and not (linear and target_regime == "threshold"):
            target_regime = "runaway"
        boundary = {n: float(at[model.param_index[n]]) for n in names}
        direction = {n: float(at[model.param_index[n]] / current[n] - 1.0) for n in names}
        if any(
            abs(direction[n]) < t_found * (1 - 1e-9) and signs[i] != 0 for i, n in enumerate(names)
        ):
            notes.append("Some parameters stopped at their bounds.")
    else:
        target_regime = "runaway" if not inside else current_regime
        boundary, direction = dict(current), {n: 0.0 for n in names}
    return EscalationMargin(
        margin=float(t_found),
        parameters=tuple(names),
        direction=direction,
        boundary=boundary,
        current=current,
        current_regime=current_regime,
        target_regime=target_regime,
        method=method,
        max_change=max_change,
        notes=tuple(notes),
    )


def _steepest_signs(growth: Any, p0: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Sign of d(growth)/d(ln p_i) for each varied parameter (central differences)."""
    h = 1e-6
    points = np.repeat(p0[:, None], 2 * len(index), axis=1)
    for j, i in enumerate(index):
        points[i, 2 * j] *= 1 + h
        points[i, 2 * j + 1] *= 1 - h
    rates = growth(points)
    derivative = rates[0::2] - rates[1::2]
    scale = max(
        1e-12, float(np.nanmax(np.abs(derivative))) if np.any(np.isfinite(derivative)) else 1
    )
    signs = np.sign(np.where(np.abs(derivative) > 1e-6 * scale, derivative, 0.0))
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
