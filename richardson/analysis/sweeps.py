"""Sweeps over parameter grids: any per-point analysis (:func:`sweep`) and regime maps
(:func:`stability_map`).

Work is cut into chunks that run in this process, on a :mod:`concurrent.futures` executor
or on a ``dask.distributed`` ``Client`` (same results either way), with a progress bar.
Ctrl-C returns the finished part, flagged as incomplete, with a warning.

Stability maps of linear models are batched: every grid point's Jacobian comes from one
call of the compiled Jacobian, and the largest real part of its eigenvalues from the closed
form (two actors), the Perron root of Metzler Jacobians (more actors whose cross-reactions are
non-negative, the Richardson family) or stacked ``numpy.linalg.eigvals`` (otherwise).
"""

from __future__ import annotations

import concurrent.futures
import functools
import itertools
import math
import numbers
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from tqdm.auto import tqdm

from ..errors import (
    InvalidParameterError,
    ModelError,
    RichardsonWarning,
    UnknownSymbolError,
    did_you_mean,
)
from ..model.core import Model
from ._family_map import few_entry_map
from .balances import _check_autonomous, _linear_parts
from .regimes import classify
from .results import REGIMES
from .verdicts import linear_verdicts

__all__ = ["sweep", "stability_map", "SweepInterrupted"]

#: Label of a map point whose analysis failed (the sweep goes on; see ``attrs["errors"]``).
FAILED = "failed"
_LINEAR_CHUNK = 200_000
#: Grid points judged together by the batched sampled verdicts (in this process): about
#: 12 000 runs per chunk, whose few points of long horizon then share a solver instead of
#: each chunk running its own, while a large map still shows its progress chunk by chunk.
_BATCHED_CHUNK = 256


class SweepInterrupted(RichardsonWarning):
    """A sweep was interrupted (Ctrl-C); the result holds the finished part."""


# ---------------------------------------------------------------------- grids
def _grid_axes(grid: Any) -> tuple[list[str], list[np.ndarray], pd.DataFrame | None]:
    """Names and 1-D value arrays of a Cartesian grid, or a table of points."""
    if isinstance(grid, pd.DataFrame):
        if grid.empty:
            raise ModelError("the grid table has no points")
        return [str(c) for c in grid.columns], [grid[c].to_numpy() for c in grid.columns], grid
    if not isinstance(grid, Mapping) or not grid:
        raise ModelError(
            "grid must be a mapping name -> 1-D sequence of values (a Cartesian "
            "grid) or a pandas DataFrame of points, e.g. {'k': np.linspace(0, 2, 51)}"
        )
    names, axes = [], []
    for name, values in grid.items():
        array = np.asarray(values)
        if array.ndim == 0:
            array = array[None]
        if array.ndim != 1 or array.size == 0:
            raise ModelError(f"grid values of {name!r} must be a non-empty 1-D sequence")
        names.append(str(name))
        axes.append(array)
    return names, axes, None


# ---------------------------------------------------------------------- execution
def _is_dask_client(executor: Any) -> bool:
    return type(executor).__module__.split(".")[0] == "distributed"


def _run_tasks(
    function: Callable,
    tasks: list[tuple],
    sizes: list[int],
    executor: Any,
    progress: bool | None,
    description: str,
) -> Iterator[tuple[int, Any]]:
    """Run ``function(*task)`` for every task; yield ``(task index, result)`` as they finish.

    Raises KeyboardInterrupt after cancelling what is still pending.
    """
    total = int(sum(sizes))
    show = (len(tasks) > 1) if progress is None else bool(progress)
    bar = tqdm(total=total, desc=description, unit="point", disable=not show)
    try:
        if executor is None:
            for index, task in enumerate(tasks):
                yield index, function(*task)
                bar.update(sizes[index])
            return
        if _is_dask_client(executor):
            from distributed import as_completed as dask_as_completed

            futures = [executor.submit(function, *task, pure=False) for task in tasks]
            position = {future.key: i for i, future in enumerate(futures)}
            try:
                for future in dask_as_completed(futures):
                    index = position[future.key]
                    yield index, future.result()
                    bar.update(sizes[index])
            except KeyboardInterrupt:
                executor.cancel(futures)
                raise
            return
        if not isinstance(executor, concurrent.futures.Executor):
            raise ModelError(
                f"executor must be a concurrent.futures executor or a dask.distributed Client, "
                f"not {type(executor).__name__}"
            )
        futures = {executor.submit(function, *task): i for i, task in enumerate(tasks)}
        try:
            for future in concurrent.futures.as_completed(futures):
                index = futures[future]
                yield index, future.result()
                bar.update(sizes[index])
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            raise
    finally:
        bar.close()


def _call_points(function: Callable, points: list[dict[str, Any]]) -> list[tuple[bool, Any]]:
    """Evaluate ``function(**point)`` for each point; a failure becomes ``(False, message)``."""
    out = []
    for point in points:
        try:
            out.append((True, function(**point)))
        except Exception as err:  # noqa: BLE001 -- a failed point is recorded, the sweep goes on
            out.append((False, f"{type(err).__name__}: {err}"))
    return out


def _default_chunk(n_points: int, executor: Any) -> int:
    if executor is None:
        return max(1, min(n_points, 64))
    return max(1, math.ceil(n_points / 32))


def sweep(
    func: Callable[..., Any],
    grid: Mapping[str, Any] | pd.DataFrame,
    executor: Any = None,
    progress: bool | None = None,
    chunk_size: int | None = None,
) -> xr.Dataset:
    """Run a per-point analysis over a parameter grid.

    Parameters
    ----------
    func : callable
        Called as ``func(**point)`` with one keyword per grid name (e.g. ``func(k=0.9,
        l=0.8)``). It may return a number, a string, a mapping name -> number (several
        outputs) or any other object. With a process pool or a dask cluster it must be
        picklable (a module-level function or a :func:`functools.partial` of one).
    grid : mapping or pandas.DataFrame
        ``{name: 1-D values}`` for the Cartesian product (one dimension per name, in this
        order), or a DataFrame whose rows are the points (dimension ``"point"``).
    executor : concurrent.futures.Executor or distributed.Client, optional
        Where to run the chunks; in this process by default. Results are the same either
        way and in grid order.
    progress : bool, optional
        Show a progress bar (default: when there is more than one chunk).
    chunk_size : int, optional
        Points per task (default 64 in process, about 1/32 of the grid on an executor).

    Returns
    -------
    xarray.Dataset
        One variable per output (``"value"`` when ``func`` returns a single value; numbers
        as float, other results as objects), a boolean ``"failed"`` variable, and attrs
        ``complete`` (False after Ctrl-C: unfinished points are NaN and flagged failed),
        ``errors`` (the first few failure messages) and ``function``.

    Raises
    ------
    ModelError
        If the grid or the executor is malformed.

    Examples
    --------
    >>> import richardson as rd, numpy as np
    >>> def growth(k, l):
    ...     return rd.classify(rd.richardson2(k=k, l=l)).growth_rate
    >>> ds = rd.sweep(growth, {"k": [0.5, 1.5], "l": [0.5, 1.5]}, progress=False)
    >>> ds["value"].shape
    (2, 2)
    """
    if not callable(func):
        raise ModelError(f"func must be callable, not {type(func).__name__}")
    names, axes, table = _grid_axes(grid)
    if table is not None:
        points = [
            dict(zip(names, row, strict=True))
            for row in zip(*[np.asarray(a).tolist() for a in axes], strict=True)
        ]
        shape, dims = (len(points),), ("point",)
        coords = {"point": np.arange(len(points))} | {
            n: ("point", a) for n, a in zip(names, axes, strict=True)
        }
    else:
        points = [
            dict(zip(names, combo, strict=True))
            for combo in itertools.product(*[a.tolist() for a in axes])
        ]
        shape, dims = tuple(len(a) for a in axes), tuple(names)
        coords = dict(zip(names, axes, strict=True))
    size = int(chunk_size) if chunk_size else _default_chunk(len(points), executor)
    starts = list(range(0, len(points), max(1, size)))
    tasks = [(func, points[s : s + size]) for s in starts]
    results: list[tuple[bool, Any] | None] = [None] * len(points)
    complete = True
    try:
        for index, chunk in _run_tasks(
            _call_points, tasks, [len(t[1]) for t in tasks], executor, progress, "sweep"
        ):
            results[starts[index] : starts[index] + len(chunk)] = chunk
    except KeyboardInterrupt:
        complete = False
        done = sum(r is not None for r in results)
        warnings.warn(
            f"sweep interrupted after {done} of {len(points)} points; returning the "
            "finished part (attrs['complete'] is False)",
            SweepInterrupted,
            stacklevel=2,
        )
    return _assemble(results, shape, dims, coords, complete, getattr(func, "__name__", repr(func)))


def _assemble(results, shape, dims, coords, complete, function_name):  # noqa: ANN001, ANN202
    failed = np.array([r is None or not r[0] for r in results]).reshape(shape)
    errors = [f"{i}: {r[1]}" for i, r in enumerate(results) if r is not None and not r[0]]
    values = [r[1] if (r is not None and r[0]) else None for r in results]
    first = next((v for v in values if v is not None), None)
    variables: dict[str, Any] = {}
    if isinstance(first, Mapping):
        keys = list(first)
        for key in keys:
            column = [v.get(key) if isinstance(v, Mapping) else None for v in values]
            variables[str(key)] = (dims, _column_array(column).reshape(shape))
    else:
        variables["value"] = (dims, _column_array(values).reshape(shape))
    variables["failed"] = (dims, failed)
    return xr.Dataset(
        variables,
        coords=coords,
        attrs={
            "complete": complete,
            "errors": errors[:20],
            "n_failed": int(failed.sum()),
            "function": function_name,
        },
    )


def _column_array(column: list[Any]) -> np.ndarray:
    present = [v for v in column if v is not None]
    if present and all(isinstance(v, (numbers.Real, np.bool_)) for v in present):
        return np.array([np.nan if v is None else float(v) for v in column])
    array = np.empty(len(column), dtype=object)
    array[:] = column
    return array


# ---------------------------------------------------------------------- stability maps
class _PortableModel:
    """A model that crosses process boundaries: pickled as its fields, rebuilt once per worker."""

    def __init__(self, model: Model) -> None:
        self.model = model

    def __getstate__(self) -> dict[str, Any]:
        m = self.model
        return {
            "states": m.states,
            "params": dict(m.params),
            "rhs": m.rhs,
            "kind": m.kind,
            "actors": m.actors,
            "blocs": dict(m.blocs),
            "name": m.name,
            "description": m.description,
            "state_unit": m.state_unit,
            "time_unit": m.time_unit,
            "initial": dict(m.initial),
            "interventions": m.interventions,
            "metadata": dict(m.metadata),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.model = Model(**state)


def _classify_points(
    portable: _PortableModel,
    base: dict[str, float],
    options: dict[str, Any],
    points: list[dict[str, float]],
) -> list[tuple[str, float, str]]:
    out = []
    for point in points:
        try:
            regime = classify(portable.model, {**base, **point}, **options)
            out.append((regime.name, regime.growth_rate, ""))
        except Exception as err:  # noqa: BLE001 -- a failed point is recorded, the map goes on
            out.append((FAILED, math.nan, f"{type(err).__name__}: {err}"))
    return out


#: Options of :func:`classify` the batched sampled verdicts take; any other goes per point.
_BATCHED_OPTIONS = frozenset({"region", "n_samples", "horizon", "seed"})


def _classify_points_batched(
    portable: _PortableModel,
    base: dict[str, float],
    options: dict[str, Any],
    points: list[dict[str, float]],
) -> list[tuple[str, float, str]]:
    """:func:`_classify_points` for a chunk of points judged together (see ._sampled_batch)."""
    from ._sampled_batch import classify_many

    model = portable.model
    P = np.array([model.param_vector({**base, **point}) for point in points]).T
    try:
        verdicts = classify_many(model, model.compile(), P, **options)
    except Exception:  # noqa: BLE001 -- e.g. a malformed region: each point says why
        return _classify_points(portable, base, options, points)
    out = []
    for verdict in verdicts:
        if isinstance(verdict, Exception):
            out.append((FAILED, math.nan, f"{type(verdict).__name__}: {verdict}"))
        else:
            out.append((verdict.name, verdict.growth_rate, ""))
    return out


def _linear_chunk(A: np.ndarray, b: np.ndarray, discrete: bool) -> tuple[np.ndarray, np.ndarray]:
    return linear_verdicts(A, b, discrete)


def _check_finite_grid(model, names, axes, base, fixed) -> None:  # noqa: ANN001
    """Refuse NaN or infinite grid values and parameters, naming the culprit."""
    for name, axis in zip(names, axes, strict=True):
        bad = np.nonzero(~np.isfinite(axis))[0]
        if bad.size:
            raise InvalidParameterError(
                f"grid value {name}[{bad[0]}] is {axis[bad[0]]}; every grid value must be a "
                f"finite number: drop it from the values of {name!r}."
            )
    for name, value in zip(model.param_names, base, strict=True):
        if name not in names and not np.isfinite(value):
            where = "fixed=..." if name in fixed else "the model's default"
            raise InvalidParameterError(
                f"parameter {name!r} is {value} (from {where}); give it a finite value."
            )


def stability_map(
    model: Model,
    grid: Mapping[str, Any],
    fixed: Mapping[str, float] | None = None,
    executor: Any = None,
    progress: bool | None = None,
    chunk_size: int | None = None,
    batched: bool = True,
    **classify_options: Any,
) -> xr.DataArray:
    """Regime of every point of a parameter grid, with the largest growth rate alongside.

    Linear models (the Richardson family) are computed in batches: all Jacobians of a
    chunk in one call of the compiled Jacobian, the eigenvalues by the closed form
    ``tr/2 + sqrt(tr^2/4 - det)`` for two actors, the Perron root (Noda iteration) for
    Metzler Jacobians of more actors, and otherwise stacked ``numpy.linalg.eigvals``.
    When each grid parameter moves its own few Jacobian entries (a map over two reaction
    coefficients of a many-actor model), no per-point Jacobian is built at all: the Jacobian
    is evaluated along each axis and every point's largest real part comes from its
    characteristic polynomial, a small combination of fixed polynomials (the Perron root for
    Metzler Jacobians; otherwise, up to twelve actors, the rightmost root certified by
    Routh's test). ``attrs["method"]`` says which path ran.
    Nonlinear models get the verdict :func:`classify` gives at each point, computed for the
    points of a chunk together: one Newton iteration for all their balances, one batched
    simulation (maps: one array iteration) of all their sampled starts, each point's runs on
    its own horizon, and one Lyapunov computation for the maps that may be chaotic; use
    ``executor`` to spread the chunks.

    Parameters
    ----------
    model : Model
        An autonomous model.
    grid : mapping
        Parameter name -> 1-D values (in the parameter's units); usually two, giving a map,
        e.g. ``{"k": np.linspace(0, 2, 201), "l": np.linspace(0, 2, 201)}``.
    fixed : mapping, optional
        Values of other parameters for the whole map (defaults of the model otherwise).
    executor : concurrent.futures.Executor or distributed.Client, optional
        Where to run the chunks (see :func:`sweep`); same result either way.
    progress : bool, optional
        Show a progress bar (default: when there is more than one chunk).
    chunk_size : int, optional
        Grid points per task (linear default 200 000; nonlinear 256 in this process, 64
        when ``batched=False``, about 1/32 of the grid on an executor).
    batched : bool
        Nonlinear models: judge the points of a chunk together (default). ``False`` calls
        :func:`classify` point by point, the reference the batched verdicts are tested
        against (the same regimes, but for runs sitting on a tolerance boundary) and about
        ten times slower. Options other than ``region``, ``n_samples``, ``horizon`` and
        ``seed`` are judged point by point.
    **classify_options
        Passed to :func:`classify` for nonlinear models (``region``, ``n_samples``, ...).

    Returns
    -------
    xarray.DataArray
        Named ``"regime"``: a regime name (see :data:`REGIMES`; ``"failed"`` where the
        analysis failed) at each grid point, dims = grid names. Coordinate ``max_real_eig``
        (same dims) holds the growth rate behind the verdict, 1/time unit: the largest real
        part of the eigenvalues (linear ODEs; positive = runaway), spectral radius minus
        one (linear maps) or :attr:`Regime.growth_rate` (nonlinear models). ``attrs``: model
        name, fixed parameters, method, ``complete`` (False after Ctrl-C) and errors.

    Raises
    ------
    ModelError
        For unknown parameter names or a malformed grid.
    InvalidParameterError
        For a NaN or infinite grid value or fixed parameter (the message names it).

    Examples
    --------
    >>> import numpy as np, richardson as rd
    >>> m = rd.richardson2(a=1.0, b=1.1)
    >>> mp = rd.stability_map(m, {"k": np.linspace(0, 2, 5), "l": np.linspace(0, 2, 5)})
    >>> str(mp.sel(k=0.5, l=0.5).item()), str(mp.sel(k=1.5, l=1.5).item())
    ('stable_balance', 'runaway')
    """
    _check_autonomous(model, "stability_map")
    names, axes, table = _grid_axes(grid)
    if table is not None:
        raise ModelError(
            "stability_map needs a Cartesian grid {name: values}; use sweep for tables"
        )
    for name in names:
        if name not in model.param_index:
            raise UnknownSymbolError(
                f"grid names {name!r}, which is not a parameter"
                f"{did_you_mean(name, model.param_names)}"
            )
    fixed = dict(fixed or {})
    for name in fixed:
        if name in names:
            raise ModelError(f"{name!r} is both in the grid and in fixed=...; keep one")
    base = model.param_vector(fixed)
    axes = [np.asarray(a, dtype=float) for a in axes]
    _check_finite_grid(model, names, axes, base, fixed)
    shape = tuple(len(a) for a in axes)
    n_points = int(np.prod(shape))
    compiled = model.compile()
    codes = np.full(n_points, -1, dtype=np.int16)
    growth = np.full(n_points, np.nan)
    errors: list[str] = []
    complete = True
    if compiled.is_linear:
        method = (
            "linear (closed form)"
            if model.n_states <= 2 and model.kind == "ode"
            else "linear (batched eigenvalues; Perron root for Metzler Jacobians)"
        )
        size = int(chunk_size) if chunk_size else _LINEAR_CHUNK
        starts = list(range(0, n_points, size))

        mesh: list[np.ndarray] = []  # the grid coordinates, built when first needed

        def parameters(start: int) -> np.ndarray:
            if not mesh:
                mesh.extend(c.ravel() for c in np.meshgrid(*axes, indexing="ij"))
            stop = min(start + size, n_points)
            values = np.repeat(base[:, None], stop - start, axis=1)
            for name, coordinate in zip(names, mesh, strict=True):
                values[model.param_index[name]] = coordinate[start:stop]
            return values

        def tasks() -> Iterator[tuple]:
            for start in starts:
                A, b = _linear_parts(compiled, parameters(start))
                yield A, b, model.kind == "map"

        task_list = list(tasks()) if executor is not None else None
        fast = None
        if executor is None and chunk_size is None and model.kind == "ode" and model.n_states > 2:
            # a model of many actors mapped over a few coefficients: see ._family_map
            fast = few_entry_map(compiled, base, [model.param_index[name] for name in names], axes)
        try:
            if fast is not None:
                codes[:], growth[:] = fast
                method = "linear (characteristic polynomials of the grid)"
            elif executor is None:
                show = (len(starts) > 1) if progress is None else bool(progress)
                with tqdm(
                    total=n_points, desc="stability map", unit="point", disable=not show
                ) as bar:
                    for start, task in zip(starts, tasks(), strict=True):
                        chunk_codes, chunk_growth = _linear_chunk(*task)
                        codes[start : start + len(chunk_codes)] = chunk_codes
                        growth[start : start + len(chunk_codes)] = chunk_growth
                        bar.update(len(chunk_codes))
            else:
                sizes = [t[1].shape[1] for t in task_list]
                for index, (chunk_codes, chunk_growth) in _run_tasks(
                    _linear_chunk, task_list, sizes, executor, progress, "stability map"
                ):
                    start = starts[index]
                    codes[start : start + len(chunk_codes)] = chunk_codes
                    growth[start : start + len(chunk_codes)] = chunk_growth
        except KeyboardInterrupt:
            complete = False
    else:
        batched = bool(batched) and set(classify_options) <= _BATCHED_OPTIONS
        method = (
            "sampled (the points of a chunk batched)"
            if batched
            else "sampled (classify at each point)"
        )
        base_dict = dict(zip(model.param_names, base.tolist(), strict=True))
        points = [
            dict(zip(names, combo, strict=True))
            for combo in itertools.product(*[a.tolist() for a in axes])
        ]
        if chunk_size:
            size = int(chunk_size)
        elif batched and executor is None:
            size = max(1, min(n_points, _BATCHED_CHUNK))
        else:
            size = _default_chunk(n_points, executor)
        starts = list(range(0, n_points, size))
        function = functools.partial(
            _classify_points_batched if batched else _classify_points,
            _PortableModel(model),
            base_dict,
            dict(classify_options),
        )
        task_list = [(points[s : s + size],) for s in starts]
        try:
            for index, chunk in _run_tasks(
                function,
                task_list,
                [len(t[0]) for t in task_list],
                executor,
                progress,
                "stability map",
            ):
                for offset, (label, rate, error) in enumerate(chunk):
                    position = starts[index] + offset
                    codes[position] = REGIMES.index(label) if label in REGIMES else len(REGIMES)
                    growth[position] = rate
                    if error:
                        errors.append(f"{points[position]}: {error}")
        except KeyboardInterrupt:
            complete = False
    if not complete:
        warnings.warn(
            f"stability map interrupted after {int(np.sum(codes >= 0))} of {n_points} "
            "points; unfinished points are labelled 'failed'",
            SweepInterrupted,
            stacklevel=2,
        )
    labels = np.array([*REGIMES, FAILED])[np.where(codes < 0, len(REGIMES), codes)].reshape(shape)
    coords: dict[str, Any] = {
        name: xr.Variable(
            (name,),
            axis,
            {"units": model.params[name].unit, "long_name": model.params[name].description or name},
        )
        for name, axis in zip(names, axes, strict=True)
    }
    coords["max_real_eig"] = xr.Variable(
        tuple(names),
        growth.reshape(shape),
        {
            "long_name": "largest growth rate",
            "units": f"1/{model.time_unit}" if model.kind == "ode" else "",
        },
    )
    result = xr.DataArray(
        labels,
        dims=tuple(names),
        coords=coords,
        name="regime",
        attrs={
            "model": model.name or "model",
            "fixed": {k: float(v) for k, v in fixed.items()},
            "method": method,
            "regimes": list(REGIMES),
            "complete": complete,
            "errors": errors[:20],
            "time_unit": model.time_unit,
        },
    )
    return result
