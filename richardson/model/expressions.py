"""Safe expressions: text <-> sympy without ``eval``, ``exec``, ``sympify`` or ``parse_expr``.

:func:`parse_expression` reads one arithmetic expression with Python's :mod:`ast` parser and
accepts only a whitelist: numbers, declared names, ``+ - * / **``, unary minus and the
functions in :data:`FUNCTIONS`. The sympy object is built by hand from the accepted nodes.
Anything else (attribute access, calls of other functions, lambdas, comprehensions,
subscripts, strings, comparisons, huge exponents, undeclared names, deep nesting) raises
:class:`~richardson.errors.ModelFileError` naming the construct.

:func:`format_expression` writes a sympy expression as text that :func:`parse_expression`
reads back to the same expression (floats are written with ``repr``, so exactly).
"""

from __future__ import annotations

import ast
import io
import math
import tokenize
from collections.abc import Callable, Collection

import sympy as sp

from ..errors import ModelFileError, did_you_mean

__all__ = [
    "parse_expression",
    "format_expression",
    "FUNCTIONS",
    "sigmoid",
    "MAX_LENGTH",
    "MAX_DEPTH",
    "MAX_EXPONENT",
]

#: Longest expression text accepted (characters).
MAX_LENGTH = 200_000
#: Deepest nesting of operations accepted (a long flat sum counts as one level).
MAX_DEPTH = 60
#: Largest magnitude of a numeric exponent.
MAX_EXPONENT = 64
#: Largest magnitude of an integer literal (larger values must be written as floats).
MAX_INTEGER = 10**15


def sigmoid(z: sp.Expr) -> sp.Expr:
    """Logistic function ``1 / (1 + exp(-z))``, written as ``(1 + tanh(z/2)) / 2`` (no overflow)."""
    return (1 + sp.tanh(z / 2)) / 2


def _min(*args: sp.Expr) -> sp.Expr:
    return sp.Min(*args)


def _max(*args: sp.Expr) -> sp.Expr:
    return sp.Max(*args)


#: Functions a model file may call: name -> (sympy builder, allowed argument counts).
FUNCTIONS: dict[str, tuple[Callable[..., sp.Expr], tuple[int, ...]]] = {
    "exp": (sp.exp, (1,)),
    "log": (sp.log, (1,)),
    "sqrt": (sp.sqrt, (1,)),
    "tanh": (sp.tanh, (1,)),
    "abs": (sp.Abs, (1,)),
    "sigmoid": (sigmoid, (1,)),
    "min": (_min, (2, 3, 4, 5, 6, 7, 8)),
    "max": (_max, (2, 3, 4, 5, 6, 7, 8)),
}

_WORDS = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscript / indexing",
    ast.Lambda: "lambda",
    ast.ListComp: "list comprehension",
    ast.SetComp: "set comprehension",
    ast.DictComp: "dict comprehension",
    ast.GeneratorExp: "generator expression",
    ast.Compare: "comparison",
    ast.BoolOp: "boolean operator (and/or)",
    ast.IfExp: "conditional expression (if/else)",
    ast.NamedExpr: "assignment expression (:=)",
    ast.JoinedStr: "f-string",
    ast.List: "list",
    ast.Tuple: "tuple",
    ast.Dict: "dict",
    ast.Set: "set",
    ast.Starred: "starred argument",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield from",
    ast.Slice: "slice",
}

_BINARY_HINTS = {
    ast.BitXor: "'^' is not a power here; write '**'",
    ast.FloorDiv: "floor division '//' is not allowed; write '/'",
    ast.Mod: "'%' is not allowed",
    ast.MatMult: "'@' is not allowed",
    ast.BitAnd: "'&' is not allowed",
    ast.BitOr: "'|' is not allowed",
    ast.LShift: "'<<' is not allowed",
    ast.RShift: "'>>' is not allowed",
}


class _Converter:
    def __init__(self, names: dict[str, sp.Symbol], where: str) -> None:
        self.names = names
        self.where = where

    def fail(self, node: ast.AST | None, what: str) -> ModelFileError:
        column = (
            f", column {node.col_offset + 1}"
            if node is not None and hasattr(node, "col_offset")
            else ""
        )
        return ModelFileError(f"{self.where}{column}: {what}")

    def convert(self, node: ast.AST, depth: int = 0) -> sp.Expr:
        if depth > MAX_DEPTH:
            raise self.fail(node, f"expression nested deeper than {MAX_DEPTH} levels; simplify it")
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            return self._sum(node, depth)
        if isinstance(node, ast.BinOp):
            return self._binary(node, depth)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return -self.convert(node.operand, depth + 1)
            if isinstance(node.op, ast.UAdd):
                return self.convert(node.operand, depth + 1)
            raise self.fail(
                node, f"unary operator {type(node.op).__name__} is not allowed; only '-' and '+'"
            )
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.Name):
            if node.id not in self.names:
                raise self.fail(
                    node,
                    f"name {node.id!r} is not declared (neither a state, a "
                    f"parameter nor 't'){did_you_mean(node.id, self.names)}",
                )
            return self.names[node.id]
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        word = _WORDS.get(type(node), type(node).__name__)
        raise self.fail(
            node,
            f"{word} is not allowed in an equation; only numbers, declared "
            "names, + - * / **, and the functions " + ", ".join(FUNCTIONS),
        )

    def _sum(self, node: ast.BinOp, depth: int) -> sp.Expr:
        # walk the left spine iteratively, so a long flat sum is not deep nesting
        terms = []
        while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            right = self.convert(node.right, depth + 1)
            terms.append(-right if isinstance(node.op, ast.Sub) else right)
            node = node.left
        terms.append(self.convert(node, depth + 1))
        return sp.Add(*reversed(terms))

    def _binary(self, node: ast.BinOp, depth: int) -> sp.Expr:
        if type(node.op) in _BINARY_HINTS:
            raise self.fail(node, _BINARY_HINTS[type(node.op)])
        if isinstance(node.op, (ast.Mult, ast.Div)):
            # a chain a * b / c * d becomes one flat product (as sympy's own Mul would be)
            factors = []
            while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
                factor = self.convert(node.right, depth + 1)
                if isinstance(node.op, ast.Div):
                    if factor.is_Number and factor == 0:
                        raise self.fail(node, "division by zero")
                    factor = sp.Pow(factor, -1)
                factors.append(factor)
                node = node.left
            factors.append(self.convert(node, depth + 1))
            return sp.Mul(*reversed(factors))
        left = self.convert(node.left, depth + 1)
        right = self.convert(node.right, depth + 1)
        if isinstance(node.op, ast.Pow):
            return self._power(node, left, right)
        raise self.fail(node, f"operator {type(node.op).__name__} is not allowed")

    def _power(self, node: ast.BinOp, base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
        if exponent.is_Number:
            if abs(float(exponent)) > MAX_EXPONENT:
                raise self.fail(
                    node, f"exponent {exponent} is too large (at most {MAX_EXPONENT} in magnitude)"
                )
            if base.is_Number:
                try:
                    value = float(base) ** float(exponent)
                except (OverflowError, ZeroDivisionError, ValueError) as err:
                    raise self.fail(
                        node, f"{base}**{exponent} cannot be evaluated ({err})"
                    ) from None
                if isinstance(value, complex) or not math.isfinite(value):
                    raise self.fail(node, f"{base}**{exponent} is not a finite real number")
        return sp.Pow(base, exponent)

    def _number(self, node: ast.Constant) -> sp.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(node, f"constant {value!r} is not allowed; only real numbers")
        if isinstance(value, int):
            if abs(value) > MAX_INTEGER:
                raise self.fail(
                    node,
                    f"integer literal with {len(str(abs(value)))} digits is too "
                    "large; write it as a float (e.g. 1e20)",
                )
            return sp.Integer(value)
        if not math.isfinite(value):
            raise self.fail(node, f"number {value!r} is not finite")
        return sp.Float(value)

    def _call(self, node: ast.Call, depth: int) -> sp.Expr:
        if not isinstance(node.func, ast.Name):
            word = (
                "attribute access"
                if isinstance(node.func, ast.Attribute)
                else "call of an expression"
            )
            raise self.fail(
                node, f"{word} is not allowed; call one of " + ", ".join(FUNCTIONS) + " by name"
            )
        name = node.func.id
        if name not in FUNCTIONS:
            raise self.fail(
                node,
                f"function {name!r} is not allowed{did_you_mean(name, FUNCTIONS)}; "
                "allowed are " + ", ".join(FUNCTIONS),
            )
        if node.keywords:
            raise self.fail(node, f"keyword arguments are not allowed in {name}(...)")
        builder, arities = FUNCTIONS[name]
        if len(node.args) not in arities:
            raise self.fail(
                node,
                f"{name}() takes {arities[0] if len(arities) == 1 else 'between 2 and 8'} "
                f"argument(s), got {len(node.args)}",
            )
        return builder(*(self.convert(arg, depth + 1) for arg in node.args))


def parse_expression(text: str, names: Collection[str], where: str = "expression") -> sp.Expr:
    """Parse one arithmetic expression safely into sympy.

    Parameters
    ----------
    text : str
        The expression, e.g. ``"k*y - a*x + g"``.
    names : collection of str
        Declared names (states, parameters, and ``"t"`` for time if allowed).
    where : str
        Location used in error messages, e.g. ``"file 'm.toml', line 12, equation for 'x'"``.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    ModelFileError
        For anything outside the whitelist, naming the construct and ``where``.

    Examples
    --------
    >>> from richardson.model.expressions import parse_expression
    >>> parse_expression("k*y - a*x + g", {"x", "y", "k", "a", "g"})
    -a*x + g + k*y
    """
    if not isinstance(text, str):
        raise ModelFileError(f"{where}: expected an expression as text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ModelFileError(
            f"{where}: expression is {len(text)} characters long; at most {MAX_LENGTH} are accepted"
        )
    if not text.strip():
        raise ModelFileError(f"{where}: expression is empty")
    if "\x00" in text:
        raise ModelFileError(f"{where}: expression contains a NUL character")
    symbols = {name: sp.Symbol(name) for name in names}
    chunks = _top_level_chunks(text.strip())
    if len(chunks) > 1:
        return sp.Add(*(parse_expression(chunk, names, where) for chunk in chunks))
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ModelFileError(
            f"{where}: not a valid expression ({err.msg}, column {err.offset})"
        ) from None
    except (RecursionError, MemoryError, ValueError):
        raise ModelFileError(
            f"{where}: expression cannot be parsed (too deeply nested or malformed)"
        ) from None
    symbols = {name: sp.Symbol(name) for name in names}
    try:
        return _Converter(symbols, where).convert(tree.body)
    except RecursionError:
        raise ModelFileError(f"{where}: expression nested too deeply") from None


#: A sum with more top-level terms than this is parsed in pieces (Python's parser recurses
#: once per term of a flat sum).
_CHUNK_TERMS = 400


def _top_level_chunks(text: str) -> list[str]:
    """Split a long flat sum at top-level binary ``+``/``-`` into pieces of at most
    ``_CHUNK_TERMS`` terms; anything the tokenizer rejects is returned whole (and then fails
    in the parser with a proper message)."""
    if text.count("+") + text.count("-") < _CHUNK_TERMS:
        return [text]
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, ValueError):
        return [text]
    starts = [0]
    offsets = [0]
    for line in text.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    depth, previous, count = 0, None, 0
    for token in tokens:
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
        elif (
            token.type == tokenize.OP
            and token.string in "+-"
            and depth == 0
            and previous is not None
            and (previous.type in (tokenize.NAME, tokenize.NUMBER) or previous.string == ")")
        ):
            count += 1
            if count % _CHUNK_TERMS == 0:
                starts.append(offsets[token.start[0] - 1] + token.start[1])
        if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
            previous = token
    if depth != 0:
        return [text]
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


# ---------------------------------------------------------------------- writing
_ADD, _MUL, _NEG, _POW, _ATOM = 1, 2, 3, 4, 5


def format_expression(expr: sp.Expr) -> str:
    """Text of ``expr`` that :func:`parse_expression` reads back exactly.

    Raises
    ------
    ModelFileError
        If the expression uses a construct the file format cannot hold.
    """
    return _fmt(sp.sympify(expr))[0]


def _wrap(text_prec: tuple[str, int], minimum: int) -> str:
    text, prec = text_prec
    return f"({text})" if prec < minimum else text


def _fmt(expr: sp.Expr) -> tuple[str, int]:
    if isinstance(expr, sp.Symbol):
        return expr.name, _ATOM
    if expr.is_Integer:
        value = int(expr)
        return (str(value), _ATOM) if value >= 0 else (str(value), _NEG)
    if expr.is_Rational:
        p, q = int(expr.p), int(expr.q)
        return f"{p}/{q}", _MUL
    if expr.is_Float:
        value = float(expr)
        text = repr(value)
        return (text, _ATOM) if value >= 0 else (text, _NEG)
    if expr.is_Add:
        parts = []
        for index, term in enumerate(expr.args):
            coef = term.as_coeff_Mul()[0]
            if index and coef.is_Number and coef < 0:
                parts.append(" - " + _wrap(_fmt(-term), _MUL))
            else:
                parts.append((" + " if index else "") + _wrap(_fmt(term), _MUL))
        return "".join(parts), _ADD
    if expr.is_Mul:
        coef = expr.as_coeff_Mul()[0]
        if coef.is_Number and coef < 0:
            return "-" + _wrap(_fmt(-expr), _MUL), _NEG
        numerator, denominator = [], []
        for factor in expr.args:
            if factor.is_Rational and not factor.is_Integer:
                if factor.p != 1:
                    numerator.append(sp.Integer(factor.p))
                denominator.append(sp.Integer(factor.q))
            elif factor.is_Pow and factor.exp.is_Integer and factor.exp < 0:
                denominator.append(sp.Pow(factor.base, -factor.exp))
            else:
                numerator.append(factor)
        text = "*".join(_wrap(_fmt(f), _NEG) for f in numerator) or "1"
        for factor in denominator:
            text += "/" + _wrap(_fmt(factor), _POW)
        return text, _MUL
    if expr.is_Pow:
        base, exponent = expr.args
        return f"{_wrap(_fmt(base), _ATOM)}**{_wrap(_fmt(exponent), _ATOM)}", _POW
    for func, name in _WRITABLE:
        if isinstance(expr, func):
            return f"{name}({', '.join(_fmt(a)[0] for a in expr.args)})", _ATOM
    raise ModelFileError(
        f"cannot write {type(expr).__name__} ({expr}) to a model file; "
        "use + - * / ** and " + ", ".join(FUNCTIONS)
    )


_WRITABLE = (
    (sp.exp, "exp"),
    (sp.log, "log"),
    (sp.tanh, "tanh"),
    (sp.Abs, "abs"),
    (sp.Min, "min"),
    (sp.Max, "max"),
)
