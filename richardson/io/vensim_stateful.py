"""Vensim's stateful functions as stage states, and STEP/PULSE/RAMP as interventions.

The stage formulas are PySD's (``pysd.py_backend.statefuls``, version 3.14):

- ``DELAY1/DELAY3/DELAY N(input, D, init)`` of order ``n``: stage states ``S_1 .. S_n`` with
  ``S_i(0) = init * D``, ``dS_i/dt = n (in_i - S_i / D)``, ``in_1 = input``,
  ``in_i = S_{i-1} / D``; the output is ``S_n / D``. As in PySD, the order drops until
  ``n * TIME STEP <= D``.
- ``SMOOTH/SMOOTH3/SMOOTH N(input, T, init)``: ``S_i(0) = init``,
  ``dS_i/dt = n (target_i - S_i) / T`` with ``target_1 = input``, ``target_i = S_{i-1}``;
  the output is ``S_n``.
- ``TREND(input, T, g0)``: ``S(0) = input / (1 + g0 T)``, ``dS/dt = (input - S) / T``,
  output ``ZIDZ(input - S, T |S|)``.
- ``FORECAST(input, T, h, g0)``: ``S(0) = input / (1 + g0)``, ``dS/dt = (input - S) / T``,
  output ``input (1 + ZIDZ(input - S, T S) h)``.

A STEP, PULSE, PULSE TRAIN or RAMP whose times are constants becomes a multiplier parameter
(0 by default) driven by :func:`richardson.step`, :func:`richardson.pulse` or
:func:`richardson.ramp`, so the solver restarts at its breakpoints; with time-varying
arguments it becomes a ``Piecewise`` in time.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from ..errors import ModelFileError
from ..model.core import TIME, Parameter
from ..model.interventions import Pulse, Ramp, Step
from . import vensim_functions as vf
from .vensim_expressions import ActiveInitial, InitialValue, initial_mode
from .vensim_subscripts import identifier

if TYPE_CHECKING:
    from .vensim_translate import _Translator

__all__ = ["StageBuilder", "MAX_PULSES"]

#: Upper bound on the pulses a PULSE TRAIN may expand to before it is refused.
MAX_PULSES = 10_000

_KINDS = {
    "DelayStructure": "delay",
    "DelayNStructure": "delay_n",
    "SmoothStructure": "smooth",
    "SmoothNStructure": "smooth_n",
    "TrendStructure": "trend",
    "ForecastStructure": "forecast",
}


class StageBuilder:
    """Creates the stage states of delays and smooths, and the scheduled multipliers."""

    def __init__(self, translator: _Translator) -> None:
        self.t = translator
        self.count = 0
        self.multipliers: dict[str, Any] = {}
        self.extra_rhs: dict[str, sp.Expr] = {}
        self.extra_initial: dict[str, float] = {}
        self.held: dict[sp.Expr, sp.Symbol] = {}

    # ------------------------------------------------------------------ delays, smooths
    def build(self, node: Any, env: dict, where: str) -> sp.Expr | None:
        kind = _KINDS.get(type(node).__name__)
        if kind is None:
            return None
        t = self.t
        self.count += 1
        label = f"{kind}_{self.count}"
        if kind in ("delay", "delay_n"):
            delay = t.expr(node.delay_time, env, where)
            order = self._order(node.order, env, where)
            if kind == "delay_n" and not t.is_constant(delay):
                raise ModelFileError(
                    f"{where} uses DELAY N with a time-varying delay time ({delay}); PySD keeps "
                    "the delay time of each stage, which is not an ODE in the stocks; use a "
                    "constant delay time or DELAY3"
                )
            order = self._reduced(order, delay)
            stages = [t.new_state(f"{label}[{where}] stage {i + 1}") for i in range(order)]
            for i, stage in enumerate(stages):
                self._lazy_stage(stage, i, stages, node, env, where, delay, order, "delay")
            return stages[-1] / delay
        if kind in ("smooth", "smooth_n"):
            time = t.expr(node.smooth_time, env, where)
            order = self._order(node.order, env, where)
            stages = [t.new_state(f"{label}[{where}] stage {i + 1}") for i in range(order)]
            for i, stage in enumerate(stages):
                self._lazy_stage(stage, i, stages, node, env, where, time, order, "smooth")
            return stages[-1]
        average = t.expr(node.average_time, env, where)
        value = t.expr(node.input, env, where)
        state = t.new_state(f"{label}[{where}]")
        t.states[state.name]["rhs"] = (value - state) / average
        initial_trend = t.expr(node.initial_trend, env, where)
        if kind == "trend":
            t.states[state.name]["initial"] = value / (1 + initial_trend * average)
            return vf.zidz(value - state, average * sp.Abs(state))
        horizon = t.expr(node.horizon, env, where)
        t.states[state.name]["initial"] = value / (1 + initial_trend)
        return value * (1 + vf.zidz(value - state, average * state) * horizon)

    def _order(self, order: Any, env: dict, where: str) -> int:
        start = self.t.control["initial_time"]  # PySD fixes the order when it initialises
        expr = self.schedules_at(self.t.expr(order, env, where), start)
        value = self.t.constant_value(expr, where, "the order")
        if value < 1 or value != int(value) or value > 1000:
            raise ModelFileError(f"{where}: the order {value} must be a whole number 1..1000")
        return int(value)

    def _reduced(self, order: int, delay: sp.Expr) -> int:
        """PySD lowers the order until ``order * TIME STEP <= delay time`` (at the start)."""
        if not self.t.is_constant(delay):
            return order
        value = self.t.constant_value(delay, self.t.where, "the delay time")
        dt = self.t.control["time_step"]
        while order > 1 and order * dt > value:
            order -= 1
        return order

    def _lazy_stage(self, stage, i, stages, node, env, where, time, order, kind) -> None:  # noqa: ANN001
        t = self.t
        state = t.states[stage.name]
        if kind == "delay":
            outflow = stage / time

            def rhs() -> None:
                inflow = t.expr(node.input, env, where) if i == 0 else stages[i - 1] / time
                state["rhs"] = order * (inflow - outflow)

            state["initial"] = lambda: t.expr(node.initial, env, where) * time
        else:

            def rhs() -> None:
                target = t.expr(node.input, env, where) if i == 0 else stages[i - 1]
                state["rhs"] = order * (target - stage) / time

            state["initial"] = lambda: t.expr(node.initial, env, where)
        t.pending.append(rhs)

    # ------------------------------------------------------------------ STEP, PULSE, RAMP
    def schedule(self, name: str, args: list[sp.Expr], where: str) -> sp.Expr:
        """STEP, PULSE, PULSE TRAIN, RAMP (and XMILE's 2-argument RAMP and impulses)."""
        t = self.t
        dt = t.control["time_step"]
        constant = [t.is_constant(a) for a in args]
        if name == "step":
            height, at = _arity(args, 2, "STEP", where)
            if constant[1]:
                at = t.constant_value(at, where, "the STEP time")
                return height * self._multiplier("step", Step, where, at=at, to=1.0)
            return sp.Piecewise((height, TIME >= at), (0, True))
        if name == "pulse":
            start, width = _arity(args, 2, "PULSE", where)
            if constant[0] and constant[1]:
                start = t.constant_value(start, where, "the PULSE start")
                width = t.constant_value(width, where, "the PULSE width")
                if width <= 0:
                    raise ModelFileError(
                        f"{where}: PULSE of width {width:g}; give a positive width"
                    )
                return self._multiplier("pulse", Pulse, where, start=start, width=width, size=1.0)
            return sp.Piecewise((1, sp.And(TIME >= start, TIME < start + width)), (0, True))
        if name in ("ramp", "xramp"):
            if name == "xramp":
                slope, start = _arity(args, 2, "RAMP", where)
                return sp.Piecewise((slope * (TIME - start), TIME > start), (0, True))
            slope, start, end = _arity(args, 3, "RAMP", where)
            if constant[1] and constant[2]:
                start = t.constant_value(start, where, "the RAMP start")
                end = t.constant_value(end, where, "the RAMP end")
                if end > start:
                    return slope * self._multiplier(
                        "ramp", Ramp, where, start=start, end=end, to=end - start
                    )
                return sp.Integer(0)
            return sp.Piecewise(
                (0, TIME <= start),
                (slope * (TIME - start), TIME < end),
                (slope * (end - start), True),
            )
        if name == "pulse_train":
            start, interval, width, end = _arity(args, 4, "PULSE TRAIN", where)
            return self._train(start, interval, width, end, 1.0, where)
        if name == "xpulse":
            start, magnitude = _arity(args, 2, "PULSE", where)
            return (magnitude / dt) * self._train(start, sp.Integer(0), dt, None, 1.0, where)
        if name == "xpulse_train":
            start, interval, magnitude = _arity(args, 3, "PULSE", where)
            return (magnitude / dt) * self._train(start, interval, dt, None, 1.0, where)
        raise ModelFileError(f"{where}: unknown schedule {name}")  # pragma: no cover

    def _train(self, start, interval, width, end, size, where) -> sp.Expr:  # noqa: ANN001
        t = self.t
        parts = [start, interval, width] + ([end] if end is not None else [])
        if not all(t.is_constant(sp.sympify(p)) for p in parts):
            raise ModelFileError(
                f"{where} uses PULSE TRAIN with time-varying arguments; give constant "
                "start, interval, width and end"
            )
        start = t.constant_value(sp.sympify(start), where, "the pulse start")
        interval = t.constant_value(sp.sympify(interval), where, "the pulse interval")
        width = t.constant_value(sp.sympify(width), where, "the pulse width")
        final = t.control["final_time"]
        end = final if end is None else min(t.constant_value(sp.sympify(end), where, "end"), final)
        if width <= 0:
            raise ModelFileError(f"{where}: pulse of width {width:g}; give a positive width")
        starts = [start]
        if interval > 0:
            count = math.floor((end - start) / interval) + 1
            if count > MAX_PULSES:
                raise ModelFileError(f"{where}: PULSE TRAIN of {count} pulses is too long")
            starts = [
                start + k * interval for k in range(max(count, 0)) if start + k * interval < end
            ]
        name = self._name("pulse")
        self.t.params[name] = Parameter(name, 0.0, description="pulse train (0 or 1)")
        for s in starts:
            self.t.interventions.append(Pulse(name, s, min(width, interval or width), size))
        return sp.Symbol(name)

    def _name(self, kind: str) -> str:
        return identifier(f"{kind}", self.t.taken)

    def _multiplier(self, kind: str, cls: type, where: str, **times: float) -> sp.Symbol:
        name = self._name(kind)
        description = {
            "step": "STEP: 0 before, 1 from t = {at:g}",
            "pulse": "PULSE: 1 during [{start:g}, {start:g} + {width:g}), else 0",
            "ramp": "RAMP: t - {start:g} between {start:g} and {end:g}, held after",
        }[kind].format(**times)
        self.t.params[name] = Parameter(name, 0.0, description=description)
        self.t.interventions.append(cls(name, **times))
        return sp.Symbol(name)

    # ------------------------------------------------------------------ after translation
    def schedules_at(self, expr: sp.Expr, time: float) -> sp.Expr:
        """Replace the multiplier parameters by their values at ``time``."""
        if not self.t.interventions:
            return expr
        values: dict[sp.Symbol, float] = {}
        for intervention in self.t.interventions:
            symbol = sp.Symbol(intervention.param)
            base = values.get(symbol, self.t.params[intervention.param].value)
            values[symbol] = sp.Float(float(intervention.apply(time, np.array([float(base)]))[0]))
        return expr.xreplace(values)

    def finalise(self, expr: sp.Expr) -> sp.Expr:
        """Run-time form: ACTIVE INITIAL -> its first argument; INITIAL(e) -> ``e`` when ``e``
        is constant, else a state with zero rate started at ``e`` (INITIAL TIME)."""
        expr = expr.replace(ActiveInitial, lambda run, init: run)
        for held in sorted(expr.atoms(InitialValue), key=str):
            inner = held.args[0]
            if held in self.held:
                expr = expr.xreplace({held: self.held[held]})
                continue
            if self.t.is_constant(inner):
                expr = expr.xreplace({held: inner})
                continue
            value = initial_mode(inner).xreplace({TIME: sp.Float(self.t.control["initial_time"])})
            value = self.schedules_at(value, self.t.control["initial_time"])
            value = value.xreplace(
                {sp.Symbol(n): sp.Float(p.value) for n, p in self.t.params.items()}
            )
            value = value.xreplace(
                {sp.Symbol(n): sp.Float(v) for n, v in self.t.initial_of.items()}
            )
            if value.free_symbols:
                raise ModelFileError(
                    f"{self.t.where}: INITIAL({inner}) is not defined at the start"
                )
            name = identifier(f"initial_{self.count}", self.t.taken)
            self.count += 1
            self.t.states[name] = {"display": f"INITIAL({inner})", "unit": "", "rhs": None}
            self.extra_rhs[name] = sp.Integer(0)
            self.extra_initial[name] = float(value)
            self.held[held] = sp.Symbol(name)
            expr = expr.xreplace({held: sp.Symbol(name)})
        return expr


def _arity(args: list[sp.Expr], n: int, name: str, where: str) -> list[sp.Expr]:
    if len(args) != n:
        raise ModelFileError(f"{where}: {name} takes {n} arguments, not {len(args)}")
    return args
