"""Vensim macros, inlined at each call.

Each call of a macro gets its own copy of the macro's variables (named
``MACRO#n.variable``), with the macro's parameters bound to the call's translated
arguments; the value of the call is the macro's variable of the macro's name. Stocks inside a
macro become states of the model, one set per call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from ..errors import ModelFileError
from .vensim_subscripts import Variable, key

__all__ = ["inline_macro", "MAX_MACRO_DEPTH"]

#: Macros calling macros deeper than this are refused (a macro calling itself never ends).
MAX_MACRO_DEPTH = 20


@dataclass(frozen=True)
class MacroScope:
    """The names a macro's equations see: its arguments and its own variables."""

    arguments: dict[str, sp.Expr]
    variables: dict[str, Variable]
    depth: int


def inline_macro(translator: Any, section: Any, arguments: Any, env: dict, where: str) -> sp.Expr:
    """Translate one call of the macro ``section`` with the PySD ``arguments``.

    Raises
    ------
    ModelFileError
        For a wrong number of arguments or macros nested deeper than :data:`MAX_MACRO_DEPTH`.
    """
    outer = env.get("@macro")
    depth = outer.depth + 1 if outer is not None else 1
    if depth > MAX_MACRO_DEPTH:
        raise ModelFileError(
            f"{where}: macro {section.name!r} is nested more than {MAX_MACRO_DEPTH} deep "
            "(does it call itself?)"
        )
    params = [key(p) for p in section.params]
    if len(arguments) != len(params):
        raise ModelFileError(
            f"{where}: macro {section.name!r} takes {len(params)} argument(s) "
            f"({', '.join(section.params)}), not {len(arguments)}"
        )
    values = {p: translator.expr(a, env, where) for p, a in zip(params, arguments, strict=True)}
    translator.macro_calls += 1
    label = f"{section.name}#{translator.macro_calls}"
    variables: dict[str, Variable] = {}
    scope = MacroScope(values, variables, depth)
    for element in section.elements:
        variable = Variable(translator, element)
        variable.name = f"{label}.{variable.name}"
        for cell in variable.cells.values():
            cell.env["@macro"] = scope
        variables[key(element.name)] = variable
    output = variables.get(key(section.name))
    if output is None:
        raise ModelFileError(f"{where}: macro {section.name!r} defines no variable of its name")
    return translator.value(output, (), where)
