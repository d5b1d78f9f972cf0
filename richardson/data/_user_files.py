"""The user's own series: :func:`read_csv` reads a wide or long CSV file (SIPRI downloads, a
researcher's own table) into the frame shape that :func:`~._loaders.load` gives, with the
same missing-value rules and checks.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataError, RichardsonWarning, did_you_mean
from ._checks import check
from ._loaders import (
    _replace_missing,
)

__all__ = ["read_csv"]


def read_csv(
    path: str | Path,
    year: str = "year",
    columns: Sequence[str] | Mapping[str, str] | None = None,
    actor: str | None = None,
    value: str | None = None,
    units: str = "",
    unit_break: int | None = None,
    missing: Sequence[float] = (-9,),
    source: str = "",
    citation: str = "",
    licence: str = "",
    **read_options: Any,
) -> pd.DataFrame:
    """Read your own spending series (e.g. a SIPRI download) with the same checks as :func:`load`.

    The file may be wide (a year column and one column per actor) or long (year, actor and
    value columns: pass ``actor=`` and ``value=``). Lines starting with ``#`` are comments.
    Nothing is dropped or reordered: repeated or unsorted years are reported, not fixed.

    Parameters
    ----------
    path : str or Path
        CSV file.
    year : str
        Name of the year column.
    columns : sequence of str or mapping, optional
        Columns to keep (wide files), or a mapping original name -> actor name.
    actor, value : str, optional
        For long files: the column naming the actor and the column of the values.
    units : str
        Unit of the values (e.g. ``"million constant 2022 USD"``), stored in ``attrs``.
    unit_break : int, optional
        First year of a new unit, if the file changes unit; reported by :func:`check`.
    missing : sequence of float
        Codes meaning "missing" (replaced by NaN and recorded in ``attrs["replaced"]``).
    source, citation, licence : str
        Provenance stored in ``attrs``.
    **read_options
        Passed to :func:`pandas.read_csv` (``sep``, ``encoding``, ...).

    Returns
    -------
    pandas.DataFrame
        Year index, one column per actor, provenance and check results in ``attrs``. A
        :class:`~richardson.RichardsonWarning` lists anything that blocks a fit.

    Raises
    ------
    DataError
        If the file cannot be read or the named columns do not exist.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, comment="#", **read_options)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise DataError(f"cannot read {path}: {err}") from err
    if year not in raw.columns:
        raise DataError(
            f"{path}: no year column {year!r}{did_you_mean(year, map(str, raw.columns))}; "
            f"columns are {list(raw.columns)}; pass year='...'"
        )
    if (actor is None) != (value is None):
        raise DataError(
            "for a long file pass both actor='column of names' and value='column of values'"
        )
    if actor is not None:
        for col in (actor, value):
            if col not in raw.columns:
                raise DataError(
                    f"{path}: no column {col!r}{did_you_mean(col, map(str, raw.columns))}"
                )
        counts = raw.groupby([year, actor]).size()
        if (counts > 1).any():
            first = counts[counts > 1].index[0]
            raise DataError(
                f"{path}: {first[1]!r} has more than one row for year {first[0]}; "
                "keep one row per actor and year"
            )
        wide = raw.pivot(index=year, columns=actor, values=value)
        wide = wide.loc[raw[year].drop_duplicates().to_numpy()]
    else:
        wide = raw.set_index(year)
    if columns is not None:
        names = list(columns.keys()) if isinstance(columns, Mapping) else list(columns)
        absent = [c for c in names if c not in wide.columns]
        if absent:
            raise DataError(f"{path}: no column(s) {absent}; columns are {list(wide.columns)}")
        wide = wide[names]
        if isinstance(columns, Mapping):
            wide = wide.rename(columns=dict(columns))
    wide.columns = [str(c) for c in wide.columns]
    wide.index.name = "year"
    numeric = wide.apply(pd.to_numeric, errors="coerce") if len(wide.columns) else wide
    replaced = []
    for column in wide.columns:
        bad = wide[column].notna() & numeric[column].isna()
        replaced += [
            {
                "column": column,
                "year": int(y),
                "value": float("nan"),
                "reason": f"text {wide.loc[y, column]!r} in the file",
            }
            for y in wide.index[bad.to_numpy()]
        ]
    values, coded = _replace_missing(numeric, "value", missing, zero_is_missing=False)
    values.attrs = {
        "source": source or str(path),
        "version": "",
        "citation": citation,
        "licence": licence,
        "variable": "value",
        "units": units,
        "unit_break": unit_break,
        "unit_before": units,
        "unit_after": units,
        "title": path.stem,
        "note": "",
        "members": [{"actor": c, "bloc": c} for c in values.columns],
        "replaced": replaced + coded,
        "treatments": [],
    }
    report = check(values)
    if not report.ok:
        warnings.warn(
            f"{path.name}: this table needs a choice before fitting.\n" + report.summary(),
            RichardsonWarning,
            stacklevel=2,
        )
    return values
