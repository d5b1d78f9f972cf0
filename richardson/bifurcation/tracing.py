"""Curve tracing shared by branches of equilibria and two-parameter curves: the model adapter
(residuals, Jacobians and their directional derivatives, also for the ``period``-th iterate of
a map), pseudo-arclength steps (Euler predictor, Newton corrector on the bordered system,
adaptive step size) and location of sign changes of test functions along the arc.

References
----------
Allgower, E. L. and Georg, K. (2003). *Introduction to Numerical Continuation Methods*. SIAM.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg
import scipy.optimize

from ..model.core import Model

_NEWTON_TOL = 1e-11

_NEWTON_MAXITER = 12


# ====================================================================== model adapter
class _System:
    """``G(x, p) = 0`` for equilibria (``f``) or period-``k`` points of maps (``f^k(x) - x``).

    ``A`` is ``dG/dx``; ``eigen`` returns the eigenvalues (ODE) or multipliers (map) that
    decide stability.
    """

    def __init__(self, model: Model, p_base: np.ndarray, period: int = 1) -> None:
        self.model = model
        self.compiled = model.compile()
        self.is_map = model.kind == "map"
        self.period = period
        self.n = model.n_states
        self.p_base = np.array(p_base, dtype=float)

    # -- evaluations at a full parameter vector p
    def _orbit(self, x: np.ndarray, p: np.ndarray) -> list[np.ndarray]:
        orbit = [x]
        for _ in range(self.period - 1):
            orbit.append(self.compiled.rhs(0.0, orbit[-1], p))
        return orbit

    def residual(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        if not self.is_map:
            return self.compiled.rhs(0.0, x, p)
        y = x
        for _ in range(self.period):
            y = self.compiled.rhs(0.0, y, p)
        return y - x

    def linear(
        self, x: np.ndarray, p: np.ndarray, free: Sequence[int]
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(M, G_p)``: the state Jacobian of ``f`` (or of ``f^k``) and ``dG/dp[free]``."""
        if not self.is_map:
            return self.compiled.jac(0.0, x, p), self.compiled.jac_p(0.0, x, p)[:, list(free)]
        monodromy = np.eye(self.n)
        sensitivity = np.zeros((self.n, len(free)))
        for point in self._orbit(x, p):
            jac = self.compiled.jac(0.0, point, p)
            sensitivity = jac @ sensitivity + self.compiled.jac_p(0.0, point, p)[:, list(free)]
            monodromy = jac @ monodromy
        return monodromy, sensitivity

    def state_matrix(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        """``dG/dx``: the Jacobian for an ODE, ``M - I`` for a map."""
        matrix = self.linear(x, p, ())[0]
        return matrix - np.eye(self.n) if self.is_map else matrix

    def eigen(self, matrix: np.ndarray) -> np.ndarray:
        """Eigenvalues (ODE) or multipliers (map) from the matrix returned by :meth:`linear`."""
        return np.linalg.eigvals(matrix)

    # -- derivatives of the state matrix by central differences of the analytic Jacobian
    def _step(self, x: np.ndarray, scale: float) -> float:
        return scale * max(1.0, float(np.max(np.abs(x))))

    def d_state(self, x: np.ndarray, p: np.ndarray, u: np.ndarray) -> np.ndarray:
        """``D(u) = d/de A(x + e u)``; ``D(u) v = B(u, v)``, the second derivative of ``G``."""
        h = self._step(x, 1e-5)
        return (self.state_matrix(x + h * u, p) - self.state_matrix(x - h * u, p)) / (2 * h)

    def d2_state(self, x: np.ndarray, p: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """``E(u, v) = d2/de dd A(x + e u + d v)``; ``E(u, v) w = C(u, v, w)``."""
        h = self._step(x, 1e-3)
        plus, minus = u + v, u - v
        return (
            self.state_matrix(x + h * plus, p)
            - self.state_matrix(x + h * minus, p)
            - self.state_matrix(x - h * minus, p)
            + self.state_matrix(x - h * plus, p)
        ) / (4 * h * h)

    def d_param(self, x: np.ndarray, p: np.ndarray, index: int) -> np.ndarray:
        """``d/dp_index A(x, p)``."""
        h = 1e-6 * max(1.0, abs(p[index]))
        up, down = p.copy(), p.copy()
        up[index] += h
        down[index] -= h
        return (self.state_matrix(x, up) - self.state_matrix(x, down)) / (2 * h)


# ====================================================================== curve tracer
@dataclass
class _Point:
    z: np.ndarray
    tangent: np.ndarray
    s: float
    tests: dict[str, float]
    extra: dict[str, Any]


class _Curve:
    """Pseudo-arclength continuation of a curve ``R(z) = 0``, ``R: R^{N+1} -> R^N``.

    Subclasses (equilibrium branches here, codimension-two curves in :mod:`.codim2`) provide
    ``residual``, ``jacobian`` (``N x (N+1)``), ``evaluate`` (test functions and extras at a
    point), ``limits`` (signed distances to the box; negative means outside) and
    ``classify`` (turn a located root into a special point or ``None``).
    """

    tests: tuple[str, ...] = ()
    #: Tests whose sign depends on the orientation of the tangent.
    oriented_tests: tuple[str, ...] = ()

    def residual(self, z: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def jacobian(self, z: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def evaluate(
        self, z: np.ndarray, tangent: np.ndarray
    ) -> tuple[dict[str, float], dict[str, Any]]:
        return {}, {}

    def limits(self, z: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- numerics
    def correct(self, z_pred: np.ndarray, tangent: np.ndarray) -> tuple[np.ndarray, bool, int]:
        z = z_pred.copy()
        bordered = np.empty((z.size, z.size))
        for iteration in range(1, _NEWTON_MAXITER + 1):
            with np.errstate(all="ignore"):
                residual = self.residual(z)
                if not np.all(np.isfinite(residual)):
                    return z, False, iteration
                bordered[:-1] = self.jacobian(z)
            bordered[-1] = tangent
            rhs = np.append(residual, tangent @ (z - z_pred))
            try:
                delta = np.linalg.solve(bordered, -rhs)
            except np.linalg.LinAlgError:
                return z, False, iteration
            z = z + delta
            if not np.all(np.isfinite(z)):
                return z, False, iteration
            size = 1.0 + float(np.max(np.abs(z)))
            if np.max(np.abs(delta)) < _NEWTON_TOL * size:
                with np.errstate(all="ignore"):
                    final = self.residual(z)
                if np.max(np.abs(final)) < 1e-8 * size:
                    return z, True, iteration
        return z, False, _NEWTON_MAXITER

    def tangent(self, z: np.ndarray, previous: np.ndarray) -> np.ndarray:
        bordered = np.vstack([self.jacobian(z), previous])
        rhs = np.zeros(z.size)
        rhs[-1] = 1.0
        try:
            direction = np.linalg.solve(bordered, rhs)
        except np.linalg.LinAlgError:
            direction = previous.copy()
        if not np.all(np.isfinite(direction)):
            direction = previous.copy()
        return direction / np.linalg.norm(direction)

    def initial_tangent(self, z: np.ndarray, sign_index: int, sign: float) -> np.ndarray:
        _, _, vt = np.linalg.svd(self.jacobian(z))
        direction = vt[-1]
        if direction[sign_index] * sign < 0:
            direction = -direction
        return direction

    def point(self, z: np.ndarray, tangent: np.ndarray, s: float) -> _Point:
        tests, extra = self.evaluate(z, tangent)
        return _Point(z, tangent, s, tests, extra)

    def _at_arc(self, start: _Point, s: float) -> _Point | None:
        if s == 0.0:
            return start
        z, ok, _ = self.correct(start.z + s * start.tangent, start.tangent)
        if not ok:
            return None
        return self.point(z, self.tangent(z, start.tangent), start.s + s)

    def _locate(
        self, start: _Point, ds: float, value: Callable[[_Point], float]
    ) -> tuple[_Point | None, bool]:
        """Root of ``value`` between ``start`` (arc 0) and arc ``ds``; ``(point, converged)``."""
        cache: dict[float, _Point | None] = {}

        def along(s: float) -> float:
            if s not in cache:
                cache[s] = self._at_arc(start, s)
            point = cache[s]
            return math.nan if point is None else value(point)

        try:
            s_root = scipy.optimize.brentq(
                along, 0.0, ds, xtol=1e-14 * max(1.0, abs(ds)), rtol=8.9e-16, maxiter=200
            )
        except (ValueError, RuntimeError):
            middle = self._at_arc(start, 0.5 * ds)
            return middle, False
        return cache.get(s_root) or self._at_arc(start, s_root), True

    def trace(
        self,
        z0: np.ndarray,
        tangent0: np.ndarray,
        step: float,
        min_step: float,
        max_step: float,
        max_points: int,
    ) -> tuple[list[_Point], list[tuple[str, _Point, bool]], str, bool]:
        """Follow the curve from ``z0`` along ``tangent0``.

        Returns the points, the located events ``(test name, point, converged)`` in arc order,
        a message and whether the trace ended normally (box edge or ``max_points``).
        """
        current = self.point(z0, tangent0, 0.0)
        points, events = [current], []
        ds = step
        while len(points) < max_points:
            z_new, ok, iterations = self.correct(current.z + ds * current.tangent, current.tangent)
            tangent_new = self.tangent(z_new, current.tangent) if ok else None
            if ok and tangent_new @ current.tangent < 0.97 and ds > min_step:
                ok = False  # turned too sharply: the step may have jumped to another branch
            if not ok:
                ds *= 0.5
                if ds < min_step:
                    return (
                        points,
                        events,
                        (
                            f"stopped at {self.describe(current.z)}: the Newton corrector did not "
                            "converge even with the minimum step"
                        ),
                        False,
                    )
                continue
            new = self.point(z_new, tangent_new, current.s + ds)
            edge = self.limits(new.z)
            if np.any(edge < 0):
                which = int(np.argmin(edge))
                at_edge, _ = self._locate(
                    current, ds, lambda pt, w=which: float(self.limits(pt.z)[w])
                )
                self._record_events(current, at_edge or new, ds, events)
                if at_edge is not None:
                    points.append(at_edge)
                return (
                    points,
                    events,
                    f"reached the edge of the box at {self.describe(points[-1].z)}",
                    True,
                )
            self._record_events(current, new, ds, events)
            points.append(new)
            current = new
            if iterations <= 3:
                ds = min(ds * 1.4, max_step)
            elif iterations >= 6:
                ds = max(ds * 0.6, min_step)
        return points, events, f"stopped after max_points={max_points} points", True

    def _record_events(self, before: _Point, after: _Point, ds: float, events: list) -> None:
        found = []
        for name in self.tests:
            a, b = before.tests.get(name, math.nan), after.tests.get(name, math.nan)
            if np.isfinite(a) and np.isfinite(b) and a * b < 0:
                point, converged = self._locate(
                    before, after.s - before.s, lambda pt, n=name: pt.tests[n]
                )
                if point is not None:
                    found.append((name, point, converged))
        found.sort(key=lambda item: item[1].s)
        events.extend(found)

    def describe(self, z: np.ndarray) -> str:  # pragma: no cover - overridden
        return "z = " + np.array2string(z, precision=4)


def _join(pieces: list, anchor: _Point | None, oriented: Sequence[str]) -> tuple[list, list]:
    """Join up to two traces that leave a common point in opposite directions.

    The first trace is reversed (its arclength, tangents and the tangent-dependent tests
    ``oriented`` change sign) so that the result runs along one orientation. ``anchor`` is
    the common point when the traces do not start on it (branch switching). The located
    special points are merged into the point list by arclength.
    """
    pieces = [(pts, evs) for pts, evs in pieces if pts]
    flipped: set[int] = set()

    def flip(point: _Point) -> None:
        if id(point) in flipped:
            return
        flipped.add(id(point))
        point.s = -point.s
        point.tangent = -point.tangent
        for name in oriented:
            if name in point.tests:
                point.tests[name] = -point.tests[name]

    def shift(point: _Point, amount: float) -> None:
        if id(point) not in shifted:
            shifted.add(id(point))
            point.s += amount

    shifted: set[int] = set()
    if anchor is not None:
        for pts, evs in pieces:
            gap = float(np.linalg.norm(pts[0].z - anchor.z))
            for point in pts + [pt for _, pt, _ in evs]:
                shift(point, gap)
    ordered: list[_Point] = []
    events: list = []
    if len(pieces) == 2:
        (first, first_events), (second, second_events) = pieces
        for point in first + [pt for _, pt, _ in first_events]:
            flip(point)
        middle = [anchor] if anchor is not None else []
        tail = second if anchor is not None else second[1:]
        ordered = list(reversed(first)) + middle + tail
        events = list(reversed(first_events)) + list(second_events)
    elif pieces:
        ordered = ([anchor] if anchor is not None else []) + list(pieces[0][0])
        events = list(pieces[0][1])
    if ordered:
        origin = min([p.s for p in ordered] + [pt.s for _, pt, _ in events])
        shifted = set()
        for point in ordered + [pt for _, pt, _ in events]:
            shift(point, -origin)
        known = {id(p) for p in ordered}
        extra = [pt for _, pt, _ in events if id(pt) not in known]
        ordered = sorted(ordered + extra, key=lambda p: p.s)
    events.sort(key=lambda item: item[1].s)
    return ordered, events
