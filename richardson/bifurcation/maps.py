"""Orbit (bifurcation) diagrams and Lyapunov exponents of difference-equation models.

Both functions iterate the compiled map for all parameter values at once (one column per
value of the batched right-hand side), so a diagram of a thousand parameter values costs about
as much as a few runs.

The Lyapunov exponents are computed by the standard QR method (Benettin et al. 1980;
Eckmann and Ruelle 1985): tangent vectors are propagated with the analytic Jacobian and
re-orthonormalised at every step; the exponents are the averages of ``log |R_ii|``. A
positive largest exponent means chaos: nearby spending paths diverge exponentially, so
long-run predictions of the arms race are impossible (Saperstein 1984).

References
----------
Saperstein, A. M. (1984). Chaos - a model for the outbreak of war. *Nature* 309, 303-305.
Eckmann, J.-P. and Ruelle, D. (1985). Ergodic theory of chaos and strange attractors.
*Rev. Mod. Phys.* 57, 617-656.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from ..errors import ContinuationError, ModelError, UnknownSymbolError, did_you_mean
from ..model.core import Model

__all__ = ["OrbitDiagram", "orbit_diagram", "lyapunov_exponents"]


@dataclass(frozen=True, eq=False)
class OrbitDiagram:
    """Long-run states of a map over a range of one parameter.

    Attributes
    ----------
    param : str
        The parameter varied.
    data : xarray.Dataset
        ``state`` with dims ``(value, iterate, actor)``: the ``keep`` iterates after the
        transient, for each parameter value (NaN after an orbit escaped); ``escaped``
        (``value``): True where the orbit left ``|x| < ceiling``.
    transient : int
        Steps discarded before recording.
    """

    param: str
    data: xr.Dataset
    transient: int

    def summary(self) -> str:
        """Plain-text description of the computation."""
        values = self.data["value"].values
        escaped = int(self.data["escaped"].sum())
        return "\n".join(
            [
                f"Orbit diagram of {self.data.attrs.get('model', 'the model')} in {self.param!r}",
                f"  {values.size} values from {values.min():.6g} to {values.max():.6g}; "
                f"{self.transient} transient steps discarded, {self.data.sizes['iterate']} kept",
                f"  orbits that escaped: {escaped}",
                f"  start state: {self.data.attrs.get('x0', '')}",
            ]
        )

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"

    def __repr__(self) -> str:
        return f"<OrbitDiagram in {self.param!r}: {self.data.sizes['value']} values>"

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the diagram (see :func:`richardson.plot.orbit_diagram`)."""
        from ..plot.bifurcation import orbit_diagram as draw

        return draw(self, ax=ax, **kwargs)


def _batch(
    model: Model, param: str | None, values: Any, params: Mapping[str, float] | None, x0: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if model.kind != "map":
        raise ModelError(
            "orbit diagrams and Lyapunov exponents here are for maps (kind='map'); for an ODE "
            "use rd.continuation for equilibria or rd.simulate for trajectories"
        )
    base = model.param_vector(params)
    if param is None:
        grid = np.array([np.nan])
        p = base[:, None]
    else:
        if param not in model.param_index:
            raise UnknownSymbolError(
                f"{param!r} is not a parameter of this model"
                f"{did_you_mean(str(param), model.param_names)}"
            )
        grid = np.atleast_1d(np.asarray(values, dtype=float))
        if grid.ndim != 1 or grid.size == 0 or not np.all(np.isfinite(grid)):
            raise ContinuationError("values must be a non-empty 1-D sequence of finite numbers")
        p = np.repeat(base[:, None], grid.size, axis=1)
        p[model.param_index[param]] = grid
    if x0 is None and not all(s in model.initial for s in model.states):
        raise ModelError("no start state: pass x0=... or give the model initial values")
    start = model.initial_vector(x0)
    x = np.repeat(start[:, None], grid.size, axis=1)
    return grid, p, x


def orbit_diagram(
    model: Model,
    param: str,
    values: Sequence[float] | np.ndarray,
    x0: Any = None,
    transient: int = 1000,
    keep: int = 200,
    params: Mapping[str, float] | None = None,
    ceiling: float = 1e6,
) -> OrbitDiagram:
    """Iterate a map for many values of one parameter and keep the long-run states.

    Parameters
    ----------
    model : Model
        A ``kind="map"`` model (logistic map, Saperstein's arms-race map).
    param : str
        The parameter to vary.
    values : array_like
        The parameter values (its unit), one orbit each.
    x0 : sequence or mapping, optional
        Start state (model state units), the same for every value; defaults to the model's
        initial values.
    transient : int
        Steps discarded before recording (the orbit settles on its attractor).
    keep : int
        Steps recorded after the transient.
    params : mapping, optional
        Values of the other parameters.
    ceiling : float
        An orbit whose state exceeds this magnitude counts as escaped (runaway) and is NaN
        from then on.

    Returns
    -------
    OrbitDiagram

    Raises
    ------
    ModelError
        If the model is not a map or has no start state.
    UnknownSymbolError
        If ``param`` is not a parameter.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> import richardson as rd
    >>> x, r = sp.symbols("x r")
    >>> m = rd.Model(["x"], {"r": 3.2}, [r * x * (1 - x)], kind="map", initial={"x": 0.3})
    >>> d = rd.orbit_diagram(m, "r", [2.8, 3.2], transient=2000, keep=4)
    >>> np.unique(np.round(d.data["state"].sel(actor="x").values[1], 6)).size
    2
    """
    if int(transient) != transient or transient < 0 or int(keep) != keep or keep < 1:
        raise ContinuationError("transient must be >= 0 and keep >= 1 whole numbers of steps")
    grid, p, x = _batch(model, param, values, params, x0)
    compiled = model.compile()
    escaped = np.zeros(grid.size, dtype=bool)
    kept = np.empty((int(keep), model.n_states, grid.size))
    with np.errstate(all="ignore"):
        for step in range(int(transient) + int(keep)):
            x = compiled.rhs(float(step), x, p)
            bad = ~np.all(np.isfinite(x) & (np.abs(x) < ceiling), axis=0)
            if np.any(bad & ~escaped):
                escaped |= bad
                x[:, escaped] = np.nan
            if step >= transient:
                kept[step - int(transient)] = x
    data = xr.Dataset(
        {
            "state": (
                ("value", "iterate", "actor"),
                np.transpose(kept, (2, 0, 1)),
                {"units": model.state_unit} if model.state_unit else {},
            ),
            "escaped": (("value",), escaped),
        },
        coords={
            "value": grid,
            "iterate": np.arange(int(transient), int(transient) + int(keep)),
            "actor": list(model.actors),
            "state_name": ("actor", list(model.states)),
        },
        attrs={
            "model": model.name or "model",
            "param": param,
            "x0": str(model.initial_vector(x0).tolist()),
        },
    )
    data["value"].attrs["long_name"] = param
    return OrbitDiagram(param=param, data=data, transient=int(transient))


def _orthonormalise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Modified Gram-Schmidt on the columns of each ``(n, n)`` block of ``(m, n, n)``.

    Returns the orthonormal blocks and ``log |R_ii|`` (shape ``(m, n)``); cheaper than a
    stacked ``numpy.linalg.qr`` for the handful of states of an arms-race map.
    """
    basis = np.empty_like(vectors)
    logs = np.empty((vectors.shape[0], vectors.shape[2]))
    for i in range(vectors.shape[2]):
        column = vectors[:, :, i].copy()
        for j in range(i):
            column -= np.sum(basis[:, :, j] * column, axis=1)[:, None] * basis[:, :, j]
        norm = np.sqrt(np.sum(column * column, axis=1))
        logs[:, i] = np.log(norm)
        basis[:, :, i] = column / norm[:, None]
    return basis, logs


def lyapunov_exponents(
    model: Model,
    param: str | None = None,
    values: Sequence[float] | np.ndarray | None = None,
    x0: Any = None,
    transient: int = 1000,
    steps: int = 5000,
    params: Mapping[str, float] | None = None,
) -> xr.DataArray:
    """Lyapunov exponents of a map's attractor (QR method with the analytic Jacobian).

    Parameters
    ----------
    model : Model
        A ``kind="map"`` model.
    param : str, optional
        Parameter to vary; omit it for the exponents at the model's parameter values.
    values : array_like, optional
        Values of ``param`` (its unit).
    x0 : sequence or mapping, optional
        Start state; defaults to the model's initial values.
    transient : int
        Steps iterated before the averaging starts.
    steps : int
        Steps averaged.
    params : mapping, optional
        Values of the other parameters.

    Returns
    -------
    xarray.DataArray
        Exponents in nats per step, largest first, dims ``(param, "exponent")``, the first
        labelled with the parameter's name, values, unit and description as a stability map
        labels its axes (``("exponent",)`` without ``param``); NaN where the orbit escaped.
        A positive largest exponent means chaos.

    Raises
    ------
    ModelError
        If the model is not a map or has no start state.

    Examples
    --------
    >>> import sympy as sp
    >>> import richardson as rd
    >>> x, r = sp.symbols("x r")
    >>> m = rd.Model(["x"], {"r": 4.0}, [r * x * (1 - x)], kind="map", initial={"x": 0.3})
    >>> round(float(rd.lyapunov_exponents(m, steps=20000)[0]), 1)  # ln 2 = 0.693
    0.7
    >>> rd.lyapunov_exponents(m, "r", [3.2, 4.0], steps=2000).dims  # labelled like a map
    ('r', 'exponent')
    """
    if int(transient) != transient or transient < 0 or int(steps) != steps or steps < 1:
        raise ContinuationError("transient must be >= 0 and steps >= 1 whole numbers of steps")
    if (param is None) != (values is None):
        raise ContinuationError("give both param and values, or neither")
    grid, p, x = _batch(model, param, values, params, x0)
    exponents = exponents_of_columns(model.compile(), p, x, int(transient), int(steps))
    coords = {"exponent": np.arange(1, model.n_states + 1)}
    attrs = {"units": "1/step", "long_name": "Lyapunov exponent", "model": model.name or "model"}
    if param is None:
        return xr.DataArray(exponents[0], dims=("exponent",), coords=coords, attrs=attrs)
    coords[param] = xr.Variable(
        (param,),
        grid,
        {"long_name": model.params[param].description or param}
        | ({"units": model.params[param].unit} if model.params[param].unit else {}),
    )
    return xr.DataArray(
        exponents, dims=(param, "exponent"), coords=coords, attrs=attrs | {"param": param}
    )


def exponents_of_columns(
    compiled: Any, p: np.ndarray, x: np.ndarray, transient: int, steps: int
) -> np.ndarray:
    """Lyapunov exponents ``(m, n)``, largest first, of the orbits from the columns of ``x``
    ``(n, m)`` with parameters ``p`` ``(P, m)`` (one set per column): all iterated at once."""
    n, m = x.shape
    basis = np.repeat(np.eye(n)[None], m, axis=0)
    sums = np.zeros((m, n))
    with np.errstate(all="ignore"):
        for step in range(transient):
            x = compiled.rhs(float(step), x, p)
        for step in range(steps):
            jac = np.moveaxis(compiled.jac(float(step), x, p).reshape(n, n, m), -1, 0)
            x = compiled.rhs(float(step), x, p)
            basis, logs = _orthonormalise(np.nan_to_num(jac @ basis))
            sums += logs
        exponents = sums / steps
        exponents[~np.all(np.isfinite(x), axis=0)] = np.nan
    return -np.sort(-exponents, axis=1)
