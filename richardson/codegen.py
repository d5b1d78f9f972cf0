"""Compile a symbolic :class:`~richardson.model.Model` into fast, batched numpy functions.

Two code shapes are generated, chosen by ``strategy``:

``"scalar"``
    Every right-hand side, Jacobian entry and parameter derivative as one expression
    after common-subexpression elimination. Best for a handful of states.
``"structured"``
    Each right-hand side is split into terms linear in the states with coefficients
    that are monomials in the parameters and their reciprocals (Richardson's reaction and
    fatigue terms), terms free of states (grievances), products of two states (a ceiling's
    ``k x_j x_i / M_i``, submissiveness ``q x_i x_j``) and a nonlinear remainder. The linear
    part is emitted in matrix form: a block of parameters laid out row-major becomes
    ``p[o:o + n*n].reshape(n, n) @ y``, a diagonal becomes ``p[o:o + n] * y`` and the rest
    a sparse product, never ``n**2`` unrolled scalars; products of two states are a sparse
    product too. Only the remainder is differentiated symbolically (through symengine) and
    printed as scalar code after symengine's common-subexpression elimination.

Everything is batched: ``y`` may be ``(n,)`` or ``(n, m)`` and ``p`` ``(P,)`` or ``(P, m)``
(one parameter set per column). Compiled models are cached by a hash of the equations.
"""

from __future__ import annotations

import linecache
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse
import symengine
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from .model import TIME, Model

__all__ = ["CompiledModel", "BoundSystem", "compile_model", "STRATEGIES"]

STRATEGIES = ("auto", "scalar", "structured")
#: ``strategy="auto"`` generates scalar code up to this many states.
SCALAR_MAX_STATES = 6
_CACHE_SIZE = 64
_cache: dict[tuple[str, str], CompiledModel] = {}
_counter = [0]


class _Printer(NumPyPrinter):
    """numpy printer whose Min/Max are elementwise and broadcast (``numpy.minimum``)."""

    def _print_Min(self, expr: sp.Min) -> str:
        return self._nest("numpy.minimum", expr.args)

    def _print_Max(self, expr: sp.Max) -> str:
        return self._nest("numpy.maximum", expr.args)

    def _nest(self, func: str, args: Sequence[sp.Expr]) -> str:
        text = self._print(args[0])
        for arg in args[1:]:
            text = f"{func}({text}, {self._print(arg)})"
        return text


def _printer() -> _Printer:
    return _Printer({"fully_qualified_modules": True, "allow_unknown_functions": False})


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
        ``"scalar"`` or ``"structured"`` (see the module docstring).
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
        """Fix one parameter vector and return the leanest ``f(t, y)`` and ``df/dy(t, y)``.

        For linear models the matrix ``A`` and vector ``b`` of ``f = A y + b`` are evaluated
        once, so each call is one matrix product; this is what the simulator integrates.

        Parameters
        ----------
        p : numpy.ndarray
            Parameter vector, shape ``(P,)``.
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
        rhs, jac = self._functions["rhs"], self._functions["jac"]
        return BoundSystem(rhs=lambda t, y: rhs(t, y, p), jac=lambda t, y: jac(t, y, p))

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
    strategy : {"auto", "scalar", "structured"}
        Code shape; ``"auto"`` picks scalar code for up to six states.

    Returns
    -------
    CompiledModel
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, not {strategy!r}")
    if strategy == "auto":
        strategy = "scalar" if model.n_states <= SCALAR_MAX_STATES else "structured"
    key = (model.fingerprint, strategy)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    emitter = _ScalarEmitter(model) if strategy == "scalar" else _StructuredEmitter(model)
    source, namespace = emitter.emit()
    functions = _load(source, namespace, model.fingerprint)
    compiled = CompiledModel(
        states=model.states,
        param_names=model.param_names,
        kind=model.kind,
        is_linear=emitter.is_linear,
        is_autonomous=model.is_autonomous,
        strategy=strategy,
        source=source,
        fingerprint=model.fingerprint,
        _functions=functions,
    )
    if len(_cache) >= _CACHE_SIZE:
        _cache.pop(next(iter(_cache)))
    _cache[key] = compiled
    return compiled


def _load(source: str, namespace: dict[str, Any], fingerprint: str) -> dict[str, Callable]:
    _counter[0] += 1
    filename = f"<richardson-generated-{fingerprint[:12]}-{_counter[0]}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    code = compile(source, filename, "exec")
    scope: dict[str, Any] = {"numpy": np, **namespace}
    exec(code, scope)  # noqa: S102 -- our own generated source, never user text
    return {name: scope[name] for name in ("rhs", "jac", "jac_p")}


_PROLOGUE = """\
def _prepare(y, p):
    y = numpy.asarray(y, dtype=float)
    p = numpy.asarray(p, dtype=float)
    if y.ndim > 1:
        batch = y.shape[1:]
    elif p.ndim > 1:
        batch = p.shape[1:]
    else:
        batch = ()
    return y, p, batch
"""


class _Emitter:
    """Shared pieces of both code shapes: symbol naming, cse and printing."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.n = model.n_states
        self.P = len(model.params)
        self.state_pos = {sym: i for i, sym in enumerate(model.state_symbols)}
        self.param_pos = {sym: k for k, sym in enumerate(model.param_symbols)}
        self.namespace: dict[str, Any] = {}
        self.is_linear = False

    def _locals_for(self, names: set[str]) -> tuple[list[str], dict[str, str]]:
        """Lines binding the used states/params (by name) to local names, and the renaming."""
        states = {s.name: i for s, i in self.state_pos.items()}
        params = {s.name: k for s, k in self.param_pos.items()}
        lines, rename = [], {}
        for name in sorted(names):
            if name in states:
                rename[name] = f"_y{states[name]}"
                lines.append(f"    {rename[name]} = y[{states[name]}]")
            elif name in params:
                rename[name] = f"_p{params[name]}"
                lines.append(f"    {rename[name]} = p[{params[name]}]")
            elif name != TIME.name:  # pragma: no cover - Model validation forbids it
                raise AssertionError(f"unexpected symbol {name}")
        return lines, rename

    def _assignments(
        self, targets: Sequence[str], exprs: Sequence[Any], op: str = "="
    ) -> list[str]:
        """cse + print ``target op expr`` lines (states/params bound as locals first).

        ``exprs`` are sympy or symengine expressions. symengine's cse is used where every
        expression converts (it is orders of magnitude faster on large Jacobians), sympy's
        otherwise (functions symengine does not know).
        """
        if not exprs:
            return []
        try:
            se_exprs = [symengine.sympify(e) for e in exprs]
        except (RuntimeError, TypeError, ValueError, NotImplementedError, AttributeError):
            se_exprs = None
        if se_exprs is not None:
            lines, rename = self._locals_for({str(s) for e in se_exprs for s in e.free_symbols})
            table = {symengine.Symbol(a): symengine.Symbol(b) for a, b in rename.items()}
            # the subexpressions are named x0, x1, ...: no clash, every symbol is renamed
            replacements, reduced = symengine.cse([e.xreplace(table) for e in se_exprs])
            subexpressions = [(sym, _to_sympy(value)) for sym, value in replacements]
            reduced = [_to_sympy(e) for e in reduced]
        else:
            used = {s for e in exprs for s in e.free_symbols}
            lines, rename = self._locals_for({s.name for s in used})
            table = {s: sp.Symbol(rename[s.name]) for s in used if s.name in rename}
            subexpressions, reduced = sp.cse(
                [e.xreplace(table) for e in exprs], symbols=sp.numbered_symbols("_c"), order="none"
            )
        printer = _printer()
        for sym, sub in subexpressions:
            lines.append(f"    {sym} = {printer.doprint(sub)}")
        for target, expr in zip(targets, reduced, strict=True):
            lines.append(f"    {target} {op} {printer.doprint(expr)}")
        return lines


# ---------------------------------------------------------------------- scalar code
class _ScalarEmitter(_Emitter):
    def emit(self) -> tuple[str, dict[str, Any]]:
        model, n, P = self.model, self.n, self.P
        self.is_linear = _is_affine_in_states(model)
        states = model.state_symbols
        se_rhs = [symengine.sympify(e) for e in model.rhs]
        jac_entries, jac_p_entries = [], []
        for i, expr in enumerate(se_rhs):
            free = model.rhs[i].free_symbols
            for j, sym in enumerate(states):
                if sym in free:
                    jac_entries.append(((i, j), _derivative(model.rhs[i], expr, sym)))
            for k, sym in enumerate(model.param_symbols):
                if sym in free:
                    jac_p_entries.append(((i, k), _derivative(model.rhs[i], expr, sym)))
        jac_entries = [(ij, e) for ij, e in jac_entries if e != 0]
        jac_p_entries = [(ik, e) for ik, e in jac_p_entries if e != 0]
        src = [_PROLOGUE]
        src += [
            "def rhs(t, y, p):",
            "    y, p, batch = _prepare(y, p)",
            f"    out = numpy.empty(({n},) + batch)",
        ]
        src += self._assignments([f"out[{i}]" for i in range(n)], list(model.rhs))
        src += ["    return out", ""]
        src += [
            "def jac(t, y, p):",
            "    y, p, batch = _prepare(y, p)",
            f"    out = numpy.zeros(({n}, {n}) + batch)",
        ]
        src += self._assignments(
            [f"out[{i}, {j}]" for (i, j), _ in jac_entries], [e for _, e in jac_entries]
        )
        src += ["    return out", ""]
        src += [
            "def jac_p(t, y, p):",
            "    y, p, batch = _prepare(y, p)",
            f"    out = numpy.zeros(({n}, {P}) + batch)",
        ]
        src += self._assignments(
            [f"out[{i}, {k}]" for (i, k), _ in jac_p_entries], [e for _, e in jac_p_entries]
        )
        src += ["    return out", ""]
        return "\n".join(src), self.namespace


def _to_sympy(expr: Any) -> sp.Expr:
    return expr._sympy_() if hasattr(expr, "_sympy_") else sp.sympify(expr)


def _derivative(expr: sp.Expr, se_expr: Any, symbol: sp.Symbol) -> Any:
    """d expr / d symbol through symengine (fast; a symengine expression), or sympy where
    symengine leaves a ``Derivative`` unevaluated (Min, Max, Piecewise)."""
    result = se_expr.diff(symengine.Symbol(symbol.name))
    if result.atoms(symengine.Derivative):
        return sp.diff(expr, symbol)
    return result


def _is_affine_term(term: sp.Expr, state_pos: dict[sp.Symbol, int]) -> bool:
    """True when ``term`` is affine in the states (no state in its state derivatives)."""
    states = set(state_pos) & term.free_symbols
    if not states:
        return True
    try:  # symengine differentiates large terms orders of magnitude faster than sympy
        se_term = symengine.sympify(term)
    except (RuntimeError, TypeError, ValueError, NotImplementedError):
        se_term = None
    names = {s.name for s in state_pos}
    for s in states:
        if se_term is not None:
            derivative = se_term.diff(symengine.Symbol(s.name))
            if not derivative.atoms(symengine.Derivative):  # else (Min, Max): sympy below
                if {str(x) for x in derivative.free_symbols} & names:
                    return False
                continue
        if sp.diff(term, s).free_symbols & set(state_pos):
            return False
    return True


def _is_affine_in_states(model: Model) -> bool:
    states = set(model.state_symbols)
    for expr in model.rhs:
        if TIME in expr.free_symbols:
            return False
        for sym in states & expr.free_symbols:
            derivative = sp.diff(expr, sym)
            if derivative.free_symbols & states:
                return False
            if derivative.has(TIME):
                return False
    return True


# ---------------------------------------------------------------------- structured code
def _terms(expr: sp.Expr):  # noqa: ANN202
    """Additive terms of ``expr``, distributing products over sums only where there are any."""
    for term in sp.Add.make_args(expr):
        if term.is_Mul and any(f.is_Add for f in term.args):
            yield from sp.Add.make_args(sp.expand_mul(term))
        else:
            yield term


@dataclass
class _Atom:
    """``coef * prod(p[pidx]) * y[col] * y[col2]`` in row ``row`` (``col=None``: a state-free
    term; ``col2=None``: linear in the states). ``pidx`` indexes the parameter vector extended
    by the reciprocals of the parameters that appear in denominators."""

    row: int
    col: int | None
    coef: float
    pidx: tuple[int, ...]
    col2: int | None = None


class _StructuredEmitter(_Emitter):
    def emit(self) -> tuple[str, dict[str, Any]]:
        #: parameter index -> its reciprocal's index in the extended parameter vector
        self.reciprocal: dict[int, int] = {}
        linear, constant, quadratic, remainder = self._decompose()
        self.is_linear = (
            self.model.is_autonomous
            and not quadratic
            and all(_is_affine_term(term, self.state_pos) for terms in remainder for term in terms)
        )
        if self.reciprocal:
            self.namespace["_RECIPROCAL"] = np.array(list(self.reciprocal), dtype=np.intp)
        dense, diagonal, sparse_linear = self._layer_linear(linear)
        vectors, sparse_constant = self._layer_constant(constant)
        rem_rows = [i for i, terms in enumerate(remainder) if terms]
        rem_exprs = [sp.Add(*remainder[i]) for i in rem_rows]
        src = [_PROLOGUE]
        src += self._emit_rhs(
            dense,
            diagonal,
            sparse_linear,
            vectors,
            sparse_constant,
            quadratic,
            rem_rows,
            rem_exprs,
        )
        src += self._emit_jac(dense, diagonal, sparse_linear, quadratic, rem_rows, rem_exprs)
        src += self._emit_jac_p(linear + constant + quadratic, rem_rows, rem_exprs)
        return "\n".join(src), self.namespace

    # -- decomposition
    def _decompose(self) -> tuple[list[_Atom], list[_Atom], list[_Atom], list[list[sp.Expr]]]:
        linear: list[_Atom] = []
        constant: list[_Atom] = []
        quadratic: list[_Atom] = []
        remainder: list[list[sp.Expr]] = [[] for _ in range(self.n)]
        for row, expr in enumerate(self.model.rhs):
            for term in _terms(expr):
                atom = self._atom(row, term)
                if atom is None:
                    remainder[row].append(term)
                elif atom.col is None:
                    constant.append(atom)
                elif atom.col2 is None:
                    linear.append(atom)
                else:
                    quadratic.append(atom)
        return linear, constant, quadratic, remainder

    def _atom(self, row: int, term: sp.Expr) -> _Atom | None:
        """``term`` as an atom: a number times integer powers of parameters times at most two
        states (Richardson's submissiveness ``q x y``, a ceiling's ``k x y / M``); ``None`` for
        anything else."""
        coef, factors = term.as_coeff_mul(rational=False)
        if not coef.is_Number or not math.isfinite(float(coef)):
            return None
        states, pidx = [], []
        for factor in factors:
            base, exponent = factor.as_base_exp()
            if not exponent.is_Integer:
                return None
            power = int(exponent)
            if base in self.state_pos and power > 0:
                states += [self.state_pos[base]] * power
            elif base in self.param_pos and power > 0:
                pidx += [self.param_pos[base]] * power
            elif base in self.param_pos and power < 0:
                k = self.param_pos[base]
                index = self.reciprocal.setdefault(k, self.P + len(self.reciprocal))
                pidx += [index] * -power
            else:
                return None
        if len(states) > 2:
            return None
        states += [None] * (2 - len(states))
        return _Atom(row, states[0], float(coef), tuple(sorted(pidx)), states[1])

    def _layer_linear(self, atoms: list[_Atom]):
        n = self.n
        used = [False] * len(atoms)
        dense = []  # parameter offsets of full row-major blocks
        keys = Counter(
            a.pidx[0] - (a.row * n + a.col) for a in atoms if len(a.pidx) == 1 and a.coef == 1.0
        )
        for base, count in keys.items():
            if count == n * n and base >= 0:
                dense.append(base)
                for idx, a in enumerate(atoms):
                    if (
                        len(a.pidx) == 1
                        and a.coef == 1.0
                        and a.pidx[0] - (a.row * n + a.col) == base
                    ):
                        used[idx] = True
        diagonal = []  # (coef, offset): coef * p[offset:offset+n] * y
        keys = Counter(
            (a.coef, a.pidx[0] - a.row)
            for idx, a in enumerate(atoms)
            if not used[idx] and len(a.pidx) == 1 and a.row == a.col
        )
        for (coef, base), count in keys.items():
            if count == n and base >= 0:
                diagonal.append((coef, base))
                for idx, a in enumerate(atoms):
                    if (
                        not used[idx]
                        and len(a.pidx) == 1
                        and a.row == a.col
                        and (a.coef, a.pidx[0] - a.row) == (coef, base)
                    ):
                        used[idx] = True
        rest = [a for idx, a in enumerate(atoms) if not used[idx]]
        return dense, diagonal, rest

    def _layer_constant(self, atoms: list[_Atom]):
        n = self.n
        keys = Counter((a.coef, a.pidx[0] - a.row) for a in atoms if len(a.pidx) == 1)
        vectors = [(c, b) for (c, b), count in keys.items() if count == n and b >= 0]
        chosen = set(vectors)
        rest = [
            a for a in atoms if not (len(a.pidx) == 1 and (a.coef, a.pidx[0] - a.row) in chosen)
        ]
        return vectors, rest

    def _arrays(self, prefix: str, atoms: list[_Atom]) -> dict[int, str]:
        """Store index arrays of atoms grouped by degree; return degree -> name stem."""
        by_degree: dict[int, list[_Atom]] = defaultdict(list)
        for a in atoms:
            by_degree[len(a.pidx)].append(a)
        stems = {}
        for degree, group in sorted(by_degree.items()):
            stem = f"_{prefix}{degree}"
            self.namespace[stem + "_rows"] = np.array([a.row for a in group], dtype=np.intp)
            self.namespace[stem + "_cols"] = np.array(
                [a.col if a.col is not None else 0 for a in group], dtype=np.intp
            )
            if any(a.col2 is not None for a in group):  # products of two states
                self.namespace[stem + "_cols2"] = np.array(
                    [a.col2 if a.col2 is not None else 0 for a in group], dtype=np.intp
                )
            self.namespace[stem + "_coef"] = np.array([a.coef for a in group])[:, None]
            self.namespace[stem + "_pidx"] = np.array(
                [a.pidx for a in group], dtype=np.intp
            ).reshape(len(group), degree)
            self.namespace[stem + "_sum"] = scipy.sparse.csr_array(
                (np.ones(len(group)), (self.namespace[stem + "_rows"], np.arange(len(group)))),
                shape=(self.n, len(group)),
            )
            stems[degree] = stem
        return stems

    def _scatter_add(self, stem: str, flat: np.ndarray, size: int, values: str) -> str:
        """A line adding the rows of ``values`` (one per term) to rows ``flat`` of ``out``
        seen as ``(size, batch)``: fancy indexing when no two terms share a row, otherwise a
        sparse summing matrix (``numpy.add.at`` is ten times slower on batches)."""
        if np.unique(flat).size == flat.size:
            self.namespace[stem + "_flat"] = flat
            return f"    out.reshape({size}, -1)[{stem}_flat] += {values}"
        self.namespace[stem + "_scatter"] = scipy.sparse.csr_array(
            (np.ones(flat.size), (flat, np.arange(flat.size))), shape=(size, flat.size)
        )
        return f"    out.reshape({size}, -1)[...] += {stem}_scatter @ ({values})"

    def _head(self, name: str, shape: str) -> list[str]:
        """First lines of ``rhs``/``jac``/``jac_p``: 2-D views ``y2``, ``p2`` (``p2`` extended
        by the reciprocals of parameters that appear in denominators) and ``out`` of
        ``shape + (batch,)``, zeroed."""
        lines = [
            f"def {name}(t, y, p):",
            "    y, p, batch = _prepare(y, p)",
            f"    y2 = y.reshape({self.n}, -1)",
            f"    p2 = p.reshape({self.P}, -1)",
        ]
        if self.reciprocal:
            lines.append("    p2 = numpy.concatenate([p2, 1.0 / p2[_RECIPROCAL]])")
        return lines + [
            f"    out = numpy.zeros(({shape} max(y2.shape[1], p2.shape[1])))",
            f"    y2 = numpy.broadcast_to(y2, ({self.n}, out.shape[-1]))",
        ]

    @staticmethod
    def _weights(stem: str, degree: int) -> str:
        factors = [f"{stem}_coef"] + [f"p2[{stem}_pidx[:, {d}]]" for d in range(degree)]
        return " * ".join(factors)

    # -- rhs
    def _emit_rhs(
        self,
        dense,
        diagonal,
        sparse_linear,
        vectors,
        sparse_constant,
        quadratic,
        rem_rows,
        rem_exprs,
    ):
        n = self.n
        src = self._head("rhs", f"{n},")
        for base in dense:
            src += [
                "    if p2.shape[1] == 1:",
                f"        out += p2[{base}:{base + n * n}, 0].reshape({n}, {n}) @ y2",
                "    else:",
                f"        out += numpy.einsum('ijm,jm->im', "
                f"p2[{base}:{base + n * n}].reshape({n}, {n}, -1), y2)",
            ]
        for coef, base in diagonal:
            src.append(f"    out += {coef!r} * p2[{base}:{base + n}] * y2")
        for degree, stem in self._arrays("L", sparse_linear).items():
            src.append(f"    out += {stem}_sum @ ({self._weights(stem, degree)} * y2[{stem}_cols])")
        for coef, base in vectors:
            src.append(f"    out += {coef!r} * p2[{base}:{base + n}]")
        for degree, stem in self._arrays("C", sparse_constant).items():
            src.append(f"    out += {stem}_sum @ ({self._weights(stem, degree)})")
        for degree, stem in self._arrays("Q", quadratic).items():
            src.append(
                f"    out += {stem}_sum @ ({self._weights(stem, degree)} "
                f"* y2[{stem}_cols] * y2[{stem}_cols2])"
            )
        if rem_rows:
            src.append("    y, p = y2, p2")
            src += self._assignments([f"out[{i}]" for i in rem_rows], rem_exprs, op="+=")
        src += ["    return out.reshape((" + f"{n}," + ") + batch)", ""]
        return src

    # -- jac
    def _emit_jac(self, dense, diagonal, sparse_linear, quadratic, rem_rows, rem_exprs):
        n = self.n
        src = self._head("jac", f"{n}, {n},")
        for base in dense:
            src.append(f"    out += p2[{base}:{base + n * n}].reshape({n}, {n}, -1)")
        if diagonal:
            src.append(f"    _diag = numpy.arange({n})")
        for coef, base in diagonal:
            src.append(f"    out[_diag, _diag] += {coef!r} * p2[{base}:{base + n}]")
        for degree, stem in self._arrays("J", sparse_linear).items():
            flat = self.namespace[stem + "_rows"] * n + self.namespace[stem + "_cols"]
            src.append(self._scatter_add(stem, flat, n * n, self._weights(stem, degree)))
        # d/dy_a of c y_a y_b is c y_b (and the same with a and b swapped)
        halves = [_Atom(a.row, a.col, a.coef, a.pidx, a.col2) for a in quadratic]
        halves += [_Atom(a.row, a.col2, a.coef, a.pidx, a.col) for a in quadratic]
        for degree, stem in self._arrays("K", halves).items():
            flat = self.namespace[stem + "_rows"] * n + self.namespace[stem + "_cols"]
            values = f"{self._weights(stem, degree)} * y2[{stem}_cols2]"
            src.append(self._scatter_add(stem, flat, n * n, values))
        src += self._remainder_derivatives(
            rem_rows, rem_exprs, self.model.state_symbols, self.state_pos
        )
        src += [f"    return out.reshape(({n}, {n}) + batch)", ""]
        return src

    # -- jac_p
    def _emit_jac_p(self, atoms, rem_rows, rem_exprs):
        n, P = self.n, self.P
        src = self._head("jac_p", f"{n}, {P},")
        # d/dp_k of coef * prod(p[pidx]) * y[col] * y[col2]: one entry per factor position;
        # a reciprocal r = 1/p_k contributes dr/dp_k = -r**2
        real = {index: k for k, index in self.reciprocal.items()}
        derived: dict[int, list[tuple]] = defaultdict(list)
        for a in atoms:
            for pos, k in enumerate(a.pidx):
                others = a.pidx[:pos] + a.pidx[pos + 1 :]
                if k in real:
                    entry = (a.row, real[k], -a.coef, tuple(sorted(others + (k, k))), a.col, a.col2)
                else:
                    entry = (a.row, k, a.coef, others, a.col, a.col2)
                derived[len(entry[3])].append(entry)
        for degree, group in sorted(derived.items()):
            stem = f"_D{degree}"
            rows = np.array([g[0] for g in group], dtype=np.intp)
            ks = np.array([g[1] for g in group], dtype=np.intp)
            self.namespace.update(
                {
                    f"{stem}_coef": np.array([g[2] for g in group])[:, None],
                    f"{stem}_pidx": np.array([g[3] for g in group], dtype=np.intp).reshape(
                        len(group), degree
                    ),
                }
            )
            factors = [f"{stem}_coef"] + [f"p2[{stem}_pidx[:, {d}]]" for d in range(degree)]
            for slot, suffix in ((4, "cols"), (5, "cols2")):
                present = np.array([g[slot] is not None for g in group])
                if not present.any():
                    continue
                self.namespace[f"{stem}_{suffix}"] = np.array(
                    [g[slot] if g[slot] is not None else 0 for g in group], dtype=np.intp
                )
                self.namespace[f"{stem}_has_{suffix}"] = present[:, None]
                factors.append(f"numpy.where({stem}_has_{suffix}, y2[{stem}_{suffix}], 1.0)")
            src.append(self._scatter_add(stem, rows * P + ks, n * P, " * ".join(factors)))
        src += self._remainder_derivatives(
            rem_rows, rem_exprs, self.model.param_symbols, self.param_pos
        )
        src += [f"    return out.reshape(({n}, {P}) + batch)", ""]
        return src

    def _remainder_derivatives(self, rows, exprs, symbols, positions) -> list[str]:  # noqa: ANN001
        """``out[i, k] += d remainder_i / d symbols[k]`` lines (symengine derivatives, cse)."""
        entries = []
        for i, expr in zip(rows, exprs, strict=True):
            se_expr = symengine.sympify(expr)
            for k in sorted(positions[s] for s in expr.free_symbols if s in positions):
                derivative = _derivative(expr, se_expr, symbols[k])
                if derivative != 0:
                    entries.append(((i, k), derivative))
        if not entries:
            return []
        return ["    y, p = y2, p2"] + self._assignments(
            [f"out[{i}, {k}]" for (i, k), _ in entries], [e for _, e in entries], op="+="
        )
