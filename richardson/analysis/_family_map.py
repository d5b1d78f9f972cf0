"""Regime maps of linear ODE models whose grid parameters each move a few Jacobian entries.

A map over two reaction coefficients of a ten-actor model changes two entries of a fixed
10 x 10 Jacobian. Instead of building one Jacobian per grid point (``n * n * m`` numbers), this
path evaluates the compiled Jacobian and constant term along each grid axis only, checks that
the grid parameters act on disjoint entries (each entry depends on at most one grid parameter,
verified at sample points of the grid), and hands the common matrix and the varying entries
to :func:`richardson.analysis._spectral.family_perron` (Metzler Jacobians: the Perron root) or
:func:`richardson.analysis._abscissa.family_abscissa` (any signs, up to twelve actors: the rightmost
root, certified by Routh's test). Whatever does not fit (entries shared by two grid
parameters, too many varying entries) returns ``None``; points whose root does not settle
or is not certified get their Jacobians built and go to the general routines.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ._abscissa import family_abscissa
from ._spectral import family_perron, is_metzler, metzler_perron
from .results import REGIMES
from .verdicts import _edge_codes, verdict_codes

#: Grid points at which the per-axis reconstruction is checked against full Jacobians.
CHECK_POINTS = 6


def _axis_parameters(base: np.ndarray, index: int, values: np.ndarray) -> np.ndarray:
    columns = np.repeat(base[:, None], values.size, axis=1)
    columns[index] = values
    return columns


def _varying_rows(table: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Positions (first axis) where a ``(k, L)`` table is not constant equal to ``reference``."""
    return np.flatnonzero(np.any(table != reference[:, None], axis=1))


def few_entry_map(
    compiled: Any, base: np.ndarray, positions: list[int], axes: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray] | None:
    """Regime codes and growth rates of a linear ODE over a Cartesian parameter grid.

    Parameters
    ----------
    compiled : CompiledModel
        A linear, autonomous ODE model with more than two states.
    base : numpy.ndarray
        Parameter vector for everything not on the grid, shape ``(P,)``.
    positions : list of int
        Index in the parameter vector of each grid parameter.
    axes : list of numpy.ndarray
        The grid values of each grid parameter.

    Returns
    -------
    (codes, growth) or None
        Flat (row-major over the grid) regime codes and largest real parts of the
        eigenvalues, as :func:`richardson.analysis.verdicts.linear_verdicts`; ``None`` when the
        model and grid do not have the structure.
    """
    n = compiled.n_states
    shape = tuple(a.size for a in axes)
    picks = _check_points(shape)
    # one evaluation: the base point, each axis (others at base) and the check points
    blocks = [base[:, None]] + [
        _axis_parameters(base, index, values) for index, values in zip(positions, axes, strict=True)
    ]
    checks = np.repeat(base[:, None], picks.shape[1], axis=1)
    for axis, index in enumerate(positions):
        checks[index] = axes[axis][picks[axis]]
    columns = np.concatenate([*blocks, checks], axis=1)
    zero = np.zeros(n)
    J_all = compiled.jac(0.0, zero, columns).reshape(n * n, -1)
    b_all = compiled.rhs(0.0, zero, columns)
    bounds = np.cumsum([0] + [block.shape[1] for block in blocks])
    J_base, b_base = J_all[:, 0].reshape(n, n), b_all[:, 0]
    per_axis = []  # (jacobian entries, their values (r_i, L_i), grievance rows, values)
    for start, stop in zip(bounds[1:-1], bounds[2:], strict=True):
        J, b = J_all[:, start:stop], b_all[:, start:stop]
        entries, rows = _varying_rows(J, J_base.ravel()), _varying_rows(b, b_base)
        per_axis.append((entries, J[entries], rows, b[rows]))
    entries = np.concatenate([p[0] for p in per_axis])
    grievances = np.concatenate([p[2] for p in per_axis])
    if np.unique(entries).size < entries.size or np.unique(grievances).size < grievances.size:
        return None  # an entry moves with two grid parameters
    if not (np.all(np.isfinite(J_base)) and all(np.all(np.isfinite(p[1])) for p in per_axis)):
        return None
    common = J_base.copy()
    common.flat[entries] = 0.0
    metzler = is_metzler(common[..., None]) and not any(
        np.any(p[1][(p[0] // n) != (p[0] % n)] < 0.0) for p in per_axis
    )
    if not _reconstruction_holds(
        picks, per_axis, J_base, b_base, J_all[:, bounds[-1] :], b_all[:, bounds[-1] :]
    ):
        return None
    m = int(np.prod(shape))
    values = np.empty((entries.size, m))
    row = 0
    for axis, (_, table, _, _) in enumerate(per_axis):
        view = [1] * len(shape)
        view[axis] = shape[axis]
        for line in table:
            values[row] = np.broadcast_to(line.reshape(view), shape).ravel()
            row += 1
    constant = np.abs(common).max(initial=0.0)
    scale = np.maximum(constant, np.abs(values).max(axis=0, initial=0.0))
    if metzler:
        found = family_perron(J_base, entries, values, scale)
        if found is None:
            return None
        (growth, converged), leading_imag = found, np.zeros(m)
    else:
        found = family_abscissa(J_base, entries, values, scale)
        if found is None:
            return None
        growth, leading_imag, converged = found
    if not np.all(converged):  # these points get their Jacobians built
        rest = np.flatnonzero(~converged)
        stack = np.repeat(common[..., None], rest.size, axis=2).reshape(n * n, rest.size)
        stack[entries] = values[:, rest]
        stack = stack.reshape(n, n, rest.size)
        if metzler:
            growth[rest] = metzler_perron(stack, scale[rest])
        else:
            eigenvalues = np.linalg.eigvals(np.moveaxis(stack, -1, 0))
            leading = eigenvalues[np.arange(rest.size), np.argmax(eigenvalues.real, axis=1)]
            growth[rest], leading_imag[rest] = leading.real, np.abs(leading.imag)
    no_grievance = np.full(shape, bool(np.all(np.delete(b_base, grievances) <= 0.0)))
    for axis, (_, _, lines, table) in enumerate(per_axis):
        view = [1] * len(shape)
        view[axis] = shape[axis]
        if lines.size:
            no_grievance &= np.all(table <= 0.0, axis=0).reshape(view)
    codes = verdict_codes(growth, leading_imag, no_grievance.ravel(), scale)
    edge = np.flatnonzero(codes == REGIMES.index("runaway"))
    if edge.size:  # threshold and marginal cases need the full systems at those points
        stack = np.repeat(common.reshape(-1, 1), edge.size, axis=1)
        stack[entries] = values[:, edge]
        b_edge = np.repeat(b_base[:, None], edge.size, axis=1)
        where = np.unravel_index(edge, shape)
        for axis, (_, _, lines, table) in enumerate(per_axis):
            if lines.size:
                b_edge[lines] = table[:, where[axis]]
        codes[edge] = _edge_codes(
            stack.reshape(n, n, edge.size),
            b_edge,
            codes[edge],
            growth[edge],
            leading_imag[edge],
            scale[edge],
        )
    return codes, growth


@functools.lru_cache(maxsize=64)
def _check_points(shape: tuple[int, ...]) -> np.ndarray:
    """Grid indices (one row per axis) of the corners and a few random points of a grid of
    ``shape`` (cached: the same for every map of that shape)."""
    rng = np.random.default_rng(0)
    corners = np.array(np.meshgrid(*[[0, size - 1] for size in shape], indexing="ij"))
    random = np.stack([rng.integers(0, size, CHECK_POINTS) for size in shape])
    picks = np.concatenate([corners.reshape(len(shape), -1), random], axis=1)
    picks.flags.writeable = False  # shared between calls
    return picks


def _reconstruction_holds(
    picks: np.ndarray,
    per_axis: list[tuple],
    J_base: np.ndarray,
    b_base: np.ndarray,
    J: np.ndarray,
    b: np.ndarray,
) -> bool:
    """The full Jacobians ``J`` and constant terms ``b`` at the grid points ``picks`` equal
    the per-axis reconstruction (each entry depends on one grid parameter at most)."""
    expected_J = np.repeat(J_base.reshape(-1, 1), picks.shape[1], axis=1)
    expected_b = np.repeat(b_base[:, None], picks.shape[1], axis=1)
    for axis, (entries, table, lines, grievances) in enumerate(per_axis):
        expected_J[entries] = table[:, picks[axis]]
        expected_b[lines] = grievances[:, picks[axis]]
    tiny = 1e-13 * max(1.0, float(np.abs(expected_J).max(initial=0.0)))
    return bool(
        np.allclose(J, expected_J, rtol=1e-13, atol=tiny)
        and np.allclose(b, expected_b, rtol=1e-13, atol=tiny)
    )
