"""PySD's expression structures -> sympy, node by node (a mixin of the translator).

``+ - * /`` fold left, ``^`` from the right (Vensim: ``4^3^2 = 4^9``); logic becomes
``sympy.And/Or/Not`` and relations, IF THEN ELSE ``Piecewise``; calls go to
:mod:`.vensim_functions`, lookups to piecewise-linear functions, stateful structures to
:mod:`.vensim_stateful`.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import sympy as sp

from ..errors import ModelFileError
from ..model.core import TIME
from . import vensim_functions as vf
from .vensim_macros import inline_macro
from .vensim_ordered import OPERATIONS
from .vensim_subscripts import Variable, key, marked_ranges

__all__ = ["ExpressionTranslator", "ActiveInitial", "InitialValue", "initial_mode", "REFUSED"]

CONTROL = ("initial_time", "final_time", "time_step", "saveper")
_NOT_TRANSLATED = {
    "vector_select": "VECTOR SELECT",
    "vector_sort_order": "VECTOR SORT ORDER",
    "vector_reorder": "VECTOR REORDER",
    "vector_rank": "VECTOR RANK",
    "invert_matrix": "INVERT MATRIX",
    "get_time_value": "GET TIME VALUE",
}
_AGGREGATES = {"sum": sp.Add, "prod": sp.Mul, "vmin": sp.Min, "vmax": sp.Max}
_COMPARE = {
    "=": sp.Eq,
    "<>": sp.Ne,
    "<": sp.StrictLessThan,
    "<=": sp.LessThan,
    ">": sp.StrictGreaterThan,
    ">=": sp.GreaterThan,
}
#: PySD structures that are not ordinary differential equations or need external files.
REFUSED = {
    "DelayFixedStructure": "DELAY FIXED (a pipeline of TIME STEP cells, not an ODE)",
    "SampleIfTrueStructure": "SAMPLE IF TRUE (a state that jumps, not an ODE)",
    "AllocateAvailableStructure": "ALLOCATE AVAILABLE",
    "AllocateByPriorityStructure": "ALLOCATE BY PRIORITY",
    "GetLookupsStructure": "GET XLS/DIRECT LOOKUPS (external file)",
    "GetDataStructure": "GET XLS/DIRECT DATA (external file)",
    "GetConstantsStructure": "GET XLS/DIRECT CONSTANTS (external file)",
    "DataStructure": "a data variable (values from a .vdf or external file)",
}


class _Marker(sp.Function):
    """Base of the placeholders resolved before the model is built."""


class ActiveInitial(_Marker):
    """``ACTIVE INITIAL(run, init)``: ``init`` while initialising, ``run`` afterwards."""

    nargs = 2


class InitialValue(_Marker):
    """``INITIAL(expr)``: the value of ``expr`` at INITIAL TIME, held."""

    nargs = 1


def initial_mode(expr: sp.Expr) -> sp.Expr:
    """The expression as Vensim evaluates it while initialising stocks."""
    return expr.replace(ActiveInitial, lambda run, init: init).replace(InitialValue, lambda e: e)


class ExpressionTranslator:
    """Mixin of the translator: one method per PySD structure."""

    control: dict[str, float]
    variables: dict[str, Variable]
    #: > 0 while the argument of INTEGER, MODULO or QUANTUM is translated: its arithmetic is
    #: built in the file's order (:mod:`.vensim_ordered`).
    in_order: int = 0

    def expr(self, node: Any, env: dict, where: str) -> sp.Expr:
        """Translate one PySD expression node under the subscript binding ``env``."""
        if isinstance(node, bool):
            return sp.Integer(int(node))
        if isinstance(node, (int, np.integer)):
            return sp.Integer(int(node))
        if isinstance(node, (float, np.floating)):
            if not math.isfinite(float(node)):
                raise ModelFileError(f"{where} uses :NA: or a non-finite number")
            value = float(node)
            return (
                sp.Integer(int(value))
                if value.is_integer() and abs(value) < 1e15
                else (sp.Float(value))
            )
        kind = type(node).__name__
        handler = getattr(self, f"_node_{kind}", None)
        if handler is not None:
            return handler(node, env, where)
        if kind in REFUSED:
            raise ModelFileError(
                f"{where} uses {REFUSED[kind]}, which cannot be imported as an ODE"
            )
        stage = self.stages.build(node, env, where)
        if stage is not None:
            return stage
        if isinstance(node, np.ndarray):
            raise ModelFileError(f"{where}: an array of numbers where one value is needed")
        raise ModelFileError(f"{where} uses {kind.replace('Structure', '')}, not supported")

    def _node_ReferenceStructure(self, node: Any, env: dict, where: str) -> sp.Expr:
        name = key(node.reference)
        if name == "time":
            return TIME
        if name in CONTROL:
            return _number(self.control[name])
        scope = env.get("@macro")
        if scope is not None and name in scope.arguments:
            return scope.arguments[name]
        if scope is not None:
            variable = scope.variables.get(name)
        else:
            variable = self.variables.get(name)
        if variable is None and name in self.ranges:  # a range as a value: the element's number
            return self._element_number(self.resolve(node.reference, env, 0, None))
        if variable is None and name in self.element_names:  # an element as a value
            return self._element_number(name)
        if variable is None:
            raise ModelFileError(f"{where} uses {node.reference!r}, which the file does not define")
        subscripts = list(node.subscripts.subscripts) if node.subscripts else []
        if not subscripts and variable.dims:
            subscripts = [d for d in variable.dims if d is not None]
            if len(subscripts) != len(variable.dims):
                raise ModelFileError(f"{where} uses {variable.name!r} without its subscripts")
        elements = tuple(self.resolve(s, env, i, variable) for i, s in enumerate(subscripts))
        return self.value(variable, elements, where)

    def _node_ArithmeticStructure(self, node: Any, env: dict, where: str) -> sp.Expr:
        args = [vf.as_number(self.expr(a, env, where)) for a in node.arguments]
        ops = list(node.operators)
        if ops == ["negative"]:
            return -args[0]
        if set(ops) == {"^"}:  # Vensim's ^ groups from the right: 4^3^2 = 4^9
            result = args[-1]
            for arg in reversed(args[:-1]):
                result = OPERATIONS["^"](arg, result) if self.in_order else arg**result
            return result
        result = args[0]
        for op, arg in zip(ops, args[1:], strict=True):
            if self.in_order and op in OPERATIONS:
                result = OPERATIONS[op](result, arg)
                continue
            if op == "+":
                result = result + arg
            elif op == "-":
                result = result - arg
            elif op == "*":
                result = result * arg
            elif op == "/":
                result = result / arg
            elif op == "^":
                result = result**arg
            else:
                raise ModelFileError(f"{where} uses the operator {op!r}, not supported")
        return result

    def _node_LogicStructure(self, node: Any, env: dict, where: str) -> sp.Basic:
        ops = [op.strip(":").lower() for op in node.operators]
        args = [self.expr(a, env, where) for a in node.arguments]
        if ops == ["not"]:
            return sp.Not(vf.as_condition(args[0]))
        if len(ops) == 1 and ops[0] in _COMPARE:
            return _COMPARE[ops[0]](vf.as_number(args[0]), vf.as_number(args[1]))
        result = vf.as_condition(args[0])
        for op, arg in zip(ops, args[1:], strict=True):
            if op == "and":
                result = sp.And(result, vf.as_condition(arg))
            elif op == "or":
                result = sp.Or(result, vf.as_condition(arg))
            elif op in _COMPARE:
                result = _COMPARE[op](vf.as_number(result), vf.as_number(arg))
            else:
                raise ModelFileError(f"{where} uses the logical operator {op!r}")
        return result

    def _node_InitialStructure(self, node: Any, env: dict, where: str) -> sp.Expr:
        return InitialValue(self.expr(node.initial, env, where))

    def _node_GameStructure(self, node: Any, env: dict, where: str) -> sp.Expr:
        return self.expr(node.expression, env, where)

    def _node_InlineLookupsStructure(self, node: Any, env: dict, where: str) -> sp.Expr:
        return vf.lookup(self.expr(node.argument, env, where), node.lookups.x, node.lookups.y)

    def _node_IntegStructure(self, node: Any, env: dict, where: str) -> sp.Expr:
        raise ModelFileError(f"{where}: INTEG may only be the whole equation of a stock")

    def _node_CallStructure(self, node: Any, env: dict, where: str) -> sp.Expr:
        name = key(node.function.reference)
        if name in _NOT_TRANSLATED:
            raise ModelFileError(
                f"{where} uses {_NOT_TRANSLATED[name]}, which this importer does not translate"
            )
        if name in _AGGREGATES:
            return self._aggregate(name, node.arguments, env, where)
        if name == "elmcount":
            argument = node.arguments[0]
            label = getattr(argument, "reference", argument)
            label = key(str(label).rstrip("!"))
            if label not in self.ranges:
                raise ModelFileError(
                    f"{where}: ELMCOUNT of {label!r}, which is not a subscript range"
                )
            return sp.Integer(len(self.ranges[label]))
        if name in ("vmin_xmile", "vmax_xmile"):
            return self._whole_array(name, node.arguments[0], env, where)
        variable = self.variables.get(name)
        if variable is not None:
            return self._lookup_call(variable, node, env, where)
        if name in self.macros:
            return inline_macro(self, self.macros[name], node.arguments, env, where)
        scope = env.get("@macro")
        if scope is not None and name in scope.variables:
            return self._lookup_call(scope.variables[name], node, env, where)
        in_order = name in vf.IN_ORDER_ARGUMENTS
        self.in_order += in_order
        try:
            args = [self.expr(a, env, where) for a in node.arguments]
        finally:
            self.in_order -= in_order
        args = [
            a if i == 0 and name == "if_then_else" else vf.as_number(a) for i, a in enumerate(args)
        ]
        if name == "active_initial":
            return ActiveInitial(args[0], args[1])
        if name in {"step", "pulse", "pulse_train", "ramp", "Xramp".lower(), "xpulse"}:
            return self.stages.schedule(name, args, where)
        if name == "xpulse_train":
            return self.stages.schedule(name, args, where)
        return vf.call(name, args, where, in_order=bool(self.in_order) or in_order)

    def is_pure(self, node: Any) -> bool:
        """True when translating ``node`` again creates nothing (no stage state, schedule
        multiplier or macro): numbers, references, arithmetic, logic, lookups and the
        functions of :data:`.vensim_functions.FUNCTIONS`."""
        if isinstance(node, (int, float, np.number, str)):
            return True
        kind = type(node).__name__
        if kind in ("ReferenceStructure", "SubscriptsReferenceStructure"):
            return True
        if kind in ("ArithmeticStructure", "LogicStructure"):
            return all(self.is_pure(a) for a in node.arguments)
        if kind == "InlineLookupsStructure":
            return self.is_pure(node.argument)
        if kind == "CallStructure":
            name = key(getattr(node.function, "reference", ""))
            known = name in vf.FUNCTIONS or (name in self.variables and name not in self.macros)
            return known and all(self.is_pure(a) for a in node.arguments)
        return False

    def _aggregate(self, name: str, arguments: Any, env: dict, where: str) -> sp.Expr:
        marked = sorted(set(marked_ranges(arguments[0])))
        if not marked:
            raise ModelFileError(f"{where}: {name.upper()} needs a subscript marked with '!'")
        terms = []
        lists = [self.ranges[key(m)] for m in marked]
        for combo in itertools.product(*lists):
            inner = dict(env)
            inner.update({key(m) + "!": e for m, e in zip(marked, combo, strict=True)})
            terms.append(self.expr(arguments[0], inner, where))
        return _AGGREGATES[name](*terms)

    def _whole_array(self, name: str, argument: Any, env: dict, where: str) -> sp.Expr:
        """XMILE's one-argument MIN/MAX: over every element of an array."""
        variable = None
        if type(argument).__name__ == "ReferenceStructure":
            variable = self.variables.get(key(argument.reference))
        if variable is None or not variable.dims:
            return self.expr(argument, env, where)
        names = list(argument.subscripts.subscripts) if argument.subscripts else []
        free = [n for n in names if key(n) in self.ranges and key(n) not in env]
        if not names:
            values = [self.value(variable, cell, where) for cell in variable.cells]
        else:
            values = []
            for combo in itertools.product(*[self.ranges[key(n)] for n in free]):
                inner = {**env, **{key(n): e for n, e in zip(free, combo, strict=True)}}
                values.append(self.expr(argument, inner, where))
        return (sp.Min if name == "vmin_xmile" else sp.Max)(*values)

    def _lookup_call(self, variable: Variable, node: Any, env: dict, where: str) -> sp.Expr:
        subscripts = list(node.function.subscripts.subscripts) if node.function.subscripts else []
        elements = tuple(self.resolve(s, env, i, variable) for i, s in enumerate(subscripts))
        if elements not in variable.cells and not subscripts and variable.dims:
            elements = tuple(env.get(d, "") for d in variable.dims)
        if elements not in variable.cells:
            raise ModelFileError(f"{where} calls {variable.name!r} with unknown subscripts")
        table = variable.cells[elements].ast
        kind = type(table).__name__
        if kind in REFUSED:
            raise ModelFileError(f"{where}: lookup {variable.name!r} uses {REFUSED[kind]}")
        if kind != "LookupsStructure":
            raise ModelFileError(f"{where} calls {variable.name!r}, which is not a lookup table")
        if len(node.arguments) != 1:
            raise ModelFileError(f"{where}: lookup {variable.name!r} takes one argument")
        argument = self.expr(node.arguments[0], env, where)
        return vf.lookup(argument, table.x, table.y)


def _number(value: float) -> sp.Expr:
    return sp.Integer(int(value)) if float(value).is_integer() else sp.Float(value)
