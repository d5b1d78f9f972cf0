"""What a right-hand side may hold so that code generation can differentiate and print it.

States, parameters and time are real numbers. Read with complex symbols, ``abs(exp(x))``
becomes ``exp(re(x))``, whose Jacobian crashes symengine; read with real symbols it is
``exp(x)``. :func:`as_real` rebuilds an expression over real symbols (so sympy simplifies
``re``, ``im``, ``conjugate`` and ``Abs`` of real quantities away) and :func:`problem` names
what is still not admissible: non-real or infinite constants (``I``, ``zoo``, ``nan``, numbers
beyond the double range), functions the code generator cannot differentiate or print
(``re``, ``im``, ``arg``, ``sign``, ``Heaviside``, ...), derivatives and integrals, logs and
fractional powers of quantities that are negative for every value of the symbols.
"""

from __future__ import annotations

import math

import sympy as sp

__all__ = ["as_real", "as_plain", "problem", "number_problem"]

#: Functions with no derivative the numpy printer can write, or no real meaning.
_FORBIDDEN = (
    sp.re,
    sp.im,
    sp.arg,
    sp.conjugate,
    sp.sign,
    sp.Heaviside,
    sp.DiracDelta,
    sp.floor,
    sp.ceiling,
    sp.frac,
)
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
        if isinstance(symbol, sp.Symbol) and symbol.assumptions0:
            plain = table.get(symbol.name)
            if plain is None:
                plain = table[symbol.name] = sp.Symbol(symbol.name)
            subs[symbol] = plain
    return expr.xreplace(subs) if subs else expr


def number_problem(number: sp.Number) -> str | None:
    """Why a sympy number cannot stand in generated double-precision code, or ``None``."""
    if number in _NONFINITE:
        return f"the constant {number} is not a finite real number"
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
            size = f"an integer with {digits} digits" if digits else f"the number {part}"
            return f"{size} does not fit a double (largest about 1.8e308)"
    return None


def problem(expr: sp.Expr) -> str | None:
    """Why ``expr`` (over real symbols) is not an admissible right-hand side, or ``None``."""
    if expr.has(sp.I):
        return "it is not real (it holds the imaginary unit, e.g. from sqrt(-1) or log(-1))"
    for bad in _NONFINITE:
        if expr.has(bad):
            return f"it holds the constant {bad}, which is not a finite real number"
    for number in expr.atoms(sp.Number):
        text = number_problem(number)
        if text:
            return text
    if expr.has(*_UNEVALUATED):
        found = next(iter(expr.atoms(*_UNEVALUATED)))
        return f"it holds the unevaluated {type(found).__name__} {found}; evaluate it first"
    for function in expr.atoms(sp.Function):
        if isinstance(function, _FORBIDDEN):
            return (
                f"it uses {function}, which the code generator cannot differentiate; "
                "write the model without it (states and parameters are real numbers)"
            )
    for function in expr.atoms(sp.log):
        if function.args[0].is_nonpositive:
            return f"{function} is the log of a quantity that is never positive"
    for power in expr.atoms(sp.Pow):
        base, exponent = power.args
        if base.is_negative and not exponent.is_integer:
            return f"{power} is a non-integer power of a negative quantity (not real)"
    return None
