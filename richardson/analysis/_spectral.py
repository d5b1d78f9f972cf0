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

Stacks that differ in only a few entries (a regime map over two reaction coefficients: every
Jacobian is ``J0`` plus two entries) take a cheaper road, :func:`few_entry_perron`. The
determinant is affine in each entry and has no term with two entries of one row or one column,
so with ``t_e`` the values of the varying entries,

    det(x I - J) = sum over admissible subsets S of c_S(x) * prod_{e in S} t_e,

a handful of degree-n polynomials ``c_S`` (Mobius inversion of the characteristic polynomials
of ``J0`` with the entries of ``S`` switched on). Each point's characteristic polynomial is then
one small matrix product away, and its Perron root follows by Newton's method from an upper
bound: the Perron root grows with every entry of a Metzler matrix, so the root at the corner of
a small lattice (solved with ``eigvals``) at or above the point in every varying entry bounds it.
For ``x > r`` every derivative of ``p(x) = det(x I - J)`` is a sum of principal minors of the
M-matrix ``x I - J``, hence positive, so ``p`` is increasing and convex there and Newton's
iterates decrease monotonically to ``r`` (quadratically once close). A first-order error bound
of the polynomial evaluation rejects points whose root is ill conditioned (nearly double);
those go to the Noda iteration.

References
----------
Noda, T. (1971). Note on the computation of the maximal eigenvalue of a non-negative
irreducible matrix. *Numerische Mathematik* 17, 382-386.
Elsner, L. (1976). Inverse iteration for calculating the spectral radius of a non-negative
irreducible matrix. *Linear Algebra and its Applications* 15, 235-242.
"""

from __future__ import annotations

from itertools import combinations

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


#: Most terms (subsets of varying entries) for which :func:`few_entry_perron` is used.
MAX_TERMS = 64
#: Accept a root of :func:`few_entry_perron` when its error bound is below this fraction of
#: the matrix scale.
ROOT_TOL = 1e-10


def _admissible_subsets(rows: np.ndarray, cols: np.ndarray, limit: int) -> list[tuple] | None:
    """Subsets of the varying entries with no two in one row or column (``None`` if > limit)."""
    subsets: list[tuple] = [()]
    for e in range(rows.size):
        subsets += [
            s + (e,) for s in subsets if all(rows[f] != rows[e] and cols[f] != cols[e] for f in s)
        ]
        if len(subsets) > limit:
            return None
    return subsets


def _characteristic_polynomials(matrices: np.ndarray) -> np.ndarray:
    """Coefficients of ``det(x I - M)`` (highest power first) for a stack ``(k, n, n)``.

    As :func:`numpy.poly` (from the eigenvalues), for the whole stack at once.
    """
    eigenvalues = np.linalg.eigvals(matrices)
    k, n = eigenvalues.shape
    coef = np.zeros((k, n + 1), dtype=complex)
    coef[:, 0] = 1.0
    for j in range(n):
        coef[:, 1 : j + 2] -= eigenvalues[:, j, None] * coef[:, : j + 1]
    return coef.real


def _subset_polynomials(
    J0: np.ndarray, entries: np.ndarray, unit: np.ndarray, subsets: list[tuple]
) -> np.ndarray:
    """Coefficients ``c_S`` (rows, highest power first) by Mobius inversion over subsets."""
    corners = np.repeat(J0[None], len(subsets), axis=0)
    for index, subset in enumerate(subsets):
        corners[index].flat[entries[list(subset)]] = unit[list(subset)]
    corner = dict(zip(subsets, _characteristic_polynomials(corners), strict=True))
    out = np.empty((len(subsets), J0.shape[0] + 1))
    for row, subset in enumerate(subsets):
        total = np.zeros(J0.shape[0] + 1)
        for size in range(len(subset) + 1):
            sign = (-1.0) ** (len(subset) - size)
            for part in combinations(subset, size):
                total += sign * corner[part]
        out[row] = total
    return out


def few_entry_perron(
    A: np.ndarray,
    scale: np.ndarray,
    max_terms: int = MAX_TERMS,
    root_tol: float = ROOT_TOL,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Perron roots of a stack of Metzler matrices that differ in a few entries only.

    Finds the entries that vary across the stack and hands them to :func:`family_perron`.

    Parameters
    ----------
    A : numpy.ndarray
        Metzler matrices, shape ``(n, n, m)`` (1/time unit).
    scale : numpy.ndarray
        Magnitude of each matrix (``max |J_ij|``), shape ``(m,)``.
    max_terms, root_tol
        As :func:`family_perron`.

    Returns
    -------
    (abscissa, converged) or None
        As :func:`metzler_abscissa`; ``None`` when the stack does not have the structure.
    """
    n, _, m = A.shape
    flat = A.reshape(n * n, m)
    entries = np.flatnonzero(flat.min(axis=1) != flat.max(axis=1))
    J0 = flat[:, 0].reshape(n, n)
    return family_perron(J0, entries, flat[entries], scale, max_terms, root_tol)


def family_perron(
    J0: np.ndarray,
    entries: np.ndarray,
    values: np.ndarray,
    scale: np.ndarray,
    max_terms: int = MAX_TERMS,
    root_tol: float = ROOT_TOL,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Perron roots of the Metzler matrices ``J0`` with a few entries replaced, point by point.

    Parameters
    ----------
    J0 : numpy.ndarray
        The common matrix, shape ``(n, n)`` (its entries at ``entries`` are ignored).
    entries : numpy.ndarray of int
        Flat (row-major) positions of the entries that vary, shape ``(r,)``.
    values : numpy.ndarray
        Their values at each point, shape ``(r, m)``; together with ``J0`` every matrix must
        be Metzler.
    scale : numpy.ndarray
        Magnitude of each matrix (``max |J_ij|``), shape ``(m,)``.
    max_terms : int
        Use this method only when the admissible subsets of varying entries (no two in one
        row or column; two varying entries give at most four) are at most this many and there
        are at least four points per subset; otherwise return ``None``.
    root_tol : float
        Accept a root when its first-order error bound (rounding in the coefficients and in
        Horner's rule, divided by the slope ``p'(r)``) is below ``root_tol * scale``. The
        observed errors are about a hundred times smaller than the bound.

    Returns
    -------
    (abscissa, converged) or None
        As :func:`metzler_abscissa`; ``None`` when the family does not have the structure.
    """
    n = J0.shape[0]
    m = values.shape[1]
    if entries.size == 0:  # one matrix for all points
        root = np.max(np.linalg.eigvals(J0).real)
        return np.full(m, root), np.ones(m, dtype=bool)
    family = _family_polynomials(J0, entries, values, max_terms)
    if family is None:
        return None
    J0, coef, subsets = family
    tol = STEP_TOL * np.maximum(scale, np.finfo(float).tiny)
    start = _lattice_upper_bound(J0, entries, values)
    x, slope, converged = _newton_from_above(coef, start, tol)
    with np.errstate(all="ignore"):
        # first-order error bound: rounding of sum |c_k| |x|^k, over the slope
        bound = np.abs(coef[0])
        size = np.abs(x)
        for k in range(1, n + 1):
            bound *= size
            bound += np.abs(coef[k])
        error = 2 * (n + len(subsets)) * np.finfo(float).eps * bound / slope
        converged &= (slope > 0.0) & (error <= root_tol * scale)
    return x, converged


def _family_polynomials(
    J0: np.ndarray, entries: np.ndarray, values: np.ndarray, max_terms: int
) -> tuple[np.ndarray, np.ndarray, list[tuple]] | None:
    """``J0`` with the varying entries zeroed, ``det(x I - J)`` of every point (coefficients
    ``(n + 1, m)``, highest power first) and the admissible subsets; ``None`` if too many."""
    n, m = J0.shape[0], values.shape[1]
    rows, cols = np.divmod(entries, n)
    subsets = _admissible_subsets(rows, cols, max_terms)
    if subsets is None or m < 4 * len(subsets):
        return None
    J0 = np.array(J0, dtype=float)
    J0.flat[entries] = 0.0
    unit = np.max(np.abs(values), axis=1, initial=0.0)
    unit[unit == 0.0] = 1.0
    C = _subset_polynomials(J0, entries, unit, subsets)
    return J0, np.ascontiguousarray(C.T) @ _weights(values, unit, subsets), subsets


def _weights(values: np.ndarray, unit: np.ndarray, subsets: list[tuple]) -> np.ndarray:
    """``prod_{e in S} t_e / unit_e`` for every subset (rows) and point (columns)."""
    W = np.empty((len(subsets), values.shape[1]))
    for row, subset in enumerate(subsets):
        W[row] = 1.0
        for e in subset:
            W[row] *= values[e]
            W[row] /= unit[e]
    return W


def _lattice(lows: np.ndarray, highs: np.ndarray, levels: int) -> tuple[list, np.ndarray]:
    """Axes of a lattice over the box ``[lows, highs]`` and its points, shape ``(r, L^r)``.

    One level means the top corner only.
    """
    axes = [
        np.linspace(lo, hi, levels) if levels > 1 else np.array([hi])
        for lo, hi in zip(lows, highs, strict=True)
    ]
    return axes, np.stack([a.ravel() for a in np.meshgrid(*axes, indexing="ij")])


def _corner_above(axes: list, values: np.ndarray) -> np.ndarray:
    """Flat lattice index of the corner at or above each point in every coordinate (the
    axes end at the largest value, so there is one)."""
    flat_index = np.zeros(values.shape[1], dtype=np.intp)
    for axis, value in zip(axes, values, strict=True):
        index = np.searchsorted(axis, value)  # the first level >= value
        np.minimum(index, axis.size - 1, out=index)
        flat_index *= axis.size
        flat_index += index
    return flat_index


def _lattice_upper_bound(J0: np.ndarray, entries: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Upper bounds of the Perron roots from a lattice over the range of the varying entries.

    The Perron root of a Metzler matrix does not decrease when an entry grows (``J + c I`` is
    non-negative and its spectral radius is monotone in the entries), so the root at the
    lattice corner at or above a point, in every varying entry, bounds the point's root from
    above. The lattice (at most 32 matrices) is solved with ``eigvals``; a finer lattice
    solved by Newton did not pay for itself in the benchmarks.
    """
    r = values.shape[0]
    lows, highs = values.min(axis=1), values.max(axis=1)
    levels = max(2, int(round(32 ** (1.0 / r), 9))) if 2**r <= 64 else 1
    axes, lattice = _lattice(lows, highs, levels)
    matrices = np.repeat(J0[None], lattice.shape[1], axis=0)
    matrices.reshape(lattice.shape[1], -1)[:, entries] = lattice.T
    roots = np.max(np.linalg.eigvals(matrices).real, axis=1)
    return roots[_corner_above(axes, values)]


def _newton_from_above(
    coef: np.ndarray, start: np.ndarray, tol: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Largest real roots of monic polynomials ``coef`` (columns, highest power first) by
    Newton's method from upper bounds.

    Returns the roots, the slopes ``p'`` there and whether each settled (step below ``tol``
    or ``p <= 0``, which happens only within rounding of the root). All work arrays are of
    the batch size: large 2-D temporaries cost page faults.
    """
    n = coef.shape[0] - 1
    m = start.size
    x, converged, slope = start.astype(float), np.zeros(m, dtype=bool), np.empty(m)
    p, dp, step = np.empty(m), np.empty(m), np.empty(m)
    tol = np.broadcast_to(tol, (m,))
    live = np.arange(m)
    x_live, tol_live, coef_live = x, tol, coef  # x_live is x itself until the first compaction
    with np.errstate(all="ignore"):
        for _ in range(4 * MAX_STEPS):
            size = live.size
            p_, dp_, step_ = p[:size], dp[:size], step[:size]
            np.add(x_live, coef_live[1], out=p_)  # Horner's rule for p and p' (monic)
            dp_[:] = 1.0
            for k in range(2, n + 1):
                dp_ *= x_live
                dp_ += p_
                p_ *= x_live
                p_ += coef_live[k]
            np.divide(p_, dp_, out=step_)
            moving = step_ > 0.0  # p > 0 above the root
            finished = ~(step_ > tol_live)  # also p <= 0 (within rounding of the root) or NaN
            np.subtract(x_live, step_, out=x_live, where=moving)
            if size == m:
                slope[:] = dp_
            else:
                x[live] = x_live
                slope[live] = dp_
            done = np.count_nonzero(finished)
            if done == size:
                converged[live] = True
                break
            if done > 0.75 * size:  # compact the working set
                converged[live[finished]] = True
                keep = ~finished
                live, x_live = live[keep], x_live[keep]
                tol_live, coef_live = tol_live[keep], coef_live[:, keep]
    return x, slope, converged


def metzler_perron(A: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Perron root of every Metzler matrix of a stack, by the cheapest method that settles.

    :func:`few_entry_perron` when the stack differs in a few entries, then
    :func:`metzler_abscissa` (Noda) for what is left, then ``numpy.linalg.eigvals``.

    Parameters
    ----------
    A : numpy.ndarray
        Metzler matrices, shape ``(n, n, m)``.
    scale : numpy.ndarray
        Magnitude of each matrix (``max |J_ij|``), shape ``(m,)``.

    Returns
    -------
    numpy.ndarray
        The largest real part of the eigenvalues of each matrix, shape ``(m,)``.
    """
    found = few_entry_perron(A, scale)
    if found is None:
        growth, converged = metzler_abscissa(A, scale)
    else:
        growth, converged = found
        if not np.all(converged):
            rest = np.flatnonzero(~converged)
            growth[rest], converged[rest] = metzler_abscissa(A[:, :, rest], scale[rest])
    if not np.all(converged):
        rest = np.flatnonzero(~converged)
        eigenvalues = np.linalg.eigvals(np.moveaxis(A[:, :, rest], -1, 0))
        growth[rest] = np.max(eigenvalues.real, axis=-1)
    return growth
