"""Sampled verdicts of many parameter sets at once (the nonlinear path of stability maps).

:func:`classify_many` gives, for every column of a parameter array, the regime
:func:`richardson.classify` gives for that parameter set, by the same steps with the Python
loop over the points taken out of the numerics:

1. the balances: one damped Newton iteration over the starts of every point (parameters per
   column), then the restarts between balances, again for all points at once;
2. the sampled starts of every point (:func:`._sampled.plan_runs`, the same starts as one
   ``classify`` call draws);
3. the runs: maps iterated as one array of all points' starts; ODEs integrated as one
   batched system (:class:`richardson.simulation._batch.Batch`) in which each point's
   members run on their own time scale (``ds = dt / T`` with ``T`` the point's horizon) and
   under their own ceiling, so that one solver serves points of different horizons;
4. the Lyapunov exponents of the maps whose orbits keep moving, all at once;
5. the verdict of each point from its runs (:func:`._sampled.judge`, the code ``classify``
   runs).

The verdicts can differ from the per-point ones only where a run sits on a boundary of the
tolerances (a run that has only just settled, a start on a basin boundary): the shared solver
takes one step for the whole batch, and scipy controls the root-mean-square error over all of
its runs, as :func:`richardson.simulate_ensemble` does over the runs of one point, so a single
run's local error is weighed among more runs than on its own. In every comparison made (the
tests, ``benchmarks/bench_maps.py`` and a 15 x 15 map of the trigger model against the code
before) the verdicts were equal at every point.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import SimulationError
from ..model.core import Model
from ..simulation._batch import ENSEMBLE_MAX_STEPS, Batch
from ._sampled import _TAIL, Plan, iterate_columns, judge, plan_runs
from .balances import (
    MAX_SEGMENT_ENDS,
    _is_stable,
    _make_equilibrium,
    _merge_close,
    _newton,
    _region,
    _residual,
    newton_starts,
)
from .regimes import _sampling_box
from .results import Regime

__all__ = ["classify_many"]

#: Solver tolerances of the sampled runs (as in :func:`._sampled._simulate`).
_RTOL, _ATOL = 1e-7, 1e-9
#: The cost model of :func:`_bands`: a solver step costs about as much as the arithmetic of
#: this many members (0.2 ms of Python and numpy calls against 0.3 us per member, measured on
#: the 2-core machine), and a run takes about this many steps besides those its stiffness
#: forces (RK45 keeps ``h * |eigenvalue| < 3.3``; the transient needs about 100 at rtol 1e-7).
_STEP_OVERHEAD_MEMBERS = 700
_TRANSIENT_STEPS = 100


def classify_many(
    model: Model,
    compiled: Any,
    P: np.ndarray,
    region: Any = None,
    n_samples: int = 48,
    horizon: float | None = None,
    seed: int = 0,
    explain: bool = False,
) -> list[Regime | Exception]:
    """The sampled regime of every column of ``P`` ``(n_params, N)`` (see
    :func:`richardson.classify`); a point whose verdict failed gets its exception."""
    N = P.shape[1]
    boxes = [_region(model, region, P[:, j]) for j in range(N)]
    found = _equilibria_many(model, compiled, P, boxes, 200, seed, 1e-10)
    if region is None:
        boxes = [_sampling_box(model, found[j], boxes[j][0], boxes[j][1], None) for j in range(N)]

    plans = [plan_runs(model, found[j], *boxes[j], int(n_samples), horizon, seed) for j in range(N)]
    out: list[Any] = [None] * N
    for j, plan in enumerate(plans):
        if plan.floor is not None and np.any(plan.starts < plan.floor):
            # what simulate_ensemble says of such a start (a seed just below a balance at 0)
            out[j] = SimulationError(
                f"an initial state lies below floor={plan.floor}; raise y0 or lower the floor."
            )
    running = [j for j in range(N) if out[j] is None]
    runs = dict(
        zip(
            running,
            _runs_many(model, compiled, P[:, running], [plans[j] for j in running]),
            strict=True,
        )
    )
    chaos: dict[int, np.ndarray] = {}
    for j in running:
        try:
            verdict = judge(
                model, compiled, P[:, j], found[j], *boxes[j], plans[j], runs[j],
                lyapunov=np.inf, explain=explain,
            )  # fmt: skip
        except Exception as err:  # noqa: BLE001 -- a failed point is recorded, the map goes on
            out[j] = err
            continue
        if isinstance(verdict, Regime):
            out[j] = verdict
        else:
            chaos[j] = verdict
    if chaos:
        from ..bifurcation.maps import exponents_of_columns

        points = list(chaos)
        starts = np.array([chaos[j] for j in points]).T
        exponents = exponents_of_columns(compiled, P[:, points], starts, 200, 4000)[:, 0]
        for j, value in zip(points, exponents.tolist(), strict=True):
            value = value if np.isfinite(value) else -np.inf
            try:
                out[j] = judge(
                    model, compiled, P[:, j], found[j], *boxes[j], plans[j], runs[j],
                    lyapunov=value, explain=explain,
                )  # fmt: skip
            except Exception as err:  # noqa: BLE001 -- as above
                out[j] = err
    return out


# ---------------------------------------------------------------------- balances
def _equilibria_many(model, compiled, P, boxes, n_starts, seed, tol):  # noqa: ANN001, ANN202
    """:func:`._balances._nonlinear_equilibria` for every column of ``P`` at once."""
    n, N = model.n_states, P.shape[1]
    discrete = model.kind == "map"
    unit = np.random.default_rng(seed).random((n, max(n_starts, 1)))
    columns, owners, limits = [], [], []
    scales = []
    for j, (lower, upper) in enumerate(boxes):
        scale = float(np.max(upper - lower))
        starts = newton_starts(lower, upper, unit)
        columns.append(starts)
        owners.append(np.full(starts.shape[1], j))
        limits.append(np.full(starts.shape[1], 0.1 * scale))
        scales.append(scale)
    unique = _accepted_many(
        compiled, P, columns, owners, limits, discrete, boxes, tol, scales, [[] for _ in range(N)]
    )
    columns, owners, limits = [], [], []
    fractions = np.linspace(0.1, 0.9, 9)
    for j in range(N):
        if len(unique[j]) < 2:
            continue
        anchors = unique[j]
        if len(anchors) > MAX_SEGMENT_ENDS:
            anchors = [u for u in anchors if _is_stable(compiled.jac(0.0, u, P[:, j]), discrete)]
            anchors = anchors[:MAX_SEGMENT_ENDS]
        pairs = [(u, v) for i, u in enumerate(anchors) for v in anchors[i + 1 :]]
        if pairs:
            between = np.concatenate(
                [u[:, None] + (v - u)[:, None] * fractions for u, v in pairs], axis=1
            )
            columns.append(between)
            owners.append(np.full(between.shape[1], j))
            limits.append(np.full(between.shape[1], 0.1 * scales[j]))
    if columns:
        unique = _accepted_many(
            compiled, P, columns, owners, limits, discrete, boxes, tol, scales, unique
        )
    found = []
    for j in range(N):
        roots = sorted(unique[j], key=lambda r: (float(np.sum(r)), tuple(r)))
        found.append(
            [_make_equilibrium(model, root, compiled.jac(0.0, root, P[:, j])) for root in roots]
        )
    return found


def _accepted_many(compiled, P, columns, owners, limits, discrete, boxes, tol, scales, known):  # noqa: ANN001, ANN202
    """Newton from all points' starts at once; each point keeps its converged roots inside
    its region, each once (:func:`._balances._accepted_roots` per point)."""
    starts = np.concatenate(columns, axis=1)
    owner = np.concatenate(owners)
    p = P[:, owner]
    roots = _newton(compiled, p, starts, discrete, step_limit=np.concatenate(limits))
    residual = _residual(compiled, p, roots, discrete)
    finite = np.all(np.isfinite(roots), axis=0)
    out = [list(k) for k in known]
    cuts = np.concatenate([[0], np.cumsum([len(o) for o in owners])]).tolist()
    for block, a, b in zip(owners, cuts[:-1], cuts[1:], strict=True):
        j = int(block[0])
        lower, upper = boxes[j]
        scale = scales[j]
        mine = roots[:, a:b]
        slack = 1e-9 * scale
        ok = finite[a:b] & (residual[a:b] <= tol * max(1.0, scale))
        ok &= np.all(mine >= lower[:, None] - slack, axis=0) & np.all(
            mine <= upper[:, None] + slack, axis=0
        )
        out[j] = _merge_close(out[j], _first_copies(mine[:, ok].T, scale), 1e-6 * max(1.0, scale))
    return out


def _first_copies(candidates: np.ndarray, scale: float) -> np.ndarray:
    """The candidates (rows) with repeats left out, in their order: Newton sends most starts
    to the same few roots, equal to within ``1e-12`` of the region, and a repeat of a row is
    merged away exactly where that row is, so :func:`_merge_close` keeps the same roots."""
    if len(candidates) < 2:
        return candidates
    keys = np.round(candidates / (1e-12 * max(1.0, scale)))
    _, first = np.unique(keys, axis=0, return_index=True)
    return candidates[np.sort(first)]


# ---------------------------------------------------------------------- runs
def _runs_many(model: Model, compiled: Any, P: np.ndarray, plans: list[Plan]) -> list[tuple]:
    """The runs of every point's plan, in the form :func:`._sampled._simulate` returns."""
    N = len(plans)
    out: list[Any] = [None] * N
    if model.kind == "map":
        groups: dict[Any, list[int]] = {}
        for j, plan in enumerate(plans):
            groups.setdefault(int(plan.horizon), []).append(j)
        for steps, points in groups.items():
            starts, p, ceiling, cuts = _stack(P, plans, points)
            times, states, escaped, collapsed = iterate_columns(compiled, p, starts, steps, ceiling)
            for j, a, b in zip(points, cuts[:-1], cuts[1:], strict=True):
                none = np.zeros(b - a, dtype=bool)
                out[j] = (times, states[a:b], escaped[a:b], collapsed[a:b], none)
        return out
    kinds: dict[tuple, list[int]] = {}
    for j in range(N):  # one solver kind and floor per solver
        kinds.setdefault((plans[j].stiff, plans[j].floor), []).append(j)
    groups = {  # an implicit solver's steps do not follow the stiffness: one band
        (key, i): band
        for key, points in kinds.items()
        for i, band in enumerate([points] if key[0] else _bands(plans, points))
    }
    # the verdict reads the last quarter of each run only: output there, on the grid of
    # simulate's 801 times (which of them count as the last quarter is decided on that grid)
    grids = {j: np.linspace(0.0, plans[j].horizon, 801) for j in range(N)}
    cuts_of = {j: int(np.argmax(g >= (1.0 - _TAIL) * g[-1])) for j, g in grids.items()}
    for ((stiff, floor), _), points in groups.items():
        starts, p, ceiling, cuts = _stack(P, plans, points)
        sizes = np.diff(cuts)
        horizons = np.repeat([plans[j].horizon for j in points], sizes)
        first = min(cuts_of[j] for j in points)
        spending, escaped, fate = _integrate_scaled(
            compiled, p, starts, horizons, ceiling, floor, "BDF" if stiff else "RK45",
            len(points), first,
        )  # fmt: skip
        for j, a, b in zip(points, cuts[:-1], cuts[1:], strict=True):
            runs, lost = spending[a:b, cuts_of[j] - first :], (fate[a:b] < 0) & ~escaped[a:b]
            if floor is not None:  # as simulate_ensemble projects an ensemble onto its floor
                runs = (
                    np.fmax(runs, floor)
                    if not np.any(fate[a:b] < 0)
                    else np.where(np.isnan(runs), np.nan, np.maximum(runs, floor))
                )
            runs = np.where(lost[:, None, None], np.nan, runs)
            times = grids[j][cuts_of[j] :]
            out[j] = (times, runs, escaped[a:b], np.zeros(b - a, dtype=bool), lost)
    return out


def _bands(plans: list[Plan], points: list[int]) -> list[list[int]]:
    """``points`` cut into the bands of least estimated cost that one solver each integrates.

    In ``s = t / T`` a run's steps grow with its stiffness (``|eigenvalue| * T``) and one
    solver steps as its stiffest member needs: a band costs about ``(transient + stiffness
    / 3.3) * (overhead + members)`` (the constants above). The points sorted by stiffness
    are cut where that sum is least (dynamic programming over the cut points): a big band
    keeps its stiffnesses close, a few points of long horizon join one solver rather than
    each paying the overhead of their own."""
    order = sorted(points, key=lambda j: plans[j].stiffness)
    steps = _TRANSIENT_STEPS + np.array([plans[j].stiffness for j in order]) / 3.3
    members = np.concatenate([[0], np.cumsum([plans[j].starts.shape[1] for j in order])])
    best, cut = np.zeros(len(order) + 1), np.zeros(len(order) + 1, dtype=int)
    for end in range(1, len(order) + 1):  # the last band is order[begin:end]
        cost = best[:end] + steps[end - 1] * (_STEP_OVERHEAD_MEMBERS + members[end] - members[:end])
        cut[end] = int(np.argmin(cost))
        best[end] = cost[cut[end]]
    bands, end = [], len(order)
    while end > 0:
        bands.append(order[cut[end] : end])
        end = cut[end]
    return bands[::-1]


def _stack(P: np.ndarray, plans: list[Plan], points: list[int]) -> tuple:
    """All starts of ``points`` side by side, their parameters and ceilings per column, and
    where each point's columns begin (``cuts``)."""
    sizes = [plans[j].starts.shape[1] for j in points]
    cuts = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
    starts = np.concatenate([plans[j].starts for j in points], axis=1)
    p = np.repeat(P[:, points], sizes, axis=1)
    ceiling = np.repeat([plans[j].ceiling for j in points], sizes)
    return starts, p, ceiling, cuts


def _integrate_scaled(compiled, p, starts, horizons, ceiling, floor, method, n_points, first):  # noqa: ANN001, ANN202
    """Every column from 0 to its own horizon: ``dy/ds = T f(y)`` for ``s`` in [0, 1], output
    at ``linspace(0, 1, 801)[first:]``. Returns spending ``(m, 801 - first, n)``, runaway
    flags and each member's fate."""
    scale = horizons[None, :]
    field = compiled.bind(p).rhs  # the parameters' own parts evaluated once

    def rhs(t: float, y: np.ndarray, params: np.ndarray) -> np.ndarray:
        rate = field(t, y)
        rate *= scale
        return rate

    def jac(t: float, y: np.ndarray, params: np.ndarray) -> np.ndarray:
        return scale[None] * np.asarray(compiled.jac(t, y, params), dtype=float)

    times = np.linspace(0.0, 1.0, 801)[first:]
    batch = Batch(
        rhs, jac, times, starts, ceiling, floor, method, _RTOL, _ATOL,
        ENSEMBLE_MAX_STEPS * n_points, 0.0,
    )  # fmt: skip
    batch.segment(0.0, 1.0, True, lambda t: p)
    spending = np.transpose(batch.out, (2, 0, 1))
    return spending, np.isfinite(batch.runaway_time), batch.fate
