"""The symbolic model: states, parameters and right-hand sides (no numerics here).

A :class:`Model` is immutable. It is validated when it is built, and every change
(:meth:`Model.with_params`) returns a new model. Code generation lives in
:mod:`richardson.codegen`; a model never calls a solver.
"""

from __future__ import annotations

import hashlib
import keyword
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp

from ..errors import (
    DimensionMismatchError,
    DuplicateNameError,
    InvalidParameterError,
    ModelError,
    UnknownSymbolError,
    did_you_mean,
)
from ._admissible import problem, real_form
from ._deferred import DeferredRhs
from ._frozen import FrozenMapping
from ._names import nfkc, normalisation_collisions
from .delays import Delay, check_delays, find_delays, undelayed_form
from .parameter import Parameter, _as_parameter, _short

__all__ = ["Parameter", "Model", "TIME"]

#: The symbol for time; a right-hand side may use it (non-autonomous models).
TIME = sp.Symbol("t")
_TIME_NAME = "t"

_KINDS = ("ode", "map")


def _check_identifier(name: Any, what: str) -> str:
    if isinstance(name, sp.Symbol):  # what a sympy user passes first
        name = name.name
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ModelError(
            f"{what} name {name!r} is not a valid identifier; use letters, digits and "
            "underscores, not starting with a digit (put display names in actors=...)"
        )
    if name == _TIME_NAME:
        raise ModelError(f"{what} name 't' is reserved for time; choose another name")
    return name


@dataclass(frozen=True, eq=False)
class Model:
    """An arms-race model: states, parameters and right-hand sides, symbolically.

    ``kind="ode"`` means ``dx_i/dt = rhs_i(x, p, t)``; ``kind="map"`` means the
    difference equation ``x_i[n+1] = rhs_i(x[n], p, n)``.

    Parameters
    ----------
    states : sequence of str or sympy.Symbol
        State names (one per actor for a Richardson model), valid identifiers; a sympy
        ``Symbol`` stands for its name.
    params : mapping
        Parameter name (str or sympy ``Symbol``) -> default value, :class:`Parameter`, or
        dict with ``value`` and optional ``bounds``, ``unit``, ``description``, ``source``.
    rhs : sequence of sympy expressions, or mapping state -> expression
        Right-hand sides in the order of ``states``. They may use the states, the
        parameters and time ``t`` (:data:`TIME`), nothing else.
    kind : {"ode", "map"}
        Continuous time (differential equations) or discrete time (difference equations).
    actors : sequence of str, optional
        Display name of each state (e.g. ``"Austria-Hungary"``); defaults to the state names.
    blocs : mapping of str to sequence of str, optional
        Alliance membership: bloc name -> member states.
    name, description : str, optional
        Title and a sentence on what the model represents.
    state_unit : str, optional
        Unit of the states, e.g. ``"thousand current USD"``.
    time_unit : str, optional
        Unit of time, ``"year"`` by default.
    initial : mapping of str to float, optional
        Default initial state used when a simulation gets no ``y0``.
    interventions : sequence, optional
        Scheduled parameter changes (:func:`richardson.step` and friends) that belong to
        the scenario; applied by every simulation of this model.
    observables : mapping of str to sympy expression, optional
        Named quantities computed from the states, parameters and time, reported by every
        trajectory as extra columns (``Trajectory.observables``); they do not enter the
        right-hand sides. An imported Vensim model keeps its auxiliaries here, under their
        Vensim names (``"Output Delay1"``, ``"Flow[a,b]"``).
    metadata : mapping, optional
        Free-form provenance (sources, regime claimed by the author, notes).

    Raises
    ------
    ModelError
        With a subclass naming the problem: :class:`UnknownSymbolError`,
        :class:`DimensionMismatchError`, :class:`DuplicateNameError`,
        :class:`InvalidParameterError`.

    Examples
    --------
    >>> import sympy as sp
    >>> import richardson as rd
    >>> x, y, k, l, a, b = sp.symbols("x y k l a b")
    >>> m = rd.Model(["x", "y"], {"k": 0.9, "l": 0.8, "a": 1.0, "b": 1.1},
    ...              [k * y - a * x, l * x - b * y])
    >>> m.param_names
    ('k', 'l', 'a', 'b')
    """

    states: tuple[str, ...]
    params: Mapping[str, Parameter]
    rhs: tuple[sp.Expr, ...]
    kind: str = "ode"
    actors: tuple[str, ...] = ()
    blocs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    name: str = ""
    description: str = ""
    state_unit: str = ""
    time_unit: str = "year"
    initial: Mapping[str, float] = field(default_factory=dict)
    interventions: tuple[Any, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    observables: Mapping[str, sp.Expr] = field(default_factory=dict)

    def __post_init__(self) -> None:
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        if isinstance(self.states, str):
            raise ModelError("states must be a sequence of names, e.g. ['x', 'y'], not one string")
        states = tuple(_check_identifier(s, "state") for s in self.states)
        _reject_duplicates(states, "state")
        if not isinstance(self.params, Mapping):
            raise ModelError("params must be a mapping name -> value (or Parameter)")
        named = [(_check_identifier(n, "parameter"), v) for n, v in self.params.items()]
        params = {n: _as_parameter(n, v) for n, v in named}
        clash = sorted(set(states) & set(params))
        if clash:
            raise DuplicateNameError(
                f"{clash[0]!r} is declared both as a state and as a parameter; rename one of them"
            )
        same = normalisation_collisions([*states, *params, _TIME_NAME])
        if same:
            raise DuplicateNameError(
                f"names {same[0]!r} and {same[1]!r} are different text but Python reads both "
                f"as {nfkc(same[1])!r} (NFKC normalisation); rename one of them"
            )
        if self.kind not in _KINDS:
            raise ModelError(f"kind must be 'ode' or 'map', not {self.kind!r}")
        rhs = self.rhs
        deferred = isinstance(rhs, DeferredRhs)  # an alliance model's, built on first use
        if isinstance(rhs, Mapping):
            missing = [s for s in states if s not in rhs]
            extra = [s for s in rhs if s not in states]
            if missing or extra:
                raise DimensionMismatchError(
                    f"rhs mapping must have one entry per state; missing {missing}, "
                    f"unexpected {extra}"
                )
            rhs = [rhs[s] for s in states]
        rhs = rhs if deferred else tuple(rhs)
        if len(rhs) != len(states):
            raise DimensionMismatchError(
                f"{len(states)} states but {len(rhs)} right-hand sides; give exactly one "
                "right-hand side per state, in the order of states"
            )
        set_("states", states)
        set_("params", FrozenMapping(params))
        set_("rhs", rhs if deferred else tuple(self._canonical_rhs(rhs)))
        actors = tuple(self.actors) if self.actors else states
        if len(actors) != len(states):
            raise DimensionMismatchError(
                f"{len(actors)} actor names for {len(states)} states; give one display name "
                "per state"
            )
        set_("actors", tuple(str(a) for a in actors))
        blocs = {}
        for bloc, members in dict(self.blocs).items():
            members = (members,) if isinstance(members, str) else tuple(members)
            for member in members:
                if member not in states:
                    raise UnknownSymbolError(
                        f"bloc {bloc!r} lists member {member!r}, which is not a state"
                        f"{did_you_mean(member, states)}"
                    )
            blocs[str(bloc)] = members
        set_("blocs", FrozenMapping(blocs))
        initial = {}
        for state, value in dict(self.initial).items():
            if state not in states:
                raise UnknownSymbolError(
                    f"initial value given for {state!r}, which is not a state"
                    f"{did_you_mean(state, states)}"
                )
            try:
                value = float(value)
            except (TypeError, ValueError, OverflowError) as err:
                raise InvalidParameterError(
                    f"initial value of {state!r} is {_short(value)}, which is not a number that "
                    "fits a double; give a finite number"
                ) from err
            if not math.isfinite(value):
                raise InvalidParameterError(
                    f"initial value of {state!r} is {value}; give a finite number"
                )
            initial[state] = value
        set_("initial", FrozenMapping(initial))
        set_("interventions", tuple(self.interventions))
        for intervention in self.interventions:
            check = getattr(intervention, "check_against", None)
            if check is None:
                raise ModelError(
                    f"{intervention!r} is not an intervention; use richardson.step, pulse or ramp"
                )
            check(self)
        set_("metadata", FrozenMapping(dict(self.metadata)))
        set_("observables", FrozenMapping(self._canonical_observables()))
        check_delays(self.delays, states, self.defaults, self.kind, self.observables.items())

    def _canonical_observables(self) -> dict[str, sp.Expr]:
        if not isinstance(self.observables, Mapping):
            raise ModelError("observables must be a mapping name -> sympy expression")
        if not self.observables:
            return {}
        names = list(self.observables)
        exprs = list(self._canonical_rhs(list(self.observables.values()), names, "observable"))
        clash = sorted(set(names) & (set(self.states) | set(self.params)))
        if clash:
            raise DuplicateNameError(
                f"observable {clash[0]!r} has the name of a state or parameter; rename it"
            )
        return dict(zip((str(n) for n in names), exprs, strict=True))

    def _canonical_rhs(
        self, rhs: Sequence[Any], names: Sequence[str] | None = None, what: str = "right-hand side"
    ) -> Iterable[sp.Expr]:
        """Convert to sympy, check symbols, and replace them by canonical plain symbols."""
        known = dict(zip(self.states, self.state_symbols, strict=True))
        known.update(zip(self.params, self.param_symbols, strict=True))
        known[_TIME_NAME] = TIME
        reals: dict[str, sp.Symbol] = {}
        plain = {str(symbol): symbol for symbol in known.values()}
        label = "right-hand side of" if what == "right-hand side" else f"{what}"
        for state, expr in zip(self.states if names is None else names, rhs, strict=True):
            if isinstance(expr, str):
                raise ModelError(
                    f"{label} {state!r} is a string; build it with sympy symbols, or "
                    "load text equations with richardson.load_model (which parses them safely)"
                )
            if isinstance(expr, (int, float, np.integer, np.floating)):
                expr = (
                    sp.Float(expr) if isinstance(expr, (float, np.floating)) else sp.Integer(expr)
                )
            if not isinstance(expr, sp.Expr):
                raise ModelError(
                    f"{label} {state!r} is {type(expr).__name__}, not a sympy expression"
                )
            subs = {}
            for symbol in expr.free_symbols:
                name = symbol.name if isinstance(symbol, sp.Symbol) else str(symbol)
                if name not in known:
                    raise UnknownSymbolError(
                        f"{label} {state!r} uses {name!r}, which is neither a state nor "
                        f"a parameter; declare it in params=... or fix the spelling"
                        f"{did_you_mean(name, known)}"
                    )
                if symbol != known[name]:
                    subs[symbol] = known[name]
            if expr.has(sp.Function) and any(
                isinstance(f, sp.core.function.AppliedUndef) for f in expr.atoms(sp.Function)
            ):
                raise ModelError(
                    f"{label} {state!r} uses an undefined function; use sympy functions "
                    "such as exp, log, tanh, Min, Max."
                )
            expr = expr.xreplace(subs) if subs else expr
            # states and parameters are real: abs(exp(x)) is exp(x), never exp(re(x))
            real, expr = real_form(expr, reals, plain)
            why = problem(real)
            if why is not None:
                raise ModelError(f"{label} {state!r} is not admissible: {why}.")
            yield expr

    # ------------------------------------------------------------------ accessors
    @property
    def param_names(self) -> tuple[str, ...]:
        """Parameter names in the order of the parameter vector."""
        return tuple(self.params)

    @property
    def n_states(self) -> int:
        """Number of states (actors)."""
        return len(self.states)

    @property
    def defaults(self) -> dict[str, float]:
        """Parameter name -> default value."""
        return {name: p.value for name, p in self.params.items()}

    @cached_property
    def state_symbols(self) -> tuple[sp.Symbol, ...]:
        """The sympy symbols of the states, in order."""
        return tuple(sp.Symbol(s) for s in self.states)

    @cached_property
    def param_symbols(self) -> tuple[sp.Symbol, ...]:
        """The sympy symbols of the parameters, in order."""
        return tuple(sp.Symbol(p) for p in self.params)

    @cached_property
    def delays(self) -> tuple[Delay, ...]:
        """The delayed terms ``delayed(y, tau)`` of the right-hand sides (empty: none)."""
        if isinstance(self.rhs, DeferredRhs):
            return ()  # alliance terms have no delays; reading them would build the rhs
        return find_delays(self.rhs)

    @cached_property
    def is_autonomous(self) -> bool:
        """True when no right-hand side depends explicitly on time."""
        if isinstance(self.rhs, DeferredRhs):
            return self.rhs.is_autonomous
        return not any(TIME in expr.free_symbols for expr in self.rhs)

    @cached_property
    def fingerprint(self) -> str:
        """A hash of the equations and names (what compiled code depends on)."""
        digest = hashlib.sha256()
        for text in (self.kind, ",".join(self.states), ",".join(self.params)):
            digest.update(text.encode() + b"\n")
        if isinstance(self.rhs, DeferredRhs):  # what the expressions would be built from
            digest.update(self.rhs.digest.encode())
            return digest.hexdigest()
        for expr in self.rhs:
            digest.update(_serialise(expr).encode() + b"\n")
        return digest.hexdigest()

    def equations(self) -> list[sp.Eq]:
        """The equations as sympy ``Eq`` objects (``Derivative(x, t) = rhs`` or
        ``x[n+1] = rhs``)."""
        if self.kind == "ode":
            lhs = [sp.Symbol(rf"\dot{{{sp.latex(sp.Symbol(s))}}}") for s in self.states]
        else:
            lhs = [sp.Symbol(f"{sp.latex(sp.Symbol(s))}_{{n+1}}") for s in self.states]
        return [
            sp.Eq(left, right, evaluate=False) for left, right in zip(lhs, self.rhs, strict=True)
        ]

    def param_vector(
        self, params: Mapping[str, float] | None = None, **overrides: float
    ) -> np.ndarray:
        """Parameter vector in model order, defaults overridden by ``params`` and ``overrides``.

        Parameters
        ----------
        params : mapping, optional
            Parameter name -> value.
        **overrides : float
            More values by keyword.

        Returns
        -------
        numpy.ndarray
            Shape ``(n_params,)``.

        Raises
        ------
        UnknownSymbolError
            If a name is not a parameter.
        """
        values = dict(params or {})
        values.update(overrides)
        vector = np.array([p.value for p in self.params.values()], dtype=float)
        index = self.param_index
        for name, value in values.items():
            if name not in index:
                raise UnknownSymbolError(
                    f"{name!r} is not a parameter of this model{did_you_mean(name, self.params)}"
                )
            vector[index[name]] = float(value)
        return vector

    @cached_property
    def param_index(self) -> dict[str, int]:
        """Parameter name -> position in the parameter vector."""
        return {name: i for i, name in enumerate(self.params)}

    def initial_vector(self, y0: Any = None) -> np.ndarray:
        """Initial state as a vector: from ``y0`` (sequence or mapping) or the model's defaults.

        Raises
        ------
        ModelError
            If no initial state is given and the model has none for some state.
        """
        if y0 is None:
            missing = [s for s in self.states if s not in self.initial]
            if missing:
                raise ModelError(
                    f"no initial value for {missing}; pass y0=... or declare initial values in "
                    "the model"
                )
            return np.array([self.initial[s] for s in self.states], dtype=float)
        if isinstance(y0, Mapping):
            unknown = [s for s in y0 if s not in self.states]
            if unknown:
                raise UnknownSymbolError(
                    f"initial value given for {unknown[0]!r}, which is not a state"
                    f"{did_you_mean(str(unknown[0]), self.states)}"
                )
            merged = {**self.initial, **y0}
            missing = [s for s in self.states if s not in merged]
            if missing:
                raise ModelError(f"no initial value for {missing}; add them to y0")
            return np.array([merged[s] for s in self.states], dtype=float)
        vector = np.asarray(y0, dtype=float)
        if vector.shape[0] != self.n_states:
            raise DimensionMismatchError(
                f"y0 has {vector.shape[0]} entries but the model has {self.n_states} states "
                f"{list(self.states)}"
            )
        return vector

    # ------------------------------------------------------------------ changes
    def with_params(self, params: Mapping[str, Any] | None = None, **values: Any) -> Model:
        """Return a copy with new default values (or full :class:`Parameter` specs).

        Parameters
        ----------
        params : mapping, optional
            Name -> value or :class:`Parameter`.
        **values
            More by keyword.

        Raises
        ------
        UnknownSymbolError
            If a name is not a parameter.
        InvalidParameterError
            If a value is non-finite or outside the parameter's bounds.
        """
        updates = dict(params or {})
        updates.update(values)
        new = dict(self.params)
        for name, value in updates.items():
            if name not in new:
                raise UnknownSymbolError(
                    f"{name!r} is not a parameter of this model{did_you_mean(name, new)}"
                )
            if isinstance(value, (Parameter, Mapping)):
                new[name] = _as_parameter(name, value)
            else:
                new[name] = replace(new[name], value=value)
        return replace(self, params=new)

    def without_delays(self) -> Model:
        """Return a copy with every lag set to zero (``delayed(y, tau)`` -> ``y``)."""
        return undelayed_form(self) if self.delays else self

    def with_interventions(self, *interventions: Any) -> Model:
        """Return a copy whose scenario carries ``interventions`` in addition to its own."""
        return replace(self, interventions=self.interventions + tuple(interventions))

    def without_interventions(self) -> Model:
        """Return a copy without the scenario's interventions: every parameter keeps its base
        value for the whole run (the counterfactual of a scenario such as a hotline)."""
        return replace(self, interventions=())

    def compile(self):  # noqa: ANN201 (CompiledModel, imported lazily)
        """Generate fast numpy functions for this model (cached by :attr:`fingerprint`).

        Returns
        -------
        CompiledModel
            With ``rhs(t, y, p)``, ``jac(t, y, p)`` and ``jac_p(t, y, p)``.
        """
        from ..codegen.compiled import compile_model

        return compile_model(self)

    # ------------------------------------------------------------------ display
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Model):
            return NotImplemented
        return (
            self.states == other.states
            and dict(self.params) == dict(other.params)
            and all(
                a == b or sp.expand(a - b) == 0 for a, b in zip(self.rhs, other.rhs, strict=True)
            )
            and (self.kind, self.actors, dict(self.blocs), self.name, self.description)
            == (other.kind, other.actors, dict(other.blocs), other.name, other.description)
            and (self.state_unit, self.time_unit, dict(self.initial), self.interventions)
            == (other.state_unit, other.time_unit, dict(other.initial), other.interventions)
            and dict(self.observables).keys() == dict(other.observables).keys()
            and all(
                a == other.observables[n] or sp.expand(a - other.observables[n]) == 0
                for n, a in self.observables.items()
            )
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        title = f" {self.name!r}" if self.name else ""
        lines = [
            f"<Model{title} kind={self.kind!r}, {self.n_states} states, {len(self.params)} params>"
        ]
        shown = 0 if isinstance(self.rhs, DeferredRhs) and not self.rhs.is_built else 12
        shown = min(self.n_states, shown)
        arrow = "d{}/dt" if self.kind == "ode" else "{}[n+1]"
        for state, expr in zip(self.states[:shown], self.rhs[:shown], strict=True):
            text = str(expr)
            if len(text) > 100:
                text = text[:97] + "..."
            lines.append(f"  {arrow.format(state)} = {text}")
        if not shown:
            lines.append("  (right-hand sides built on first use of model.rhs)")
        elif self.n_states > shown:
            lines.append(f"  ... ({self.n_states - shown} more)")
        if len(self.params) <= 12:
            lines.append(
                "  params: " + ", ".join(f"{n}={p.value:g}" for n, p in self.params.items())
            )
        return "\n".join(lines)

    def _repr_latex_(self) -> str:
        shown = self.equations()[:20]
        body = r" \\ ".join(sp.latex(eq.lhs) + " &= " + sp.latex(eq.rhs) for eq in shown)
        if self.n_states > 20:
            body += rf" \\ & \vdots \quad ({self.n_states - 20}\ \text{{more}})"
        return r"$\begin{aligned}" + body + r"\end{aligned}$"


def _serialise(expr: sp.Basic) -> str:
    """Deterministic text of an expression tree (sympy keeps arguments in canonical order)."""
    parts: list[str] = []
    stack: list[Any] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            parts.append(node)
        elif node.args:
            parts.append(type(node).__name__ + "(")
            stack.append(")")
            stack.extend(reversed(node.args))
        elif isinstance(node, sp.Float):
            # str() rounds to 15 digits; the exact binary value tells every distinct float apart
            sign, mantissa, exponent, _ = node._mpf_
            parts.append(f"Float:{'-' if sign else ''}{mantissa:x}p{exponent}")
        else:
            name = getattr(node, "name", None)
            parts.append(f"{type(node).__name__}:{name if isinstance(name, str) else node}")
    return " ".join(parts)


def _reject_duplicates(names: Sequence[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DuplicateNameError(f"{what} {name!r} is declared twice; names must be unique")
        seen.add(name)
