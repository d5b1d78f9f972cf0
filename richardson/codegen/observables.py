"""Observables of a model (named expressions of states, parameters and time) as one
vectorised numpy function over many output times."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy as sp

from ..model.core import TIME, Model
from .emitter import _printer

__all__ = ["compile_observables"]


def compile_observables(model: Model) -> Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """Return ``g(t, Y, P) -> O`` evaluating ``model.observables`` at many times at once.

    Parameters
    ----------
    model : Model
        The model; its observables may use states, parameters and ``t``.

    Returns
    -------
    callable
        ``t`` of shape ``(T,)`` (model time unit), ``Y`` of shape ``(T, n_states)``, ``P`` of
        shape ``(T, n_params)`` -> array ``(T, n_observables)``.
    """
    names = list(model.observables)
    if not names:
        return lambda t, Y, P: np.empty((len(t), 0))
    args = [TIME, *model.state_symbols, *model.param_symbols]
    exprs = [
        e if isinstance(e, sp.Expr) else sp.Piecewise((1, e), (0, True))
        for e in model.observables.values()
    ]
    function = sp.lambdify(args, exprs, modules="numpy", printer=_printer(), cse=True)

    def evaluate(t: np.ndarray, Y: np.ndarray, P: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        columns = function(t, *np.asarray(Y, dtype=float).T, *np.asarray(P, dtype=float).T)
        out = np.empty((len(t), len(names)))
        for j, column in enumerate(columns):
            out[:, j] = np.broadcast_to(np.asarray(column, dtype=float), (len(t),))
        return out

    return evaluate
