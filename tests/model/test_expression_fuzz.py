"""Fuzz of the safe expression parser: only ModelFileError may escape, and what is accepted
is an admissible real expression over the declared names.

10,000 examples per strategy when ``CI`` is set (``FUZZ_EXAMPLES`` overrides), a few hundred
locally. Three sources of text: arbitrary unicode, random token soup from a hostile
vocabulary (operators, huge numbers, dunder names, lookalikes, ``#``, brackets, quotes), and
well-formed nested expressions over every construct Python's grammar offers. A sample of the
accepted, well-formed expressions is compiled and its Jacobian evaluated (a crash there is
what ``abs(exp(x))`` used to do).
"""

from __future__ import annotations

import math
import os

import hypothesis.strategies as st
import numpy as np
import sympy as sp
from hypothesis import HealthCheck, event, given, settings

import richardson as rd
from richardson.model._admissible import problem
from richardson.model.expressions import MAX_EXPONENT, parse_expression

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 10_000 if os.environ.get("CI") else 300))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

NAMES = {"x", "y", "k", "a", "t", "Türkiye"}

VOCABULARY = [
    *sorted(NAMES), "q", "__import__", "__class__", "os", "eval", "lambda", "import", "for",
    "in", "if", "else", "not", "and", "None", "True", "E", "pi", "I", "oo", "zoo", "nan",
    "exp", "log", "sqrt", "tanh", "abs", "sigmoid", "min", "max", "sin", "re", "im", "arg",
    "+", "-", "*", "/", "**", "//", "%", "^", "@", "~", "<", "==", ":=", "=", ",", ".", ":",
    ";", "(", ")", "[", "]", "{", "}", "'", '"', "#", "\\", "\n", "\t", " ", "\x00",
    "0", "1", "2", "-1", "0.0", "1e308", "1e309", "1e-320", "1e999", "64", "65", "1000",
    "10" * 20, "9" * 400, "0x1f", "1_000", "1j", "inf", "tanh(1)", "exp(1)",
    "ｋ", "ﬁ", "а", "ο", "𝐤", "Tu\u0308rkiye", "\u200b", "\ufeff",
]  # fmt: skip


def check_outcome(text: str) -> sp.Expr | None:
    """Parse ``text``; the only exception allowed is ModelFileError, with a sentence."""
    try:
        expr = parse_expression(text, NAMES, "fuzz")
    except rd.ModelFileError as err:
        message = str(err)
        assert message.startswith("fuzz") and message.rstrip().endswith((".", ")", "?"))
        event("refused")
        return None
    event("accepted")
    assert isinstance(expr, sp.Expr)
    assert {s.name for s in expr.free_symbols} <= NAMES
    assert all(s == sp.Symbol(s.name) for s in expr.free_symbols)  # plain, as Model holds
    real = expr.xreplace({s: sp.Symbol(s.name, real=True) for s in expr.free_symbols})
    assert problem(real) is None, (text, expr)
    for power in expr.atoms(sp.Pow):
        if power.exp.is_Number:
            assert abs(power.exp) <= MAX_EXPONENT
    for number in expr.atoms(sp.Float):
        assert math.isfinite(float(number))
    return expr


@given(st.text(max_size=200))
@FUZZ
def test_arbitrary_text(text):
    check_outcome(text)


@given(st.lists(st.sampled_from(VOCABULARY), max_size=30).map("".join))
@FUZZ
def test_token_soup(text):
    check_outcome(text)


_leaf = st.one_of(
    st.sampled_from(sorted(NAMES) + ["q", "E", "ｋ", "а"]),
    st.integers(-(10**400), 10**400).map(str),
    st.floats(allow_nan=False).map(repr),
    st.sampled_from(["0", "0.0", "-0.0", "1e-320", "(1/3)", "1j", "'s'", "None", "..."]),
)


def _grow(inner):
    binary = st.sampled_from(["+", "-", "*", "/", "**", "%", "//", "<", "and", "^", "@"])
    call = st.sampled_from(["exp", "log", "sqrt", "tanh", "abs", "sigmoid", "sin", "re"])
    return st.one_of(
        st.tuples(inner, binary, inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(call, inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(["min", "max"]), st.lists(inner, min_size=1, max_size=9)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        ),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        st.tuples(st.sampled_from(["-", "+", "~", "not "]), inner).map("".join),
        inner.map(lambda e: f"{e}.real"),
        inner.map(lambda e: f"[{e}][0]"),
    )


well_formed = st.recursive(_leaf, _grow, max_leaves=14)


@given(well_formed)
@FUZZ
def test_well_formed_expressions(text):
    check_outcome(text)


_allowed_leaf = st.one_of(
    st.sampled_from(sorted(NAMES)),
    st.integers(-1000, 1000).map(str),
    st.floats(-1e3, 1e3, allow_nan=False).map(repr),
)


def _allowed(inner):
    return st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(inner, st.sampled_from(["2", "3", "-1", "0.5", "(1/3)", "k"])).map(
            lambda t: f"({t[0]})**{t[1]}"
        ),
        st.tuples(st.sampled_from(["exp", "log", "sqrt", "tanh", "abs", "sigmoid"]), inner).map(
            lambda t: f"{t[0]}({t[1]})"
        ),
        st.tuples(st.sampled_from(["min", "max"]), inner, inner).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"
        ),
        inner.map(lambda e: f"-{e}"),
    )


#: Only whitelisted constructs: most are accepted, and must then compile.
allowed = st.recursive(_allowed_leaf, _allowed, max_leaves=10)


@given(allowed)
@FUZZ
def test_whitelisted_expressions(text):
    check_outcome(text)


@given(allowed)
@settings(
    max_examples=max(EXAMPLES // 20, 30),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_accepted_expressions_compile_and_differentiate(text):
    expr = check_outcome(text)
    if expr is None:
        return
    states = ["x", "y", "Türkiye"]
    model = rd.Model(states, {"k": 0.5, "a": 1.5}, [expr, -sp.Symbol("y"), sp.Integer(0)])
    compiled = model.compile()
    y = np.array([0.3, -0.7, 1.1])
    with np.errstate(all="ignore"):  # a NaN at one point is a numerical outcome, not a crash
        assert compiled.rhs(0.5, y, model.param_vector()).shape == (3,)
        assert compiled.jac(0.5, y, model.param_vector()).shape == (3, 3)
