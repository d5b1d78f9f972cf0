"""Roots of the characteristic quasi-polynomial of a linear delay system (private numerics).

For ``x'(t) = A0 x(t) + sum_k A_k x(t - tau_k)`` the exponential solutions ``exp(lambda t) v``
need ``det M(lambda) = 0`` with ``M(lambda) = lambda I - A0 - sum_k A_k exp(-lambda tau_k)``.
There are infinitely many roots, but only finitely many to the right of any vertical line
(a retarded system), so the rightmost ones decide stability (Hale & Verduyn Lunel 1993, ch. 7).

* :func:`rightmost_roots`: eigenvalues of a Chebyshev pseudospectral discretisation of the
  infinitesimal generator of the solution semigroup (Breda, Maset & Vermiglio 2005), each
  refined by Newton's method on ``det M`` (the step ``1 / tr(M^-1 M')``, Jacobi's formula).
* :func:`imaginary_crossings`: the frequencies ``omega > 0`` at which a root sits on the
  imaginary axis for *some* value of one delay ``tau``: with ``z = exp(-i omega tau)`` on the
  unit circle, ``z`` is a generalised eigenvalue of the pencil ``(i omega I - B(omega), A1)``,
  ``B`` holding the other (fixed) delays. The frequencies are bounded by
  ``||A0|| + sum ||A_k||``, so a scan of that interval finds every crossing (tangencies
  aside), and none means no delay ever destabilises (Gu, Kharitonov & Chen 2003, ch. 3).

References
----------
Breda, D., Maset, S. and Vermiglio, R. (2005). Pseudospectral differencing methods for
characteristic roots of delay differential equations. *SIAM J. Sci. Comput.* 27, 482-495.
Hale, J. K. and Verduyn Lunel, S. M. (1993). *Introduction to Functional Differential
Equations*. Springer.
Gu, K., Kharitonov, V. L. and Chen, J. (2003). *Stability of Time-Delay Systems*. Birkhauser.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.optimize import brentq

__all__ = ["rightmost_roots", "imaginary_crossings", "characteristic_matrix", "crossing_speed"]

Delays = Sequence[tuple[float, np.ndarray]]


def characteristic_matrix(lam: complex, A0: np.ndarray, delays: Delays) -> np.ndarray:
    """``M(lambda) = lambda I - A0 - sum_k A_k exp(-lambda tau_k)``."""
    M = lam * np.eye(len(A0)) - A0
    for tau, A in delays:
        M = M - A * np.exp(-lam * tau)
    return M


def _derivative(lam: complex, A0: np.ndarray, delays: Delays) -> np.ndarray:
    D = np.eye(len(A0), dtype=complex)
    for tau, A in delays:
        D = D + tau * A * np.exp(-lam * tau)
    return D


def newton(
    lam: complex, A0: np.ndarray, delays: Delays, steps: int = 40, tol: float = 1e-13
) -> tuple[complex, bool]:
    """A root of ``det M`` from ``lam`` by Newton's method; ``(root, converged)``."""
    scale = 1.0 + np.abs(A0).sum() + sum(np.abs(A).sum() for _, A in delays)
    for _ in range(steps):
        M = characteristic_matrix(lam, A0, delays)
        try:
            ratio = np.trace(np.linalg.solve(M, _derivative(lam, A0, delays)))
        except np.linalg.LinAlgError:
            return lam, True  # M singular: lam is a root to rounding
        if not np.isfinite(ratio) or ratio == 0:
            return lam, False
        step = 1.0 / ratio
        lam = lam - step
        if abs(step) <= tol * max(1.0, abs(lam), scale):
            return lam, True
    return lam, False


def _chebyshev(N: int) -> tuple[np.ndarray, np.ndarray]:
    """Chebyshev points ``cos(j pi / N)`` (from 1 to -1) and the differentiation matrix
    (Trefethen 2000, *Spectral Methods in MATLAB*, program ``cheb``)."""
    x = np.cos(np.pi * np.arange(N + 1) / N)
    c = np.hstack([2.0, np.ones(N - 1), 2.0]) * (-1.0) ** np.arange(N + 1)
    dX = x[:, None] - x[None, :]
    D = np.outer(c, 1.0 / c) / (dX + np.eye(N + 1))
    return x, D - np.diag(D.sum(axis=1))


def _lagrange_row(nodes: np.ndarray, point: float) -> np.ndarray:
    """Values at ``point`` of the Lagrange basis on the Chebyshev ``nodes`` (barycentric)."""
    N = len(nodes) - 1
    weights = (-1.0) ** np.arange(N + 1)
    weights[0] *= 0.5
    weights[-1] *= 0.5
    gap = point - nodes
    hit = np.abs(gap) < 1e-14
    if np.any(hit):
        return hit.astype(float)
    terms = weights / gap
    return terms / terms.sum()


def generator_eigenvalues(A0: np.ndarray, delays: Delays, N: int) -> np.ndarray:
    """Eigenvalues of the pseudospectral generator on ``N + 1`` Chebyshev nodes."""
    n = len(A0)
    longest = max(tau for tau, _ in delays)
    x, D = _chebyshev(N)
    big = np.zeros(((N + 1) * n, (N + 1) * n))
    big[n:, :] = np.kron(D[1:, :] * (2.0 / longest), np.eye(n))
    top = np.zeros((n, (N + 1) * n))
    top[:, :n] = A0
    for tau, A in delays:
        top += np.kron(_lagrange_row(x, 1.0 - 2.0 * tau / longest)[None, :], A)
    big[:n, :] = top
    return np.linalg.eigvals(big)


def rightmost_roots(A0: np.ndarray, delays: Delays, count: int = 6) -> np.ndarray:
    """The rightmost roots of ``det M``, refined, sorted by decreasing real part.

    Parameters
    ----------
    A0 : numpy.ndarray
        Jacobian of the undelayed terms, ``(n, n)`` (1/time unit).
    delays : sequence of (float, numpy.ndarray)
        Each delay ``tau_k`` (time units) with its Jacobian ``A_k`` (1/time unit).
    count : int
        How many distinct roots to return (at most).
    """
    A0 = np.asarray(A0, dtype=float)
    delays = [(float(t), np.asarray(A, dtype=float)) for t, A in delays if np.any(A != 0)]
    if not delays:
        roots = np.linalg.eigvals(A0)
        return roots[np.argsort(-roots.real)][:count]
    longest = max(tau for tau, _ in delays)
    size = float(np.linalg.norm(A0, 2) + sum(np.linalg.norm(A, 2) for _, A in delays))
    N = int(np.clip(np.ceil(16 + 2.0 * longest * size), 24, 120 if len(A0) <= 4 else 60))
    guesses = generator_eigenvalues(A0, delays, N)
    guesses = guesses[np.argsort(-guesses.real)][: max(4 * count, 2 * len(A0) + 4)]
    found: list[complex] = []
    for guess in guesses:
        root, converged = newton(complex(guess), A0, delays)
        if not converged or not np.isfinite(root):
            continue
        if abs(root - guess) > 0.1 * max(1.0, abs(guess)):
            continue  # Newton ran off to another root: that root has its own guess
        if all(abs(root - other) > 1e-8 * max(1.0, abs(root)) for other in found):
            found.append(root)
    roots = np.array(found, dtype=complex)
    # rightmost first; of a conjugate pair (equal real parts to rounding) the upper one first
    order = np.lexsort((-roots.imag, -np.round(roots.real, 10)))
    return roots[order][:count]


def _pencil(omegas: np.ndarray, A0: np.ndarray, others: Delays) -> np.ndarray:
    """``i omega I - B(omega)`` for each frequency, stacked ``(len(omegas), n, n)``."""
    n = len(A0)
    stack = 1j * omegas[:, None, None] * np.eye(n) - A0
    for tau, A in others:
        stack = stack - A * np.exp(-1j * omegas * tau)[:, None, None]
    return stack


def _inverse_moduli(omegas: np.ndarray, A0: np.ndarray, A1: np.ndarray, others: Delays):
    """``log |mu|`` sorted, for the eigenvalues ``mu = 1 / z`` of ``(i omega I - B)^-1 A1``
    (``|z| = 1`` exactly when ``|mu| = 1``; a zero ``mu`` is an infinite ``z``)."""
    with np.errstate(divide="ignore"):
        mu = np.linalg.eigvals(np.linalg.solve(_pencil(omegas, A0, others), A1))
        return np.sort(np.log(np.abs(mu)), axis=-1)


def imaginary_crossings(
    A0: np.ndarray, A1: np.ndarray, others: Delays = (), grid: int = 4000
) -> list[tuple[float, complex]]:
    """Frequencies ``omega > 0`` where ``i omega`` is a root for some value of the delay of
    ``A1``, each with ``z = exp(-i omega tau)`` there (so ``tau = -arg(z) / omega``, mod
    ``2 pi / omega``).

    Parameters
    ----------
    A0, A1 : numpy.ndarray
        Undelayed Jacobian and the Jacobian of the terms delayed by the varying ``tau``.
    others : sequence of (float, numpy.ndarray)
        Terms with other, fixed delays.
    grid : int
        Points of the frequency scan before each bracket is refined by Brent's method.
    """
    bound = float(np.linalg.norm(A0, 2) + np.linalg.norm(A1, 2))
    bound += sum(float(np.linalg.norm(A, 2)) for _, A in others)
    if bound == 0 or not np.any(A1 != 0):
        return []
    # an irrational offset keeps the grid off the eigenvalues i omega of A0 (integers, often)
    omegas = np.linspace(bound * 1e-7 * math.pi, bound * 1.001, grid)
    table = _inverse_moduli(omegas, A0, A1, others)
    found: list[tuple[float, complex]] = []
    for k in range(table.shape[1]):
        column = table[:, k]
        sign = np.sign(column)
        changes = (sign[:-1] * sign[1:] < 0) & np.isfinite(column[:-1] + column[1:])
        for i in np.nonzero(changes)[0]:
            omega = brentq(
                lambda w, k=k: _inverse_moduli(np.array([w]), A0, A1, others)[0, k],
                omegas[i],
                omegas[i + 1],
                xtol=1e-15,
                rtol=1e-15,
            )
            mu = np.linalg.eigvals(np.linalg.solve(_pencil(np.array([omega]), A0, others)[0], A1))
            nearest = mu[np.argmin(np.abs(np.abs(mu) - 1.0))]
            found.append((float(omega), complex(1.0 / nearest)))
    return sorted(found, key=lambda pair: pair[0])


def crossing_speed(omega: float, tau: float, A0: np.ndarray, A1: np.ndarray, others: Delays):
    """``d Re(lambda) / d tau`` of the root ``i omega`` at delay ``tau`` (positive: the root
    moves to the right, the balance loses stability as the delay grows)."""
    lam = 1j * omega
    delays = [(tau, A1), *others]
    M = characteristic_matrix(lam, A0, delays)
    # simple root: d lambda / d tau = -(w* M_tau v) / (w* M_lambda v), v and w the right and
    # left null vectors of M (the last singular vectors)
    left, _, right = np.linalg.svd(M)
    v, w = right[-1].conj(), left[:, -1]
    by_tau = lam * A1 * np.exp(-lam * tau)
    by_lambda = _derivative(lam, A0, delays)
    denominator = w.conj() @ by_lambda @ v
    if denominator == 0:
        return float("nan")
    return float(np.real(-(w.conj() @ by_tau @ v) / denominator))
