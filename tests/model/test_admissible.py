"""Models built in Python get the checks of model files: real symbols, admissible functions
and constants, names that Python reads as other names."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose

import richardson as rd
from richardson.model._names import ascii_lookalike, lookalike_problem, normalisation_collisions
from richardson.model.expressions import parse_expression

x, y, k = sp.symbols("x y k")


def test_abs_of_exp_is_exp_for_real_states_and_its_jacobian_compiles():
    expr = sp.Abs(sp.exp(x))  # sympy makes this exp(re(x)) for complex x
    assert expr.has(sp.re)
    model = rd.Model(["x"], {"k": 1.0}, [expr - k * sp.Abs(x)])
    assert model.rhs[0] == sp.exp(x) - k * sp.Abs(x)
    compiled = model.compile()  # used to segfault inside symengine
    for value in (-2.0, 3.0):
        jac = compiled.jac(0.0, np.array([value]), np.array([1.0]))
        assert_allclose(jac[0, 0], np.exp(value) - np.sign(value))


@pytest.mark.parametrize("strategy", ["scalar", "structured"])
def test_abs_jacobian_in_both_code_shapes(strategy):
    model = rd.Model(["x", "y"], {"k": 0.5}, [k * sp.Abs(y) - x, sp.Abs(x - y) - y])
    compiled = rd.compile_model(model, strategy)
    jac = compiled.jac(0.0, np.array([1.0, -2.0]), np.array([0.5]))
    assert_allclose(jac, [[-1.0, -0.5], [1.0, -2.0]])


def test_re_im_conjugate_of_real_quantities_simplify_away():
    model = rd.Model(["x"], {"k": 1.0}, [sp.re(x) * k + sp.im(x) + sp.conjugate(x)])
    assert model.rhs[0] == k * x + x


@pytest.mark.parametrize(
    "expr, fragment",
    [
        (sp.arg(x), "arg(x)"),
        (sp.Heaviside(x), "Heaviside"),
        (sp.I * x, "imaginary unit"),
        (x + sp.zoo, "zoo"),
        (x + sp.oo, "oo"),
        (x * sp.nan, "nan"),
        (sp.Integer(10) ** 400 * x, "401 digits"),
        (sp.Float("1e400") * x, "does not fit a double"),
        (sp.Derivative(sp.Function("f")(x), x), "undefined function"),
        (sp.log(-sp.exp(x)), "never positive"),
        (sp.Integer(-2) ** k * x, "negative quantity"),
    ],
)
def test_inadmissible_right_hand_side_is_a_model_error(expr, fragment):
    with pytest.raises(rd.ModelError, match="right-hand side of 'x'") as info:
        rd.Model(["x"], {"k": 1.0}, [expr])
    assert fragment in str(info.value)
    assert str(info.value).endswith(".")


def test_names_colliding_under_nfkc_are_duplicates():
    with pytest.raises(rd.DuplicateNameError, match="NFKC"):
        rd.Model(["ﬁ", "fi"], {}, [sp.Symbol("ﬁ"), sp.Symbol("fi")])
    with pytest.raises(rd.DuplicateNameError, match="'t'"):
        rd.Model(["x"], {"ｔ": 1.0}, [x])
    assert normalisation_collisions(["a", "b", "Türkiye"]) is None


def test_lookalikes_are_named_with_their_characters():
    text = lookalike_problem("k*y - \u0430*x", {"k", "a", "x", "y"})
    assert "U+0430 CYRILLIC SMALL LETTER A" in text and "looks like 'a'" in text
    assert "read by Python as 'k'" in lookalike_problem("\uff4b*y", {"k", "y"})
    assert lookalike_problem("Türkiye*k", {"Türkiye", "k"}) is None  # declared: fine
    assert ascii_lookalike("ροκ") == "pok"


def test_parser_results_hold_plain_symbols_the_model_accepts():
    expr = parse_expression("abs(exp(x)) + sqrt(y**2)", {"x", "y"})
    assert expr == sp.exp(x) + sp.Abs(y)
    assert all(s == sp.Symbol(s.name) for s in expr.free_symbols)


def test_hash_in_an_equation_is_refused_not_a_comment():
    with pytest.raises(rd.ModelFileError, match="'#'"):
        parse_expression("k*y # - x", {"k", "x", "y"})


def test_values_beyond_the_double_range_are_invalid_parameters():
    with pytest.raises(rd.InvalidParameterError, match="fits a double"):
        rd.Parameter("k", 10**400)
    with pytest.raises(rd.InvalidParameterError, match="characters"):
        rd.Parameter("k", 1.0, (0, 10**400))
    with pytest.raises(rd.InvalidParameterError, match="initial value of 'x'"):
        rd.Model(["x"], {}, [x], initial={"x": 10**400})


def test_constant_far_below_the_double_range_is_refused_with_a_message():
    """exp(-4.6e18) is a sympy Float whose exponent Decimal cannot format (found by the fuzz)."""
    with pytest.raises(rd.ModelFileError, match="below the range of normal doubles"):
        parse_expression("-exp(-4.6051701859880914e+18)", {"x"})


def test_floor_ceiling_and_sign_compile_with_a_zero_derivative_almost_everywhere():
    """Vensim's INTEGER is sign(x) floor(|x|): admissible, derivative 0 off the jumps."""
    model = rd.Model(["x"], {}, [sp.sign(x) * sp.floor(sp.Abs(2 * x)) + sp.ceiling(x / 3) - x])
    compiled = model.compile()
    for value, expected in ((1.3, 2 + 1 - 1.3), (-1.3, -2 + 0 + 1.3)):
        assert_allclose(compiled.rhs(0.0, [value], []), [expected])
        assert_allclose(compiled.jac(0.0, [value], []), [[-1.0]])
