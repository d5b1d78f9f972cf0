"""Spectral abscissa of many Metzler matrices at once (private helper of ``linear_verdicts``).

A Metzler matrix ``J`` (off-diagonal entries >= 0, e.g. the Richardson Jacobian
``K - diag(a)`` with reactions ``K >= 0``) has a real eigenvalue ``r`` (its Perron root) that
is also the largest real part of all eigenvalues: ``J + c I`` is non-negative for large
``c`` and Perron-Frobenius applies. For ``x > r``, ``x I - J`` is a non-singular M-matrix:
Gaussian elimination needs no pivoting (every Schur complement is again an M-matrix, all
pivots stay positive, the multipliers are <= 0) and ``(x I - J)^-1 >= 0``.

The root is found by Noda's iteration (shifted inverse iteration whose shift is the
Collatz-Wielandt upper bound): with a positive vector ``v`` and ``w = (x I - J)^-1 v > 0``,
``J w = x w - v``, so ``min_i (J w)_i / w_i = x - max_i v_i / w_i <= r <= x - min_i v_i / w_i
= max_i (J w)_i / w_i``. The next shift is that upper bound; it decreases monotonically to
``r`` and converges quadratically for irreducible matrices (Noda 1971; Elsner 1976). Each step
is one unpivoted LU solve, vectorised across the batch (the batch is the last, contiguous
axis), which is far cheaper than one LAPACK ``geev`` per matrix.

Points that do not settle (defective Perron root, slow linear convergence of some reducible
matrices) are reported as not converged; the caller computes them with ``eigvals``.

References
----------
Noda, T. (1971). Note on the computation of the maximal eigenvalue of a non-negative
irreducible matrix. *Numerische Mathematik* 17, 382-386.
Elsner, L. (1976). Inverse iteration for calculating the spectral radius of a non-negative
irreducible matrix. *Linear Algebra and its Applications* 15, 235-242.
"""

from __future__ import annotations

import numpy as np

#: Relative step (to the matrix scale) below which the iteration counts as converged.
STEP_TOL = 1e-14
#: Inverse-iteration solves per matrix before giving up (the caller then uses ``eigvals``).
MAX_STEPS = 40
#: Power steps before the first factorisation.
POWER_STEPS = 10


def is_metzler(A: np.ndarray) -> bool:
    """True when every matrix of the stack ``A`` (shape ``(n, n, m)``) is finite and Metzler."""
    if not np.all(np.isfinite(A)):
        return False
    return all(
        A[i, :i].min(initial=0.0) >= 0.0 and A[i, i + 1 :].min(initial=0.0) >= 0.0
        for i in range(A.shape[0])
    )


def _factor(J: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unpivoted LU of ``x I - J`` for every column, in one array (``L`` strictly below).

    Returns the factors and a mask of columns where a pivot was not positive: there
    ``x I - J`` is not (numerically) a non-singular M-matrix, i.e. ``x`` is within rounding
    of the Perron root.
    """
    n, _, m = J.shape
    M = -J  # a copy; elimination happens in place
    diagonal = np.arange(n)
    M[diagonal, diagonal] += x
    broken = np.zeros(m, dtype=bool)
    buffer = np.empty((n - 1) ** 2 * m)
    with np.errstate(all="ignore"):
        for k in range(n - 1):
            pivot = M[k, k]
            broken |= ~(pivot > 0.0)
            M[k + 1 :, k] /= pivot  # multipliers, <= 0
            rest = n - k - 1
            update = buffer[: rest * rest * m].reshape(rest, rest, m)
            np.multiply(M[k + 1 :, k, None], M[k, None, k + 1 :], out=update)
            M[k + 1 :, k + 1 :] -= update  # off-diagonal stays <= 0, pivots shrink
        broken |= ~(M[n - 1, n - 1] > 0.0)
    return M, broken


def _solve(M: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Solve with the factors of :func:`_factor`; every update adds (M-matrix signs)."""
    n = M.shape[0]
    w = v.copy()
    with np.errstate(all="ignore"):
        for k in range(n - 1):
            w[k + 1 :] -= M[k + 1 :, k] * w[k]
        for k in range(n - 1, -1, -1):
            w[k] /= M[k, k]
            if k:
                w[:k] -= M[:k, k] * w[k]
    return w


def _power_bounds(J, upper, lower, steps):  # noqa: ANN001, ANN202
    """A few cheap power steps on ``J + c I >= 0``: a positive vector and tighter bounds."""
    n, _, m = J.shape
    diagonal = J[np.arange(n), np.arange(n)]
    # the margin keeps J + c I from having a -rho eigenvalue (two-bloc, bipartite patterns)
    c = -diagonal.min(axis=0) + 0.1 * np.maximum(upper - lower, 0.0)
    v = np.ones((n, m))
    with np.errstate(all="ignore"):
        for step in range(steps - 1):
            v = np.einsum("ijm,jm->im", J, v) + c * v  # (J + c I) v, J + c I >= 0
            if step % 4 == 3:
                v /= v.max(axis=0)
        ratio = np.einsum("ijm,jm->im", J, v) / v  # (J v)_i / v_i
        # Collatz-Wielandt bounds hold for positive v only
        good = np.all(np.isfinite(ratio) & (v > 0.0), axis=0)
        upper = np.where(good, np.minimum(upper, ratio.max(axis=0)), upper)
        lower = np.where(good, np.maximum(lower, ratio.min(axis=0)), lower)
        return np.where(good, v / v.max(axis=0), 1.0), upper, lower


def metzler_abscissa(
    J: np.ndarray,
    scale: np.ndarray,
    step_tol: float = STEP_TOL,
    max_steps: int = MAX_STEPS,
    power_steps: int = POWER_STEPS,
) -> tuple[np.ndarray, np.ndarray]:
    """Largest real part of the eigenvalues (the Perron root) of each Metzler matrix.

    Parameters
    ----------
    J : numpy.ndarray
        Metzler matrices, shape ``(n, n, m)`` (any units; here 1/time unit).
    scale : numpy.ndarray
        Magnitude of each matrix (``max |J_ij|``), shape ``(m,)``; tolerances are relative
        to it.
    step_tol : float
        Stop when the decrease of the upper bound is below ``step_tol * scale`` and at most
        half the previous decrease (so that a slow linear convergence is not taken for a
        converged one), or when the Collatz-Wielandt bracket is that narrow.
    max_steps : int
        Inverse-iteration solves before a matrix is reported as not converged.
    power_steps : int
        Power steps (one matrix-vector product each) that tighten the first shift.

    Returns
    -------
    abscissa : numpy.ndarray
        The Perron root of each matrix, shape ``(m,)`` (an upper bound within rounding).
    converged : numpy.ndarray of bool
        False where the iteration did not settle; compute those with ``eigvals``.
    """
    n, _, m = J.shape
    J = np.ascontiguousarray(J, dtype=float)
    tol = step_tol * np.maximum(scale, np.finfo(float).tiny)
    # Collatz-Wielandt with the right vector 1 (rows) and the left vector 1 (columns)
    rows, cols = J.sum(axis=1), J.sum(axis=0)
    upper = np.minimum(rows.max(axis=0), cols.max(axis=0))
    lower = np.maximum.reduce(
        [rows.min(axis=0), cols.min(axis=0), J[np.arange(n), np.arange(n)].max(axis=0)]
    )
    vec, upper, lower = _power_bounds(J, upper, lower, power_steps)
    abscissa = upper.copy()
    converged = upper - lower <= tol
    # the working set: columns `index` of the batch; `live` marks those still iterating
    # (finished columns are dropped only when they are many: compaction costs a copy)
    index = np.flatnonzero(~converged)
    in_J = index  # where the working set sits in J (J is gathered only to refactor)
    vec = np.take(vec, index, axis=1)
    x, lo, tol_w = upper[index], lower[index], tol[index]
    live = np.ones(index.size, dtype=bool)
    previous = np.full(index.size, np.inf)
    solves = 0
    while index.size and solves < max_steps:
        # Noda: factor at the current upper bound, then inverse iteration with that shift
        # while it contracts fast; refactor (a closer shift) once it slows down
        factors, broken = _factor(J if in_J.size == m else np.take(J, in_J, axis=2), x)
        shift = x.copy()
        for inner in range(max_steps - solves):
            solves += 1
            w = _solve(factors, vec)
            with np.errstate(all="ignore"):
                ratio = vec / w  # (J w)_i / w_i = shift - ratio_i
                low_ratio, high_ratio = ratio.min(axis=0), ratio.max(axis=0)
                # w > 0 and finite, else x is within rounding of the root (or NaN crept in)
                broken |= ~((low_ratio > 0.0) & (high_ratio < np.inf))
                hi = np.minimum(x, shift - low_ratio)
                lo = np.maximum(lo, shift - high_ratio)
                step = x - hi
                done = broken | (hi - lo <= tol_w) | (step <= 0.0)
                done |= (step <= tol_w) & (step <= 0.5 * previous)
                slow = step > 0.05 * previous
                vec = w * low_ratio  # min_i vec_i / w_i = 1: a positive vector of order 1
                np.maximum(vec, np.finfo(float).tiny, out=vec)
            x = np.where(broken | ~live, x, hi)
            previous = step
            finished = live & done
            abscissa[index[live]] = x[live]
            converged[index[finished]] = True
            live &= ~done
            if not np.any(live):
                index = index[:0]
                break
            if np.mean(live) < 0.6:  # compact the working set
                keep = live
                index, live, previous = index[keep], live[keep], previous[keep]
                x, lo, tol_w, shift = x[keep], lo[keep], tol_w[keep], shift[keep]
                in_J, factors = in_J[keep], np.compress(keep, factors, axis=2)
                vec, slow, broken = np.compress(keep, vec, axis=1), slow[keep], broken[keep]
            if inner >= 1 and np.mean(slow[live]) > 0.5:
                break
    return abscissa, converged
