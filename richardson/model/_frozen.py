"""A read-only mapping that pickles: what the immutable models and results hold their tables in.

:class:`types.MappingProxyType` is read-only but cannot be pickled, so a model or result
holding one could not cross a process pool or be cached on disk. :class:`FrozenMapping`
keeps a private copy of the table, offers the read-only mapping interface and pickles as
that copy.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["FrozenMapping"]


class FrozenMapping(Mapping):
    """A read-only copy of a mapping (``frozen["k"]``, ``len``, iteration, ``==`` with a dict).

    Parameters
    ----------
    data : mapping or iterable of pairs, optional
        The entries; copied, so later changes to ``data`` do not show.

    Examples
    --------
    >>> import pickle
    >>> from richardson.model._frozen import FrozenMapping
    >>> table = FrozenMapping({"k": 0.9})
    >>> pickle.loads(pickle.dumps(table)) == {"k": 0.9}
    True
    """

    __slots__ = ("_data",)

    def __init__(self, data: Any = ()) -> None:
        object.__setattr__(self, "_data", dict(data))

    def __getitem__(self, key: Any) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a FrozenMapping is read-only")

    def __reduce__(self) -> tuple[type, tuple[dict]]:
        return FrozenMapping, (self._data,)

    def copy(self) -> dict:
        """A mutable ``dict`` with the same entries (as ``MappingProxyType.copy``)."""
        return dict(self._data)

    def __or__(self, other: Mapping) -> dict:
        return {**self._data, **dict(other)}

    def __repr__(self) -> str:
        return f"FrozenMapping({self._data!r})"
