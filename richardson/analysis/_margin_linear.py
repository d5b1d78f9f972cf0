"""Escalation margin of a linear ODE model (private helper of :mod:`.margin`).

Coordinates: the varied parameters change as ``p_i = p0_i + delta_i scale_i`` (``scale_i`` is
``|p0_i|``, or an absolute step for a parameter whose value is 0), and the box of changes of
size ``t`` is ``box(t) = {|delta_i| <= t, lower_i <= delta_i <= upper_i}`` (the bounds come
from the parameters' own bounds). ``alpha(delta)`` is the largest real part of the
eigenvalues of ``A(p(delta))``, the Jacobian of ``x' = A x + g``. From a stable start the
margin is the smallest ``t`` with ``max alpha >= 0`` over ``box(t)``; from a runaway start the
smallest ``t`` with ``min alpha <= 0``.

Every mode and every sub-system. After permuting the actors into the strongly connected
components of the pattern of ``A`` (who reacts to whom, for any change in the box), ``A`` is
block triangular and its spectrum the union of the diagonal blocks' spectra. From a stable
start the box maximum of ``alpha`` is the largest of the blocks' maxima, so the margin is the
smallest of the blocks' margins, each searched over the parameters that touch the block (a
Greece-Turkey pair inside an alliance crosses on its own, whatever the superpowers do).

Exact cases (per block; "exact" means: the smallest ``t`` to the root finder's tolerance):

- **Metzler and monotone**: the entries are affine in the changes, each parameter moves all
  the entries it touches the same way, and the block stays Metzler (off-diagonal entries
  ``>= 0``) over the box. The Perron root grows with every entry of a Metzler matrix, so
  the corner that moves every entry up (down, from runaway) is where ``alpha`` is largest
  (smallest) on every box: one ray, ``alpha`` monotone along it.
- **Two actors from a stable start**: entries affine and each parameter's change matrix of
  rank one. ``alpha >= 0`` iff ``trace >= 0`` or ``det <= 0``; the trace is affine and the
  determinant affine in each change, so both take their extremes at corners, and the
  ``2^k`` corners decide every box (``k <= MAX_CORNERS``).

Everything else is a **search** (mixed-sign couplings among three or more actors, leaving
runaway with mixed signs): rays to every corner (``k <= SEARCH_CORNERS``; otherwise the
corner each mode's gradient points to, raising that mode, and random corners), each
parameter alone in both directions and random directions, scanned on a grid of box sizes
and refined to a root; then a local refinement (SLSQP, :mod:`._margin_refine`: the smallest
``t`` with a point of ``box(t)`` strictly on the far side) from the best two rays (one with
many parameters; none when the best crossing is a corner that is already a local optimum),
whose answer is accepted only after a root along its own ray confirms it. When no ray
crosses, local ascent inside the largest box looks for the far side before the margin is
called infinite. A search returns a genuine boundary point, so the margin it reports is
never smaller than the true one; it can be larger when the search misses a direction (a
window of runaway narrower than a grid step, a local optimum elsewhere).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.optimize
import scipy.sparse
import scipy.sparse.csgraph

from ._margin_refine import far_side_points, highest_points

__all__ = ["BoxMargin", "abscissa", "box_margin"]

#: Most varied parameters of a two-actor block whose corners are all enumerated (exact case).
MAX_CORNERS = 12
#: Most varied parameters for which a search still takes every corner of the box.
SEARCH_CORNERS = 6
#: Box sizes scanned per ray in a search (one parameter alone: ``SCAN_ONE``).
SCAN = 32
SCAN_ONE = 400
#: Random corners and random directions added to a search.
RANDOM_CORNERS = 32
RANDOM_DIRECTIONS = 16
#: Starts of the local refinement of a search (the best rays).
REFINE_STARTS = 2
#: Most parameters for which the refinement uses the Routh-Hurwitz terms (finite
#: differences); beyond, from a stable start, the leading eigenvalue's exact gradient.
HURWITZ_PARAMETERS = 40

Jacobians = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class BoxMargin:
    """Outcome of :func:`box_margin`.

    Attributes
    ----------
    t : float
        The margin (largest scaled change), ``inf`` when no box within ``max_change``
        reaches the boundary.
    delta : numpy.ndarray
        Scaled changes ``(k,)`` at the boundary point (zeros when ``t`` is infinite).
    ray : numpy.ndarray
        Direction ``(k,)`` with ``max |ray| = 1`` whose first crossing is ``delta``.
    inside : bool
        Whether the start runs away (``alpha(0) >= 0``).
    exact : bool
        Whether the structure makes the answer exact (see the module docstring).
    states : tuple of int
        Indices of the states of the sub-system that reaches the boundary.
    blocks : tuple
        ``(states, how, exact, t)`` for every sub-system searched: its state indices, what
        was done in words, whether that is exact, and its own margin.
    """

    t: float
    delta: np.ndarray
    ray: np.ndarray
    inside: bool
    exact: bool
    states: tuple[int, ...]
    blocks: tuple[tuple[tuple[int, ...], str, bool, float], ...]


def abscissa(J: np.ndarray) -> np.ndarray:
    """Largest real part of the eigenvalues of a stack ``(n, n, m)``; NaN where not finite."""
    n, _, m = J.shape
    out = np.full(m, np.nan)
    finite = np.all(np.isfinite(J), axis=(0, 1))
    if not finite.any():
        return out
    J = J[:, :, finite]
    if n == 1:
        out[finite] = J[0, 0]
    elif n == 2:
        half_trace = 0.5 * (J[0, 0] + J[1, 1])
        disc = half_trace * half_trace - (J[0, 0] * J[1, 1] - J[0, 1] * J[1, 0])
        out[finite] = half_trace + np.sqrt(np.maximum(disc, 0.0))
    else:
        out[finite] = np.linalg.eigvals(np.moveaxis(J, -1, 0)).real.max(axis=-1)
    return out


def box_margin(
    jacobians: Jacobians,
    lower: np.ndarray,
    upper: np.ndarray,
    max_change: float,
    tol: float,
    seed: int = 0,
) -> BoxMargin:
    """Smallest box of scaled parameter changes that reaches the stability boundary.

    Parameters
    ----------
    jacobians : callable
        Scaled changes ``(k, m)`` -> Jacobians ``(n, n, m)`` (1/time unit).
    lower, upper : numpy.ndarray
        Bounds ``(k,)`` of the scaled changes (``lower <= 0 <= upper``; may be infinite).
    max_change : float
        Largest box size searched (scaled units: 2.0 = 200% of each scale).
    tol : float
        Absolute tolerance of the root finder on ``t``.
    seed : int
        Seed of the random directions of a search (the result is reproducible).

    Returns
    -------
    BoxMargin
    """
    k = len(lower)
    rng = np.random.default_rng(seed)
    A0 = jacobians(np.zeros((k, 1)))[:, :, 0]
    n = A0.shape[0]
    magnitude = max(float(np.max(np.abs(A0))), 1e-300)
    inside = bool(abscissa(A0[:, :, None])[0] > -1e-12 * max(magnitude, 1.0))
    B, touches, curved = _change_matrices(jacobians, A0, k, rng)
    sign = -1.0 if inside else 1.0
    if inside:
        blocks = [np.arange(n)]
    else:
        pattern = np.any(touches, axis=0) | (A0 != 0.0)
        count, labels = scipy.sparse.csgraph.connected_components(
            scipy.sparse.csr_matrix(pattern), directed=True, connection="strong"
        )
        blocks = [np.flatnonzero(labels == c) for c in range(count)]
    found = []
    for states in blocks:
        within = np.ix_(states, states)
        params = np.flatnonzero([touch[within].any() for touch in touches])
        if params.size:
            affine = not curved[within].any()
            found.append(
                _block_margin(
                    jacobians,
                    states,
                    params,
                    A0,
                    B,
                    affine,
                    lower,
                    upper,
                    max_change,
                    tol,
                    sign,
                    rng,
                )
            )
    if not found:
        return BoxMargin(np.inf, np.zeros(k), np.zeros(k), inside, True, (), ())
    best = min(found, key=lambda block: block.t)
    blocks_found = tuple(block.blocks[0] for block in found)
    return BoxMargin(
        best.t,
        best.delta,
        best.ray,
        inside,
        all(block.exact for block in found),
        best.states,
        blocks_found,
    )


def _change_matrices(
    jacobians: Jacobians, A0: np.ndarray, k: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How the Jacobian moves with the changes.

    Returns ``B`` (``(k, n, n)``, ``dA/d delta_i``: exact for entries affine in the changes,
    at the start for the others), ``touches`` (``(k, n, n)``: whether parameter ``i`` moves
    entry ``(r, c)`` anywhere in the probes) and ``curved`` (``(n, n)``: entries that are not
    affine in the changes, found from probes at +-0.5 along each axis and one random point).
    """
    h = 0.5
    probe = rng.uniform(-h, h, k)
    deltas = np.concatenate([h * np.eye(k), -h * np.eye(k), probe[:, None]], axis=1)
    with np.errstate(all="ignore"):
        J = jacobians(deltas)
    plus = np.moveaxis(J[:, :, :k], -1, 0)
    minus = np.moveaxis(J[:, :, k : 2 * k], -1, 0)
    finite = np.all(np.isfinite(J), axis=-1)
    B = np.nan_to_num((plus - minus) / (2 * h))
    size = max(float(np.max(np.abs(A0))), float(np.max(np.abs(B), initial=0.0)), 1e-300)
    with np.errstate(invalid="ignore"):
        moved = np.abs(plus - A0) + np.abs(minus - A0)
        touches = ~(moved <= 1e-14 * size)
        curvature = np.max(np.abs(plus + minus - 2 * A0), axis=0, initial=0.0)
        cross = np.abs(J[:, :, 2 * k] - A0 - np.tensordot(probe, B, axes=1))
        curved = ~finite | ~(curvature <= 1e-9 * size) | ~(cross <= 1e-9 * size)
    B[~touches] = 0.0
    if curved.any():
        eps = 1e-6
        with np.errstate(all="ignore"):
            local = jacobians(np.concatenate([eps * np.eye(k), -eps * np.eye(k)], axis=1))
        slope = np.moveaxis((local[:, :, :k] - local[:, :, k:]) / (2 * eps), -1, 0)
        B = np.where(curved, np.nan_to_num(slope), B)
    return B, touches, curved


def _ray_points(
    rays: np.ndarray, t: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """Points ``clip(t u)`` for every ray ``u`` (columns of ``rays``) and size ``t``."""
    points = rays[:, :, None] * t[None, None, :]
    return np.clip(points, lower[:, None, None], upper[:, None, None])


def _block_margin(
    jacobians: Jacobians,
    states: np.ndarray,
    params: np.ndarray,
    A0: np.ndarray,
    B: np.ndarray,
    affine: bool,
    lower: np.ndarray,
    upper: np.ndarray,
    max_change: float,
    tol: float,
    sign: float,
    rng: np.random.Generator,
) -> BoxMargin:
    """Margin of one diagonal block over the parameters ``params`` that touch it."""
    k_all, q = len(lower), len(params)
    lo, hi = lower[params], upper[params]
    Bb = B[params][:, states][:, :, states]
    A0b = A0[np.ix_(states, states)]

    def block_jac(deltas: np.ndarray) -> np.ndarray:  # deltas (q, m) -> (s, s, m)
        full = np.zeros((k_all, deltas.shape[1]))
        full[params] = deltas
        with np.errstate(all="ignore"):
            return jacobians(full)[np.ix_(states, states)]

    def h(deltas: np.ndarray) -> np.ndarray:  # sign * alpha of the block
        return sign * abscissa(block_jac(deltas))

    def finish(t: float, ray: np.ndarray, exact: bool, how: str) -> BoxMargin:
        delta, full_ray = np.zeros(k_all), np.zeros(k_all)
        full_ray[params] = ray
        if np.isfinite(t):
            delta[params] = np.clip(t * ray, lo, hi)
        states_found = tuple(states.tolist())
        return BoxMargin(
            t, delta, full_ray, sign < 0, exact, states_found, ((states_found, how, exact, t),)
        )

    monotone = affine and all(np.all(b >= 0) or np.all(b <= 0) for b in Bb)
    if monotone:
        corner = sign * np.array([1.0 if np.all(b >= 0) else -1.0 for b in Bb])
        t, _ = _first_crossing(h, corner[:, None], lo, hi, max_change, tol, 2)
        if _stays_metzler(A0b, Bb, lo, hi, min(t, max_change)):
            return finish(t, corner, True, "Metzler, one corner decides")
    two_actor = affine and len(states) == 2 and sign > 0 and q <= MAX_CORNERS
    if two_actor and all(abs(np.linalg.det(b)) <= 1e-12 * np.max(np.abs(b)) ** 2 for b in Bb):
        corners = np.array(list(itertools.product((-1.0, 1.0), repeat=q))).T
        t, order = _first_crossing(h, corners, lo, hi, max_change, tol, SCAN)
        return finish(t, corners[:, order[0]], True, f"two actors, the {2**q} corners decide")
    rays = _search_rays(A0b, Bb, q, sign, rng)
    best_t, order = _first_crossing(h, rays, lo, hi, max_change, tol, SCAN_ONE if q == 1 else SCAN)
    best_ray = rays[:, order[0]]
    if q == 1:
        return finish(best_t, best_ray, False, "scan of both directions")
    count = REFINE_STARTS if q <= SEARCH_CORNERS else 1
    if np.isfinite(best_t):
        starts = [np.clip(best_t * rays[:, i], lo, hi) for i in order[:count]]
        if _kkt_corner(h, starts[0], best_ray, best_t, lo, hi):
            starts = starts[1:]  # the best crossing is already a local optimum
    else:  # nothing on the rays: look for the far side inside the largest box
        ends = _ray_points(rays[:, order[:count]], np.array([max_change]), lo, hi)[:, :, 0]
        starts = highest_points(h, ends, lo, hi, max_change)
    for start in starts:
        reach = min(best_t, max_change)
        found = _refine(block_jac, h, sign, Bb if affine else None, start, lo, hi, tol, reach)
        if found is not None and found[0] < best_t * (1 - 1e-12):
            best_t, best_ray = found
    return finish(
        best_t, best_ray, False, f"search over {rays.shape[1]} directions and local refinement"
    )


def _kkt_corner(
    h: Callable[[np.ndarray], np.ndarray],
    point: np.ndarray,
    ray: np.ndarray,
    t: float,
    lo: np.ndarray,
    hi: np.ndarray,
) -> bool:
    """Whether a boundary point on a corner of ``box(t)`` is a local optimum (first order):
    every coordinate sits on a face of the box (or on a bound) and ``h`` grows outwards
    through each, so a smaller box near it stays on the near side."""
    q = len(point)
    on_face = (np.abs(point) >= t * (1 - 1e-9)) | (point <= lo) | (point >= hi)
    if not on_face.all():
        return False
    eps = 1e-7 * max(t, 1e-3)
    steps = eps * np.eye(q)
    values = h(np.concatenate([point[:, None] + steps, point[:, None] - steps], axis=1))
    slope = (values[:q] - values[q:]) / (2 * eps)
    if not np.all(np.isfinite(slope)):
        return False
    return bool(np.all(slope * np.sign(ray) >= -1e-9 * max(np.max(np.abs(slope)), 1e-300)))


def _stays_metzler(A0: np.ndarray, B: np.ndarray, lo: np.ndarray, hi: np.ndarray, t: float) -> bool:
    """Whether every off-diagonal entry of an affine block stays >= 0 over ``box(t)``."""
    low, high = np.maximum(-t, lo), np.minimum(t, hi)
    least = A0 + np.sum(np.minimum(B * low[:, None, None], B * high[:, None, None]), axis=0)
    off = ~np.eye(A0.shape[0], dtype=bool)
    return bool(np.all(least[off] >= 0.0))


def _search_rays(
    A0: np.ndarray, B: np.ndarray, q: int, sign: float, rng: np.random.Generator
) -> np.ndarray:
    """Directions ``(q, D)`` with ``max |u| = 1`` searched when no structure decides."""
    rays = [np.eye(q), -np.eye(q)]
    if q <= SEARCH_CORNERS:
        rays.append(np.array(list(itertools.product((-1.0, 1.0), repeat=q))).T)
    else:
        rays.append(_mode_corners(A0, B, sign))
        rays.append(rng.choice((-1.0, 1.0), size=(q, RANDOM_CORNERS)))
    free = rng.uniform(-1.0, 1.0, size=(q, RANDOM_DIRECTIONS))
    rays.append(free / np.max(np.abs(free), axis=0))
    return np.unique(np.concatenate(rays, axis=1), axis=1)


def _mode_corners(A0: np.ndarray, B: np.ndarray, sign: float) -> np.ndarray:
    """The corner each eigenvalue's gradient points to (raising it; lowering, from runaway),
    and, from runaway, the corner that lowers all unstable modes together."""
    values, right = np.linalg.eig(A0)
    try:
        left = np.linalg.inv(right)
    except np.linalg.LinAlgError:
        left = np.linalg.pinv(right)
    # d lambda_j / d delta_i = (V^-1 B_i V)_jj
    gradients = np.einsum("jr,irc,cj->ji", left, B, right).real  # (modes, q)
    size = np.max(np.abs(gradients), axis=1, keepdims=True)
    gradients = np.where(np.abs(gradients) > 1e-9 * size, gradients, 0.0)
    corners = [sign * np.sign(gradients)]
    unstable = values.real >= 0
    if sign < 0 and unstable.any():
        scaled = gradients[unstable] / np.maximum(size[unstable], 1e-300)
        corners.append(-np.sign(scaled.sum(axis=0))[None, :])
    corners = np.concatenate(corners, axis=0).T
    return corners[:, np.any(corners != 0.0, axis=0)]


def _first_crossing(
    h: Callable[[np.ndarray], np.ndarray],
    rays: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    max_change: float,
    tol: float,
    n_levels: int,
) -> tuple[float, np.ndarray]:
    """Smallest box size at which some ray reaches ``h = 0``, and the rays ranked.

    The rays are scanned on ``n_levels`` box sizes; between the last size where no ray had
    crossed and the first where one has, ``F(t) = max over rays of h(clip(t u))`` (over the
    rays that cross there) is continuous and changes sign, and its root is found by Brent's
    method. Returns ``(t, order)``: ``t`` is ``inf`` when no ray crosses by ``max_change``;
    ``order`` lists ray indices by ``h`` at ``t``, highest (the crossing ray) first.
    """
    q, count = rays.shape
    levels = np.linspace(0.0, max_change, n_levels + 1)[1:]
    values = h(_ray_points(rays, levels, lo, hi).reshape(q, -1)).reshape(count, -1)
    crossed = values >= 0.0
    if not crossed.any():
        return np.inf, np.argsort(-np.nan_to_num(values[:, -1], nan=-np.inf), kind="stable")
    level = int(np.argmax(crossed.any(axis=0)))
    subset = np.flatnonzero(crossed[:, level])
    left = levels[level - 1] if level > 0 else 0.0

    def highest(t: float) -> float:
        return float(np.nanmax(h(_ray_points(rays[:, subset], np.array([t]), lo, hi)[:, :, 0])))

    start = highest(left)
    if start >= 0.0 or not np.isfinite(start):
        t = left if start >= 0.0 else float(levels[level])
    else:
        t = scipy.optimize.brentq(
            highest, left, levels[level], xtol=tol, rtol=4 * np.finfo(float).eps
        )
    at = h(_ray_points(rays, np.array([t]), lo, hi)[:, :, 0])
    order = np.argsort(-np.nan_to_num(at, nan=-np.inf), kind="stable")
    # the crossing ray comes first even where rounding puts another one level with it
    first = subset[int(np.nanargmax(at[subset]))]
    order = np.concatenate([[first], order[order != first]])
    return float(t), order


def _refine(
    block_jac: Callable[[np.ndarray], np.ndarray],
    h: Callable[[np.ndarray], np.ndarray],
    sign: float,
    B: np.ndarray | None,
    start: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    tol: float,
    best: float,
) -> tuple[float, np.ndarray] | None:
    """A box smaller than ``best`` (at most the search range) reaching the boundary near
    ``start``, or None.

    The local optimiser (:func:`._margin_refine.far_side_points`) proposes points strictly
    on the far side; one counts only once the growth rate confirms it, and then the first
    root along the ray through it is returned as ``(t, ray)``.
    """
    found = None
    use_hurwitz = not (sign > 0 and B is not None and len(start) > HURWITZ_PARAMETERS)
    for point in far_side_points(block_jac, sign, None if use_hurwitz else B, start, lo, hi, best):
        size = float(np.max(np.abs(point)))
        if not (0 < size < best) or not h(point[:, None])[0] > 0:
            continue
        ray = point / size
        t, _ = _first_crossing(h, ray[:, None], lo, hi, size, tol, 48)
        if np.isfinite(t) and t < best:
            best, found = t, (t, ray)
    return found
