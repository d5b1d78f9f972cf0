"""Arithmetic in the file's order, for the arguments of INTEGER, MODULO and QUANTUM.

Vensim evaluates every equation in double precision, one operation after the other as the
file writes it. sympy rewrites as it builds: ``(Time/10 - 10)/3`` becomes ``t/30 - 10/3``
and ``-1/(1/(Time+1))`` becomes ``-(t + 1)``. Mathematically equal, these land on the other
side of a whole number in doubles (at ``Time = 130``: ``0.9999999999999996`` instead of
``1``; at ``Time = 92``: ``-93`` instead of Vensim's ``-92.99999999999999``), and the
integer part jumps by one. Everywhere else a rounding of 1e-16 is invisible; under
``INTEGER`` it is an error of one.

So inside those arguments the importer builds each ``+ - * / ^`` as one of the functions
below: a sympy function of its two operands that sympy does not merge with its neighbours,
that generated numpy code prints as the one double operation (``((a) / (b))``) and that
differentiates like the operation it stands for (symengine and sympy both take ``fdiff``).
With numbers for both operands it evaluates at once, in doubles, as Vensim would.

A tolerance in the floor instead (``floor(x + eps)``) was rejected: Vensim's own result is
not the exact one (``INTEGER(-1/(1/93))`` is ``-92`` in Vensim), so only the same operations
in the same order reproduce it.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any, ClassVar

import sympy as sp

__all__ = ["InOrder", "Plus", "Minus", "Times", "Divide", "Power", "OPERATIONS"]


class InOrder(sp.Function):
    """One double-precision operation ``a op b`` of the file, kept as written."""

    nargs = 2
    symbol_text: ClassVar[str] = "?"
    _double: ClassVar[Callable[[float, float], float]]

    @classmethod
    def eval(cls, a: sp.Expr, b: sp.Expr) -> sp.Expr | None:
        if a.is_Number and b.is_Number:
            return _in_doubles(cls, a, b)
        return None

    def plain(self) -> sp.Expr:
        """The same operation as ordinary sympy arithmetic (what it means)."""
        a, b = (arg.plain() if isinstance(arg, InOrder) else arg for arg in self.args)
        return self._plain(a, b)

    @staticmethod
    def _plain(a: sp.Expr, b: sp.Expr) -> sp.Expr:  # pragma: no cover - each subclass has one
        raise NotImplementedError

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        a, b = sp.Dummy("a"), sp.Dummy("b")
        derivative = sp.diff(self._plain(a, b), (a, b)[argindex - 1])
        return derivative.xreplace({a: self.args[0], b: self.args[1]})

    def _eval_evalf(self, prec: int) -> sp.Expr | None:
        a, b = (arg.evalf(prec) for arg in self.args)
        if a.is_Number and b.is_Number:
            return _in_doubles(type(self), a, b)
        return None

    def _eval_is_real(self) -> bool | None:
        return self.plain().is_real

    def _numpycode(self, printer: Any) -> str:
        a, b = (printer._print(arg) for arg in self.args)
        return f"(({a}) {'**' if self.symbol_text == '^' else self.symbol_text} ({b}))"

    _pythoncode = _numpycode

    def _sympystr(self, printer: Any) -> str:
        a, b = (printer._print(arg) for arg in self.args)
        return f"({a} {self.symbol_text} {b})"

    def _latex(self, printer: Any) -> str:
        return printer._print(self.plain())


def _in_doubles(cls: type[InOrder], a: sp.Expr, b: sp.Expr) -> sp.Expr | None:
    try:
        value = cls._double(float(a), float(b))
    except (ArithmeticError, TypeError, ValueError):
        return None
    if isinstance(value, complex) or not math.isfinite(value):
        return None  # kept symbolic; the admissibility check names it
    return sp.Float(value)


class Plus(InOrder):
    symbol_text = "+"
    _double = staticmethod(operator.add)
    _plain = staticmethod(operator.add)


class Minus(InOrder):
    symbol_text = "-"
    _double = staticmethod(operator.sub)
    _plain = staticmethod(operator.sub)


class Times(InOrder):
    symbol_text = "*"
    _double = staticmethod(operator.mul)
    _plain = staticmethod(operator.mul)


class Divide(InOrder):
    symbol_text = "/"
    _double = staticmethod(operator.truediv)
    _plain = staticmethod(operator.truediv)


class Power(InOrder):
    symbol_text = "^"
    _double = staticmethod(operator.pow)
    _plain = staticmethod(operator.pow)


#: Vensim operator -> the in-order operation.
OPERATIONS: dict[str, type[InOrder]] = {
    "+": Plus,
    "-": Minus,
    "*": Times,
    "/": Divide,
    "^": Power,
}
