"""The compile stage's entry point: :func:`compile_model` turns a symbolic
:class:`~richardson.model.Model` into a :class:`CompiledModel` of fast, batched numpy functions.

Two code shapes are generated, chosen by ``strategy``: ``"scalar"`` (:mod:`.scalar`: every
right-hand side, Jacobian entry and parameter derivative as one expression after
common-subexpression elimination; best for a handful of states) and ``"structured"``
(:mod:`.structured`: terms linear in the states become matrix products, products of two
states sparse products, and only the nonlinear remainder is differentiated symbolically).
A model that carries a term layout (``rd.alliance_model``) compiles, above six states, to
``"vectorised"`` code (:mod:`.vectorised`: numpy over actor arrays, built from the layout
without reading the sympy right-hand sides).

Everything is batched: ``y`` may be ``(n,)`` or ``(n, m)`` and ``p`` ``(P,)`` or ``(P, m)``
(one parameter set per column). Compiled models are cached by a hash of the equations.
Generated source stays on the object (``CompiledModel.source``) and is registered with
``linecache`` so that tracebacks show it; the entry is dropped when the compiled model is
garbage collected, so ``linecache`` holds only the source of compiled models still alive. A
compiled model pickles as its source (and the arrays the source refers to), so it crosses
process pools; unpickling compiles that source again.
"""

from __future__ import annotations

import linecache
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..model.core import Model
from ..model.delays import refuse_delays
from .scalar import _ScalarEmitter
from .structured import _StructuredEmitter
from .vectorised import emit_vectorised

__all__ = ["CompiledModel", "BoundSystem", "compile_model", "STRATEGIES"]

STRATEGIES = ("auto", "scalar", "structured", "vectorised")

#: ``strategy="auto"`` generates scalar code up to this many states.
SCALAR_MAX_STATES = 6

_CACHE_SIZE = 64

_cache: dict[tuple[str, str], CompiledModel] = {}

_counter = [0]


# ---------------------------------------------------------------------- result objects
@dataclass(frozen=True, eq=False)
class CompiledModel:
    """Numerical functions generated from a model.

    Attributes
    ----------
    states, param_names : tuple of str
        Order of the entries of ``y`` and ``p``.
    kind : str
        ``"ode"`` or ``"map"``.
    is_linear : bool
        True when the right-hand sides are affine in the states with coefficients that do not
        depend on the states or time (the classic Richardson family).
    strategy : str
        ``"scalar"``, ``"structured"`` or ``"vectorised"`` (see the module docstring).
    source : str
        The generated Python source (registered with :mod:`linecache` so tracebacks show it).
    fingerprint : str
        Hash of the model equations this was generated from.
    """

    states: tuple[str, ...]
    param_names: tuple[str, ...]
    kind: str
    is_linear: bool
    is_autonomous: bool
    strategy: str
    source: str
    fingerprint: str
    _functions: dict[str, Callable[..., np.ndarray]] = field(repr=False)
    _namespace: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def n_states(self) -> int:
        return len(self.states)

    def rhs(self, t: float, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Right-hand side ``f(t, y, p)``.

        Parameters
        ----------
        t : float
            Time (same unit as the model's ``time_unit``); for maps, the step index.
        y : numpy.ndarray
            State, shape ``(n,)`` or ``(n, m)`` (m systems side by side).
        p : numpy.ndarray
            Parameters in ``param_names`` order, shape ``(P,)`` or ``(P, m)``.

        Returns
        -------
        numpy.ndarray
            Shape ``(n,)`` or ``(n, m)``: rates of change (ODE) or next states (map).
        """
        return self._functions["rhs"](t, y, p)

    def jac(self, t: float, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Jacobian ``df/dy``, shape ``(n, n)`` or ``(n, n, m)``."""
        return self._functions["jac"](t, y, p)

    def jac_p(self, t: float, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Parameter Jacobian ``df/dp``, shape ``(n, P)`` or ``(n, P, m)``."""
        return self._functions["jac_p"](t, y, p)

    def bind(self, p: np.ndarray) -> BoundSystem:
        """Fix the parameters and return the leanest ``f(t, y)`` and ``df/dy(t, y)``.

        For linear models the matrix ``A`` and vector ``b`` of ``f = A y + b`` are evaluated
        once, so each call is one matrix product; this is what the simulator integrates.
        With one parameter set per column (batched runs of many parameter sets), scalar code
        evaluates the parts of ``f`` that involve parameters alone once (a threshold over a
        width, the sum of the constant terms), so each call computes only what depends on
        the states and time.

        Parameters
        ----------
        p : numpy.ndarray
            Parameter vector ``(P,)``, or one per column ``(P, m)`` (``y`` then ``(n, m)``).
        """
        p = np.asarray(p, dtype=float)
        if self.is_linear and self.is_autonomous and p.ndim == 1:
            zero = np.zeros(self.n_states)
            matrix = np.ascontiguousarray(self.jac(0.0, zero, p))
            offset = np.ascontiguousarray(self.rhs(0.0, zero, p))
            return BoundSystem(
                rhs=lambda t, y: matrix @ y + (offset if y.ndim == 1 else offset[:, None]),
                jac=lambda t, y: matrix,
                matrix=matrix,
                offset=offset,
            )
        if "bind" in self._functions and p.ndim == 1:  # vectorised code folds the terms
            rhs, jac = self._functions["bind"](p)
            return BoundSystem(rhs=rhs, jac=jac)
        rhs, jac = self._functions["rhs"], self._functions["jac"]
        if "bind_rhs" in self._functions and p.ndim > 1:
            return BoundSystem(rhs=self._functions["bind_rhs"](p), jac=lambda t, y: jac(t, y, p))
        return BoundSystem(rhs=lambda t, y: rhs(t, y, p), jac=lambda t, y: jac(t, y, p))

    def __reduce__(self) -> tuple[Callable[..., CompiledModel], tuple[Any, ...]]:
        return _restore, (
            self.states,
            self.param_names,
            self.kind,
            self.is_linear,
            self.is_autonomous,
            self.strategy,
            self.source,
            self.fingerprint,
            self._namespace,
        )

    def __repr__(self) -> str:
        return (
            f"<CompiledModel {len(self.states)} states, {len(self.param_names)} params, "
            f"strategy={self.strategy!r}, linear={self.is_linear}>"
        )


@dataclass(frozen=True, eq=False)
class BoundSystem:
    """``f(t, y)`` and ``df/dy(t, y)`` with the parameters fixed (see :meth:`CompiledModel.bind`).

    ``matrix`` and ``offset`` are set for linear models (``f = matrix @ y + offset``).
    """

    rhs: Callable[[float, np.ndarray], np.ndarray]
    jac: Callable[[float, np.ndarray], np.ndarray]
    matrix: np.ndarray | None = None
    offset: np.ndarray | None = None


# ---------------------------------------------------------------------- entry point
def compile_model(model: Model, strategy: str = "auto") -> CompiledModel:
    """Generate (or fetch from the cache) the numpy functions of ``model``.

    Parameters
    ----------
    model : Model
        The symbolic model.
    strategy : {"auto", "scalar", "structured", "vectorised"}
        Code shape; ``"auto"`` picks scalar code for up to six states, and for larger
        models that carry a term layout (``rd.alliance_model``) vectorised code.

    Returns
    -------
    CompiledModel

    Raises
    ------
    ModelError
        If the model has delayed terms (``delayed(y, tau)``), which an ODE would ignore.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, not {strategy!r}")
    refuse_delays(model, "compiling the model as an ODE")
    layout = getattr(model.rhs, "layout", None)
    if strategy == "auto":
        strategy = "scalar" if model.n_states <= SCALAR_MAX_STATES else "structured"
        if strategy == "structured" and layout is not None:
            strategy = "vectorised"
    if strategy == "vectorised" and layout is None:
        raise ValueError(
            "strategy='vectorised' needs a model that carries a term layout "
            "(rd.alliance_model); use 'structured' for this model"
        )
    key = (model.fingerprint, strategy)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    if strategy == "vectorised":
        source, namespace = emit_vectorised(model)
        is_linear = layout.is_linear
    else:
        emitter = _ScalarEmitter(model) if strategy == "scalar" else _StructuredEmitter(model)
        source, namespace = emitter.emit()
        is_linear = emitter.is_linear
    compiled = _restore(
        model.states,
        model.param_names,
        model.kind,
        is_linear,
        model.is_autonomous,
        strategy,
        source,
        model.fingerprint,
        namespace,
    )
    if len(_cache) >= _CACHE_SIZE:
        _cache.pop(next(iter(_cache)))
    _cache[key] = compiled
    return compiled


def _restore(
    states: tuple[str, ...],
    param_names: tuple[str, ...],
    kind: str,
    is_linear: bool,
    is_autonomous: bool,
    strategy: str,
    source: str,
    fingerprint: str,
    namespace: dict[str, Any],
) -> CompiledModel:
    """Compile generated ``source`` into a :class:`CompiledModel` (also how one unpickles)."""
    _counter[0] += 1
    filename = f"<richardson-generated-{fingerprint[:12]}-{_counter[0]}>"
    code = compile(source, filename, "exec")
    scope: dict[str, Any] = {"numpy": np, **namespace}
    exec(code, scope)  # noqa: S102 -- our own generated source, never user text
    compiled = CompiledModel(
        states=tuple(states),
        param_names=tuple(param_names),
        kind=kind,
        is_linear=is_linear,
        is_autonomous=is_autonomous,
        strategy=strategy,
        source=source,
        fingerprint=fingerprint,
        _functions={
            name: scope[name]
            for name in ("rhs", "jac", "jac_p", "bind", "bind_rhs")
            if name in scope
        },
        _namespace=dict(namespace),
    )
    # tracebacks show the generated lines while the compiled model lives; then the entry goes
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    weakref.finalize(compiled, linecache.cache.pop, filename, None)
    return compiled
