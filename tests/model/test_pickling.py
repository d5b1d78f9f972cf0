"""Models and every result object pickle (process pools, caching by users) and come back equal.

Each round trip checks the restored object against the original on what the user reads:
equations, parameters, numbers, verdicts, summaries.
"""

import gc
import linecache
import math
import pickle
import warnings

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose, assert_array_equal

import richardson as rd
from richardson.codegen.compiled import compile_model
from richardson.model._frozen import FrozenMapping


def round_trip(obj):
    return pickle.loads(pickle.dumps(obj))


@pytest.fixture(scope="module")
def classic():
    return rd.richardson2(k=0.9, l=0.8, a=1.0, b=1.1, g=0.5, h=0.3)


@pytest.fixture(scope="module")
def fitted():
    data = rd.data.load("pre_wwi_blocs")
    model = rd.richardson2(actors=("Entente", "Central Powers"))
    return rd.fit(model, data, method="difference", verdict=False)


def test_frozen_mapping_is_read_only_and_pickles():
    table = FrozenMapping({"k": 0.9, "a": 1.0})
    assert table == {"k": 0.9, "a": 1.0} and len(table) == 2 and "k" in table
    with pytest.raises(TypeError):
        table["k"] = 1.0  # type: ignore[index]
    with pytest.raises(AttributeError):
        table._data = {}  # type: ignore[misc]
    back = round_trip(table)
    assert isinstance(back, FrozenMapping) and back == table


def test_model_round_trip_keeps_everything(classic):
    model = classic.with_interventions(rd.step("k", at=10.0, to=0.5))
    back = round_trip(model)
    assert back == model
    assert back.fingerprint == model.fingerprint
    assert dict(back.metadata) == dict(model.metadata)
    assert [p.bounds for p in back.params.values()] == [p.bounds for p in model.params.values()]
    with pytest.raises(TypeError):
        back.params["k"] = 1.0  # still read-only after the trip


def test_model_from_file_with_non_ascii_names_round_trips():
    x, y = sp.symbols("Türkiye Ελλάδα")
    model = rd.Model(
        ["Türkiye", "Ελλάδα"],
        {"k": 0.4, "l": 0.3},
        [sp.Symbol("k") * y - x, sp.Symbol("l") * x - y],
        metadata={"sources": ["made up"]},
    )
    back = round_trip(model)
    assert back == model and back.states == ("Türkiye", "Ελλάδα")


def test_trajectory_and_runaway_round_trip(classic):
    trajectory = rd.simulate(classic, (0, 30), [1.0, 2.0])
    back = round_trip(trajectory)
    assert_array_equal(back.values, trajectory.values)
    assert_array_equal(back.data["spending"].values, trajectory.data["spending"].values)
    assert back.final() == trajectory.final()
    hot = rd.richardson2(k=1.3, l=1.2)
    runaway = rd.simulate(hot, (0, 50), [1, 2], ceiling=1e3)
    assert round_trip(runaway).runaway == runaway.runaway


def test_ensemble_round_trip(classic):
    ensemble = rd.simulate_ensemble(classic, {"k": [0.5, 0.9, 1.3]}, (0, 30), [1, 2])
    back = round_trip(ensemble)
    assert back.complete == ensemble.complete
    assert_array_equal(back.data["spending"].values, ensemble.data["spending"].values)


def test_analysis_results_round_trip(classic):
    regime = rd.classify(classic)
    back = round_trip(regime)
    assert back.name == regime.name and back.summary() == regime.summary()
    balances = rd.equilibria(classic)
    assert_allclose(round_trip(balances)[0].state, balances[0].state)
    conditions = rd.stability_conditions(classic)
    assert [str(c) for c in round_trip(conditions)] == [str(c) for c in conditions]
    margin = rd.escalation_margin(classic)
    back_margin = round_trip(margin)
    assert back_margin.margin == margin.margin
    assert dict(back_margin.boundary) == dict(margin.boundary)
    trigger = rd.nearest_bifurcation(classic)
    assert repr(round_trip(trigger)) == repr(trigger)


def test_branch_round_trip(classic):
    branch = rd.continuation(classic, "k", bounds=(0.0, 2.0))
    back = round_trip(branch)
    assert_array_equal(back.points["parameter"].values, branch.points["parameter"].values)
    assert [b.kind for b in back.bifurcations] == [b.kind for b in branch.bifurcations]


def test_orbit_diagram_round_trip():
    x = sp.Symbol("x")
    logistic = rd.Model(["x"], {"r": 3.2}, [sp.Symbol("r") * x * (1 - x)], kind="map")
    diagram = rd.orbit_diagram(logistic, "r", [2.8, 3.2, 3.5], x0=[0.3], transient=50, keep=20)
    back = round_trip(diagram)
    assert back.param == diagram.param
    assert_array_equal(back.data["state"].values, diagram.data["state"].values)


def test_fit_and_bootstrap_round_trip(fitted):
    back = round_trip(fitted)
    assert back.params == fitted.params and back.summary() == fitted.summary()
    boot = rd.bootstrap(fitted, n=20)
    assert round_trip(boot).summary() == boot.summary()


def test_trajectory_fit_round_trips_with_its_compiled_model():
    data = rd.data.load("pre_wwi_blocs")
    model = rd.richardson2(actors=("Entente", "Central Powers"))
    with warnings.catch_warnings():  # a fit at a bound is beside the point here
        warnings.simplefilter("ignore", rd.RichardsonWarning)
        result = rd.fit(model, data, allow_nominal=True)
    back = round_trip(result)
    assert back.params == result.params and back.summary() == result.summary()


@pytest.mark.parametrize("strategy", ["scalar", "structured"])
def test_compiled_model_pickles_as_its_source(classic, strategy):
    compiled = compile_model(classic, strategy)
    back = round_trip(compiled)
    assert back.source == compiled.source and back.fingerprint == compiled.fingerprint
    y, p = np.array([1.0, 2.0]), classic.param_vector()
    assert_array_equal(back.rhs(0.0, y, p), compiled.rhs(0.0, y, p))
    assert_array_equal(back.jac(0.0, y, p), compiled.jac(0.0, y, p))


def _generated_entries() -> int:
    return sum(1 for name in linecache.cache if name.startswith("<richardson-generated-"))


def test_linecache_does_not_grow_without_bound():
    """Compiling many distinct models keeps only the live compiled models' source."""
    x, k = sp.symbols("x k")
    before = _generated_entries()
    for i in range(150):  # more than the compile cache holds (64)
        rd.Model(["x"], {"k": 1.0}, [-k * x + sp.Float(i) + sp.Rational(1, 3)]).compile()
    gc.collect()
    assert _generated_entries() - before <= 64


def test_traceback_of_generated_code_shows_its_source(classic):
    compiled = compile_model(classic, "scalar")
    code = compiled._functions["rhs"].__code__
    lines = linecache.getlines(code.co_filename)
    assert lines and "def rhs" in "".join(lines)


def test_fingerprint_tells_apart_floats_differing_in_the_last_bit():
    x, k = sp.symbols("x k")
    a = 0.1
    b = math.nextafter(a, 1.0)
    assert str(sp.Float(a)) == str(sp.Float(b))  # sympy's text cannot tell them apart
    one = rd.Model(["x"], {"k": 1.0}, [-k * x + a])
    two = rd.Model(["x"], {"k": 1.0}, [-k * x + b])
    assert one.fingerprint != two.fingerprint
    y, p = np.array([0.0]), np.array([1.0])
    assert one.compile().rhs(0.0, y, p)[0] == a
    assert two.compile().rhs(0.0, y, p)[0] == b


def test_bifurcation_curve_round_trip():
    x, a, b = sp.symbols("x a b")
    model = rd.Model(["x"], {"a": 0.0, "b": 1.0}, [a + b * x - x**3])
    branch = rd.continuation(model, "a", start=[1.0], bounds=(-2.0, 2.0))
    curve = rd.continue_bifurcation(branch.of_kind("fold")[0], "b", bounds=(-1.0, 2.0))
    back = round_trip(curve)
    assert_array_equal(back.values("a"), curve.values("a"))
    assert [p.kind for p in back.special_points] == [p.kind for p in curve.special_points]


def test_coupling_and_trend_tests_round_trip():
    data = rd.data.load("pre_wwi_blocs")
    coupling = rd.coupling_test(data, maxlags=1, ic=None)
    back = round_trip(coupling)
    assert back.p_value == coupling.p_value and back.summary() == coupling.summary()
    trend = rd.trend_diagnostics(data)
    assert round_trip(trend).summary() == trend.summary()
