"""Vensim subscripts flattened: ranges, subranges, mappings and EXCEPT expanded into one
scalar cell per element combination (displayed ``Stock[a,b]``), and the element a reference's
subscript stands for under the binding of the equation being translated."""

from __future__ import annotations

import itertools
import keyword
import math
import re
import unicodedata
from typing import Any

import numpy as np
import sympy as sp

from ..errors import ModelFileError

__all__ = ["key", "identifier", "Cell", "Variable", "SubscriptSpace", "marked_ranges"]

#: Names generated code uses (module names, time): a variable never gets one of them.
_RESERVED = {"t", "numpy", "math", "scipy", "builtins", "lambda", "select", "where"}
#: Most scalar cells one variable may expand to (a guard against combinatorial blow-up).
MAX_CELLS = 200_000


def key(name: str) -> str:
    """Vensim's name equivalence: case, quotes, spaces and underscores do not matter."""
    text = unicodedata.normalize("NFC", str(name)).strip().strip('"').strip()
    return re.sub(r"[\s_]+", "_", text.lower())


def identifier(name: str, taken: set[str]) -> str:
    """A fresh Python identifier for a Vensim display name (``Stock[a,b]`` -> ``Stock_a_b``)."""
    text = re.sub(r"\W+", "_", unicodedata.normalize("NFKC", name)).strip("_") or "v"
    if text[0].isdigit() or text in _RESERVED or not text.isidentifier():
        text = "v_" + text
    if keyword.iskeyword(text):
        text += "_"
    candidate, n = text, 1
    while candidate in taken:
        n += 1
        candidate = f"{text}_{n}"
    taken.add(candidate)
    return candidate


class Cell:
    """One scalar of a (possibly subscripted) variable: its equation and subscript binding."""

    __slots__ = ("var", "elements", "component", "env", "ast")

    def __init__(self, var: Variable, elements: tuple, component: Any, env: dict) -> None:
        self.var, self.elements, self.component, self.env = var, elements, component, env
        self.ast = component.ast

    @property
    def display(self) -> str:
        if not self.elements:
            return self.var.name
        names = [self.var.translator.element_names[e] for e in self.elements]
        return f"{self.var.name}[{','.join(names)}]"


class Variable:
    def __init__(self, translator: Any, element: Any) -> None:
        self.translator, self.element = translator, element
        self.name = " ".join(str(element.name).strip().strip('"').split())
        self.cells: dict[tuple, Cell] = {}
        self.dims: list[str | None] = []
        for component in element.components:
            translator.expand(self, component)


class SubscriptSpace:
    """Mixin of the translator: the subscript ranges of the file and their resolution."""

    where: str
    ranges: dict[str, list[str]]
    mappings: dict[str, list[str]]
    element_names: dict[str, str]
    range_names: dict[str, str]

    def _read_ranges(self, ranges: Any) -> None:
        for subscript in ranges:
            name = key(subscript.name)
            definition = subscript.subscripts
            if isinstance(definition, dict):
                raise ModelFileError(
                    f"{self.where}: subscript range {subscript.name!r} is read from an "
                    "external file (GET XLS/DIRECT SUBSCRIPT); define its elements in the model"
                )
            if isinstance(definition, str):
                definition = [definition]
            elements: list[str] = []
            for item in definition:
                if key(item) in self.ranges:
                    elements.extend(self.ranges[key(item)])
                else:
                    elements.append(key(item))
                    self.element_names.setdefault(key(item), str(item).strip())
            self.ranges[name] = list(dict.fromkeys(elements))
            self.range_names[name] = " ".join(str(subscript.name).split())
            self.mappings[name] = [key(m) for m in subscript.mapping if isinstance(m, str)]

    def elements_of(self, name: str) -> list[str]:
        k = key(name)
        if k in self.ranges:
            return self.ranges[k]
        self.element_names.setdefault(k, str(name).strip())
        return [k]

    def expand(self, variable: Variable, component: Any) -> None:
        """Register the cells one component of ``variable`` defines."""
        names, excepts = component.subscripts
        lists = [self.elements_of(n) for n in names]
        excluded = set()
        for group in excepts or []:
            for combo in itertools.product(*[self.elements_of(n) for n in group]):
                excluded.add(combo)
        if not variable.dims:
            variable.dims = [key(n) if key(n) in self.ranges else None for n in names]
        ast = component.ast
        array = isinstance(ast, np.ndarray)
        if array:
            try:
                values = np.reshape(ast, [len(x) for x in lists])
            except ValueError as err:
                raise ModelFileError(
                    f"{self.where}: the array of {variable.name!r} has {ast.size} values for "
                    f"{math.prod(len(x) for x in lists)} subscript combinations"
                ) from err
        if math.prod(len(x) for x in lists) > MAX_CELLS:
            raise ModelFileError(
                f"{self.where}: variable {variable.name!r} expands to more than {MAX_CELLS} "
                "elements; this importer flattens subscripts into scalars"
            )
        for index in itertools.product(*[range(len(x)) for x in lists]):
            combo = tuple(lists[i][j] for i, j in enumerate(index))
            if combo in excluded:
                continue
            env = {}
            for position, (n, element) in enumerate(zip(names, combo, strict=True)):
                if key(n) in self.ranges:
                    env[key(n)] = element
                env[f"#{position}"] = element
            cell = Cell(variable, combo, component, env)
            if array:
                cell.ast = float(values[index])
            variable.cells[combo] = cell

    def resolve(self, name: str, env: dict, position: int, var: Variable) -> str:
        """The element a subscript of a reference stands for under the binding ``env``."""
        if name.endswith("!"):
            bound = env.get(key(name[:-1]) + "!")
            if bound is None:
                raise ModelFileError(
                    f"{self.where}: subscript {name!r} is marked '!' outside SUM, PROD, VMIN "
                    "or VMAX"
                )
            return bound
        k = key(name)
        if k in env:
            return env[k]
        if k not in self.ranges:
            self.element_names.setdefault(k, name.strip())
            return k
        wanted = self.ranges[k]
        candidates = [env[f"#{position}"]] if f"#{position}" in env else []
        candidates += [v for b, v in env.items() if b[0] not in "#@" and not b.endswith("!")]
        for bound, element in env.items():
            if bound[0] in "#@" or bound.endswith("!"):
                continue
            if k in self.mappings.get(bound, []) or bound in self.mappings.get(k, []):
                source = self.ranges[bound]
                if len(source) == len(wanted) and element in source:
                    return wanted[source.index(element)]
        for element in candidates:
            if element in wanted:
                return element
        label = var.name if var is not None else name
        raise ModelFileError(
            f"{self.where}: variable {label!r} is referenced over the whole range "
            f"{name!r} where one element is needed; sum it with SUM({label}[{name}!]) or "
            "subscript the equation"
        )

    def _element_number(self, element: str) -> sp.Expr:
        """Position (from 1) of a subscript element in the largest range that holds it."""
        ranges = [r for r in self.ranges.values() if element in r]
        return sp.Integer(max(ranges, key=len).index(element) + 1)


def marked_ranges(node: Any) -> list[str]:
    found: list[str] = []
    if type(node).__name__ == "ReferenceStructure" and node.subscripts:
        found.extend(s[:-1] for s in node.subscripts.subscripts if s.endswith("!"))
    for field in getattr(node, "__dataclass_fields__", {}):
        value = getattr(node, field)
        children = value if isinstance(value, (tuple, list)) else [value]
        for child in children:
            if hasattr(child, "__dataclass_fields__"):
                found.extend(marked_ranges(child))
    return found
