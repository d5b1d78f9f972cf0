"""Vensim's precedence of a unary minus over a number before ``^``, restored in PySD's parser.

Vensim (and XMILE) read ``-2^2`` as ``-(2^2) = -4``. PySD's grammars put the sign below the
power (``exp_expr = neg_expr (^ neg_expr)*``) and repair the order for every operand except a
number: its equation visitor folds the minus into the literal (``-2`` becomes the float
``-2.0``) before the power is built, so ``-2^2`` arrives as ``(-2.0)^2 = 4``. A name keeps
its minus outside (``-x^2`` is ``-(x^2)`` in PySD too).

While a file is parsed, :func:`vensim_precedence` puts a subclass of each PySD equation
visitor in its place: a negative literal that is an operand of ``^`` is turned back into
its magnitude with the minus outside, which PySD's own ``split_arithmetic`` then places as for
a name (``-(2^2)``; in an exponent ``2^-1^2`` is ``2^(-(1^2))``). ``(-2)^2`` keeps its
parentheses (the literal is not a direct operand) and stays 4. Nothing is evaluated: the
visitor only reads the parse tree and the numbers PySD already made.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["vensim_precedence"]


def _fixed(visitor: type) -> type:
    """``visitor`` (a PySD ``EquationVisitor``) with the sign of a literal before ``^`` kept."""

    class SignBeforePower(visitor):
        def __init__(self, ast: Any) -> None:
            #: id of a number PySD negated -> its value with that minus taken back off
            self.signed_literals: dict[str, float] = {}
            super().__init__(ast)  # PySD's visitor walks the tree in its constructor

        def visit_neg_expr(self, n: Any, vc: list) -> Any:
            operand = n.children[2].children[0] if len(n.children) == 3 else None
            inner = self.elements.get(vc[2]) if len(vc) == 3 else None
            node_id = super().visit_neg_expr(n, vc)
            if not isinstance(inner, (int, float)) or isinstance(inner, bool):
                return node_id  # a name or an expression: PySD keeps its minus outside
            sign = -1 if str(vc[0]).strip() == "-" else 1
            base = inner
            if getattr(operand, "expr_name", "") in ("number", "raw_number") and inner < 0:
                sign, base = -sign, -inner  # the literal's own sign is a unary minus too
            if sign < 0:
                self.signed_literals[node_id] = base
            return node_id

        def visit_exp_expr(self, n: Any, vc: list) -> Any:
            signed = self.signed_literals
            parts = "".join(filter(None, vc)).strip().split("^")
            for part in parts:  # a literal's own power (or none): later ones see parentheses
                if part in signed:
                    base = signed.pop(part)
                    if len(parts) > 1:
                        self.elements[part] = base
                        self.negatives.add(part)
            return super().visit_exp_expr(n, vc)

    SignBeforePower.__name__ = SignBeforePower.__qualname__ = visitor.__name__
    return SignBeforePower


@contextmanager
def vensim_precedence(modules: tuple) -> Iterator[None]:
    """While parsing, PySD's element ``modules`` use the visitor with Vensim's ``-2^2``.

    The caller holds the lock that serialises parses (the swap is module-wide).
    """
    saved = [module.EquationVisitor for module in modules]
    for module, original in zip(modules, saved, strict=True):
        module.EquationVisitor = _fixed(original)
    try:
        yield
    finally:
        for module, original in zip(modules, saved, strict=True):
            module.EquationVisitor = original
