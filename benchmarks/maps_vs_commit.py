"""Nonlinear stability maps of this checkout against the code of an earlier commit, timed in
alternating rounds (issue 23: "10x faster" than the code of its day).

``bench_maps.py`` compares today's two paths (batched and per point) in one process. The
issue's baseline is the code as it was when the issue was filed: it quoted 91 s for the
40 x 40 Saperstein map and 23 s for the 15 x 15 trigger map. This script checks out that code
(commit ``0c6c578`` by default, the last one before the batching) into a temporary git
worktree, then times each map once with it and once with this checkout, in turn, for a few
rounds, each in a fresh interpreter with the same virtual environment. Each side keeps its
best time, because the shared machine's speed drifts within a minute, and the verdicts of both
sides are compared at every point.

Usage: ``python benchmarks/maps_vs_commit.py [commit] [rounds] [saperstein|trigger]`` from a
git clone (prints one JSON line per map; the Saperstein map of the old code takes about two
minutes a round).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 10.0

#: The maps of issue 23, as ``bench_maps.py`` builds them (run in the child interpreter).
_CHILD = r"""
import json, sys, time
import numpy as np, sympy as sp
import richardson as rd

name, models = sys.argv[1], sys.argv[2]
if name == "saperstein":
    x, y, a, b = sp.symbols("x y a b")
    model = rd.Model(["x", "y"], {"a": 0.5, "b": 0.5},
                     [4 * a * y * (1 - y), 4 * b * x * (1 - x)], kind="map")
    values = np.linspace(0.1, 0.5, 40)
    grid = {"a": values, "b": values}
else:
    model = rd.load_model(models + "/mutual_defence_trigger.toml")
    grid = {"s_Ally_1": np.linspace(0.5, 3.0, 15), "theta_Ally_1": np.linspace(0.2, 1.0, 15)}
rd.stability_map(model, {k: v[:1] for k, v in grid.items()}, progress=False)  # compile
started = time.perf_counter()
regimes = rd.stability_map(model, grid, progress=False)
seconds = time.perf_counter() - started
print(json.dumps({"s": seconds, "verdicts": [str(v) for v in regimes.values.ravel()]}))
"""

MAPS = {"saperstein": "maps: Saperstein 40 x 40", "trigger": "maps: 3-state trigger 15 x 15"}


def _time(source: Path, name: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(source), OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg")
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, name, str(ROOT / "models")],
        cwd=source, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    commit = argv[1] if len(argv) > 1 else "0c6c578"
    rounds = int(argv[2]) if len(argv) > 2 else 3
    wanted = argv[3] if len(argv) > 3 else ""
    with tempfile.TemporaryDirectory() as tmp:
        before = Path(tmp) / "before"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(before), commit],
            check=True,
        )
        try:
            for name, label in MAPS.items():
                if wanted not in name:
                    continue
                best = {"before": float("inf"), "now": float("inf")}
                same = True
                for _ in range(rounds):
                    old = _time(before, name)
                    new = _time(ROOT, name)
                    best["before"] = min(best["before"], old["s"])
                    best["now"] = min(best["now"], new["s"])
                    same &= old["verdicts"] == new["verdicts"]
                print(json.dumps({
                    "name": f"{label} vs commit {commit}",
                    "before_best_s": round(best["before"], 2),
                    "now_best_s": round(best["now"], 2),
                    "ratio": round(best["before"] / best["now"], 2),
                    "rounds": rounds,
                    "target": TARGET,
                    "same_verdicts": same,
                }), flush=True)  # fmt: skip
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before)], check=True
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
