"""Balances of a model: equilibria (exact for linear models, batched Newton from many starts
for nonlinear ones) and their eigenvalues.

References
----------
Richardson, L. F. (1960). *Arms and Insecurity*. Pittsburgh: Boxwood Press.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import scipy.spatial

from ..errors import ModelError, UnknownSymbolError, did_you_mean
from ..model.core import Model
from .results import (
    Equilibrium,
)

__all__ = ["equilibria"]

#: With more balances than this, saddles are searched between the stable ones only.
MAX_SEGMENT_ENDS = 8


# ---------------------------------------------------------------------- input checks
def _check_autonomous(model: Model, what: str) -> None:
    if not isinstance(model, Model):
        raise ModelError(f"{what} needs a richardson Model, not {type(model).__name__}")
    if not model.is_autonomous:
        raise ModelError(
            f"{what}: the model's right-hand side depends on time t, so it has no fixed "
            "equilibria; replace t by a constant (sympy .subs) to analyse a frozen moment"
        )


def _param_vector(model: Model, params: Mapping[str, float] | None) -> np.ndarray:
    if params is not None and not isinstance(params, Mapping):
        raise ModelError(f"params must be a mapping name -> value, not {type(params).__name__}")
    vector = model.param_vector(params)
    if not np.all(np.isfinite(vector)):
        raise ModelError("parameter values must be finite")
    return vector


def _region(model: Model, region: Any, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Box ``(lower, upper)`` per state where equilibria and initial states are sought."""
    n = model.n_states
    if region is None:
        scale = max([1.0, *np.abs(p).tolist(), *np.abs(list(model.initial.values())).tolist()])
        return np.zeros(n), np.full(n, 10.0 * scale)
    if isinstance(region, Mapping):
        lower, upper = np.zeros(n), np.full(n, np.nan)
        for state, bounds in region.items():
            if state not in model.states:
                raise UnknownSymbolError(
                    f"region names {state!r}, which is not a state"
                    f"{did_you_mean(state, model.states)}"
                )
            i = model.states.index(state)
            lower[i], upper[i] = (float(b) for b in bounds)
        if np.any(np.isnan(upper)):
            missing = [s for s, u in zip(model.states, upper, strict=True) if np.isnan(u)]
            raise ModelError(
                f"region gives no bounds for {missing}; give (lower, upper) for every state"
            )
    else:
        try:
            lo, hi = (float(b) for b in region)
        except (TypeError, ValueError) as err:
            raise ModelError(
                "region must be a pair (lower, upper) for all states or a mapping "
                "state -> (lower, upper), in spending units"
            ) from err
        lower, upper = np.full(n, lo), np.full(n, hi)
    if not (np.all(np.isfinite(lower)) and np.all(np.isfinite(upper)) and np.all(upper > lower)):
        raise ModelError(f"region bounds must be finite with upper > lower, got {lower}, {upper}")
    return lower, upper


# ---------------------------------------------------------------------- equilibria
def _kind(eigenvalues: np.ndarray, discrete: bool, scale: float) -> tuple[str, bool]:
    """Kind and stability of an equilibrium from its eigenvalues (or multipliers, for maps)."""
    tol = 1e-9 * max(1.0, scale)
    if discrete:
        growth = np.abs(eigenvalues) - 1.0
        # a focus turns: complex multipliers only (a negative real one flips, a node still)
        oscillating = np.any(np.abs(eigenvalues.imag) > tol)
    else:
        growth = eigenvalues.real
        oscillating = np.any(np.abs(eigenvalues.imag) > tol)
    if np.all(growth < -tol):
        return ("stable focus" if oscillating else "stable node"), True
    if np.any(growth > tol) and np.any(growth < -tol):
        return "saddle", False
    if np.all(growth > tol):
        return ("unstable focus" if oscillating else "unstable node"), False
    near = np.abs(growth) <= tol
    zero = np.abs(eigenvalues - 1.0) <= tol if discrete else np.abs(eigenvalues) <= tol
    if np.any(near) and not np.any(zero) and not np.any(growth > tol):
        return "centre", False
    return "degenerate", False


def _make_equilibrium(model: Model, state: np.ndarray, jacobian: np.ndarray) -> Equilibrium:
    eigenvalues, eigenvectors = np.linalg.eig(jacobian)
    order = np.lexsort((-eigenvalues.imag, -eigenvalues.real))
    eigenvalues, eigenvectors = eigenvalues[order], eigenvectors[:, order]
    if np.all(np.abs(eigenvalues.imag) == 0):
        eigenvalues, eigenvectors = eigenvalues.real, eigenvectors.real
    kind, stable = _kind(
        np.asarray(eigenvalues, dtype=complex),
        model.kind == "map",
        float(np.max(np.abs(jacobian))) if jacobian.size else 1.0,
    )
    return Equilibrium(
        state=np.asarray(state, dtype=float),
        eigenvalues=eigenvalues,
        eigenvectors=eigenvectors,
        kind=kind,
        stable=stable,
        states=model.states,
    )


def _linear_parts(compiled: Any, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``A`` and ``b`` of ``f(x) = A x + b`` (p may be ``(P,)`` or ``(P, m)``)."""
    n = compiled.n_states
    zero = np.zeros(n)
    return compiled.jac(0.0, zero, p), compiled.rhs(0.0, zero, p)


def equilibria(
    model: Model,
    params: Mapping[str, float] | None = None,
    region: Any = None,
    n_starts: int = 200,
    seed: int = 0,
    tol: float = 1e-10,
) -> list[Equilibrium]:
    """Find the balances of a model and linearise around each.

    Linear models (the Richardson family) are solved exactly: ``A x* = -b`` for an ODE
    ``dx/dt = A x + b``, ``(I - A) x* = b`` for a map. Nonlinear models are solved by damped
    Newton iterations from ``n_starts`` points spread over ``region`` (all at once, through
    the compiled Jacobian); roots closer than ``1e-6`` of the region size are merged, so each
    balance is reported once.

    Parameters
    ----------
    model : Model
        An autonomous model (``kind="ode"`` or ``"map"``).
    params : mapping, optional
        Parameter values (name -> value) overriding the model defaults; reaction and
        fatigue coefficients in 1/time unit, grievances in spending units per time unit.
    region : pair or mapping, optional
        Where to look, in spending units: ``(lower, upper)`` for every state, or
        ``{state: (lower, upper)}``. Default for nonlinear models: non-negative spending up
        to ten times the largest of 1, the parameter magnitudes and the initial values.
        Linear models report their unique balance wherever it is unless a region is given.
    n_starts : int
        Number of Newton starts (nonlinear models).
    seed : int
        Seed of the random starts (results are reproducible).
    tol : float
        Residual ``max|f(x*)|`` (maps: ``max|f(x*) - x*|``) below which a root is accepted,
        relative to the scale of the region.

    Returns
    -------
    list of Equilibrium
        Sorted by total spending. Empty when there is none (e.g. ``a b = k l`` with
        non-zero grievances: no balance at all).

    Raises
    ------
    ModelError
        If the model depends on time, a parameter name is unknown or the region is malformed.

    Examples
    --------
    >>> import richardson as rd
    >>> (eq,) = rd.equilibria(rd.richardson2(k=0.9, l=0.8, a=1.0, b=1.1, g=0.5, h=0.3))
    >>> eq.kind, [round(v, 4) for v in eq.state.tolist()]
    ('stable node', [2.1579, 1.8421])
    """
    _check_autonomous(model, "equilibria")
    p = _param_vector(model, params)
    compiled = model.compile()
    if compiled.is_linear:
        found = _linear_equilibria(model, compiled, p)
        if region is not None:
            lower, upper = _region(model, region, p)
            found = [e for e in found if np.all(e.state >= lower) and np.all(e.state <= upper)]
        return found
    lower, upper = _region(model, region, p)
    return _nonlinear_equilibria(model, compiled, p, lower, upper, int(n_starts), seed, tol)


def _linear_equilibria(model: Model, compiled: Any, p: np.ndarray) -> list[Equilibrium]:
    A, b = _linear_parts(compiled, p)
    n = model.n_states
    system = A - np.eye(n) if model.kind == "map" else A
    try:
        if np.linalg.cond(system) > 1e12:
            raise np.linalg.LinAlgError
        state = np.linalg.solve(system, -b)
    except np.linalg.LinAlgError:
        state, *_ = np.linalg.lstsq(system, -b, rcond=None)
        if np.max(np.abs(system @ state + b)) > 1e-9 * max(1.0, np.max(np.abs(b))):
            return []  # singular and inconsistent: no balance at all
    return [_make_equilibrium(model, state, A)]


def newton_starts(lower: np.ndarray, upper: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """Newton's starting points in the box ``[lower, upper]``, shape ``(n, k)``: the points
    ``unit`` of the unit cube (shape ``(n, m)``) scaled into it, the box's corners (up to six
    states) and its centre."""
    n = len(lower)
    corners = (
        np.array(
            np.meshgrid(*[[lo, hi] for lo, hi in zip(lower, upper, strict=True)], indexing="ij")
        ).reshape(n, -1)
        if n <= 6
        else np.empty((n, 0))
    )
    scaled = lower[:, None] + (upper - lower)[:, None] * unit
    return np.concatenate([scaled, corners, ((lower + upper) / 2)[:, None]], axis=1)


def _nonlinear_equilibria(model, compiled, p, lower, upper, n_starts, seed, tol):  # noqa: ANN001, ANN202
    n = model.n_states
    span = upper - lower
    scale = float(np.max(span))
    rng = np.random.default_rng(seed)
    starts = newton_starts(lower, upper, rng.random((n, max(n_starts, 1))))
    discrete = model.kind == "map"
    unique = _accepted_roots(compiled, p, starts, discrete, lower, upper, tol, scale, [])
    if len(unique) >= 2:
        # thresholds (saddles) lie between balances: start again along the connecting segments
        # (between the stable ones when there are many: a ridge of near-balances would
        # otherwise give thousands of segments)
        anchors = unique
        if len(unique) > MAX_SEGMENT_ENDS:
            anchors = [u for u in unique if _is_stable(compiled.jac(0.0, u, p), discrete)]
            anchors = anchors[:MAX_SEGMENT_ENDS]
        pairs = [(u, v) for i, u in enumerate(anchors) for v in anchors[i + 1 :]]
        fractions = np.linspace(0.1, 0.9, 9)
        if pairs:
            between = np.concatenate(
                [u[:, None] + (v - u)[:, None] * fractions for u, v in pairs], axis=1
            )
            unique = _accepted_roots(
                compiled, p, between, discrete, lower, upper, tol, scale, unique
            )
    unique.sort(key=lambda r: (float(np.sum(r)), tuple(r)))
    found = []
    for root in unique:
        jacobian = compiled.jac(0.0, root, p)
        found.append(_make_equilibrium(model, root, jacobian))
    return found


def _accepted_roots(compiled, p, starts, discrete, lower, upper, tol, scale, known):  # noqa: ANN001, ANN202
    """Newton from ``starts``; keep converged roots inside the region, each once."""
    roots = _newton(compiled, p, starts, discrete, step_limit=0.1 * scale)
    residual = _residual(compiled, p, roots, discrete)
    ok = np.all(np.isfinite(roots), axis=0) & (residual <= tol * max(1.0, scale))
    slack = 1e-9 * scale
    ok &= np.all(roots >= lower[:, None] - slack, axis=0) & np.all(
        roots <= upper[:, None] + slack, axis=0
    )
    return _merge_close(list(known), roots[:, ok].T, 1e-6 * max(1.0, scale))


def _merge_close(known: list[np.ndarray], candidates: np.ndarray, radius: float) -> list:
    """``known`` plus each candidate farther than ``radius`` (max norm) from all kept ones."""
    if not len(candidates):
        return known
    tree = scipy.spatial.cKDTree(candidates)
    taken = np.zeros(len(candidates), dtype=bool)
    if known:
        for hits in tree.query_ball_point(np.array(known), radius, p=np.inf):
            taken[hits] = True
    unique = list(known)
    for i, hits in enumerate(tree.query_ball_point(candidates, radius, p=np.inf)):
        if not taken[i]:
            unique.append(candidates[i])
            taken[hits] = True
    return unique


def _is_stable(jacobian: np.ndarray, discrete: bool) -> bool:
    eigenvalues = np.linalg.eigvals(jacobian)
    if discrete:
        return bool(np.all(np.abs(eigenvalues) < 1.0))
    return bool(np.all(eigenvalues.real < 0.0))


def _residual(compiled, p, y, discrete):  # noqa: ANN001, ANN202
    with np.errstate(all="ignore"):
        f = compiled.rhs(0.0, y, p)
        if discrete:
            f = f - y
        return np.max(np.abs(f), axis=0)


def _newton(compiled, p, y, discrete, step_limit, maxiter=60):  # noqa: ANN001, ANN202
    """Damped Newton on every column of ``y`` at once; non-converging columns become NaN.

    ``p`` is one parameter vector ``(P,)`` or one per column ``(P, m)``; ``step_limit`` one
    number or one per column (the largest step of each). A column stops once its step is
    below ``1e-13`` of its step limit (converged), or when it is NaN (its rate or Jacobian
    was not finite). Stopped columns are dropped from the arrays iterated once they are an
    eighth of them (until then their results are kept and their further steps ignored)."""
    n, m = y.shape
    y = y.copy()
    identity = np.eye(n)[:, :, None]
    limit = np.broadcast_to(np.asarray(step_limit, dtype=float), (m,)).copy()
    tolerance = 1e-13 * np.maximum(1.0, limit)
    per_column = p.ndim > 1
    index = np.nonzero(np.all(np.isfinite(y), axis=0))[0]  # the columns iterated
    x, q = y[:, index], (p[:, index] if per_column else p)
    limit, tolerance = limit[index], tolerance[index]
    live = np.ones(index.size, dtype=bool)  # iterated columns not stopped yet
    with np.errstate(all="ignore"):
        for _ in range(maxiter):
            if not live.any():
                break
            f = compiled.rhs(0.0, x, q)
            J = np.asarray(compiled.jac(0.0, x, q), dtype=float).reshape(n, n, -1)
            if discrete:
                f, J = f - x, J - identity
            bad = ~(np.all(np.isfinite(J), axis=(0, 1)) & np.all(np.isfinite(f), axis=0))
            if bad.any():
                J[:, :, bad] = identity
            step = -_solve_stacked(J, np.nan_to_num(f))
            size = np.max(np.abs(step), axis=0)
            step *= np.minimum(1.0, limit / np.maximum(size, 1e-300))
            x = x + step
            x[:, bad] = np.nan
            stopped = live & (bad | (size < tolerance) | ~np.all(np.isfinite(x), axis=0))
            if stopped.any():
                y[:, index[stopped]] = x[:, stopped]
                live &= ~stopped
                if 8 * np.count_nonzero(~live) >= live.size:
                    index, x, q = index[live], x[:, live], (q[:, live] if per_column else q)
                    limit, tolerance = limit[live], tolerance[live]
                    live = np.ones(index.size, dtype=bool)
    y[:, index[live]] = x[:, live]
    return y


def _solve_stacked(J: np.ndarray, f: np.ndarray) -> np.ndarray:
    """``pinv(J[:, :, k]) @ f[:, k]`` for every block of ``J`` ``(n, n, m)`` (the layout of the
    compiled Jacobian): a direct solve where the block is far from singular (``|det|`` above
    ``1e-10`` of Hadamard's bound, the product of its row norms), the pseudo-inverse
    (least-squares step) elsewhere. Two and three states use Cramer's rule on whole rows of
    entries (no per-block LAPACK call). Columns ``(n, m)``."""
    n = J.shape[0]
    bound = np.prod(np.sqrt(np.sum(J * J, axis=1)), axis=0)
    out = np.empty_like(f)
    if n == 2:
        (a, b), (c, d) = J
        det = a * d - b * c
        regular = np.abs(det) > 1e-10 * bound
        safe = np.where(regular, det, 1.0)
        out[0] = (d * f[0] - b * f[1]) / safe
        out[1] = (a * f[1] - c * f[0]) / safe
    elif n == 3:
        (a, b, c), (d, e, g), (h, i, k) = J
        # the cofactors, columns of the adjugate: rows 1 x 2, 2 x 0 and 0 x 1
        c12 = (e * k - g * i, g * h - d * k, d * i - e * h)
        c20 = (i * c - k * b, k * a - h * c, h * b - i * a)
        c01 = (b * g - c * e, c * d - a * g, a * e - b * d)
        det = a * c12[0] + b * c12[1] + c * c12[2]
        regular = np.abs(det) > 1e-10 * bound
        safe = np.where(regular, det, 1.0)
        for row in range(3):
            out[row] = (c12[row] * f[0] + c20[row] * f[1] + c01[row] * f[2]) / safe
    else:
        blocks = np.moveaxis(J, -1, 0)
        det = np.linalg.det(blocks)
        regular = np.abs(det) > 1e-10 * bound
        if np.any(regular):
            solved = np.linalg.solve(blocks[regular], f[:, regular].T[..., None])
            out[:, regular] = solved[..., 0].T
    if not np.all(regular):
        singular = ~regular
        pinv = np.linalg.pinv(np.moveaxis(J[:, :, singular], -1, 0))
        out[:, singular] = np.einsum("mij,jm->im", pinv, f[:, singular])
    return out
