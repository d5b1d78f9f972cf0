"""Regime codes of many linear systems at once: the batched core of :func:`classify` and the
stability maps.
"""

from __future__ import annotations

import numpy as np

from ._abscissa import few_entry_abscissa
from ._spectral import is_metzler, metzler_perron
from .results import (
    REGIMES,
)

__all__ = ["linear_verdicts", "threshold_balance", "verdict_codes"]


def linear_verdicts(
    A: np.ndarray, b: np.ndarray, discrete: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Regime codes and growth rates of many linear systems ``f(x) = A x + b`` at once.

    Parameters
    ----------
    A : numpy.ndarray
        Jacobians in the layout of ``CompiledModel.jac``: shape ``(n, n, m)``.
    b : numpy.ndarray
        Constant terms (grievances), shape ``(n, m)``.
    discrete : bool
        True for maps: the growth measure is the spectral radius minus one.

    Returns
    -------
    codes : numpy.ndarray of int8
        Index into :data:`REGIMES` for each system.
    growth : numpy.ndarray
        Largest real part of the eigenvalues (ODE) or spectral radius minus one (map),
        shape ``(m,)``.

    Notes
    -----
    Two-state ODEs use the closed form. Larger ODEs whose Jacobians are all Metzler
    (off-diagonal entries >= 0, as for every Richardson model with non-negative reactions)
    get the Perron root, which is the largest real part and a real eigenvalue
    (:func:`richardson.analysis._spectral.metzler_perron`): from the characteristic
    polynomial when the batch differs in a few entries only (a map over two reaction
    coefficients), by batched Noda iteration otherwise, with ``numpy.linalg.eigvals`` for
    matrices where neither settles. Other ODE batches that differ in a few entries get the
    rightmost root of the characteristic polynomial certified by Routh's test
    (:mod:`richardson.analysis._abscissa`); all the rest use ``numpy.linalg.eigvals``.

    Examples
    --------
    >>> import numpy as np
    >>> J = np.array([[-1.0, 0.5, 0.2], [0.4, -1.0, 0.3], [0.1, 0.6, -1.0]])
    >>> codes, growth = linear_verdicts(J[..., None], np.ones((3, 1)))
    >>> REGIMES[codes[0]], bool(np.isclose(growth[0], max(np.linalg.eigvals(J).real)))
    ('stable_balance', True)
    """
    n, _, m = A.shape
    leading_imag = np.zeros(m)
    if n == 2 and not discrete:  # closed form: lambda = tr/2 +- sqrt(tr^2/4 - det)
        a00, a01, a10, a11 = A[0, 0], A[0, 1], A[1, 0], A[1, 1]
        half_trace = 0.5 * (a00 + a11)
        disc = half_trace * half_trace - (a00 * a11 - a01 * a10)
        root = np.sqrt(np.abs(disc))
        real_roots = disc >= 0
        growth = half_trace + np.where(real_roots, root, 0.0)
        leading_imag = np.where(real_roots, 0.0, root)
        scale = np.maximum(
            np.maximum(np.abs(a00), np.abs(a01)), np.maximum(np.abs(a10), np.abs(a11))
        )
    elif n > 2 and not discrete and is_metzler(A):
        # Perron root (real, the spectral abscissa); see richardson.analysis._spectral
        scale = np.maximum(A.max(axis=(0, 1)), -A.min(axis=(0, 1)))
        growth = metzler_perron(A, scale)
    else:
        scale = np.max(np.abs(A), axis=(0, 1))
        # a batch differing in a few entries: certified rightmost roots (._abscissa)
        found = few_entry_abscissa(A, scale) if n > 2 and not discrete else None
        growth = np.empty(m)
        if found is not None:
            growth, leading_imag, certified = found
        rest = np.arange(m) if found is None else np.flatnonzero(~certified)
        if rest.size:
            eigenvalues = np.linalg.eigvals(np.moveaxis(A[:, :, rest], -1, 0))
            if discrete:
                growth[rest] = np.max(np.abs(eigenvalues), axis=-1) - 1.0
            else:
                leading = np.argmax(eigenvalues.real, axis=-1)
                picked = np.take_along_axis(eigenvalues, leading[:, None], axis=-1)[:, 0]
                growth[rest], leading_imag[rest] = picked.real, np.abs(picked.imag)
    codes = verdict_codes(growth, leading_imag, np.all(b <= 0.0, axis=0), scale, discrete)
    if not discrete:
        codes = _edge_codes(A, b, codes, growth, leading_imag, scale)
    else:
        codes = _map_threshold_codes(A, b, codes, scale)
    return codes, growth


def _map_threshold_codes(
    A: np.ndarray, b: np.ndarray, codes: np.ndarray, scale: np.ndarray
) -> np.ndarray:
    """Refine "runaway" codes of linear maps ``x -> A x + b`` into ``"threshold"``.

    A map has a threshold when exactly one multiplier lies outside the unit circle and it is
    real and above 1: deviations from the fixed point ``x* = (I - A)^-1 b`` then grow along
    one direction only, one way to escalation, the other down to zero spending. Those are
    the conditions of :func:`_edge_codes` on the ODE ``x' = (A - I) x + b``, which has the
    same balance and eigenvectors (eigenvalues ``mu - 1``).
    """
    runaway = np.flatnonzero((codes == REGIMES.index("runaway")) & np.any(b < 0.0, axis=0))
    if runaway.size == 0:
        return codes
    codes = codes.copy()
    n = A.shape[0]
    for j in runaway:
        mu = np.linalg.eigvals(A[:, :, j])
        tol = 1e-12 * max(float(scale[j]), 1.0)
        outside = np.abs(mu) > 1.0 + tol
        if outside.sum() != 1:
            continue
        leading = mu[outside][0]
        if abs(leading.imag) > tol or leading.real <= 1.0:
            continue
        if threshold_balance(A[:, :, j] - np.eye(n), b[:, j]) is not None:
            codes[j] = REGIMES.index("threshold")
    return codes


def _edge_codes(
    A: np.ndarray,
    b: np.ndarray,
    codes: np.ndarray,
    growth: np.ndarray,
    leading_imag: np.ndarray,
    scale: np.ndarray,
) -> np.ndarray:
    """Refine "runaway" codes of linear ODEs into ``"marginal"`` and ``"threshold"``.

    ``marginal``: the growth rate is zero (to rounding), the leading eigenvalue real, and the
    grievances lie in the range of ``A`` (``u . b = 0`` for the left singular vector ``u`` of
    the zero singular value), so there is a line (or plane) of balances and nothing drives
    growth; when ``b`` is not in the range, spending grows linearly: runaway.

    ``threshold``: exactly one eigenvalue with positive real part, real, whose right
    eigenvector ``v`` points into the positive orthant (spending up), and a balance
    ``x* = -A^-1 b >= 0`` with ``w . x* > 0`` (``w`` the left eigenvector, ``w . v > 0``):
    the saddle at ``x*`` separates starts that run away (``w . (x0 - x*) > 0``) from those
    that fall back, among them zero spending. Richardson's unstable case with goodwill.
    Only systems with a negative grievance can have one (otherwise ``x*`` is negative).
    """
    codes = codes.copy()
    runaway = codes == REGIMES.index("runaway")
    tol = 1e-12 * np.maximum(scale, 1.0)
    real = leading_imag <= tol
    for j in np.flatnonzero(runaway & real & (np.abs(growth) <= tol)):
        U, _, _ = np.linalg.svd(A[:, :, j])
        if abs(float(U[:, -1] @ b[:, j])) <= 1e-9 * max(float(np.abs(b[:, j]).max()), 1.0):
            codes[j] = REGIMES.index("marginal")
    candidates = runaway & real & (growth > tol) & np.any(b < 0.0, axis=0)
    for j in np.flatnonzero(candidates):
        if threshold_balance(A[:, :, j], b[:, j]) is not None:
            codes[j] = REGIMES.index("threshold")
    return codes


def threshold_balance(A: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(x*, w)`` when ``x' = A x + b`` has a threshold at ``x*`` (see :func:`_edge_codes`).

    ``w`` is the left eigenvector of the one unstable eigenvalue, scaled so that
    ``w . v = 1`` for its right eigenvector ``v`` (``sum(v) > 0``): a start ``x0`` runs away
    when ``w . (x0 - x*) > 0`` and falls back when it is negative.
    """
    scale = max(float(np.abs(A).max()), 1e-300)
    eigenvalues, right = np.linalg.eig(A)
    unstable = eigenvalues.real > 1e-12 * max(scale, 1.0)
    if unstable.sum() != 1:
        return None
    i = int(np.flatnonzero(unstable)[0])
    if abs(eigenvalues[i].imag) > 1e-12 * max(scale, 1.0):
        return None
    v = right[:, i].real
    v = v if v.sum() > 0 else -v
    if np.any(v < -1e-9 * np.abs(v).max()):
        return None  # the unstable direction mixes rising and falling spending
    left_values, left = np.linalg.eig(A.T)
    w = left[:, int(np.argmin(np.abs(left_values - eigenvalues[i])))].real
    if abs(w @ v) < 1e-300:
        return None
    w = w / (w @ v)
    try:
        balance = np.linalg.solve(A, -b)
    except np.linalg.LinAlgError:
        return None
    size = max(float(np.abs(balance).max()), 1e-300)
    if np.any(balance < -1e-9 * size) or w @ balance <= 1e-9 * size * np.abs(w).sum():
        return None
    return balance, w


def verdict_codes(
    growth: np.ndarray,
    leading_imag: np.ndarray,
    no_grievance: np.ndarray,
    scale: np.ndarray,
    discrete: bool = False,
) -> np.ndarray:
    """Regime codes (indices into :data:`REGIMES`) of linear systems from their growth rates.

    Parameters
    ----------
    growth : numpy.ndarray
        Largest real part of the eigenvalues (ODE, 1/time unit) or spectral radius minus
        one (map), shape ``(m,)``.
    leading_imag : numpy.ndarray or float
        ``|imaginary part|`` of the leading eigenvalue (0 when it is real).
    no_grievance : numpy.ndarray of bool
        True where every constant term (grievance) is <= 0.
    scale : numpy.ndarray
        Magnitude of each Jacobian (``max |J_ij|``); a growth rate within ``1e-12`` of it
        counts as zero.
    discrete : bool
        True for maps.
    """
    tol = 1e-12 * np.maximum(scale, 1.0)
    codes = np.zeros(growth.shape, dtype=np.int8)  # stable_balance
    if not discrete:
        codes[no_grievance] = REGIMES.index("disarmament")
    codes[growth > -tol] = REGIMES.index("runaway")
    if not discrete:
        # exactly on the boundary with a purely imaginary leading pair: neutral cycles
        codes[(np.abs(growth) <= tol) & (leading_imag > tol)] = REGIMES.index("oscillatory")
    return codes
