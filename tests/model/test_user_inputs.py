"""What a new user passes first: sympy Symbols as names, a scalar reaction with enlargement,
and error messages that read as punctuated sentences."""

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose

import richardson as rd
from richardson.errors import punctuated


def test_sympy_symbols_name_states_and_parameters():
    x, y, k, a = sp.symbols("x y k a")
    model = rd.Model(states=[x, y], params={k: 0.5, a: 1.0}, rhs=[k * y - a * x, k * x - a * y])
    assert model.states == ("x", "y") and model.param_names == ("k", "a")
    by_name = rd.Model(["x", "y"], {"k": 0.5, "a": 1.0}, [k * y - a * x, k * x - a * y])
    assert model == by_name
    # real symbols (what a careful sympy user declares) are the same names
    xr, yr = sp.symbols("x y", real=True)
    real = rd.Model(
        states=[xr, yr], params={k: 0.5, a: 1.0}, rhs=[k * yr - a * xr, k * xr - a * yr]
    )
    assert real == by_name
    run = rd.simulate(model, (0, 1), [1.0, 2.0])
    assert_allclose(run.values[-1], rd.simulate(by_name, (0, 1), [1.0, 2.0]).values[-1])


def test_a_symbol_that_is_no_identifier_is_still_refused():
    bad = sp.Symbol("x y")
    with pytest.raises(rd.ModelError, match="not a valid identifier"):
        rd.Model(states=[bad], params={}, rhs=[sp.Integer(0)])


def test_scalar_reaction_with_enlargement_treats_the_prospect_as_an_ally():
    blocs = {"West": ["A"], "East": ["B"]}
    model = rd.alliance_model(
        ["A", "B", "C"], blocs, reaction=0.2, ally_coupling=-0.1, enlargement={"C": "West"}
    )
    names = set(model.param_names)
    # C and West's A are allies weighted by join_C; both still react to the East
    assert {"k_A_B", "k_B_A", "k_B_C", "k_C_B", "join_C"} <= names
    assert not {"k_A_C", "k_C_A"} & names
    compiled = model.compile()
    y = np.array([1.0, 2.0, 3.0])
    p = model.param_vector()
    outside = compiled.rhs(0.0, y, p)
    assert_allclose(outside[2], 0.2 * 2.0 - 3.0, rtol=1e-13)  # join_C = 0: no ally term
    joined = compiled.rhs(0.0, y, model.with_params(join_C=1.0).param_vector())
    assert_allclose(joined[2], 0.2 * 2.0 - 3.0 - 0.1 * 1.0, rtol=1e-13)


def test_a_reaction_matrix_naming_the_prospect_and_its_bloc_says_why():
    matrix = np.full((3, 3), 0.2) - 0.2 * np.eye(3)
    with pytest.raises(rd.ModelError, match="not eligible"):
        rd.alliance_model(
            ["A", "B", "C"],
            {"West": ["A"], "East": ["B"]},
            reaction=matrix,
            enlargement={"C": "West"},
        )


@pytest.mark.parametrize(
    "call",
    [
        lambda: rd.richardson2().with_params(kk=1.0),
        lambda: rd.data.load("us_usr"),
        lambda: rd.alliance_model(["France", "Russia"], {"E": ["Frence"]}),
        lambda: rd.fit(rd.richardson2(), rd.data.load("pre_wwi_blocs"), method="odee"),
    ],
)
def test_did_you_mean_messages_are_punctuated_sentences(call):
    with pytest.raises(rd.RichardsonError) as err:
        call()
    message = str(err.value)
    assert "Did you mean" in message
    before = message.split(" Did you mean", 1)[0]
    assert before.endswith("."), message
    assert message.rstrip().endswith((".", "?", "!")), message
    assert "?." not in message and "?;" not in message


def test_punctuated_is_idempotent_and_ends_every_message():
    assert punctuated("a") == "a."
    assert punctuated("a?") == "a?"
    once = punctuated("x Did you mean 'k'?. Then more")
    assert once == "x. Did you mean 'k'? Then more." and punctuated(once) == once
