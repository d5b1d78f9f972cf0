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

from collections.abc import Sequence

import numpy as np
import scipy.linalg
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
    return roots[np.argsort(-roots.real, kind="stable")][:count]


def _moduli(omega: float, A0: np.ndarray, A1: np.ndarray, others: Delays) -> np.ndarray:
    B = A0.astype(complex)
    for tau, A in others:
        B = B + A * np.exp(-1j * omega * tau)
    z = scipy.linalg.eigvals(1j * omega * np.eye(len(A0)) - B, A1.astype(complex))
    logs = np.full(len(A0), np.inf)
    finite = np.isfinite(z) & (np.abs(z) < 1e150)
    logs[: int(finite.sum())] = np.sort(np.log(np.abs(z[finite]) + 1e-300))
    return logs


def imaginary_crossings(
    A0: np.ndarray, A1: np.ndarray, others: Delays = (), grid: int = 3000
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
    omegas = np.linspace(bound * 1e-7, bound * 1.001, grid)
    table = np.array([_moduli(w, A0, A1, others) for w in omegas])
    found: list[tuple[float, complex]] = []
    for k in range(table.shape[1]):
        column = table[:, k]
        sign = np.sign(column)
        for i in np.nonzero((sign[:-1] * sign[1:] < 0) & np.isfinite(column[:-1] + column[1:]))[0]:
            omega = brentq(
                lambda w, k=k: _moduli(w, A0, A1, others)[k], omegas[i], omegas[i + 1], xtol=1e-14
            )
            B = A0.astype(complex)
            for tau, A in others:
                B = B + A * np.exp(-1j * omega * tau)
            z = scipy.linalg.eigvals(1j * omega * np.eye(len(A0)) - B, A1.astype(complex))
            z = z[np.isfinite(z)]
            found.append((float(omega), complex(z[np.argmin(np.abs(np.abs(z) - 1.0))])))
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
