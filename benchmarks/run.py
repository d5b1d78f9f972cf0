"""Run every benchmark and print one JSON line per measurement.

Benchmarks live in ``benchmarks/bench_*.py``; each function named ``bench_*`` returns a
dict (or a list of dicts) with at least ``name``, the measured figures and, where an issue
names one, ``target`` and ``ratio``. Everything compared is measured side by side in this
one run, on this machine.

Usage::

    python benchmarks/run.py            # all
    python benchmarks/run.py compile    # only benchmarks whose name contains "compile"
"""

from __future__ import annotations

import os

# Small matrices gain nothing from threaded BLAS, and on a shared 2-core machine its spinning
# threads slow tiny products by 100x; both sides of every comparison run single-threaded.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import importlib.util  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent


def _modules():
    for path in sorted(HERE.glob("bench_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module


def main(argv: list[str]) -> int:
    wanted = argv[1] if len(argv) > 1 else ""
    for module in _modules():
        for name in sorted(dir(module)):
            if not name.startswith("bench_") or wanted not in f"{module.__name__}.{name}":
                continue
            started = time.perf_counter()
            results = getattr(module, name)()
            for result in results if isinstance(results, list) else [results]:
                result.setdefault("wall_s", round(time.perf_counter() - started, 3))
                print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
