"""The result types of continuation: :class:`Bifurcation` (a special point) and :class:`Branch`
(a continued curve of equilibria with its special points).

Convenience methods that reach other stages or the continuation code itself
(:meth:`Branch.switch`, :meth:`Branch.plot`) import lazily inside the method: the only
upward dependency of this module.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from ..model._frozen import FrozenMapping
from ..model.core import Model

__all__ = ["Bifurcation", "Branch"]


# ====================================================================== results
@dataclass(frozen=True, eq=False)
class Bifurcation:
    """A codimension-one bifurcation point located on a :class:`Branch`.

    Attributes
    ----------
    kind : str
        ``"fold"`` (saddle-node: two equilibria meet and vanish; a trigger point),
        ``"hopf"`` (a balance turns into oscillation), ``"branch"`` (branch point: the
        equilibrium splits, e.g. a pitchfork); for maps also ``"flip"`` (period doubling)
        and ``"neimark_sacker"`` (a closed invariant curve is born).
    param : str
        Name of the continuation parameter.
    parameter : float
        Value of the continuation parameter at the point (the parameter's unit).
    state : numpy.ndarray
        Equilibrium (or fixed point) at the bifurcation, in the model's state units.
    test_values : mapping of str to float
        All test functions at the located point; the one of ``kind`` is zero there up to
        the Newton tolerance.
    eigenvalues : numpy.ndarray
        Eigenvalues of the Jacobian (ODE, 1/time unit) or multipliers (map) at the point.
    lyapunov_coefficient : float or None
        First Lyapunov coefficient (Hopf only): negative = supercritical (a small stable
        cycle appears), positive = subcritical (the balance is lost abruptly).
    frequency : float or None
        Angular frequency ``omega`` of the eigenvalue pair ``+-i omega`` (Hopf, radians per
        time unit) or argument of the multiplier pair (Neimark-Sacker, radians per step).
    located : bool
        True when the root of the test function converged; False means the point is the
        midpoint of the bracketing step (reported, not dropped).
    """

    kind: str
    param: str
    parameter: float
    state: np.ndarray
    test_values: Mapping[str, float]
    eigenvalues: np.ndarray
    lyapunov_coefficient: float | None = None
    frequency: float | None = None
    located: bool = True
    model: Model | None = field(default=None, repr=False)
    params: Mapping[str, float] = field(default_factory=dict, repr=False)
    bounds: tuple[float, float] = field(default=(-math.inf, math.inf), repr=False)
    tangent: np.ndarray | None = field(default=None, repr=False)
    period: int = field(default=1, repr=False)

    def __post_init__(self) -> None:
        for name in ("state", "eigenvalues", "tangent"):
            value = getattr(self, name)
            if value is not None:
                value = np.array(value)
                value.flags.writeable = False
                object.__setattr__(self, name, value)
        object.__setattr__(self, "test_values", FrozenMapping(dict(self.test_values)))
        object.__setattr__(self, "params", FrozenMapping(dict(self.params)))

    @property
    def is_supercritical(self) -> bool | None:
        """For a Hopf point: True when the first Lyapunov coefficient is negative."""
        if self.lyapunov_coefficient is None or not np.isfinite(self.lyapunov_coefficient):
            return None
        return self.lyapunov_coefficient < 0

    def describe(self) -> str:
        """One line: kind, parameter value, state, and criticality where it applies."""
        states = self.model.states if self.model is not None else range(len(self.state))
        where = ", ".join(f"{s}={v:.6g}" for s, v in zip(states, self.state, strict=True))
        text = f"{self.kind} at {self.param} = {self.parameter:.10g} ({where})"
        if self.kind == "hopf" and self.lyapunov_coefficient is not None:
            nature = "supercritical" if self.lyapunov_coefficient < 0 else "subcritical"
            text += (
                f", omega = {self.frequency:.6g}, first Lyapunov coefficient = "
                f"{self.lyapunov_coefficient:.4g} ({nature})"
            )
        if self.kind == "neimark_sacker" and self.frequency is not None:
            text += f", multiplier angle = {self.frequency:.6g} rad"
        if not self.located:
            text += " [not converged: midpoint of the bracketing step]"
        return text

    def __repr__(self) -> str:
        return f"<Bifurcation {self.describe()}>"


@dataclass(frozen=True, eq=False)
class Branch:
    """A branch of equilibria (or of fixed points of a map) computed by :func:`continuation`.

    Attributes
    ----------
    param : str
        The continuation parameter.
    points : xarray.Dataset
        Along dimension ``point`` (ordered by arclength): ``parameter``; ``state``
        (``point x actor``, model state units; coordinate ``state_name`` gives the model's
        state names); ``eigenvalues`` (complex, ``point x mode``);
        ``max_real_eigenvalue`` (ODE, 1/time unit) or ``max_abs_multiplier`` (map);
        ``stable``; ``arclength``; and the test functions ``test_<name>``.
    bifurcations : tuple of Bifurcation
        Located special points in arclength order.
    success : bool
        False when a direction stopped because the corrector failed (see ``message``).
    message : str
        How each direction ended.
    model : Model
        The model (for branch switching and plotting).
    params : mapping
        The values of all parameters other than ``param`` (and the start value of ``param``).
    bounds : tuple of float
        The parameter interval that was explored.
    period : int
        For maps: period of the points followed (1 = fixed points).
    """

    param: str
    points: xr.Dataset
    bifurcations: tuple[Bifurcation, ...]
    success: bool
    message: str
    model: Model = field(repr=False)
    params: Mapping[str, float] = field(default_factory=dict, repr=False)
    bounds: tuple[float, float] = (-math.inf, math.inf)
    period: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "bifurcations", tuple(self.bifurcations))
        object.__setattr__(self, "params", FrozenMapping(dict(self.params)))

    def __len__(self) -> int:
        return int(self.points.sizes["point"])

    def of_kind(self, kind: str) -> tuple[Bifurcation, ...]:
        """The bifurcations of one kind (``"fold"``, ``"hopf"``, ...), in arclength order."""
        return tuple(b for b in self.bifurcations if b.kind == kind)

    def switch(self, bifurcation: Bifurcation | int, **options: Any) -> Branch:
        """Continue the other branch through a branch point (see :func:`continuation`).

        Parameters
        ----------
        bifurcation : Bifurcation or int
            A ``"branch"`` point of this branch, or its index in :attr:`bifurcations`.
        **options
            Passed to :func:`continuation` (``bounds``, ``step``, ``max_points``...);
            the bounds default to this branch's.
        """
        if isinstance(bifurcation, int):
            bifurcation = self.bifurcations[bifurcation]
        options.setdefault("bounds", self.bounds)
        from .branches import continuation

        return continuation(self.model, self.param, start=bifurcation, **options)

    def summary(self) -> str:
        """Plain-text account of the branch and its bifurcations (for an appendix)."""
        values = self.points["parameter"].values
        stable = self.points["stable"].values
        lines = [
            f"Continuation of {'fixed points' if self.model.kind == 'map' else 'equilibria'} of "
            f"{self.model.name or 'the model'} in {self.param!r}"
            + (f" (period {self.period})" if self.period > 1 else ""),
            f"  {len(self)} points, {self.param} from {np.min(values):.6g} to {np.max(values):.6g}"
            if len(self)
            else "  no points",
            f"  stable points: {int(np.sum(stable))} of {len(self)}",
            "  method: pseudo-arclength continuation, Newton corrector on analytic Jacobians; "
            "special points located by Brent's method on test functions",
            f"  ended: {self.message}",
        ]
        others = {k: v for k, v in self.params.items() if k != self.param}
        if others:
            lines.append(
                "  other parameters: " + ", ".join(f"{k}={v:g}" for k, v in others.items())
            )
        if self.bifurcations:
            lines.append("  bifurcations:")
            lines += [f"    - {b.describe()}" for b in self.bifurcations]
        else:
            lines.append("  no bifurcation detected in the explored interval")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Compact table of the special points, the full summary folded underneath."""
        rows = "".join(
            f"<tr><td>{html.escape(b.kind)}</td><td>{b.parameter:.6g}</td>"
            f"<td>{html.escape(', '.join(f'{v:.4g}' for v in np.atleast_1d(b.state)))}</td>"
            f"<td>{_format_optional(b.lyapunov_coefficient)}</td></tr>"
            for b in self.bifurcations
        )
        table = (
            f"<table><tr><th>kind</th><th>{html.escape(self.param)}</th><th>state</th>"
            f"<th>Lyapunov coefficient</th></tr>{rows}</table>"
            if rows
            else "<p>no bifurcation in the explored interval</p>"
        )
        return (
            f"<div><b>Branch in {html.escape(self.param)}</b>: {len(self)} points{table}"
            f"<details><summary>summary</summary><pre>{html.escape(self.summary())}</pre>"
            "</details></div>"
        )

    def __repr__(self) -> str:
        kinds = ", ".join(b.kind for b in self.bifurcations) or "none"
        return f"<Branch in {self.param!r}: {len(self)} points, bifurcations: {kinds}>"

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the bifurcation diagram (see :func:`richardson.plot.bifurcation_diagram`)."""
        from ..plot.bifurcation import bifurcation_diagram

        return bifurcation_diagram(self, ax=ax, **kwargs)


def _format_optional(value: float | None) -> str:
    """``value`` to three significant digits, or an empty string for ``None``."""
    return "" if value is None else f"{value:.3g}"
