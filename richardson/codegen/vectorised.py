"""Vectorised code for models laid out term by term (``rd.alliance_model``).

The alliance model's terms are few kinds, each the same over every actor or pair of actors
(:mod:`richardson.model._term_layout`). Instead of N scalar expressions, each kind becomes a
handful of numpy operations over actor arrays: the perceived threat ``P = (1 + d) K_w x`` a
gather of reaction coefficients and a sparse sum, the defence clauses one ``tanh`` over the
actors, the ceiling one ``logaddexp``. Nothing symbolic happens at compile time, so an N = 200
model compiles in milliseconds.

``rhs`` and ``jac`` take batches (``y`` of shape ``(n, m)``, ``p`` of shape ``(P, m)``);
``bind(p)`` folds every term linear in the states into one dense matrix and the defence
clauses into another, so the bound right-hand side is two matrix products, one ``tanh`` and
the ceiling. ``jac_p`` (parameter sensitivities, used by fits and continuation) comes from
the symbolic structured code of the same model, generated on its first call.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse
from scipy.special import expit

from ..model._term_layout import TermLayout
from ..model.core import Model
from ..model.terms import CEILING_WIDTH

__all__ = ["TermKernel", "emit_vectorised"]

_W = CEILING_WIDTH

_SOURCE = """\
# the numerics are methods of _kernel (richardson.codegen.vectorised.TermKernel): numpy over
# actor arrays, one block per term kind, from the model's term layout
def rhs(t, y, p):
    return _kernel.rhs(t, y, p)


def jac(t, y, p):
    return _kernel.jac(t, y, p)


def jac_p(t, y, p):
    return _symbolic.jac_p(t, y, p)


def bind(p):
    return _kernel.bind(p)
"""


def emit_vectorised(model: Model) -> tuple[str, dict[str, Any]]:
    """Source and namespace of the compiled functions of a model with a term layout."""
    layout = model.rhs.layout
    return _SOURCE, {"_kernel": TermKernel(layout), "_symbolic": _SymbolicFallback(model)}


class _SymbolicFallback:
    """The structured (symbolic) compiled model, generated when first needed."""

    def __init__(self, model: Model) -> None:
        self.model, self._compiled = model, None

    def jac_p(self, t: float, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        if self._compiled is None:
            from .compiled import compile_model  # the entry point imports this module

            self._compiled = compile_model(self.model, strategy="structured")
        return self._compiled.jac_p(t, y, p)

    def __reduce__(self) -> tuple[Any, ...]:
        return _SymbolicFallback, (self.model,)


def _summing(rows: np.ndarray, n: int) -> scipy.sparse.csr_array:
    """``S`` with ``(S @ v)[i] = sum of v[k] over k with rows[k] == i``."""
    return scipy.sparse.csr_array(
        (np.ones(rows.size), (rows, np.arange(rows.size))), shape=(n, rows.size)
    )


class TermKernel:
    """rhs, jac and bind of one term layout (see the module docstring)."""

    def __init__(self, layout: TermLayout) -> None:
        self.layout = L = layout
        self.n, self.P = L.n, L.n_params
        self.sum_rival = _summing(L.rival_rows, L.n)
        self.sum_ally = _summing(L.ally_rows, L.n)
        self.sum_coupling = None if L.coupling_rows is None else _summing(L.coupling_rows, L.n)
        self.sum_submissive = _summing(L.submissive_rows, L.n) if L.has_submissive else None
        self.mediated = L.chain is not None or L.defence_strength is not None

    def __reduce__(self) -> tuple[Any, ...]:
        return TermKernel, (self.layout,)

    # ------------------------------------------------------------------ batched pieces
    def _prepare(self, y: Any, p: Any) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
        y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
        batch = y.shape[1:] if y.ndim > 1 else (p.shape[1:] if p.ndim > 1 else ())
        y2, p2 = y.reshape(self.n, -1), p.reshape(self.P, -1)
        m = max(y2.shape[1], p2.shape[1])
        pe = np.concatenate([p2, np.zeros((1, p2.shape[1])), np.ones((1, p2.shape[1]))])
        return np.broadcast_to(y2, (self.n, m)), pe, batch

    def _reaction(self, pe: np.ndarray) -> np.ndarray:
        """``omega_ij k_ij`` per rival pair, ``(pairs, m)``."""
        L = self.layout
        kw = pe[L.rival_param] * L.rival_weight[:, None]
        if L.capacity_param is not None:
            E = pe[L.capacity_param]
            kw = kw * (E[L.rival_cols] / E[L.rival_rows]) ** pe[L.gamma_param]
        return kw

    def _pieces(self, y2: np.ndarray, pe: np.ndarray) -> dict[str, np.ndarray]:
        """Threat, escalation (before the ceiling) and what the Jacobian reuses."""
        L = self.layout
        kw = self._reaction(pe)
        threat = self.sum_rival @ (kw * y2[L.rival_cols])
        scale = 1.0 if L.distrust_param is None else 1.0 + pe[L.distrust_param]
        threat = threat * scale
        own = 1.0
        if L.abandonment_fear is not None:
            own = 1.0 + pe[L.abandonment_fear] * (1.0 - pe[L.abandonment_commitment])
        esc = threat * own
        if L.coupling_rows is not None:
            weight = pe[L.coupling_param] * pe[L.coupling_weight]
            esc = esc + self.sum_coupling @ (weight * y2[L.coupling_cols])
        out = {"kw": kw, "scale": scale, "own": own}
        if self.mediated:
            restraint = 1.0 if L.entrapment is None else 1.0 - pe[L.entrapment]
            u = pe[L.ally_weight]
            mediated = 0.0
            if L.chain is not None:
                mediated = pe[L.chain] * (self.sum_ally @ (u * threat[L.ally_cols]))
            if L.defence_strength is not None:
                half_inv_width = 0.5 / pe[L.defence_width]
                tanh = np.tanh((threat - pe[L.defence_threshold]) * half_inv_width)
                switch = 0.5 * (1.0 + tanh)
                mediated = mediated + pe[L.defence_strength] * (
                    self.sum_ally @ (u * switch[L.ally_cols])
                )
                out.update(tanh=tanh, half_inv_width=half_inv_width)
            esc = esc + restraint * mediated
            out.update(u=u, restraint=restraint)
        out.update(threat=threat, esc=esc)
        return out

    def rhs(self, t: float, y: Any, p: Any) -> np.ndarray:
        """Right-hand side, ``(n,)`` or ``(n, m)``."""
        L = self.layout
        y2, pe, batch = self._prepare(y, p)
        esc = self._pieces(y2, pe)["esc"]
        if L.ceiling is not None:
            esc = esc * (_W * np.logaddexp(0.0, (1.0 - y2 / pe[L.ceiling]) / _W))
        out = esc - pe[L.fatigue] * y2 + pe[L.grievance]
        if self.sum_submissive is not None:
            q = pe[L.submissive_param] * y2[L.submissive_cols]
            out = out - y2 * (self.sum_submissive @ q)
        return np.ascontiguousarray(out).reshape((self.n,) + batch)

    def jac(self, t: float, y: Any, p: Any) -> np.ndarray:
        """Jacobian ``df/dy``, ``(n, n)`` or ``(n, n, m)``, built as dense ``(m, n, n)``."""
        L, n = self.layout, self.n
        y2, pe, batch = self._prepare(y, p)
        m = y2.shape[1]
        parts = self._pieces(y2, pe)
        # d threat_j / d x_l = (1 + d_j) omega_jl k_jl
        dthreat = np.zeros((m, n, n))
        scale = np.broadcast_to(parts["scale"], (n, m))
        dthreat[:, L.rival_rows, L.rival_cols] = (scale[L.rival_rows] * parts["kw"]).T
        own = np.broadcast_to(parts["own"], (n, m))
        J = dthreat * own.T[:, :, None]
        if L.coupling_rows is not None:
            weight = pe[L.coupling_param] * pe[L.coupling_weight]
            weight = np.broadcast_to(weight, (weight.shape[0], m))
            J[:, L.coupling_rows, L.coupling_cols] += weight.T
        if self.mediated:
            # d mediated_i / d threat_j = restraint_i u_ij (h_i + s_i dswitch_j/dthreat_j)
            per_ally = np.zeros((L.ally_rows.size, m))
            if L.chain is not None:
                per_ally = per_ally + pe[L.chain][L.ally_rows]
            if L.defence_strength is not None:
                slope = 0.5 * (1.0 - parts["tanh"] ** 2) * parts["half_inv_width"]
                per_ally = per_ally + pe[L.defence_strength][L.ally_rows] * slope[L.ally_cols]
            restraint = np.broadcast_to(parts["restraint"], (n, m))
            per_ally = per_ally * parts["u"] * restraint[L.ally_rows]
            through = np.zeros((m, n, n))
            through[:, L.ally_rows, L.ally_cols] = per_ally.T
            J += through @ dthreat
        diag = np.arange(n)
        if L.ceiling is not None:
            inverse = 1.0 / pe[L.ceiling]
            v = (1.0 - y2 * inverse) / _W
            factor = _W * np.logaddexp(0.0, v)
            J *= factor.T[:, :, None]
            J[:, diag, diag] -= (parts["esc"] * expit(v) * inverse).T
        J[:, diag, diag] -= np.broadcast_to(pe[L.fatigue], (n, m)).T
        if self.sum_submissive is not None:
            q = pe[L.submissive_param]
            J[:, diag, diag] -= (self.sum_submissive @ (q * y2[L.submissive_cols])).T
            J[:, L.submissive_rows, L.submissive_cols] -= (q * y2[L.submissive_rows]).T
        out = np.ascontiguousarray(np.moveaxis(J, 0, -1))
        return out.reshape((n, n) + batch)

    # ------------------------------------------------------------------ bound
    def bind(self, p: Any) -> tuple[Any, Any]:
        """``f(t, y)`` and ``df/dy(t, y)`` for one parameter vector: the linear terms folded
        into one dense matrix, the defence clauses into another."""
        L, n = self.layout, self.n
        p = np.asarray(p, dtype=float)
        pe = np.concatenate([p, [0.0, 1.0]])
        kw = self._reaction(pe[:, None])[:, 0]
        scale = np.ones(n) if L.distrust_param is None else 1.0 + pe[L.distrust_param]
        dthreat = np.zeros((n, n))
        dthreat[L.rival_rows, L.rival_cols] = scale[L.rival_rows] * kw
        own = np.ones(n)
        if L.abandonment_fear is not None:
            own = 1.0 + pe[L.abandonment_fear] * (1.0 - pe[L.abandonment_commitment])
        linear = own[:, None] * dthreat
        if L.coupling_rows is not None:
            linear[L.coupling_rows, L.coupling_cols] += pe[L.coupling_param] * pe[L.coupling_weight]
        restraint = np.ones(n) if L.entrapment is None else 1.0 - pe[L.entrapment]
        allies = np.zeros((n, n))
        allies[L.ally_rows, L.ally_cols] = pe[L.ally_weight]
        if L.chain is not None:
            linear += ((restraint * pe[L.chain])[:, None] * allies) @ dthreat
        vectors = {"a": pe[L.fatigue], "g": pe[L.grievance]}
        defence = L.defence_strength is not None
        if defence:
            commit = (restraint * pe[L.defence_strength])[:, None] * allies
            vectors.update(theta=pe[L.defence_threshold], half_inv_width=0.5 / pe[L.defence_width])
        ceiling = L.ceiling is not None
        if ceiling:
            vectors["inverse"] = 1.0 / pe[L.ceiling]
        submissive = None
        if L.has_submissive:
            submissive = np.zeros((n, n))
            submissive[L.submissive_rows, L.submissive_cols] = pe[L.submissive_param]
        shapes = {1: vectors, 2: {k: v[:, None] for k, v in vectors.items()}}

        def rhs(t: float, y: np.ndarray) -> np.ndarray:
            v = shapes[y.ndim]
            esc = linear @ y
            if defence:
                tanh = np.tanh((dthreat @ y - v["theta"]) * v["half_inv_width"])
                esc += commit @ (0.5 * (1.0 + tanh))
            if ceiling:
                esc *= _W * np.logaddexp(0.0, (1.0 - y * v["inverse"]) / _W)
            out = esc - v["a"] * y + v["g"]
            if submissive is not None:
                out -= y * (submissive @ y)
            return out

        def jac(t: float, y: np.ndarray) -> np.ndarray:
            return self.jac(t, y, p)

        return rhs, jac
