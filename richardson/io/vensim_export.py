"""Export a symbolic :class:`Model` to a Vensim ``.mdl`` file that PySD and Vensim run.

Each state becomes a stock (``INTEG``), each parameter a constant (unit and meaning kept),
each intervention Vensim's ``STEP``, ``PULSE`` or ``RAMP`` on top of the parameter's base
value (``k = k_base + STEP(0.5 - (k_base), 10)``, which :func:`richardson.from_vensim` reads
back as ``k`` with a step), and each observable an auxiliary. Expressions are printed node by
node: ``+ - * / ^``, ``Piecewise`` as nested ``IF THEN ELSE``, relations and ``:AND:`` /
``:OR:`` / ``:NOT:``, and the functions ``EXP LN SQRT ABS MIN MAX SIN COS TAN ARCSIN ARCCOS
ARCTAN SINH COSH TANH INTEGER`` (``sign(x) floor(|x|)``, as the importer writes it; a lone
``sign`` as ``IF THEN ELSE``), and the importer's in-order operations as written.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

import sympy as sp

from ..errors import ModelError
from ..model.core import TIME, Model, Parameter
from ..model.interventions import Pulse, Ramp, Step
from .vensim_ordered import InOrder

__all__ = ["to_vensim"]

_SKETCH = "\\\\\\---///"


def to_vensim(
    model: Model,
    path: str | os.PathLike,
    t_span: tuple[float, float] = (0.0, 50.0),
    time_step: float = 1 / 64,
    y0: Any = None,
    saveper: float | None = None,
) -> Path:
    """Write ``model`` as a Vensim ``.mdl`` file.

    Parameters
    ----------
    model : Model
        An ODE model (``kind="ode"``).
    path : str or path-like
        Target ``.mdl`` file.
    t_span : pair of float
        INITIAL TIME and FINAL TIME, in the model's time unit.
    time_step : float
        TIME STEP of Vensim's/PySD's Euler integration (model time unit); 1/64 by default.
    y0 : sequence or mapping, optional
        Initial stocks; the model's ``initial`` values by default.
    saveper : float, optional
        Output interval; TIME STEP by default.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ModelError
        If the model is a map, lacks initial values, or uses a function Vensim lacks.

    Examples
    --------
    >>> import richardson as rd
    >>> m = rd.richardson2().with_interventions(rd.step("k", at=10, to=0.5))
    >>> rd.to_vensim(m, "arms.mdl", y0=[1, 2])  # doctest: +SKIP
    """
    if model.kind != "ode":
        raise ModelError("only differential-equation models (kind='ode') can be exported to Vensim")
    y = model.initial_vector(y0)
    t0, t1 = (float(t) for t in t_span)
    if not (math.isfinite(t0) and math.isfinite(t1) and t1 > t0 and time_step > 0):
        raise ModelError(
            f"t_span {t_span} and time_step {time_step} must be finite with t1 > t0, time_step > 0"
        )
    chains: dict[str, list] = {}
    for intervention in model.interventions:
        chains.setdefault(intervention.param, []).append(intervention)
    taken = set(model.states) | set(model.params)
    blocks = ["{UTF-8}"]
    for state, expr, value, actor in zip(model.states, model.rhs, y, model.actors, strict=True):
        blocks.append(
            _equation(
                state,
                f"INTEG (\n\t{_vensim(expr)},\n\t\t{_num(value)})",
                model.state_unit,
                f"military spending of {actor}",
            )
        )
    for name, p in model.params.items():
        if name not in chains:
            blocks.append(_equation(name, _num(p.value), p.unit, _comment(p)))
            continue
        base = f"{name}_base"
        while base in taken:
            base += "_"
        taken.add(base)
        blocks.append(
            _equation(base, _num(p.value), p.unit, _comment(p) + " (before interventions)")
        )
        text = base
        for intervention in chains[name]:
            text = _schedule(text, intervention)
        blocks.append(
            _equation(
                name,
                text,
                p.unit,
                "with interventions: " + ", ".join(type(i).__name__.lower() for i in chains[name]),
            )
        )
    for name, expr in model.observables.items():
        label = _vensim_name(name, taken)
        if label is not None:
            blocks.append(_equation(label, _vensim(expr), "", f"observable {name}"))
    blocks.append(
        "********************************************************\n\t.Control\n"
        "********************************************************~\n"
        "\t\tSimulation Control Parameters\n\t|"
    )
    unit = model.time_unit
    blocks.append(_equation("FINAL TIME", _num(t1), unit, "The final time for the simulation."))
    blocks.append(_equation("INITIAL TIME", _num(t0), unit, "The initial time for the simulation."))
    blocks.append(
        _equation(
            "SAVEPER",
            "TIME STEP" if saveper is None else _num(saveper),
            f"{unit} [0,?]",
            "The frequency with which output is stored.",
        )
    )
    blocks.append(
        _equation(
            "TIME STEP", _num(time_step), f"{unit} [0,?]", "The time step for the simulation."
        )
    )
    path = Path(path)
    path.write_text(
        "\n\n".join(blocks) + "\n\n" + _SKETCH + " Sketch information\n", encoding="utf-8"
    )
    return path


def _equation(name: str, rhs: str, unit: str, comment: str) -> str:
    clean = lambda text: str(text).replace("~", "-").replace("|", "/")  # noqa: E731
    return f"{name} = {rhs}\n\t~\t{clean(unit)}\n\t~\t{clean(comment)}\n\t|"


def _comment(p: Parameter) -> str:
    return "; ".join(filter(None, [p.description, f"source: {p.source}" if p.source else ""]))


def _num(value: float) -> str:
    return repr(float(value))


def _schedule(text: str, intervention: Any) -> str:
    if isinstance(intervention, Step):
        return f"{text} + STEP({_num(intervention.to)} - ({text}), {_num(intervention.at)})"
    if isinstance(intervention, Pulse):
        return (
            f"{text} + {_num(intervention.size)} * PULSE({_num(intervention.start)}, "
            f"{_num(intervention.width)})"
        )
    if isinstance(intervention, Ramp):
        span = intervention.end - intervention.start
        return (
            f"{text} + RAMP(({_num(intervention.to)} - ({text})) / {_num(span)}, "
            f"{_num(intervention.start)}, {_num(intervention.end)})"
        )
    raise ModelError(f"cannot export intervention {intervention!r} to Vensim")


_FUNCTIONS = {
    sp.exp: "EXP",
    sp.log: "LN",
    sp.Abs: "ABS",
    sp.sin: "SIN",
    sp.cos: "COS",
    sp.tan: "TAN",
    sp.asin: "ARCSIN",
    sp.acos: "ARCCOS",
    sp.atan: "ARCTAN",
    sp.sinh: "SINH",
    sp.cosh: "COSH",
    sp.tanh: "TANH",
}
_RELATIONS = {
    sp.StrictLessThan: "<",
    sp.LessThan: "<=",
    sp.StrictGreaterThan: ">",
    sp.GreaterThan: ">=",
    sp.Eq: "=",
    sp.Ne: "<>",
}


def _vensim_name(name: str, taken: set[str]) -> str | None:
    """A Vensim variable name for an observable (brackets and commas become spaces)."""
    label = " ".join(re.sub(r"[^\w ]+", " ", str(name)).split())
    same = lambda text: re.sub(r"[\s_]+", "_", text.lower())  # noqa: E731
    if not label or label[0].isdigit() or same(label) in {same(n) for n in taken}:
        return None
    taken.add(label)
    return label


def _vensim(expr: sp.Basic) -> str:
    """Vensim text of a sympy expression (fully parenthesised where precedence matters)."""
    if isinstance(expr, sp.Symbol):
        return "Time" if expr == TIME else expr.name
    if expr is sp.true:
        return "1"
    if expr is sp.false:
        return "0"
    if expr is sp.pi:
        return repr(math.pi)
    if expr.is_Integer:
        return f"({int(expr)})" if expr < 0 else str(int(expr))
    if expr.is_Rational:
        return f"({int(expr.p)}/{int(expr.q)})"
    if expr.is_Float:
        value = float(expr)
        return f"({value!r})" if value < 0 else repr(value)
    if isinstance(expr, InOrder):  # one operation in the file's order (under INTEGER)
        return f"({_vensim(expr.args[0])} {expr.symbol_text} {_vensim(expr.args[1])})"
    if expr.is_Add:
        return "(" + " + ".join(_vensim(a) for a in expr.args) + ")"
    if expr.is_Mul:
        factors, texts = list(expr.args), []
        for factor in expr.args:  # sign(x) floor(|x|) is how the importer writes INTEGER(x)
            partner = sp.floor(sp.Abs(factor.args[0])) if isinstance(factor, sp.sign) else None
            if partner is not None and partner in factors:
                factors.remove(factor)
                factors.remove(partner)
                texts.append(f"INTEGER({_vensim(factor.args[0])})")
                break
        return "(" + " * ".join(texts + [_vensim(a) for a in factors]) + ")"
    if isinstance(expr, sp.sign):
        x = _vensim(expr.args[0])
        return f"IF THEN ELSE({x} > 0, 1, IF THEN ELSE({x} < 0, -1, 0))"
    if expr.is_Pow:
        base, exponent = expr.args
        if exponent == -1:
            return f"(1 / {_vensim(base)})"
        if exponent == sp.Rational(1, 2):
            return f"SQRT({_vensim(base)})"
        return f"({_vensim(base)} ^ {_vensim(exponent)})"
    if isinstance(expr, sp.Piecewise):
        (value, condition), rest = expr.args[0], expr.args[1:]
        if condition is sp.true or not rest:
            return _vensim(value)
        other = _vensim(sp.Piecewise(*rest)) if rest else "0"
        return f"IF THEN ELSE({_vensim(condition)}, {_vensim(value)}, {other})"
    for relation, op in _RELATIONS.items():
        if isinstance(expr, relation):
            return f"({_vensim(expr.lhs)} {op} {_vensim(expr.rhs)})"
    if isinstance(expr, sp.And):
        return "(" + " :AND: ".join(_vensim(a) for a in expr.args) + ")"
    if isinstance(expr, sp.Or):
        return "(" + " :OR: ".join(_vensim(a) for a in expr.args) + ")"
    if isinstance(expr, sp.Not):
        return f"(:NOT: {_vensim(expr.args[0])})"
    if isinstance(expr, sp.floor):
        x = _vensim(expr.args[0])
        return f"(INTEGER({x}) - IF THEN ELSE({x} < INTEGER({x}), 1, 0))"
    if isinstance(expr, sp.ceiling):
        x = _vensim(expr.args[0])
        return f"(INTEGER({x}) + IF THEN ELSE({x} > INTEGER({x}), 1, 0))"
    for func, name in _FUNCTIONS.items():
        if isinstance(expr, func):
            return f"{name}({_vensim(expr.args[0])})"
    for func, name in ((sp.Min, "MIN"), (sp.Max, "MAX")):
        if isinstance(expr, func):
            text = _vensim(expr.args[0])
            for arg in expr.args[1:]:
                text = f"{name}({text}, {_vensim(arg)})"
            return text
    raise ModelError(
        f"cannot export {type(expr).__name__} ({expr}) to Vensim; use + - * / ^, Piecewise, "
        "relations, And/Or/Not, EXP, LN, SQRT, ABS, MIN, MAX, trigonometric and hyperbolic "
        "functions, floor, ceiling"
    )
