"""Redraw time of the explorer (issue 19): <= 100 ms for the two-nation model, <= 250 ms for a
6-actor alliance model, measured on the update itself (verdict, margin, field, trajectory,
artists), not in a browser; the PNG rendering the Image widget shows is timed separately.

Run: ``python benchmarks/run.py explore``
"""

from __future__ import annotations

import time
from pathlib import Path

import richardson as rd

MODELS = Path(__file__).resolve().parents[1] / "models"


def _measure(name: str, explorer: rd.Explorer, moves: list[dict], target_ms: float) -> dict:
    update, render = [], []
    for values in moves * 3:
        for key, value in values.items():
            explorer._values[key] = value
        started = time.perf_counter()
        frame = explorer.compute()
        explorer._figure.draw(frame)
        middle = time.perf_counter()
        explorer._figure.png()
        done = time.perf_counter()
        update.append(1e3 * (middle - started))
        render.append(1e3 * (done - middle))
    update.sort()
    render.sort()
    median = update[len(update) // 2]
    return {
        "name": name,
        "update_ms_median": round(median, 1),
        "update_ms_max": round(update[-1], 1),
        "png_ms_median": round(render[len(render) // 2], 1),
        "target_ms": target_ms,
        "ratio": round(median / target_ms, 3),
    }


def bench_explore_two_nations() -> dict:
    explorer = rd.explore(rd.richardson2(g=0.5, h=0.5), y0=[1.0, 2.0])
    moves = [{"k": k} for k in (0.8, 1.0, 1.2, 1.4, 1.6)]
    return _measure("explore.two_nation_redraw", explorer, moves, 100.0)


def bench_explore_six_actors() -> dict:
    model = rd.load_model(MODELS / "pre_1914_entente_triple_alliance.toml")
    explorer = rd.explore(model)
    name = "k_France_Germany"
    value = model.params[name].value
    moves = [{name: value * f} for f in (0.6, 0.8, 1.0, 1.2, 1.4)]
    return _measure("explore.six_actor_alliance_redraw", explorer, moves, 250.0)
