"""The nearest trigger point: the smallest change of one parameter at which the current
balance is lost (a fold, a Hopf or branch point, or, for linear models, the stability
boundary where the balance escapes to infinity)."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ModelError, UnknownSymbolError, did_you_mean
from ..model.core import Model

__all__ = ["TriggerPoint", "nearest_bifurcation"]

_KIND_WORDS = {
    "fold": "a fold (saddle-node): the balance meets a threshold and vanishes, spending jumps",
    "hopf": "a Hopf point: the balance turns into oscillation",
    "branch": "a branch point: the balance splits",
    "boundary": "the stability boundary: mutual reaction overtakes restraint and spending "
    "grows without bound",
    "boundary_from_runaway": "the stability boundary: restraint overtakes mutual reaction and the "
    "runaway race settles to a balance",
}


@dataclass(frozen=True, eq=False)
class TriggerPoint:
    """Where a balance is lost when one parameter changes.

    Attributes
    ----------
    param : str
        The parameter that changes.
    current : float
        Its present value (parameter unit).
    value : float
        Its value at the trigger point.
    relative_change : float
        ``(value - current) / |current|`` (0.25 = 25% higher; the absolute change when
        ``current`` is 0).
    kind : str
        ``"fold"``, ``"hopf"``, ``"branch"`` (from continuation) or ``"boundary"`` (linear
        models: the eigenvalue crossing where the balance escapes to infinity, or, from a
        runaway race, where a balance becomes stable; see ``from_runaway``).
    state : numpy.ndarray or None
        Spending at the trigger point (None for a linear boundary, where it is infinite).
    candidates : tuple
        ``(param, relative_change, kind)`` for every parameter examined.
    """

    param: str
    current: float
    value: float
    relative_change: float
    kind: str
    state: np.ndarray | None = None
    candidates: tuple[tuple[str, float, str], ...] = field(default=(), repr=False)
    from_runaway: bool = False

    def summary(self) -> str:
        direction = "a rise" if self.relative_change > 0 else "a fall"
        key = (
            "boundary_from_runaway" if self.from_runaway and self.kind == "boundary" else self.kind
        )
        text = (
            f"Nearest trigger point: {_KIND_WORDS.get(key, self.kind)}, reached by {direction} "
            f"of {self.param} from {self.current:.4g} to {self.value:.4g} "
            f"({100 * abs(self.relative_change):.1f}%)."
        )
        others = [c for c in self.candidates if c[0] != self.param and math.isfinite(c[1])]
        if others:
            text += (
                " Other parameters: "
                + "; ".join(
                    f"{name} {100 * change:+.1f}% ({kind})" for name, change, kind in others
                )
                + "."
            )
        return text

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


def _interval(value: float, factor: float) -> tuple[float, float]:
    if value > 0:
        return value / factor, value * factor
    if value < 0:
        return value * factor, value / factor
    return -1.0, 1.0


def _linear_trigger(model: Model, p: np.ndarray, name: str, factor: float) -> Any:
    """The first stability boundary of a linear ODE when ``name`` alone moves by up to
    ``factor - 1`` times ``|value|`` (1 for a parameter at 0) either way, within its bounds:
    every mode and every sub-system, an ``EscalationMargin`` over ``[name]``."""
    from .margin import _linear_margin

    value = float(p[model.param_index[name]])
    return _linear_margin(model, p, [name], np.array([abs(value) or 1.0]), factor - 1.0, 1e-12)


def _runs_away(compiled: Any, p: np.ndarray) -> bool:
    """Whether a linear ODE's largest real part of the eigenvalues is >= 0 (to rounding)."""
    from ._margin_linear import abscissa

    A = compiled.jac(0.0, np.zeros(compiled.n_states), p)
    return bool(abscissa(A[:, :, None])[0] > -1e-12 * max(float(np.abs(A).max()), 1.0))


def nearest_bifurcation(
    model: Model,
    params: Mapping[str, float] | None = None,
    over: Sequence[str] | None = None,
    factor: float = 3.0,
) -> TriggerPoint | None:
    """Find the smallest one-parameter change at which the present balance is lost.

    Parameters
    ----------
    model : Model
        An autonomous ODE model.
    params : mapping, optional
        Parameter values overriding the defaults.
    over : sequence of str, optional
        Parameters to vary one at a time; by default those the Jacobian depends on
        (reactions and fatigues) with non-zero values.
    factor : float
        Each parameter is explored between ``value / factor`` and ``value * factor``
        (continuation). Linear models: by up to ``factor - 1`` times ``|value|`` either way
        within the parameter's bounds (a parameter at 0: up to ``factor - 1`` in its unit),
        and every eigenvalue counts, so an inner pair of allies that tips first is found.

    Returns
    -------
    TriggerPoint or None
        None when no parameter reaches a trigger point within its interval.

    Raises
    ------
    UnknownSymbolError
        If a name in ``over`` is not a parameter.
    ModelError
        If ``factor`` is not above 1.

    Examples
    --------
    >>> import richardson as rd
    >>> point = rd.nearest_bifurcation(rd.richardson2(), over=["k"])
    >>> point.kind, round(point.value, 6)   # the boundary k = a b / l
    ('boundary', 1.375)
    """
    from ..bifurcation.branches import continuation
    from .balances import equilibria
    from .margin import _default_parameters, escalation_margin

    if not (math.isfinite(float(factor)) and float(factor) > 1):
        raise ModelError(
            f"factor must be a number above 1 (3.0 = a third to three times), not {factor}"
        )
    p = model.param_vector(params)
    values = dict(zip(model.param_names, p.tolist(), strict=True))
    names = list(over) if over is not None else _default_parameters(model, p)
    for name in names:
        if name not in values:
            raise UnknownSymbolError(f"{name!r} is not a parameter{did_you_mean(name, values)}")
    compiled = model.compile()
    candidates = []
    best = None
    from_runaway = False
    if compiled.is_linear:
        from_runaway = _runs_away(compiled, p) if model.kind == "ode" else False
        for name in names:
            if model.kind == "ode":
                found = _linear_trigger(model, p, name, factor)
            else:
                found = escalation_margin(model, values, over=[name])
                from_runaway = found.from_runaway
            if math.isfinite(found.margin):
                value = found.boundary[name]
                change = (value - values[name]) / (abs(values[name]) or 1.0)
                candidates.append((name, change, "boundary"))
                if best is None or abs(change) < abs(best[1]):
                    best = (name, change, "boundary", value, None)
            else:
                candidates.append((name, math.inf, "none"))
    else:
        stable = [eq for eq in equilibria(model, values) if eq.stable] or equilibria(model, values)
        for name in names:
            found = None
            for eq in stable:
                branch = continuation(
                    model,
                    name,
                    start=eq.state,
                    params=values,
                    bounds=_interval(values[name], factor),
                    max_points=400,
                )
                for point in branch.bifurcations:
                    change = (point.parameter - values[name]) / (abs(values[name]) or 1.0)
                    if found is None or abs(change) < abs(found[1]):
                        found = (name, change, point.kind, point.parameter, np.asarray(point.state))
            if found is None:
                candidates.append((name, math.inf, "none"))
                continue
            candidates.append(found[:3])
            if best is None or abs(found[1]) < abs(best[1]):
                best = found
    if best is None:
        return None
    name, change, kind, value, state = best
    return TriggerPoint(
        param=name,
        current=values[name],
        value=float(value),
        relative_change=float(change),
        kind=kind,
        state=state,
        candidates=tuple(candidates),
        from_runaway=from_runaway,
    )
