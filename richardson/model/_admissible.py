"""What a right-hand side may hold so that code generation can differentiate and print it.

States, parameters and time are real numbers. Read with complex symbols, ``abs(exp(x))``
becomes ``exp(re(x))``, whose Jacobian crashes symengine; read with real symbols it is
``exp(x)``. :func:`as_real` rebuilds an expression over real symbols (so sympy simplifies
``re``, ``im``, ``conjugate`` and ``Abs`` of real quantities away) and :func:`problem` names
what is still not admissible: non-real or infinite constants (``I``, ``zoo``, ``nan``, numbers
beyond the double range), functions the code generator cannot differentiate or print
(``re``, ``im``, ``arg``, ``sign``, ``Heaviside``, ``frac``, ...; ``floor`` and ``ceiling`` are
admissible, with derivative 0 almost everywhere), derivatives and integrals, logs and
fractional powers of quantities that are negative for every value of the symbols.
"""

from __future__ import annotations

import math

import sympy as sp

__all__ = ["as_real", "as_plain", "real_form", "needs_real_rebuild", "problem", "number_problem"]

#: Functions with no derivative the numpy printer can write, or no real meaning.
_FORBIDDEN = (
    sp.re,
    sp.im,
    sp.arg,
    sp.conjugate,
    sp.Heaviside,
    sp.DiracDelta,
    sp.frac,
)
# floor, ceiling and sign are admissible: their derivative is 0 almost everywhere, which is what
# the code generator writes (codegen.emitter._almost_everywhere; Vensim's INTEGER, MODULO,
# QUANTUM)
#: Unevaluated calculus: nothing to print.
_UNEVALUATED = (sp.Derivative, sp.Integral, sp.Subs, sp.Limit, sp.Sum, sp.Product)
_NONFINITE = (sp.zoo, sp.oo, sp.S.NegativeInfinity, sp.nan)


def as_real(expr: sp.Expr, table: dict[str, sp.Symbol] | None = None) -> sp.Expr:
    """``expr`` with every symbol replaced by a real symbol of the same name."""
    table = {} if table is None else table
    subs = {}
    for symbol in expr.free_symbols:
        if isinstance(symbol, sp.Symbol) and not symbol.is_real:
            real = table.get(symbol.name)
            if real is None:
                real = table[symbol.name] = sp.Symbol(symbol.name, real=True)
            subs[symbol] = real
    return expr.xreplace(subs) if subs else expr


def as_plain(expr: sp.Expr, table: dict[str, sp.Symbol] | None = None) -> sp.Expr:
    """``expr`` with every symbol replaced by a plain symbol of the same name."""
    table = {} if table is None else table
    subs = {}
    for symbol in expr.free_symbols:
        if isinstance(symbol, sp.Symbol):
            plain = table.get(symbol.name)
            if plain is None:
                plain = table[symbol.name] = sp.Symbol(symbol.name)
            if symbol != plain:
                subs[symbol] = plain
    return expr.xreplace(subs) if subs else expr


def number_problem(number: sp.Number) -> str | None:
    """Why a sympy number cannot stand in generated double-precision code, or ``None``."""
    if number.is_Float:
        value = float(number)
        if not math.isfinite(value):
            # str(), not format(): sympy formats a Float through Decimal, which fails on an
            # exponent as far out as that of exp(-4.6e18)
            return f"the number {str(number)} does not fit a double (largest about 1.8e308)"
        if sp.Float(value)._mpf_ != number._mpf_:
            return (
                f"the number {str(number)} lies below the range of normal doubles (about "
                "2.2e-308) "
                "and would be rounded; scale the model or write 0"
            )
        return None
    if any(number is bad for bad in _NONFINITE):
        return f"it holds the constant {number}, which is not a finite real number"
    if number.is_Rational and not number.is_Integer:
        parts = [int(number.p), int(number.q)]
    else:
        parts = [number]
    for part in parts:
        try:
            value = float(part)
        except (OverflowError, TypeError, ValueError):
            value = math.inf
        if not math.isfinite(value):
            digits = len(str(abs(int(part)))) if isinstance(part, int) or part.is_Integer else 0
            size = f"an integer with {digits} digits" if digits else f"the number {str(part)}"
            return f"{size} does not fit a double (largest about 1.8e308)"
    return None


def needs_real_rebuild(expr: sp.Expr) -> bool:
    """True when real symbols could change ``expr`` (it has functions or fractional powers);
    sums, products and integer powers of symbols mean the same over any symbols."""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Function):
            return True
        if isinstance(node, sp.Pow) and not node.exp.is_Integer:
            return True
    return False


def real_form(expr: sp.Expr, reals: dict[str, sp.Symbol], plain: dict[str, sp.Symbol]):
    """``(expr over real symbols, expr rebuilt over plain symbols)``: sympy's simplifications
    for real quantities applied (``exp(re(x))`` -> ``exp(x)``); no rebuild when none can apply."""
    if not needs_real_rebuild(expr):
        return expr, expr
    real = as_real(expr, reals)
    return real, as_plain(real, plain)


def problem(expr: sp.Expr) -> str | None:
    """Why ``expr`` (over real symbols) is not an admissible right-hand side, or ``None``."""
    for node in sp.preorder_traversal(expr):
        if any(node is bad for bad in _NONFINITE):
            return f"it holds the constant {node}, which is not a finite real number"
        if node is sp.I:
            return "it is not real (it holds the imaginary unit, e.g. from sqrt(-1) or log(-1))"
        if isinstance(node, sp.Number):
            text = number_problem(node)
            if text:
                return text
        elif isinstance(node, _UNEVALUATED):
            return f"it holds the unevaluated {type(node).__name__} {node}; evaluate it first"
        elif isinstance(node, _FORBIDDEN):
            return (
                f"it uses {node}, which the code generator cannot differentiate; "
                "write the model without it (states and parameters are real numbers)"
            )
        elif isinstance(node, sp.log) and node.args[0].is_nonpositive:
            return f"{node} is the log of a quantity that is never positive"
        elif isinstance(node, sp.Pow):
            base, exponent = node.args
            if not exponent.is_Integer and base.is_negative and not exponent.is_integer:
                return f"{node} is a non-integer power of a negative quantity (not real)"
            if base.is_zero and not exponent.is_Number:
                return f"{node} is a power of zero with a variable exponent (0, 1 or undefined)"
    return None
