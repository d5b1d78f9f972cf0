"""rd.Model: construction, validation messages, immutability, display; the constructors."""

import dataclasses
import math

import numpy as np
import pytest
import sympy as sp

import richardson as rd

x, y, k, l, a, b, g, h = sp.symbols("x y k l a b g h")


def test_valid_model_has_ordered_names_and_defaults():
    m = rd.Model(["x", "y"], {"k": 0.9, "a": 1.0}, [k * y - a * x, x - y])
    assert m.states == ("x", "y")
    assert m.param_names == ("k", "a")
    assert m.defaults == {"k": 0.9, "a": 1.0}
    np.testing.assert_array_equal(m.param_vector(a=2.0), [0.9, 2.0])


def test_unknown_symbol_is_named_with_suggestion():
    kk = sp.Symbol("kk")
    with pytest.raises(rd.UnknownSymbolError) as err:
        rd.Model(["x", "y"], {"k": 0.9}, [kk * y, x])
    message = str(err.value)
    assert "'kk'" in message and "neither a state nor a parameter" in message
    assert "Did you mean 'k'?" in message
    assert isinstance(err.value, ValueError)


def test_rhs_count_mismatch():
    with pytest.raises(rd.DimensionMismatchError, match="2 states but 1 right-hand sides"):
        rd.Model(["x", "y"], {"k": 1.0}, [k * y])


def test_rhs_mapping_must_cover_states():
    with pytest.raises(rd.DimensionMismatchError, match=r"missing \['y'\]"):
        rd.Model(["x", "y"], {"k": 1.0}, {"x": k * y})


def test_duplicate_state_names():
    with pytest.raises(rd.DuplicateNameError, match="state 'x' is declared twice"):
        rd.Model(["x", "x"], {"k": 1.0}, [k, k])


def test_state_and_parameter_name_clash():
    with pytest.raises(rd.DuplicateNameError, match="both as a state and as a parameter"):
        rd.Model(["x", "k"], {"k": 1.0}, [k, x])


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_non_finite_default(bad):
    with pytest.raises(rd.InvalidParameterError, match="non-finite default"):
        rd.Model(["x"], {"k": bad}, [k * x])


def test_default_outside_bounds():
    with pytest.raises(rd.InvalidParameterError, match=r"outside its bounds \(0.0, 1.0\)"):
        rd.Model(["x"], {"k": {"value": 2.0, "bounds": (0, 1)}}, [k * x])


def test_inverted_bounds():
    with pytest.raises(rd.InvalidParameterError, match="lower bound must not exceed"):
        rd.Parameter("k", 0.5, bounds=(1.0, 0.0))


def test_non_numeric_default():
    with pytest.raises(rd.InvalidParameterError, match="not a number"):
        rd.Parameter("k", "high")


def test_invalid_identifier_and_reserved_time():
    with pytest.raises(rd.ModelError, match="not a valid identifier"):
        rd.Model(["Austria-Hungary"], {"k": 1.0}, [k])
    with pytest.raises(rd.ModelError, match="reserved for time"):
        rd.Model(["t"], {"k": 1.0}, [k])


def test_string_rhs_is_refused():
    with pytest.raises(rd.ModelError, match="is a string"):
        rd.Model(["x"], {"k": 1.0}, ["k*x"])


def test_unknown_kind():
    with pytest.raises(rd.ModelError, match="kind must be 'ode' or 'map'"):
        rd.Model(["x"], {"k": 1.0}, [k * x], kind="pde")


def test_unknown_parameter_field():
    with pytest.raises(rd.ModelError, match="unknown field"):
        rd.Model(["x"], {"k": {"value": 1.0, "units": "1/year"}}, [k * x])


def test_bloc_member_must_be_a_state():
    with pytest.raises(rd.UnknownSymbolError, match="bloc 'NATO' lists member 'z'"):
        rd.Model(["x", "y"], {"k": 1.0}, [k * y, x], blocs={"NATO": ["x", "z"]})


def test_actor_count_must_match():
    with pytest.raises(rd.DimensionMismatchError, match="actor names"):
        rd.Model(["x", "y"], {"k": 1.0}, [k * y, x], actors=["France"])


def test_initial_for_unknown_state():
    with pytest.raises(rd.UnknownSymbolError, match="initial value given for 'z'"):
        rd.Model(["x"], {"k": 1.0}, [k * x], initial={"z": 1.0})


def test_undefined_function_is_refused():
    f = sp.Function("f")
    with pytest.raises(rd.ModelError, match="undefined function"):
        rd.Model(["x"], {"k": 1.0}, [f(x) * k])


def test_symbols_with_assumptions_are_canonicalised():
    xr, kr = sp.symbols("x k", positive=True)
    m = rd.Model(["x"], {"k": 1.0}, [kr * xr])
    assert m.rhs[0] == sp.Symbol("k") * sp.Symbol("x")


def test_with_params_returns_new_model_and_validates(classic):
    changed = classic.with_params(k=0.5)
    assert changed.params["k"].value == 0.5
    assert classic.params["k"].value == 0.9
    assert changed.params["k"].unit == classic.params["k"].unit
    with pytest.raises(rd.UnknownSymbolError, match="Did you mean 'k'"):
        classic.with_params(kk=0.5)
    with pytest.raises(rd.InvalidParameterError, match="outside its bounds"):
        classic.with_params(a=-1.0)  # fatigue is bounded below by 0


def test_model_is_immutable(classic):
    with pytest.raises(dataclasses.FrozenInstanceError):
        classic.kind = "map"
    with pytest.raises(TypeError):
        classic.params["k"] = rd.Parameter("k", 2.0)


def test_repr_and_latex_show_equations(classic):
    text = repr(classic)
    assert "dx/dt = -a*x + g + k*y" in text
    assert "k=0.9" in text
    latex = classic._repr_latex_()
    assert latex.startswith("$\\begin{aligned}") and "\\dot{x}" in latex and "k y" in latex


def test_equality_is_structural(classic):
    assert classic == rd.richardson2(k=0.9, l=0.8, a=1.0, b=1.1, g=0.5, h=0.3)
    assert classic != classic.with_params(k=0.1)


def test_initial_vector_sources(classic):
    np.testing.assert_array_equal(classic.initial_vector([1, 2]), [1.0, 2.0])
    np.testing.assert_array_equal(classic.initial_vector({"y": 3, "x": 4}), [4.0, 3.0])
    with pytest.raises(rd.ModelError, match="no initial value"):
        classic.initial_vector()
    with pytest.raises(rd.DimensionMismatchError, match="y0 has 3 entries"):
        classic.initial_vector([1, 2, 3])


def test_richardson2_equations(classic):
    assert classic.rhs == (k * y - a * x + g, l * x - b * y + h)
    assert classic.params["k"].unit == "1/year"
    assert "reaction" in classic.params["k"].description


def test_richardson_n_builds_canonical_sympy_sums(rng):
    n = 5
    K = rng.uniform(0, 1, (n, n))
    m = rd.richardson_n(K, np.ones(n), np.ones(n), actors=[f"A{i}" for i in range(n)])
    for i, expr in enumerate(m.rhs):
        xs = m.state_symbols
        evaluated = sp.Add(
            *[sp.Symbol(f"k_A{i}_A{j}") * xs[j] for j in range(n)],
            -sp.Symbol(f"a_A{i}") * xs[i],
            sp.Symbol(f"g_A{i}"),
        )
        assert expr == evaluated
        assert sp.srepr(expr) == sp.srepr(evaluated)


def test_richardson_n_shape_errors():
    with pytest.raises(rd.DimensionMismatchError, match="square"):
        rd.richardson_n(np.ones((2, 3)), [1, 1], [0, 0])
    with pytest.raises(rd.DimensionMismatchError, match="a and g need 2 entries"):
        rd.richardson_n(np.ones((2, 2)), [1, 1, 1], [0, 0])


def test_richardson_n_display_names_become_identifiers():
    m = rd.richardson_n(np.zeros((2, 2)), [1, 1], [0, 0], actors=["Austria-Hungary", "Italy"])
    assert m.states == ("Austria_Hungary", "Italy")
    assert m.actors == ("Austria-Hungary", "Italy")
