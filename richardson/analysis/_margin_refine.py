"""Local refinement of an escalation-margin search (private helper of
:mod:`._margin_linear`): the smallest box of parameter changes with a point strictly on the
far side of the stability boundary, by SLSQP from a start.

The far side is written with smooth functions so that SLSQP can follow it: the
Routh-Hurwitz terms of the characteristic polynomial (:func:`hurwitz_terms`), whose zero sets
are the two ways of crossing (a real eigenvalue, ``c_n = 0``; a complex pair,
``Delta_(n-1) = 0``) and whose intersection is the stable set, so that a corner where two
conditions meet (a narrow window of stability) is found too; or, with many parameters from a
stable start, the leading eigenvalue with its exact gradient (cheaper, one
eigen-decomposition per step, but it follows one branch only).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.optimize

__all__ = ["far_side_points", "highest_points", "hurwitz_terms"]

#: Strictness of the far side asked of SLSQP (relative to the scaled terms).
STRICT = 1e-9
#: SLSQP iterations per start and condition.
MAX_ITERATIONS = 30

Evaluate = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def far_side_points(
    block_jac: Callable[[np.ndarray], np.ndarray],
    sign: float,
    B: np.ndarray | None,
    start: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    reach: float,
) -> list[np.ndarray]:
    """Points of small boxes (size below ``reach``) strictly on the far side, near ``start``.

    Parameters
    ----------
    block_jac : callable
        Scaled changes ``(q, m)`` -> Jacobians ``(s, s, m)`` of the block (1/time unit).
    sign : float
        ``+1`` from a stable start (far side: some eigenvalue with real part >= 0), ``-1``
        from runaway (far side: all real parts < 0).
    B : numpy.ndarray or None
        ``dA/d delta_i`` ``(q, s, s)`` of an affine block: use the leading eigenvalue with
        its exact gradient (stable start only); None: the Routh-Hurwitz terms.
    start : numpy.ndarray
        Where SLSQP starts ``(q,)``.
    lo, hi : numpy.ndarray
        Bounds of the scaled changes.
    reach : float
        Largest box size of interest (the best found so far).

    Returns
    -------
    list of numpy.ndarray
        SLSQP's answer for each condition tried (the caller checks them).
    """
    q = len(start)
    if B is not None and sign > 0:
        constraints = [_abscissa_constraint(block_jac, B)]
    else:
        constraints = _hurwitz_constraints(block_jac, sign, q)
    return [_smallest_box(evaluate, start, lo, hi, reach) for evaluate in constraints]


def highest_points(
    h: Callable[[np.ndarray], np.ndarray],
    points: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    max_change: float,
) -> list[np.ndarray]:
    """Points of ``box(max_change)`` with ``h >= 0``, by local ascent (L-BFGS-B) from each
    column of ``points``."""
    low, high = np.maximum(-max_change, lo), np.minimum(max_change, hi)
    found = []
    for i in range(points.shape[1]):

        def negative(x: np.ndarray) -> float:
            value = h(x[:, None])[0]
            return -value if np.isfinite(value) else 1e300

        result = scipy.optimize.minimize(
            negative,
            points[:, i],
            method="L-BFGS-B",
            bounds=list(zip(low, high, strict=True)),
            options={"maxiter": 60},
        )
        if -result.fun >= 0.0:
            found.append(np.clip(result.x, low, high))
    return found


def hurwitz_terms(J: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Characteristic coefficients and Hurwitz determinants of a stack ``(n, n, m)``.

    ``det(x I - J) = x^n + c_1 x^(n-1) + ... + c_n`` (Faddeev-LeVerrier); the Hurwitz
    determinants ``Delta_1 .. Delta_(n-1)`` are the leading principal minors of the Hurwitz
    matrix ``H_ij = c_(2j-i)``. All eigenvalues have negative real part iff all ``Delta_j``
    and ``c_n`` are positive; leaving that set, ``c_n`` (a real eigenvalue) or
    ``Delta_(n-1)`` (a complex pair) crosses 0. Returns ``(c (n, m), Delta (n-1, m))``.
    """
    n, _, m = J.shape
    if n <= 3:  # closed forms: trace, sum of principal 2x2 minors, determinant
        trace = np.trace(J)
        if n == 1:
            return -trace[None, :], np.zeros((0, m))
        minors2 = sum(
            J[i, i] * J[j, j] - J[i, j] * J[j, i] for i in range(n) for j in range(i + 1, n)
        )
        if n == 2:
            return np.array([-trace, minors2]), -trace[None, :]
        det = (
            J[0, 0] * (J[1, 1] * J[2, 2] - J[1, 2] * J[2, 1])
            - J[0, 1] * (J[1, 0] * J[2, 2] - J[1, 2] * J[2, 0])
            + J[0, 2] * (J[1, 0] * J[2, 1] - J[1, 1] * J[2, 0])
        )
        return np.array([-trace, minors2, -det]), np.array([-trace, det - trace * minors2])
    A = np.moveaxis(J, -1, 0)
    eye = np.broadcast_to(np.eye(n), A.shape)
    c = np.ones((n + 1, m))
    M = np.zeros_like(A)
    for j in range(1, n + 1):
        M = A @ M + c[j - 1][:, None, None] * eye
        c[j] = -np.trace(A @ M, axis1=1, axis2=2) / j
    H = np.zeros((m, n, n))
    for i in range(n):
        for j in range(n):
            index = 2 * (j + 1) - (i + 1)
            if 0 <= index <= n:
                H[:, i, j] = c[index]
    minors = np.array([np.linalg.det(H[:, :j, :j]) for j in range(1, n)]).reshape(n - 1, m)
    return c[1:], minors


def _smallest_box(
    evaluate: Evaluate, start: np.ndarray, lo: np.ndarray, hi: np.ndarray, max_change: float
) -> np.ndarray:
    """SLSQP: smallest ``t`` with ``evaluate(delta)[0] >= 0`` and ``|delta_i| <= t``."""
    q = len(start)
    cache: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    def cached(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = x[:q].tobytes()
        if key not in cache:
            values, slope = evaluate(x[:q])
            cache.clear()
            cache[key] = (values, np.concatenate([slope, np.zeros((len(values), 1))], axis=1))
        return cache[key]

    pick = np.zeros(q + 1)
    pick[-1] = 1.0
    box_jac = np.block([[-np.eye(q), np.ones((q, 1))], [np.eye(q), np.ones((q, 1))]])
    bounds = [
        (None if not np.isfinite(a) else a, None if not np.isfinite(b) else b)
        for a, b in zip(lo, hi, strict=True)
    ] + [(0.0, max_change)]
    result = scipy.optimize.minimize(
        lambda x: x[q],
        np.append(start, np.max(np.abs(start))),
        jac=lambda x: pick,
        method="SLSQP",
        bounds=bounds,
        constraints=[
            {"type": "ineq", "fun": lambda x: cached(x)[0], "jac": lambda x: cached(x)[1]},
            {
                "type": "ineq",
                "fun": lambda x: np.concatenate([x[q] - x[:q], x[q] + x[:q]]),
                "jac": lambda x: box_jac,
            },
        ],
        options={"maxiter": MAX_ITERATIONS, "ftol": 1e-12},
    )
    return np.clip(result.x[:q], lo, hi)


def _hurwitz_constraints(
    block_jac: Callable[[np.ndarray], np.ndarray], sign: float, q: int
) -> list[Evaluate]:
    """Far-side conditions from the Routh-Hurwitz terms, scaled by the start's magnitude."""
    size = max(float(np.max(np.abs(block_jac(np.zeros((q, 1)))))), 1e-300)
    n = block_jac(np.zeros((q, 1))).shape[0]
    eps = 1e-7
    steps = eps * np.eye(q)

    def terms(delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # (r,), (r, q)
        points = np.concatenate([delta[:, None], delta[:, None] + steps, delta[:, None] - steps], 1)
        with np.errstate(all="ignore"):
            c, minors = hurwitz_terms(np.nan_to_num(block_jac(points)))
        c = c / size ** np.arange(1, n + 1)[:, None]
        minors = minors / size ** np.array([j * (j + 1) / 2 for j in range(1, n)])[:, None]
        v = np.concatenate([c[-1:], minors])  # c_n, Delta_1 .. Delta_(n-1)
        return v[:, 0], (v[:, 1 : q + 1] - v[:, q + 1 :]) / (2 * eps)

    if sign < 0:  # into stability: every term positive
        return [lambda delta: _shifted(terms(delta), slice(None), 1.0)]
    pieces = [0] if n == 1 else [0, n - 1]  # c_n <= 0, or Delta_(n-1) <= 0
    return [lambda delta, j=j: _shifted(terms(delta), slice(j, j + 1), -1.0) for j in pieces]


def _shifted(
    terms: tuple[np.ndarray, np.ndarray], chosen: slice, flip: float
) -> tuple[np.ndarray, np.ndarray]:
    return flip * terms[0][chosen] - STRICT, flip * terms[1][chosen]


def _abscissa_constraint(block_jac: Callable[[np.ndarray], np.ndarray], B: np.ndarray) -> Evaluate:
    """``alpha >= 0`` for an affine block, with the eigenvector gradient
    ``d lambda / d delta_i = (V^-1 B_i V)_jj`` of the leading eigenvalue ``j``."""
    size = max(float(np.max(np.abs(block_jac(np.zeros((len(B), 1)))))), 1e-300)

    def evaluate(delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        J = np.nan_to_num(block_jac(delta[:, None])[:, :, 0])
        values, right = np.linalg.eig(J)
        j = int(np.argmax(values.real))
        try:
            left = np.linalg.solve(right.T, np.eye(len(values))[:, j])
        except np.linalg.LinAlgError:
            left = np.linalg.pinv(right)[j]
        slope = np.einsum("r,irc,c->i", left, B, right[:, j]).real
        return np.array([values[j].real / size - STRICT]), slope[None, :] / size

    return evaluate
