"""Delayed terms in models: rd.delayed, the safe parser, what the model checks and refuses."""

import math

import numpy as np
import pytest
import sympy as sp

import richardson as rd
from richardson.errors import ModelError, ModelFileError
from richardson.model.delays import Delayed, lagged_form
from richardson.model.expressions import format_expression, parse_expression

x, y, k, l, a, b, tau, sigma = sp.symbols("x y k l a b tau sigma")


def two_nation(**values):
    params = {"k": 0.9, "l": 0.8, "a": 1.0, "b": 1.1, "tau": 1.0} | values
    return rd.Model(["x", "y"], params, [k * rd.delayed(y, tau) - a * x, l * x - b * y])


def test_delayed_is_a_sympy_term_that_the_model_lists():
    m = two_nation()
    assert m.delays == (rd.model.Delay("y", tau),)
    assert m.delays[0].value(m.defaults) == 1.0
    assert isinstance(m.rhs[0].atoms(Delayed).pop(), Delayed)
    assert rd.delayed(y, 0) == y  # no delay is the state itself
    assert str(rd.delayed(y, tau)) == "delayed(y, tau)"
    assert sp.latex(rd.delayed(y, tau)) == r"y\left(t - \tau\right)"


def test_without_delays_sets_every_lag_to_zero():
    m = two_nation()
    plain = m.without_delays()
    assert plain.delays == ()
    assert sp.expand(plain.rhs[0] - (k * y - a * x)) == 0


def test_lagged_form_puts_each_delayed_term_in_a_parameter():
    m = rd.Model(
        ["x", "y"],
        {"a": 1.0, "tau": 1.0, "sigma": 2.0},
        [-a * rd.delayed(x, tau) + rd.delayed(y, sigma), rd.delayed(x, tau) - y],
    )
    plain, slots = lagged_form(m)
    assert len(slots) == 2 and plain.delays == ()
    assert set(slots) <= set(plain.params)
    symbols = [sp.Symbol(s) for s in slots]
    assert {str(d) for d in m.delays} == {"delayed(x, tau)", "delayed(y, sigma)"}
    lag_of = {d.state: s for d, s in zip(m.delays, symbols, strict=True)}
    assert sp.expand(plain.rhs[0] - (-a * lag_of["x"] + lag_of["y"])) == 0


@pytest.mark.parametrize(
    ("rhs", "params", "words"),
    [
        ([k * rd.delayed(y, tau) - a * x, -y], {"k": 1, "a": 1, "tau": -1.0}, "positive"),
        ([k * rd.delayed(y, x) - a * x, -y], {"k": 1, "a": 1}, "states or on time"),
        ([k * rd.delayed(y, rd.TIME) - a * x, -y], {"k": 1, "a": 1}, "states or on time"),
        ([k * rd.delayed(sigma, 1.0) - a * x, -y], {"k": 1, "a": 1, "sigma": 1}, "not a state"),
    ],
)
def test_bad_delays_are_refused_when_the_model_is_built(rhs, params, words):
    with pytest.raises(ModelError, match=words):
        rd.Model(["x", "y"], params, rhs)


def test_delayed_refuses_an_expression_and_a_negative_lag():
    with pytest.raises(ModelError, match="state symbol"):
        rd.delayed(2 * y, tau)
    with pytest.raises(ModelError, match="non-negative"):
        rd.delayed(y, -1.0)


def test_a_delay_in_a_map_or_an_observable_is_refused():
    with pytest.raises(ModelError, match="kind='ode'"):
        rd.Model(["x"], {"tau": 1.0}, [rd.delayed(x, tau)], kind="map")
    with pytest.raises(ModelError, match="observable"):
        rd.Model(["x"], {"tau": 1.0}, [-x], observables={"old": rd.delayed(x, tau)})


def test_with_params_checks_the_lag_again():
    with pytest.raises(ModelError, match="positive"):
        two_nation().with_params(tau=0.0)


def test_the_safe_parser_reads_and_writes_delayed():
    names = {"x", "y", "k", "a", "tau"}
    expr = parse_expression("k*delayed(y, tau) - a*x", names)
    assert expr == k * Delayed(y, tau) - a * x
    assert parse_expression(format_expression(expr), names) == expr
    with pytest.raises(ModelFileError, match="name of a state"):
        parse_expression("delayed(2*y, tau)", names)
    with pytest.raises(ModelFileError, match="takes 2"):
        parse_expression("delayed(y)", names)


def test_model_file_round_trip_keeps_the_delay(tmp_path):
    m = two_nation()
    path = tmp_path / "delayed.toml"
    rd.save_model(m, path)
    back = rd.load_model(path)
    assert back.delays == m.delays
    assert back == m


def test_analyses_that_would_ignore_the_lag_refuse_the_model():
    m = two_nation().with_params()
    m = rd.Model(m.states, m.params, m.rhs, initial={"x": 1.0, "y": 1.0})
    with pytest.raises(ModelError, match="simulate_ensemble cannot handle the delayed terms"):
        rd.simulate_ensemble(m, [{"k": 0.9}], (0, 1))
    with pytest.raises(ModelError, match="would ignore the lags"):
        m.compile()
    with pytest.raises(ModelError, match="would ignore the lags"):
        rd.equilibria(m)
    import pandas as pd

    frame = pd.DataFrame({"x": np.ones(5), "y": np.ones(5)}, index=range(1900, 1905))
    with pytest.raises(ModelError, match="fit cannot handle the delayed terms"):
        rd.fit(m, frame)
    assert math.isfinite(rd.simulate(m, (0, 2)).final()["x"])


@pytest.mark.parametrize("delayed", ["reaction", "budget", "both"])
def test_richardson2_delayed_has_the_balance_of_richardson2(delayed):
    m = rd.richardson2_delayed(tau=2.0, delayed=delayed)
    assert {str(d) for d in m.delays} == {"delayed(x, tau)", "delayed(y, tau)"}
    assert m.params["tau"].value == 2.0 and m.params["tau"].unit == "year"
    plain = m.without_delays()
    classic = rd.richardson2()
    assert all(sp.expand(p - q) == 0 for p, q in zip(plain.rhs, classic.rhs, strict=True))
    # which term is delayed: x's own fatigue (budget) or its reaction to y
    assert m.rhs[0].has(Delayed(x, tau)) == (delayed in ("budget", "both"))
    assert m.rhs[0].has(Delayed(y, tau)) == (delayed in ("reaction", "both"))
    with pytest.raises(ModelError, match="delayed must be one of"):
        rd.richardson2_delayed(delayed="fatigue")
