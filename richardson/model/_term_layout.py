"""The alliance model's terms as index arrays, without building sympy expressions.

:func:`richardson.alliance_model` runs the term builders of :mod:`.terms` once with a
:class:`DeclaringBuilder`, which declares every parameter exactly as the symbolic build does
but keeps at most one placeholder term per row, and then lays the terms out here: which
parameter each reaction, ally coupling, defence clause, ... reads, as positions in the
parameter vector. The compiler (:mod:`richardson.codegen.vectorised`) turns the layout into
numpy code over actor arrays; the sympy right-hand sides are built only when an analysis reads
``model.rhs`` (:mod:`._deferred`). No numerics here: the layout is data.

Positions refer to the parameter vector extended by two entries, ``zero = P`` (the value 0)
and ``one = P + 1`` (the value 1), so that an actor without a term reads a neutral value.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import sympy as sp

from .terms import Structure, TermBuilder

__all__ = ["DeclaringBuilder", "TermLayout", "layout"]

_PLACEHOLDER = sp.Symbol("_declared_term")


class DeclaringBuilder(TermBuilder):
    """A :class:`TermBuilder` that declares the parameters and records which rows have
    terms, one placeholder each, instead of building the terms."""

    def add(
        self, i: int, term: sp.Expr, escalating: bool = True, alliance_mediated: bool = False
    ) -> None:
        for target, wanted in (
            (self.rows, True),
            (self.escalation, escalating),
            (self.alliance_mediated, alliance_mediated),
        ):
            if wanted and not target[i]:
                target[i].append(_PLACEHOLDER)

    @staticmethod
    def symbol(name: str) -> sp.Symbol:
        return _PLACEHOLDER  # a sympy Symbol per parameter costs 13 us: 0.5 s at N = 200

    @staticmethod
    def monomial(coef: float, factors) -> sp.Expr:  # noqa: ANN001
        return _PLACEHOLDER

    @staticmethod
    def product(*factors: sp.Expr) -> sp.Expr:
        return _PLACEHOLDER

    def perceived_threat_terms(self, i: int, extra=(), coef: float = 1.0):  # noqa: ANN001, ANN201
        return [_PLACEHOLDER] if self.threat[i] or self.threat_general[i] else []

    def perceived_threat(self, i: int) -> sp.Expr:
        return _PLACEHOLDER if self.threat[i] or self.threat_general[i] else sp.S.Zero


def _ints(values: Any) -> np.ndarray:
    return np.asarray(list(values), dtype=np.intp)


@dataclass(frozen=True, eq=False)
class TermLayout:
    """Index arrays of the alliance terms present (``None`` for an absent term).

    Attributes
    ----------
    n, n_params : int
        Actors and parameters; positions ``n_params`` and ``n_params + 1`` read 0 and 1.
    rival_rows, rival_cols, rival_param : numpy.ndarray
        Reaction ``k_ij x_j``: actor i, rival j, position of ``k_ij``.
    rival_weight : numpy.ndarray
        Numeric power-asymmetry weight ``(E_j/E_i)**gamma`` of each pair (1 without).
    capacity_param, gamma_param : numpy.ndarray or int, optional
        Positions of ``E_i`` and ``gamma`` when the asymmetry is symbolic.
    distrust_param : numpy.ndarray, optional
        Position of ``d_i`` per actor.
    ally_rows, ally_cols, ally_weight : numpy.ndarray
        Ally pairs (i, j) and the position of ``u_ij`` (``one`` for members of one bloc).
    coupling_rows, coupling_cols, coupling_param, coupling_weight : numpy.ndarray, optional
        Ally coupling ``u_ij c_ij x_j``.
    defence_strength, defence_threshold, defence_width : numpy.ndarray, optional
        Positions of ``s_i``, ``theta_j`` and ``w_j`` per actor (``zero``/``one`` if none).
    abandonment_fear, abandonment_commitment, chain, entrapment : numpy.ndarray, optional
        Positions of ``f_i``, ``kappa_i``, ``chain_i``, ``e_i`` per actor (``zero`` if none).
    ceiling, fatigue, grievance : numpy.ndarray
        Positions of ``M_i`` (optional), ``a_i`` and ``g_i``.
    submissive_rows, submissive_cols, submissive_param : numpy.ndarray, optional
        Submissiveness ``q_ij x_i x_j``.
    """

    n: int
    n_params: int
    rival_rows: np.ndarray
    rival_cols: np.ndarray
    rival_param: np.ndarray
    rival_weight: np.ndarray
    ally_rows: np.ndarray
    ally_cols: np.ndarray
    ally_weight: np.ndarray
    fatigue: np.ndarray
    grievance: np.ndarray
    capacity_param: np.ndarray | None = None
    gamma_param: int | None = None
    distrust_param: np.ndarray | None = None
    coupling_rows: np.ndarray | None = None
    coupling_cols: np.ndarray | None = None
    coupling_param: np.ndarray | None = None
    coupling_weight: np.ndarray | None = None
    defence_strength: np.ndarray | None = None
    defence_threshold: np.ndarray | None = None
    defence_width: np.ndarray | None = None
    abandonment_fear: np.ndarray | None = None
    abandonment_commitment: np.ndarray | None = None
    chain: np.ndarray | None = None
    entrapment: np.ndarray | None = None
    ceiling: np.ndarray | None = None
    submissive_rows: np.ndarray | None = None
    submissive_cols: np.ndarray | None = None
    submissive_param: np.ndarray | None = None

    @property
    def zero(self) -> int:
        return self.n_params

    @property
    def one(self) -> int:
        return self.n_params + 1

    @property
    def is_linear(self) -> bool:
        """Affine in the states: no defence clause, ceiling or submissiveness."""
        return self.defence_strength is None and self.ceiling is None and not self.has_submissive

    @property
    def has_submissive(self) -> bool:
        return self.submissive_rows is not None and self.submissive_rows.size > 0

    def digest(self) -> str:
        """Hash of every array (what the right-hand sides depend on besides the names)."""
        digest = hashlib.sha256(b"alliance-layout-1")
        for item in fields(self):
            value = getattr(self, item.name)
            digest.update(item.name.encode())
            if isinstance(value, np.ndarray):
                digest.update(str(value.dtype).encode() + np.ascontiguousarray(value).tobytes())
            else:
                digest.update(repr(value).encode())
        return digest.hexdigest()


def layout(structure: Structure, plan: dict[str, Any], names: tuple[str, ...]) -> TermLayout:
    """Lay out the terms of ``plan`` (the validated inputs of ``alliance_model``) against
    the parameter vector ``names``."""
    pos = {name: k for k, name in enumerate(names)}
    s, n = structure.states, structure.n
    zero, one = len(names), len(names) + 1

    def per_actor(prefix: str, missing: int) -> np.ndarray:
        return _ints(pos.get(f"{prefix}_{state}", missing) for state in s)

    def weight(u: sp.Expr) -> int:
        return one if u == 1 else pos[u.name]

    pairs = list(plan["k_pairs"])
    out: dict[str, Any] = {
        "rival_rows": _ints(i for i, _ in pairs),
        "rival_cols": _ints(j for _, j in pairs),
        "rival_param": _ints(pos[f"k_{s[i]}_{s[j]}"] for i, j in pairs),
        "rival_weight": np.ones(len(pairs)),
    }
    if "capacity" in plan:
        E, gamma, symbolic = plan["capacity"]
        if symbolic:
            out["capacity_param"] = per_actor("E", -1)
            out["gamma_param"] = pos["gamma"]
        elif pairs:
            w = (E[None, :] / E[:, None]) ** gamma
            out["rival_weight"] = np.array([w[i, j] for i, j in pairs], dtype=float)
    if "distrust" in plan:
        out["distrust_param"] = per_actor("d", -1)
    allies = [(i, j, u) for i in range(n) for j, u in structure.allies[i]]
    out.update(
        ally_rows=_ints(a[0] for a in allies),
        ally_cols=_ints(a[1] for a in allies),
        ally_weight=_ints(weight(a[2]) for a in allies),
    )
    if "ally_coupling" in plan:
        u = {(i, j): w for i, j, w in allies}
        c_pairs = list(plan["ally_coupling"])
        out.update(
            coupling_rows=_ints(i for i, _ in c_pairs),
            coupling_cols=_ints(j for _, j in c_pairs),
            coupling_param=_ints(pos[f"c_{s[i]}_{s[j]}"] for i, j in c_pairs),
            coupling_weight=_ints(weight(u[pair]) for pair in c_pairs),
        )
    if "mutual_defence" in plan:
        out.update(
            defence_strength=per_actor("s", zero),
            defence_threshold=per_actor("theta", zero),
            defence_width=per_actor("w", one),
        )
    if "abandonment" in plan:
        out.update(
            abandonment_fear=per_actor("f", zero), abandonment_commitment=per_actor("kappa", zero)
        )
    if "chain_ganging" in plan:
        out["chain"] = per_actor("chain", zero)
    if "entrapment" in plan:
        out["entrapment"] = per_actor("e", zero)
    if "ceiling" in plan:
        out["ceiling"] = per_actor("M", -1)
    if "submissiveness" in plan:
        q_pairs = list(plan["submissiveness"])
        out.update(
            submissive_rows=_ints(i for i, _ in q_pairs),
            submissive_cols=_ints(j for _, j in q_pairs),
            submissive_param=_ints(pos[f"q_{s[i]}_{s[j]}"] for i, j in q_pairs),
        )
    return TermLayout(
        n=n,
        n_params=len(names),
        fatigue=per_actor("a", -1),
        grievance=per_actor("g", -1),
        **out,
    )
