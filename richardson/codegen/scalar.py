"""Scalar code: every right-hand side, Jacobian entry and parameter derivative as one
expression after common-subexpression elimination (best for a handful of states).
"""

from __future__ import annotations

from typing import Any

import symengine

from .emitter import (
    _PROLOGUE,
    _derivative,
    _Emitter,
    _is_affine_in_states,
    hoist_parameters,
)


# ---------------------------------------------------------------------- scalar code
class _ScalarEmitter(_Emitter):
    def emit(self) -> tuple[str, dict[str, Any]]:
        model, n, P = self.model, self.n, self.P
        self.is_linear = _is_affine_in_states(model)
        states = model.state_symbols
        se_rhs = [symengine.sympify(e) for e in model.rhs]
        jac_entries, jac_p_entries = [], []
        for i, expr in enumerate(se_rhs):
            free = model.rhs[i].free_symbols
            for j, sym in enumerate(states):
                if sym in free:
                    jac_entries.append(((i, j), _derivative(model.rhs[i], expr, sym)))
            for k, sym in enumerate(model.param_symbols):
                if sym in free:
                    jac_p_entries.append(((i, k), _derivative(model.rhs[i], expr, sym)))
        jac_entries = [(ij, e) for ij, e in jac_entries if e != 0]
        jac_p_entries = [(ik, e) for ik, e in jac_p_entries if e != 0]
        src = [_PROLOGUE]
        src += [
            "def rhs(t, y, p):",
            "    y, p, batch = _prepare(y, p)",
            f"    out = numpy.empty(({n},) + batch)",
        ]
        src += self._assignments([f"out[{i}]" for i in range(n)], list(model.rhs))
        src += ["    return out", ""]
        src += self._bound_rhs()
        src += [
            "def jac(t, y, p):",
            "    y, p, batch = _prepare(y, p)",
            f"    out = numpy.zeros(({n}, {n}) + batch)",
        ]
        src += self._assignments(
            [f"out[{i}, {j}]" for (i, j), _ in jac_entries], [e for _, e in jac_entries]
        )
        src += ["    return out", ""]
        src += [
            "def jac_p(t, y, p):",
            "    y, p, batch = _prepare(y, p)",
            f"    out = numpy.zeros(({n}, {P}) + batch)",
        ]
        src += self._assignments(
            [f"out[{i}, {k}]" for (i, k), _ in jac_p_entries], [e for _, e in jac_p_entries]
        )
        src += ["    return out", ""]
        return "\n".join(src), self.namespace

    def _bound_rhs(self) -> list[str]:
        """``bind_rhs(p)``: the right-hand side for fixed parameters ``(P,)`` or ``(P, m)``,
        its parameter-only parts evaluated once (:func:`.emitter.hoist_parameters`)."""
        model, n = self.model, self.n
        constants, hoisted = hoist_parameters(list(model.rhs), model.param_symbols)
        src = [
            "def bind_rhs(p):",
            "    p = numpy.asarray(p, dtype=float)",
            "    batch = p.shape[1:]",
        ]
        src += self._assignments([str(k) for k, _ in constants], [v for _, v in constants])
        src += [
            "    def rhs(t, y):",
            "        y = numpy.asarray(y, dtype=float)",
            f"        out = numpy.empty(({n},) + (y.shape[1:] if y.ndim > 1 else batch))",
        ]
        body = self._assignments([f"out[{i}]" for i in range(n)], hoisted)
        src += ["    " + line for line in body]
        src += ["        return out", "", "    return rhs", ""]
        return src
