"""Scalar source for numba: the right-hand sides as ``_f(t, y, p, out)`` filling ``out`` one
state at a time (symengine's common-subexpression elimination, numpy's scalar functions),
which :mod:`richardson.simulation.numba_backend` compiles with ``numba.njit``.
"""

from __future__ import annotations

from ..model.core import Model
from .scalar import _ScalarEmitter

__all__ = ["numba_rhs_source"]


def numba_rhs_source(model: Model) -> str:
    """Source of ``_f(t, y, p, out)``: ``out[i] = rhs_i(t, y, p)`` for every state.

    Parameters
    ----------
    model : Model
        An ODE model (its sympy right-hand sides are read, built first if deferred).

    Returns
    -------
    str
        Python source using ``numpy`` scalar functions only, for ``numba.njit``.
    """
    emitter = _ScalarEmitter(model)
    lines = emitter._assignments([f"out[{i}]" for i in range(model.n_states)], list(model.rhs))
    return "\n".join(["def _f(t, y, p, out):", *lines, ""])
