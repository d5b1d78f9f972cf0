"""Vectorised code of alliance models (built from the term layout) against the symbolic path.

Every term alone and all together, on random states and parameters, batched and bound: the
right-hand side and Jacobian of ``strategy="vectorised"`` equal the structured code generated
from the sympy right-hand sides to 1e-12 relative; the Jacobian also matches central finite
differences, and the parameters declared without building terms equal the symbolic build's.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import richardson as rd
from richardson.codegen.compiled import compile_model
from richardson.model import alliance as alliance_module
from richardson.model import terms as terms_module

ACTORS = [f"n{i}" for i in range(9)]
BLOCS = {"West": ACTORS[:3], "East": ACTORS[3:6], "South": ACTORS[6:7]}  # n7, n8: no bloc

TERMS = {
    "core": {},
    "ally_coupling": {"ally_coupling": -0.05},
    "distrust": {"distrust": 0.2},
    "asymmetry": {"capacity": np.linspace(1.0, 2.0, 9), "asymmetry": 0.5},
    "symbolic_asymmetry": {
        "capacity": np.linspace(1.0, 2.0, 9),
        "asymmetry": 0.5,
        "symbolic_asymmetry": True,
    },
    "mutual_defence": {"defence_commitment": 0.5, "trigger_threshold": 0.6, "trigger_width": 0.2},
    "abandonment": {"abandonment": 0.3, "commitment": 0.7},
    "chain_ganging": {"chain_ganging": 0.1},
    "entrapment": {"chain_ganging": 0.1, "defence_commitment": 0.5, "entrapment": 0.2},
    "ceiling": {"ceiling": 6.0},
    "submissiveness": {"submissiveness": 0.01},
    "enlargement": {"ally_coupling": 0.05, "chain_ganging": 0.2, "enlargement": {"n8": "West"}},
}
ALL = {k: v for spec in TERMS.values() for k, v in spec.items() if k != "symbolic_asymmetry"}


def _model(**terms: object) -> rd.Model:
    return rd.alliance_model(ACTORS, BLOCS, reaction=0.3, grievance=0.1, **terms)


def _random_params(model: rd.Model, rng: np.random.Generator, columns: int = 0) -> np.ndarray:
    """Defaults scaled by U(0.5, 1.5), the [0, 1] parameters (entrapment, commitment,
    membership) drawn in (0.05, 0.95), so no term is switched off by its default."""
    shape = (len(model.params),) if not columns else (len(model.params), columns)
    p = model.param_vector()
    p = (p if not columns else p[:, None]) * rng.uniform(0.5, 1.5, shape)
    for k, param in enumerate(model.params.values()):
        if param.bounds == (0.0, 1.0):
            p[k] = rng.uniform(0.05, 0.95, shape[1:])
    return p


def _close(actual: np.ndarray, expected: np.ndarray) -> None:
    scale = max(float(np.abs(expected).max()), 1e-300)
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12 * scale)


@pytest.mark.parametrize("name", [*TERMS, pytest.param("all", marks=pytest.mark.slow)])
def test_vectorised_equals_symbolic_code(name: str) -> None:
    model = _model(**(ALL if name == "all" else TERMS[name]))
    fast = compile_model(model, "vectorised")
    reference = compile_model(model, "structured")
    assert model.compile() is fast  # the default for more than six actors
    rng = np.random.default_rng(len(name))
    n = model.n_states
    for _ in range(3):
        p = _random_params(model, rng)
        y = rng.uniform(0.0, 8.0, n)
        _close(fast.rhs(0.0, y, p), reference.rhs(0.0, y, p))
        _close(fast.jac(0.0, y, p), reference.jac(0.0, y, p))
        bound = fast.bind(p)
        _close(bound.rhs(0.0, y), reference.rhs(0.0, y, p))
        _close(bound.jac(0.0, y), reference.jac(0.0, y, p))
    ys = rng.uniform(0.0, 8.0, (n, 7))
    ps = _random_params(model, rng, 7)
    _close(fast.rhs(0.0, ys, ps), reference.rhs(0.0, ys, ps))
    _close(fast.jac(0.0, ys, ps), reference.jac(0.0, ys, ps))
    _close(fast.rhs(0.0, ys, p), reference.rhs(0.0, ys, p))  # states batched, one p
    _close(fast.bind(p).rhs(0.0, ys), reference.rhs(0.0, ys, p))
    assert fast.is_linear == reference.is_linear


def test_jacobian_matches_finite_differences() -> None:
    model = _model(**ALL)
    compiled = compile_model(model, "vectorised")
    rng = np.random.default_rng(7)
    p, y = _random_params(model, rng), rng.uniform(0.0, 5.0, model.n_states)
    h = 1e-6
    columns = [
        (compiled.rhs(0.0, y + h * e, p) - compiled.rhs(0.0, y - h * e, p)) / (2 * h)
        for e in np.eye(model.n_states)
    ]
    np.testing.assert_allclose(compiled.jac(0.0, y, p), np.array(columns).T, atol=1e-7)


def test_jac_p_comes_from_the_symbolic_code() -> None:
    model = _model(**TERMS["entrapment"])
    fast = compile_model(model, "vectorised")
    rng = np.random.default_rng(3)
    p, y = _random_params(model, rng), rng.uniform(0.0, 5.0, model.n_states)
    np.testing.assert_array_equal(
        fast.jac_p(0.0, y, p), compile_model(model, "structured").jac_p(0.0, y, p)
    )


@pytest.mark.parametrize("name", [*TERMS, "all"])
def test_declared_parameters_equal_the_symbolic_build(name: str) -> None:
    model = _model(**(ALL if name == "all" else TERMS[name]))
    structure, plan = model.rhs._args
    builder = terms_module.TermBuilder(structure)
    alliance_module._run_terms(builder, plan)
    assert list(model.params.items()) == list(builder.params.items())
    assert model.metadata["terms"] == [t for t in terms_module.TERMS if t in builder.used]


def test_rhs_is_built_on_first_use_and_canonical() -> None:
    model = _model(**ALL)
    model.compile()
    assert not model.rhs.is_built
    assert "built on first use" in repr(model)
    first = model.rhs[0]
    assert model.rhs.is_built
    assert first.has(model.state_symbols[0])
    eager = rd.Model(model.states, dict(model.params), list(model.rhs))
    assert eager.rhs == tuple(model.rhs)  # already in the model's canonical form
    again = _model(**ALL)
    assert again.fingerprint == model.fingerprint
    assert _model(**TERMS["ceiling"]).fingerprint != model.fingerprint


def test_vectorised_model_pickles_without_building_rhs() -> None:
    model = _model(**ALL)
    compiled = model.compile()
    copy = pickle.loads(pickle.dumps(compiled))
    rng = np.random.default_rng(5)
    p, y = _random_params(model, rng), rng.uniform(0.0, 5.0, model.n_states)
    np.testing.assert_array_equal(copy.rhs(0.0, y, p), compiled.rhs(0.0, y, p))
    model_copy = pickle.loads(pickle.dumps(model))
    assert model_copy.fingerprint == model.fingerprint
    assert not model_copy.rhs.is_built


def test_vectorised_strategy_needs_a_layout() -> None:
    model = rd.richardson_n(np.full((8, 8), 0.1), np.ones(8), np.ones(8))
    with pytest.raises(ValueError, match="term layout"):
        compile_model(model, "vectorised")
