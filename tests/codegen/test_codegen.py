"""Compiled rhs, jac and jac_p equal sympy; batching; matrix form; cache."""

import linecache

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import richardson as rd
from richardson.codegen import compile_model

x, y, z = sp.symbols("x y z")
k, l, a, b, g, h, s, theta, w, M = sp.symbols("k l a b g h s theta w M")

NONLINEAR = rd.Model(
    ["x", "y", "z"],
    {
        "k": 0.9,
        "l": 0.8,
        "a": 1.0,
        "b": 1.1,
        "g": 0.5,
        "h": 0.3,
        "s": 0.7,
        "theta": 1.5,
        "w": 0.4,
        "M": 10.0,
    },
    [
        k * y * (1 - x / M) - a * x + g + s / (1 + sp.exp(-(z - theta) / w)),
        l * x - b * y + h - s * x * y + sp.tanh(z) * k,
        (1 + h) * k * x + l * y - a * b * z + sp.Max(x - theta, 0) + sp.log(1 + y**2),
    ],
)


def _sympy_reference(model):
    """Independent numeric reference: sympy's own lambdify of rhs, jacobians (scalar math)."""
    states, params = model.state_symbols, model.param_symbols
    rhs = sp.Matrix(model.rhs)
    args = (*states, *params)
    f = sp.lambdify(args, list(rhs), "math")
    jx = sp.lambdify(args, rhs.jacobian(states).tolist(), "math")
    jp = sp.lambdify(args, rhs.jacobian(params).tolist(), "math")
    return (
        lambda yy, pp: np.array(f(*yy, *pp), dtype=float).ravel(),
        lambda yy, pp: np.array(jx(*yy, *pp), dtype=float),
        lambda yy, pp: np.array(jp(*yy, *pp), dtype=float),
    )


positive = st.floats(0.05, 5.0)


@pytest.mark.parametrize("strategy", ["scalar", "structured"])
@pytest.mark.parametrize("model", [rd.richardson2(), NONLINEAR], ids=["classic", "nonlinear"])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_compiled_functions_equal_sympy(model, strategy, data):
    compiled = compile_model(model, strategy)
    f, jx, jp = _sympy_reference(model)
    state = np.array(
        data.draw(st.lists(positive, min_size=model.n_states, max_size=model.n_states))
    )
    params = np.array(
        data.draw(st.lists(positive, min_size=len(model.params), max_size=len(model.params)))
    )
    np.testing.assert_allclose(
        compiled.rhs(0.0, state, params), f(state, params), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(
        compiled.jac(0.0, state, params), jx(state, params), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(
        compiled.jac_p(0.0, state, params), jp(state, params), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("strategy", ["scalar", "structured"])
def test_batched_columns_equal_single_calls(strategy, rng):
    compiled = compile_model(NONLINEAR, strategy)
    m = 7
    states = rng.uniform(0.1, 3, (3, m))
    params = rng.uniform(0.1, 3, (len(NONLINEAR.params), m))
    rhs = compiled.rhs(0.0, states, params)
    jac = compiled.jac(0.0, states, params)
    jac_p = compiled.jac_p(0.0, states, params)
    assert rhs.shape == (3, m) and jac.shape == (3, 3, m) and jac_p.shape == (3, 10, m)
    for j in range(m):
        np.testing.assert_allclose(
            rhs[:, j], compiled.rhs(0.0, states[:, j], params[:, j]), rtol=1e-13
        )
        np.testing.assert_allclose(
            jac[..., j], compiled.jac(0.0, states[:, j], params[:, j]), rtol=1e-13
        )
        np.testing.assert_allclose(
            jac_p[..., j], compiled.jac_p(0.0, states[:, j], params[:, j]), rtol=1e-13
        )
    # one parameter set shared by many states, and many parameter sets for one state
    shared = compiled.rhs(0.0, states, params[:, 0])
    np.testing.assert_allclose(
        shared[:, 2], compiled.rhs(0.0, states[:, 2], params[:, 0]), rtol=1e-13
    )
    spread = compiled.rhs(0.0, states[:, 0], params)
    np.testing.assert_allclose(
        spread[:, 4], compiled.rhs(0.0, states[:, 0], params[:, 4]), rtol=1e-13
    )


def _assert_batch_matches_sympy(model, states, params):
    compiled = compile_model(model, "structured")
    f, jx, jp = _sympy_reference(model)
    rhs = compiled.rhs(0.0, states, params)
    jac, jac_p = compiled.jac(0.0, states, params), compiled.jac_p(0.0, states, params)
    for j in range(states.shape[1]):
        column = (states[:, j], params[:, j])
        np.testing.assert_allclose(rhs[:, j], f(*column), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(jac[..., j], jx(*column), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(jac_p[..., j], jp(*column), rtol=1e-12, atol=1e-12)
    return compiled


def test_structured_sparse_layers_scatter_batches_like_sympy(rng):
    """Jacobian terms that share an entry (``k*y + g*y``) are summed by a sparse matrix,
    terms with entries of their own by fancy indexing; both agree with sympy column by
    column for a batch of parameter sets."""
    model = rd.Model(
        ["x", "y", "z"],
        {name: value for name, value in NONLINEAR.defaults.items() if name != "M"},
        [
            k * y + g * y - a * x + h,
            l * x - b * y + s * z,
            w * theta * x + k * l * y - a * z + w * y,
        ],
    )
    states = rng.uniform(-2, 3, (3, 9))
    params = rng.uniform(-1, 3, (len(model.params), 9))
    compiled = _assert_batch_matches_sympy(model, states, params)
    jac_source = compiled.source.split("def jac(")[1]
    assert "_scatter @" in jac_source and "_flat] +=" in jac_source
    assert "add.at" not in compiled.source


def test_products_of_states_and_reciprocal_parameters_are_vectorised(rng):
    """``q x y``, ``h x**2 / M**2``, ``k y / M`` and ``g / M`` are array layers (no scalar
    code), and rhs, jac and jac_p agree with sympy for a batch."""
    model = rd.Model(
        ["x", "y", "z"],
        {"k": 0.9, "l": 0.8, "g": 0.5, "h": 0.3, "s": 0.7, "M": 10.0},
        [
            k * y / M - s * x * y + g / M,
            l * x - h * x**2 / M**2 + s * y * z,
            -k * l * z * z + g * x,
        ],
    )
    states = rng.uniform(-2, 3, (3, 6))
    params = rng.uniform(0.2, 3, (len(model.params), 6))
    compiled = _assert_batch_matches_sympy(model, states, params)
    assert not compiled.is_linear
    assert "numpy.concatenate([p2, 1.0 / p2[_RECIPROCAL]])" in compiled.source
    assert " = y[" not in compiled.source, "every term should be an array layer"


def test_nonlinear_alliance_terms_compile_to_layers_and_match_sympy(rng):
    """Trigger, chain-ganging, entrapment, ceiling and submissiveness: submissiveness's
    products of spending levels become array layers, the trigger's tanh stays scalar code."""
    actors = ["A", "B", "C", "D"]
    model = rd.alliance_model(
        actors,
        {"West": actors[:2], "East": actors[2:]},
        reaction=0.4,
        fatigue=1.0,
        grievance=0.1,
        ally_coupling=-0.05,
        distrust=0.2,
        defence_commitment=0.5,
        chain_ganging=0.1,
        entrapment=0.2,
        ceiling=20.0,
        submissiveness=0.01,
    )
    states = rng.uniform(0.0, 5.0, (4, 5))
    params = model.param_vector()[:, None] * rng.uniform(0.5, 1.5, (len(model.params), 5))
    compiled = _assert_batch_matches_sympy(model, states, params)
    rhs_source = compiled.source.split("def jac(")[0]
    assert "_Q" in rhs_source and "tanh" in rhs_source


def test_structured_linear_model_is_matrix_form_and_exact(rng):
    n = 40
    K, a_, g_ = rng.uniform(0, 0.2, (n, n)), rng.uniform(1, 2, n), rng.uniform(-1, 1, n)
    model = rd.richardson_n(K, a_, g_)
    compiled = compile_model(model, "structured")
    assert compiled.is_linear
    rhs_source = compiled.source.split("def jac(")[0]
    assert f"reshape({n}, {n}) @ y2" in rhs_source
    assert rhs_source.count("\n") < 40, "linear coupling must not be unrolled"
    state = rng.uniform(0, 5, n)
    p = model.param_vector()
    np.testing.assert_allclose(compiled.rhs(0.0, state, p), K @ state - a_ * state + g_, rtol=1e-13)
    np.testing.assert_allclose(compiled.jac(0.0, state, p), K - np.diag(a_), rtol=1e-13)
    jac_p = compiled.jac_p(0.0, state, p)
    # d f_i / d k_ij = x_j, d f_i / d a_i = -x_i, d f_i / d g_i = 1
    np.testing.assert_allclose(jac_p[3, 3 * n : 4 * n], state)
    assert jac_p[3, n * n + 3] == -state[3] and jac_p[3, n * n + n + 3] == 1.0
    assert np.count_nonzero(jac_p) == n * n + 2 * n - np.count_nonzero(state == 0)


def test_bind_gives_the_same_field(classic, rng):
    compiled = classic.compile()
    p = classic.param_vector()
    bound = compiled.bind(p)
    state = rng.uniform(0, 3, 2)
    np.testing.assert_allclose(bound.rhs(0.0, state), compiled.rhs(0.0, state, p), rtol=1e-14)
    np.testing.assert_allclose(bound.matrix, [[-1.0, 0.9], [0.8, -1.1]])
    np.testing.assert_allclose(bound.offset, [0.5, 0.3])
    nonlinear = NONLINEAR.compile().bind(NONLINEAR.param_vector())
    assert nonlinear.matrix is None
    np.testing.assert_allclose(
        nonlinear.rhs(0.0, np.ones(3)),
        NONLINEAR.compile().rhs(0.0, np.ones(3), NONLINEAR.param_vector()),
    )


def test_hoisting_takes_out_every_parameter_only_part_and_keeps_the_expression():
    """The docstring's example: what stays per state has no subexpression of parameters
    alone but single symbols, and putting the constants back gives the expression."""
    from richardson.codegen.emitter import hoist_parameters

    field = -a * x + g + s / 2 * sp.tanh((k * y - theta) / (2 * w)) + s / 2
    constants, (kept,) = hoist_parameters([field], [a, g, s, k, theta, w])
    params = {a, g, s, k, theta, w}
    # -a, g + s/2, s/2, 1/(2 w), k and -theta: _k0*x + _k1 + _k2*tanh(_k3*(_k4*y + _k5))
    assert len(constants) == 6
    for node in sp.preorder_traversal(kept):
        if isinstance(node, sp.Expr) and not node.is_Atom:
            assert not node.free_symbols <= params | {c for c, _ in constants}, node
    for _, value in constants:
        assert value.free_symbols <= params
    back = kept.xreplace(dict(constants))
    assert sp.simplify(back - field) == 0
    assert sp.count_ops(kept) < sp.count_ops(field)


@pytest.mark.parametrize("columns", [False, True], ids=["one parameter set", "one per column"])
def test_bound_scalar_field_equals_the_field_with_parameters(columns, rng):
    """bind(p) of scalar code evaluates the parameter-only parts once: same numbers as
    rhs(t, y, p) to rounding, for one parameter vector or one per column, with time,
    Min/Max, exp, log and tanh in the equations."""
    t = rd.TIME
    timed = rd.Model(
        ["x", "y"],
        {"a": 1.0, "k": 0.5, "w": 0.3, "M": 4.0},
        [k * y * sp.Max(0, 1 - x / M) - a * x + sp.sin(t) / w, sp.exp(-y / w) * k - a * y],
    )
    for model in (NONLINEAR, timed):
        compiled = compile_model(model, "scalar")
        m = 9
        states = rng.uniform(0.1, 3, (model.n_states, m))
        if columns:
            params = rng.uniform(0.2, 3, (len(model.params), m))
        else:
            params = model.param_vector()
        bound = compiled.bind(params).rhs if columns else compiled._functions["bind_rhs"](params)
        for time in (0.0, 1.3):
            np.testing.assert_allclose(
                bound(time, states), compiled.rhs(time, states, params), rtol=1e-13, atol=1e-14
            )
        if not columns:
            single = bound(0.4, states[:, 3])
            np.testing.assert_allclose(
                single, compiled.rhs(0.4, states[:, 3], params), rtol=1e-13, atol=1e-14
            )
            assert single.shape == (model.n_states,)
    assert "def bind_rhs(p):" in compile_model(NONLINEAR, "scalar").source


def test_compiled_models_are_cached_by_equations(classic):
    assert classic.compile() is classic.with_params(k=0.1).compile()
    other = rd.Model(["x", "y"], classic.params, [classic.rhs[1], classic.rhs[0]])
    assert other.compile() is not classic.compile()


def test_generated_source_is_kept_and_visible_in_tracebacks(classic):
    compiled = classic.compile()
    assert "def rhs(t, y, p):" in compiled.source
    filename = compiled._functions["rhs"].__code__.co_filename
    assert linecache.getline(filename, 1).startswith("def _prepare")


def test_time_dependent_model_is_not_bound_as_linear():
    t = rd.TIME
    model = rd.Model(["x"], {"a": 1.0}, [-a * sp.Symbol("x") + sp.sin(t)])
    compiled = model.compile()
    assert not compiled.is_linear
    assert compiled.rhs(np.pi / 2, np.array([0.0]), np.array([1.0]))[0] == pytest.approx(1.0)
