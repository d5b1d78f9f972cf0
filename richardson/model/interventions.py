"""Interventions: scheduled changes of a parameter, as small immutable values.

Confidence-building measures, hotlines and arms-control treaties lower reaction or
distrust parameters; crises are pulses in grievance; alliance enlargement switches a
membership parameter at a date. The simulator applies these schedules and restarts the
solver at each discontinuity instead of stepping over it.

Interventions apply in the order given; each maps the value produced by the ones
before it (a ``step`` replaces it, a ``pulse`` adds to it, a ``ramp`` moves it linearly).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import SimulationError, UnknownSymbolError, did_you_mean

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .core import Model

__all__ = ["Intervention", "Step", "Pulse", "Ramp", "step", "pulse", "ramp", "Schedule"]


def _finite(value: float, what: str) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise SimulationError(f"{what} is {value}; give a finite number")
    return value


@dataclass(frozen=True)
class Intervention:
    """Base class: a scheduled change of parameter ``param``."""

    param: str

    def check_against(self, model: Model) -> None:
        """Raise :class:`UnknownSymbolError` if ``param`` is not a parameter of ``model``."""
        if self.param not in model.params:
            raise UnknownSymbolError(
                f"{type(self).__name__.lower()} intervention changes {self.param!r}, which is not "
                f"a parameter of the model{did_you_mean(self.param, model.params)}"
            )

    def breakpoints(self) -> tuple[float, ...]:
        """Times at which the schedule is not smooth (the solver restarts there)."""
        raise NotImplementedError

    def apply(self, t: float, value: np.ndarray) -> np.ndarray:
        """Value of the parameter at time ``t`` given the value ``value`` without this change."""
        raise NotImplementedError

    def varies_within(self, t0: float, t1: float) -> bool:
        """True when the value changes continuously somewhere inside ``(t0, t1)``."""
        return False


@dataclass(frozen=True)
class Step(Intervention):
    """From time ``at`` on, the parameter equals ``to``."""

    at: float
    to: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", _finite(self.at, "step time 'at'"))
        object.__setattr__(self, "to", _finite(self.to, "step value 'to'"))

    def breakpoints(self) -> tuple[float, ...]:
        return (self.at,)

    def apply(self, t: float, value: np.ndarray) -> np.ndarray:
        return np.full_like(value, self.to) if t >= self.at else value


@dataclass(frozen=True)
class Pulse(Intervention):
    """During ``[start, start + width)`` the parameter is raised by ``size``."""

    start: float
    width: float
    size: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _finite(self.start, "pulse 'start'"))
        object.__setattr__(self, "width", _finite(self.width, "pulse 'width'"))
        object.__setattr__(self, "size", _finite(self.size, "pulse 'size'"))
        if self.width <= 0:
            raise SimulationError(f"pulse on {self.param!r} has width {self.width}; give width > 0")

    def breakpoints(self) -> tuple[float, ...]:
        return (self.start, self.start + self.width)

    def apply(self, t: float, value: np.ndarray) -> np.ndarray:
        return value + self.size if self.start <= t < self.start + self.width else value


@dataclass(frozen=True)
class Ramp(Intervention):
    """Between ``start`` and ``end`` the parameter moves linearly to ``to``, then stays there."""

    start: float
    end: float
    to: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _finite(self.start, "ramp 'start'"))
        object.__setattr__(self, "end", _finite(self.end, "ramp 'end'"))
        object.__setattr__(self, "to", _finite(self.to, "ramp value 'to'"))
        if self.end <= self.start:
            raise SimulationError(
                f"ramp on {self.param!r} ends at {self.end}, not after its start {self.start}; "
                "give end > start"
            )

    def breakpoints(self) -> tuple[float, ...]:
        return (self.start, self.end)

    def apply(self, t: float, value: np.ndarray) -> np.ndarray:
        fraction = min(max((t - self.start) / (self.end - self.start), 0.0), 1.0)
        return value + (self.to - value) * fraction

    def varies_within(self, t0: float, t1: float) -> bool:
        return t0 < self.end and t1 > self.start


def step(param: str, at: float, to: float) -> Step:
    """Set ``param`` to ``to`` from time ``at`` on (Vensim ``STEP``).

    Parameters
    ----------
    param : str
        Parameter name, e.g. ``"k"`` (a hotline lowering the reaction coefficient).
    at : float
        Time of the change, in the model's time unit.
    to : float
        New value, in the parameter's unit.

    Examples
    --------
    >>> import richardson as rd
    >>> rd.step("k", at=10, to=0.5)
    Step(param='k', at=10.0, to=0.5)
    """
    return Step(param, at, to)


def pulse(param: str, start: float, width: float, size: float) -> Pulse:
    """Raise ``param`` by ``size`` during ``[start, start + width)`` (Vensim ``PULSE``).

    Parameters
    ----------
    param : str
        Parameter name, typically a grievance ``g`` (a crisis).
    start, width : float
        Beginning and duration of the shock, in the model's time unit.
    size : float
        Amount added to the parameter while the pulse lasts.
    """
    return Pulse(param, start, width, size)


def ramp(param: str, start: float, end: float, to: float) -> Ramp:
    """Move ``param`` linearly from its value at ``start`` to ``to`` at ``end`` (Vensim ``RAMP``).

    Parameters
    ----------
    param : str
        Parameter name (an arms-control treaty phasing reaction down, say).
    start, end : float
        Beginning and end of the change, in the model's time unit.
    to : float
        Value reached at ``end`` and kept afterwards.
    """
    return Ramp(param, start, end, to)


class Schedule:
    """Parameter values over time under a list of interventions.

    Parameters
    ----------
    param_index : mapping of str to int
        Parameter name -> row of the parameter vector (or array).
    interventions : sequence of Intervention
        Applied in order.
    """

    def __init__(self, param_index: dict[str, int], interventions: Sequence[Intervention]) -> None:
        self.interventions = tuple(interventions)
        self._rows = [param_index[i.param] for i in self.interventions]

    def breakpoints(self, t0: float, t1: float) -> list[float]:
        """Sorted discontinuity times strictly inside ``(t0, t1)``."""
        lo, hi = min(t0, t1), max(t0, t1)
        times = {b for i in self.interventions for b in i.breakpoints() if lo < b < hi}
        return sorted(times, reverse=t1 < t0)

    def varies_within(self, t0: float, t1: float) -> bool:
        lo, hi = min(t0, t1), max(t0, t1)
        return any(i.varies_within(lo, hi) for i in self.interventions)

    def at(self, t: float, base: np.ndarray) -> np.ndarray:
        """Parameter vector (or ``(P, m)`` array) at time ``t``, starting from ``base``."""
        if not self.interventions:
            return base
        values = np.array(base, dtype=float, copy=True)
        for intervention, row in zip(self.interventions, self._rows, strict=True):
            values[row] = intervention.apply(t, values[row])
        return values
