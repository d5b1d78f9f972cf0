"""The shape of a spending table: where its years and its units are.

A table may come from :func:`richardson.data.load`, from a CSV file or from a user's own
pandas code. :func:`year_indexed` finds its years (the index, a ``DatetimeIndex`` or
``PeriodIndex``, or a column named ``year``) and :func:`units_by_year` its unit in each
year (an explicit argument, a per-year unit column, or ``attrs``), so that the checks and
the fit read every table the same way. A per-year unit column is data: it survives every
pandas operation (``concat`` with another source, ``to_csv`` and back), where ``attrs``
may not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError

__all__ = [
    "YEAR_COLUMNS",
    "UNIT_COLUMNS",
    "year_indexed",
    "missing_years",
    "units_by_year",
    "with_units",
    "index_series",
]

#: Column names read as the years when the index is plain row numbers.
YEAR_COLUMNS = ("year", "Year", "YEAR", "years", "Years", "YEARS")
#: Column names read as the unit of each year (text), never as a series.
UNIT_COLUMNS = ("unit", "units", "Unit", "Units", "UNIT", "UNITS", "currency", "Currency")


def _is_row_numbers(index: pd.Index) -> bool:
    if isinstance(index, pd.RangeIndex):
        return index.name is None and index.start == 0 and index.step == 1
    return False


def year_indexed(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with its years (numbers) as the index; ``attrs`` are kept.

    Parameters
    ----------
    frame : pandas.DataFrame
        Years in the index (numbers, or dates: a ``DatetimeIndex`` or ``PeriodIndex`` gives
        its calendar years), or, when the index is plain row numbers, in a column named as
        in :data:`YEAR_COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        ``frame`` itself when its index already holds years, else a new frame.

    Raises
    ------
    DataError
        If the years are not numbers, are missing or infinite, or if the index is row
        numbers and several year columns compete.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"expected a pandas.DataFrame with a year index, got {type(frame).__name__}"
        )
    attrs = dict(frame.attrs)
    index = frame.index
    if isinstance(index, pd.MultiIndex):
        raise DataError(
            "the index has several levels; give one year per row (e.g. df.reset_index() "
            "and df.set_index('year'))"
        )
    if isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)):
        result = frame.set_axis(pd.Index(index.year, name=index.name or "year"), axis=0)
        result.attrs = attrs
        return result
    if _is_row_numbers(index):
        named = [c for c in frame.columns if str(c) in YEAR_COLUMNS]
        if len(named) > 1:
            raise DataError(
                f"the table has several year columns {[str(c) for c in named]} and row "
                "numbers as index; keep one and set it as the index (df.set_index('year'))"
            )
        if named:
            result = year_indexed(frame.set_index(named[0]))
            result.attrs = attrs
            return result
    if index.dtype == object or isinstance(index.dtype, pd.StringDtype):
        years = pd.to_numeric(pd.Series(index), errors="coerce")
        if years.isna().any():
            bad = index[years.isna().to_numpy()][0]
            raise DataError(
                f"the index must hold years (numbers), but it holds {bad!r}; set the years "
                "as the index (df.set_index('year')) or convert them "
                "(df.index = df.index.astype(int))"
            )
        result = frame.set_axis(pd.Index(years.to_numpy(), name=index.name), axis=0)
        result.attrs = attrs
        return _checked_years(result)
    if not (pd.api.types.is_numeric_dtype(index.dtype) and not pd.api.types.is_bool_dtype(index)):
        raise DataError(
            f"the index must hold years (numbers), not {index.dtype}; set it with "
            "df.set_index('year')"
        )
    return _checked_years(frame)


def _checked_years(frame: pd.DataFrame) -> pd.DataFrame:
    years = np.asarray(frame.index, dtype=float)
    bad = ~np.isfinite(years)
    if bad.any():
        raise DataError(
            f"the index holds {int(bad.sum())} missing or infinite year(s); every row needs "
            "a year (drop those rows: df[df.index.notna()])"
        )
    return frame


def missing_years(ordered: np.ndarray, most: int = 1000) -> tuple[list[int], int]:
    """Whole years absent between sorted, distinct years: the first ``most`` and the count.

    Counted before any is listed, so a span of dates in nanoseconds or of absurd years is
    never expanded into a list.
    """
    if ordered.size < 2:
        return [], 0
    widths = np.clip(np.ceil(np.diff(ordered)) - 1, 0, None)  # whole years strictly between
    listed: list[int] = []
    for first, width in zip(ordered[:-1], widths, strict=True):
        take = int(min(width, most - len(listed)))
        listed += [int(first) + k for k in range(1, take + 1)]
        if len(listed) >= most:
            break
    return listed, int(widths.sum())


def _unit_columns(frame: pd.DataFrame) -> list[Any]:
    """Text columns named as in :data:`UNIT_COLUMNS` (a numeric one is a series)."""
    return [
        c
        for c in frame.columns
        if str(c) in UNIT_COLUMNS and not pd.api.types.is_numeric_dtype(frame[c])
    ]


def units_by_year(frame: pd.DataFrame, units: Any = None) -> pd.Series | None:
    """The unit of each year of ``frame``, or None when nothing states it year by year.

    Parameters
    ----------
    frame : pandas.DataFrame
        Year index (see :func:`year_indexed`).
    units : str, mapping year -> str, pandas.Series or column name, optional
        An explicit statement: one unit for every year, a unit per year, or the name of a
        column of ``frame`` holding them. Without it, a text column named as in
        :data:`UNIT_COLUMNS`, else ``attrs["unit_break"]`` with ``attrs["unit_before"]``
        and ``attrs["unit_after"]``, else ``attrs["units"]``.

    Returns
    -------
    pandas.Series or None
        Text per year, indexed like ``frame``; None when no unit is known.

    Raises
    ------
    DataError
        If a per-year statement misses a year of ``frame`` or names no unit.

    Examples
    --------
    >>> import pandas as pd, richardson as rd
    >>> df = pd.DataFrame({"A": [1.0, 2.0]}, index=[1913, 1914])
    >>> df.attrs = {"unit_break": 1914, "unit_before": "GBP", "unit_after": "USD"}
    >>> rd.data.units_by_year(df).tolist()
    ['GBP', 'USD']
    """
    index = frame.index
    if units is None:
        columns = _unit_columns(frame)
        if len(columns) > 1:
            raise DataError(
                f"the table has several unit columns {[str(c) for c in columns]}; keep one"
            )
        if columns:
            units = frame[columns[0]]
        else:
            return _units_from_attrs(frame)
    elif isinstance(units, str) and units in map(str, frame.columns):
        units = frame[[c for c in frame.columns if str(c) == units][0]]
    if isinstance(units, str):
        if not units.strip():
            raise DataError("units must name a unit, e.g. 'thousand constant 2010 USD'")
        return pd.Series(units, index=index, dtype=object)
    if isinstance(units, Mapping):
        units = pd.Series(dict(units), dtype=object)
    if not isinstance(units, pd.Series):
        raise DataError(
            "units must be a string, a mapping year -> unit, a pandas Series of units per "
            f"year or the name of a unit column, not {type(units).__name__}"
        )
    if units.index.equals(index):
        aligned = units
    else:
        if units.index.has_duplicates:
            raise DataError("the units name some year more than once; give one unit per year")
        aligned = units.reindex(index)
    text = aligned.map(lambda u: u.strip() if isinstance(u, str) else None)
    absent = index[text.isna().to_numpy() | (text == "").to_numpy()]
    if len(absent):
        shown = ", ".join(str(y) for y in list(absent)[:8])
        raise DataError(
            f"no unit is stated for {len(absent)} year(s) ({shown}); give a unit (text) for "
            "every year of the data"
        )
    return pd.Series(text.to_numpy(dtype=object), index=index, dtype=object)


def _units_from_attrs(frame: pd.DataFrame) -> pd.Series | None:
    attrs = frame.attrs
    unit_break = attrs.get("unit_break")
    before, after = attrs.get("unit_before"), attrs.get("unit_after")
    if unit_break is not None and before and after:
        years = np.asarray(frame.index, dtype=float)
        text = np.where(years < float(unit_break), str(before), str(after))
        return pd.Series(text, index=frame.index, dtype=object)
    if attrs.get("units"):
        return pd.Series(str(attrs["units"]), index=frame.index, dtype=object)
    return None


def with_units(frame: pd.DataFrame, units: Any = None) -> pd.DataFrame:
    """``frame`` without its unit column, its units stated in ``attrs`` as the checks read them.

    Parameters
    ----------
    frame : pandas.DataFrame
        Year index (see :func:`year_indexed`).
    units : optional
        As for :func:`units_by_year`.

    Returns
    -------
    pandas.DataFrame
        A new frame with ``attrs["units"]``, ``attrs["unit_break"]`` (the first year whose
        unit differs from the year before, or None), ``attrs["unit_before"]`` and
        ``attrs["unit_after"]`` set from the per-year units; ``frame`` itself when neither
        ``units`` nor a unit column is given.
    """
    columns = _unit_columns(frame)
    if isinstance(units, str) and units in map(str, frame.columns):
        columns = [c for c in frame.columns if str(c) == units]
    if units is None and not columns:
        return frame
    per_year = units_by_year(frame, units)
    result = frame.drop(columns=columns)
    result.attrs = dict(frame.attrs)
    order = np.argsort(np.asarray(frame.index, dtype=float), kind="stable")
    ordered = per_year.iloc[order]
    runs = [(ordered.index[0], ordered.iloc[0])] if len(ordered) else []
    for year, unit in zip(ordered.index[1:], ordered.iloc[1:], strict=True):
        if unit != runs[-1][1]:
            runs.append((year, unit))
    if len(runs) > 1:
        text = "; ".join(
            f"{unit} from {_year_text(year)}" if k else f"{unit} before {_year_text(runs[1][0])}"
            for k, (year, unit) in enumerate(runs)
        )
        result.attrs.update(
            units=text,
            unit_break=int(runs[1][0]) if float(runs[1][0]).is_integer() else runs[1][0],
            unit_before=runs[0][1],
            unit_after=runs[-1][1],
        )
    else:
        unit = runs[0][1] if runs else ""
        result.attrs.update(units=unit, unit_break=None, unit_before=unit, unit_after=unit)
    return result


def _year_text(year: Any) -> str:
    value = float(year)
    return str(int(value)) if value.is_integer() else str(value)


def index_series(index: Any) -> pd.Series:
    """A price index as a Series of floats by year: a Series, a mapping year -> value, or a
    table with one column of values (years in its index or a year column); ``attrs`` kept.

    Raises
    ------
    DataError
        If a table has no or several value columns; the message names them.
    """
    if isinstance(index, pd.DataFrame):
        table = year_indexed(index)
        if table.shape[1] != 1:
            raise DataError(
                f"the price index is a table with {table.shape[1]} value columns "
                f"{list(map(str, table.columns))}; pass one of them, e.g. "
                "frame['cpi'], or a table with only the year and the index"
            )
        series = table.iloc[:, 0]
        series.attrs = {**dict(index.attrs), **dict(series.attrs)}
        index = series
    try:
        series = pd.Series(index, dtype=float)
    except (TypeError, ValueError) as err:
        raise DataError(
            f"the price index must be numbers by year (a Series, a mapping year -> value or a "
            f"one-column table), got {type(index).__name__}: {err}"
        ) from err
    series.attrs = dict(getattr(index, "attrs", {}))
    return series
