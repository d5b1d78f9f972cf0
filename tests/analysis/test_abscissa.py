"""Largest real part of general (not Metzler) matrix families that differ in a few entries:
Routh's test against eigenvalues, the certified rightmost root against ``eigvals``, and maps
of alliances with burden sharing.

Tolerance: certified growth rates within 1e-10 of the matrix scale (max |J_ij|) of
``max(eigvals.real)`` (the certificate allows 1e-10; observed errors are ~1e-11 and below).
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import richardson as rd
from richardson.analysis._abscissa import _routh_stable, family_abscissa

TOL = 1e-10


@pytest.mark.parametrize("n", range(2, 13))
def test_routh_test_agrees_with_eigenvalues(rng, n):
    matrices = rng.normal(size=(200, n, n))
    abscissa = np.linalg.eigvals(matrices).real.max(axis=1)
    coef = np.stack([np.poly(m) for m in matrices], axis=1)
    for offset in (-0.05, -1e-6, 1e-6, 0.05):
        assert_array_equal(_routh_stable(coef, abscissa + offset), np.full(200, offset > 0))


def _family(base, positions, values):
    A = np.repeat(base[..., None], values.shape[1], axis=2)
    for (i, j), line in zip(positions, values, strict=True):
        A[i, j] = line
    return A


def _check(base, positions, values, min_certified):
    A = _family(base, positions, values)
    n = base.shape[0]
    entries = np.array([i * n + j for i, j in positions])
    scale = np.abs(A).max(axis=(0, 1))
    abscissa, imag, certified = family_abscissa(base, entries, values, scale)
    eigenvalues = np.linalg.eigvals(np.moveaxis(A, -1, 0))
    leader = eigenvalues[np.arange(A.shape[2]), np.argmax(eigenvalues.real, axis=1)]
    assert certified.mean() >= min_certified
    error = np.abs(abscissa - leader.real)[certified]
    assert np.all(error <= TOL * scale[certified]), f"worst {error.max():.3g}"
    # where the leader is a well-separated complex pair, its frequency is found too
    clear = certified & (np.abs(leader.imag) > 1e-6)
    assert_allclose(imag[clear], np.abs(leader.imag[clear]), rtol=1e-6, atol=1e-9)
    return certified, leader


@pytest.mark.parametrize("n", [3, 6, 10, 12])
def test_random_families_with_both_signs(rng, n):
    base = rng.uniform(-0.3, 0.3, (n, n)) - np.eye(n)
    grid = np.linspace(-1.5, 1.5, 40)
    values = np.array(np.meshgrid(grid, grid, indexing="ij")).reshape(2, -1)
    certified, leader = _check(base, [(0, n - 1), (n - 1, 0)], values, min_certified=0.6)
    complex_leaders = np.abs(leader.imag) > 1e-6
    assert complex_leaders.any() and (certified & complex_leaders).any()  # both kinds met


def test_burden_sharing_family_is_nearly_all_certified(rng):
    """Two blocs with negative coupling among allies (not Metzler): the fast path answers
    almost everywhere (near zero cross-coupling the blocs decouple and roots crowd)."""
    n = 8
    east = np.arange(n) < n // 2
    base = np.where(east[:, None] != east[None, :], rng.uniform(0.05, 0.15, (n, n)), -0.02)
    np.fill_diagonal(base, -rng.uniform(0.9, 1.2, n))
    grid = np.linspace(0.0, 2.0, 50)
    values = np.array(np.meshgrid(grid, grid, indexing="ij")).reshape(2, -1)
    _check(base, [(0, n // 2), (n // 2, 0)], values, min_certified=0.95)


def _burden_sharing_alliance():
    actors = ["East 0", "East 1", "East 2", "West 0", "West 1", "West 2"]
    east = np.arange(6) < 3
    reaction = np.where(east[:, None] != east[None, :], 0.1, 0.0)
    return rd.alliance_model(
        actors,
        {"East": actors[:3], "West": actors[3:]},
        reaction=reaction,
        fatigue=1.0,
        grievance=0.5,
        ally_coupling=-0.05,
    )


def test_burden_sharing_map_equals_per_point_jacobians():
    model = _burden_sharing_alliance()
    grid = {"k_East_0_West_0": np.linspace(0, 4, 41), "k_West_0_East_0": np.linspace(0, 4, 37)}
    fast = rd.stability_map(model, grid)
    plain = rd.stability_map(model, grid, chunk_size=10**6)
    assert fast.attrs["method"] == "linear (characteristic polynomials of the grid)"
    assert plain.attrs["method"] != fast.attrs["method"]
    assert {"runaway", "stable_balance"} <= set(np.unique(fast.values))
    assert_array_equal(fast.values, plain.values)
    assert_allclose(fast["max_real_eig"].values, plain["max_real_eig"].values, atol=1e-10)
    # and both against LAPACK, point by point
    compiled = model.compile()
    K1, K2 = np.meshgrid(*grid.values(), indexing="ij")
    columns = np.repeat(model.param_vector()[:, None], K1.size, axis=1)
    columns[model.param_index["k_East_0_West_0"]] = K1.ravel()
    columns[model.param_index["k_West_0_East_0"]] = K2.ravel()
    J = compiled.jac(0.0, np.zeros(6), columns)
    expected = np.linalg.eigvals(np.moveaxis(J, -1, 0)).real.max(axis=1).reshape(K1.shape)
    assert_allclose(fast["max_real_eig"].values, expected, rtol=0, atol=TOL * 4)


def test_neutral_cycles_are_oscillatory_on_the_fast_path():
    """x' = w y, y' = -x (a centre, eigenvalues +-i sqrt(w)), z' = s x - z: growth exactly 0
    with a complex leading pair, as linear_verdicts calls it."""
    import sympy as sp

    x, y, z, w, s = sp.symbols("x y z w s")
    model = rd.Model(["x", "y", "z"], {"w": 1.0, "s": 0.5}, [w * y + 1, -x + 1, s * x - z])
    grid = {"w": np.linspace(0.5, 2.0, 16), "s": np.linspace(-1.0, 1.0, 5)}
    result = rd.stability_map(model, grid)
    assert result.attrs["method"] == "linear (characteristic polynomials of the grid)"
    assert set(np.unique(result.values)) == {"oscillatory"}
    assert_allclose(result["max_real_eig"].values, 0.0, atol=1e-12)


def test_linear_verdicts_on_a_few_entry_stack_match_eigvals(rng):
    """The per-point path (a stack of Jacobians) recognises the structure too."""
    from richardson.analysis.verdicts import linear_verdicts

    n = 7
    base = rng.uniform(-0.3, 0.3, (n, n)) - np.eye(n)
    values = rng.uniform(-2.0, 2.0, (2, 600))
    A = _family(base, [(1, 4), (4, 1)], values)
    eigenvalues = np.linalg.eigvals(np.moveaxis(A, -1, 0))
    codes, growth = linear_verdicts(A, np.ones((n, A.shape[2])))
    expected = eigenvalues.real.max(axis=1)
    scale = np.abs(A).max(axis=(0, 1))
    assert np.all(np.abs(growth - expected) <= TOL * scale)
    tol = 1e-12 * np.maximum(scale, 1.0)
    assert_array_equal(codes == 1, expected > -tol)  # runaway exactly where eigvals says
