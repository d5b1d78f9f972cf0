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

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from ..errors import ModelError, ModelFileError
from ..model.core import TIME, Model, Parameter
from . import vensim_functions as vf
from .vensim_expressions import CONTROL, REFUSED, ExpressionTranslator, initial_mode
from .vensim_schedules import recognise_schedule
from .vensim_stateful import StageBuilder
from .vensim_subscripts import Cell, SubscriptSpace, Variable, identifier, key

__all__ = ["translate"]


def _refuse_duplicates(element: Any, where: str) -> None:
    """PySD files the equations of one Vensim name under one element; two of them for the
    same subscripts are two definitions of one variable (``growth rate`` and ``growth_rate``,
    ``kk`` and ``KK`` are one name to Vensim), and the later would silently win."""
    seen: set[str] = set()
    for component in element.components:
        subscripts = getattr(component, "subscripts", ((), ()))
        marker = repr(subscripts)  # lists inside (EXCEPT sets): compared as text
        if marker in seen:
            shown = f"[{', '.join(subscripts[0])}]" if subscripts and subscripts[0] else ""
            raise ModelFileError(
                f"{where}: {element.name!r}{shown} is defined twice. Vensim reads names "
                "without regard to case, spaces and underscores (growth rate, growth_rate and "
                "Growth Rate are one name); rename one of the two definitions."
            )
        seen.add(marker)


class _Translator(SubscriptSpace, ExpressionTranslator):
    """One translation: the file's variables, and the states, parameters, interventions and
    observables built from them."""

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
        self.range_names: dict[str, str] = {}
        self._read_ranges(self.main.subscripts)
        self.variables: dict[str, Variable] = {}
        for element in self.main.elements:
            _refuse_duplicates(element, self.where)
            variable = Variable(self, element)
            self.variables[key(element.name)] = variable
        self.taken: set[str] = set()
        self.values: dict[tuple, sp.Expr] = {}
        self.in_order_values: dict[tuple, sp.Expr] = {}
        self.visiting: set[tuple] = set()
        self.params: dict[str, Parameter] = {}
        self.states: dict[str, dict[str, Any]] = {}
        self.pending: list[Callable[[], None]] = []
        self.interventions: list = []
        self.initial_of: dict[str, float] = {}
        self.names: dict[str, str] = {}
        self.scheduled: set[str] = set()  # parameters read back from an exported schedule
        self.macro_calls = 0
        self.control: dict[str, float] = {"time_step": 1.0}
        self.stages = StageBuilder(self)
        self.control = self._control()

    # ------------------------------------------------------------------ control
    def _control(self) -> dict[str, float]:
        control: dict[str, float] = {}
        for name in ("initial_time", "final_time", "time_step"):
            variable = self.variables.get(name)
            if variable is None:
                if name == "time_step":
                    control[name] = 1.0 if self.kind == "xmile" else math.nan
                continue
            value = self._control_value(variable)
            if value is not None and math.isfinite(value):
                control[name] = value
            else:
                raise ModelFileError(
                    f"{self.where}: {variable.name} changes during the run or is not a number; "
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

    def _control_value(self, variable: Variable) -> float | None:
        """A control variable as a number: a literal or an expression of constants (XMILE
        writes a reciprocal step as ``1/8``); None when it changes over time."""
        value = variable.cells[()].ast
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        where = f"{self.where}, {variable.name}"
        try:
            expr = self.expr(value, {}, where)
        except ModelFileError:
            return None
        if not self.is_constant(expr) or self.interventions:
            return None
        return self.constant_value(expr, where, variable.name)

    # ------------------------------------------------------------------ values
    def value(self, var: Variable, elements: tuple, where: str) -> sp.Expr:
        """The sympy value of one cell: a state or parameter symbol, or an expression."""
        if self.in_order:
            return self._value_in_order(var, elements, where)
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

    def _value_in_order(self, var: Variable, elements: tuple, where: str) -> sp.Expr:
        """An auxiliary inside the argument of INTEGER/MODULO/QUANTUM: its equation
        translated again with the file's order of operations (when that creates nothing
        new); states, parameters and the rest as everywhere."""
        depth, self.in_order = self.in_order, 0
        try:
            plain = self.value(var, elements, where)
        finally:
            self.in_order = depth
        cell = var.cells[elements]
        if isinstance(plain, sp.Symbol) or not self.is_pure(cell.ast):
            return plain
        memo = (key(var.name), elements)
        if memo not in self.in_order_values:
            inner = f"{self.where}, variable {cell.display!r}"
            self.in_order_values[memo] = self.expr(cell.ast, cell.env, inner)
        return self.in_order_values[memo]

    def _cell_value(self, cell: Cell) -> sp.Expr:
        where = f"{self.where}, variable {cell.display!r}"
        ast = cell.ast
        kind = type(ast).__name__
        if cell.component.type == "Data" or kind in REFUSED:
            construct = REFUSED.get(kind, REFUSED["DataStructure"])
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
            self.pending.append(lambda: self.set_rhs(symbol, self.expr(ast.flow, env, where)))
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

    def set_rhs(self, symbol: sp.Symbol, rhs: sp.Expr) -> None:
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

    # ------------------------------------------------------------------ model
    def build(self) -> Model:
        observables: dict[str, sp.Expr] = {}
        for name, variable in self.variables.items():
            if name in CONTROL:
                continue
            for elements, cell in variable.cells.items():
                if type(cell.ast).__name__ in {"LookupsStructure", "GetLookupsStructure"}:
                    continue
                value = self.value(variable, elements, f"{self.where}, variable {cell.display!r}")
                kind = type(cell.ast).__name__
                scheduled = isinstance(value, sp.Symbol) and value.name in self.scheduled
                if kind != "IntegStructure" and not _is_number(cell.ast) and not scheduled:
                    observables[cell.display] = vf.as_number(value)
        while self.pending:
            self.pending.pop(0)()
        if not self.states and not observables:
            raise ModelFileError(
                f"{self.where}: the model has neither stocks nor auxiliaries; nothing to run"
            )
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
            v.name: [self.range_names.get(d, d) if d else f"dim_{i}" for i, d in enumerate(v.dims)]
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
    try:
        return _Translator(abstract, path, kind).build()
    except RecursionError:
        raise ModelFileError(
            f"'{path.name}': an equation is nested too deeply (or auxiliaries chain too long) "
            "to translate; simplify it"
        ) from None
