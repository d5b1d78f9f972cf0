"""Bifurcation detection on branches of equilibria: the test functions of folds, branch points,
Hopf, flip and Neimark-Sacker points, their classification and the first Lyapunov
coefficient of a Hopf point (Kuznetsov 2004, eq. 3.20).

References
----------
Kuznetsov, Y. A. (2004). *Elements of Applied Bifurcation Theory*, 3rd ed. Springer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .tracing import _Curve, _System

__all__ = ["BIFURCATION_KINDS"]

#: Kinds of codimension-one points, by model kind.
BIFURCATION_KINDS = {
    "ode": ("fold", "branch", "hopf"),
    "map": ("fold", "branch", "flip", "neimark_sacker"),
}

_TEST_OF_KIND = {
    "fold": "fold",
    "branch": "branch",
    "hopf": "hopf",
    "flip": "flip",
    "neimark_sacker": "neimark_sacker",
}


# ====================================================================== equilibrium branches
def _pair_products(
    values: np.ndarray, combine: Callable[[np.ndarray, np.ndarray], np.ndarray]
) -> float:
    if values.size < 2:
        return math.nan
    i, j = np.triu_indices(values.size, k=1)
    return float(np.real(np.prod(combine(values[i], values[j]))))


class _EquilibriumCurve(_Curve):
    """``z = (x, lambda)``; ``R(z) = G(x, p(lambda))``."""

    def __init__(
        self, system: _System, index: int, bounds: tuple[float, float], state_limit: float
    ) -> None:
        self.system, self.index, self.bounds, self.state_limit = system, index, bounds, state_limit
        self.n = system.n
        self.tests = ("fold", "branch") + (
            ("flip", "neimark_sacker") if system.is_map else ("hopf",)
        )
        self.oriented_tests = ("fold", "branch")

    def params_at(self, lam: float) -> np.ndarray:
        p = self.system.p_base.copy()
        p[self.index] = lam
        return p

    def residual(self, z: np.ndarray) -> np.ndarray:
        return self.system.residual(z[:-1], self.params_at(z[-1]))

    def jacobian(self, z: np.ndarray) -> np.ndarray:
        matrix, g_p = self.system.linear(z[:-1], self.params_at(z[-1]), (self.index,))
        if self.system.is_map:
            matrix = matrix - np.eye(self.n)
        return np.hstack([matrix, g_p])

    def evaluate(
        self, z: np.ndarray, tangent: np.ndarray
    ) -> tuple[dict[str, float], dict[str, Any]]:
        x, p = z[:-1], self.params_at(z[-1])
        matrix, g_p = self.system.linear(x, p, (self.index,))
        values = self.system.eigen(matrix)
        state_matrix = matrix - np.eye(self.n) if self.system.is_map else matrix
        bordered = np.vstack([np.hstack([state_matrix, g_p]), tangent])
        tests = {"fold": float(tangent[-1]), "branch": float(np.linalg.det(bordered))}
        if self.system.is_map:
            tests["flip"] = float(np.real(np.prod(values + 1.0)))
            tests["neimark_sacker"] = _pair_products(values, lambda a, b: a * b - 1.0)
        else:
            tests["hopf"] = _pair_products(values, lambda a, b: a + b)
        return tests, {"eigenvalues": values}

    def limits(self, z: np.ndarray) -> np.ndarray:
        lo, hi = self.bounds
        return np.array([z[-1] - lo, hi - z[-1], self.state_limit - float(np.max(np.abs(z[:-1])))])

    def describe(self, z: np.ndarray) -> str:
        return f"parameter {z[-1]:.6g}, |state| {np.max(np.abs(z[:-1])):.4g}"


def _lyapunov_coefficient(system: _System, x: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """First Lyapunov coefficient and frequency at a Hopf point (Kuznetsov 2004, eq. 3.20)."""
    matrix = system.state_matrix(x, p)
    values, vectors = np.linalg.eig(matrix)
    k = int(np.argmax(np.imag(values) - 10.0 * np.abs(np.real(values))))
    omega = float(np.imag(values[k]))
    q = vectors[:, k] / np.linalg.norm(vectors[:, k])
    left_values, left_vectors = np.linalg.eig(matrix.T)
    m = int(np.argmin(np.abs(left_values + 1j * omega)))
    p_vec = left_vectors[:, m]
    p_vec = p_vec / np.conj(np.conj(p_vec) @ q)  # <p, q> = conj(p) . q = 1

    def d_complex(u: np.ndarray) -> np.ndarray:
        return system.d_state(x, p, np.real(u)) + 1j * system.d_state(x, p, np.imag(u))

    def bilinear(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return d_complex(u) @ v

    qr, qi = np.real(q), np.imag(q)
    e_rr, e_ii = system.d2_state(x, p, qr, qr), system.d2_state(x, p, qi, qi)
    e_ri = system.d2_state(x, p, qr, qi)
    c_qqq = (e_rr - e_ii + 2j * e_ri) @ np.conj(q)
    h11 = np.linalg.solve(matrix, bilinear(q, np.conj(q)))
    h20 = np.linalg.solve(2j * omega * np.eye(system.n) - matrix, bilinear(q, q))
    total = (
        np.conj(p_vec) @ c_qqq
        - 2.0 * np.conj(p_vec) @ bilinear(q, h11)
        + np.conj(p_vec) @ bilinear(np.conj(q), h20)
    )
    return float(np.real(total) / (2.0 * omega)), omega


def _classify(kind: str, values: np.ndarray, scale: float) -> tuple[bool, float | None]:
    """Is a root of the ``kind`` test a genuine point? Returns ``(genuine, frequency)``."""
    if kind == "hopf":
        i, j = np.triu_indices(values.size, k=1)
        sums = np.abs(values[i] + values[j])
        pair = int(np.argmin(sums))
        a, b = values[i[pair]], values[j[pair]]
        omega = abs(float(np.imag(a)))
        genuine = omega > 1e-7 * scale and abs(float(np.imag(a + b))) < 1e-6 * scale
        return genuine, omega if genuine else None
    if kind == "neimark_sacker":
        i, j = np.triu_indices(values.size, k=1)
        gaps = np.abs(values[i] * values[j] - 1.0)
        pair = int(np.argmin(gaps))
        a = values[i[pair]]
        angle = abs(float(np.angle(a)))
        genuine = abs(float(np.imag(a))) > 1e-7 and abs(abs(a) - 1.0) < 1e-5
        return genuine, angle if genuine else None
    return True, None
