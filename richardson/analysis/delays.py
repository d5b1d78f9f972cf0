"""Stability with reaction delays: :func:`critical_delay` and the verdicts of delay models.

Around a balance ``x*`` a delay model ``x' = f(x(t), x(t - tau_1), ...)`` is, to first order,
``u' = A0 u(t) + sum_k A_k u(t - tau_k)``: ``A0`` the Jacobian of the undelayed terms, ``A_k``
that of the terms delayed by ``tau_k``. The balance is the same as without delays (a constant
is its own past); its stability is decided by the roots of the characteristic
quasi-polynomial ``det(lambda I - A0 - sum_k A_k exp(-lambda tau_k))`` (numerics in
:mod:`._delay_roots`).

Two facts of the science:

* With non-negative reactions and fatigue on the undelayed diagonal, the linearised Richardson
  system is *positive* (``A0`` Metzler, every ``A_k`` non-negative): it is stable for one
  delay exactly when it is stable for all, and for none (Haddad & Chellaboina 2004; Ngoc
  2006). Reaction delays alone never turn a stable balance of the classic model into swings.
* Delay-induced oscillation needs delayed *negative* feedback: a budget that corrects its own
  spending with a lag (``-a x(t - tau)``), allies that cut spending when a partner spends
  (burden sharing, a negative ``ally_coupling`` read with a lag). Beyond a critical delay a
  pair of roots crosses the imaginary axis (a delay-induced Hopf bifurcation) at a frequency
  ``omega``: swings of period ``2 pi / omega`` are born.

References
----------
Smith, H. (2011). *An Introduction to Delay Differential Equations with Applications to the
Life Sciences*. Springer.
Hale, J. K. and Verduyn Lunel, S. M. (1993). *Introduction to Functional Differential
Equations*. Springer.
Haddad, W. M. and Chellaboina, V. (2004). Stability theory for nonnegative and compartmental
dynamical systems with time delay. *Systems & Control Letters* 51, 355-361.
Ngoc, P. H. A. (2006). A Perron-Frobenius theorem for a class of positive quasi-polynomial
matrices. *Applied Mathematics Letters* 19, 747-751.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import sympy as sp

from ..errors import ModelError, did_you_mean
from ..model._frozen import FrozenMapping
from ..model.core import Model
from ..model.delays import Delayed, lagged_form
from ._delay_roots import crossing_speed, imaginary_crossings, rightmost_roots
from .balances import _check_autonomous, _param_vector, equilibria
from .results import Equilibrium, Regime

__all__ = ["critical_delay", "CriticalDelay", "classify_delayed", "delay_jacobians"]

#: A real part below this (1/time unit, relative to the size of the system) counts as zero.
_ZERO = 1e-9


@dataclass(frozen=True, eq=False)
class CriticalDelay:
    """Where a balance loses stability as one delay grows.

    Attributes
    ----------
    parameter : str
        The delay parameter varied.
    delay : float
        The critical delay (time units): the smallest value at which a pair of roots reaches
        the imaginary axis; ``inf`` when no value of the delay destabilises the balance, 0
        when it is unstable without the delay already.
    frequency : float
        Angular frequency ``omega`` (radians per time unit) of the oscillation born at the
        critical delay; NaN when there is none.
    stable_without_delay : bool
        Whether the balance is stable with the parameter at 0.
    balance : mapping
        State -> spending at the balance analysed (state units).
    current : float
        The parameter's value analysed (time units).
    rightmost_root : complex
        The rightmost characteristic root at ``current`` (1/time unit).
    crossings : tuple of (float, float, float)
        Every frequency at which a root can sit on the imaginary axis, with the first delay
        where it does and ``d Re(lambda) / d tau`` there (positive: destabilising).
    time_unit : str
        The model's time unit.
    metzler : bool
        Whether the linearisation is a positive system (``A0`` Metzler, every delayed
        Jacobian non-negative), whose stability does not depend on the delays.
    notes : tuple of str
        Remarks for the summary (why the delay never destabilises, for instance).
    """

    parameter: str
    delay: float
    frequency: float
    stable_without_delay: bool
    balance: Mapping[str, float]
    current: float
    rightmost_root: complex
    crossings: tuple[tuple[float, float, float], ...] = ()
    time_unit: str = "year"
    metzler: bool = False
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "balance", FrozenMapping(dict(self.balance)))
        object.__setattr__(self, "crossings", tuple(tuple(c) for c in self.crossings))

    @property
    def period(self) -> float:
        """Period ``2 pi / omega`` (time units) of the oscillation born at the critical delay."""
        return 2 * math.pi / self.frequency if self.frequency > 0 else math.nan

    @property
    def is_stable(self) -> bool:
        """True when the balance is stable at the parameter's current value."""
        return self.rightmost_root.real < 0

    def summary(self) -> str:
        """Plain text: the critical delay, the oscillation born there, the current verdict."""
        unit = self.time_unit or "time unit"
        where = ", ".join(f"{k} = {v:.4g}" for k, v in self.balance.items())
        lines = [f"Critical delay of {self.parameter!r} at the balance ({where})"]
        if not self.stable_without_delay:
            lines.append("  the balance is unstable already without the delay (critical delay 0)")
        elif math.isinf(self.delay):
            why = " (a positive, Metzler system)" if self.metzler else ""
            lines.append(f"  none: the balance is stable for every value of the delay{why}")
        else:
            lines.append(
                f"  {self.parameter} = {self.delay:.6g} {unit}s: a delay-induced Hopf "
                f"bifurcation, swings of frequency {self.frequency:.6g} rad/{unit} "
                f"(period {self.period:.4g} {unit}s) are born"
            )
        verdict = "stable" if self.is_stable else "unstable"
        root = self.rightmost_root
        lines.append(
            f"At {self.parameter} = {self.current:.4g}: {verdict} (rightmost root "
            f"{root.real:.4g} {'+' if root.imag >= 0 else '-'} {abs(root.imag):.4g}i)"
        )
        lines += [f"  {note}" for note in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<CriticalDelay {self.parameter}={self.delay:.6g}, omega={self.frequency:.6g}>"

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"


def delay_jacobians(
    model: Model, p: np.ndarray, state: np.ndarray
) -> tuple[np.ndarray, list[tuple[sp.Expr, np.ndarray]]]:
    """``A0`` and, per delayed term's lag, its Jacobian, at ``state`` (1/time unit each).

    Returns
    -------
    (numpy.ndarray, list of (sympy.Expr, numpy.ndarray))
        The undelayed Jacobian and ``(lag expression, A_k)`` for each distinct lag.
    """
    plain, slots = lagged_form(model)
    compiled = plain.compile()
    rows = [model.states.index(d.state) for d in model.delays]
    full = np.concatenate([p, state[rows]])
    A0 = np.asarray(compiled.jac(0.0, state, full), dtype=float)
    by_lag = np.asarray(compiled.jac_p(0.0, state, full), dtype=float)[:, len(p) :]
    groups: dict[str, tuple[sp.Expr, np.ndarray]] = {}
    for k, (delay, row) in enumerate(zip(model.delays, rows, strict=True)):
        key = sp.srepr(delay.lag)
        lag, A = groups.setdefault(key, (delay.lag, np.zeros_like(A0)))
        A[:, row] += by_lag[:, k]
    return A0, list(groups.values())


def _lag_value(lag: sp.Expr, model: Model, p: np.ndarray) -> float:
    return float(lag.xreplace(dict(zip(model.param_symbols, p.tolist(), strict=True))))


def _is_metzler(A0: np.ndarray, lagged: list[np.ndarray]) -> bool:
    off = A0 - np.diag(np.diag(A0))
    return bool(np.all(off >= 0) and all(np.all(A >= 0) for A in lagged))


def _check_delay_parameter(model: Model, parameter: str) -> sp.Symbol:
    if not model.delays:
        raise ModelError("critical_delay needs a model with delayed terms (richardson.delayed)")
    if parameter not in model.params:
        raise ModelError(
            f"{parameter!r} is not a parameter of this model{did_you_mean(parameter, model.params)}"
        )
    symbol = sp.Symbol(parameter)
    if not any(d.lag == symbol for d in model.delays):
        lags = sorted({str(d.lag) for d in model.delays})
        raise ModelError(
            f"no delayed term has the lag {parameter!r}; the lags are {lags}. critical_delay "
            "varies a parameter that is itself the lag of delayed(y, tau) terms"
        )
    for d in model.delays:
        if d.lag != symbol and symbol in d.lag.free_symbols:
            raise ModelError(
                f"{d} has a lag that depends on {parameter!r} other than as the lag itself; "
                "give each delay its own parameter"
            )
    outside = {
        s
        for expr in model.rhs
        for s in expr.xreplace({a: sp.Integer(0) for a in expr.atoms(Delayed)}).free_symbols
    }
    if symbol in outside:
        raise ModelError(
            f"{parameter!r} also enters the equations outside the lags; critical_delay needs a "
            "parameter that is only a delay"
        )
    return symbol


def critical_delay(
    model: Model,
    parameter: str,
    params: Mapping[str, float] | None = None,
    balance: Any = None,
) -> CriticalDelay:
    """The delay at which a balance loses stability, with the frequency of the swings born.

    The delayed terms whose lag is ``parameter`` are linearised at the balance (``A1``); the
    others keep their lags. Every frequency ``omega`` at which ``i omega`` is a characteristic
    root for some value of the delay is found by a scan of the pencil
    ``(i omega I - A0, A1)`` (frequencies are bounded by ``||A0|| + ||A1||``); each gives
    delays ``tau = (-arg z + 2 pi m) / omega``. A balance stable without the delay loses
    stability at the smallest of them.

    Parameters
    ----------
    model : Model
        A delay model (terms ``delayed(y, tau)``), autonomous.
    parameter : str
        The delay parameter (time units), the lag of one or more delayed terms.
    params : mapping, optional
        Values of the other parameters (and the current value of the delay).
    balance : sequence or mapping, optional
        The balance to analyse (state units); by default the first balance that is stable
        without delays, else the first found.

    Returns
    -------
    CriticalDelay

    Raises
    ------
    ModelError
        If the model has no delayed term with lag ``parameter``, the parameter enters the
        equations elsewhere too, or there is no balance.

    Examples
    --------
    >>> import math, sympy as sp
    >>> import richardson as rd
    >>> x, a, tau = sp.symbols("x a tau")
    >>> m = rd.Model(["x"], {"a": 1.0, "tau": 1.0}, [-a * rd.delayed(x, tau)])
    >>> round(rd.critical_delay(m, "tau").delay / (math.pi / 2), 9)
    1.0
    """
    _check_autonomous(model, "critical_delay")
    symbol = _check_delay_parameter(model, parameter)
    p = _param_vector(model, params)
    state = _balance(model, params, balance)
    A0, groups = delay_jacobians(model, p, state)
    A1 = sum((A for lag, A in groups if lag == symbol), np.zeros_like(A0))
    others = [(_lag_value(lag, model, p), A) for lag, A in groups if lag != symbol]
    at_zero = rightmost_roots(A0 + A1, others, count=1)
    size = 1.0 + float(np.abs(A0).max() + np.abs(A1).max())
    stable0 = bool(at_zero.size and at_zero[0].real < -_ZERO * size)
    crossings = []
    for omega, z in imaginary_crossings(A0, A1, others):
        first = (-np.angle(z)) % (2 * math.pi) / omega
        if first <= 1e-12:
            first += 2 * math.pi / omega
        crossings.append((omega, first, crossing_speed(omega, first, A0, A1, others)))
    current = float(p[model.param_index[parameter]])
    now = rightmost_roots(A0, [(current, A1), *others], count=1)
    notes = []
    if not stable0:
        delay, frequency = 0.0, math.nan
    elif crossings:
        omega, delay, _ = min(crossings, key=lambda c: c[1])
        frequency = omega
    else:
        delay, frequency = math.inf, math.nan
    metzler = _is_metzler(A0, [A for _, A in groups])
    if metzler and stable0:
        notes.append(
            "non-negative reactions, fatigue undelayed: a positive (Metzler) system, stable "
            "for every delay (Haddad & Chellaboina 2004)"
        )
    return CriticalDelay(
        parameter=parameter,
        delay=float(delay),
        frequency=float(frequency),
        stable_without_delay=stable0,
        balance=dict(zip(model.states, state.tolist(), strict=True)),
        current=current,
        rightmost_root=complex(now[0]) if now.size else complex(math.nan),
        crossings=tuple(sorted(crossings, key=lambda c: c[1])),
        time_unit=model.time_unit,
        metzler=metzler,
        notes=tuple(notes),
    )


def _balance(model: Model, params: Mapping[str, float] | None, balance: Any) -> np.ndarray:
    if balance is not None:
        return model.initial_vector(balance)
    found = [e for e in equilibria(model.without_delays(), params) if np.all(np.isfinite(e.state))]
    if not found:
        raise ModelError(
            "the model has no balance (equilibrium) to analyse; pass balance=... or change "
            "the parameters"
        )
    stable = [e for e in found if e.stable]
    return np.array((stable or found)[0].state, dtype=float) + 0.0  # no -0 in the text


def _delayed_equilibrium(model: Model, p: np.ndarray, eq: Equilibrium) -> tuple[Equilibrium, Any]:
    """``eq`` with the rightmost characteristic roots of the delay system as eigenvalues."""
    state = np.array(eq.state, dtype=float) + 0.0  # no -0 in the text
    A0, groups = delay_jacobians(model, p, state)
    delays = [(_lag_value(lag, model, p), A) for lag, A in groups]
    roots = rightmost_roots(A0, delays, count=max(model.n_states, 1))
    vectors = np.zeros((model.n_states, len(roots)), dtype=complex)
    for j, root in enumerate(roots):
        M = root * np.eye(model.n_states) - A0 - sum(A * np.exp(-root * t) for t, A in delays)
        vectors[:, j] = np.linalg.svd(M)[2][-1].conj()
    stable = bool(roots.size and roots[0].real < 0)
    complex_pair = bool(roots.size and abs(roots[0].imag) > 1e-9)
    if stable:
        kind = "stable focus" if complex_pair else "stable node"
    elif roots.size and np.all(roots.real > 0):
        kind = "unstable focus" if complex_pair else "unstable node"
    else:
        kind = "unstable focus" if complex_pair else "saddle"
    result = Equilibrium(state, roots, vectors, kind, stable, model.states)
    return result, (A0, groups, delays)


def classify_delayed(model: Model, params: Mapping[str, float] | None, **options: Any) -> Regime:
    """:func:`~.regimes.classify` of a delay model (called by it; see its docstring)."""
    from ._explain import explain_delayed
    from .regimes import classify

    base = classify(model.without_delays(), params, **options)
    p = _param_vector(model, params)
    found = [e for e in base.equilibria if np.all(np.isfinite(e.state))]
    if not found:
        return _replace_regime(base, method="delay")
    stable = [e for e in found if e.stable]
    main = (stable or found)[0]
    delayed = [_delayed_equilibrium(model, p, e)[0] for e in found]
    main_delayed = delayed[found.index(main)]
    root = complex(main_delayed.eigenvalues[0]) if main_delayed.eigenvalues.size else math.nan
    size = 1.0 + float(np.max(np.abs(main.eigenvalues))) if main.eigenvalues.size else 1.0
    criticals = []
    for name in sorted({d.lag.name for d in model.delays if isinstance(d.lag, sp.Symbol)}):
        try:
            criticals.append(critical_delay(model, name, params, balance=main.state))
        except ModelError:
            continue  # the parameter also enters elsewhere: no single critical delay
    name = base.name
    lost = main.stable and root.real > _ZERO * size and not any(e.stable for e in delayed)
    if base.name in ("stable_balance", "disarmament", "saturation", "bistable") and lost:
        name = "oscillatory"
    rate = root.real if base.method == "linear" else base.growth_rate
    doubling = math.log(2.0) / rate if rate > 0 else math.inf
    explanation = explain_delayed(model, base, name, main_delayed, root, criticals)
    fate = base.fate
    if fate is not None and name == "oscillatory":
        fate = "oscillatory"
    return _replace_regime(
        base,
        name=name,
        explanation=explanation,
        equilibria=tuple(delayed),
        growth_rate=rate,
        doubling_time=doubling,
        params=dict(zip(model.param_names, p.tolist(), strict=True)),
        method="delay",
        fate=fate,
    )


def _replace_regime(base: Regime, **changes: Any) -> Regime:
    return replace(base, **changes)
