"""What the explorer shows for one parameter set, computed without drawing anything.

:func:`compute_frame` is the explorer's update: the verdict (:func:`richardson.classify`), the
escalation margin, the balances projected on the plane drawn, the vector field and the
nullcline fields on a grid of that plane, the threshold between basins (the stable manifold
of a saddle, two-state models) and the trajectory from the current start. It reuses the
compiled model of the :class:`FrameSpec` and never recompiles; `benchmarks/bench_explore.py`
times it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.integrate

from ..analysis.margin import EscalationMargin, escalation_margin
from ..analysis.regimes import classify
from ..analysis.results import Equilibrium, Regime
from ..errors import RichardsonError
from ..model.core import Model

__all__ = ["FrameSpec", "Frame", "compute_frame"]

#: Arrows per axis of the vector field, and grid points per axis of the nullcline fields.
ARROWS = 15
NULLCLINE_GRID = 41


@dataclass(frozen=True)
class FrameSpec:
    """What stays fixed while the sliders move: the model, its compiled code and the view.

    Attributes
    ----------
    model : Model
        The model explored.
    compiled : CompiledModel
        ``model.compile()``, made once.
    plane : tuple of int
        Indices of the two states drawn (one index for a one-state model).
    xlim, ylim : tuple of float
        Window of the phase plane (state units).
    t_end : float
        Length of the time series (time units; steps for maps).
    margin : bool
        Whether the escalation margin is computed on every update.
    """

    model: Model
    compiled: Any
    plane: tuple[int, ...]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    t_end: float
    margin: bool = True


@dataclass(frozen=True, eq=False)
class Frame:
    """Everything one redraw needs (arrays in state units).

    Attributes
    ----------
    params : mapping
        Parameter set of this frame.
    start : numpy.ndarray
        Start of the trajectory, shape ``(n,)``.
    regime : Regime
        Verdict of :func:`richardson.classify` with ``y0=start``.
    margin : EscalationMargin or None
        Escalation margin (None when not computed, with the reason in ``notes``).
    balances : tuple of Equilibrium
        Balances of the parameter set.
    slice_ : numpy.ndarray
        State at which the states not drawn are held (their balance, else the start).
    grid_x, grid_y, u, v : numpy.ndarray
        Arrow positions and normalised directions of the vector field in the plane.
    field_x, field_y, fx, fy : numpy.ndarray
        Grid and the rates of the two states drawn (nullclines are their zero contours).
    separatrix : numpy.ndarray
        Points ``(m, 2)`` of the threshold between basins in the plane (empty when none).
    times, states : numpy.ndarray
        Time series from ``start``: times ``(t,)`` and states ``(t, n)``.
    notes : tuple of str
        What could not be computed, and why.
    """

    params: Mapping[str, float]
    start: np.ndarray
    regime: Regime
    margin: EscalationMargin | None
    balances: tuple[Equilibrium, ...]
    slice_: np.ndarray
    grid_x: np.ndarray
    grid_y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    field_x: np.ndarray
    field_y: np.ndarray
    fx: np.ndarray
    fy: np.ndarray
    separatrix: np.ndarray
    times: np.ndarray
    states: np.ndarray
    notes: tuple[str, ...] = field(default_factory=tuple)


def compute_frame(spec: FrameSpec, params: Mapping[str, float], start: np.ndarray) -> Frame:
    """The explorer's update for one parameter set: verdict, margin, field and trajectory.

    Parameters
    ----------
    spec : FrameSpec
        Model, compiled code and view.
    params : mapping
        Full parameter set (name -> value, the model's units).
    start : numpy.ndarray
        Start of the time series, shape ``(n,)`` (state units).

    Returns
    -------
    Frame
    """
    model, compiled = spec.model, spec.compiled
    p = model.param_vector(params)
    start = np.asarray(start, dtype=float)
    notes: list[str] = []
    options = {} if compiled.is_linear else {"n_samples": 12}
    regime = classify(model, params, y0=start, **options)
    margin = None
    if spec.margin:
        try:
            margin = escalation_margin(model, params, budget=1.0)
        except RichardsonError as err:
            notes.append(f"No escalation margin: {err}")
    else:
        notes.append("The margin is off (nonlinear models: tick 'margin' to compute it).")
    balances = tuple(regime.equilibria)
    slice_ = _slice(balances, start)
    times, states = _trajectory(model, compiled, p, start, spec.t_end)
    i = spec.plane[0]
    j = spec.plane[1] if len(spec.plane) > 1 else None
    gx, gy, u, v = _arrows(model, compiled, p, slice_, i, j, spec)
    fxg, fyg, fx, fy = _rates(model, compiled, p, slice_, i, j, spec)
    separatrix = np.empty((0, 2))
    if model.kind == "ode" and model.n_states == 2 and j is not None:
        separatrix = _separatrix(compiled, p, balances, spec)
    return Frame(
        params=dict(zip(model.param_names, p.tolist(), strict=True)),
        start=start,
        regime=regime,
        margin=margin,
        balances=balances,
        slice_=slice_,
        grid_x=gx,
        grid_y=gy,
        u=u,
        v=v,
        field_x=fxg,
        field_y=fyg,
        fx=fx,
        fy=fy,
        separatrix=separatrix,
        times=times,
        states=states,
        notes=tuple(notes),
    )


def _slice(balances: tuple[Equilibrium, ...], start: np.ndarray) -> np.ndarray:
    """Where the states not drawn are held: the first stable non-negative balance, else the
    first non-negative balance, else the start."""
    for wanted in (True, False):
        for eq in balances:
            if (
                (eq.stable or not wanted)
                and np.all(eq.state >= 0)
                and np.all(np.isfinite(eq.state))
            ):
                return eq.state.copy()
    return start.copy()


def _points(slice_: np.ndarray, i: int, j: int | None, xs: np.ndarray, ys: np.ndarray):
    """States ``(n, m)`` with state i at ``xs`` and state j at ``ys``, the rest at ``slice_``."""
    points = np.repeat(slice_[:, None], xs.size, axis=1)
    points[i] = xs.ravel()
    if j is not None:
        points[j] = ys.ravel()
    return points


def _field(model: Model, compiled: Any, p: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Rates (ODE) or steps ``f(x) - x`` (maps) at ``points``, shape ``(n, m)``."""
    with np.errstate(all="ignore"):
        values = compiled.rhs(0.0, points, p)
    return values - points if model.kind == "map" else values


def _arrows(model, compiled, p, slice_, i, j, spec):  # noqa: ANN001, ANN202
    xs = np.linspace(*spec.xlim, ARROWS)
    ys = np.linspace(*spec.ylim, ARROWS)
    gx, gy = np.meshgrid(xs, ys)
    rates = _field(model, compiled, p, _points(slice_, i, j, gx, gy))
    u = rates[i].reshape(gx.shape)
    v = rates[j].reshape(gx.shape) if j is not None else np.zeros_like(u)
    size = np.hypot(u, v)
    size = np.where(np.isfinite(size) & (size > 0), size, 1.0)
    return gx, gy, np.nan_to_num(u / size), np.nan_to_num(v / size)


def _rates(model, compiled, p, slice_, i, j, spec):  # noqa: ANN001, ANN202
    xs = np.linspace(*spec.xlim, NULLCLINE_GRID)
    ys = np.linspace(*spec.ylim, NULLCLINE_GRID)
    gx, gy = np.meshgrid(xs, ys)
    rates = _field(model, compiled, p, _points(slice_, i, j, gx, gy))
    fx = rates[i].reshape(gx.shape)
    fy = rates[j].reshape(gx.shape) if j is not None else np.zeros_like(fx)
    return gx, gy, fx, fy


def _trajectory(
    model: Model, compiled: Any, p: np.ndarray, start: np.ndarray, t_end: float
) -> tuple[np.ndarray, np.ndarray]:
    """Time series from ``start``: the model's interventions applied, escalation cut off at
    1e6 times the start's scale (the rest of the series is NaN)."""
    from ..simulation.integrate import simulate
    from ..simulation.iteration import iterate

    params = dict(zip(model.param_names, p.tolist(), strict=True))
    if model.kind == "map":
        run = iterate(model, int(t_end), start, params=params)
        return np.asarray(run.time, dtype=float), np.asarray(run.values, dtype=float)
    scale = max(1.0, float(np.max(np.abs(start))))
    method = "exact" if compiled.is_linear and not model.interventions else "RK45"
    try:
        run = simulate(
            model,
            (0.0, t_end),
            start,
            params=params,
            t_eval=np.linspace(0.0, t_end, 201),
            method=method,
            ceiling=1e6 * scale,
        )
    except RichardsonError:
        return np.linspace(0.0, t_end, 201), np.full((201, model.n_states), np.nan)
    return np.asarray(run.time, dtype=float), np.asarray(run.values, dtype=float)


def _separatrix(
    compiled: Any, p: np.ndarray, balances: tuple[Equilibrium, ...], spec: FrameSpec
) -> np.ndarray:
    """The stable manifolds of the saddles in the window: integrated backwards from each
    saddle along its stable eigenvector until they leave the window (NaN between pieces)."""
    pieces = []
    width = max(spec.xlim[1] - spec.xlim[0], spec.ylim[1] - spec.ylim[0])
    for eq in balances:
        if eq.kind != "saddle":
            continue
        real = eq.eigenvalues.real
        stable = int(np.argmin(real))
        direction = np.real(eq.eigenvectors[:, stable])
        norm = float(np.linalg.norm(direction))
        if norm == 0 or not np.all(np.isfinite(direction)):
            continue
        direction = direction / norm
        rate = abs(float(real[stable])) or 1.0
        for sign in (1.0, -1.0):
            y0 = eq.state + sign * 1e-6 * width * direction
            piece = _backwards(compiled, p, y0, spec, horizon=40.0 / rate)
            pieces += [piece[::-1] if sign > 0 else piece, np.full((1, 2), np.nan)]
    return np.vstack(pieces) if pieces else np.empty((0, 2))


def _backwards(compiled: Any, p: np.ndarray, y0: np.ndarray, spec: FrameSpec, horizon: float):  # noqa: ANN202
    (x0, x1), (y0_, y1) = spec.xlim, spec.ylim
    pad_x, pad_y = 0.5 * (x1 - x0), 0.5 * (y1 - y0_)

    def leave(t: float, y: np.ndarray) -> float:
        inside = min(
            y[0] - (x0 - pad_x), (x1 + pad_x) - y[0], y[1] - (y0_ - pad_y), (y1 + pad_y) - y[1]
        )
        return inside

    leave.terminal = True  # type: ignore[attr-defined]
    try:
        run = scipy.integrate.solve_ivp(
            lambda t, y: -compiled.rhs(0.0, y, p),
            (0.0, horizon),
            y0,
            events=leave,
            rtol=1e-6,
            atol=1e-9 * max(1.0, float(np.max(np.abs(y0)))),
            max_step=horizon / 100,
        )
    except (ValueError, ArithmeticError):
        return np.full((1, 2), np.nan)
    return run.y.T if run.y.size else np.full((1, 2), np.nan)


def default_window(model: Model, balances: tuple[Equilibrium, ...], start: np.ndarray, plane):  # noqa: ANN001, ANN201
    """``(xlim, ylim)``: from 0 to 1.6 times the largest non-negative balance or start of
    each state drawn (1 when all are 0)."""
    limits = []
    for k in plane:
        values = [float(start[k])] + [
            float(eq.state[k])
            for eq in balances
            if np.all(np.isfinite(eq.state)) and eq.state[k] >= 0
        ]
        top = max([abs(v) for v in values] + [0.0])
        top = 1.6 * top if top > 0 and math.isfinite(top) else 1.0
        limits.append((0.0, top))
    if len(limits) == 1:
        limits.append((0.0, 1.0))
    return limits[0], limits[1]
