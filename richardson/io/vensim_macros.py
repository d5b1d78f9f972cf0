"""Vensim macros, inlined at each call."""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..errors import ModelFileError

__all__ = ["inline_macro"]


def inline_macro(translator: Any, section: Any, arguments: Any, env: dict, where: str) -> sp.Expr:
    """Not yet: macros are refused with a clear message."""
    raise ModelFileError(
        f"{where} calls the macro {section.name!r}; macros are not imported yet: "
        "replace the call by the macro's equations"
    )
