"""The stepping of stochastic runs: Brownian increments per fixed block of paths, the
Euler-Maruyama and Milstein steps, and the guarded loop of one chunk (:func:`run_chunk`).

Reproducibility whatever the chunking: the paths are cut into fixed blocks of
:data:`BLOCK` paths, and block ``b`` draws its increments from its own generator, spawned
from the run's :class:`numpy.random.SeedSequence` with key ``b`` (so also independent of the
number of paths). A chunk is a whole number of blocks and draws, at every sub-step, one array
of ``(n, BLOCK)`` per block whatever happens to the paths (a last, partial block uses its first
columns), so path ``i`` sees the same Brownian increments in any chunk and for any number of
paths.

Guards, as in an ensemble (:mod:`._batch`): a path whose ``|state|`` reaches the limit is
frozen there (runaway when its largest state is positive, a collapse otherwise), with the
crossing time interpolated linearly inside the sub-step; a path whose state turns NaN is
stopped and flagged as failed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["BLOCK", "advance", "block_streams", "run_chunk"]

#: Paths per block of random numbers (one generator each).
BLOCK = 1024

_RUNNING, _RUNAWAY, _COLLAPSE, _FAILED = 0, 1, 2, -1


def block_streams(
    root: np.random.SeedSequence, first_block: int, sizes: list[int]
) -> list[tuple[np.random.Generator, np.random.Generator, int]]:
    """``(increments, uniforms, size)`` generators of the blocks ``first_block, ...``.

    Each block's seed is the child of ``root`` with spawn key ``(block,)`` (what
    ``root.spawn`` would hand out as its ``block``-th child); it is split again into the
    stream of Brownian increments and the stream of uniforms used only by barrier crossings
    between sub-steps, so watching a barrier does not change the paths.
    """
    streams = []
    for offset, size in enumerate(sizes):
        child = np.random.SeedSequence(
            entropy=root.entropy,
            spawn_key=(*root.spawn_key, first_block + offset),
            pool_size=root.pool_size,
        )
        normal_seed, uniform_seed = child.spawn(2)
        streams.append(
            (np.random.default_rng(normal_seed), np.random.default_rng(uniform_seed), size)
        )
    return streams


def advance(
    y: np.ndarray,
    drift: np.ndarray,
    sigma: np.ndarray,
    multiplicative: bool,
    milstein: bool,
    h: float,
    dW: np.ndarray,
) -> np.ndarray:
    """One step of ``dy = f dt + g(y) dW`` with diagonal noise.

    ``g_i = sigma_i`` (additive) or ``g_i = sigma_i y_i`` (multiplicative). Euler-Maruyama is
    ``y + f h + g dW``; Milstein adds ``g_i g_i' (dW_i^2 - h) / 2 = sigma_i^2 y_i (dW_i^2 - h)
    / 2`` for multiplicative noise and nothing for additive noise (``g' = 0``: the two
    schemes coincide there).

    Parameters
    ----------
    y, drift : numpy.ndarray
        States and drift ``f(t, y)``, shape ``(n, m)``.
    sigma : numpy.ndarray
        Noise intensity per state, shape ``(n, 1)``.
    multiplicative, milstein : bool
        Kind of noise and scheme.
    h : float
        Step (time units).
    dW : numpy.ndarray
        Brownian increments over the step, shape ``(n, m)`` (variance ``h``).
    """
    if not multiplicative:
        return y + drift * h + sigma * dW
    g = sigma * y
    new = y + drift * h + g * dW
    if milstein:
        new += 0.5 * sigma * g * (dW * dW - h)
    return new


def run_chunk(  # noqa: PLR0913, PLR0915
    drift_at: Callable[[float, np.ndarray], np.ndarray],
    times: np.ndarray,
    substeps: np.ndarray,
    initial: np.ndarray,
    sigma: np.ndarray,
    multiplicative: bool,
    milstein: bool,
    limit: float,
    floor: float | None,
    streams: list[tuple[np.random.Generator, np.random.Generator, int]],
    barrier: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Integrate the paths of one chunk over every output interval.

    Parameters
    ----------
    drift_at
        The drift ``f(t, y)`` of the compiled model with the parameters in force at ``t``,
        ``y`` of shape ``(n, m)``.
    times, substeps
        Output times and the number of equal sub-steps inside each interval between them.
    initial : numpy.ndarray
        States ``(n, m)`` at ``times[0]``.
    sigma : numpy.ndarray
        Noise intensity per state, shape ``(n,)``.
    multiplicative, milstein : bool
        Kind of noise and scheme (see :func:`advance`).
    limit, floor
        Guard on ``|state|`` and lower bound on every state (or None).
    streams
        The blocks' generators (:func:`block_streams`), covering the ``m`` paths in order.
    barrier : pair of arrays, optional
        ``(W, c)`` with ``W`` of shape ``(k, n)``: a path crosses when ``W y >= c`` in any
        row. Between sub-steps the crossing of the Brownian bridge is drawn too (probability
        ``exp(-2 (c - L0)(c - L1) / (s^2 h))`` for a row value going from ``L0`` to ``L1``
        below ``c`` with local variance rate ``s^2``), so monitoring at sub-steps does not
        miss excursions between them.

    Returns
    -------
    dict
        ``out`` ``(T, n, m)``, ``status``, ``runaway_time``, ``runaway_actor``,
        ``collapse_time`` and ``crossing_time`` (NaN when not crossed) per path.
    """
    n, m = initial.shape
    sig = np.asarray(sigma, dtype=float)[:, None]
    y = initial.astype(float).copy()
    out = np.full((len(times), n, m), np.nan)
    out[0] = y
    status = np.full(m, _RUNNING)
    runaway_time = np.full(m, np.nan)
    runaway_actor = np.full(m, -1)
    collapse_time = np.full(m, np.nan)
    crossing_time = np.full(m, np.nan)
    if barrier is not None:
        rows, levels = barrier
        levels = levels[:, None]
        crossing_time[np.any(rows @ y >= levels, axis=0)] = times[0]
        variance = (rows**2) @ (sig**2)  # (k, 1): per unit h, additive noise
    start_size = np.abs(y).max(axis=0)
    _guard(
        y, start_size >= limit, status, runaway_time, runaway_actor, collapse_time, times[0], limit
    )
    for k in range(len(times) - 1):
        h = (times[k + 1] - times[k]) / substeps[k]
        root_h = np.sqrt(h)
        for step in range(int(substeps[k])):
            t = times[k] + step * h
            dW = np.concatenate(
                [g.standard_normal((n, BLOCK))[:, :size] for g, _, size in streams], axis=1
            )
            uniforms = (
                np.concatenate([u.random(BLOCK)[:size] for _, u, size in streams])
                if barrier is not None
                else None
            )
            running = status == _RUNNING
            if not running.any():
                continue
            state = y if floor is None else np.maximum(y, floor)
            with np.errstate(all="ignore"):
                drift = np.asarray(drift_at(t, state), dtype=float)
                if floor is not None:
                    drift = np.where((state <= floor) & (drift < 0), 0.0, drift)
                new = advance(state, drift, sig, multiplicative, milstein, h, dW * root_h)
                if floor is not None:
                    new = np.maximum(new, floor)
            new_size = np.abs(new).max(axis=0)  # NaN when a state is NaN
            nan = running & np.isnan(new_size)
            if nan.any():
                status[nan] = _FAILED
                running &= ~nan
            if barrier is not None:
                open_ = running & np.isnan(crossing_time)
                _watch(rows, levels, variance, y, new, sig, multiplicative, h, uniforms, open_,
                       crossing_time, t)  # fmt: skip
            hit = running & (new_size >= limit)
            if hit.any():
                old_size = np.abs(y).max(axis=0)
                with np.errstate(all="ignore"):
                    fraction = np.clip((limit - old_size) / (new_size - old_size), 0.0, 1.0)
                when = t + h * np.nan_to_num(fraction, nan=1.0)
            y = new if running.all() else np.where(running[None, :], new, y)
            if hit.any():
                _guard(y, hit, status, runaway_time, runaway_actor, collapse_time, when, limit)
        out[k + 1] = np.where(status == _FAILED, np.nan, y)
    return {
        "out": out,
        "status": status,
        "runaway_time": runaway_time,
        "runaway_actor": runaway_actor,
        "collapse_time": collapse_time,
        "crossing_time": crossing_time,
    }


def _guard(y, hit, status, runaway_time, runaway_actor, collapse_time, when, limit) -> None:  # noqa: ANN001
    """Freeze the paths ``hit`` at the guard: runaway upwards, a collapse downwards."""
    if not hit.any():
        return
    when = np.broadcast_to(np.asarray(when, dtype=float), hit.shape)
    magnitude = np.where(np.isfinite(y), np.abs(y), np.inf)
    actor = np.argmax(magnitude, axis=0)
    top = y[actor, np.arange(y.shape[1])]
    up = hit & ~(top < 0)
    down = hit & (top < 0)
    status[up], runaway_time[up], runaway_actor[up] = _RUNAWAY, when[up], actor[up]
    status[down], collapse_time[down] = _COLLAPSE, when[down]
    clipped = np.clip(np.where(np.isfinite(y), y, limit), -limit, limit)
    y[:, hit] = clipped[:, hit]


def _watch(
    rows, levels, variance, old, new, sig, multiplicative, h, uniforms, open_, crossing_time, t
) -> None:  # noqa: ANN001, PLR0913
    """Record the first crossing of ``rows @ y >= levels`` at the sub-step or between."""
    before, after = rows @ old, rows @ new
    with np.errstate(all="ignore"):
        at_step = np.any(after >= levels, axis=0)
        rate = (rows**2) @ ((sig * old) ** 2) if multiplicative else variance
        gap = np.maximum(levels - before, 0.0) * np.maximum(levels - after, 0.0)
        bridge = np.where(rate > 0, np.exp(-2.0 * gap / (rate * h)), 0.0)
        survive = np.prod(1.0 - bridge, axis=0)
    crossed = open_ & (at_step | (uniforms < 1.0 - survive))
    crossing_time[crossed] = t + h
