"""``backend="numba"``: one run, or many parameter sets, integrated in compiled code.

scipy's ``solve_ivp`` steps in Python, about 20-50 us per step whatever the model; for a
handful of states that is nearly all of a run's time, and JiTCODE (C from symengine, the
Fortran ``dopri5``) is ten to forty times faster on the classic model. This backend compiles
the model's right-hand side as a numba ``cfunc`` (an alliance model's as loops over its term
layout, ``_numba_kernels.alliance_rhs``, a tenth of a second; any other model's from its
scalar code, :mod:`richardson.codegen.numba_source`) and the
Dormand-Prince 5(4) pair with scipy's ``RK45`` step control (same tableau, error norm,
initial step, safety factors and quartic dense output) with ``numba.njit``: the algorithm of
``method="RK45"``, whose steps it follows until rounding differences in the error estimates
(tiny near a balance) pick other step sizes, so results agree within the tolerance (3e-8 at
rtol 1e-8 on the classic model over 100 years), not bit for bit. Numba is the optional extra
``[fast]``, imported here only when the backend is asked for.

Supported: ``method="RK45"``, no interventions, no ``ceiling``/``floor``/``max_step``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..codegen.numba_source import numba_rhs_source
from ..errors import SimulationError

__all__ = ["BACKENDS", "integrate_numba", "integrate_numba_many"]

BACKENDS = ("numpy", "numba")

_compiled: dict[str, Any] = {}


def _numba() -> Any:
    try:
        import numba
    except ImportError as err:
        raise SimulationError(
            'backend="numba" needs numba: pip install "richardson[fast]" (or pip install '
            'numba), or use the default backend="numpy"'
        ) from err
    return numba


def _build(model: Any) -> tuple[Any, Any]:
    """(the model's compiled right-hand side, the kernels module), cached per model."""
    numba = _numba()
    from . import _numba_kernels as kernels

    key = model.fingerprint
    if key not in _compiled:
        layout = getattr(model.rhs, "layout", None)
        if layout is not None:  # an alliance model: loops over its term layout
            scope = _layout_scope(layout, kernels)
            source = _LAYOUT_SOURCE
        else:  # the scalar code of the sympy right-hand sides
            scope = {"numpy": np}
            source = numba_rhs_source(model)
        exec(compile(source, "<richardson-numba-rhs>", "exec"), scope)  # noqa: S102
        try:
            _compiled[key] = numba.cfunc(kernels.SIGNATURE)(scope["_f"])
        except Exception as err:  # numba's typing errors have no common public base
            raise SimulationError(
                f'backend="numba" cannot compile this model\'s right-hand side ({err}); use '
                "backend='numpy'"
            ) from err
    return _compiled[key], kernels


_LAYOUT_SOURCE = """\
def _f(t, y, p, out):
    _alliance_rhs(y, p, _PAIRS, _WEIGHTS, _ACTORS, _GAMMA, _WIDTH, out)
"""


def _layout_scope(layout: Any, kernels: Any) -> dict[str, Any]:
    """The arrays of ``kernels.alliance_rhs`` for one term layout (frozen into the cfunc)."""
    from ..model.terms import CEILING_WIDTH

    L, zero, one = layout, layout.zero, layout.one

    def block(kind: int, rows: np.ndarray, cols, param, weight=None) -> np.ndarray:  # noqa: ANN001
        """One kind of pairwise term: (kind, row, column, parameter, weight) per term."""
        weight = np.zeros_like(rows) if weight is None else weight
        return np.column_stack([np.full_like(rows, kind), rows, cols, param, weight])

    blocks = [
        block(0, L.rival_rows, L.rival_cols, L.rival_param),
        block(1, L.ally_rows, L.ally_cols, L.ally_weight),
    ]
    if L.coupling_rows is not None:
        blocks.append(
            block(2, L.coupling_rows, L.coupling_cols, L.coupling_param, L.coupling_weight)
        )
    if L.has_submissive:
        blocks.append(block(3, L.submissive_rows, L.submissive_cols, L.submissive_param))
    pairs = np.ascontiguousarray(np.concatenate([b.reshape(-1, 5) for b in blocks]), np.int64)

    def column(values: Any, missing: int) -> np.ndarray:
        return np.full(L.n, missing, np.int64) if values is None else values.astype(np.int64)

    actors = np.column_stack(
        [
            column(L.distrust_param, zero),
            column(L.abandonment_fear, zero),
            column(L.abandonment_commitment, zero),
            column(L.chain, zero),
            column(L.entrapment, zero),
            column(L.defence_strength, zero),
            column(L.defence_threshold, zero),
            column(L.defence_width, one),
            column(L.ceiling, -1),
            column(L.fatigue, zero),
            column(L.grievance, zero),
            column(L.capacity_param, -1),
        ]
    )
    return {
        "_alliance_rhs": kernels.alliance_rhs,
        "_PAIRS": pairs,
        "_WEIGHTS": np.ascontiguousarray(L.rival_weight, dtype=float),
        "_ACTORS": np.ascontiguousarray(actors),
        "_GAMMA": -1 if L.gamma_param is None else int(L.gamma_param),
        "_WIDTH": float(CEILING_WIDTH),
    }


def check_supported(method: str, interventions: Any, ceiling: Any, floor: Any, max_step: float):  # noqa: ANN001, ANN201
    """Raise :class:`SimulationError` for options the numba backend does not have."""
    if method != "RK45":
        raise SimulationError(
            f'backend="numba" integrates with method="RK45" (Dormand-Prince) only, not '
            f"{method!r}; pass method='RK45' or use backend='numpy'"
        )
    if interventions or ceiling is not None or floor is not None or math.isfinite(max_step):
        raise SimulationError(
            'backend="numba" runs without interventions, ceiling, floor or max_step; '
            "use backend='numpy' for those"
        )


def integrate_numba(
    model: Any,
    y0: np.ndarray,
    p: np.ndarray,
    t_span: tuple[float, float],
    times: np.ndarray,
    rtol: float,
    atol: float,
) -> tuple[np.ndarray, np.ndarray, int, str]:
    """One run from ``t_span[0]`` to ``t_span[1]``: (times, values, status, message)."""
    f, kernels = _build(model)
    t0, t1 = (float(t) for t in t_span)
    y0, p = np.ascontiguousarray(y0, dtype=float), np.ascontiguousarray(p, dtype=float)
    values, status, done = kernels.integrate(f, y0, p, t0, t1, times, rtol, atol, 10**7)
    message = "ok" if status == 0 else "step size fell below the minimum or the state overflowed"
    return times[:done], values[:done], int(status), message


def integrate_numba_many(
    model: Any,
    y0: np.ndarray,
    params: np.ndarray,
    t_span: tuple[float, float],
    times: np.ndarray,
    rtol: float,
    atol: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Many parameter sets (rows of ``params``), one compiled loop: values
    ``(m, len(times), n)`` and status per set (0 = done, -1 = failed)."""
    f, kernels = _build(model)
    t0, t1 = (float(t) for t in t_span)
    y0, params = np.ascontiguousarray(y0, dtype=float), np.ascontiguousarray(params, dtype=float)
    return kernels.integrate_many(f, y0, params, t0, t1, times, rtol, atol, 10**7)
