"""Names that read as something else: NFKC normalisation and non-ASCII lookalikes.

Python's parser normalises identifiers to NFKC: ``ﬁ`` (one ligature character) is read as
``fi`` and a full-width ``ｋ`` as ``k``. A model whose declared names, or the names its
equations write, change under that normalisation would silently mean something else than
its text shows. These helpers find such names and say which characters are at fault.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable

__all__ = ["nfkc", "describe_characters", "normalisation_collisions", "lookalike_problem"]

#: Identifier-like runs of an expression text (letters, digits, underscores; any script).
_WORD = re.compile(r"[^\W\d]\w*")

#: Letters of other scripts that look like an ASCII letter (the common confusables).
_LOOKS_LIKE = {
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S",
    "α": "a", "ο": "o", "ν": "v", "ι": "i", "κ": "k", "ρ": "p", "τ": "t", "υ": "u",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
}  # fmt: skip


def nfkc(name: str) -> str:
    """The name as Python's parser reads it (NFKC normal form)."""
    return unicodedata.normalize("NFKC", name)


def describe_characters(name: str) -> str:
    """``"'ｋ' (U+FF4B FULLWIDTH LATIN SMALL LETTER K)"`` for every non-ASCII character."""
    parts = []
    for char in dict.fromkeys(c for c in name if not c.isascii()):
        label = unicodedata.name(char, "unnamed character")
        parts.append(f"{char!r} (U+{ord(char):04X} {label})")
    return ", ".join(parts)


def ascii_lookalike(name: str) -> str | None:
    """The ASCII name ``name`` looks like (Cyrillic ``а`` -> ``a``), or ``None``."""
    spelled = "".join(_LOOKS_LIKE.get(c, c) for c in nfkc(name))
    return spelled if spelled != name and spelled.isascii() else None


def normalisation_collisions(names: Iterable[str]) -> tuple[str, str] | None:
    """The first pair of distinct names that Python reads as the same name, or ``None``."""
    seen: dict[str, str] = {}
    for name in names:
        key = nfkc(name)
        if key in seen and seen[key] != name:
            return seen[key], name
        seen.setdefault(key, name)
    return None


def lookalike_problem(text: str, declared: Collection[str]) -> str | None:
    """What is wrong with a non-ASCII name written in ``text``, or ``None``.

    A name whose text changes under NFKC is refused (Python would read another name than
    the one shown), and so is a non-ASCII name that is not declared (``а`` in Cyrillic where
    ``a`` is declared) with the characters that make it differ.
    """
    if text.isascii():
        return None
    declared = declared if isinstance(declared, (set, frozenset)) else set(declared)
    for match in _WORD.finditer(text):
        word = match.group()
        if word.isascii():
            continue
        read = nfkc(word)
        if read != word:
            return (
                f"name {word!r} is read by Python as {read!r} (NFKC normalisation of "
                f"{describe_characters(word)}); write {read!r} as it is declared"
            )
        if word not in declared:
            like = ascii_lookalike(word)
            hint = f"; it looks like {like!r}, which is spelled in ASCII" if like else ""
            if like in declared:
                hint += f" and declared: write {like!r}"
            return (
                f"name {word!r} is not declared and contains non-ASCII characters "
                f"{describe_characters(word)}{hint}"
            )
    return None
