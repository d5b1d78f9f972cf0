"""Shocks: :func:`simulate_sde` integrates a model driven by noise, all paths as one batched
system on the compiled right-hand side (Euler-Maruyama, or Milstein for multiplicative noise),
and returns an :class:`~.trajectory.Ensemble` with one member per path.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr
from tqdm import tqdm

from ..errors import ModelError, SimulationError, UnknownSymbolError, did_you_mean
from ..model.core import Model
from ..model.interventions import Intervention, Schedule
from ._inputs import ceiling_value, check_floor, check_initial, check_params, output_times
from ._sde_steps import BLOCK, block_streams, run_chunk
from .integrate import _interventions, _time_span
from .trajectory import Ensemble

__all__ = ["simulate_sde", "KINDS", "SCHEMES"]

#: Kinds of noise: ``g_i = sigma_i`` (additive) or ``g_i = sigma_i y_i`` (multiplicative).
KINDS = ("additive", "multiplicative")

#: Integration schemes.
SCHEMES = ("euler-maruyama", "milstein")


def noise_vector(model: Model, noise: Any) -> np.ndarray:
    """The noise intensity per state, shape ``(n,)``, from a number, a sequence in state
    order or a mapping actor (or state) name -> intensity (missing ones get no noise)."""
    n = model.n_states
    if isinstance(noise, Mapping):
        names = {name: i for i, name in enumerate(model.actors)}
        names.update({name: i for i, name in enumerate(model.states)})
        sigma = np.zeros(n)
        for name, value in noise.items():
            if name not in names:
                raise UnknownSymbolError(
                    f"noise names {name!r}, which is neither an actor nor a state of this "
                    f"model{did_you_mean(name, names)}"
                )
            sigma[names[name]] = _intensity(value, name)
        return sigma
    try:
        values = np.asarray(noise, dtype=float)
    except (TypeError, ValueError) as err:
        raise SimulationError(
            f"noise must be a number, a sequence of {n} numbers or a mapping actor -> number, "
            f"not {noise!r}"
        ) from err
    if values.ndim == 0:
        return np.full(n, _intensity(float(values), "noise"))
    if values.shape != (n,):
        raise SimulationError(
            f"noise has shape {values.shape}; give one intensity per state ({n}), a single "
            "number, or a mapping actor -> intensity"
        )
    return np.array([_intensity(v, s) for v, s in zip(values, model.states, strict=True)])


def _intensity(value: Any, name: str) -> float:
    try:
        sigma = float(value)
    except (TypeError, ValueError) as err:
        raise SimulationError(f"noise of {name!r} must be a number, not {value!r}") from err
    if not math.isfinite(sigma) or sigma < 0:
        raise SimulationError(
            f"noise of {name!r} is {sigma}; give a finite, non-negative intensity"
        )
    return sigma


def _substeps(times: np.ndarray, dt: float | None) -> np.ndarray:
    """Equal sub-steps per output interval: 10 by default, else the fewest of length <= dt."""
    gaps = np.diff(times)
    if dt is None:
        return np.full(len(gaps), 10, dtype=int)
    dt = float(dt)
    if not math.isfinite(dt) or dt <= 0:
        raise SimulationError(f"dt is {dt}; give a positive, finite step (time units)")
    return np.maximum(1, np.ceil(gaps / dt * (1 - 1e-12))).astype(int)


def _root_seed(seed: Any) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is None or (isinstance(seed, int | np.integer) and seed >= 0):
        return np.random.SeedSequence(None if seed is None else int(seed))
    raise SimulationError(
        f"seed must be a non-negative whole number, a numpy SeedSequence or None, not {seed!r}"
    )


def simulate_sde(  # noqa: PLR0913
    model: Model,
    t_span: Sequence[float],
    y0: Any = None,
    noise: Any = 0.1,
    n_paths: int = 1000,
    seed: Any = None,
    t_eval: Any = None,
    dt: float | None = None,
    kind: str = "additive",
    method: str = "euler-maruyama",
    params: Mapping[str, float] | None = None,
    interventions: Sequence[Intervention] = (),
    ceiling: float | None = None,
    floor: float | None = None,
    chunk: int = 10 * BLOCK,
    progress: bool | None = None,
    _barrier: tuple[np.ndarray, np.ndarray] | None = None,
) -> Ensemble:
    """Simulate a model hit by random shocks: ``dy = f(t, y) dt + g(y) dW``, many paths.

    Each actor's spending receives independent Gaussian shocks (diagonal noise). All paths
    of a chunk are one batched system on the compiled right-hand side; the Brownian
    increments come from fixed blocks of paths with their own seeds, so a seeded run gives
    the same paths whatever ``chunk`` is.

    Parameters
    ----------
    model : Model
        An ODE model (its drift).
    t_span : pair of float
        Start and end time (model time unit).
    y0 : sequence or mapping, optional
        Initial state shared by all paths (state units); the model's initial values by
        default.
    noise : float, sequence or mapping
        Noise intensity ``sigma``: one number for every actor, one per state, or a mapping
        actor (or state) name -> intensity (actors left out get none). Additive noise is in
        state units per square root of the time unit (the standard deviation of the yearly
        shock to spending, for yearly models); multiplicative noise in 1/sqrt(time unit)
        (the relative shock).
    n_paths : int
        Number of simulated paths.
    seed : int, SeedSequence or None
        Seed of the shocks; None draws fresh entropy (recorded in ``data.attrs["seed"]`` so
        that the run can be repeated).
    t_eval : array_like, optional
        Output times; 201 equally spaced points by default.
    dt : float, optional
        Largest sub-step (time units); each interval between output times is cut into the
        fewest equal sub-steps no longer than ``dt``. By default 10 sub-steps per interval.
    kind : {"additive", "multiplicative"}
        ``g_i = sigma_i`` (shocks of a fixed size) or ``g_i = sigma_i y_i`` (shocks in
        proportion to spending, which keep positive spending positive).
    method : {"euler-maruyama", "milstein"}
        Scheme: Euler-Maruyama (strong order 1/2, weak order 1) or Milstein (strong order 1
        for this diagonal noise). For additive noise the Milstein correction is zero and the
        two schemes coincide.
    params : mapping, optional
        Parameter values overriding the model's.
    interventions : sequence of Intervention
        Applied to every path (added to the model's own); parameters are read at the start
        of each sub-step.
    ceiling : float, optional
        Level of ``|spending|`` at which a path counts as runaway and is frozen there (the
        crossing time interpolated inside the sub-step); by default the guard of
        :func:`simulate_ensemble`, ``GUARD_FACTOR * max(1, max|y0|)``.
    floor : float, optional
        Lower bound on every state (spending projected back onto it after each sub-step).
    chunk : int
        Paths integrated together (rounded up to whole blocks of 1024); smaller chunks use
        less memory and show progress more often, and do not change the result.
    progress : bool, optional
        Show a progress bar; by default shown when there is more than one chunk.

    Returns
    -------
    Ensemble
        One member per path, with the layout of :func:`simulate_ensemble`'s result
        (``spending`` ``(member, time, actor)``, ``status`` 0 whole span, 1 runaway, 2
        collapse, -1 failed on a NaN state; ``runaway_time``, ``runaway_actor``,
        ``collapse_time``); ``attrs`` record the scheme, the kind and intensity of the
        noise, the sub-steps and the seed. :meth:`Ensemble.quantiles` gives the bands and
        :meth:`Ensemble.final` every path's end state. Ctrl-C returns the chunks finished so
        far with ``complete=False``.

    Raises
    ------
    ModelError
        For a map.
    SimulationError
        For a bad time span, output times, step, noise, kind, method, seed, ceiling or floor.

    References
    ----------
    Kloeden, P. E. and Platen, E. (1992). *Numerical Solution of Stochastic Differential
    Equations*. Springer (Euler-Maruyama and Milstein schemes and their orders).

    Examples
    --------
    >>> import richardson as rd
    >>> model = rd.richardson2(k=0.5, l=0.5, a=1.0, b=1.0, g=0.5, h=0.5)
    >>> paths = rd.simulate_sde(model, (0, 10), y0=[0, 0], noise=0.2, n_paths=200, seed=1)
    >>> paths.data.sizes["member"]
    200
    """
    if model.kind != "ode":
        raise ModelError("this model is a map (kind='map'); shocks are for ODE models")
    if kind not in KINDS:
        raise SimulationError(f"kind {kind!r} is not one of {KINDS}{did_you_mean(kind, KINDS)}")
    if method not in SCHEMES:
        raise SimulationError(
            f"method {method!r} is not one of {SCHEMES}{did_you_mean(method, SCHEMES)}"
        )
    if int(n_paths) != n_paths or n_paths < 1:
        raise SimulationError(f"n_paths must be a positive whole number, not {n_paths!r}")
    n_paths = int(n_paths)
    t0, t1 = _time_span(t_span, model)
    times = output_times(t_eval, t0, t1)
    if times[0] != t0:
        times = np.concatenate([[t0], times])
    substeps = _substeps(times, dt)
    sigma = noise_vector(model, noise)
    floor = check_floor(floor)
    root = _root_seed(seed)
    p = model.param_vector(params)
    check_params(model.param_names, p)
    start = model.initial_vector(y0)
    check_initial(start, model.states)
    if floor is not None and np.any(start < floor):
        raise SimulationError(f"an initial state lies below floor={floor}; raise y0 or lower it")
    limit = ceiling_value(ceiling, start)[0]
    schedule = Schedule(model.param_index, _interventions(model, interventions))
    compiled = model.compile()

    drift_at = _drift(compiled, schedule, p)

    if isinstance(chunk, bool) or not isinstance(chunk, int | np.integer) or chunk < 1:
        raise SimulationError(f"chunk must be a positive whole number of paths, not {chunk!r}")
    blocks_per_chunk = math.ceil(int(chunk) / BLOCK)
    n_blocks = math.ceil(n_paths / BLOCK)
    sizes = [min(BLOCK, n_paths - b * BLOCK) for b in range(n_blocks)]
    firsts = list(range(0, n_blocks, blocks_per_chunk))
    show = len(firsts) > 1 if progress is None else bool(progress)
    parts, complete = [], True
    bar = tqdm(total=n_paths, desc="shocks", unit="path", disable=not show)
    try:
        for first in firsts:
            chunk_sizes = sizes[first : first + blocks_per_chunk]
            m = sum(chunk_sizes)
            parts.append(
                run_chunk(
                    drift_at,
                    times,
                    substeps,
                    np.repeat(start[:, None], m, axis=1),
                    sigma,
                    kind == "multiplicative",
                    method == "milstein",
                    limit,
                    floor,
                    block_streams(root, first, chunk_sizes),
                    _barrier,
                )
            )
            bar.update(m)
    except KeyboardInterrupt:
        complete = False
        done = sum(part["status"].size for part in parts)
        warnings.warn(
            f"shocks interrupted after {done} of {n_paths} paths; returning the finished ones",
            RuntimeWarning,
            stacklevel=2,
        )
    finally:
        bar.close()
    if not parts:
        raise SimulationError("simulate_sde interrupted before the first chunk finished")
    joined = {key: np.concatenate([part[key] for part in parts], axis=-1) for key in parts[0]}
    return _ensemble(
        model,
        joined,
        times,
        sigma,
        kind,
        method,
        substeps,
        root,
        limit,
        complete,
        _barrier is not None,
    )


def _drift(compiled: Any, schedule: Schedule, p: np.ndarray) -> Any:
    """``f(t, y)`` with the parameters in force at ``t``: each distinct parameter vector bound
    once (:meth:`CompiledModel.bind`, one matrix product for a linear model), up to 64 of
    them (a ramp's continuum of values goes through the general right-hand side)."""
    bound: dict[bytes, Any] = {}

    def drift_at(t: float, y: np.ndarray) -> np.ndarray:
        values = schedule.at(t, p)
        key = values.tobytes()
        system = bound.get(key)
        if system is None:
            if len(bound) >= 64:
                return compiled.rhs(t, y, values)
            system = bound[key] = compiled.bind(values)
        return system.rhs(t, y)

    return drift_at


def _ensemble(model, joined, times, sigma, kind, method, substeps, root, limit, complete, watched):  # noqa: ANN001, ANN202, PLR0913
    status = joined["status"]
    done = status.size
    failed = int(np.sum(status < 0))
    message = f"{failed} of {done} paths failed (their state turned NaN)" if failed else ""
    actor_names = np.array(
        [model.actors[i] if i >= 0 else "" for i in joined["runaway_actor"]], dtype=object
    )
    data = xr.Dataset(
        {
            "spending": (
                ("member", "time", "actor"),
                np.transpose(joined["out"], (2, 0, 1)),
                {"units": model.state_unit, "long_name": "military spending"},
            ),
            "runaway_time": ("member", joined["runaway_time"]),
            "runaway_actor": ("member", actor_names),
            "status": ("member", status),
            "collapse_time": ("member", joined["collapse_time"]),
        },
        coords={
            "member": np.arange(done),
            "time": times,
            "actor": list(model.actors),
            "state": ("actor", list(model.states)),
        },
        attrs={
            "model": model.name or "model",
            "method": method,
            "noise_kind": kind,
            "noise": [float(s) for s in sigma],
            "substeps": [int(s) for s in substeps],
            "seed": str(root.entropy),
            "ceiling": limit,
            "time_unit": model.time_unit,
        },
    )
    if watched:
        data["crossing_time"] = ("member", joined["crossing_time"])
    return Ensemble(data=data, complete=complete and not failed, message=message)
