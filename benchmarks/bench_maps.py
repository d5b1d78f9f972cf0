"""Nonlinear stability maps: the batched sampled verdicts against ``classify`` point by point
(issue 23, target >= 10x).

Two maps of the issue: 40 x 40 points of Saperstein's arms-race map (``a, b`` from 0.1 to
0.5: disarmament and saturation, as in ``tests/analysis/test_regime_edges.py``) and 15 x 15
points of the 3-state mutual-defence trigger model (``models/mutual_defence_trigger.toml``,
Ally 1's commitment ``s`` against its threshold ``theta``: stable and bistable).

The new path (``rd.stability_map``, default ``batched=True``) is timed on the whole grid. The
old path (``batched=False``: ``classify`` at each point) is timed on a subset of the grid
(every few values of each axis) and compared per point, so that the benchmark stays short on
the shared machine; the verdicts of both paths on that subset are compared as well
(``same_verdicts``). Both paths share the faster Newton step of this change (Cramer's rule
instead of an SVD pseudo-inverse per 2 x 2 or 3 x 3 block), so ``ratio`` understates the gain
over the code before it; ``ratio_vs_pinv_newton`` times the per-point path once more with the
Newton step of before (``numpy.linalg.pinv`` of every block), the closer baseline.

Usage: ``python benchmarks/run.py maps``.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import numpy as np
import sympy as sp

import richardson as rd

TARGET = 10.0
MODELS = Path(__file__).resolve().parents[1] / "models"


def _saperstein() -> rd.Model:
    x, y, a, b = sp.symbols("x y a b")
    return rd.Model(
        ["x", "y"], {"a": 0.5, "b": 0.5}, [4 * a * y * (1 - y), 4 * b * x * (1 - x)], kind="map"
    )


@contextlib.contextmanager
def _pinv_newton():
    """The Newton step as computed before issue 23: the pseudo-inverse of every block."""
    from richardson.analysis import balances

    fast = balances._solve_stacked
    balances._solve_stacked = lambda J, f: np.einsum(  # J in the compiled layout (n, n, m)
        "mij,jm->im", np.linalg.pinv(np.moveaxis(J, -1, 0)), f
    )
    try:
        yield
    finally:
        balances._solve_stacked = fast


def _compare(name: str, model: rd.Model, grid: dict, every: int) -> dict:
    first = {key: values[:1] for key, values in grid.items()}
    rd.stability_map(model, first, progress=False)  # compile outside the timings
    started = time.perf_counter()
    new = rd.stability_map(model, grid, progress=False)
    new_s = time.perf_counter() - started
    subset = {key: values[::every] for key, values in grid.items()}
    started = time.perf_counter()
    old = rd.stability_map(model, subset, progress=False, batched=False)
    old_s = time.perf_counter() - started
    n_new, n_old = new.size, old.size
    started = time.perf_counter()
    with _pinv_newton():
        rd.stability_map(model, subset, progress=False, batched=False)
    pinv_s = time.perf_counter() - started
    batched_subset = rd.stability_map(model, subset, progress=False)
    same = bool(np.all(batched_subset.values == old.values))
    ratio = (old_s / n_old) / (new_s / n_new)
    return {
        "name": name,
        "points": n_new,
        "new_s": round(new_s, 3),
        "new_ms_per_point": round(1e3 * new_s / n_new, 3),
        "old_points_timed": n_old,
        "old_s": round(old_s, 3),
        "old_ms_per_point": round(1e3 * old_s / n_old, 3),
        "old_extrapolated_s": round(old_s / n_old * n_new, 1),
        "ratio": round(ratio, 2),
        "pinv_newton_ms_per_point": round(1e3 * pinv_s / n_old, 3),
        "ratio_vs_pinv_newton": round((pinv_s / n_old) / (new_s / n_new), 2),
        "target": TARGET,
        "same_verdicts": same,
        "regimes": sorted(set(new.values.ravel().tolist())),
        "method": new.attrs["method"],
    }


def bench_maps_saperstein() -> dict:
    values = np.linspace(0.1, 0.5, 40)
    return _compare("maps: Saperstein 40 x 40", _saperstein(), {"a": values, "b": values}, 5)


def bench_maps_trigger() -> dict:
    model = rd.load_model(MODELS / "mutual_defence_trigger.toml")
    grid = {"s_Ally_1": np.linspace(0.5, 3.0, 15), "theta_Ally_1": np.linspace(0.2, 1.0, 15)}
    return _compare("maps: 3-state trigger 15 x 15", model, grid, 3)
