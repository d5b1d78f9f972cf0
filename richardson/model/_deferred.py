"""Right-hand sides built on first use: a model family that knows its terms as arrays
(:mod:`richardson.model._term_layout`) hands the compiler those arrays and builds the sympy
expressions only when an analysis asks for them (``model.rhs[i]``, ``sp.Matrix(model.rhs)``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sympy as sp


class DeferredRhs(Sequence):
    """A read-only sequence of right-hand sides, built by ``build(*args)`` when first read.

    Parameters
    ----------
    n : int
        Number of right-hand sides (one per state); known without building them.
    build : callable
        Module-level function returning the list of sympy expressions (picklable).
    args : tuple
        Its arguments (picklable: the validated inputs of the model family).
    digest : str
        Hash of everything the expressions depend on (the model's fingerprint uses it).
    layout : object, optional
        The terms as index arrays, which the compiler reads instead of the expressions.
    """

    def __init__(
        self,
        n: int,
        build: Callable[..., list[sp.Expr]],
        args: tuple[Any, ...],
        digest: str,
        layout: Any = None,
    ) -> None:
        self._n, self._build, self._args = int(n), build, tuple(args)
        self.digest, self.layout = digest, layout
        self._exprs: tuple[sp.Expr, ...] | None = None

    @property
    def is_built(self) -> bool:
        """True once the sympy expressions exist."""
        return self._exprs is not None

    @property
    def is_autonomous(self) -> bool:
        """The families that defer their right-hand sides never use time in them."""
        return True

    def _built(self) -> tuple[sp.Expr, ...]:
        if self._exprs is None:
            exprs = tuple(self._build(*self._args))
            if len(exprs) != self._n:  # pragma: no cover - a builder bug
                raise RuntimeError(f"deferred right-hand sides: {len(exprs)} built, {self._n} due")
            self._exprs = exprs
        return self._exprs

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, index: Any) -> Any:
        return self._built()[index]

    def __iter__(self) -> Iterator[sp.Expr]:
        return iter(self._built())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DeferredRhs):
            return self.digest == other.digest or self._built() == other._built()
        if isinstance(other, (tuple, list)):
            return self._built() == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        # the expressions are rebuilt where they are needed, not pickled
        return DeferredRhs, (self._n, self._build, self._args, self.digest, self.layout)

    def __repr__(self) -> str:
        state = "built" if self.is_built else "not built yet"
        return f"<DeferredRhs {self._n} right-hand sides, {state}>"
