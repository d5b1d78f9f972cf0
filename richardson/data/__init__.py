"""Historical military-spending series: bundled Correlates of War cases, your own files, checks.

Example::

    import richardson as rd
    rd.data.available()                    # the named cases, one line each
    df = rd.data.load("pre_wwi_blocs")     # year index, one column per bloc, provenance in attrs
    real = rd.data.load("us_ussr", prices="constant", base_year=2010)  # deflated by US CPI-U
    men = rd.data.load("pre_wwi_blocs", measure="milper")  # military personnel, thousands
    pair = rd.data.load_states(["Greece", "Turkey"])  # any COW states, by name or code
    rd.data.price_indices()                # the bundled price indices (US CPI-U, 1913-2025)
    rd.data.check(df).summary()            # missing values, gaps, unit breaks, jumps
    df["unit"] = rd.data.units_by_year(df)  # the unit of each year, kept by any pandas step
    mine = rd.data.read_csv("sipri.csv", actor="country", value="milex", units="million USD")

Nothing is ever dropped silently: the loaders turn missing codes into NaN and list every
replaced cell in ``attrs["replaced"]``; the treatments (:func:`drop_missing`,
:func:`interpolate`, :func:`split`, :func:`convert_units`, :func:`deflate`, :func:`aggregate`)
are the user's choice and record themselves in ``attrs["treatments"]``; so does the
deflation of ``load(..., prices="constant")``, which calls :func:`deflate`.
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
from ._frames import units_by_year, year_indexed
from ._loaders import COW, available, load, load_states, memberships
from ._prices import price_index, price_indices
from ._states import state_code, state_names
from ._user_files import read_csv

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
    "price_index",
    "price_indices",
    "read_csv",
    "split",
    "state_code",
    "state_names",
    "units_by_year",
    "year_indexed",
]
