"""What a new user meets: ensembles against single runs with both defaults, large files.

(a) Ensembles against single runs, both with their defaults (what a new user types).

``rd.simulate_ensemble`` integrates all members as one batched system with RK45 (its
default); ``rd.simulate`` integrates one run with LSODA (its default), both at rtol 1e-8,
atol 1e-10, on the ensemble's default output grid (201 times). The core benchmark
(``bench_core.bench_ensemble_vs_loop``) compares the same method on both sides (RK45 or
DOP853 at rtol 1e-6); this one is the comparison a user meets, at three ensemble sizes.

(b) Loading a model file of 1,000 and 4,000 states (a ring of reactions), the time
``docs/howto_files.md`` quotes; ``tests/io/test_hostile_toml.py`` bounds the 1,000-state load.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

import richardson as rd


def _sets(m: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    return {"k": rng.uniform(0.2, 0.9, m), "l": rng.uniform(0.2, 0.9, m), "g": rng.uniform(0, 1, m)}


def bench_ensemble_defaults_vs_lsoda_loop():
    model = rd.richardson2()
    times = np.linspace(0, 50, 201)
    rd.simulate_ensemble(model, _sets(10), (0, 1), [1.0, 2.0], progress=False)  # warm-up
    rd.simulate(model, (0, 1), [1.0, 2.0])
    loop_n = 200
    sets = _sets(loop_n)
    started = time.perf_counter()
    for j in range(loop_n):
        rd.simulate(
            model, (0, 50), [1.0, 2.0], params={n: v[j] for n, v in sets.items()}, t_eval=times
        )
    single = (time.perf_counter() - started) / loop_n
    results = []
    for m in (100, 1_000, 10_000):
        started = time.perf_counter()
        rd.simulate_ensemble(model, _sets(m), (0, 50), [1.0, 2.0], t_eval=times, progress=False)
        ensemble = time.perf_counter() - started
        results.append(
            {
                "name": f"ensemble_defaults_{m}_vs_lsoda_loop",
                "members": m,
                "ensemble_s": round(ensemble, 4),
                "lsoda_single_run_ms": round(single * 1e3, 3),
                "loop_estimate_s": round(single * m, 3),
                "ratio": round(single * m / ensemble, 1),
                "note": "ensemble RK45 (default) vs loop of rd.simulate LSODA (default), "
                f"rtol 1e-8; loop timed on {loop_n} runs and scaled",
            }
        )
    return results


def _ring_file(n: int, folder: Path) -> Path:
    lines = ["format_version = 1", ""]
    for i in range(n):
        lines += ["[[actors]]", f'state = "x{i}"', "initial = 1.0", ""]
    for i in range(n):
        lines += [f"[parameters.k{i}]", "value = 0.5", f"[parameters.a{i}]", "value = 1.0"]
    lines += ["", "[equations]"]
    lines += [f'x{i} = "k{i}*x{(i + 1) % n} - a{i}*x{i}"' for i in range(n)]
    path = folder / f"ring_{n}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def bench_load_large_model_file():
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for n in (1_000, 4_000):
            path = _ring_file(n, Path(folder))
            started = time.perf_counter()
            model = rd.load_model(path)
            seconds = time.perf_counter() - started
            assert model.n_states == n
            results.append(
                {
                    "name": f"load_model_file_{n}_states",
                    "states": n,
                    "load_s": round(seconds, 2),
                    "bytes": path.stat().st_size,
                }
            )
    return results
