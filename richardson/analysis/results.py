"""The result types of the analysis stage: :class:`Equilibrium` and :class:`Regime`.

They live apart from the code that computes them (:mod:`.equilibria`, :mod:`.regimes`,
:mod:`._sampled`), so that every module of the stage can share them without import circles.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ModelError
from ..model._frozen import FrozenMapping

__all__ = ["REGIMES", "KINDS", "Equilibrium", "Regime"]

#: The closed set of regime names (see the design notes).
REGIMES = (
    "stable_balance",
    "runaway",
    "disarmament",
    "bistable",
    "oscillatory",
    "saturation",
    "threshold",
    "marginal",
    "chaotic",
)

#: The closed set of equilibrium kinds.
KINDS = (
    "stable node",
    "stable focus",
    "unstable node",
    "unstable focus",
    "saddle",
    "centre",
    "degenerate",
)


@dataclass(frozen=True, eq=False)
class Equilibrium:
    """A balance (ODE: ``f(x*) = 0``; map: fixed point ``f(x*) = x*``) and its linearisation.

    Attributes
    ----------
    state : numpy.ndarray
        Spending of each actor at the balance, shape ``(n,)`` (state units).
    eigenvalues : numpy.ndarray
        Eigenvalues of the Jacobian at the balance (1/time unit); for maps the multipliers
        (dimensionless).
    eigenvectors : numpy.ndarray
        Matching right eigenvectors as columns, shape ``(n, n)``.
    kind : str
        One of ``"stable node"``, ``"stable focus"``, ``"unstable node"``,
        ``"unstable focus"``, ``"saddle"``, ``"centre"``, ``"degenerate"``.
    stable : bool
        True when every eigenvalue has negative real part (maps: modulus below one).
    states : tuple of str
        State names, in the order of ``state``.
    """

    state: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    kind: str
    stable: bool
    states: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("state", "eigenvalues", "eigenvectors"):
            array = np.array(getattr(self, name), copy=True)
            array.setflags(write=False)
            object.__setattr__(self, name, array)

    @property
    def growth_rate(self) -> float:
        """Largest real part of the eigenvalues (1/time unit; maps: largest modulus)."""
        if self.eigenvalues.size == 0:
            return math.nan
        return float(np.max(self.eigenvalues.real))

    def as_dict(self) -> dict[str, float]:
        """State name -> spending at the balance."""
        names = self.states or tuple(f"x{i}" for i in range(len(self.state)))
        return dict(zip(names, self.state.tolist(), strict=True))

    def summary(self) -> str:
        where = ", ".join(f"{k} = {v:.4g}" for k, v in self.as_dict().items())
        eigs = ", ".join(_format_complex(z) for z in self.eigenvalues)
        return f"{self.kind} at ({where}); eigenvalues {eigs}"

    def __repr__(self) -> str:
        return f"<Equilibrium {self.summary()}>"

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


def _format_complex(z: complex, digits: int = 4) -> str:
    z = complex(z)
    if abs(z.imag) <= 1e-12 * max(1.0, abs(z.real)):
        return f"{z.real:.{digits}g}"
    sign = "+" if z.imag >= 0 else "-"
    return f"{z.real:.{digits}g} {sign} {abs(z.imag):.{digits}g}i"


# ---------------------------------------------------------------------- regimes
@dataclass(frozen=True, eq=False)
class Regime:
    """The verdict on a parameter set: which regime, why, and the numbers behind it.

    Attributes
    ----------
    name : str
        One of :data:`REGIMES`: ``"stable_balance"``, ``"runaway"``, ``"disarmament"``,
        ``"bistable"`` (two or more *finite* stable states), ``"oscillatory"``,
        ``"saturation"``, ``"threshold"`` (a balance exists, but beyond a threshold through
        a saddle spending runs away: Richardson's unstable case with goodwill) or
        ``"marginal"`` (a zero growth rate with no forcing that drives growth: no growth
        and no convergence, e.g. a line of balances) or ``"chaotic"`` (maps: a bounded
        orbit with a positive largest Lyapunov exponent).
    explanation : str
        One paragraph in plain language, with the numbers.
    equilibria : tuple of Equilibrium
        The balances found (see :func:`equilibria`).
    growth_rate : float
        The number behind the verdict, 1/time unit: for linear models the largest real part
        of the eigenvalues of ``J = K - diag(a)`` (positive means runaway); for nonlinear
        models the largest real part over the balances found (NaN if there is none).
    doubling_time : float
        ``ln 2 / growth_rate`` in time units when spending runs away exponentially, else inf.
    params : mapping
        The full parameter set analysed.
    method : str
        ``"linear"`` (exact linear algebra) or ``"sampled"`` (equilibria plus simulation
        from sampled initial states), or ``"delay"`` (a delay model: the verdict without
        delays, then the characteristic roots with them; the balances' ``eigenvalues`` are
        then the rightmost characteristic roots).
    outcomes : mapping
        For ``"sampled"``: share of sampled starts ending in each outcome.
    time_unit : str
        The model's time unit.
    fate : str or None
        Where the start given to :func:`classify` (``y0``) goes: ``"runaway"``, or the
        regime of the balance it reaches (``"stable_balance"``, ``"disarmament"``, ...);
        None when no start was given (or, for sampled verdicts, it had not settled).
    start : mapping or None
        That start, state -> value.
    region : mapping or None
        For ``"sampled"``: state -> (lower, upper), the box (state units) the starts were
        spread over uniformly; ``outcomes`` are shares of that box, not probabilities.
    escape : EscalationProbability or None
        When :func:`classify` was given ``noise=``: the estimated probability that shocks
        push the start over the threshold within the horizon (also the explanation's last
        sentence).
    """

    name: str
    explanation: str
    equilibria: tuple[Equilibrium, ...]
    growth_rate: float
    doubling_time: float = math.inf
    params: Mapping[str, float] = field(default_factory=dict)
    method: str = "linear"
    outcomes: Mapping[str, float] = field(default_factory=dict)
    time_unit: str = "year"
    fate: str | None = None
    start: Mapping[str, float] | None = None
    region: Mapping[str, tuple[float, float]] | None = None
    escape: Any = None

    def __post_init__(self) -> None:
        if self.name not in REGIMES:
            raise ModelError(f"regime name must be one of {REGIMES}, not {self.name!r}")
        if self.fate is not None and self.fate not in REGIMES:
            raise ModelError(f"fate must be one of {REGIMES}, not {self.fate!r}")
        object.__setattr__(self, "equilibria", tuple(self.equilibria))
        object.__setattr__(self, "params", FrozenMapping(dict(self.params)))
        object.__setattr__(self, "outcomes", FrozenMapping(dict(self.outcomes)))
        if self.region is not None:
            box = {k: (float(lo), float(hi)) for k, (lo, hi) in dict(self.region).items()}
            object.__setattr__(self, "region", FrozenMapping(box))

    @property
    def is_runaway(self) -> bool:
        """True for the runaway regime."""
        return self.name == "runaway"

    def summary(self) -> str:
        """Plain text for an appendix: verdict, explanation, balances and parameters."""
        lines = [f"Regime: {self.name.replace('_', ' ')}"]
        if self.start is not None:
            where = ", ".join(f"{k} = {v:.4g}" for k, v in self.start.items())
            fate = (self.fate or "not settled").replace("_", " ")
            lines.append(f"Fate of the start ({where}): {fate}")
        lines += ["", _wrap(self.explanation), ""]
        if self.equilibria:
            lines.append("Balances:")
            lines += [f"  {eq.summary()}" for eq in self.equilibria]
        else:
            lines.append("Balances: none")
        if math.isfinite(self.growth_rate):
            lines.append(f"Largest growth rate: {self.growth_rate:+.4g} per {self.time_unit}")
        if self.outcomes:
            where = ""
            if self.region:
                boxes = [f"{k} {lo:.3g} to {hi:.3g}" for k, (lo, hi) in self.region.items()]
                where = " spread over " + ", ".join(boxes[:6]) + (" ..." if len(boxes) > 6 else "")
            lines.append(
                f"Outcomes of sampled starts{where} (shares of that box, not probabilities): "
                + ", ".join(f"{k} {100 * v:.0f}%" for k, v in self.outcomes.items())
            )
        lines.append(
            "Parameters: "
            + ", ".join(f"{k} = {v:.4g}" for k, v in list(self.params.items())[:30])
            + (" ..." if len(self.params) > 30 else "")
        )
        lines.append(f"Method: {self.method}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Regime {self.name!r}: {self.explanation[:90]}...>"

    def _repr_html_(self) -> str:
        colour = _REGIME_COLOURS[self.name]
        rows = "".join(f"<li>{html.escape(eq.summary())}</li>" for eq in self.equilibria)
        return (
            f"<div><b style='color:{colour}'>{html.escape(self.name.replace('_', ' '))}</b>"
            f"<p>{html.escape(self.explanation)}</p>"
            f"<details><summary>balances and parameters</summary><ul>{rows or '<li>none</li>'}</ul>"
            f"<pre>{html.escape(self.summary())}</pre></details></div>"
        )


_REGIME_COLOURS = {
    "stable_balance": "#2e7d32",
    "runaway": "#c62828",
    "disarmament": "#1565c0",
    "bistable": "#6a1b9a",
    "oscillatory": "#ef6c00",
    "saturation": "#8d6e63",
    "threshold": "#ad1457",
    "marginal": "#757575",
    "chaotic": "#4527a0",
}


def _wrap(text: str, width: int = 92) -> str:
    import textwrap

    return textwrap.fill(text, width=width)
