"""Simulation results: :class:`Trajectory` (one run) and :class:`Ensemble` (many)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["Runaway", "Trajectory", "Ensemble"]


class Runaway(NamedTuple):
    """Where and when spending crossed the ceiling: ``(actor, time)``."""

    actor: str
    time: float


@dataclass(frozen=True, eq=False)
class Trajectory:
    """One simulated run.

    Attributes
    ----------
    time : numpy.ndarray
        Output times, shape ``(n_times,)``, in the model's time unit (steps for maps).
    values : numpy.ndarray
        States at those times, shape ``(n_times, n_states)``.
    actors, states : tuple of str
        Display names and state names, in column order.
    attrs : mapping
        Model name, parameters, method, tolerances, ceiling, units.
    runaway : Runaway or None
        ``(actor, time)`` at which ``|spending|`` crossed the ceiling or guard, or its rate
        overflowed (integration stopped there).
    status : int
        0 when the whole time span was integrated, 1 when a ceiling, the guard or an
        overflowing rate stopped it (runaway), -1 when the run could not go on: a NaN rate,
        a used-up step budget, a solver that broke down (see ``message``).
    message : str
        What the solver said.
    interventions : tuple
        The interventions applied (model's and call's).
    observables : mapping of str to numpy.ndarray
        The model's observables (:attr:`Model.observables`, e.g. the auxiliaries of an
        imported Vensim model) at the output times, shape ``(n_times,)`` each; reported as
        extra columns by :meth:`to_dataframe` and as ``observables`` in :attr:`data`.
    """

    time: np.ndarray
    values: np.ndarray
    actors: tuple[str, ...]
    states: tuple[str, ...]
    attrs: Mapping[str, Any]
    runaway: Runaway | None
    status: int
    message: str
    interventions: tuple[Any, ...] = ()
    observables: Mapping[str, np.ndarray] = field(default_factory=dict)

    @cached_property
    def data(self) -> xr.Dataset:
        """The run as an ``xarray.Dataset``: ``spending`` with dims ``(time, actor)``, the
        coordinate ``state`` along ``actor`` with the model's state names, and ``attrs``
        with the parameters, the method and the tolerances (built on first access)."""
        spending = xr.DataArray(
            self.values,
            dims=("time", "actor"),
            coords={
                "time": self.time,
                "actor": list(self.actors),
                "state": ("actor", list(self.states)),
            },
            attrs={"long_name": "military spending"}
            | ({"units": self.attrs["state_unit"]} if self.attrs.get("state_unit") else {}),
        )
        if self.attrs.get("time_unit"):  # an empty unit would print as "[]" on an axis
            spending["time"].attrs["units"] = self.attrs["time_unit"]
        variables = {"spending": spending}
        if self.observables:
            variables["observables"] = xr.DataArray(
                np.column_stack(list(self.observables.values())),
                dims=("time", "observable"),
                coords={"time": self.time, "observable": list(self.observables)},
            )
        return xr.Dataset(variables, attrs=dict(self.attrs))

    @property
    def success(self) -> bool:
        """True unless the solver failed (reaching a ceiling counts as success)."""
        return self.status >= 0

    @property
    def has_runaway(self) -> bool:
        """True when spending crossed the ceiling."""
        return self.runaway is not None

    def final(self) -> dict[str, float]:
        """Actor -> state at the last output time."""
        return dict(zip(self.actors, self.values[-1].tolist(), strict=True))

    def variable(self, name: str) -> xr.DataArray:
        """A subscripted variable of an imported model grouped back into one array.

        The scalar columns ``Stock[a,b]`` (states or observables) become one
        ``xarray.DataArray`` with dims ``("time", <range 1>, <range 2>, ...)``, named after
        the Vensim subscript ranges when the model recorded them, else ``dim_0, dim_1, ...``.

        Parameters
        ----------
        name : str
            The Vensim name without subscripts, e.g. ``"Stock"``.

        Raises
        ------
        KeyError
            If no column ``name[...]`` exists.
        """
        columns = {**dict(zip(self.actors, self.values.T, strict=True)), **self.observables}
        cells = {}
        for column, values in columns.items():
            if column.startswith(name + "[") and column.endswith("]"):
                cells[tuple(column[len(name) + 1 : -1].split(","))] = values
        if not cells:
            raise KeyError(f"no subscripted variable {name!r} in this trajectory")
        rank = len(next(iter(cells)))
        dims = list(self.attrs.get("subscripts", {}).get(name, []))
        if len(dims) != rank:
            dims = [f"dim_{i}" for i in range(rank)]
        labels = [list(dict.fromkeys(c[i] for c in cells)) for i in range(rank)]
        table = np.full((len(self.time), *map(len, labels)), np.nan)
        for combo, values in cells.items():
            table[(slice(None), *(labels[i].index(e) for i, e in enumerate(combo)))] = values
        coords = {"time": self.time, **dict(zip(dims, labels, strict=True))}
        return xr.DataArray(table, dims=("time", *dims), coords=coords, name=name)

    def to_dataframe(self) -> pd.DataFrame:
        """Wide table: time index, one column per actor, then one per observable."""
        columns = list(self.actors) + [n for n in self.observables if n not in self.actors]
        table = np.column_stack(
            [self.values.reshape(len(self.time), len(self.actors))]
            + [np.asarray(self.observables[n]) for n in columns[len(self.actors) :]]
        )
        return pd.DataFrame(
            table,
            index=pd.Index(self.time, name="time"),
            columns=pd.Index(columns, name="actor"),
        )

    def plot(self, ax=None, **kwargs):  # noqa: ANN001, ANN201
        """Draw the time series with intervention times marked (see
        :func:`richardson.plot.time_series`)."""
        from .. import plot

        return plot.time_series(self, ax=ax, **kwargs)

    def summary(self) -> str:
        """Plain-text report of the run."""
        attrs = self.attrs
        lines = [
            f"Trajectory of {attrs.get('model', 'model')}: {len(self.time)} points, "
            f"t = {self.time[0]:g} .. {self.time[-1]:g} {attrs.get('time_unit', '')}".rstrip(),
            f"method {attrs.get('method')}, rtol {attrs.get('rtol')}, atol {attrs.get('atol')}; "
            f"status {self.status}: {self.message}",
        ]
        if self.runaway is not None:
            lines.append(
                f"RUNAWAY: {self.runaway.actor} crossed the ceiling {attrs.get('ceiling'):g} at "
                f"t = {self.runaway.time:.6g}"
            )
        for intervention in self.interventions:
            lines.append(f"intervention: {intervention}")
        final = ", ".join(f"{a} = {v:.6g}" for a, v in self.final().items())
        lines.append(f"final state: {final}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"

    def __repr__(self) -> str:
        return f"<Trajectory {len(self.time)} points, status={self.status}, runaway={self.runaway}>"


@dataclass(frozen=True, eq=False)
class Ensemble:
    """Many runs of one model (one per parameter set), integrated as one batched system.

    Attributes
    ----------
    data : xarray.Dataset
        ``spending`` with dims ``(member, time, actor)``; ``runaway_time`` (NaN when the
        member never crossed the ceiling, otherwise the crossing located on the solver's
        dense output), ``runaway_actor`` and ``status`` (0 whole span, 1 runaway, -1 stopped
        by a NaN rate or stiffness, spending NaN from then on) with dim ``member``; the
        parameters that vary as coordinates along ``member`` (over an
        :func:`richardson.grid`, the grid's axes index the members:
        ``data.sel(k=0.5, l=0.3)``, ``data.unstack("member")``).
    complete : bool
        False when a member was stopped (status -1) or the run was interrupted; ``data``
        then holds the members finished so far.
    message : str
        Which members were stopped and why; solver messages.
    """

    data: xr.Dataset
    complete: bool = True
    message: str = ""

    @property
    def runaway_fraction(self) -> float:
        """Share of members whose spending crossed the ceiling."""
        return float(np.isfinite(self.data["runaway_time"].values).mean())

    def member(self, index: int) -> xr.DataArray:
        """Spending of member ``index`` (its position, 0-based, in the order of
        ``param_sets``): a DataArray with dims ``(time, actor)`` in the model's spending
        unit, whose scalar coordinates are that member's parameter values (those that vary
        across the ensemble, e.g. ``k`` and ``l`` of an :func:`richardson.grid`).

        To pick a member by its parameters instead, select on ``data``:
        ``ens.data["spending"].sel(k=0.5, l=0.3)`` for an ensemble over a grid.
        """
        return self.data["spending"].isel(member=index)

    def final(self) -> pd.DataFrame:
        """Every member's state at the last output time: one row per member, one column per
        actor (NaN for a member that failed)."""
        last = self.data["spending"].isel(time=-1)
        return pd.DataFrame(
            last.values,
            index=self._member_index(),
            columns=pd.Index(list(self.data["actor"].values), name="actor"),
        )

    def quantiles(self, q: Any = (0.05, 0.25, 0.5, 0.75, 0.95)) -> xr.DataArray:
        """Quantiles of spending across members at each time: the bands of an ensemble of
        shocks or parameter sets.

        Parameters
        ----------
        q : float or sequence of float
            Quantile levels in ``[0, 1]`` (0.5 is the median).

        Returns
        -------
        xarray.DataArray
            Dims ``(quantile, time, actor)`` in the state unit; failed members (NaN) are
            left out.

        Raises
        ------
        ValueError
            For a level outside ``[0, 1]``.
        """
        levels = np.atleast_1d(np.asarray(q, dtype=float))
        if levels.size == 0 or np.any(~(levels >= 0) | ~(levels <= 1)):
            raise ValueError(f"quantile levels must lie in [0, 1], not {q!r}")
        spending = self.data["spending"]
        return spending.quantile(levels, dim="member", skipna=True).assign_attrs(spending.attrs)

    def _member_index(self) -> pd.Index:
        """The members' labels: their numbers, or the axes of the :func:`richardson.grid`
        they were run over (a MultiIndex for two axes or more)."""
        indexes = self.data.indexes
        if "member" in indexes:
            return indexes["member"]
        for name, index in indexes.items():
            if self.data[name].dims == ("member",):
                return index
        return pd.RangeIndex(self.data.sizes["member"], name="member")

    def plot(self, ax=None, **kwargs):  # noqa: ANN001, ANN201
        """Draw the members (light) and a quantile fan chart per actor (see
        :func:`richardson.plot.time_series`)."""
        from .. import plot

        return plot.time_series(self, ax=ax, **kwargs)

    def summary(self) -> str:
        n = self.data.sizes["member"]
        return (
            f"Ensemble of {n} runs, t = {float(self.data.time[0]):g} .. "
            f"{float(self.data.time[-1]):g}; runaway in {100 * self.runaway_fraction:.1f}% "
            f"of runs{'' if self.complete else ' (INTERRUPTED: partial result)'}"
        )

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"

    def __repr__(self) -> str:
        return f"<Ensemble {self.data.sizes['member']} members, complete={self.complete}>"
