"""A model parameter: its default value, bounds, unit, meaning and provenance."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import sympy as sp

from ..errors import InvalidParameterError, ModelError

__all__ = ["Parameter"]


@dataclass(frozen=True)
class Parameter:
    """A model parameter: default value, bounds, unit, meaning and provenance.

    Parameters
    ----------
    name : str
        Symbol name used in the equations (``"k"``, ``"a_USA"``).
    value : float
        Default value.
    bounds : tuple of float, optional
        Admissible interval ``(lower, upper)``; infinite ends mean unbounded.
    unit : str, optional
        Unit of the value, e.g. ``"1/year"`` for reaction and fatigue coefficients.
    description : str, optional
        What the parameter means, in the field's words.
    source : str, optional
        Where the value comes from (a fit, a publication, or ``"illustrative"``).
    """

    name: str
    value: float
    bounds: tuple[float, float] = (-math.inf, math.inf)
    unit: str = ""
    description: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        try:
            value = float(self.value)
        except (TypeError, ValueError, OverflowError) as err:
            raise InvalidParameterError(
                f"parameter {self.name!r} has value {_short(self.value)}, which is not a "
                "number that fits a double; give a float"
            ) from err
        object.__setattr__(self, "value", value)
        if not math.isfinite(value):
            raise InvalidParameterError(
                f"parameter {self.name!r} has non-finite default {value}; give a finite number"
            )
        try:
            lower, upper = (float(b) for b in self.bounds)
        except (TypeError, ValueError, OverflowError) as err:
            raise InvalidParameterError(
                f"parameter {self.name!r} has bounds {_short(self.bounds)}; give a pair "
                "(lower, upper), using -inf/inf for an open end"
            ) from err
        if math.isnan(lower) or math.isnan(upper) or lower > upper:
            raise InvalidParameterError(
                f"parameter {self.name!r} has bounds ({lower}, {upper}); the lower bound must "
                "not exceed the upper bound"
            )
        object.__setattr__(self, "bounds", (lower, upper))
        if not lower <= value <= upper:
            raise InvalidParameterError(
                f"parameter {self.name!r} = {value} lies outside its bounds ({lower}, {upper}); "
                "change the value or widen the bounds"
            )


def _as_parameter(name: str, spec: Any) -> Parameter:
    if isinstance(spec, Parameter):
        if spec.name != name:
            return replace(spec, name=name)
        return spec
    if isinstance(spec, Mapping):
        unknown = set(spec) - {"value", "bounds", "unit", "description", "source"}
        if unknown:
            raise ModelError(
                f"parameter {name!r} has unknown field(s) {sorted(unknown)}; allowed are "
                "value, bounds, unit, description, source"
            )
        if "value" not in spec:
            raise ModelError(f"parameter {name!r} has no 'value'; give its default value")
        return Parameter(name=name, **dict(spec))
    if isinstance(spec, sp.Basic):
        if not spec.is_number:
            raise InvalidParameterError(
                f"parameter {name!r} has symbolic default {spec}; give a number"
            )
        spec = float(spec)
    if isinstance(spec, bool) or not isinstance(spec, (int, float, np.integer, np.floating)):
        raise InvalidParameterError(
            f"parameter {name!r} has default {spec!r}; give a number, a Parameter or a dict "
            "with 'value'"
        )
    return Parameter(name=name, value=float(spec))


def _short(value: Any) -> str:
    """``repr`` of a value, shortened for a message (a 400-digit integer is not readable)."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"
