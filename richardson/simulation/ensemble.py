"""Many runs as one batched system: :func:`simulate_ensemble` integrates ``m`` parameter sets
(and initial states) as one vectorised ODE of ``n * m`` states, with a block-diagonal
Jacobian for implicit solvers.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from tqdm import tqdm

from ..errors import ModelError, SimulationError, UnknownSymbolError, did_you_mean
from ..model.core import Model
from ..model.delays import refuse_delays
from ..model.interventions import Intervention, Schedule
from ._batch import ENSEMBLE_MAX_STEPS, Batch
from ._inputs import (
    ceiling_value,
    check_floor,
    check_initial,
    check_params,
    output_times,
)
from .integrate import _interventions, _segments, _time_span
from .trajectory import Ensemble

__all__ = ["grid", "simulate_ensemble"]


# ---------------------------------------------------------------------- grids
def grid(**axes: Any) -> pd.DataFrame:
    """Every combination of the given parameter values: a Cartesian grid of parameter sets.

    Parameters
    ----------
    **axes : 1-D sequences of float
        Parameter name -> its values (in the parameter's units), e.g.
        ``k=np.linspace(0.5, 1.5, 5), l=[0.8, 1.0]``. The first name varies slowest.

    Returns
    -------
    pandas.DataFrame
        One row per combination (``len(k) * len(l) * ...`` rows), one column per name, ready
        as ``param_sets`` of :func:`simulate_ensemble`. ``attrs["grid"]`` names the axes: an
        ensemble over a grid indexes its members by them, so that
        ``ens.data["spending"].sel(k=1.0, l=0.8)`` is one member and
        ``ens.data.unstack("member")`` has one dimension per axis.

    Raises
    ------
    SimulationError
        If no axis is given, or an axis is not a non-empty 1-D sequence of finite numbers.

    Examples
    --------
    >>> import richardson as rd
    >>> table = rd.grid(k=[0.5, 1.0, 1.5], l=[0.8, 1.2])
    >>> len(table), list(table.columns), table.iloc[1].tolist()
    (6, ['k', 'l'], [0.5, 1.2])
    """
    if not axes:
        raise SimulationError("grid needs at least one axis, e.g. rd.grid(k=[0.5, 1.0])")
    values = []
    for name, axis in axes.items():
        try:
            array = np.asarray(axis, dtype=float)
        except (TypeError, ValueError) as err:
            raise SimulationError(f"grid values of {name!r} must be numbers, not {axis!r}") from err
        array = np.atleast_1d(array)
        if array.ndim != 1 or array.size == 0 or not np.all(np.isfinite(array)):
            raise SimulationError(
                f"grid values of {name!r} must be a non-empty 1-D sequence of finite numbers"
            )
        values.append(array)
    mesh = np.meshgrid(*values, indexing="ij")
    table = pd.DataFrame({name: m.ravel() for name, m in zip(axes, mesh, strict=True)})
    table.attrs["grid"] = list(axes)
    return table


# ---------------------------------------------------------------------- ensembles
def _param_array(model: Model, param_sets: Any) -> np.ndarray:
    """Full parameter vectors, one column per member: shape ``(P, m)``."""
    base = model.param_vector()
    index = model.param_index
    if isinstance(param_sets, pd.DataFrame):
        columns = {c: param_sets[c].to_numpy(dtype=float) for c in param_sets.columns}
    elif isinstance(param_sets, Mapping):
        columns = {c: np.atleast_1d(np.asarray(v, dtype=float)) for c, v in param_sets.items()}
    elif isinstance(param_sets, np.ndarray) and param_sets.ndim == 2:
        if param_sets.shape[1] != len(base):
            raise SimulationError(
                f"param_sets array has {param_sets.shape[1]} columns but the model has "
                f"{len(base)} parameters; give shape (members, {len(base)}) or a DataFrame"
            )
        return np.ascontiguousarray(param_sets.T, dtype=float)
    else:
        rows = list(param_sets)
        if not rows or not all(isinstance(r, Mapping) for r in rows):
            raise SimulationError(
                "param_sets must be a DataFrame, a mapping name -> values, a list of dicts or an "
                "array of shape (members, n_params)"
            )
        names = sorted({name for r in rows for name in r})
        columns = {
            n: np.array([r.get(n, base[index[n]] if n in index else np.nan) for r in rows])
            for n in names
        }
    lengths = {len(v) for v in columns.values()}
    if len(lengths) != 1:
        raise SimulationError(f"parameter columns have different lengths {sorted(lengths)}")
    (m,) = lengths
    array = np.repeat(base[:, None], m, axis=1)
    for name, values in columns.items():
        if name not in index:
            raise UnknownSymbolError(
                f"{name!r} is not a parameter of this model{did_you_mean(name, index)}"
            )
        array[index[name]] = values
    check_params(model.param_names, array, " in param_sets")
    return array


def _initial_array(model: Model, y0: Any, m: int) -> np.ndarray:
    if y0 is None or isinstance(y0, Mapping):
        return np.repeat(model.initial_vector(y0)[:, None], m, axis=1)
    array = np.asarray(y0, dtype=float)
    if array.ndim == 1:
        return np.repeat(model.initial_vector(array)[:, None], m, axis=1)
    if array.shape != (m, model.n_states):
        raise SimulationError(
            f"y0 must have shape ({model.n_states},) or ({m}, {model.n_states}), not {array.shape}"
        )
    return np.ascontiguousarray(array.T)


def simulate_ensemble(
    model: Model,
    param_sets: Any,
    t_span: Sequence[float],
    y0: Any = None,
    t_eval: Any = None,
    method: str = "RK45",
    interventions: Sequence[Intervention] = (),
    ceiling: float | None = None,
    floor: float | None = None,
    rtol: float = 1e-8,
    atol: float = 1e-10,
    chunk_size: int = 5000,
    progress: bool | None = None,
    max_steps: int = ENSEMBLE_MAX_STEPS,
) -> Ensemble:
    """Integrate one model for many parameter sets as one batched system.

    All members of a chunk are stacked into one vector and integrated together, the
    compiled right-hand side evaluating every member in one vectorised call.

    Parameters
    ----------
    model : Model
        An ODE model.
    param_sets : DataFrame, mapping, list of dicts or array
        One parameter set per member: a DataFrame (columns = parameter names), a
        Cartesian grid from :func:`grid` (``rd.grid(k=[...], l=[...])``: every combination;
        the members are then indexed by the grid's axes), a mapping name -> array of values
        (one member per position, not a product), a list of dicts, or an array
        ``(members, n_params)`` of full parameter vectors. Parameters not given keep their
        defaults.
    t_span : pair of float
        Start and end time (model time unit).
    y0 : sequence, mapping or array, optional
        Initial state shared by all members, or an array ``(members, n_states)``.
    t_eval : array_like, optional
        Output times; 201 equally spaced points by default.
    method : {"RK45", "DOP853", "RK23", "BDF", "Radau"}
        Solver; the implicit ones get a sparse block-diagonal Jacobian.
    interventions : sequence of Intervention
        Applied to every member (added to the model's own).
    ceiling : float, optional
        Level of ``|spending|`` at which a member counts as runaway; that member is frozen
        there and its crossing time located exactly on the solver's dense output. Defaults
        to a guard at ``GUARD_FACTOR * max(1, max|y0|)`` (at most ``1e300``). A member
        whose rate overflows counts as runaway at once.
    floor : float, optional
        Lower bound on every state (see :func:`simulate`).
    rtol, atol : float
        Solver tolerances (the step size follows the most demanding member).
    chunk_size : int
        Members integrated together; smaller chunks show progress more often.
    progress : bool, optional
        Show a progress bar; by default shown when there is more than one chunk.
    max_steps : int
        Step budget of a chunk per segment. When it is used up (or the solver fails), the
        members forcing the small steps (stiff or fast) are stopped and flagged as failed,
        and the others go on.

    Returns
    -------
    Ensemble
        ``data["status"]`` is 0 for a member integrated over the whole span, 1 for runaway,
        2 for a collapse (spending driven below ``-ceiling``; time in
        ``data["collapse_time"]``), -1 for a member stopped by a NaN rate or stiffness (its
        spending is NaN from then on; ``message`` says why). ``complete`` is False when any
        member failed or the run was interrupted (Ctrl-C returns the members finished so
        far).

    Raises
    ------
    SimulationError
        For a bad method, time span, output times, initial states, floor or ceiling.
    InvalidParameterError
        For a NaN or infinite parameter value (the message names parameter and member).
    """
    if model.kind != "ode":
        raise ModelError("this model is a map (kind='map'); iterate it with richardson.iterate")
    refuse_delays(model, "simulate_ensemble")
    if method not in ("RK45", "DOP853", "RK23", "BDF", "Radau"):
        raise SimulationError(
            f"method {method!r} is not available for ensembles; use 'RK45', 'DOP853', 'RK23', "
            "'BDF' or 'Radau'"
        )
    t0, t1 = _time_span(t_span, model)
    times = output_times(t_eval, t0, t1)
    floor = check_floor(floor)
    if int(max_steps) != max_steps or max_steps < 1:
        raise SimulationError(f"max_steps must be a positive whole number, not {max_steps!r}.")
    parameters = _param_array(model, param_sets)
    m = parameters.shape[1]
    initial = _initial_array(model, y0, m)
    check_initial(initial, model.states)
    if floor is not None and np.any(initial < floor):
        raise SimulationError(
            f"an initial state lies below floor={floor}; raise y0 or lower the floor."
        )
    applied = _interventions(model, interventions)
    schedule = Schedule(model.param_index, applied)
    compiled = model.compile()
    limit = ceiling_value(ceiling, initial)[0]
    options = (limit, floor, method, rtol, atol, int(max_steps))
    chunk_size = max(1, int(chunk_size))
    starts = list(range(0, m, chunk_size))
    show = len(starts) > 1 if progress is None else bool(progress)
    results, messages, complete = [], [], True
    bar = tqdm(total=m, desc="ensemble", unit="run", disable=not show)
    try:
        for start in starts:
            chunk = slice(start, min(start + chunk_size, m))
            results.append(
                _ensemble_chunk(
                    compiled,
                    schedule,
                    parameters[:, chunk],
                    initial[:, chunk],
                    t0,
                    t1,
                    times,
                    options,
                    messages,
                )
            )
            bar.update(chunk.stop - chunk.start)
    except KeyboardInterrupt:
        complete = False
        warnings.warn(
            f"ensemble interrupted after {sum(r[0].shape[0] for r in results)} of {m} "
            "runs; returning the finished ones",
            RuntimeWarning,
            stacklevel=2,
        )
    finally:
        bar.close()
    if not results:
        raise SimulationError("ensemble interrupted before the first chunk finished")
    spending = np.concatenate([r[0] for r in results], axis=0)
    runaway_time = np.concatenate([r[1] for r in results])
    runaway_actor = np.concatenate([r[2] for r in results])
    status = np.concatenate([r[3] for r in results])
    collapse_time = np.concatenate([r[4] for r in results])
    done = spending.shape[0]
    failed = int(np.sum(status < 0))
    if failed:
        complete = False
        messages.insert(0, f"{failed} of {done} members failed")
    if floor is not None:
        spending = (
            np.fmax(spending, floor)
            if not failed
            else np.where(np.isnan(spending), np.nan, np.maximum(spending, floor))
        )
    coords = {
        "member": np.arange(done),
        "time": times,
        "actor": list(model.actors),
        "state": ("actor", list(model.states)),
    }
    varying = (
        [k for k in range(len(model.param_names)) if np.ptp(parameters[k, :done]) > 0]
        if done
        else []
    )
    axes = _grid_names(param_sets)
    for k in varying[:50]:
        coords[model.param_names[k]] = ("member", parameters[k, :done])
    for name in axes:  # every axis of a grid, even one of a single value
        coords[name] = ("member", parameters[model.param_index[name], :done])
    actor_names = np.array([model.actors[i] if i >= 0 else "" for i in runaway_actor], dtype=object)
    data = xr.Dataset(
        {
            "spending": (
                ("member", "time", "actor"),
                spending,
                {"long_name": "military spending"}
                | ({"units": model.state_unit} if model.state_unit else {}),
            ),
            "runaway_time": ("member", runaway_time),
            "runaway_actor": ("member", actor_names),
            "status": ("member", status),
            "collapse_time": ("member", collapse_time),
        },
        coords=coords,
        attrs={
            "model": model.name or "model",
            "method": method,
            "rtol": rtol,
            "atol": atol,
            "ceiling": limit,
            "time_unit": model.time_unit,
        },
    )
    if axes:  # members selectable by their grid values: data.sel(k=..., l=...)
        data = data.drop_vars("member").set_xindex(axes)
    return Ensemble(data=data, complete=complete, message="; ".join(messages))


def _grid_names(param_sets: Any) -> list[str]:
    """The axes of a :func:`grid` table (none for other parameter sets)."""
    if isinstance(param_sets, pd.DataFrame):
        return [str(name) for name in param_sets.attrs.get("grid", [])]
    return []


def _ensemble_chunk(compiled, schedule, parameters, initial, t0, t1, times, options, messages):  # noqa: ANN001, ANN202
    """One chunk through every segment: spending ``(m, T, n)``, runaway times and actors,
    and each member's status."""
    limit, floor, method, rtol, atol, max_steps = options
    batch = Batch(
        compiled.rhs, compiled.jac, times, initial, limit, floor, method, rtol, atol, max_steps, t0
    )
    segments = _segments(t0, t1, schedule)
    for index, (a, b) in enumerate(segments):
        constant = not schedule.varies_within(a, b)
        p_const = schedule.at(0.5 * (a + b), parameters) if constant else None

        def params_at(t: float, p_const=p_const, constant=constant) -> np.ndarray:
            return p_const if constant else schedule.at(t, parameters)

        batch.segment(a, b, index == len(segments) - 1, params_at)
    for member, reason in sorted(batch.reasons.items()):
        messages.append(f"member {member} stopped: {reason}")
    spending = np.transpose(batch.out, (2, 0, 1))
    return spending, batch.runaway_time, batch.runaway_actor, batch.fate, batch.collapse_time
