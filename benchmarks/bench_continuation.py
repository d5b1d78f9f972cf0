"""Continuation speed: 500-point branches of a 2-D model and a 10-actor alliance model,
against pycont-lite (the reference tool, matrix-free, finite-difference Jacobians).

Each benchmark returns time per point for both tools, the fold located by each and its
error against the closed form or a brute-force scan. ``ratio`` = our time per point /
pycont-lite's (below 1 means faster); ``target`` is 1.
"""

from __future__ import annotations

import time

import numpy as np
import sympy as sp

import richardson as rd

try:
    from _timing import best_time
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import best_time

POINTS = 500


def _pycont(residual, u0, p0, ds, steps, direction="increase_p"):  # noqa: ANN001, ANN202
    import pycont

    started = time.perf_counter()
    result = pycont.arclengthContinuation(
        residual,
        np.asarray(u0, dtype=float),
        p0,
        1e-6,
        ds,
        ds,
        steps,
        solver_parameters={"tolerance": 1e-10, "initial_directions": direction},
        verbosity="off",
    )
    elapsed = time.perf_counter() - started
    count = sum(len(branch.p_path) for branch in result.branches)
    folds = [event.p for event in result.events if event.kind == "LP"]
    return elapsed / max(count, 1), folds


def _ours(model, param, start, bounds, ds, direction="forward"):  # noqa: ANN001, ANN202
    model.compile()  # code generation is not part of the continuation time

    def run() -> rd.Branch:
        return rd.continuation(
            model,
            param,
            start=start,
            bounds=bounds,
            step=ds,
            max_step=ds,
            min_step=ds * 1e-6,
            max_points=POINTS,
            direction=direction,
        )

    branch = run()  # warm-up: lazy imports (xarray back ends) are not continuation time
    return best_time(run, repeat=3, min_time=0.0) / len(branch), branch


def bench_branch_2d() -> dict:
    """x' = a + b x - x^3, y' = x - y with a = 0.5, continued in b from 3 down through the fold."""  # noqa: E501
    x, y, b = sp.symbols("x y b")
    a = 0.5
    model = rd.Model(["x", "y"], {"b": 3.0}, [a + b * x - x**3, x - y])
    exact = 3 * (a / 2) ** (2 / 3)
    # start on the lower sheet at b = 3 and move down through the fold at b = exact
    ours, branch = _ours(model, "b", [-1.6, -1.6], (-3.0, 1e3), 0.01, "backward")
    (fold,) = branch.of_kind("fold")

    def residual(u, p):  # noqa: ANN001, ANN202
        return np.array([a + p * u[0] - u[0] ** 3, u[0] - u[1]])

    u0 = branch.points["state"].values[0]
    theirs, their_folds = _pycont(residual, u0, 3.0, 0.01, POINTS, "decrease_p")
    their_error = min((abs(f - exact) / exact for f in their_folds), default=float("nan"))
    return {
        "name": "continuation 2-D branch, 500 points",
        "points": len(branch),
        "ours_ms_per_point": ours * 1e3,
        "pycont_lite_ms_per_point": theirs * 1e3,
        "fold_rel_error_ours": abs(fold.parameter - exact) / exact,
        "fold_rel_error_pycont_lite": their_error,
        "target": 1.0,
        "ratio": ours / theirs,
    }


def alliance_model(actors: int = 10) -> rd.Model:
    """Two blocs; each member reacts to the rival bloc's total and steps up its spending by s
    when that total passes theta (smooth mutual-defence trigger)."""
    states = [sp.Symbol(f"x{i}") for i in range(actors)]
    k, c, g, s, theta, w = sp.symbols("k c g s theta w")
    half = actors // 2
    rhs = []
    for i, state in enumerate(states):
        rivals = states[half:] if i < half else states[:half]
        threat = sum(rivals) / len(rivals)
        rhs.append(k * threat - c * state + g + s / (1 + sp.exp(-(threat - theta) / w)))
    return rd.Model(
        [str(v) for v in states],
        {"k": 0.4, "c": 1.0, "g": 0.2, "s": 2.0, "theta": 2.0, "w": 0.2},
        rhs,
        name=f"{actors}-actor alliance",
    )


def bench_branch_alliance10() -> dict:
    """The 10-actor alliance trigger model continued in the grievance g through its folds."""
    model = alliance_model(10)
    ours, branch = _ours(model, "g", [0.2] * 10, (-2.0, 50.0), 0.02)
    p = model.defaults
    # brute force: symmetric equilibria x = (k x + g + s sigma(x)) / c, so
    # g(x) = (c - k) x - s sigma(x); folds are its extrema
    xs = np.linspace(-5.0, 10.0, 1_500_001)
    gx = (p["c"] - p["k"]) * xs - p["s"] / (1 + np.exp(-(xs - p["theta"]) / p["w"]))
    slope = np.diff(gx)
    scanned = np.sort(gx[np.flatnonzero(np.sign(slope[1:]) != np.sign(slope[:-1])) + 1])
    folds = np.sort([f.parameter for f in branch.of_kind("fold")])
    compiled = model.compile()
    base = model.param_vector()

    def residual(u, g_value):  # noqa: ANN001, ANN202
        q = base.copy()
        q[model.param_index["g"]] = g_value
        return compiled.rhs(0.0, u, q)

    theirs, their_folds = _pycont(residual, branch.points["state"].values[0], p["g"], 0.02, POINTS)
    return {
        "name": "continuation 10-actor alliance branch, 500 points",
        "points": len(branch),
        "ours_ms_per_point": ours * 1e3,
        "pycont_lite_ms_per_point": theirs * 1e3,
        "folds_ours": folds.tolist(),
        "folds_scan": scanned.tolist(),
        "folds_pycont_lite": sorted(their_folds),
        "fold_rel_error_ours": float(np.max(np.abs(folds - scanned) / np.abs(scanned)))
        if folds.size == scanned.size
        else float("nan"),
        "target": 1.0,
        "ratio": ours / theirs,
    }
