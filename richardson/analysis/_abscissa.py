"""Largest real part of the eigenvalues of a family of general real matrices that differ in
a few entries (private helper of the stability maps).

The Metzler path (:func:`richardson.analysis._spectral.family_perron`) covers the Richardson family
with non-negative reactions. Burden sharing among allies (negative coupling) breaks that sign
pattern: the largest real part ``alpha`` is then not a Perron root and may belong to a complex
pair. The characteristic polynomials are still cheap (the same few fixed polynomials), and two
facts about a real polynomial ``p(x) = det(x I - J)`` make its rightmost root safe to find:

- For real ``x > alpha`` the shifted polynomial ``p(s + x)`` has all its roots in the open
  left half-plane, so (Hurwitz) all its coefficients, i.e. all derivatives ``p^(k)(x)``, are
  positive: ``p`` is increasing and convex right of ``alpha``. Newton's iterates from any
  ``x0 > alpha`` decrease monotonically to the largest real root.
- Routh's test on ``p(s + c)`` decides exactly whether ``c > alpha``. It certifies a start (a
  guess from a lattice of ``eigvals`` solutions, else a Gershgorin bound) and the answer: a
  root ``z`` is the rightmost when ``p(s + Re z + gap)`` passes, so no eigenvalue lies more
  than ``gap`` to the right of ``z``; and ``z`` is within ``gap`` of a root when the
  first-order rounding bound of ``p(z)`` over ``|p'(z)|`` is (ill-conditioned, nearly double
  roots fail this).

Points whose rightmost eigenvalue is a complex pair get complex Newton iterations from the
lattice's rightmost eigenvalue and the same certificate; points that fail it are reported as
not certified (the caller uses ``eigvals``).
"""

from __future__ import annotations

import numpy as np

from ._spectral import (
    MAX_STEPS,
    MAX_TERMS,
    STEP_TOL,
    _family_polynomials,
    _lattice,
    _newton_from_above,
)

#: Largest matrix size handled (Routh's test on longer polynomials loses too much to rounding).
MAX_SIZE = 12
#: The certificate: no eigenvalue lies more than this fraction of the matrix scale to the
#: right of the answer.
CERTIFY_GAP = 1e-10


def few_entry_abscissa(
    A: np.ndarray, scale: np.ndarray, max_terms: int = MAX_TERMS
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """:func:`family_abscissa` for a stack ``(n, n, m)`` of matrices (the varying entries are
    found by comparing the stack); ``None`` when it does not have the structure."""
    n, _, m = A.shape
    if n > MAX_SIZE or not np.all(np.isfinite(A)):
        return None
    flat = A.reshape(n * n, m)
    entries = np.flatnonzero(flat.min(axis=1) != flat.max(axis=1))
    return family_abscissa(flat[:, 0].reshape(n, n), entries, flat[entries], scale, max_terms)


def family_abscissa(
    J0: np.ndarray,
    entries: np.ndarray,
    values: np.ndarray,
    scale: np.ndarray,
    max_terms: int = MAX_TERMS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Largest real part of the eigenvalues of ``J0`` with a few entries replaced (any signs).

    Parameters
    ----------
    J0, entries, values, scale, max_terms
        As :func:`richardson.analysis._spectral.family_perron` (the matrices need not be Metzler):
        the common ``(n, n)`` matrix, the flat positions of the ``r`` varying entries, their
        values ``(r, m)``, each matrix's magnitude ``(m,)`` and the largest number of terms.

    Returns
    -------
    (abscissa, leading_imag, certified) or None
        The largest real part (1/time unit), ``|imaginary part|`` of the eigenvalue that has
        it, and whether Routh's test certified it (compute the others with ``eigvals``);
        ``None`` when the family does not have the structure or ``n > MAX_SIZE``.
    """
    n, m = J0.shape[0], values.shape[1]
    if n > MAX_SIZE or n < 2:
        return None
    if entries.size == 0:  # one matrix for all points
        eigenvalues = np.linalg.eigvals(J0)
        leading = eigenvalues[np.argmax(eigenvalues.real)]
        return np.full(m, leading.real), np.full(m, abs(leading.imag)), np.ones(m, dtype=bool)
    family = _family_polynomials(J0, entries, values, max_terms)
    if family is None:
        return None
    J0, coef, _ = family
    tol = STEP_TOL * np.maximum(scale, np.finfo(float).tiny)
    gap = CERTIFY_GAP * scale
    guess, rightmost = _lattice_guesses(J0, entries, values)
    with np.errstate(all="ignore"):
        # a real rightmost eigenvalue: Newton from a certified upper bound
        start = np.where(_routh_stable(coef, guess), guess, _gershgorin(J0, entries, values))
        x, _, _ = _newton_from_above(coef, start, tol)
        certified = _routh_stable(coef, x + gap) & (_root_error(coef, x) <= gap)
        abscissa, imag = x, np.zeros(m)
        # a complex rightmost pair: Newton in the complex plane from the lattice's leader
        rest = np.flatnonzero(~certified)
        if rest.size:
            z, settled = _complex_newton(coef[:, rest], rightmost[rest], tol[rest])
            good = settled & _routh_stable(coef[:, rest], z.real + gap[rest])
            good &= _root_error(coef[:, rest], z) <= gap[rest]
            abscissa[rest[good]], imag[rest[good]] = z.real[good], np.abs(z.imag[good])
            certified[rest[good]] = True
    return abscissa, imag, certified


def _root_error(coef: np.ndarray, z: np.ndarray) -> np.ndarray:
    """First-order error bound of a computed root: rounding of ``sum |c_k| |z|^k`` (Horner)
    over ``|p'(z)|``."""
    n = coef.shape[0] - 1
    size = np.abs(z)
    bound, derivative, value = np.abs(coef[0]), np.zeros_like(z), coef[0].astype(z.dtype)
    for k in range(1, n + 1):
        derivative = derivative * z + value
        value = value * z + coef[k]
        bound = bound * size + np.abs(coef[k])
    return 2 * n * np.finfo(float).eps * bound / np.abs(derivative)


def _lattice_guesses(
    J0: np.ndarray, entries: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per point: a likely upper bound of the abscissa (the largest over the corners of the
    point's lattice cell, plus their spread) and the rightmost eigenvalue at the nearest
    lattice point."""
    r, m = values.shape
    lows, highs = values.min(axis=1), values.max(axis=1)
    levels = max(2, int(round(32 ** (1.0 / r), 9))) if 2**r <= 64 else 1
    axes, lattice = _lattice(lows, highs, levels)
    matrices = np.repeat(J0[None], lattice.shape[1], axis=0)
    matrices.reshape(lattice.shape[1], -1)[:, entries] = lattice.T
    eigenvalues = np.linalg.eigvals(matrices)
    leader = eigenvalues[np.arange(len(eigenvalues)), np.argmax(eigenvalues.real, axis=1)]
    below = np.zeros(m, dtype=np.intp)  # flat index of the cell's lowest corner
    nearest = np.zeros(m, dtype=np.intp)
    offsets = np.zeros(1, dtype=np.intp)  # flat offsets of the cell's corners
    for axis, value in zip(axes, values, strict=True):
        size = axis.size
        cell, near = np.zeros(m, dtype=np.intp), np.zeros(m, dtype=np.intp)
        if size > 1:
            position = (value - axis[0]) * ((size - 1) / (axis[-1] - axis[0]))
            cell = np.clip(np.floor(position), 0, size - 2).astype(np.intp)
            near = np.clip(np.rint(position), 0, size - 1).astype(np.intp)
        below, nearest = below * size + cell, nearest * size + near
        offsets = offsets[:, None] * size + (np.arange(2) if size > 1 else np.zeros(1, int))
        offsets = offsets.ravel()
    corners = leader.real[below[None, :] + offsets[:, None]]
    top, bottom = corners.max(axis=0), corners.min(axis=0)
    return top + (top - bottom), leader[nearest]


def _gershgorin(J0: np.ndarray, entries: np.ndarray, values: np.ndarray) -> np.ndarray:
    """An upper bound of every eigenvalue's real part: the least of the largest Gershgorin
    row and column bounds ``J_ii + sum_{j != i} |J_ij|``."""
    n, m = J0.shape[0], values.shape[1]
    rows, cols = np.divmod(entries, n)
    diagonal = rows == cols
    base = np.abs(J0)
    base[np.arange(n), np.arange(n)] = J0.diagonal()
    bounds = []
    for lines, constant in ((rows, base.sum(axis=1)), (cols, base.sum(axis=0))):
        total = np.repeat(constant[:, None], m, axis=1)
        for e in range(entries.size):
            total[lines[e]] += values[e] if diagonal[e] else np.abs(values[e])
        bounds.append(total.max(axis=0))
    return np.minimum(*bounds)


def _complex_newton(
    coef: np.ndarray, start: np.ndarray, tol: np.ndarray, max_steps: int = MAX_STEPS
) -> tuple[np.ndarray, np.ndarray]:
    """Newton's method for a root of each polynomial (columns of ``coef``) from ``start``;
    settled when the step is below ``tol`` or has stalled at the rounding level."""
    n = coef.shape[0] - 1
    z = start.astype(complex)
    settled = np.zeros(z.size, dtype=bool)
    live = np.arange(z.size)
    previous = np.full(z.size, np.inf)
    for _ in range(max_steps):
        x, c = z[live], coef[:, live]
        p, dp = c[0].astype(complex), np.zeros(live.size, dtype=complex)
        for k in range(1, n + 1):
            dp = dp * x + p
            p = p * x + c[k]
        step = p / dp
        size = np.abs(step)
        finite = np.isfinite(step)
        z[live] = np.where(finite, x - step, x)
        stalled = (size <= 1e4 * tol[live]) & (size >= 0.5 * previous[live])
        done = ~finite | (size <= tol[live]) | stalled
        settled[live[done & finite]] = True
        previous[live] = size
        live = live[~done]
        if not live.size:
            break
    return z, settled


def _routh_stable(coef: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """True where every root of ``p(s + shift)`` has a negative real part (Routh's test).

    ``coef`` holds the monic polynomials ``p`` (columns, highest power first).
    """
    a = coef.copy()
    n = a.shape[0] - 1
    for i in range(n):  # Taylor shift by repeated synthetic division
        for j in range(1, n - i + 1):
            a[j] += shift * a[j - 1]
    stable = np.all(a[1:] > 0.0, axis=0)  # necessary: every coefficient positive
    upper, lower = a[0::2], a[1::2]
    while lower.shape[0]:
        stable &= lower[0] > 0.0
        width = max(upper.shape[0], lower.shape[0]) - 1
        following = np.zeros((width, a.shape[1]))
        for j in range(width):
            above = upper[j + 1] if j + 1 < upper.shape[0] else 0.0
            below = lower[j + 1] if j + 1 < lower.shape[0] else 0.0
            following[j] = above - upper[0] * below / lower[0]
        upper, lower = lower, following
    return stable
