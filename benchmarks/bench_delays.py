"""Delay models: ``rd.simulate`` (method of steps on scipy's dense output) against jitcdde.

The two-nation Richardson model with one reaction delay (``x' = -a x + k y(t - 1) + g``,
``y' = l x(t - 1) - b y + h``, constant history), t = 0..100, 201 output times, both at
``rtol = 1e-6, atol = 1e-8``. jitcdde (Ansmann 2018) generates C code and compiles it once
per model: its compile time is reported apart from the integration time, and the ratio is
given both ways (integration only, and compile plus one run: what a user pays for one new
model). The error of each is measured against our DOP853 run at ``rtol = 1e-12``.

Measured on the shared 2-core machine (``python benchmarks/run.py delays``): see
``docs/delays.md`` for the figures of the last run.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import sympy as sp

import richardson as rd

try:
    from _timing import best_time
except ImportError:  # run from the repository root
    from benchmarks._timing import best_time

PARAMS = {"k": 0.9, "l": 0.8, "a": 1.0, "b": 1.1, "g": 0.5, "h": 0.3, "tau": 1.0}
Y0 = [1.0, 2.0]
T_END = 100.0
RTOL, ATOL = 1e-6, 1e-8


def _model() -> rd.Model:
    x, y, k, l, a, b, g, h, tau = sp.symbols("x y k l a b g h tau")
    rhs = [-a * x + k * rd.delayed(y, tau) + g, l * rd.delayed(x, tau) - b * y + h]
    return rd.Model(["x", "y"], PARAMS, rhs, name="two-nation, reaction delay")


def _jitcdde_runner(times: np.ndarray):
    """(run, compile seconds) for jitcdde, or (None, error text) when it is unavailable."""
    try:
        from jitcdde import jitcdde, t, y
    except ImportError as err:
        return None, f"jitcdde not installed: {err}"
    p = PARAMS
    f = [
        -p["a"] * y(0) + p["k"] * y(1, t - p["tau"]) + p["g"],
        p["l"] * y(0, t - p["tau"]) - p["b"] * y(1) + p["h"],
    ]
    started = time.perf_counter()
    dde = jitcdde(f, verbose=False)
    dde.set_integration_parameters(rtol=RTOL, atol=ATOL)
    dde.compile_C(verbose=False)
    compile_s = time.perf_counter() - started

    def run() -> np.ndarray:
        dde.purge_past()
        dde.constant_past(Y0, time=0.0)
        dde.reset_integrator()
        dde.adjust_diff()
        out = [Y0]
        with warnings.catch_warnings():
            # jitcdde's steps are longer than the half-year sampling: it says it interpolates
            warnings.filterwarnings("ignore", "The target time is smaller", UserWarning)
            out += [dde.integrate(s) for s in times[1:]]
        return np.array(out)

    return run, compile_s


def bench_delays_vs_jitcdde() -> list[dict]:
    model = _model()
    times = np.linspace(0.0, T_END, 201)
    reference = rd.simulate(
        model, (0, T_END), y0=Y0, t_eval=times, method="DOP853", rtol=1e-12, atol=1e-14
    ).values
    results = []
    ours = {}
    for method in ("RK45", "DOP853", "LSODA", "RK23"):

        def run(method: str = method) -> np.ndarray:
            return rd.simulate(
                model, (0, T_END), y0=Y0, t_eval=times, method=method, rtol=RTOL, atol=ATOL
            ).values

        error = float(np.max(np.abs(run() - reference)))
        ours[method] = (best_time(run, repeat=3, min_time=0.3), error)
    jit, compile_or_error = _jitcdde_runner(times)
    if jit is None:
        for method, (seconds, error) in ours.items():
            results.append(
                {
                    "name": f"delays: rd.simulate {method}",
                    "ms": seconds * 1e3,
                    "max_error": error,
                    "jitcdde": compile_or_error,
                }
            )
        return results
    jit_error = float(np.max(np.abs(jit() - reference)))
    jit_s = best_time(jit, repeat=3, min_time=0.3)
    for method, (seconds, error) in ours.items():
        results.append(
            {
                "name": f"delays: rd.simulate {method} vs jitcdde (two-nation, reaction delay)",
                "ours_ms": round(seconds * 1e3, 3),
                "ours_max_error": error,
                "jitcdde_ms": round(jit_s * 1e3, 3),
                "jitcdde_max_error": jit_error,
                "jitcdde_compile_s": round(compile_or_error, 3),
                "ratio_integration": round(jit_s / seconds, 3),
                "ratio_with_compile": round((jit_s + compile_or_error) / seconds, 3),
            }
        )
    return results
