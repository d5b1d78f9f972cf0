"""Delayed reactions: ``delayed(y, tau)`` stands for ``y(t - tau)`` (symbolic, no numerics).

A government that reacts to last year's intelligence reacts to ``y(t - tau)``, not ``y(t)``.
:func:`delayed` builds that term as a sympy expression (:class:`Delayed`), which a
:class:`~richardson.model.Model` accepts in its right-hand sides; :attr:`Model.delays` lists
the delayed terms. The lag ``tau`` is a number or an expression of parameters (not of the
states or time: state-dependent delays are not supported), positive at the defaults.

:func:`lagged_form` splits a delay model into an ordinary model whose delayed terms are
extra parameters (one per distinct ``delayed(y, tau)``), which the code generator compiles
as usual: its right-hand side evaluated with the lagged states in those parameters is the
delay system's right-hand side, and its parameter Jacobian gives the delayed Jacobians
``A_k`` of the linear stability analysis.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import sympy as sp

from ..errors import ModelError

__all__ = ["Delayed", "delayed", "Delay", "find_delays", "check_delays", "lagged_form"]


class Delayed(sp.Function):
    """``Delayed(y, tau)``: the state ``y`` at time ``t - tau`` (see :func:`delayed`)."""

    nargs = 2

    @classmethod
    def eval(cls, state: sp.Expr, lag: sp.Expr) -> sp.Expr | None:  # noqa: D102
        if lag.is_zero:
            return state
        return None

    def _eval_is_extended_real(self) -> bool:
        return True

    def _sympystr(self, printer) -> str:  # noqa: ANN001
        return f"delayed({printer._print(self.args[0])}, {printer._print(self.args[1])})"

    def _latex(self, printer) -> str:  # noqa: ANN001
        state, lag = (printer._print(a) for a in self.args)
        return rf"{state}\left(t - {lag}\right)"


def delayed(state: sp.Expr | str, lag: sp.Expr | float | str) -> sp.Expr:
    """The state ``y`` a delay ``tau`` ago: ``y(t - tau)``, as a sympy expression.

    Parameters
    ----------
    state : sympy.Symbol or str
        The state (an actor's spending) whose past value enters the equation.
    lag : sympy expression, str or float
        The delay, in the model's time unit (years for the scenarios): a number, a
        parameter symbol (or name) or an expression of parameters; positive at the
        parameters' defaults (the model checks this when it is built).

    Returns
    -------
    sympy.Expr
        ``Delayed(y, tau)``; ``y`` itself when the lag is the number 0.

    Raises
    ------
    ModelError
        If ``state`` is not a symbol, or ``lag`` is a negative or non-finite number.

    Examples
    --------
    >>> import sympy as sp
    >>> import richardson as rd
    >>> x, y, k, a, tau = sp.symbols("x y k a tau")
    >>> k * rd.delayed(y, tau) - a * x
    -a*x + k*delayed(y, tau)
    """
    if isinstance(state, str):
        state = sp.Symbol(state)
    if not isinstance(state, sp.Symbol):
        raise ModelError(
            f"delayed() takes a state symbol, not {state!r}; write the delayed value of each "
            "state on its own, e.g. k*delayed(y, tau) - a*delayed(x, tau)"
        )
    if isinstance(lag, str):
        lag = sp.Symbol(lag)
    lag = sp.sympify(lag) if isinstance(lag, (int, float)) else lag
    if not isinstance(lag, sp.Expr):
        raise ModelError(f"the lag of delayed({state}, ...) must be a number or a parameter")
    if lag.is_Number and (not math.isfinite(float(lag)) or float(lag) < 0):
        raise ModelError(
            f"the lag of delayed({state}, {lag}) must be a finite non-negative number of time units"
        )
    return Delayed(state, lag)


@dataclass(frozen=True)
class Delay:
    """One delayed term of a model: ``state`` at ``t - lag``.

    Attributes
    ----------
    state : str
        The state whose past value is used.
    lag : sympy.Expr
        The delay (time units), a number or an expression of parameters.
    """

    state: str
    lag: sp.Expr

    def value(self, params: Mapping[str, float]) -> float:
        """The lag at the given parameter values (time units)."""
        return float(self.lag.xreplace({sp.Symbol(n): v for n, v in params.items()}))

    def __str__(self) -> str:
        return f"delayed({self.state}, {self.lag})"


def find_delays(exprs: Iterable[sp.Expr]) -> tuple[Delay, ...]:
    """The distinct delayed terms of ``exprs``, in a deterministic order."""
    found: dict[tuple[str, str], Delay] = {}
    for expr in exprs:
        for term in expr.atoms(Delayed):
            state, lag = term.args
            found.setdefault((str(state), sp.srepr(lag)), Delay(str(state), lag))
    return tuple(found[key] for key in sorted(found))


def check_delays(
    delays: Sequence[Delay],
    states: Sequence[str],
    defaults: Mapping[str, float],
    kind: str,
    where: Iterable[tuple[str, sp.Expr]] = (),
) -> None:
    """Refuse delayed terms a delay model cannot hold.

    Raises
    ------
    ModelError
        For a delayed term of something that is not a state, a lag that uses states or time
        or is not positive at the defaults, a delay in a map, or a delayed term inside an
        observable (``where``: name -> expression of each observable).
    """
    for name, expr in where:
        if expr.atoms(Delayed):
            raise ModelError(
                f"observable {name!r} uses a delayed term; observables are computed from the "
                "current state only"
            )
    if delays and kind != "ode":
        raise ModelError(
            "delayed(...) needs a continuous-time model (kind='ode'); in a map write the "
            "lagged state as a state of its own"
        )
    for delay in delays:
        if delay.state not in states:
            raise ModelError(
                f"{delay} delays {delay.state!r}, which is not a state; delayed() takes a state"
            )
        used = {s.name for s in delay.lag.free_symbols}
        if used & (set(states) | {"t"}):
            raise ModelError(
                f"the lag of {delay} depends on the states or on time; only constant delays "
                "(numbers or parameters) are supported"
            )
        try:
            value = delay.value(defaults)
        except (TypeError, ValueError) as err:
            raise ModelError(f"the lag of {delay} is not a number at the defaults") from err
        if not math.isfinite(value) or value <= 0:
            raise ModelError(
                f"the lag of {delay} is {value} at the defaults; a delay must be a positive "
                "number of time units (write the state itself for no delay)"
            )


def lagged_form(model):  # noqa: ANN001, ANN201 (Model; core imports this module)
    """The ordinary model with each delayed term replaced by a parameter of its own.

    Returns
    -------
    (Model, tuple of str)
        The model (its parameters: the original ones, then one per delayed term, in the
        order of ``model.delays``, with the state's initial value as default) and the names of
        those extra parameters.
    """
    from dataclasses import replace

    names, subs, taken = [], {}, set(model.states) | set(model.params)
    for index, delay in enumerate(model.delays):
        name = f"lag_{delay.state}_{index}"
        while name in taken:
            name = "_" + name
        taken.add(name)
        names.append(name)
        subs[Delayed(sp.Symbol(delay.state), delay.lag)] = sp.Symbol(name)
    params = dict(model.params)
    params.update({name: 0.0 for name in names})
    rhs = tuple(expr.xreplace(subs) for expr in model.rhs)
    plain = replace(model, params=params, rhs=rhs, interventions=())
    return plain, tuple(names)


def undelayed_form(model):  # noqa: ANN001, ANN201
    """The model with every lag set to zero (``delayed(y, tau)`` -> ``y``): same balances."""
    from dataclasses import replace

    subs = {Delayed(sp.Symbol(d.state), d.lag): sp.Symbol(d.state) for d in model.delays}
    return replace(model, rhs=tuple(expr.xreplace(subs) for expr in model.rhs))


def refuse_delays(model, what: str) -> None:  # noqa: ANN001
    """Raise when ``model`` has delayed terms that ``what`` (an analysis) would ignore.

    Raises
    ------
    ModelError
        Naming the delayed terms, what handles delay models, and how to drop the lags.
    """
    delays = getattr(model, "delays", ())
    if delays:
        terms = ", ".join(str(d) for d in delays[:4]) + (" ..." if len(delays) > 4 else "")
        raise ModelError(
            f"{what} cannot handle the delayed terms {terms} of this model: it treats the "
            "right-hand side as an ordinary differential equation and would ignore the lags. "
            "Delay models are handled by richardson.simulate, classify and critical_delay; "
            "to study the system without lags, pass model.without_delays()"
        )
