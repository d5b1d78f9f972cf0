"""Symbolic stability conditions: when is a balance stable, as sympy inequalities.

Routh-Hurwitz determinants of the characteristic polynomial for small systems, the
M-matrix minors of ``diag(a) - K`` for the N-nation linear family, Jury's conditions (through
the bilinear transform) for maps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import sympy as sp

from ..errors import ModelError
from ..model.core import Model
from .balances import _check_autonomous

__all__ = ["StabilityConditions", "stability_conditions"]


@dataclass(frozen=True, eq=False)
class StabilityConditions(Sequence):
    """Conditions (sympy inequalities, all of which must hold) for a stable balance.

    Behaves as a sequence of sympy relationals (``list(cs)``, ``cs[0]``), printable and
    LaTeX-renderable in notebooks.

    Attributes
    ----------
    conditions : tuple of sympy.core.relational.Relational
        Each written as ``positive terms > negative terms`` (``a*b > k*l``).
    method : str
        ``"routh-hurwitz"`` (Hurwitz determinants of the characteristic polynomial),
        ``"m-matrix"`` (leading principal minors of ``diag(a) - K``, exact when every
        cross-reaction is non-negative) or ``"jury"`` (maps, through the bilinear transform).
    characteristic_polynomial : sympy.Expr
        ``det(lambda I - J)`` in the symbol ``lambda`` (``None`` for the m-matrix method).
    note : str
        What the conditions assume, in words.
    """

    conditions: tuple[sp.Basic, ...]
    method: str
    characteristic_polynomial: sp.Expr | None
    note: str

    def __getitem__(self, index):  # noqa: ANN001, ANN204
        return self.conditions[index]

    def __len__(self) -> int:
        return len(self.conditions)

    def holds(self, params: Mapping[str, float], model: Model | None = None) -> bool:
        """Evaluate the conditions at numeric values.

        Parameters
        ----------
        params : mapping
            Symbol name -> value for every symbol in the conditions (parameters and, for
            nonlinear models, states at the balance).
        model : Model, optional
            Supplies default values for parameters missing from ``params``.
        """
        values = dict(model.defaults) if model is not None else {}
        values.update(params)
        symbols, function = self._evaluator
        missing = [s.name for s in symbols if s.name not in values]
        if missing:
            raise ModelError(f"no value for {missing}; pass them in params or pass model=...")
        margins = function(*[float(values[s.name]) for s in symbols])
        return all(value > 0 for value in margins)

    @cached_property
    def _evaluator(self):  # noqa: ANN202
        """``lhs - rhs`` of every condition as one numeric function (our own expressions)."""
        symbols = sorted(set().union(*[c.free_symbols for c in self.conditions]), key=str)
        differences = [
            c.lhs - c.rhs if hasattr(c, "lhs") else (1 if c else -1) for c in self.conditions
        ]
        return symbols, sp.lambdify(symbols, differences, modules="math")

    def summary(self) -> str:
        lines = [f"Stable balance iff all of ({self.method}):"]
        lines += [f"  {sp.sstr(c)}" for c in self.conditions]
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return "StabilityConditions(" + ", ".join(sp.sstr(c) for c in self.conditions) + ")"

    def _repr_latex_(self) -> str:
        return (
            r"$\begin{aligned}"
            + r" \\ ".join(sp.latex(c) for c in self.conditions)
            + r"\end{aligned}$"
        )


def _as_inequality(expr: sp.Expr) -> sp.Basic:
    """``expr > 0`` written as ``positive terms > negative terms`` (``a*b > k*l``)."""
    expr = sp.expand(expr)
    positive, negative = [], []
    for term in sp.Add.make_args(expr):
        coefficient, _ = term.as_coeff_Mul()
        (negative if coefficient.is_negative else positive).append(term)
    left = sp.Add(*positive)
    right = -sp.Add(*negative)
    if right == 0:
        return (
            sp.StrictGreaterThan(left, 0, evaluate=False)
            if left.free_symbols
            else sp.sympify(bool(left > 0))
        )
    return sp.StrictGreaterThan(left, right, evaluate=False)


def _hurwitz_conditions(coefficients: list[sp.Expr]) -> list[sp.Expr]:
    """Hurwitz determinants of the monic polynomial ``s^n + c1 s^(n-1) + ... + cn``: all > 0."""
    c = [sp.Integer(1), *coefficients]
    n = len(coefficients)
    matrix = sp.zeros(n, n)
    for i in range(n):
        for j in range(n):
            k = 2 * (j + 1) - (i + 1)
            matrix[i, j] = c[k] if 0 <= k <= n else 0
    determinants = []
    for size in range(1, n + 1):
        determinants.append(sp.expand(matrix[:size, :size].det(method="berkowitz")))
    # Delta_n = c_n * Delta_{n-1}: with Delta_{n-1} > 0 the last condition is c_n > 0.
    if n >= 2:
        determinants[-1] = sp.expand(c[n])
    return determinants


def stability_conditions(model: Model, method: str = "auto") -> StabilityConditions:
    """The conditions on the parameters under which the model's balance is stable.

    For an ODE with Jacobian ``J`` the balance is stable iff every eigenvalue of ``J`` has a
    negative real part. Two equivalent symbolic forms are offered:

    ``"routh-hurwitz"``
        The Hurwitz determinants of the characteristic polynomial ``det(lambda I - J)`` are
        all positive. For Richardson's two nations: ``a + b > 0`` and ``a*b > k*l``.
    ``"m-matrix"``
        For the linear family ``dx/dt = K x - diag(a) x + g`` with non-negative
        cross-reactions (rivals), ``J`` is a Metzler matrix and the balance is stable iff
        every leading principal minor of ``diag(a) - K`` is positive (an M-matrix): the
        N-nation generalisation of ``a*b > k*l``. Cheap for any N.

    Maps (``kind="map"``) use the bilinear transform ``z = (1 + w)/(1 - w)``, which turns
    "all multipliers inside the unit circle" into Hurwitz conditions (Jury's test).

    For nonlinear models the conditions are in terms of the states as well: they hold at a
    balance ``x*`` when evaluated there.

    Parameters
    ----------
    model : Model
        An autonomous model.
    method : {"auto", "routh-hurwitz", "m-matrix"}
        ``"auto"`` uses the M-matrix minors for linear ODEs with more than two actors whose
        cross-reactions are non-negative at the default values, Routh-Hurwitz otherwise.
        Routh-Hurwitz on a dense symbolic matrix grows fast: seconds for three actors with
        every coupling present, minutes for four.

    Returns
    -------
    StabilityConditions
        A sequence of sympy inequalities, all of which must hold.

    Raises
    ------
    ModelError
        For a time-dependent model, an unknown method, or an M-matrix request on a model whose
        cross-reactions are not all non-negative.

    References
    ----------
    Richardson (1960), ch. 2; Gantmacher (1959), *The Theory of Matrices*, vol. 2, ch. 15
    (Routh-Hurwitz); Berman and Plemmons (1994), *Nonnegative Matrices in the Mathematical
    Sciences*, ch. 6 (M-matrices).

    Examples
    --------
    >>> import richardson as rd
    >>> print(rd.stability_conditions(rd.richardson2())[-1])
    a*b > k*l
    """
    _check_autonomous(model, "stability_conditions")
    if method not in ("auto", "routh-hurwitz", "m-matrix"):
        raise ModelError(f"method must be 'auto', 'routh-hurwitz' or 'm-matrix', not {method!r}")
    states = sp.Matrix(model.state_symbols)
    jacobian = sp.Matrix(model.rhs).jacobian(states)
    n = model.n_states
    discrete = model.kind == "map"
    linear = not (jacobian.free_symbols & set(model.state_symbols))
    note = "" if linear else "Nonlinear model: evaluate the conditions at a balance (states = x*)."
    values = {sp.Symbol(k): v for k, v in model.defaults.items()}
    off_diagonal_nonnegative = (
        linear
        and not discrete
        and all(
            float(jacobian[i, j].subs(values)) >= 0 for i in range(n) for j in range(n) if i != j
        )
    )
    if method == "auto":
        method = "m-matrix" if (n > 2 and off_diagonal_nonnegative) else "routh-hurwitz"
    if method == "m-matrix":
        if discrete or not off_diagonal_nonnegative:
            raise ModelError(
                "the M-matrix test is exact only for ODEs whose cross-reactions (off-diagonal "
                "Jacobian entries) are all non-negative; use method='routh-hurwitz'"
            )
        minus = -jacobian
        conditions = tuple(
            _as_inequality(minus[:k, :k].det(method="berkowitz")) for k in range(1, n + 1)
        )
        note = (note + " " if note else "") + (
            "Exact because every cross-reaction is non-negative at the default values "
            "(J is a Metzler matrix)."
        )
        return StabilityConditions(conditions, "m-matrix", None, note.strip())
    lam = sp.Symbol("lambda")
    polynomial = (lam * sp.eye(n) - jacobian).det(method="berkowitz")
    polynomial = sp.expand(polynomial)
    if discrete:
        w = sp.Symbol("w")
        transformed = sp.expand(sp.cancel(polynomial.subs(lam, (1 + w) / (1 - w)) * (1 - w) ** n))
        poly = sp.Poly(transformed, w)
        coefficients = poly.all_coeffs()
        lead = coefficients[0]
        # Hurwitz conditions on the monic polynomial; require lead > 0 multiplied through.
        monic = [sp.expand(c * lead) for c in coefficients[1:]]
        raw = [sp.expand(lead**2)] if lead.free_symbols else []
        raw += _hurwitz_conditions(monic)
        note = (note + " " if note else "") + "Jury conditions via w = (z - 1)/(z + 1)."
        method_name = "jury"
    else:
        coefficients = sp.Poly(polynomial, lam).all_coeffs()[1:]
        raw = _hurwitz_conditions([sp.expand(c) for c in coefficients])
        method_name = "routh-hurwitz"
    conditions = []
    for expr in raw:
        condition = _as_inequality(expr)
        if condition is sp.true:
            continue
        if condition is sp.false:
            conditions.append(sp.false)
            continue
        conditions.append(condition)
    return StabilityConditions(tuple(conditions), method_name, polynomial, note.strip())
