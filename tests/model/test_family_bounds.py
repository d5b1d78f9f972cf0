"""richardson2(bounds=...) and Model.without_interventions."""

import numpy as np
import pytest

import richardson as rd


def test_a_negative_reaction_explains_how_to_allow_it():
    with pytest.raises(rd.InvalidParameterError) as err:
        rd.richardson2(k=-1)
    text = str(err.value)
    assert "k = -1" in text and "bounds={'k': (-np.inf, np.inf)}" in text and "rd.Model" in text
    with pytest.raises(rd.InvalidParameterError, match="fatigue 'b'"):
        rd.richardson2(b=-0.5)


def test_bounds_allow_a_negative_reaction_and_the_verdict_is_exact():
    m = rd.richardson2(k=-0.5, l=0.8, a=1.0, b=1.1, g=0.5, h=0.3, bounds={"k": (-np.inf, 0)})
    assert m.params["k"].bounds == (-np.inf, 0.0) and m.params["l"].bounds == (0.0, np.inf)
    # A = [[-a, k], [l, -b]]: trace -2.1 < 0, det a b - k l = 1.1 + 0.4 > 0 -> stable
    (eq,) = rd.equilibria(m)
    det = 1.0 * 1.1 - (-0.5) * 0.8
    np.testing.assert_allclose(
        eq.state, [(1.1 * 0.5 + -0.5 * 0.3) / det, (0.8 * 0.5 + 1.0 * 0.3) / det], rtol=1e-12
    )
    assert rd.classify(m).name == "stable_balance"
    with pytest.raises(rd.InvalidParameterError, match="outside its bounds"):
        m.with_params(k=0.5)  # the bounds given stay the parameter's bounds


def test_bounds_name_only_parameters_of_the_model():
    with pytest.raises(rd.InvalidParameterError, match="Did you mean 'k'"):
        rd.richardson2(bounds={"kk": (0, 1)})
    with pytest.raises(rd.InvalidParameterError, match="outside the bounds"):
        rd.richardson2(g=2.0, bounds={"g": (0, 1)})


def test_without_interventions_removes_the_schedules_and_nothing_else():
    m = rd.scenarios.load("confidence_building")
    assert len(m.interventions) == 4
    bare = m.without_interventions()
    assert bare.interventions == () and m.interventions  # a copy: m is unchanged
    assert (bare.states, bare.rhs, dict(bare.initial)) == (m.states, m.rhs, dict(m.initial))
    assert bare.params == m.params and bare.metadata == m.metadata
    # the counterfactual runs away (the file's regime without the hotline), the scenario settles
    with_them = rd.simulate(m, (1962, 1990), ceiling=100)
    without = rd.simulate(bare, (1962, 1990), ceiling=100)
    assert with_them.runaway is None and without.runaway is not None
    assert rd.classify(bare).name == m.metadata["regime"] == "runaway"
    assert bare.with_interventions(*m.interventions) == m
