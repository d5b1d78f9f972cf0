"""Build and compile time of ``rd.alliance_model`` at N = 200 actors (two blocs of 100).

Target (issue 4): an N = 200 alliance model builds and compiles in a few seconds; we take
5 s for build + compile. Linear terms are monomials that the structured code generator
lays out in matrix/sparse form, so cost grows with the number of monomials: reaction (N^2/2),
ally coupling (N^2/2), distrust doubles the threat terms, abandonment doubles them again.
The nonlinear terms (trigger, chain-ganging, entrapment, ceiling, submissiveness) are measured
at N = 20: the trigger's tanh is scalar code, the ceiling's smooth max(0, 1 - x/M) a gate row.

Run: ``python benchmarks/run.py alliance``
"""

from __future__ import annotations

import time

import numpy as np

import richardson as rd
from richardson.codegen import compiled as compiled_module

TARGET_S = 5.0


def _measure(n: int, label: str, **terms) -> dict:
    actors = [f"n{i}" for i in range(n)]
    blocs = {"West": actors[: n // 2], "East": actors[n // 2 :]}
    started = time.perf_counter()
    model = rd.alliance_model(actors, blocs, reaction=0.01, fatigue=1.0, grievance=0.1, **terms)
    built = time.perf_counter()
    compiled_module._cache.clear()  # measure generation, not the cache
    compiled = model.compile()
    done = time.perf_counter()
    y, p = np.ones(n), model.param_vector()
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 0.2:
        compiled.rhs(0.0, y, p)
        calls += 1
    rhs_us = 1e6 * (time.perf_counter() - t0) / calls
    total = done - started
    return {
        "name": f"alliance_model N={n} {label}",
        "n_params": len(model.params),
        "build_s": round(built - started, 3),
        "compile_s": round(done - built, 3),
        "rhs_us": round(rhs_us, 1),
        "strategy": compiled.strategy,
        "target": f"build + compile <= {TARGET_S} s",
        "ratio": round(total / TARGET_S, 3),
    }


def bench_alliance_core_n200() -> dict:
    """Reaction, fatigue, grievance."""
    return _measure(200, "reaction+fatigue+grievance")


def bench_alliance_linear_n200() -> dict:
    """Plus burden sharing, distrust and numeric power asymmetry."""
    return _measure(
        200,
        "+ally_coupling+distrust+asymmetry",
        ally_coupling=-0.005,
        distrust=0.2,
        capacity=np.linspace(1.0, 2.0, 200),
        asymmetry=0.5,
    )


def bench_alliance_all_linear_n200() -> dict:
    """Every linear term, including fear of abandonment."""
    return _measure(
        200,
        "+abandonment (all linear terms)",
        ally_coupling=-0.005,
        distrust=0.2,
        capacity=np.linspace(1.0, 2.0, 200),
        asymmetry=0.5,
        abandonment=0.3,
        commitment=0.8,
    )


def bench_alliance_nonlinear_n20() -> dict:
    """The nonlinear terms (scalar code) at N = 20."""
    return _measure(
        20,
        "trigger+chain-ganging+entrapment+ceiling+submissiveness",
        ally_coupling=-0.005,
        distrust=0.2,
        defence_commitment=0.5,
        chain_ganging=0.1,
        entrapment=0.2,
        ceiling=100.0,
        submissiveness=0.001,
    )


def bench_richardson_n_n200_baseline() -> dict:
    """Baseline measured in the same run: ``rd.richardson_n`` with a dense 200 x 200 K."""
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    model = rd.richardson_n(rng.uniform(0, 0.01, (200, 200)), np.ones(200), np.ones(200))
    built = time.perf_counter()
    compiled_module._cache.clear()
    model.compile()
    done = time.perf_counter()
    return {
        "name": "richardson_n N=200 (baseline, dense K)",
        "n_params": len(model.params),
        "build_s": round(built - started, 3),
        "compile_s": round(done - built, 3),
        "target": f"build + compile <= {TARGET_S} s",
        "ratio": round((done - started) / TARGET_S, 3),
    }
