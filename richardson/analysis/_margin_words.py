"""The words of an escalation margin over many parameters: one phrase per family."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["LISTED", "family", "families", "grouped_moves"]

#: Up to this many parameters a margin's summary names each one; beyond, it groups families.
LISTED = 8


def family(name: str) -> str:
    """The family of a parameter name: its part before the first underscore (``k`` of
    ``k_USA_Soviet_Union``), or the whole name."""
    return name.split("_", 1)[0]


def families(names: Sequence[str]) -> str:
    """How many parameters of each family, e.g. ``16 k_*, 14 c_*, 6 a_*``."""
    counts: dict[str, int] = {}
    for name in names:
        counts[family(name)] = counts.get(family(name), 0) + 1
    return ", ".join(f"{count} {prefix}_*" for prefix, count in counts.items())


def grouped_moves(margin: Any, moved: list[str]) -> list[str]:
    """Moves of many parameters, one phrase per family (``k_*``) and direction; a family
    whose members all go from the same value to the same value says so."""
    groups: dict[tuple[str, bool], list[str]] = {}
    for name in moved:
        if margin.current[name] == 0:
            groups[(name, margin.direction[name] > 0)] = [name]  # its own step: listed alone
        else:
            groups.setdefault((family(name), margin.direction[name] > 0), []).append(name)
    phrases = []
    for (prefix, up), members in groups.items():
        if len(members) == 1:
            phrases.append(margin._move(members[0]))
            continue
        verb = "raising" if up else "lowering"
        change = max(abs(margin.direction[m]) for m in members)
        pairs = {(margin.current[m], margin.boundary[m]) for m in members}
        values = f" ({next(iter(pairs))[0]:.4g} -> {next(iter(pairs))[1]:.4g})"
        phrases.append(
            f"{verb} the {len(members)} {prefix}_* parameters by {100 * change:.3g}%"
            + (values if len(pairs) == 1 else " each")
        )
    return phrases
