"""Vensim interop: export any ODE model to ``.mdl`` (run it in PySD), import Richardson-type
``.mdl`` models (stocks, flows, auxiliaries, constants) into a symbolic :class:`Model`.

Export writes each state as a stock (``INTEG``), each parameter as a constant, and each
intervention as Vensim's ``STEP``, ``PULSE`` or ``RAMP`` on top of the parameter's base value
(``k = k_base + STEP(0.5 - k_base, 10)``). Import never evaluates file text: Vensim
expressions are translated token by token and parsed by
:func:`richardson.model.expressions.parse_expression`.

PySD (the ``dev`` extra) is imported only inside :func:`simulate_pysd`.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import sympy as sp

from ..errors import ModelError, ModelFileError
from ..model.core import TIME, Model, Parameter
from ..model.expressions import parse_expression
from ..model.interventions import Pulse, Ramp, Step

__all__ = ["to_vensim", "from_vensim", "simulate_pysd"]

_SKETCH = "\\\\\\---///"
_CONTROL = {"INITIAL TIME", "FINAL TIME", "TIME STEP", "SAVEPER"}


# ---------------------------------------------------------------------- export
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


def _vensim(expr: sp.Expr) -> str:
    """Vensim text of a sympy expression (fully parenthesised where precedence matters)."""
    if isinstance(expr, sp.Symbol):
        return "Time" if expr == TIME else expr.name
    if expr.is_Integer:
        return f"({int(expr)})" if expr < 0 else str(int(expr))
    if expr.is_Rational:
        return f"({int(expr.p)}/{int(expr.q)})"
    if expr.is_Float:
        value = float(expr)
        return f"({value!r})" if value < 0 else repr(value)
    if expr.is_Add:
        return "(" + " + ".join(_vensim(a) for a in expr.args) + ")"
    if expr.is_Mul:
        return "(" + " * ".join(_vensim(a) for a in expr.args) + ")"
    if expr.is_Pow:
        base, exponent = expr.args
        if exponent == -1:
            return f"(1 / {_vensim(base)})"
        return f"({_vensim(base)} ^ {_vensim(exponent)})"
    for func, name in ((sp.exp, "EXP"), (sp.log, "LN"), (sp.tanh, "TANH"), (sp.Abs, "ABS")):
        if isinstance(expr, func):
            return f"{name}({_vensim(expr.args[0])})"
    for func, name in ((sp.Min, "MIN"), (sp.Max, "MAX")):
        if isinstance(expr, func):
            text = _vensim(expr.args[0])
            for arg in expr.args[1:]:
                text = f"{name}({text}, {_vensim(arg)})"
            return text
    raise ModelError(
        f"cannot export {type(expr).__name__} ({expr}) to Vensim; use + - * / ^, "
        "EXP, LN, TANH, ABS, MIN, MAX"
    )


# ---------------------------------------------------------------------- import
_FUNCTIONS = {
    "EXP": "exp",
    "LN": "log",
    "SQRT": "sqrt",
    "ABS": "abs",
    "MIN": "min",
    "MAX": "max",
    "TANH": "tanh",
}
_UNSUPPORTED = (
    "IF THEN ELSE",
    "DELAY",
    "SMOOTH",
    "LOOKUP",
    "WITH LOOKUP",
    "STEP",
    "PULSE",
    "RAMP",
    "RANDOM",
    "TREND",
    "FORECAST",
    "SAMPLE IF TRUE",
    "INITIAL",
    "ACTIVE INITIAL",
    "GET XLS",
    "GET DIRECT",
    "GAME",
    "INTEGER",
    "MODULO",
    "XIDZ",
    "ZIDZ",
)


def from_vensim(path: str | os.PathLike) -> Model:
    """Read a Richardson-type Vensim ``.mdl`` file into a symbolic :class:`Model`.

    Stocks (``INTEG(flow, initial)``) become states with their initial values; numeric
    constants become parameters (unit and comment kept); auxiliaries and flows are
    substituted into the stocks' right-hand sides. A constant scheduled the way
    :func:`to_vensim` writes one intervention (``k = k_base + STEP(0.5 - (k_base), 10)``, and
    the PULSE and RAMP forms) comes back as the parameter plus a step/pulse/ramp. INITIAL
    TIME, FINAL TIME and TIME STEP are kept in ``metadata["vensim"]``.

    Parameters
    ----------
    path : str or path-like
        The ``.mdl`` file.

    Returns
    -------
    Model

    Raises
    ------
    ModelFileError
        For constructs outside that subset (subscripts, lookups, delays, IF THEN ELSE, STEP /
        PULSE / RAMP, macros, ...), naming the variable and the construct, and for circular
        auxiliaries or a file without stocks.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig", errors="strict")
    except (OSError, UnicodeDecodeError) as err:
        raise ModelFileError(f"cannot read Vensim file '{path}': {err}") from None
    where = f"'{path}'"
    text = text.split(_SKETCH, 1)[0].replace("{UTF-8}", "")
    if ":MACRO:" in text.upper():
        raise ModelFileError(f"{where}: macros are not supported")
    entries = []
    for chunk in text.split("|"):
        parts = chunk.split("~")
        definition = parts[0].strip()
        if not definition or "=" not in definition:
            continue
        lhs, rhs = definition.split("=", 1)
        name = " ".join(lhs.replace('"', "").split())
        if ":" in name:
            name = name.split(":")[0].strip()
        if "[" in name or "(" in name:
            raise ModelFileError(
                f"{where}: variable {name!r} is subscripted or a lookup; only "
                "plain stocks, flows, auxiliaries and constants are supported"
            )
        unit = parts[1].strip() if len(parts) > 1 else ""
        unit = re.sub(r"\[.*\]", "", unit).strip()
        comment = " ".join(parts[2].split()) if len(parts) > 2 else ""
        entries.append((name, " ".join(rhs.split()), unit, comment))
    if not entries:
        raise ModelFileError(f"{where}: no equations found")
    names = {}
    for name, *_ in entries:
        ident = re.sub(r"\W", "_", name.strip())
        if ident.upper() in {"TIME"}:
            raise ModelFileError(f"{where}: a variable may not be named {name!r}")
        names[name.upper()] = ident if not ident[:1].isdigit() else "v_" + ident
    control, stocks, constants, auxiliaries = {}, {}, {}, {}
    for name, rhs, unit, comment in entries:
        ident = names[name.upper()]
        if name.upper() in _CONTROL:
            control[name.upper()] = rhs
            continue
        match = re.fullmatch(r"INTEG\s*\((.*)\)", rhs, flags=re.IGNORECASE | re.DOTALL)
        if match:
            flow, initial = _split_integ(match.group(1), where, name)
            stocks[ident] = (flow, initial, unit, comment, name)
        elif _is_number(rhs):
            constants[ident] = Parameter(ident, float(rhs), unit=unit, description=comment)
        else:
            auxiliaries[ident] = (rhs, name)
    if not stocks:
        raise ModelFileError(f"{where}: no stocks (INTEG) found; a model needs at least one")
    interventions = _scheduled_parameters(auxiliaries, constants)
    declared = set(stocks) | set(constants) | set(auxiliaries) | {"t"}
    translate = lambda text, name: _translate(text, names, where, name)  # noqa: E731
    aux_exprs = {
        ident: parse_expression(translate(rhs, name), declared, f"{where}, auxiliary {name!r}")
        for ident, (rhs, name) in auxiliaries.items()
    }
    aux_exprs = _resolve(aux_exprs, where)
    states = list(stocks)
    rhs, initial = [], {}
    for ident, (flow, init, _unit, _comment, name) in stocks.items():
        expr = parse_expression(translate(flow, name), declared, f"{where}, stock {name!r}")
        rhs.append(expr.xreplace(aux_exprs))
        value = parse_expression(
            translate(init, name), set(constants), f"{where}, initial value of {name!r}"
        ).xreplace({sp.Symbol(k): p.value for k, p in constants.items()})
        if not value.is_Number:
            raise ModelFileError(f"{where}: initial value of {name!r} is not a number")
        initial[ident] = float(value)
    used = set().union(*(e.free_symbols for e in rhs)) | {sp.Symbol(i.param) for i in interventions}
    params = {k: p for k, p in constants.items() if sp.Symbol(k) in used}
    for expr, (_ident, (_f, _i, _u, _c, name)) in zip(rhs, stocks.items(), strict=True):
        unknown = {s.name for s in expr.free_symbols} - set(states) - set(params) - {"t"}
        if unknown:
            raise ModelFileError(
                f"{where}: stock {name!r} depends on {sorted(unknown)}, which "
                "are neither stocks nor constants"
            )
    control_values = {}
    for key, value in control.items():
        control_values[key.lower().replace(" ", "_")] = float(value) if _is_number(value) else value
    units = {u for (_f, _i, u, _c, _n) in stocks.values() if u}
    try:
        return Model(
            states=states,
            params=params,
            rhs=rhs,
            actors=[stocks[s][4] for s in states],
            name=path.stem,
            description=f"imported from Vensim file {path.name}",
            state_unit=units.pop() if len(units) == 1 else "",
            initial=initial,
            interventions=interventions,
            metadata={"vensim": control_values, "source_file": path.name},
        )
    except ModelError as err:
        raise ModelFileError(f"{where}: {err}") from err


_NUM = r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
_SCHEDULES = {
    "step": re.compile(
        rf"(?P<base>\w+) \+ STEP\((?P<to>{_NUM}) - \((?P=base)\), (?P<at>{_NUM})\)", re.IGNORECASE
    ),
    "pulse": re.compile(
        rf"(?P<base>\w+) \+ (?P<size>{_NUM}) \* PULSE\((?P<start>{_NUM}), "
        rf"(?P<width>{_NUM})\)",
        re.IGNORECASE,
    ),
    "ramp": re.compile(
        rf"(?P<base>\w+) \+ RAMP\(\((?P<to>{_NUM}) - \((?P=base)\)\) / "
        rf"(?P<span>{_NUM}), (?P<start>{_NUM}), (?P<end>{_NUM})\)",
        re.IGNORECASE,
    ),
}


def _scheduled_parameters(auxiliaries: dict, constants: dict) -> list:
    """Recognise the exported form of one intervention on a constant
    (``k = k_base + STEP(0.5 - (k_base), 10)``, PULSE, RAMP): the auxiliary becomes the
    parameter (with the base value) plus a step/pulse/ramp; both dicts are updated in place."""
    found = []
    for ident, (text, _name) in list(auxiliaries.items()):
        for kind, pattern in _SCHEDULES.items():
            match = pattern.fullmatch(text)
            if match is None or match["base"] not in constants:
                continue
            base = constants.pop(match["base"])
            description = base.description.removesuffix(" (before interventions)")
            constants[ident] = Parameter(ident, base.value, unit=base.unit, description=description)
            del auxiliaries[ident]
            number = {k: float(v) for k, v in match.groupdict().items() if k != "base"}
            if kind == "step":
                found.append(Step(ident, number["at"], number["to"]))
            elif kind == "pulse":
                found.append(Pulse(ident, number["start"], number["width"], number["size"]))
            else:
                found.append(Ramp(ident, number["start"], number["end"], number["to"]))
            break
    return found


def _split_integ(body: str, where: str, name: str) -> tuple[str, str]:
    depth = 0
    for index, char in enumerate(body):
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            return body[:index].strip(), body[index + 1 :].strip()
    raise ModelFileError(f"{where}: INTEG of {name!r} needs two arguments (flow, initial value)")


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _translate(text: str, names: dict[str, str], where: str, variable: str) -> str:
    """Vensim expression text -> the safe parser's syntax (names, ^ -> **, functions)."""
    upper = text.upper()
    for construct in _UNSUPPORTED:
        if re.search(rf"(?<![\w ]){re.escape(construct)}\s*\(", upper) or re.match(
            rf"{re.escape(construct)}\s*\(", upper
        ):
            raise ModelFileError(
                f"{where}: variable {variable!r} uses {construct}, which is not "
                "supported (only stocks, flows, auxiliaries and constants with "
                "+ - * / ^ and EXP, LN, SQRT, ABS, MIN, MAX, TANH)"
            )
    if "[" in text or ":" in text or '"' in text:
        raise ModelFileError(
            f"{where}: variable {variable!r} uses subscripts, quoted names or "
            "options, which are not supported"
        )
    tokens = re.findall(
        r"\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|[A-Za-z_][\w ]*[\w]|"
        r"[A-Za-z_]|\*\*|[-+*/^(),]|\S",
        text,
    )
    out = []
    for token in tokens:
        key = " ".join(token.split()).upper()
        if key == "TIME":
            out.append("t")
        elif key in names:
            out.append(names[key])
        elif key in _FUNCTIONS:
            out.append(_FUNCTIONS[key])
        elif token == "^":
            out.append("**")
        elif re.fullmatch(r"[-+*/(),]|\d.*|\.\d.*", token):
            out.append(token)
        else:
            raise ModelFileError(
                f"{where}: variable {variable!r} uses {token!r}, which is not a "
                "declared variable or a supported function"
            )
    return " ".join(out)


def _resolve(aux: dict[sp.Symbol | str, sp.Expr], where: str) -> dict[sp.Symbol, sp.Expr]:
    """Substitute auxiliaries into each other until none is left (cycles are an error)."""
    symbols = {sp.Symbol(k): v for k, v in aux.items()}
    for _ in range(len(symbols) + 1):
        changed = False
        for key, expr in symbols.items():
            if expr.free_symbols & symbols.keys():
                if key in expr.free_symbols:
                    raise ModelFileError(
                        f"{where}: auxiliary {key.name!r} depends on itself (directly or "
                        "through other auxiliaries in a circle)"
                    )
                symbols[key] = expr.xreplace(symbols)
                changed = True
        if not changed:
            return symbols
    cycle = sorted(k.name for k, e in symbols.items() if e.free_symbols & symbols.keys())
    raise ModelFileError(f"{where}: auxiliaries {cycle} depend on each other in a circle")


# ---------------------------------------------------------------------- PySD
def simulate_pysd(
    model: Model,
    t_span: tuple[float, float],
    y0: Any = None,
    time_step: float = 1 / 64,
    saveper: float | None = None,
):  # noqa: ANN201
    """Export ``model`` to a temporary ``.mdl`` and run it in PySD (Euler, ``time_step``).

    Parameters
    ----------
    model : Model
        An ODE model; its interventions become STEP/PULSE/RAMP.
    t_span : pair of float
        Start and end time (model time unit).
    y0 : sequence or mapping, optional
        Initial state; the model's ``initial`` values by default.
    time_step : float
        PySD's Euler step (model time unit).
    saveper : float, optional
        Output interval; ``time_step`` by default.

    Returns
    -------
    pandas.DataFrame
        Time index, one column per state.

    Raises
    ------
    ImportError
        If PySD is not installed (``pip install richardson[dev]``).
    """
    try:
        import pysd
    except ImportError as err:  # pragma: no cover - pysd is in the dev extra
        raise ImportError(
            "simulate_pysd needs PySD; install the 'dev' extra: pip install 'richardson[dev]'"
        ) from err
    with tempfile.TemporaryDirectory(prefix="richardson-pysd-") as folder:
        mdl = to_vensim(model, Path(folder) / "model.mdl", t_span, time_step, y0, saveper)
        translated = pysd.read_vensim(str(mdl))
        result = translated.run(return_columns=list(model.states), progress=False)
    return result
