"""Recognise the parameter schedules :func:`richardson.to_vensim` writes.

The export writes a parameter ``k`` with interventions as a base constant plus Vensim
functions, e.g. ``k = k_base + STEP(0.5 - (k_base), 10) + 0.3 * PULSE(2, 1)``. Reading that
back as a parameter ``k`` (value of ``k_base``) with :func:`richardson.step`,
:func:`richardson.pulse` and :func:`richardson.ramp` gives the model that was exported. The
match is made on PySD's parsed structures, never on text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy as sp

from ..model.core import Parameter
from ..model.interventions import Pulse, Ramp, Step
from .vensim_subscripts import identifier, key

if TYPE_CHECKING:
    from .vensim_subscripts import Cell
    from .vensim_translate import _Translator

__all__ = ["recognise_schedule", "BASE_SUFFIX"]

#: The export names the value before interventions ``<name>_base``.
BASE_SUFFIX = "_base"


def _kind(node: Any) -> str:
    return type(node).__name__


def _number(node: Any) -> float | None:
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        return float(node)
    if hasattr(node, "dtype") and getattr(node, "ndim", 1) == 0:
        return float(node)
    return None


def _call(node: Any, name: str, count: int) -> tuple | None:
    if _kind(node) != "CallStructure" or node.function.reference != name:
        return None
    return tuple(node.arguments) if len(node.arguments) == count else None


def _difference_to(node: Any) -> float | None:
    """``to - (anything)`` -> ``to``."""
    if _kind(node) == "ArithmeticStructure" and list(node.operators) == ["-"]:
        return _number(node.arguments[0])
    return None


def _intervention(node: Any, param: str) -> Any:
    args = _call(node, "step", 2)
    if args is not None:
        to, at = _difference_to(args[0]), _number(args[1])
        if to is not None and at is not None:
            return Step(param, at, to)
    if _kind(node) == "ArithmeticStructure" and list(node.operators) == ["*"]:
        size = _number(node.arguments[0])
        args = _call(node.arguments[1], "pulse", 2)
        if size is not None and args is not None:
            start, width = _number(args[0]), _number(args[1])
            if start is not None and width is not None and width > 0:
                return Pulse(param, start, width, size)
    args = _call(node, "ramp", 3)
    if args is not None and _kind(args[0]) == "ArithmeticStructure":
        slope = args[0]
        if list(slope.operators) == ["/"]:
            to, span = _difference_to(slope.arguments[0]), _number(slope.arguments[1])
            start, end = _number(args[1]), _number(args[2])
            if (
                None not in (to, span, start, end)
                and end > start
                and abs(end - start - span) < 1e-9 * max(1.0, abs(span))
            ):
                return Ramp(param, start, end, to)
    return None


def recognise_schedule(translator: _Translator, cell: Cell) -> sp.Symbol | None:
    """The parameter symbol for an exported schedule, or None when ``cell`` is not one."""
    node = cell.ast
    if cell.elements or _kind(node) != "ArithmeticStructure":
        return None
    if set(node.operators) != {"+"} or _kind(node.arguments[0]) != "ReferenceStructure":
        return None
    base_ref = node.arguments[0]
    base = translator.variables.get(key(base_ref.reference))
    if base is None or base_ref.subscripts or () not in base.cells:
        return None
    value = _number(base.cells[()].ast)
    if value is None:
        return None
    name = identifier(cell.display, translator.taken)
    found = [_intervention(arg, name) for arg in node.arguments[1:]]
    if any(f is None for f in found):
        translator.taken.discard(name)
        return None
    element = base.element
    description = " ".join(str(element.documentation).split()).removesuffix(
        " (before interventions)"
    )
    translator.params[name] = Parameter(
        name, value, unit=" ".join(str(element.units or "").split()), description=description
    )
    translator.interventions.extend(found)
    translator.scheduled.add(name)
    return sp.Symbol(name)
