"""Structured code for large models.

Each right-hand side is split into terms linear in the states with coefficients that are
monomials in the parameters and their reciprocals (Richardson's reaction and fatigue terms),
terms free of states (grievances), products of two states (submissiveness ``q x_i x_j``) and a
nonlinear remainder. The linear part is emitted in matrix form: a block of parameters laid out
row-major becomes ``p[o:o + n*n].reshape(n, n) @ y``, a diagonal becomes ``p[o:o + n] * y`` and
the rest a sparse product, never ``n**2`` unrolled scalars; products of two states are a sparse
product too. Only the remainder is differentiated symbolically (through symengine) and printed
as scalar code after symengine's common-subexpression elimination.

A ``min``/``max``/``log`` factor of a term (a *gate*, such as a ceiling's smooth
``max(0, 1 - x_i/M_i)``, ``w log(1 + exp((1 - x_i/M_i)/w))``, on
every escalation term ``k x_j``) is computed once per call and laid out as an extra row of
``y``, so the gated terms stay sparse products; the Jacobians add the chain-rule term
``(d f / d gate) (d gate / d y)``, with ``d gate / d y`` differentiated symbolically.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse
import symengine
import sympy as sp

from .emitter import (
    _PROLOGUE,
    _derivative,
    _Emitter,
    _is_affine_term,
    _real_diff,
)


# ---------------------------------------------------------------------- structured code
def _terms(expr: sp.Expr):  # noqa: ANN202
    """Additive terms of ``expr``, distributing products over sums only where there are any."""
    for term in sp.Add.make_args(expr):
        if term.is_Mul and any(f.is_Add for f in term.args):
            yield from sp.Add.make_args(sp.expand_mul(term))
        else:
            yield term


@dataclass
class _Atom:
    """``coef * prod(p[pidx]) * y[col] * y[col2]`` in row ``row`` (``col=None``: a state-free
    term; ``col2=None``: linear in the states). ``pidx`` indexes the parameter vector extended
    by the reciprocals of the parameters that appear in denominators."""

    row: int
    col: int | None
    coef: float
    pidx: tuple[int, ...]
    col2: int | None = None


class _StructuredEmitter(_Emitter):
    def emit(self) -> tuple[str, dict[str, Any]]:
        #: parameter index -> its reciprocal's index in the extended parameter vector
        self.reciprocal: dict[int, int] = {}
        #: min/max factors laid out as rows n, n + 1, ... of the extended state array
        self.gates: dict[sp.Expr, int] = {}
        linear, constant, quadratic, remainder = self._decompose()
        self.is_linear = (
            self.model.is_autonomous
            and not quadratic
            and not self.gates
            and all(_is_affine_term(term, self.state_pos) for terms in remainder for term in terms)
        )
        if self.reciprocal:
            self.namespace["_RECIPROCAL"] = np.array(list(self.reciprocal), dtype=np.intp)
        dense, diagonal, sparse_linear = self._layer_linear([a for a in linear if a.col < self.n])
        sparse_linear += [a for a in linear if a.col >= self.n]
        vectors, sparse_constant = self._layer_constant(constant)
        rem_rows = [i for i, terms in enumerate(remainder) if terms]
        rem_exprs = [sp.Add(*remainder[i]) for i in rem_rows]
        src = [_PROLOGUE]
        src += self._emit_rhs(
            dense,
            diagonal,
            sparse_linear,
            vectors,
            sparse_constant,
            quadratic,
            rem_rows,
            rem_exprs,
        )
        src += self._emit_jac(dense, diagonal, sparse_linear, quadratic, rem_rows, rem_exprs)
        src += self._emit_jac_p(linear + constant + quadratic, rem_rows, rem_exprs)
        return "\n".join(src), self.namespace

    # -- decomposition
    def _decompose(self) -> tuple[list[_Atom], list[_Atom], list[_Atom], list[list[sp.Expr]]]:
        linear: list[_Atom] = []
        constant: list[_Atom] = []
        quadratic: list[_Atom] = []
        remainder: list[list[sp.Expr]] = [[] for _ in range(self.n)]
        for row, expr in enumerate(self.model.rhs):
            for term in _terms(expr):
                atom = self._atom(row, term)
                if atom is None:
                    remainder[row].append(term)
                elif atom.col is None:
                    constant.append(atom)
                elif atom.col2 is None:
                    linear.append(atom)
                else:
                    quadratic.append(atom)
        return linear, constant, quadratic, remainder

    def _atom(self, row: int, term: sp.Expr) -> _Atom | None:
        """``term`` as an atom: a number times integer powers of parameters times at most two
        states or gates (Richardson's submissiveness ``q x y``, a ceiling's
        ``k y w log(1 + exp((1 - x/M)/w))``); ``None`` for anything else."""
        coef, factors = term.as_coeff_mul(rational=False)
        if not coef.is_Number or not math.isfinite(float(coef)):
            return None
        states, pidx = [], []
        for factor in factors:
            base, exponent = factor.as_base_exp()
            if not exponent.is_Integer:
                return None
            power = int(exponent)
            if base in self.state_pos and power > 0:
                states += [self.state_pos[base]] * power
            elif base in self.param_pos and power > 0:
                pidx += [self.param_pos[base]] * power
            elif base in self.param_pos and power < 0:
                k = self.param_pos[base]
                index = self.reciprocal.setdefault(k, self.P + len(self.reciprocal))
                pidx += [index] * -power
            elif power == 1 and self._is_gate(base):
                states.append(self.n + self.gates.setdefault(base, len(self.gates)))
            else:
                return None
        if len(states) > 2:
            return None
        states += [None] * (2 - len(states))
        return _Atom(row, states[0], float(coef), tuple(sorted(pidx)), states[1])

    def _is_gate(self, factor: sp.Expr) -> bool:
        """A min/max or log (a ceiling's softplus) of states and parameters (no time),
        depending on a state."""
        if not isinstance(factor, (sp.Min, sp.Max, sp.log)):
            return False
        known = set(self.state_pos) | set(self.param_pos)
        return factor.free_symbols <= known and bool(factor.free_symbols & set(self.state_pos))

    def _layer_linear(self, atoms: list[_Atom]):
        n = self.n
        used = [False] * len(atoms)
        dense = []  # parameter offsets of full row-major blocks
        keys = Counter(
            a.pidx[0] - (a.row * n + a.col) for a in atoms if len(a.pidx) == 1 and a.coef == 1.0
        )
        for base, count in keys.items():
            if count == n * n and base >= 0:
                dense.append(base)
                for idx, a in enumerate(atoms):
                    if (
                        len(a.pidx) == 1
                        and a.coef == 1.0
                        and a.pidx[0] - (a.row * n + a.col) == base
                    ):
                        used[idx] = True
        diagonal = []  # (coef, offset): coef * p[offset:offset+n] * y
        keys = Counter(
            (a.coef, a.pidx[0] - a.row)
            for idx, a in enumerate(atoms)
            if not used[idx] and len(a.pidx) == 1 and a.row == a.col
        )
        for (coef, base), count in keys.items():
            if count == n and base >= 0:
                diagonal.append((coef, base))
                for idx, a in enumerate(atoms):
                    if (
                        not used[idx]
                        and len(a.pidx) == 1
                        and a.row == a.col
                        and (a.coef, a.pidx[0] - a.row) == (coef, base)
                    ):
                        used[idx] = True
        rest = [a for idx, a in enumerate(atoms) if not used[idx]]
        return dense, diagonal, rest

    def _layer_constant(self, atoms: list[_Atom]):
        n = self.n
        keys = Counter((a.coef, a.pidx[0] - a.row) for a in atoms if len(a.pidx) == 1)
        vectors = [(c, b) for (c, b), count in keys.items() if count == n and b >= 0]
        chosen = set(vectors)
        rest = [
            a for a in atoms if not (len(a.pidx) == 1 and (a.coef, a.pidx[0] - a.row) in chosen)
        ]
        return vectors, rest

    def _arrays(self, prefix: str, atoms: list[_Atom]) -> dict[int, str]:
        """Store index arrays of atoms grouped by degree; return degree -> name stem."""
        by_degree: dict[int, list[_Atom]] = defaultdict(list)
        for a in atoms:
            by_degree[len(a.pidx)].append(a)
        stems = {}
        for degree, group in sorted(by_degree.items()):
            stem = f"_{prefix}{degree}"
            self.namespace[stem + "_rows"] = np.array([a.row for a in group], dtype=np.intp)
            self.namespace[stem + "_cols"] = np.array(
                [a.col if a.col is not None else 0 for a in group], dtype=np.intp
            )
            if any(a.col2 is not None for a in group):  # products of two states
                self.namespace[stem + "_cols2"] = np.array(
                    [a.col2 if a.col2 is not None else 0 for a in group], dtype=np.intp
                )
            self.namespace[stem + "_coef"] = np.array([a.coef for a in group])[:, None]
            self.namespace[stem + "_pidx"] = np.array(
                [a.pidx for a in group], dtype=np.intp
            ).reshape(len(group), degree)
            self.namespace[stem + "_sum"] = scipy.sparse.csr_array(
                (np.ones(len(group)), (self.namespace[stem + "_rows"], np.arange(len(group)))),
                shape=(self.n, len(group)),
            )
            stems[degree] = stem
        return stems

    def _scatter_add(self, stem: str, flat: np.ndarray, size: int, values: str) -> str:
        """A line adding the rows of ``values`` (one per term) to rows ``flat`` of ``out``
        seen as ``(size, batch)``: fancy indexing when no two terms share a row, otherwise a
        sparse summing matrix (``numpy.add.at`` is ten times slower on batches)."""
        if np.unique(flat).size == flat.size:
            self.namespace[stem + "_flat"] = flat
            return f"    out.reshape({size}, -1)[{stem}_flat] += {values}"
        self.namespace[stem + "_scatter"] = scipy.sparse.csr_array(
            (np.ones(flat.size), (flat, np.arange(flat.size))), shape=(size, flat.size)
        )
        return f"    out.reshape({size}, -1)[...] += {stem}_scatter @ ({values})"

    def _head(self, name: str, shape: str) -> list[str]:
        """First lines of ``rhs``/``jac``/``jac_p``: 2-D views ``y2``, ``p2`` (``p2`` extended
        by the reciprocals of parameters that appear in denominators) and ``out`` of
        ``shape + (batch,)``, zeroed."""
        lines = [
            f"def {name}(t, y, p):",
            "    y, p, batch = _prepare(y, p)",
            f"    y2 = y.reshape({self.n}, -1)",
            f"    p2 = p.reshape({self.P}, -1)" if self.P else "    p2 = p.reshape(0, 1)",
        ]
        if self.reciprocal:
            lines.append("    p2 = numpy.concatenate([p2, 1.0 / p2[_RECIPROCAL]])")
        return lines + [
            f"    out = numpy.zeros(({shape} max(y2.shape[1], p2.shape[1])))",
            f"    y2 = numpy.broadcast_to(y2, ({self.n}, out.shape[-1]))",
        ]

    # -- gates
    def _gate_lines(self) -> list[str]:
        """Lines appending the gates' values to ``y2`` as rows ``n, n + 1, ...``."""
        if not self.gates:
            return []
        lines = [
            "    y, p = y2, p2",
            f"    _gates = numpy.empty(({len(self.gates)}, out.shape[-1]))",
        ]
        lines += self._assignments([f"_gates[{k}]" for k in self.gates.values()], list(self.gates))
        return lines + ["    y2 = numpy.concatenate([y2, _gates])"]

    def _gate_chain_lines(self, prefix, linear, quadratic, positions) -> list[str]:  # noqa: ANN001
        """``out[:, j] += (d f / d gate_k) (d gate_k / d s_j)`` for the symbols ``s_j`` at
        ``positions``: the part of a Jacobian that passes through the gates (the layers hold
        each gate fixed). ``prefix`` names the index arrays."""
        n, K = self.n, len(self.gates)
        chain = []
        for gate, k in self.gates.items():
            for sym in sorted(gate.free_symbols & set(positions), key=positions.get):
                derivative = _real_diff(gate, sym)
                if derivative != 0:
                    chain.append((k, positions[sym], derivative))
        if not chain:
            return []
        # d f_i / d gate_k, one entry per gated atom: (flat index i*K + k, coef, pidx, other)
        partials = [(a.row * K + a.col - n, a.coef, a.pidx, None) for a in linear if a.col >= n]
        for a in quadratic:
            for col, other in ((a.col, a.col2), (a.col2, a.col)):
                if col >= n:
                    partials.append((a.row * K + col - n, a.coef, a.pidx, other))
        lines = [f"    _fg = numpy.zeros(({n * K}, out.shape[-1]))"]
        by_degree: dict[int, list[tuple]] = defaultdict(list)
        for entry in partials:
            by_degree[len(entry[2])].append(entry)
        for degree, group in sorted(by_degree.items()):
            stem = f"_{prefix}{degree}"
            flat = np.array([e[0] for e in group], dtype=np.intp)
            self.namespace[stem + "_coef"] = np.array([e[1] for e in group])[:, None]
            self.namespace[stem + "_pidx"] = np.array([e[2] for e in group], dtype=np.intp).reshape(
                len(group), degree
            )
            self.namespace[stem + "_scatter"] = scipy.sparse.csr_array(
                (np.ones(flat.size), (flat, np.arange(flat.size))), shape=(n * K, flat.size)
            )
            factors = [self._weights(stem, degree)]
            present = np.array([e[3] is not None for e in group])
            if present.any():
                self.namespace[stem + "_other"] = np.array(
                    [e[3] if e[3] is not None else 0 for e in group], dtype=np.intp
                )
                self.namespace[stem + "_has_other"] = present[:, None]
                factors.append(f"numpy.where({stem}_has_other, y2[{stem}_other], 1.0)")
            lines.append(f"    _fg += {stem}_scatter @ ({' * '.join(factors)})")
        lines += ["    y, p = y2, p2", f"    _dgate = numpy.empty(({len(chain)}, out.shape[-1]))"]
        lines += self._assignments(
            [f"_dgate[{e}]" for e in range(len(chain))], [c[2] for c in chain]
        )
        lines.append(f"    _fg = _fg.reshape({n}, {K}, -1)")
        lines += [
            f"    out[:, {j}] += _fg[:, {k}] * _dgate[{e}]" for e, (k, j, _) in enumerate(chain)
        ]
        return lines

    @staticmethod
    def _weights(stem: str, degree: int) -> str:
        factors = [f"{stem}_coef"] + [f"p2[{stem}_pidx[:, {d}]]" for d in range(degree)]
        return " * ".join(factors)

    # -- rhs
    def _emit_rhs(
        self,
        dense,
        diagonal,
        sparse_linear,
        vectors,
        sparse_constant,
        quadratic,
        rem_rows,
        rem_exprs,
    ):
        n = self.n
        src = self._head("rhs", f"{n},") + self._gate_lines()
        states = f"y2[:{n}]" if self.gates else "y2"  # y2 holds the gates below row n
        for base in dense:
            src += [
                "    if p2.shape[1] == 1:",
                f"        out += p2[{base}:{base + n * n}, 0].reshape({n}, {n}) @ {states}",
                "    else:",
                f"        out += numpy.einsum('ijm,jm->im', "
                f"p2[{base}:{base + n * n}].reshape({n}, {n}, -1), {states})",
            ]
        for coef, base in diagonal:
            src.append(f"    out += {coef!r} * p2[{base}:{base + n}] * {states}")
        for degree, stem in self._arrays("L", sparse_linear).items():
            src.append(f"    out += {stem}_sum @ ({self._weights(stem, degree)} * y2[{stem}_cols])")
        for coef, base in vectors:
            src.append(f"    out += {coef!r} * p2[{base}:{base + n}]")
        for degree, stem in self._arrays("C", sparse_constant).items():
            src.append(f"    out += {stem}_sum @ ({self._weights(stem, degree)})")
        for degree, stem in self._arrays("Q", quadratic).items():
            src.append(
                f"    out += {stem}_sum @ ({self._weights(stem, degree)} "
                f"* y2[{stem}_cols] * y2[{stem}_cols2])"
            )
        if rem_rows:
            src.append("    y, p = y2, p2")
            src += self._assignments([f"out[{i}]" for i in rem_rows], rem_exprs, op="+=")
        src += ["    return out.reshape((" + f"{n}," + ") + batch)", ""]
        return src

    # -- jac
    def _emit_jac(self, dense, diagonal, sparse_linear, quadratic, rem_rows, rem_exprs):
        n = self.n
        src = self._head("jac", f"{n}, {n},") + self._gate_lines()
        for base in dense:
            src.append(f"    out += p2[{base}:{base + n * n}].reshape({n}, {n}, -1)")
        if diagonal:
            src.append(f"    _diag = numpy.arange({n})")
        for coef, base in diagonal:
            src.append(f"    out[_diag, _diag] += {coef!r} * p2[{base}:{base + n}]")
        # gated atoms enter through their gates only (the chain-rule lines below)
        plain = [a for a in sparse_linear if a.col < n]
        for degree, stem in self._arrays("J", plain).items():
            flat = self.namespace[stem + "_rows"] * n + self.namespace[stem + "_cols"]
            src.append(self._scatter_add(stem, flat, n * n, self._weights(stem, degree)))
        # d/dy_a of c y_a y_b is c y_b (and the same with a and b swapped)
        halves = [_Atom(a.row, a.col, a.coef, a.pidx, a.col2) for a in quadratic]
        halves += [_Atom(a.row, a.col2, a.coef, a.pidx, a.col) for a in quadratic]
        halves = [a for a in halves if a.col < n]
        for degree, stem in self._arrays("K", halves).items():
            flat = self.namespace[stem + "_rows"] * n + self.namespace[stem + "_cols"]
            values = f"{self._weights(stem, degree)} * y2[{stem}_cols2]"
            src.append(self._scatter_add(stem, flat, n * n, values))
        src += self._gate_chain_lines("G", sparse_linear, quadratic, self.state_pos)
        src += self._remainder_derivatives(
            rem_rows, rem_exprs, self.model.state_symbols, self.state_pos
        )
        src += [f"    return out.reshape(({n}, {n}) + batch)", ""]
        return src

    # -- jac_p
    def _emit_jac_p(self, atoms, rem_rows, rem_exprs):
        n, P = self.n, self.P
        src = self._head("jac_p", f"{n}, {P},") + self._gate_lines()
        # d/dp_k of coef * prod(p[pidx]) * y[col] * y[col2]: one entry per factor position;
        # a reciprocal r = 1/p_k contributes dr/dp_k = -r**2
        real = {index: k for k, index in self.reciprocal.items()}
        derived: dict[int, list[tuple]] = defaultdict(list)
        for a in atoms:
            for pos, k in enumerate(a.pidx):
                others = a.pidx[:pos] + a.pidx[pos + 1 :]
                if k in real:
                    entry = (a.row, real[k], -a.coef, tuple(sorted(others + (k, k))), a.col, a.col2)
                else:
                    entry = (a.row, k, a.coef, others, a.col, a.col2)
                derived[len(entry[3])].append(entry)
        for degree, group in sorted(derived.items()):
            stem = f"_D{degree}"
            rows = np.array([g[0] for g in group], dtype=np.intp)
            ks = np.array([g[1] for g in group], dtype=np.intp)
            self.namespace.update(
                {
                    f"{stem}_coef": np.array([g[2] for g in group])[:, None],
                    f"{stem}_pidx": np.array([g[3] for g in group], dtype=np.intp).reshape(
                        len(group), degree
                    ),
                }
            )
            factors = [f"{stem}_coef"] + [f"p2[{stem}_pidx[:, {d}]]" for d in range(degree)]
            for slot, suffix in ((4, "cols"), (5, "cols2")):
                present = np.array([g[slot] is not None for g in group])
                if not present.any():
                    continue
                self.namespace[f"{stem}_{suffix}"] = np.array(
                    [g[slot] if g[slot] is not None else 0 for g in group], dtype=np.intp
                )
                self.namespace[f"{stem}_has_{suffix}"] = present[:, None]
                factors.append(f"numpy.where({stem}_has_{suffix}, y2[{stem}_{suffix}], 1.0)")
            src.append(self._scatter_add(stem, rows * P + ks, n * P, " * ".join(factors)))
        linear = [a for a in atoms if a.col is not None and a.col2 is None]
        quadratic = [a for a in atoms if a.col2 is not None]
        src += self._gate_chain_lines("H", linear, quadratic, self.param_pos)
        src += self._remainder_derivatives(
            rem_rows, rem_exprs, self.model.param_symbols, self.param_pos
        )
        src += [f"    return out.reshape(({n}, {P}) + batch)", ""]
        return src

    def _remainder_derivatives(self, rows, exprs, symbols, positions) -> list[str]:  # noqa: ANN001
        """``out[i, k] += d remainder_i / d symbols[k]`` lines (symengine derivatives, cse)."""
        entries = []
        for i, expr in zip(rows, exprs, strict=True):
            se_expr = symengine.sympify(expr)
            for k in sorted(positions[s] for s in expr.free_symbols if s in positions):
                derivative = _derivative(expr, se_expr, symbols[k])
                if derivative != 0:
                    entries.append(((i, k), derivative))
        if not entries:
            return []
        return ["    y, p = y2, p2"] + self._assignments(
            [f"out[{i}, {k}]" for (i, k), _ in entries], [e for _, e in entries], op="+="
        )
