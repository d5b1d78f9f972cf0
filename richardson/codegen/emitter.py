"""What the two code emitters share: the numpy printer, the generated prologue, the emitter
base class and the symbolic helpers (derivatives through symengine, affinity tests).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import symengine
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from ..model._admissible import as_plain, as_real
from ..model.core import TIME, Model


class _Printer(NumPyPrinter):
    """numpy printer whose Min/Max are elementwise and broadcast (``numpy.minimum``)."""

    def _print_Float(self, expr: sp.Float) -> str:
        # repr is the shortest text that reads back as the same double (str keeps 15 digits)
        value = float(expr)
        if math.isfinite(value):
            return repr(value)
        return "numpy.nan" if math.isnan(value) else ("numpy.inf" if value > 0 else "-numpy.inf")

    def _print_Min(self, expr: sp.Min) -> str:
        return self._nest("numpy.minimum", expr.args)

    def _print_Max(self, expr: sp.Max) -> str:
        return self._nest("numpy.maximum", expr.args)

    def _print_log(self, expr: sp.log) -> str:
        # log(1 + t) as log1p(t): exact where t is tiny (a ceiling's softplus above M)
        (arg,) = expr.args
        if isinstance(arg, sp.Add) and sp.S.One in arg.args:
            rest = arg - 1
            return f"numpy.log1p({self._print(rest)})"
        return f"numpy.log({self._print(arg)})"

    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        # the derivative of a Min/Max: one ufunc instead of sympy's numpy.select
        at_zero = expr.args[1] if len(expr.args) > 1 else sp.S.Half
        return f"numpy.heaviside({self._print(expr.args[0])}, {self._print(at_zero)})"

    def _print_Mul(self, expr: sp.Mul) -> str:
        """``t/10`` as a division, not ``(1/10)*t``: 130/10 is 13 exactly, 0.1*130 is not
        (Vensim and PySD divide; MODULO and INTEGER see the difference)."""
        coefficient, rest = expr.as_coeff_Mul()
        if coefficient.is_Rational and not coefficient.is_Integer:
            numerator = self._print(rest * coefficient.p)
            return f"(({numerator}) / {coefficient.q}.0)"
        return super()._print_Mul(expr)

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        """``numpy.select`` whose conditions are arrays even for Python scalars (a time
        ``t`` passed as float makes ``t <= 5`` a bool, which ``numpy.select`` refuses)."""
        conditions = ", ".join(f"numpy.asarray({self._print(c)}, dtype=bool)" for _, c in expr.args)
        values = ", ".join(self._print(v) for v, _ in expr.args)
        return f"numpy.select([{conditions}], [{values}], default=numpy.nan)"

    def _nest(self, func: str, args: Sequence[sp.Expr]) -> str:
        text = self._print(args[0])
        for arg in args[1:]:
            text = f"{func}({text}, {self._print(arg)})"
        return text


def _printer() -> _Printer:
    return _Printer({"fully_qualified_modules": True, "allow_unknown_functions": False})


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
        """Lines binding the used states/params (by name) to local names, and the renaming
        (the time and the hoisted constants ``_k0, _k1, ...`` keep their names)."""
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
            elif name != TIME.name and not name.startswith(_CONSTANT):
                raise AssertionError(f"unexpected symbol {name}")  # pragma: no cover
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


#: Name prefix of the parameter-only subexpressions :func:`hoist_parameters` takes out (the
#: model's symbols cannot start with an underscore).
_CONSTANT = "_k"


def hoist_parameters(
    exprs: Sequence[sp.Expr], params: Sequence[sp.Symbol]
) -> tuple[list[tuple[sp.Symbol, sp.Expr]], list[sp.Expr]]:
    """The expressions with their parameter-only parts taken out, to be evaluated once for a
    fixed parameter vector: ``(constants, expressions)``, where ``constants`` are pairs
    (symbol ``_k0, _k1, ...``, expression of parameters and numbers) that the expressions
    refer to.

    A part is the largest subexpression free of states and time (a lone parameter too, so
    that the field reads no parameter array per call), and in a sum or product the terms or
    factors of parameters alone together: ``-a*x + g + s/2*tanh((k*y - theta)/(2*w)) + s/2``
    keeps ``_k0*x + _k1 + _k2*tanh(_k3*(_k4*y + _k5))`` to evaluate per state. Conditions
    (``Piecewise``, relations) are left whole.
    """
    fixed_symbols = set(params)
    table: dict[sp.Expr, sp.Symbol] = {}

    def fixed(expr: sp.Basic) -> bool:
        return expr.free_symbols <= fixed_symbols

    def constant(expr: sp.Expr) -> sp.Expr:
        if expr.is_Number:
            return expr
        if expr not in table:
            table[expr] = sp.Symbol(f"{_CONSTANT}{len(table)}")
        return table[expr]

    def walk(expr: sp.Basic) -> sp.Basic:
        if not isinstance(expr, sp.Expr) or isinstance(expr, sp.Piecewise):
            return expr
        if fixed(expr):
            return constant(expr)
        if expr.is_Atom:  # a state or the time
            return expr
        if isinstance(expr, (sp.Add, sp.Mul)):
            alone = [a for a in expr.args if fixed(a)]
            rest = [walk(a) for a in expr.args if not fixed(a)]
            if any(a.free_symbols for a in alone):  # a parameter among them
                alone = [constant(expr.func(*alone))]
            return expr.func(*alone, *rest)
        return expr.func(*[walk(a) for a in expr.args])

    hoisted = [walk(sp.sympify(e)) for e in exprs]
    return [(symbol, value) for value, symbol in table.items()], hoisted


def _to_sympy(expr: Any) -> sp.Expr:
    return expr._sympy_() if hasattr(expr, "_sympy_") else sp.sympify(expr)


def _derivative(expr: sp.Expr, se_expr: Any, symbol: sp.Symbol) -> Any:
    """d expr / d symbol through symengine (fast; a symengine expression).

    symengine leaves the derivative of a ``Min``/``Max`` unevaluated: those are held as
    placeholders ``u_m`` and the chain rule ``d expr/d s + sum_m (d expr/d u_m)(d m/d s)``
    is taken with only the small ``d m/d s`` from sympy (a ceiling's ``max(0, 1 - x/M)`` on
    every escalation term would otherwise send whole rows to sympy). Anything else symengine
    cannot differentiate (Piecewise, Abs) goes to sympy whole.
    """
    result = se_expr.diff(symengine.Symbol(symbol.name))
    if not result.atoms(symengine.Derivative):
        return result
    held = _held_kinks(expr)
    if held is not None:
        opaque, kinks = held
        result = opaque.diff(symengine.Symbol(symbol.name))
        for placeholder, kink in kinks:
            inner = _real_diff(kink, symbol)
            if inner != 0:
                result += opaque.diff(placeholder) * symengine.sympify(inner)
        if not result.atoms(symengine.Derivative):
            return result.subs({u: symengine.sympify(m) for u, m in kinks})
    return _almost_everywhere(_real_diff(expr, symbol))


def _real_diff(expr: sp.Expr, symbol: sp.Symbol) -> sp.Expr:
    """d expr / d symbol by sympy with every symbol real (states and parameters are), so that
    ``d|x|/dx`` is ``sign(x)`` and not a sum of ``re``/``im`` derivatives, which neither the
    printer nor symengine can take."""
    table: dict[str, sp.Symbol] = {}
    real = as_real(expr, table)
    target = table.get(symbol.name, symbol)
    return as_plain(sp.diff(real, target))


@functools.lru_cache(maxsize=256)
def _held_kinks(expr: sp.Expr) -> tuple[Any, tuple[tuple[Any, sp.Expr], ...]] | None:
    """``expr`` (symengine) with its outermost Min/Max replaced by placeholder symbols, and
    the pairs (placeholder, Min/Max); ``None`` when it has none or does not convert."""
    found = expr.atoms(sp.Min, sp.Max)
    outer = [m for m in found if not any(o != m and o.has(m) for o in found)]
    if not outer:
        return None
    names = {str(s) for s in expr.free_symbols}
    kinks, table = [], {}
    for m in sorted(outer, key=sp.default_sort_key):
        name = f"_kink{len(kinks)}"
        while name in names:
            name += "_"
        table[m] = sp.Symbol(name)
        kinks.append((symengine.Symbol(name), m))
    try:
        opaque = symengine.sympify(expr.xreplace(table))
    except (RuntimeError, TypeError, ValueError, NotImplementedError, AttributeError):
        return None
    return opaque, tuple(kinks)


def _almost_everywhere(derivative: sp.Expr) -> sp.Expr:
    """The derivative where it exists: the states are real (``re(x) -> x``, ``im(x) -> 0``)
    and the unevaluated derivatives sympy leaves for ``floor``/``ceiling`` (zero almost
    everywhere) are zero; symengine cannot convert what sympy leaves there."""
    derivative = derivative.replace(sp.re, lambda arg: arg).replace(sp.im, lambda arg: 0)
    return derivative.replace(
        lambda node: isinstance(node, (sp.Derivative, sp.Subs, sp.DiracDelta)),
        lambda node: sp.Integer(0),
    )


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
        if _real_diff(term, s).free_symbols & set(state_pos):
            return False
    return True


def _is_affine_in_states(model: Model) -> bool:
    states = set(model.state_symbols)
    for expr in model.rhs:
        if TIME in expr.free_symbols:
            return False
        for sym in states & expr.free_symbols:
            derivative = _real_diff(expr, sym)
            if derivative.free_symbols & states:
                return False
            if derivative.has(TIME):
                return False
    return True
