"""Timing helper shared by the benchmark scripts."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_time(func: Callable[[], object], repeat: int = 5, min_time: float = 0.2) -> float:
    """Best-of-``repeat`` seconds per call, each repeat looping until ``min_time`` has passed."""
    best = float("inf")
    for _ in range(repeat):
        calls, started = 0, time.perf_counter()
        while True:
            func()
            calls += 1
            elapsed = time.perf_counter() - started
            if elapsed >= min_time:
                break
        best = min(best, elapsed / calls)
    return best
