"""Times at which a right-hand side switches: relations in time only (``t >= 10`` from an
IF THEN ELSE of Time, the pieces of a lookup of Time). The solver restarts there instead of
stepping over the switch (a lookup flat at the start can otherwise hide the whole run)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import sympy as sp

from ..model.core import TIME, Model

__all__ = ["time_breakpoints"]

#: At most this many switching times are collected from one model.
MAX_BREAKPOINTS = 10_000


def time_breakpoints(
    model: Model, params: Mapping[str, float], t0: float, t1: float
) -> list[float]:
    """Sorted times strictly inside ``(t0, t1)`` where a relation in ``t`` alone flips.

    Parameters
    ----------
    model : Model
        Its right-hand sides are searched (``Piecewise`` conditions, relations).
    params : mapping
        Parameter values (a relation ``t >= T_step`` with a parameter ``T_step``).
    t0, t1 : float
        The time span (model time unit).
    """
    if model.is_autonomous:
        return []
    relations = [
        relation
        for expr in model.rhs
        if TIME in expr.free_symbols
        for relation in _relations(expr.atoms(sp.core.relational.Relational))
    ]
    if not relations:
        return []
    values = {sp.Symbol(k): sp.Float(float(v)) for k, v in params.items()}
    found: set[float] = set()
    for relation in relations:
        difference = (relation.lhs - relation.rhs).xreplace(values)
        if difference.free_symbols != {TIME}:
            continue
        slope = sp.diff(difference, TIME)
        if slope.free_symbols or slope == 0:
            continue
        root = -difference.xreplace({TIME: 0}) / slope
        if root.is_number:
            value = float(root)
            if math.isfinite(value) and t0 < value < t1:
                found.add(value)
        if len(found) >= MAX_BREAKPOINTS:
            break
    return sorted(found)


def _relations(atoms: Iterable[sp.Basic]) -> Iterable[sp.Basic]:
    for atom in atoms:
        if isinstance(atom, (sp.Eq, sp.Ne)):
            continue
        yield atom
