"""Core engine benchmarks (issue: core engine), each measured side by side in one run.

(a) compiled right-hand side vs hand-written numpy, N = 2, 50, 200 (target <= 1.2)
(b) rd.simulate of the classic model over t = 0..100 vs PySD, equal or better accuracy
    against the closed form (target >= 20x, goal 50x)
(c) ensemble of 10,000 parameter sets vs a Python loop of single simulations (target >= 300x)
(d) compile time, Jacobians included, of a 200-actor model (target <= 5 s)
"""

from __future__ import annotations

import shutil
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.linalg
from _timing import best_time

import richardson as rd
from richardson.codegen import compiled as compiled_module

HERE = Path(__file__).resolve().parent


def bench_rhs_vs_hand_numpy():
    results = []
    rng = np.random.default_rng(0)
    for n in (2, 50, 200):
        K, a, g = rng.uniform(0, 1 / n, (n, n)), rng.uniform(1, 2, n), rng.uniform(0, 1, n)
        model = rd.richardson_n(K, a, g)
        compiled = model.compile()
        p = model.param_vector()
        y = rng.uniform(0, 1, n)

        def hand(t, x, K=K, a=a, g=g):
            return K @ x - a * x + g

        bound = compiled.bind(p).rhs
        np.testing.assert_allclose(bound(0.0, y), hand(0.0, y), rtol=1e-12)
        t_hand = best_time(lambda y=y: hand(0.0, y))
        t_bound = best_time(lambda y=y, bound=bound: bound(0.0, y))
        t_unbound = best_time(lambda y=y, p=p, compiled=compiled: compiled.rhs(0.0, y, p))
        results.append(
            {
                "name": f"rhs_vs_hand_numpy_N{n}",
                "hand_us": round(t_hand * 1e6, 3),
                "compiled_bound_us": round(t_bound * 1e6, 3),
                "compiled_unbound_us": round(t_unbound * 1e6, 3),
                "ratio": round(t_bound / t_hand, 3),
                "ratio_unbound": round(t_unbound / t_hand, 3),
                "target": "ratio <= 1.2 (bound f(t, y), what the simulator integrates)",
            }
        )
    return results


def _closed_form(times):
    A = np.array([[-1.0, 0.9], [0.8, -1.1]])
    b = np.array([0.5, 0.3])
    augmented = np.zeros((3, 3))
    augmented[:2, :2], augmented[:2, 2] = A, b
    return np.array([(scipy.linalg.expm(augmented * t) @ [1.0, 2.0, 1.0])[:2] for t in times])


def bench_simulate_vs_pysd():
    import pysd

    times = np.arange(0, 101.0)
    exact = _closed_form(times)
    model = rd.richardson2(k=0.9, l=0.8, a=1.0, b=1.1, g=0.5, h=0.3)
    scratch = Path(tempfile.mkdtemp())  # PySD writes its translation next to the .mdl
    shutil.copy(HERE / "richardson2.mdl", scratch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vensim = pysd.read_vensim(str(scratch / "richardson2.mdl"))

        def run_pysd():
            return vensim.run(time_step=1 / 16, saveper=1, return_columns=["x", "y"])

        pysd_values = run_pysd()[["x", "y"]].to_numpy()
        t_pysd = best_time(run_pysd, repeat=3, min_time=0.3)
    pysd_error = float(np.max(np.abs(pysd_values - exact) / np.abs(exact)))
    out = {
        "name": "simulate_vs_pysd",
        "pysd_ms": round(t_pysd * 1e3, 3),
        "pysd_max_rel_error": pysd_error,
        "target": ">= 20x (goal 50x) at equal or better accuracy",
    }
    for method, rtol in (("LSODA", 1e-6), ("exact", None)):
        kwargs = {"rtol": rtol, "atol": rtol * 1e-3} if rtol else {}

        def run_ours(method=method, kwargs=kwargs):
            return rd.simulate(model, (0, 100), [1.0, 2.0], t_eval=times, method=method, **kwargs)

        ours_error = float(np.max(np.abs(run_ours().values - exact) / np.abs(exact)))
        assert ours_error <= pysd_error, (method, ours_error, pysd_error)
        t_ours = best_time(run_ours, repeat=5, min_time=0.3)
        out[f"ours_{method}_ms"] = round(t_ours * 1e3, 3)
        out[f"ours_{method}_max_rel_error"] = ours_error
        out[f"ratio_{method}"] = round(t_pysd / t_ours, 1)
    out["ratio"] = max(out["ratio_LSODA"], out["ratio_exact"])
    return out


def bench_ensemble_vs_loop():
    rng = np.random.default_rng(1)
    m = 10_000
    model = rd.richardson2()
    sets = {"k": rng.uniform(0.2, 0.9, m), "l": rng.uniform(0.2, 0.9, m), "g": rng.uniform(0, 1, m)}
    times = np.linspace(0, 50, 101)
    kwargs = {"rtol": 1e-6, "atol": 1e-9, "t_eval": times}
    rd.simulate_ensemble(
        model, {"k": sets["k"][:10]}, (0, 1), [1.0, 2.0], progress=False
    )  # warm-up
    out = {"name": "ensemble_10000_vs_loop", "target": ">= 300x (same method and tolerance)"}
    for method in ("DOP853", "RK45"):
        started = time.perf_counter()
        ensemble = rd.simulate_ensemble(
            model, sets, (0, 50), [1.0, 2.0], progress=False, chunk_size=m, method=method, **kwargs
        )
        t_ensemble = time.perf_counter() - started
        loop_n = 100
        started = time.perf_counter()
        for j in range(loop_n):
            single = rd.simulate(
                model,
                (0, 50),
                [1.0, 2.0],
                method=method,
                params={name: values[j] for name, values in sets.items()},
                **kwargs,
            )
        t_loop = (time.perf_counter() - started) / loop_n
        out[f"{method}_ensemble_s"] = round(t_ensemble, 3)
        out[f"{method}_single_ms"] = round(t_loop * 1e3, 3)
        out[f"{method}_ratio"] = round(t_loop * m / t_ensemble, 1)
        out[f"{method}_max_abs_deviation"] = float(
            np.max(np.abs(ensemble.member(loop_n - 1).values - single.values))
        )
    started = time.perf_counter()
    for j in range(100):
        rd.simulate(
            model,
            (0, 50),
            [1.0, 2.0],
            params={name: values[j] for name, values in sets.items()},
            **kwargs,
        )
    t_lsoda = (time.perf_counter() - started) / 100
    out["lsoda_lean_single_ms"] = round(t_lsoda * 1e3, 3)
    out["ratio_vs_lsoda_lean_loop"] = round(t_lsoda * m / out["DOP853_ensemble_s"], 1)
    out["ratio"] = max(out["DOP853_ratio"], out["RK45_ratio"])
    return out


def bench_compile_200_actors():
    rng = np.random.default_rng(2)
    n = 200
    K, a, g = rng.uniform(0, 1 / n, (n, n)), rng.uniform(1, 2, n), rng.uniform(0, 1, n)
    compiled_module._cache.clear()
    started = time.perf_counter()
    model = rd.richardson_n(K, a, g)
    t_build = time.perf_counter() - started
    started = time.perf_counter()
    compiled = model.compile()
    p, y = model.param_vector(), rng.uniform(0, 1, n)
    compiled.jac(0.0, y, p)
    compiled.jac_p(0.0, y, p)
    t_compile = time.perf_counter() - started
    return {
        "name": "compile_200_actors",
        "build_model_s": round(t_build, 3),
        "compile_with_jacobians_s": round(t_compile, 3),
        "build_plus_compile_s": round(t_build + t_compile, 3),
        "target": "compile <= 5 s",
    }
