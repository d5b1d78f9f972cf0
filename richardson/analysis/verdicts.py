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

__all__ = ["linear_verdicts", "verdict_codes"]


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
    return verdict_codes(growth, leading_imag, np.all(b <= 0.0, axis=0), scale, discrete), growth


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
