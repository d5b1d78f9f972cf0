"""Shocks: 100,000 paths x 100 yearly steps (10 sub-steps each) of the 10-actor alliance model.

Ours: ``rd.simulate_sde``, every path of a chunk one batched system on the compiled right-hand
side (Euler-Maruyama, additive noise). Theirs: a loop over paths with sdeint's ``itoEuler``
(the per-path SDE library of the dev extra) on the same drift as a numpy function of one
state, the same 1,000 steps and noise. The loop is timed on ``LOOP_PATHS`` paths (half before
ours, half after, the faster half kept) and scaled linearly to 100,000 (each path is
independent, so its cost is linear in the paths); both sides run single-threaded in this one
run. ``ratio`` = loop time / our time.

Issue 21 names no target; the ratio is reported as measured.

Run: ``python benchmarks/run.py sde``
"""

from __future__ import annotations

import time

import numpy as np

import richardson as rd

PATHS = 100_000
YEARS = 100
SUBSTEPS = 10
LOOP_PATHS = 200
SIGMA = 0.05


def _model() -> rd.Model:
    actors = [f"n{i}" for i in range(10)]
    blocs = {"West": actors[:5], "East": actors[5:]}
    return rd.alliance_model(
        actors, blocs, reaction=0.05, fatigue=1.0, grievance=0.1, ally_coupling=-0.02
    )


def _loop(model: rd.Model, y0: np.ndarray, count: int, seed: int) -> tuple[float, np.ndarray]:
    """Seconds per path of a loop of ``sdeint.itoEuler`` over ``count`` paths, and their final
    states."""
    import sdeint

    bound = model.compile().bind(model.param_vector())
    diffusion = np.diag(np.full(model.n_states, SIGMA))
    grid = np.linspace(0.0, YEARS, YEARS * SUBSTEPS + 1)
    rng = np.random.default_rng(seed)

    def f(y, t):  # noqa: ANN001, ANN202
        return bound.rhs(t, y)

    def g(y, t):  # noqa: ANN001, ANN202
        return diffusion

    started = time.perf_counter()
    finals = [sdeint.itoEuler(f, g, y0, grid, generator=rng)[-1] for _ in range(count)]
    return (time.perf_counter() - started) / count, np.array(finals)


def bench_sde_alliance_100k_paths() -> dict:
    model = _model()
    y0 = np.full(model.n_states, 0.3)
    times = np.arange(YEARS + 1, dtype=float)
    dt = 1.0 / SUBSTEPS
    rd.simulate_sde(model, (0, 2), y0, noise=SIGMA, n_paths=64, seed=0, progress=False)  # compile
    # the shared machine's speed drifts within minutes: half of the loop runs before ours and
    # half after, and the faster half is kept (the ratio is then a lower bound)
    before, finals_before = _loop(model, y0, LOOP_PATHS // 2, 1)
    started = time.perf_counter()
    ours = rd.simulate_sde(
        model, (0, YEARS), y0, noise=SIGMA, n_paths=PATHS, seed=0, t_eval=times, dt=dt,
        progress=False,
    )  # fmt: skip
    ours_s = time.perf_counter() - started
    after, finals_after = _loop(model, y0, LOOP_PATHS // 2, 2)
    loop_s = min(before, after) * PATHS
    # the two agree in distribution: the mean of the final state of the loop's paths lies
    # within a few standard errors of ours
    ours_final = ours.final().to_numpy()
    theirs = np.concatenate([finals_before, finals_after])
    gap = np.abs(theirs.mean(axis=0) - ours_final.mean(axis=0))
    se = ours_final.std(axis=0) / np.sqrt(len(theirs))
    return {
        "name": "simulate_sde 10-actor alliance, 100000 paths x 100 years x 10 sub-steps",
        "ours_s": round(ours_s, 2),
        "loop_sdeint_s": round(loop_s, 1),
        "loop_before_after_ms_per_path": [round(1e3 * before, 2), round(1e3 * after, 2)],
        "loop_timed_paths": LOOP_PATHS,
        "loop_scaled_to": PATHS,
        "ours_paths_per_s": round(PATHS / ours_s),
        "final_mean_gap_in_se": round(float(np.max(gap / se)), 2),
        "ratio": round(loop_s / ours_s, 1),
    }
