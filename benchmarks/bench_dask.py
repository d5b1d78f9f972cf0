"""A nonlinear sweep scaled out: one process, a local process pool of 2, a dask LocalCluster of
2 workers, through the same ``executor=`` of ``rd.stability_map`` and ``rd.sweep``.

Issue 22, deliverable 4: a 10^6-point map of sampled verdicts of the mutual-defence trigger
scenario (``models/mutual_defence_trigger.toml``; each point is ``rd.classify`` with its
sampled search for balances). At about a second per point on this machine, 10^6 points are
days of work on 2 cores, so a stated subset (a 12 x 12 grid over ``theta_Ally_1`` and
``k_Rival_Ally_1``) is run on each executor and the 10^6-point time extrapolated from the
measured per-point cost. Each executor is warmed up first on a 2 x 2 map (its start-up and
warm-up are reported apart). The per-task overhead of each executor is measured apart with
``rd.sweep`` over a function that does nothing (one point per task).

Run: ``python benchmarks/run.py dask`` (needs the ``dask`` extra)
"""

from __future__ import annotations

import os
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

import richardson as rd

HERE = Path(__file__).resolve().parent
FULL = 10**6
SIDE = 12  # the subset: SIDE x SIDE points
OVERHEAD_TASKS = 200


def _load() -> str:
    return f"loaded (load average {os.getloadavg()[0]:.1f})"


def _executors():  # noqa: ANN202
    """(label, context manager giving the executor, start-up seconds)."""
    from dask.distributed import Client, LocalCluster

    yield "one process", None, 0.0
    started = time.perf_counter()
    pool = ProcessPoolExecutor(2)
    pool.submit(int, 0).result()
    yield "ProcessPoolExecutor(2)", pool, time.perf_counter() - started
    pool.shutdown()
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    yield "dask LocalCluster(2 workers)", client, time.perf_counter() - started
    client.close()
    cluster.close()


def bench_dask_trigger_sweep() -> list[dict]:
    model = rd.load_model(HERE.parent / "models" / "mutual_defence_trigger.toml")
    grid = {
        "theta_Ally_1": np.linspace(0.3, 0.7, SIDE),
        "k_Rival_Ally_1": np.linspace(0.3, 0.5, SIDE),
    }
    points = SIDE * SIDE
    results, maps, single = [], {}, None
    warm = {name: values[:2] for name, values in grid.items()}
    for label, executor, startup in _executors():
        # warm-up (untimed): workers of a spawned cluster import richardson and compile the
        # model on their first task; forked pool workers inherit both from this process
        started = time.perf_counter()
        rd.stability_map(model, warm, executor=executor, progress=False, chunk_size=1)
        warm_up = time.perf_counter() - started
        started = time.perf_counter()
        maps[label] = rd.stability_map(model, grid, executor=executor, progress=False, chunk_size=4)
        elapsed = time.perf_counter() - started
        started = time.perf_counter()
        rd.sweep(
            round,  # round(number=x): no work, and picklable by reference from any process
            {"number": np.arange(OVERHEAD_TASKS, dtype=float)},
            executor=executor,
            chunk_size=1,
            progress=False,
        )
        per_task = (time.perf_counter() - started) / OVERHEAD_TASKS
        single = elapsed if single is None else single
        results.append(
            {
                "name": f"dask sweep trigger scenario sampled verdicts: {label}",
                "subset_points": points,
                "subset_s": round(elapsed, 2),
                "per_point_ms": round(1e3 * elapsed / points, 1),
                "extrapolated_1e6_points_h": round(elapsed / points * FULL / 3600, 1),
                "per_task_overhead_ms": round(per_task * 1e3, 2),
                "executor_startup_s": round(startup, 2),
                "warm_up_s": round(warm_up, 2),
                "same_map_as_one_process": bool(
                    (maps[label].values == maps["one process"].values).all()
                ),
                "ratio": round(single / elapsed, 2),
                "target": "speed-up vs one process (2 cores: at most 2)",
                "machine": _load(),
            }
        )
    return results
