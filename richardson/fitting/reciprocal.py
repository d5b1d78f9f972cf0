"""Ceilings fitted through their reciprocal: ``c = 1 / M``, with ``c = 0`` meaning "no ceiling".

A parameter that enters the equations only through negative powers (an economic ceiling
``M`` in ``k y (1 - x / M)``, a capacity in ``x / K``) has a flat direction towards
``M = inf``: when the data do not reach the ceiling, every larger ``M`` fits as well, and a
least-squares iteration in ``M`` crawls towards infinity without ever meeting a stopping
rule (a bootstrap refit of the 2-actor ceiling model took hundreds of solves to move ``M``
from 1e3 to 1e11 at the same cost). In ``c = 1 / M`` the same models are smooth at ``c = 0``
(the term is linear in ``c``), the no-ceiling model is an ordinary bound, and the iteration
stops there in a few steps.

:class:`ReciprocalProblem` presents a :class:`~richardson.fitting.ode.TrajectoryProblem` in
those coordinates to the optimisers of :mod:`.ode` (same ``lower``, ``upper``, ``target`` and
``residuals``); :func:`limit_model` gives the model with ``M = inf`` for the verdict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import sympy as sp

from ..errors import FitError
from ..model.core import Model
from .ode import TrajectoryProblem

__all__ = ["ReciprocalProblem", "reciprocal_parameters", "limit_model"]

#: A ceiling this many times the largest observation changes no prediction by more than
#: about ``1 / FAR`` of its value: the refit treats ``c`` below ``1 / (FAR * max|y|)`` as 0.
FAR = 1e12


def _only_reciprocal(expr: sp.Expr, symbol: sp.Symbol) -> bool:
    """Whether ``symbol`` occurs in ``expr`` only as ``symbol ** (negative integer)``."""
    if expr == symbol:
        return False
    if isinstance(expr, sp.Pow) and expr.base == symbol:
        exponent = expr.exp
        return bool(exponent.is_Integer and exponent < 0)
    return all(_only_reciprocal(arg, symbol) for arg in expr.args)


_C = sp.Dummy("c")


def _at_infinity(expr: sp.Expr, symbol: sp.Symbol) -> sp.Expr | None:
    """``expr`` at ``symbol = inf`` when it is finite there (via ``symbol = 1 / c``, ``c = 0``)."""
    if not _only_reciprocal(expr, symbol):
        return None
    value = expr.subs(symbol, 1 / _C).subs(_C, 0)
    if value.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        return None
    return value


def reciprocal_parameters(
    model: Model, names: Sequence[str], lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """Which fitted entries are refitted as reciprocals (boolean mask over ``names``).

    An entry qualifies when it is a model parameter that occurs in every right-hand side
    only through negative integer powers, occurs somewhere, every right-hand side has a
    finite limit as it goes to infinity, and its bounds are ``0 <= lower < upper = inf``
    (a ceiling or capacity).
    """
    mask = np.zeros(len(names), dtype=bool)
    for i, name in enumerate(names):
        if name not in model.param_index or not (lower[i] >= 0 and upper[i] == math.inf):
            continue
        symbol = sp.Symbol(name)
        used = [expr for expr in model.rhs if symbol in expr.free_symbols]
        mask[i] = bool(used) and all(_at_infinity(expr, symbol) is not None for expr in used)
    return mask


class ReciprocalProblem:
    """A trajectory problem in coordinates where the ``mask`` entries are ``c = 1 / theta``.

    Parameters
    ----------
    problem : TrajectoryProblem
        The problem in the model's own parameters.
    mask : ndarray of bool, shape (Q,)
        Entries to present as reciprocals (see :func:`reciprocal_parameters`).
    """

    def __init__(self, problem: TrajectoryProblem, mask: np.ndarray) -> None:
        self.inner = problem
        self.mask = np.asarray(mask, dtype=bool)
        scale = max(1.0, float(np.nanmax(np.abs(problem.observed))))
        self.floor = 1.0 / (FAR * scale)
        with np.errstate(divide="ignore"):
            inverse_lower = np.where(self.mask, 1.0 / problem.upper, problem.lower)
            inverse_upper = np.where(self.mask, 1.0 / problem.lower, problem.upper)
        self.lower = np.where(self.mask, inverse_lower, problem.lower)
        self.upper = np.where(self.mask, inverse_upper, problem.upper)
        self.n_solves = problem.n_solves

    def target(self, observed: np.ndarray | None = None) -> np.ndarray:
        return self.inner.target(observed)

    def to_internal(self, theta: np.ndarray) -> np.ndarray:
        """``c = 1 / theta`` on the masked rows of ``theta`` (``(Q,)`` or ``(Q, m)``)."""
        out = np.array(theta, dtype=float)
        with np.errstate(divide="ignore"):
            out[self.mask] = 1.0 / out[self.mask]
        return out

    def to_external(self, internal: np.ndarray) -> np.ndarray:
        """The model's parameters; a reciprocal at or below the floor is ``inf`` (no ceiling)."""
        out = np.array(internal, dtype=float)
        c = out[self.mask]
        with np.errstate(divide="ignore"):
            out[self.mask] = np.where(c <= self.floor, math.inf, 1.0 / np.maximum(c, self.floor))
        return out

    def residuals(self, internal: np.ndarray, target: np.ndarray, jacobian: bool = True):  # noqa: ANN201
        """Residuals and their Jacobian with respect to the internal coordinates."""
        theta = np.array(internal, dtype=float)
        ceiling = 1.0 / np.maximum(theta[self.mask], self.floor)
        theta[self.mask] = ceiling
        residual, jac, ok = self.inner.residuals(theta, target, jacobian)
        if jacobian:
            # d theta / d c = -1 / c**2 = -theta**2
            jac[:, self.mask] *= -(ceiling**2)[None]
        return residual, jac, ok


def limit_model(model: Model, names: Sequence[str]) -> Model:
    """The model with the parameters ``names`` at infinity (their terms vanish).

    The parameters stay declared (with their old defaults) but no longer occur in the
    equations, so a verdict can be given for "no ceiling" without an infinite value.
    """
    if not names:
        return model
    rhs = list(model.rhs)
    for name in names:
        symbol = sp.Symbol(name)
        for i, expr in enumerate(rhs):
            if symbol in expr.free_symbols:
                rhs[i] = _at_infinity(expr, symbol)
                if rhs[i] is None:
                    raise FitError(f"the equations have no finite limit as {name} -> inf")
    return Model(
        model.states,
        dict(model.params),
        rhs,
        kind=model.kind,
        actors=model.actors,
        blocs=model.blocs,
        name=model.name,
        description=model.description,
        state_unit=model.state_unit,
        time_unit=model.time_unit,
        initial=model.initial,
        interventions=model.interventions,
        metadata=model.metadata,
    )
