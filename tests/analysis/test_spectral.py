"""Perron root of Metzler Jacobians against eigenvalues and closed forms: batched Noda
iteration, and the characteristic-polynomial path for stacks that differ in a few entries.

Tolerance: growth within 1e-10 of the matrix scale (max |J_ij|) of ``max(eigvals.real)``;
the Noda iteration itself reaches ~1e-14, the polynomial path ~1e-12 (its accepted roots carry
an error bound below 1e-10 of the scale), LAPACK's eigenvalues of these matrices a little less.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import richardson as rd
from richardson.analysis import REGIMES, linear_verdicts
from richardson.analysis._spectral import (
    family_perron,
    few_entry_perron,
    is_metzler,
    metzler_abscissa,
)

TOL = 1e-10


def _stack(matrices):
    return np.stack(matrices, axis=-1)  # (n, n, m), the layout of CompiledModel.jac


def _eig_growth(A):
    return np.max(np.linalg.eigvals(np.moveaxis(A, -1, 0)).real, axis=-1)


def _scale(A):
    return np.max(np.abs(A), axis=(0, 1))


def _growth(A):
    return linear_verdicts(A, -np.ones(A.shape[::2]))[1]


def _metzler(rng, n, density=1.0, spread=3.0):
    K = rng.uniform(0.0, 1.0, (n, n)) * (rng.random((n, n)) < density)
    np.fill_diagonal(K, -spread * n * rng.random(n))
    return K


def _block_diag(*blocks):
    n = sum(b.shape[0] for b in blocks)
    out, start = np.zeros((n, n)), 0
    for block in blocks:
        size = block.shape[0]
        out[start : start + size, start : start + size] = block
        start += size
    return out


def _assert_close(actual, expected, atol):
    """Elementwise ``|actual - expected| <= atol`` (atol per matrix), with the worst case."""
    error = np.abs(np.asarray(actual) - np.asarray(expected))
    assert np.all(error <= atol), f"worst error {np.max(error / atol):.3g} x tolerance"


def _assert_matches_eigvals(A):
    _assert_close(_growth(A), _eig_growth(A), TOL * _scale(A))


@pytest.mark.parametrize("n", [3, 5, 10, 30])
def test_random_metzler_matches_eigvals(rng, n):
    dense = [_metzler(rng, n) for _ in range(60)]
    sparse = [_metzler(rng, n, density=0.2) for _ in range(60)]
    scaled = [10.0 ** rng.uniform(-3, 3) * _metzler(rng, n) for _ in range(30)]
    A = _stack(dense + sparse + scaled)
    assert is_metzler(A)
    _assert_matches_eigvals(A)


@pytest.mark.parametrize("n", [3, 5, 10, 30])
def test_complex_eigenvalue_pairs(rng, n):
    """Cycles of reactions give complex pairs; the Perron root stays the real leader."""
    matrices = []
    for _ in range(40):
        cycle = np.roll(np.eye(n), 1, axis=1) * rng.uniform(0.5, 2.0, n)[:, None]
        matrices.append(cycle + 0.05 * rng.random((n, n)) - rng.uniform(0, 2) * np.eye(n))
    A = _stack(matrices)
    eigenvalues = np.linalg.eigvals(np.moveaxis(A, -1, 0))
    assert np.all(np.any(np.abs(eigenvalues.imag) > 0.1, axis=-1))  # the case is really there
    _assert_matches_eigvals(A)


@pytest.mark.parametrize("n", [3, 5, 10, 30])
def test_reducible_and_repeated_roots(rng, n):
    half = n // 2 + 1
    matrices = []
    for _ in range(20):
        B, C = _metzler(rng, half), _metzler(rng, n - half)
        matrices.append(_block_diag(B, C))  # decoupled blocs
        coupled = _block_diag(B, C)
        coupled[:half, half:] = rng.random((half, n - half))  # one-way coupling
        matrices.append(coupled)
    repeated, blocks = [], []
    for _ in range(20):
        B = _metzler(rng, n // 2)
        rest = np.diag(rng.uniform(-50, -40, n % 2))
        repeated.append(_block_diag(B, B, rest))
        blocks.append(B)
    A = _stack(matrices + repeated)
    _assert_matches_eigvals(A)
    # the doubled blocks have a repeated Perron root, exactly that of the block
    _assert_close(_growth(_stack(repeated)), _eig_growth(_stack(blocks)), TOL * _scale(A)[40:])


@pytest.mark.parametrize("n", [3, 10, 30])
def test_near_singular_exact_roots(rng, n):
    """Closed forms: zero row sums give r = 0 exactly; a circulant has r = its row sum."""
    laplacians, circulants, exact = [], [], []
    for _ in range(30):
        K = rng.random((n, n))
        np.fill_diagonal(K, 0.0)
        laplacians.append(K - np.diag(K.sum(axis=1)))  # singular: J 1 = 0
        row = rng.random(n)
        row[0] = -rng.uniform(0, 2 * n)
        circulants.append(np.array([np.roll(row, i) for i in range(n)]))
        exact.append(row.sum())
    for tiny in (1e-10, 1e-8):  # a hair off singular, both sides of the verdict boundary
        laplacians += [laplacians[0] + tiny * np.eye(n), laplacians[1] - tiny * np.eye(n)]
    A = _stack(laplacians)
    expected = np.zeros(A.shape[-1])
    expected[-4:] = [1e-10, -1e-10, 1e-8, -1e-8]
    _assert_close(_growth(A), expected, 1e-13 * _scale(A))  # full precision, not just TOL
    codes, _ = linear_verdicts(A, np.ones((n, A.shape[-1])))
    runaway, stable = REGIMES.index("runaway"), REGIMES.index("stable_balance")
    assert_array_equal(codes[-4:], [runaway, stable, runaway, stable])
    assert np.all(codes[:-4] == runaway)  # growth 0 counts as runaway (not stable)
    C = _stack(circulants)
    _assert_close(_growth(C), exact, 1e-13 * _scale(C))


def test_iteration_reaches_full_precision(rng):
    """Converged values agree with the closed form to ~1e-14 of the scale, not just 1e-10."""
    n = 10
    rows = rng.random((50, n))
    rows[:, 0] = -rng.uniform(0, 20, 50)
    A = _stack([np.array([np.roll(row, i) for i in range(n)]) for row in rows])
    growth, converged = metzler_abscissa(A, _scale(A))
    assert converged.all()
    assert_allclose(growth, rows.sum(axis=1), rtol=0, atol=2e-14 * _scale(A).max())


def test_defective_root_falls_back_to_eigvals(rng):
    """A Jordan block (defective Perron root) does not settle: eigvals answers, unchanged."""
    n = 5
    jordan = [np.eye(n) * rng.uniform(-1, 1) + np.diag(np.ones(n - 1), 1) for _ in range(4)]
    good = [_metzler(rng, n) for _ in range(4)]
    A = _stack(jordan + good)
    _, converged = metzler_abscissa(A, _scale(A))
    assert not converged[:4].any() and converged[4:].all()
    growth = _growth(A)
    assert_array_equal(growth[:4], _eig_growth(A[:, :, :4]))  # the fallback's own numbers
    _assert_close(growth[4:], _eig_growth(A[:, :, 4:]), TOL * _scale(A[:, :, 4:]))


def test_non_metzler_batch_uses_eigvals(rng):
    """One negative off-diagonal entry anywhere: the whole batch goes through eigvals."""
    n = 4
    matrices = [_metzler(rng, n) for _ in range(10)]
    matrices[3][0, 2] = -0.5
    # a neutral cycle (purely imaginary leading pair) only eigvals can call oscillatory
    rotation = np.zeros((n, n))
    rotation[0, 1], rotation[1, 0] = 1.0, -1.0
    rotation[2, 2] = rotation[3, 3] = -1.0
    A = _stack([*matrices, rotation])
    assert not is_metzler(A)
    codes, growth = linear_verdicts(A, np.ones((n, A.shape[-1])))
    eigenvalues = np.linalg.eigvals(np.moveaxis(A, -1, 0))
    assert_array_equal(growth, np.max(eigenvalues.real, axis=-1))  # bit for bit
    assert REGIMES[codes[-1]] == "oscillatory"


def test_is_metzler_rejects_non_finite():
    A = np.zeros((3, 3, 2))
    assert is_metzler(A)
    A[1, 1, 1] = np.nan
    assert not is_metzler(A)


def test_ten_actor_map_reproduces_eigvals_verdicts(rng):
    """rd.stability_map of a two-bloc 10-actor race: verdicts equal eigvals-based ones."""
    n = 10
    blocs = np.arange(n) < n // 2
    rivals = blocs[:, None] != blocs[None, :]
    K = np.where(rivals, rng.uniform(0.05, 0.15, (n, n)), rng.uniform(0.0, 0.05, (n, n)))
    np.fill_diagonal(K, 0.0)
    a = rng.uniform(0.9, 1.2, n)
    model = rd.richardson_n(K, a, rng.uniform(0.1, 1.0, n))
    axis = np.linspace(0.0, 2.0, 41)
    result = rd.stability_map(model, {"k_n0_n5": axis, "k_n5_n0": axis})
    J = np.broadcast_to(K - np.diag(a), (41, 41, n, n)).copy()
    J[:, :, 0, 5] = axis[:, None]
    J[:, :, 5, 0] = axis[None, :]
    eigenvalues = np.linalg.eigvals(J)
    growth = np.max(eigenvalues.real, axis=-1)
    tol = 1e-12 * np.maximum(np.max(np.abs(J), axis=(-2, -1)), 1.0)
    expected = np.where(growth > -tol, "runaway", "stable_balance")  # grievances > 0
    assert {"runaway", "stable_balance"} <= set(expected.ravel())  # the boundary is crossed
    assert_array_equal(result.values, expected)
    assert result.attrs["method"] == "linear (characteristic polynomials of the grid)"
    _assert_close(result["max_real_eig"].values, growth, TOL * np.max(np.abs(J), axis=(-2, -1)))


# ---------------------------------------------------------------- stacks differing in few entries
def _family(base, positions, values):
    """Stack ``(n, n, m)``: ``base`` with entry ``positions[e]`` set to ``values[e]``."""
    A = np.repeat(base[..., None], values.shape[1], axis=2)
    for (i, j), line in zip(positions, values, strict=True):
        A[i, j] = line
    return A


LAYOUTS = {
    "rival pair": [(0, 1), (1, 0)],  # a map over two reaction coefficients
    "one row": [(0, 1), (0, 2)],
    "diagonal and off": [(0, 0), (2, 1)],
    "three": [(0, 1), (1, 2), (2, 0)],
    "single": [(1, 0)],
}


@pytest.mark.parametrize("n", [3, 10, 30])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_few_entry_families_match_eigvals(rng, n, layout):
    positions = LAYOUTS[layout]
    base = _metzler(rng, n, spread=0.3)
    values = np.array(
        [
            rng.uniform(-3.0, 0.0, 500) if i == j else rng.uniform(0.0, 2.0 * n, 500)
            for i, j in positions
        ]
    )
    A = _family(base, positions, values)
    assert is_metzler(A)
    found = few_entry_perron(A, _scale(A))
    assert found is not None  # the structure is recognised
    growth, converged = found
    assert converged.mean() > 0.9
    _assert_close(growth[converged], _eig_growth(A)[converged], TOL * _scale(A)[converged])
    _assert_matches_eigvals(A)  # the public path, with fallbacks for unsettled points


def test_few_entry_family_crossing_reducible_points(rng):
    """Two decoupled blocs joined by the two varying entries: at zero coupling the matrix
    is reducible (and with equal blocs the Perron root is double); the answers still match."""
    n = 8
    B = _metzler(rng, n // 2)
    base = _block_diag(B, B)
    grid = np.linspace(0.0, 1.0, 25)
    values = np.array(np.meshgrid(grid, grid, indexing="ij")).reshape(2, -1)
    A = _family(base, [(0, n // 2), (n // 2, 0)], values)
    _assert_matches_eigvals(A)


@pytest.mark.parametrize("shift", [0.0, 1e-9, -1e-9, 0.7])
def test_few_entry_family_exact_root(rng, shift):
    """``L + c I`` with zero row sums has Perron root exactly ``c``; the two varying entries
    of row 0 keep its sum zero. Near zero the verdict needs full precision and gets it."""
    n = 10
    K = rng.random((n, n))
    np.fill_diagonal(K, 0.0)
    L = K - np.diag(K.sum(axis=1))
    t = np.linspace(0.0, 3.0, 200)
    values = np.array([t, L[0, 0] - (t - K[0, 1])])  # entries (0, 1) and (0, 0)
    A = _family(L, [(0, 1), (0, 0)], values)
    A[np.arange(n), np.arange(n)] += shift
    growth, converged = few_entry_perron(A, _scale(A))
    assert converged.all()
    _assert_close(growth, np.full(t.size, shift), 1e-13 * _scale(A))
    codes, _ = linear_verdicts(A, np.ones((n, t.size)))
    verdict = "stable_balance" if shift < 0 else "runaway"
    assert {REGIMES[c] for c in codes} == {verdict}


def test_few_entry_perron_declines_other_stacks(rng):
    full = _stack([_metzler(rng, 6) for _ in range(200)])  # every entry varies
    assert few_entry_perron(full, _scale(full)) is None
    small = _family(_metzler(rng, 6), [(0, 1), (1, 0)], rng.random((2, 8)))
    assert few_entry_perron(small, _scale(small)) is None  # too few points to pay off
    same = _stack([_metzler(rng, 6)] * 5)  # nothing varies: one eigenvalue problem
    growth, converged = family_perron(
        same[..., 0], np.array([], dtype=int), np.zeros((0, 5)), _scale(same)
    )
    assert converged.all()
    assert_allclose(growth, _eig_growth(same), rtol=0, atol=1e-14 * _scale(same).max())
