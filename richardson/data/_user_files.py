"""The user's own series: :func:`read_csv` reads a wide or long CSV file (SIPRI downloads, a
researcher's own table) into the frame shape that :func:`~._loaders.load` gives, with the
same missing-value rules and checks.
"""

from __future__ import annotations

import io
import os
import stat
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataError, RichardsonWarning, did_you_mean
from ._checks import check
from ._frames import UNIT_COLUMNS, with_units, year_indexed
from ._loaders import (
    _replace_missing,
)

__all__ = ["read_csv", "MAX_CSV_BYTES"]

_UNIT_KEYS = ("units", "unit_break", "unit_before", "unit_after")

#: Largest CSV file read (bytes); a spending table is a few kilobytes.
MAX_CSV_BYTES = 64 * 1024 * 1024


def _read_bounded(path: Path, limit: int = MAX_CSV_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; never blocks on a FIFO or a
    device, and does not trust ``st_size`` (``/proc`` files report 0)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as err:
        raise DataError(f"cannot read {path}: {err.strerror or err}") from err
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a device or a pipe)"
        raise DataError(f"cannot read {path}: it is {kind}; give the path of a CSV file")
    try:
        with open(path, "rb", buffering=0) as handle:
            data = handle.read(limit + 1)
    except OSError as err:
        raise DataError(f"cannot read {path}: {err.strerror or err}") from err
    if len(data) > limit:
        raise DataError(
            f"{path} is larger than {limit:,} bytes; a spending table is far smaller: "
            "check that this is the right file"
        )
    return data


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
        Unit of the values (e.g. ``"million constant 2022 USD"``), stored in ``attrs``; or
        the name of a column of the file that states the unit of each year. A column named
        ``unit`` (or ``units``, ``currency``) is read so by default: a change of unit in it
        becomes ``attrs["unit_break"]``, reported by :func:`check`.
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
        If the file cannot be read (not a regular file, larger than :data:`MAX_CSV_BYTES`,
        empty or malformed), its years are not numbers, or the named columns do not exist.
    """
    path = Path(path)
    content = _read_bounded(path)
    try:
        raw = pd.read_csv(io.BytesIO(content), comment="#", **read_options)
    except pd.errors.EmptyDataError as err:
        raise DataError(f"cannot read {path}: the file has no columns (is it empty?)") from err
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as err:
        raise DataError(f"cannot read {path}: {' '.join(str(err).split())}") from err
    if raw.empty:
        raise DataError(f"{path} has a header but no rows of data")
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
    try:
        wide = year_indexed(wide)
    except DataError as err:
        raise DataError(f"{path}: {err}") from None
    unit_columns = [
        c
        for c in wide.columns
        if c == units or (c in UNIT_COLUMNS and not pd.api.types.is_numeric_dtype(wide[c]))
    ]
    if len(unit_columns) > 1:
        raise DataError(f"{path}: several unit columns {unit_columns}; keep one")
    per_year = wide[unit_columns]
    wide = wide.drop(columns=unit_columns)
    if unit_columns:
        units = ""
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
    if unit_columns:
        stated = with_units(pd.concat([values, per_year], axis=1), unit_columns[0])
        stated.attrs = {**values.attrs, **{k: stated.attrs[k] for k in _UNIT_KEYS}}
        values = stated
    report = check(values)
    if not report.ok:
        warnings.warn(
            f"{path.name}: this table needs a choice before fitting.\n" + report.summary(),
            RichardsonWarning,
            stacklevel=2,
        )
    return values
