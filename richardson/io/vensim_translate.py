"""PySD's abstract model of a Vensim or XMILE file -> a symbolic :class:`Model`.

PySD (``pysd.translators``) parses the file into dataclasses
(``pysd.translators.structures.abstract_model`` and ``abstract_expressions``); this module
walks them node by node and builds sympy expressions. No text of the file is evaluated here:
numbers arrive as the floats PySD's parser made of matched literals, names become
``sympy.Symbol`` of sanitised identifiers.

Mapping (see the coverage table in ``docs/howto_files.md``):

- ``INTEG`` -> a state; its initial value is evaluated at INITIAL TIME, through other stocks.
- numeric constants -> parameters (unit and comment kept).
- auxiliaries -> substituted into the right-hand sides and kept as named observables.
- ``STEP``/``PULSE``/``PULSE TRAIN``/``RAMP`` with constant times -> interventions on a
  multiplier parameter (the solver restarts at each breakpoint); with time-varying arguments
  -> ``Piecewise`` in time.
- ``DELAY1/3/N``, ``SMOOTH/3/N``, ``TREND``, ``FORECAST`` -> stage states, PySD's formulas.
- subscripts -> one scalar state, parameter or observable per element (``Stock[a,b]``).
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from ..errors import ModelError, ModelFileError
from ..model.core import TIME, Model, Parameter
from ..model.interventions import Pulse, Ramp, Step
from . import vensim_functions as vf
from .vensim_schedules import recognise_schedule
from .vensim_stateful import StageBuilder

__all__ = ["translate"]

_CONTROL = ("initial_time", "final_time", "time_step", "saveper")
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
_REFUSED = {
    "DelayFixedStructure": "DELAY FIXED (a pipeline of TIME STEP cells, not an ODE)",
    "SampleIfTrueStructure": "SAMPLE IF TRUE (a state that jumps, not an ODE)",
    "AllocateAvailableStructure": "ALLOCATE AVAILABLE",
    "AllocateByPriorityStructure": "ALLOCATE BY PRIORITY",
    "GetLookupsStructure": "GET XLS/DIRECT LOOKUPS (external file)",
    "GetDataStructure": "GET XLS/DIRECT DATA (external file)",
    "GetConstantsStructure": "GET XLS/DIRECT CONSTANTS (external file)",
    "DataStructure": "a data variable (values from a .vdf or external file)",
}
#: Upper bound on pulses a PULSE TRAIN may expand to before it is refused.
MAX_PULSES = 10_000


def key(name: str) -> str:
    """Vensim's name equivalence: case, quotes, spaces and underscores do not matter."""
    text = unicodedata.normalize("NFC", str(name)).strip().strip('"').strip()
    return re.sub(r"[\s_]+", "_", text.lower())


def identifier(name: str, taken: set[str]) -> str:
    """A fresh Python identifier for a Vensim display name (``Stock[a,b]`` -> ``stock_a_b``)."""
    text = re.sub(r"\W+", "_", unicodedata.normalize("NFKC", name).lower()).strip("_") or "v"
    if not text.isidentifier() or text[0].isdigit() or text in {"t", "lambda"}:
        text = "v_" + text
    import keyword

    if keyword.iskeyword(text):
        text += "_"
    candidate, n = text, 1
    while candidate in taken:
        n += 1
        candidate = f"{text}_{n}"
    taken.add(candidate)
    return candidate


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


class _Cell:
    """One scalar of a (possibly subscripted) variable: its equation and subscript binding."""

    __slots__ = ("var", "elements", "component", "env", "ast")

    def __init__(self, var: _Variable, elements: tuple, component: Any, env: dict) -> None:
        self.var, self.elements, self.component, self.env = var, elements, component, env
        self.ast = component.ast

    @property
    def display(self) -> str:
        if not self.elements:
            return self.var.name
        names = [self.var.translator.element_names[e] for e in self.elements]
        return f"{self.var.name}[{','.join(names)}]"


class _Variable:
    def __init__(self, translator: _Translator, element: Any) -> None:
        self.translator, self.element = translator, element
        self.name = " ".join(str(element.name).strip().strip('"').split())
        self.cells: dict[tuple, _Cell] = {}
        self.dims: list[str | None] = []
        for component in element.components:
            translator.expand(self, component)


class _Translator:
    def __init__(self, abstract: Any, path: Path, kind: str) -> None:
        self.path, self.kind = path, kind
        self.where = f"'{path.name}'"
        sections = list(abstract.sections)
        main = [s for s in sections if s.name == "__main__"]
        if not main:
            raise ModelFileError(f"{self.where}: no main section found")
        self.main = main[0]
        self.macros = {key(s.name): s for s in sections if s.name != "__main__"}
        self.ranges: dict[str, list[str]] = {}
        self.mappings: dict[str, list[str]] = {}
        self.element_names: dict[str, str] = {}
        self._read_ranges(self.main.subscripts)
        self.variables: dict[str, _Variable] = {}
        for element in self.main.elements:
            variable = _Variable(self, element)
            self.variables[key(element.name)] = variable
        self.taken: set[str] = set()
        self.values: dict[tuple, sp.Expr] = {}
        self.visiting: set[tuple] = set()
        self.params: dict[str, Parameter] = {}
        self.states: dict[str, dict[str, Any]] = {}
        self.pending: list[Callable[[], None]] = []
        self.interventions: list = []
        self.control = self._control()
        self.stages = StageBuilder(self)
        self.initial_of: dict[str, float] = {}
        self.names: dict[str, str] = {}

    # ------------------------------------------------------------------ subscripts
    def _read_ranges(self, ranges: Any) -> None:
        for subscript in ranges:
            name = key(subscript.name)
            definition = subscript.subscripts
            if isinstance(definition, dict):
                raise ModelFileError(
                    f"{self.where}: subscript range {subscript.name!r} is read from an "
                    "external file (GET XLS/DIRECT SUBSCRIPT); define its elements in the model"
                )
            if isinstance(definition, str):
                definition = [definition]
            elements: list[str] = []
            for item in definition:
                if key(item) in self.ranges:
                    elements.extend(self.ranges[key(item)])
                else:
                    elements.append(key(item))
                    self.element_names.setdefault(key(item), str(item).strip())
            self.ranges[name] = list(dict.fromkeys(elements))
            self.mappings[name] = [key(m) for m in subscript.mapping if isinstance(m, str)]

    def elements_of(self, name: str) -> list[str]:
        k = key(name)
        if k in self.ranges:
            return self.ranges[k]
        self.element_names.setdefault(k, str(name).strip())
        return [k]

    def expand(self, variable: _Variable, component: Any) -> None:
        """Register the cells one component of ``variable`` defines."""
        names, excepts = component.subscripts
        lists = [self.elements_of(n) for n in names]
        excluded = set()
        for group in excepts or []:
            for combo in itertools.product(*[self.elements_of(n) for n in group]):
                excluded.add(combo)
        if not variable.dims:
            variable.dims = [key(n) if key(n) in self.ranges else None for n in names]
        ast = component.ast
        array = isinstance(ast, np.ndarray)
        if array:
            try:
                values = np.reshape(ast, [len(x) for x in lists])
            except ValueError as err:
                raise ModelFileError(
                    f"{self.where}: the array of {variable.name!r} has {ast.size} values for "
                    f"{math.prod(len(x) for x in lists)} subscript combinations"
                ) from err
        for index in itertools.product(*[range(len(x)) for x in lists]):
            combo = tuple(lists[i][j] for i, j in enumerate(index))
            if combo in excluded:
                continue
            env = {}
            for position, (n, element) in enumerate(zip(names, combo, strict=True)):
                if key(n) in self.ranges:
                    env[key(n)] = element
                env[f"#{position}"] = element
            cell = _Cell(variable, combo, component, env)
            if array:
                cell.ast = float(values[index])
            variable.cells[combo] = cell

    def resolve(self, name: str, env: dict, position: int, var: _Variable) -> str:
        """The element a subscript of a reference stands for under the binding ``env``."""
        if name.endswith("!"):
            bound = env.get(key(name[:-1]) + "!")
            if bound is None:
                raise ModelFileError(
                    f"{self.where}: subscript {name!r} is marked '!' outside SUM, PROD, VMIN "
                    "or VMAX"
                )
            return bound
        k = key(name)
        if k in env:
            return env[k]
        if k not in self.ranges:
            self.element_names.setdefault(k, name.strip())
            return k
        wanted = self.ranges[k]
        candidates = [env[f"#{position}"]] if f"#{position}" in env else []
        candidates += [v for b, v in env.items() if not b.startswith("#") and not b.endswith("!")]
        for bound, element in env.items():
            if bound.startswith("#") or bound.endswith("!"):
                continue
            if k in self.mappings.get(bound, []) or bound in self.mappings.get(k, []):
                source = self.ranges[bound]
                if len(source) == len(wanted) and element in source:
                    return wanted[source.index(element)]
        for element in candidates:
            if element in wanted:
                return element
        label = var.name if var is not None else name
        raise ModelFileError(
            f"{self.where}: variable {label!r} is referenced over the whole range "
            f"{name!r} where one element is needed; sum it with SUM({label}[{name}!]) or "
            "subscript the equation"
        )

    # ------------------------------------------------------------------ control
    def _control(self) -> dict[str, float]:
        control: dict[str, float] = {}
        for name in ("initial_time", "final_time", "time_step"):
            variable = self.variables.get(name)
            if variable is None:
                if name == "time_step":
                    control[name] = 1.0 if self.kind == "xmile" else math.nan
                continue
            value = variable.cells[()].ast
            if isinstance(value, (int, float)) and math.isfinite(float(value)):
                control[name] = float(value)
            else:
                raise ModelFileError(
                    f"{self.where}: {variable.name} is not a number ({type(value).__name__}); "
                    "dynamic INITIAL TIME, FINAL TIME or TIME STEP are not supported: give a "
                    "constant"
                )
        for name in ("initial_time", "final_time", "time_step"):
            if not math.isfinite(control.get(name, math.nan)):
                raise ModelFileError(f"{self.where}: {name.upper().replace('_', ' ')} is missing")
        saveper = self.variables.get("saveper")
        value = saveper.cells[()].ast if saveper else None
        if value is None or (type(value).__name__ == "ReferenceStructure"):
            control["saveper"] = control["time_step"]
        elif isinstance(value, (int, float)):
            control["saveper"] = float(value)
        else:
            raise ModelFileError(f"{self.where}: SAVEPER must be a number or TIME STEP")
        if control["time_step"] <= 0 or control["final_time"] <= control["initial_time"]:
            raise ModelFileError(
                f"{self.where}: TIME STEP must be positive and FINAL TIME after INITIAL TIME"
            )
        return control

    # ------------------------------------------------------------------ values
    def value(self, var: _Variable, elements: tuple, where: str) -> sp.Expr:
        """The sympy value of one cell: a state or parameter symbol, or an expression."""
        if elements not in var.cells:
            shown = ",".join(self.element_names.get(e, e) for e in elements)
            raise ModelFileError(
                f"{where} uses {var.name}[{shown}], which the file does not define"
            )
        cell = var.cells[elements]
        memo = (key(var.name), elements)
        if memo in self.values:
            return self.values[memo]
        if memo in self.visiting:
            raise ModelFileError(
                f"{self.where}: variable {cell.display!r} depends on itself through "
                "auxiliaries (a simultaneous equation); break the loop with a stock or a delay"
            )
        self.visiting.add(memo)
        try:
            result = self._cell_value(cell)
        finally:
            self.visiting.discard(memo)
        self.values[memo] = result
        return result

    def _cell_value(self, cell: _Cell) -> sp.Expr:
        where = f"{self.where}, variable {cell.display!r}"
        ast = cell.ast
        kind = type(ast).__name__
        if cell.component.type == "Data" or kind in _REFUSED:
            construct = _REFUSED.get(kind, _REFUSED["DataStructure"])
            raise ModelFileError(f"{where} uses {construct}, which cannot be imported as an ODE")
        if isinstance(ast, (int, float, np.integer, np.floating)) and not isinstance(ast, bool):
            value = float(ast)
            if not math.isfinite(value):
                raise ModelFileError(f"{where} is :NA: or not finite; give a number")
            name = identifier(cell.display, self.taken)
            element = cell.var.element
            self.names[name] = cell.display
            self.params[name] = Parameter(
                name,
                value,
                unit=_unit(element.units),
                description=" ".join(str(element.documentation).split()),
            )
            return sp.Symbol(name)
        if kind == "IntegStructure":
            if ast.non_negative:
                raise ModelFileError(
                    f"{where} is a non-negative stock (:NON-NEGATIVE:), which is not an ODE; "
                    "remove the option"
                )
            symbol = self.new_state(cell.display, cell.var.element)
            env = cell.env
            self.pending.append(
                lambda: self.set_rhs(symbol, self.expr(ast.flow, env, where), where)
            )
            self.states[symbol.name]["initial"] = lambda: self.expr(ast.initial, env, where)
            return symbol
        if kind == "LookupsStructure":
            raise ModelFileError(f"{where} is a lookup table used without an argument")
        recognised = recognise_schedule(self, cell)
        return recognised if recognised is not None else self.expr(ast, cell.env, where)

    def new_state(self, display: str, element: Any = None) -> sp.Symbol:
        name = identifier(display, self.taken)
        self.states[name] = {
            "display": display,
            "rhs": None,
            "initial": None,
            "unit": _unit(element.units) if element is not None else "",
        }
        return sp.Symbol(name)

    def set_rhs(self, symbol: sp.Symbol, rhs: sp.Expr, where: str) -> None:
        self.states[symbol.name]["rhs"] = vf.as_number(rhs)

    def constant_value(self, expr: sp.Expr, where: str, what: str) -> float:
        """Evaluate an expression of constants (parameter defaults) to a float."""
        if not self.is_constant(initial_mode(expr)):
            raise ModelFileError(f"{where}: {what} must be constant, not {expr}")
        values = {sp.Symbol(n): sp.Float(p.value) for n, p in self.params.items()}
        result = initial_mode(expr).xreplace(values)
        if result.free_symbols or not result.is_number:
            raise ModelFileError(f"{where}: {what} must be constant, not {expr}")
        number = float(result)
        if not math.isfinite(number):
            raise ModelFileError(f"{where}: {what} is not finite")
        return number

    def is_constant(self, expr: sp.Expr) -> bool:
        """True when ``expr`` depends on parameters only (not on time, states, or the
        multipliers that STEP/PULSE/RAMP change over time)."""
        scheduled = {i.param for i in self.interventions}
        fixed = {sp.Symbol(n) for n in self.params if n not in scheduled}
        return not (sp.sympify(expr).free_symbols - fixed)

    # ------------------------------------------------------------------ expressions
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
            return sp.Integer(int(value)) if value.is_integer() and abs(value) < 1e15 else (
                sp.Float(value)
            )
        kind = type(node).__name__
        handler = getattr(self, f"_node_{kind}", None)
        if handler is not None:
            return handler(node, env, where)
        if kind in _REFUSED:
            raise ModelFileError(f"{where} uses {_REFUSED[kind]}, which cannot be imported as an ODE")
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
        if name in _CONTROL:
            return _number(self.control[name])
        variable = self.variables.get(name)
        if variable is None and name in self.ranges:  # a range as a value: the element's number
            return self._element_number(self.resolve(node.reference, env, 0, None))
        if variable is None and name in self.element_names:  # an element as a value
            return self._element_number(name)
        if variable is None:
            raise ModelFileError(f"{where} uses {node.reference!r}, which the file does not define")
        subscripts = list(node.subscripts.subscripts) if node.subscripts else []
        if not subscripts and variable.dims:
            subscripts = [self.ranges_name(d) for d in variable.dims if d is not None]
            if len(subscripts) != len(variable.dims):
                raise ModelFileError(f"{where} uses {variable.name!r} without its subscripts")
        elements = tuple(
            self.resolve(s, env, i, variable) for i, s in enumerate(subscripts)
        )
        return self.value(variable, elements, where)

    def ranges_name(self, range_key: str) -> str:
        return range_key

    def _node_ArithmeticStructure(self, node: Any, env: dict, where: str) -> sp.Expr:
        args = [vf.as_number(self.expr(a, env, where)) for a in node.arguments]
        ops = list(node.operators)
        if ops == ["negative"]:
            return -args[0]
        if set(ops) == {"^"}:  # Vensim's ^ groups from the right: 4^3^2 = 4^9
            result = args[-1]
            for arg in reversed(args[:-1]):
                result = arg**result
            return result
        result = args[0]
        for op, arg in zip(ops, args[1:], strict=True):
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
        if name in _AGGREGATES:
            return self._aggregate(name, node.arguments, env, where)
        if name == "elmcount":
            argument = node.arguments[0]
            label = getattr(argument, "reference", argument)
            label = key(str(label).rstrip("!"))
            if label not in self.ranges:
                raise ModelFileError(f"{where}: ELMCOUNT of {label!r}, which is not a subscript range")
            return sp.Integer(len(self.ranges[label]))
        if name in ("vmin_xmile", "vmax_xmile"):
            return self._whole_array(name, node.arguments[0], env, where)
        variable = self.variables.get(name)
        if variable is not None:
            return self._lookup_call(variable, node, env, where)
        if name in self.macros:
            from .vensim_macros import inline_macro

            return inline_macro(self, self.macros[name], node.arguments, env, where)
        args = [self.expr(a, env, where) for a in node.arguments]
        args = [a if i == 0 and name == "if_then_else" else vf.as_number(a) for i, a in enumerate(args)]
        if name == "active_initial":
            return ActiveInitial(args[0], args[1])
        if name in {"step", "pulse", "pulse_train", "ramp", "Xramp".lower(), "xpulse"}:
            return self.stages.schedule(name, args, where)
        if name == "xpulse_train":
            return self.stages.schedule(name, args, where)
        return vf.call(name, args, where)

    def _aggregate(self, name: str, arguments: Any, env: dict, where: str) -> sp.Expr:
        marked = sorted(set(_marked_ranges(arguments[0])))
        if not marked:
            raise ModelFileError(f"{where}: {name.upper()} needs a subscript marked with '!'")
        terms = []
        lists = [self.ranges[key(m)] for m in marked]
        for combo in itertools.product(*lists):
            inner = dict(env)
            inner.update({key(m) + "!": e for m, e in zip(marked, combo, strict=True)})
            terms.append(self.expr(arguments[0], inner, where))
        return _AGGREGATES[name](*terms)

    def _element_number(self, element: str) -> sp.Expr:
        """Position (from 1) of a subscript element in the largest range that holds it."""
        ranges = [r for r in self.ranges.values() if element in r]
        return sp.Integer(max(ranges, key=len).index(element) + 1)

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

    def _lookup_call(self, variable: _Variable, node: Any, env: dict, where: str) -> sp.Expr:
        subscripts = list(node.function.subscripts.subscripts) if node.function.subscripts else []
        elements = tuple(self.resolve(s, env, i, variable) for i, s in enumerate(subscripts))
        if elements not in variable.cells and not subscripts and variable.dims:
            elements = tuple(env.get(d, "") for d in variable.dims)
        if elements not in variable.cells:
            raise ModelFileError(f"{where} calls {variable.name!r} with unknown subscripts")
        table = variable.cells[elements].ast
        kind = type(table).__name__
        if kind in _REFUSED:
            raise ModelFileError(f"{where}: lookup {variable.name!r} uses {_REFUSED[kind]}")
        if kind != "LookupsStructure":
            raise ModelFileError(f"{where} calls {variable.name!r}, which is not a lookup table")
        if len(node.arguments) != 1:
            raise ModelFileError(f"{where}: lookup {variable.name!r} takes one argument")
        argument = self.expr(node.arguments[0], env, where)
        return vf.lookup(argument, table.x, table.y)

    # ------------------------------------------------------------------ model
    def build(self) -> Model:
        observables: dict[str, sp.Expr] = {}
        for name, variable in self.variables.items():
            if name in _CONTROL:
                continue
            for elements, cell in variable.cells.items():
                if type(cell.ast).__name__ in {"LookupsStructure", "GetLookupsStructure"}:
                    continue
                value = self.value(variable, elements, f"{self.where}, variable {cell.display!r}")
                kind = type(cell.ast).__name__
                if kind != "IntegStructure" and not _is_number(cell.ast):
                    observables[cell.display] = vf.as_number(value)
        while self.pending:
            self.pending.pop(0)()
        if not self.states and not observables:
            raise ModelFileError(
                f"{self.where}: the model has neither stocks nor auxiliaries; nothing to run"
            )
        self.stages.resolve_initial()
        rhs = {n: s["rhs"] for n, s in self.states.items()}
        initial = self._initial_values()
        rhs = {n: self.stages.finalise(e) for n, e in rhs.items()}
        observables = {n: self.stages.finalise(e) for n, e in observables.items()}
        initial.update(self.stages.extra_initial)
        rhs.update(self.stages.extra_rhs)
        used = set().union(*(e.free_symbols for e in [*rhs.values(), *observables.values()]))
        used |= {sp.Symbol(i.param) for i in self.interventions}
        params = {n: p for n, p in self.params.items() if sp.Symbol(n) in used}
        units = {s["unit"] for s in self.states.values() if s["unit"]}
        metadata = {
            "vensim": dict(self.control),
            "source_file": self.path.name,
            "format": self.kind,
            "names": {**self.names, **{n: s["display"] for n, s in self.states.items()}},
        }
        subscripted = {
            v.name: [v.translator.element_names.get(d, d) if d else None for d in v.dims]
            for v in self.variables.values()
            if v.dims
        }
        if subscripted:
            metadata["subscripts"] = subscripted
        try:
            return Model(
                states=list(rhs),
                params=params,
                rhs=list(rhs.values()),
                actors=[self.states.get(n, {"display": n})["display"] for n in rhs],
                name=self.path.stem,
                description=f"imported from {self.kind} file {self.path.name}",
                state_unit=units.pop() if len(units) == 1 else "",
                initial=initial,
                interventions=self.interventions,
                observables=observables,
                metadata=metadata,
            )
        except ModelError as err:
            raise ModelFileError(f"{self.where}: {err}") from err

    def _initial_values(self) -> dict[str, float]:
        """Initial value of every state at INITIAL TIME, chained through other stocks."""
        values: dict[str, float] = {}
        visiting: set[str] = set()
        params = {sp.Symbol(n): sp.Float(p.value) for n, p in self.params.items()}
        t0 = self.control["initial_time"]

        def evaluate(name: str) -> float:
            if name in values:
                return values[name]
            if name in visiting:
                raise ModelFileError(
                    f"{self.where}: the initial value of {self.states[name]['display']!r} "
                    "depends on itself through other stocks"
                )
            visiting.add(name)
            state = self.states[name]
            where = f"{self.where}, initial value of {state['display']!r}"
            expr = state["initial"]() if callable(state["initial"]) else state["initial"]
            expr = initial_mode(sp.sympify(expr)).xreplace({TIME: sp.Float(t0)})
            expr = self.stages.schedules_at(expr, t0).xreplace(params)
            needed = {s for s in expr.free_symbols if s.name in self.states}
            expr = expr.xreplace({s: sp.Float(evaluate(s.name)) for s in needed})
            if expr.free_symbols:
                raise ModelFileError(f"{where} depends on {sorted(map(str, expr.free_symbols))}")
            try:
                number = float(expr)
            except TypeError as err:
                raise ModelFileError(f"{where} is not a number ({expr})") from err
            if not math.isfinite(number):
                raise ModelFileError(f"{where} is {number} at INITIAL TIME")
            visiting.discard(name)
            values[name] = number
            return number

        for name in list(self.states):
            if name not in self.stages.extra_initial:
                evaluate(name)
        self.initial_of = values
        return values


def _marked_ranges(node: Any) -> list[str]:
    found: list[str] = []
    if type(node).__name__ == "ReferenceStructure" and node.subscripts:
        found.extend(s[:-1] for s in node.subscripts.subscripts if s.endswith("!"))
    for field in getattr(node, "__dataclass_fields__", {}):
        value = getattr(node, field)
        children = value if isinstance(value, (tuple, list)) else [value]
        for child in children:
            if hasattr(child, "__dataclass_fields__"):
                found.extend(_marked_ranges(child))
    return found


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _number(value: float) -> sp.Expr:
    return sp.Integer(int(value)) if float(value).is_integer() else sp.Float(value)


def _unit(units: Any) -> str:
    return " ".join(str(units or "").split())


def translate(abstract: Any, path: Path, kind: str) -> Model:
    """Build a :class:`Model` from PySD's abstract model of ``path``.

    Parameters
    ----------
    abstract : pysd.translators.structures.abstract_model.AbstractModel
        What ``VensimFile(path).get_abstract_model()`` (or ``XmileFile``) returned.
    path : pathlib.Path
        The file, for messages and the model's name.
    kind : {"vensim", "xmile"}
        The file's language.

    Raises
    ------
    ModelFileError
        Naming the variable and the construct that cannot be imported.
    """
    return _Translator(abstract, path, kind).build()


__all__ += ["ActiveInitial", "InitialValue", "initial_mode", "key", "identifier"]
_ = (Pulse, Ramp, Step)
