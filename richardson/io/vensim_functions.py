"""Vensim's built-in functions as sympy expressions, with PySD's semantics.

Each builder takes already translated sympy arguments (never text) and returns a sympy
expression. The definitions follow ``pysd.py_backend.functions`` (PySD 3.14): ``ZIDZ`` and
``XIDZ`` test ``|denominator| < 1e-6``, ``INTEGER`` truncates toward zero, ``QUANTUM(a, b)``
is ``b INTEGER(a / b)`` (``a`` when ``b < 1e-6``) and ``MODULO(x, m) = x - QUANTUM(x, m)``.
Lookups are piecewise-linear in their argument with the end values held.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence

import sympy as sp

from ..errors import ModelFileError
from .vensim_ordered import Divide, Power

__all__ = ["SMALL_VENSIM", "FUNCTIONS", "lookup", "integer", "zidz", "xidz"]

#: PySD's threshold for a vanishing denominator (``pysd.py_backend.utils.SMALL_VENSIM``).
SMALL_VENSIM = sp.Float(1e-6)


def integer(x: sp.Expr) -> sp.Expr:
    """Vensim ``INTEGER``: truncation toward zero (Python's ``int``), ``sign(x) floor(|x|)``."""
    return sp.sign(x) * sp.floor(sp.Abs(x))


def zidz(a: sp.Expr, b: sp.Expr, divide: Callable = operator.truediv) -> sp.Expr:
    """``a / b``, or 0 where ``|b| < 1e-6`` (``divide`` builds the quotient)."""
    return sp.Piecewise((sp.Integer(0), sp.Abs(b) < SMALL_VENSIM), (divide(a, b), True))


def xidz(a: sp.Expr, b: sp.Expr, x: sp.Expr, divide: Callable = operator.truediv) -> sp.Expr:
    """``a / b``, or ``x`` where ``|b| < 1e-6`` (``divide`` builds the quotient)."""
    return sp.Piecewise((x, sp.Abs(b) < SMALL_VENSIM), (divide(a, b), True))


def quantum(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """Vensim ``QUANTUM``: ``b * INTEGER(a / b)``, or ``a`` when ``b < 1e-6``."""
    return sp.Piecewise((a, b < SMALL_VENSIM), (b * integer(a / b), True))


def modulo(x: sp.Expr, m: sp.Expr) -> sp.Expr:
    """Vensim ``MODULO`` as PySD defines it: ``x - QUANTUM(x, m)``."""
    return x - quantum(x, m)


def lookup(x: sp.Expr, xs: Sequence[float], ys: Sequence[float]) -> sp.Expr:
    """Piecewise-linear interpolation of the table ``(xs, ys)`` at ``x``, ends held.

    Parameters
    ----------
    x : sympy expression
        The argument (any unit; the table's x unit).
    xs, ys : sequence of float
        The table, ``xs`` increasing (PySD sorts them).
    """
    xs = [float(v) for v in xs]
    ys = [float(v) for v in ys]
    if not xs or len(xs) != len(ys):
        raise ValueError("a lookup needs as many x as y values, at least one")
    if len(xs) == 1:
        return sp.Float(ys[0])
    pieces = [(sp.Float(ys[0]), x <= xs[0])]
    for x0, y0, x1, y1 in zip(xs, ys, xs[1:], ys[1:], strict=False):
        if x1 == x0:
            continue
        slope = (y1 - y0) / (x1 - x0)
        pieces.append((sp.Float(y0) + sp.Float(slope) * (x - sp.Float(x0)), x <= x1))
    pieces.append((sp.Float(ys[-1]), True))
    return sp.Piecewise(*pieces)


def _nary(func: Callable) -> Callable:
    def build(*args: sp.Expr) -> sp.Expr:
        return func(*args)

    return build


def _log(x: sp.Expr, base: sp.Expr) -> sp.Expr:
    return sp.log(x) / sp.log(base)


def _if_then_else(condition: sp.Basic, yes: sp.Expr, no: sp.Expr) -> sp.Expr:
    condition = _as_condition(condition)
    if condition is sp.true:
        return yes
    if condition is sp.false:
        return no
    return sp.Piecewise((yes, condition), (no, True))


def _as_condition(value: sp.Basic) -> sp.Basic:
    """A number used as a condition is true when non-zero (Vensim's convention)."""
    if not isinstance(value, sp.Expr):  # a relation or a logical expression
        return value
    if value.is_Number:
        return sp.true if value != 0 else sp.false
    return sp.Ne(value, 0)


#: Vensim/XMILE function name (as PySD spells it) -> (number of arguments, builder).
FUNCTIONS: dict[str, tuple[tuple[int, ...], Callable[..., sp.Expr]]] = {
    "abs": ((1,), sp.Abs),
    "exp": ((1,), sp.exp),
    "ln": ((1,), sp.log),
    "log": ((2,), _log),
    "sqrt": ((1,), sp.sqrt),
    "sin": ((1,), sp.sin),
    "cos": ((1,), sp.cos),
    "tan": ((1,), sp.tan),
    "arcsin": ((1,), sp.asin),
    "arccos": ((1,), sp.acos),
    "arctan": ((1,), sp.atan),
    "sinh": ((1,), sp.sinh),
    "cosh": ((1,), sp.cosh),
    "tanh": ((1,), sp.tanh),
    "power": ((2,), _nary(lambda a, b: a**b)),
    "min": ((2,), _nary(sp.Min)),
    "max": ((2,), _nary(sp.Max)),
    "integer": ((1,), integer),
    "modulo": ((2,), modulo),
    "quantum": ((2,), quantum),
    "xidz": ((3,), xidz),
    "zidz": ((2,), zidz),
    "if_then_else": ((3,), _if_then_else),
    "pi": ((0,), _nary(lambda: sp.pi)),
}


def _quantum_in_order(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    return sp.Piecewise((a, b < SMALL_VENSIM), (b * integer(Divide(a, b)), True))


#: The functions whose arguments are translated in the file's order (:mod:`.vensim_ordered`):
#: their value jumps at whole numbers, where a rounding of 1e-16 changes it by one.
IN_ORDER_ARGUMENTS = frozenset({"integer", "modulo", "quantum"})
#: The builders used there (and inside such an argument): each division in the file's order.
IN_ORDER: dict[str, Callable[..., sp.Expr]] = {
    "quantum": _quantum_in_order,
    "modulo": lambda x, m: x - _quantum_in_order(x, m),
    "zidz": lambda a, b: zidz(a, b, Divide),
    "xidz": lambda a, b, x: xidz(a, b, x, Divide),
    "power": Power,
    "log": lambda x, base: Divide(sp.log(x), sp.log(base)),
}


def call(name: str, args: Sequence[sp.Expr], where: str, in_order: bool = False) -> sp.Expr:
    """Apply the Vensim function ``name`` to sympy ``args``.

    ``in_order`` selects the builders of :data:`IN_ORDER` (inside the argument of INTEGER,
    MODULO or QUANTUM, whose arithmetic follows the file's order).

    Raises
    ------
    ModelFileError
        If the function is unknown here or gets the wrong number of arguments.
    """
    if name not in FUNCTIONS:
        raise ModelFileError(
            f"{where} uses the function {name.upper()}, which this importer does not "
            "translate; see the coverage table in docs/howto_files.md"
        )
    counts, builder = FUNCTIONS[name]
    if len(args) not in counts:
        raise ModelFileError(
            f"{where}: {name.upper()} takes {' or '.join(map(str, counts))} argument(s), "
            f"not {len(args)}"
        )
    if in_order and name in IN_ORDER:
        builder = IN_ORDER[name]
    return builder(*args)


def as_condition(value: sp.Basic) -> sp.Basic:
    """Public alias of the number-as-condition rule (non-zero is true)."""
    return _as_condition(value)


def as_number(value: sp.Basic) -> sp.Expr:
    """A condition used as a number is 1 when true, 0 when false (Vensim's convention)."""
    if isinstance(value, sp.Expr):
        return value
    if value is sp.true:
        return sp.Integer(1)
    if value is sp.false:
        return sp.Integer(0)
    return sp.Piecewise((1, value), (0, True))
