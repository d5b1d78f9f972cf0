"""Safe expressions: text <-> sympy without ``eval``, ``exec``, ``sympify`` or ``parse_expr``.

:func:`parse_expression` reads one arithmetic expression with Python's :mod:`ast` parser and
accepts only a whitelist: numbers, declared names, ``+ - * / **``, unary minus and the
functions in :data:`FUNCTIONS`. The sympy object is built by hand from the accepted nodes.
Anything else (attribute access, calls of other functions, lambdas, comprehensions,
subscripts, strings, comparisons, huge exponents, undeclared names, deep nesting) raises
:class:`~richardson.errors.ModelFileError` naming the construct.

Every constant sub-expression is also evaluated in floating point as it is built, so a value
that is not a finite real number (``sqrt(-1)``, ``log(0)``, ``exp(exp(exp(10)))``, an integer
beyond the double range) is refused where it is written, before sympy or the code generator
meet it. States, parameters and time are read as real symbols, so ``abs(exp(x))`` is
``exp(x)``; what is still not a differentiable real expression is refused
(:mod:`._admissible`), as are names that Python's NFKC normalisation would read as other
names (:mod:`._names`).

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
from ._admissible import problem, real_form
from ._names import lookalike_problem
from .delays import Delayed

__all__ = [
    "parse_expression",
    "ExpressionParser",
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

#: What the converter returns: the expression and, for a constant, its value as a float.
_Value = tuple[sp.Expr, float | None]


def sigmoid(z: sp.Expr) -> sp.Expr:
    """Logistic function ``1 / (1 + exp(-z))``, written as ``(1 + tanh(z/2)) / 2`` (no overflow)."""
    return (1 + sp.tanh(z / 2)) / 2


def _min(*args: sp.Expr) -> sp.Expr:
    return sp.Min(*args)


def _max(*args: sp.Expr) -> sp.Expr:
    return sp.Max(*args)


def _delayed(state: sp.Expr, lag: sp.Expr) -> sp.Expr:
    if not isinstance(state, sp.Symbol):
        raise ValueError("its first argument must be the name of a state, e.g. delayed(y, tau)")
    return Delayed(state, lag)


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
    "delayed": (_delayed, (2,)),
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
    """ast node -> (sympy expression over real symbols, float value when constant)."""

    def __init__(self, names: dict[str, sp.Symbol], where: str) -> None:
        self.names = names
        self.where = where

    def fail(self, node: ast.AST | None, what: str) -> ModelFileError:
        column = (
            f", column {node.col_offset + 1}"
            if node is not None and hasattr(node, "col_offset")
            else ""
        )
        return ModelFileError(f"{self.where}{column}: {_sentence(what)}")

    def convert(self, node: ast.AST, depth: int = 0) -> _Value:
        if depth > MAX_DEPTH:
            raise self.fail(node, f"expression nested deeper than {MAX_DEPTH} levels; simplify it")
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            return self._sum(node, depth)
        if isinstance(node, ast.BinOp):
            return self._binary(node, depth)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                expr, value = self.convert(node.operand, depth + 1)
                return -expr, (None if value is None else -value)
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
                    f"parameter nor 't').{did_you_mean(node.id, self.names)}",
                )
            return self.names[node.id], None
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        word = _WORDS.get(type(node), type(node).__name__)
        raise self.fail(
            node,
            f"{word} is not allowed in an equation; only numbers, declared "
            "names, + - * / **, and the functions " + ", ".join(FUNCTIONS),
        )

    def _finite(self, node: ast.AST, value: float | complex, what: str) -> float:
        if isinstance(value, complex):
            raise self.fail(node, f"{what} is not a real number")
        if not math.isfinite(value):
            raise self.fail(node, f"{what} is not finite (it exceeds the double range)")
        return value

    def _sum(self, node: ast.BinOp, depth: int) -> _Value:
        # walk the left spine iteratively, so a long flat sum is not deep nesting
        terms, values, top = [], [], node
        while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            right, value = self.convert(node.right, depth + 1)
            negative = isinstance(node.op, ast.Sub)
            terms.append(-right if negative else right)
            values.append(None if value is None else (-value if negative else value))
            node = node.left
        first, value = self.convert(node, depth + 1)
        terms.append(first)
        values.append(value)
        total = None
        if all(v is not None for v in values):
            try:
                total = math.fsum(values)
            except OverflowError:  # fsum refuses an intermediate overflow
                total = math.inf
            total = self._finite(top, total, "the constant sum")
        return sp.Add(*reversed(terms)), total

    def _binary(self, node: ast.BinOp, depth: int) -> _Value:
        if type(node.op) in _BINARY_HINTS:
            raise self.fail(node, _BINARY_HINTS[type(node.op)])
        if isinstance(node.op, (ast.Mult, ast.Div)):
            # a chain a * b / c * d becomes one flat product (as sympy's own Mul would be)
            factors, values, top = [], [], node
            while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
                factor, value = self.convert(node.right, depth + 1)
                if isinstance(node.op, ast.Div):
                    if value == 0 or (factor.is_Number and factor.is_zero):
                        raise self.fail(node, "division by zero")
                    factor = sp.Pow(factor, -1)
                    value = None if value is None else 1.0 / value
                factors.append(factor)
                values.append(value)
                node = node.left
            first, value = self.convert(node, depth + 1)
            factors.append(first)
            values.append(value)
            product = None
            if all(v is not None for v in values):
                product = 1.0
                for v in values:
                    product *= v
                product = self._finite(top, product, "the constant product")
            return sp.Mul(*reversed(factors)), product
        if isinstance(node.op, ast.Pow):
            base = self.convert(node.left, depth + 1)
            exponent = self.convert(node.right, depth + 1)
            return self._power(node, base, exponent)
        raise self.fail(node, f"operator {type(node.op).__name__} is not allowed")

    def _power(self, node: ast.BinOp, base: _Value, exponent: _Value) -> _Value:
        (base, base_value), (exponent, exponent_value) = base, exponent
        if exponent_value is not None and abs(exponent_value) > MAX_EXPONENT:
            shown = "" if exponent.is_Number else f" (= {exponent_value:.6g})"
            raise self.fail(
                node,
                f"exponent {exponent}{shown} is too large (at most {MAX_EXPONENT} in magnitude)",
            )
        value = None
        if base_value is not None and exponent_value is not None:
            try:
                value = base_value**exponent_value
            except (OverflowError, ZeroDivisionError) as err:
                raise self.fail(node, f"{base}**{exponent} cannot be evaluated ({err})") from None
            value = self._finite(node, value, f"{base}**{exponent}")
        elif base_value is not None and base_value < 0:
            raise self.fail(
                node,
                f"{base}**({exponent}) is a power of a negative number with a variable "
                "exponent, which is not real",
            )
        return sp.Pow(base, exponent), value

    def _number(self, node: ast.Constant) -> _Value:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(node, f"constant {value!r} is not allowed; only real numbers")
        if isinstance(value, int):
            try:
                as_float = float(value)
            except OverflowError:
                raise self.fail(
                    node,
                    f"integer literal with {len(str(value))} digits does not fit a double "
                    "(largest about 1.8e308)",
                ) from None
            return sp.Integer(value), as_float
        if not math.isfinite(value):
            raise self.fail(
                node, "number literal is not finite (beyond the double range, about 1.8e308)"
            )
        return sp.Float(value), value

    def _call(self, node: ast.Call, depth: int) -> _Value:
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
                f"function {name!r} is not allowed.{did_you_mean(name, FUNCTIONS)} "
                "Allowed are " + ", ".join(FUNCTIONS),
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
        args = [self.convert(arg, depth + 1) for arg in node.args]
        try:
            expr = builder(*(a for a, _ in args))
        except (ValueError, TypeError) as err:  # sympy's Min/Max compare their arguments
            raise self.fail(node, f"{name}(...) cannot be built: {err}") from None
        values = [v for _, v in args]
        if any(v is None for v in values):
            return expr, None
        shown = f"{name}({', '.join(str(a) for a, _ in args)})"
        try:
            value = _FLOAT_FUNCTIONS[name](*values)
        except OverflowError:
            raise self.fail(
                node,
                f"{_evaluated(shown, name, values)} overflows a double",
            ) from None
        except (ValueError, ZeroDivisionError):
            raise self.fail(node, f"{shown} is not a finite real number") from None
        return expr, self._finite(node, value, shown)


def _evaluated(shown: str, name: str, values: list[float]) -> str:
    """``"exp(exp(10)) = exp(22026.47)"``, or just ``shown`` when the arguments are numbers."""
    numbers = f"{name}({', '.join(f'{v:.17g}' for v in values)})"
    return (
        shown
        if numbers == shown or all(float(v).is_integer() for v in values)
        else (f"{shown} = {numbers}")
    )


def _float_sigmoid(z: float) -> float:
    return 0.5 * (1.0 + math.tanh(z / 2.0))


def _float_log(z: float) -> float:
    if z <= 0:
        raise ValueError("log of a non-positive number")
    return math.log(z)


#: The float value of each allowed function, for constant arguments.
_FLOAT_FUNCTIONS: dict[str, Callable[..., float]] = {
    "exp": math.exp,
    "log": _float_log,
    "sqrt": math.sqrt,
    "tanh": math.tanh,
    "abs": abs,
    "sigmoid": _float_sigmoid,
    "min": min,
    "max": max,
}


def _sentence(text: str) -> str:
    text = text.rstrip()
    return text if text.endswith((".", "?", "!")) else text + "."


class ExpressionParser:
    """A safe parser for the equations of one model: the symbol table is built once.

    Parameters
    ----------
    names : collection of str
        Declared names (states, parameters, and ``"t"`` for time if allowed); each must be in
        NFKC normal form, as Python's parser reads names.
    """

    def __init__(self, names: Collection[str]) -> None:
        self.declared = frozenset(names)
        self._plain = {name: sp.Symbol(name) for name in self.declared}
        self._real: dict[str, sp.Symbol] = {}

    def parse(self, text: str, where: str = "expression") -> sp.Expr:
        """Parse one expression (see :func:`parse_expression`)."""
        # built over plain symbols, rebuilt over real ones where that can simplify
        # (abs(exp(x)) -> exp(x)); sums and products of symbols need no rebuild
        parsed = self._parse_text(text, where)
        try:
            real, expr = real_form(parsed, self._real, self._plain)
        except (ValueError, TypeError) as err:  # sympy's Min/Max must order their arguments
            raise ModelFileError(
                f"{where}: the expression cannot be read over real numbers ({err}); simplify "
                "the constant arguments of min/max."
            ) from None
        text_problem = problem(real) or _power_problem(expr)
        if text_problem is not None:
            raise ModelFileError(f"{where}: {_sentence(text_problem)}")
        return expr

    def _parse_text(self, text: str, where: str) -> sp.Expr:
        if not isinstance(text, str):
            raise ModelFileError(
                f"{where}: expected an expression as text, got {type(text).__name__}."
            )
        if len(text) > MAX_LENGTH:
            raise ModelFileError(
                f"{where}: expression is {len(text)} characters long; at most {MAX_LENGTH} "
                "are accepted."
            )
        if not text.strip():
            raise ModelFileError(f"{where}: expression is empty.")
        if "\x00" in text:
            raise ModelFileError(f"{where}: expression contains a NUL character.")
        if "#" in text:
            raise ModelFileError(
                f"{where}: expression contains '#', which Python would read as the start of "
                f"a comment, silently dropping the rest (column {text.index('#') + 1}); "
                "remove it (TOML comments go outside the quotes)."
            )
        lookalike = lookalike_problem(text, self.declared)
        if lookalike is not None:
            raise ModelFileError(f"{where}: {_sentence(lookalike)}")
        chunks = _top_level_chunks(text.strip())
        if len(chunks) > 1:
            parts = [self._parse_text(chunk, where) for chunk in chunks]
            return sp.Add(*parts)
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as err:
            raise ModelFileError(
                f"{where}: not a valid expression ({err.msg}, column {err.offset})."
            ) from None
        except (RecursionError, MemoryError, ValueError):
            raise ModelFileError(
                f"{where}: expression cannot be parsed (too deeply nested, too long a "
                "number, or malformed)."
            ) from None
        try:
            return _Converter(self._plain, where).convert(tree.body)[0]
        except RecursionError:
            raise ModelFileError(f"{where}: expression nested too deeply.") from None


def _power_problem(expr: sp.Expr) -> str | None:
    """A power past the exponent cap that sympy built by combining factors (``x*x*...``)."""
    for power in expr.atoms(sp.Pow):
        exponent = power.exp
        if exponent.is_Number and abs(exponent) > MAX_EXPONENT:
            return (
                f"the equation amounts to {power}, a power beyond the exponent cap "
                f"({MAX_EXPONENT} in magnitude; repeated factors are combined into one power)"
            )
    return None


def parse_expression(text: str, names: Collection[str], where: str = "expression") -> sp.Expr:
    """Parse one arithmetic expression safely into sympy.

    States, parameters and time are read as real numbers (so ``abs(exp(x))`` is ``exp(x)``);
    the result holds plain symbols of the declared names.

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
        For anything outside the whitelist, naming the construct and ``where``: other
        constructs and functions, undeclared names, names that Python's NFKC normalisation
        reads as another name, a ``#`` (which would start a comment), constants that are
        not finite real numbers (``sqrt(-1)``, ``log(0)``, ``1e999``, integers beyond the
        double range, ``exp(exp(exp(10)))``), exponents beyond :data:`MAX_EXPONENT` (also
        when built by multiplying factors), nesting deeper than :data:`MAX_DEPTH`.

    Examples
    --------
    >>> from richardson.model.expressions import parse_expression
    >>> parse_expression("k*y - a*x + g", {"x", "y", "k", "a", "g"})
    -a*x + g + k*y
    >>> parse_expression("abs(exp(x))", {"x"})
    exp(x)
    """
    return ExpressionParser(names).parse(text, where)


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
            positive = -expr
            if positive.is_Mul and any(f.is_Add for f in positive.args):
                # "-(x + y)/x" would negate the sum first (sympy distributes the sign over it)
                return f"-({_fmt(positive)[0]})", _NEG
            return "-" + _wrap(_fmt(positive), _MUL), _NEG
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
    if expr is sp.E:
        return "exp(1)", _ATOM
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
    (Delayed, "delayed"),
)
