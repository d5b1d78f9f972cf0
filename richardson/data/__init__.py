"""Historical military-spending series: bundled Correlates of War cases, your own files, checks.

Example::

    import richardson as rd
    rd.data.available()                    # the named cases, one line each
    df = rd.data.load("pre_wwi_blocs")     # year index, one column per bloc, provenance in attrs
    rd.data.check(df).summary()            # missing values, gaps, unit breaks, jumps
    mine = rd.data.read_csv("sipri.csv", actor="country", value="milex", units="million USD")

Nothing is ever dropped silently: the loaders turn missing codes into NaN and list every
replaced cell in ``attrs["replaced"]``; the treatments (:func:`drop_missing`,
:func:`interpolate`, :func:`split`, :func:`convert_units`, :func:`deflate`, :func:`aggregate`)
are the user's choice and record themselves in ``attrs["treatments"]``.
"""

from __future__ import annotations

from ._checks import (
    BLOCKING,
    DataReport,
    Issue,
    aggregate,
    check,
    convert_units,
    deflate,
    drop_missing,
    interpolate,
    split,
)
from ._loaders import COW, available, load, load_states, memberships, read_csv

__all__ = [
    "BLOCKING",
    "COW",
    "DataReport",
    "Issue",
    "aggregate",
    "available",
    "check",
    "convert_units",
    "deflate",
    "drop_missing",
    "interpolate",
    "load",
    "load_states",
    "memberships",
    "read_csv",
    "split",
]
