"""Checks and treatments of spending series: nothing is ever dropped silently.

:func:`check` finds what would make a fit meaningless (missing values, gaps in the years,
years out of order or repeated, unit breaks, suspicious zeros and jumps) and reports it in a
:class:`DataReport`. The treatments (:func:`drop_missing`, :func:`interpolate`, :func:`split`,
:func:`convert_units`, :func:`deflate`, :func:`aggregate`) are the user's choice; each returns
a new frame and writes what it did into ``attrs["treatments"]``. Like :func:`check`, they read
years from a ``DatetimeIndex`` or a ``year`` column, and a text column ``unit`` as the unit of
each year (the result states it in ``attrs``).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError
from ._frames import index_series, missing_years, with_units, year_indexed

__all__ = [
    "Issue",
    "DataReport",
    "check",
    "drop_missing",
    "interpolate",
    "split",
    "convert_units",
    "deflate",
    "aggregate",
    "BLOCKING",
]

#: Issue kinds that make a series unusable for fitting until the user treats them.
BLOCKING = (
    "missing",
    "duplicate_year",
    "non_monotonic",
    "unit_break",
    "non_numeric",
    "zero",
    "negative",
    "missing_code",
    "constant",
)
#: Values that sources use for "missing" (COW writes -9); a negative one is never spending.
MISSING_CODES = (-9.0, -99.0, -999.0, -9999.0, -8.0, -88.0, -888.0)
#: Year-on-year ratio beyond which a change is reported as a suspicious jump.
JUMP_RATIO = 2.0

_FIXES = {
    "missing": "drop the years (richardson.data.drop_missing), interpolate them "
    "(richardson.data.interpolate) or fit a shorter period (df.loc[start:end])",
    "gap": "the ODE fit handles uneven years; for the difference fit interpolate "
    "(richardson.data.interpolate) or fit each unbroken stretch",
    "duplicate_year": "keep one row per year (e.g. df[~df.index.duplicated()] after checking "
    "which row is right)",
    "non_monotonic": "sort the years (df.sort_index())",
    "unit_break": "split the period (richardson.data.split), convert with a stated rate "
    "(richardson.data.convert_units) or fit one side only",
    "zero": "a zero is rarely a real spending level (COW: Pakistan 1947, its founding "
    "year); start later, or treat it as missing (df.replace(0, float('nan')) then "
    "interpolate or drop)",
    "negative": "spending cannot be negative; check the source, or treat the values as "
    "missing (df.mask(df < 0) then drop or interpolate them)",
    "missing_code": "replace the code by a missing value (df.replace(-9, float('nan')); "
    "richardson.data.read_csv does it with missing=(-9,)) and then drop or interpolate "
    "those years",
    "constant": "a series that never changes carries no information on reactions or "
    "fatigue (a fit would read anything into it); check the source or fit the other actors "
    "only",
    "jump": "check the source for a revaluation or a change of definition; split the "
    "period or fit up to the year before",
    "non_numeric": "convert the column to numbers (pandas.to_numeric) after checking why "
    "it is not numeric",
}


@dataclass(frozen=True)
class Issue:
    """One problem found in a series.

    Attributes
    ----------
    kind : str
        One of ``"missing"``, ``"gap"``, ``"duplicate_year"``, ``"non_monotonic"``,
        ``"unit_break"``, ``"zero"``, ``"negative"``, ``"jump"``, ``"non_numeric"``.
    column : str
        The actor or bloc concerned (``""`` for the year index).
    years : tuple of int
        The years concerned.
    message : str
        What was found and what to do about it.
    """

    kind: str
    column: str
    years: tuple[int, ...]
    message: str

    @property
    def is_blocking(self) -> bool:
        """True when a fit refuses the data until the user treats this issue."""
        return self.kind in BLOCKING


@dataclass(frozen=True)
class DataReport:
    """What :func:`check` found in a series.

    Attributes
    ----------
    issues : tuple of Issue
        Every problem found, in order of the columns.
    n_years : int
        Number of rows checked.
    columns : tuple of str
        Columns checked.
    """

    issues: tuple[Issue, ...]
    n_years: int
    columns: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when nothing blocks a fit (notes such as jumps may remain)."""
        return not any(issue.is_blocking for issue in self.issues)

    def kinds(self) -> set[str]:
        """The set of issue kinds found."""
        return {issue.kind for issue in self.issues}

    def of_kind(self, kind: str) -> tuple[Issue, ...]:
        """The issues of one kind."""
        return tuple(issue for issue in self.issues if issue.kind == kind)

    def summary(self) -> str:
        """Plain-text report, one line per issue."""
        head = (
            f"Data check of {self.n_years} years x {len(self.columns)} series "
            f"({', '.join(self.columns)}): "
        )
        if not self.issues:
            return head + "no problems found."
        blocking = sum(issue.is_blocking for issue in self.issues)
        lines = [head + f"{len(self.issues)} issue(s), {blocking} blocking a fit."]
        lines += [
            f"  [{'BLOCKS FIT' if i.is_blocking else 'note'}] {i.message}" for i in self.issues
        ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.summary()) + "</pre>"

    def __str__(self) -> str:
        return self.summary()


def _years_text(years: Sequence[int]) -> str:
    years = [int(y) for y in years]
    if len(years) > 8:
        return ", ".join(map(str, years[:8])) + f", ... ({len(years)} years)"
    return ", ".join(map(str, years))


def _issue(kind: str, column: str, years: Sequence[int], what: str) -> Issue:
    return Issue(kind, column, tuple(int(y) for y in years), f"{what}. Fix: {_FIXES[kind]}.")


def check(frame: pd.DataFrame, jump_ratio: float = JUMP_RATIO) -> DataReport:
    """Check a spending table for everything that would make a fit meaningless.

    Parameters
    ----------
    frame : pandas.DataFrame
        Year index (integers; a ``DatetimeIndex`` gives its years; with plain row numbers
        as index, a column ``year`` holds them), one column per actor or bloc (spending,
        any unit). A unit break is reported when the years straddle it: a change in a text
        column ``unit`` (one unit per year, see :func:`richardson.data.units_by_year`), or
        the break the loaders record in ``frame.attrs["unit_break"]`` (first year of the
        new unit).
    jump_ratio : float
        Year-on-year factor (up or down) reported as a suspicious jump; 2 by default.

    Returns
    -------
    DataReport
        ``report.ok`` is False when something blocks a fit; ``report.summary()`` says what
        and how to fix it.

    Raises
    ------
    DataError
        If ``frame`` is not a DataFrame or its index is not made of years.

    Examples
    --------
    >>> import pandas as pd, richardson as rd
    >>> df = pd.DataFrame({"A": [1.0, None, 3.0]}, index=[1900, 1901, 1903])
    >>> sorted(rd.data.check(df).kinds())
    ['gap', 'missing']
    """
    frame = with_units(year_indexed(frame))
    years = np.asarray(frame.index, dtype=float)
    issues: list[Issue] = []
    counts = pd.Series(years).value_counts()
    repeated = sorted(counts[counts > 1].index)
    if repeated:
        issues.append(
            _issue("duplicate_year", "", repeated, f"years repeated: {_years_text(repeated)}")
        )
    steps = np.diff(years)
    if np.any(steps < 0):
        where = years[1:][steps < 0]
        issues.append(
            _issue(
                "non_monotonic",
                "",
                where,
                f"years out of order (a year follows a later one) at {_years_text(where)}",
            )
        )
    gap = _gap_issue(np.unique(years))
    if gap is not None:
        issues.append(gap)
    unit_break = frame.attrs.get("unit_break")
    if unit_break is not None and years.size and years.min() < unit_break <= years.max():
        units = frame.attrs.get("units", "")
        issues.append(
            _issue("unit_break", "", [int(unit_break)], f"unit break in {int(unit_break)}: {units}")
        )
    measure = frame.attrs.get("measure", frame.attrs.get("variable"))
    quantity = {"milper": "personnel", "cinc": "capability"}.get(str(measure), "spending")
    for column in frame.columns:
        name = str(column)
        values = frame[column]
        if not pd.api.types.is_numeric_dtype(values):
            issues.append(_issue("non_numeric", name, [], f"{name}: column is not numeric"))
            continue
        values = values.to_numpy(dtype=float)
        missing = years[~np.isfinite(values)]
        if missing.size:
            why = _replaced_reason(frame, name)
            issues.append(
                _issue(
                    "missing",
                    name,
                    missing,
                    f"{name}: {missing.size} missing value(s) in {_years_text(missing)}{why}",
                )
            )
        zeros = years[values == 0]
        if zeros.size:
            issues.append(
                _issue("zero", name, zeros, f"{name}: zero {quantity} in {_years_text(zeros)}")
            )
        coded = np.isin(values, MISSING_CODES)
        if coded.any():
            codes = ", ".join(f"{v:g}" for v in sorted(set(values[coded])))
            issues.append(
                _issue(
                    "missing_code",
                    name,
                    years[coded],
                    f"{name}: {codes} in {_years_text(years[coded])} looks like a "
                    "missing-value code, not spending",
                )
            )
        negative = years[(values < 0) & ~coded]
        if negative.size:
            issues.append(
                _issue(
                    "negative",
                    name,
                    negative,
                    f"{name}: negative values in {_years_text(negative)}",
                )
            )
        finite = values[np.isfinite(values)]
        with np.errstate(over="ignore"):  # the range of +-1e308 is inf: not constant
            constant = finite.size > 1 and np.ptp(finite) <= 1e-12 * np.abs(finite).max()
        if constant:
            issues.append(
                _issue(
                    "constant",
                    name,
                    years[np.isfinite(values)],
                    f"{name}: the same value {finite[0]:g} in every year",
                )
            )
        positive = np.where(values > 0, values, np.nan)
        with np.errstate(all="ignore"):  # a ratio of tiny and huge values is inf: a jump
            ratio = positive[1:] / positive[:-1]
        jumps = years[1:][(ratio > jump_ratio) | (ratio < 1.0 / jump_ratio)]
        if unit_break is not None:
            jumps = jumps[jumps != unit_break]
        if jumps.size:
            issues.append(
                _issue(
                    "jump",
                    name,
                    jumps,
                    f"{name}: change by more than a factor {jump_ratio:g} in one year "
                    f"at {_years_text(jumps)}",
                )
            )
    return DataReport(tuple(issues), len(frame), tuple(str(c) for c in frame.columns))


def _gap_issue(ordered: np.ndarray) -> Issue | None:
    listed, total = missing_years(ordered)
    if not total:
        return None
    text = _years_text(listed)
    if total > len(listed):
        text = ", ".join(map(str, listed[:8])) + f", ... ({total} years)"
    return _issue("gap", "", listed, f"years absent from the index: {text}")


def _replaced_reason(frame: pd.DataFrame, column: str) -> str:
    replaced = [r for r in frame.attrs.get("replaced", ()) if r.get("column") == column]
    if not replaced:
        return ""
    reasons = sorted({r["reason"] for r in replaced})
    return f" ({'; '.join(reasons)})"


def _treated(frame: pd.DataFrame, result: pd.DataFrame, what: str) -> pd.DataFrame:
    result.attrs = dict(frame.attrs)
    result.attrs["treatments"] = [*frame.attrs.get("treatments", []), what]
    return result


def drop_missing(frame: pd.DataFrame, how: str = "any") -> pd.DataFrame:
    """Drop the years where a value is missing, recording which years went.

    Parameters
    ----------
    frame : pandas.DataFrame
        Year index, one column per actor or bloc.
    how : {"any", "all"}
        Drop a year when any (or all) of its values are missing.

    Returns
    -------
    pandas.DataFrame
        A new frame; ``attrs["treatments"]`` lists the dropped years.

    Examples
    --------
    >>> import pandas as pd, richardson as rd
    >>> rd.data.drop_missing(pd.DataFrame({"A": [1.0, None]}, index=[1900, 1901])).index.tolist()
    [1900]
    """
    frame = with_units(year_indexed(frame))  # a unit column becomes attrs, as in check
    if how not in ("any", "all"):
        raise DataError(f"how must be 'any' or 'all', not {how!r}")
    result = frame.dropna(how=how)
    dropped = sorted(set(frame.index) - set(result.index))
    return _treated(frame, result, f"dropped years with missing values: {_years_text(dropped)}")


def interpolate(
    frame: pd.DataFrame, method: str = "linear", fill_gaps: bool = True
) -> pd.DataFrame:
    """Fill missing values (and, optionally, absent years) by interpolation in time.

    Parameters
    ----------
    frame : pandas.DataFrame
        Year index (sorted, without repeats), one column per actor or bloc.
    method : {"linear", "log"}
        Straight line between neighbours, or straight line of the logarithm (constant growth
        rate; needs positive values).
    fill_gaps : bool
        Also insert the years absent from the index and interpolate them.

    Returns
    -------
    pandas.DataFrame
        A new frame; values at the ends that cannot be interpolated stay missing.
        ``attrs["treatments"]`` lists the filled cells.

    Raises
    ------
    DataError
        For an unsorted or repeated year index, or a bad method.
    """
    frame = with_units(year_indexed(frame))
    if method not in ("linear", "log"):
        raise DataError(f"method must be 'linear' or 'log', not {method!r}")
    if not frame.index.is_monotonic_increasing or frame.index.has_duplicates:
        raise DataError("sort the years and remove repeated years before interpolating")
    work = frame.astype(float)
    if fill_gaps and len(work):
        full = np.arange(int(work.index.min()), int(work.index.max()) + 1)
        work = work.reindex(full)
        work.index.name = frame.index.name
    if method == "log":
        if (work <= 0).any().any():
            raise DataError("log interpolation needs positive values; use method='linear'")
        filled = np.exp(np.log(work).interpolate(method="index", limit_area="inside"))
    else:
        filled = work.interpolate(method="index", limit_area="inside")
    cells = [
        f"{c} {int(y)}"
        for c in work.columns
        for y in work.index[work[c].isna() & filled[c].notna()]
    ]
    return _treated(frame, filled, f"interpolated ({method}): {', '.join(cells) or 'nothing'}")


def split(frame: pd.DataFrame, at: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a table at a year (by default at its recorded unit break).

    Parameters
    ----------
    frame : pandas.DataFrame
        Year index, one column per actor or bloc.
    at : int, optional
        First year of the second part; defaults to ``frame.attrs["unit_break"]``.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        Years before ``at`` and years from ``at`` on, each with its own unit in
        ``attrs["units"]`` when the split is at the unit break.

    Raises
    ------
    DataError
        If no year is given and none is recorded.
    """
    frame = with_units(year_indexed(frame))
    if at is None:
        at = frame.attrs.get("unit_break")
        if at is None:
            raise DataError("no unit break recorded in attrs['unit_break']; pass at=year")
    before = frame.loc[frame.index < at].copy()
    after = frame.loc[frame.index >= at].copy()
    before = _treated(frame, before, f"split: years before {at}")
    after = _treated(frame, after, f"split: years from {at}")
    if at == frame.attrs.get("unit_break"):
        for part, key in ((before, "unit_before"), (after, "unit_after")):
            part.attrs["units"] = frame.attrs.get(key, part.attrs.get("units", ""))
            part.attrs["unit_break"] = None
    return before, after


def convert_units(
    frame: pd.DataFrame, rate: float, before: int | None = None, unit: str | None = None
) -> pd.DataFrame:
    """Convert the years before a unit break into the later unit with a stated rate.

    Parameters
    ----------
    frame : pandas.DataFrame
        Year index, one column per actor or bloc.
    rate : float
        Units of the later currency per unit of the earlier one (e.g. 4.8665 US dollars per
        pound sterling, the gold-standard parity before 1914). State your source for it.
    before : int, optional
        First year already in the new unit; defaults to ``frame.attrs["unit_break"]``.
    unit : str, optional
        Name of the resulting unit; defaults to ``frame.attrs["unit_after"]``.

    Returns
    -------
    pandas.DataFrame
        A new frame in one unit, with the rate recorded in ``attrs["treatments"]``.

    Raises
    ------
    DataError
        For a non-positive rate, or when no break year is given or recorded.
    """
    frame = with_units(year_indexed(frame))
    rate = float(rate)
    if not np.isfinite(rate) or rate <= 0:
        raise DataError(f"rate must be a positive number, not {rate}")
    before = frame.attrs.get("unit_break") if before is None else before
    if before is None:
        raise DataError("no unit break recorded in attrs['unit_break']; pass before=year")
    result = frame.astype(float).copy()
    result.loc[result.index < before] *= rate
    result = _treated(frame, result, f"converted years before {before} at rate {rate:g}")
    result.attrs["unit_break"] = None
    result.attrs["units"] = unit or frame.attrs.get("unit_after", frame.attrs.get("units", ""))
    return result


def _constant_units(units: str, base_year: int, label: str) -> str:
    """``"thousand current USD"`` -> ``"thousand constant 2010 USD (US CPI-U)"``."""
    if "current" in units:
        text = units.replace("current", f"constant {base_year}", 1)
    else:
        text = f"{units} (constant {base_year} prices)".lstrip()
    return f"{text} ({label})" if label else text


def deflate(
    frame: pd.DataFrame,
    index: pd.Series | Mapping[int, float],
    base_year: int,
    unit: str | None = None,
) -> pd.DataFrame:
    """Turn current prices into constant prices of ``base_year`` with a price index.

    ``value_constant[year] = value_current[year] * index[base_year] / index[year]``, cell by
    cell. This is the one implementation of the formula: ``richardson.data.load(...,
    prices="constant")`` calls it with the bundled US CPI-U.

    Parameters
    ----------
    frame : pandas.DataFrame
        Year index, spending in current prices (any currency unit, e.g. thousand USD).
    index : pandas.Series, mapping year -> float, or one-column pandas.DataFrame
        Price index (any base, index points) for every year of ``frame`` and for
        ``base_year``, e.g. :func:`richardson.data.price_index`. A Series whose
        ``attrs["label"]`` names it (the bundled ones do) is named in the result's units and
        treatments.
    base_year : int
        Year whose prices the result is expressed in.
    unit : str, optional
        Name of the resulting unit (e.g. ``"thousand constant 1990 USD"``); by default
        ``"current"`` in ``attrs["units"]`` becomes ``"constant <base_year>"``, followed by
        the index's label.

    Returns
    -------
    pandas.DataFrame
        A new frame in constant prices; ``attrs["treatments"]`` records the deflation,
        ``attrs["prices"]`` is ``"constant"``, ``attrs["base_year"]`` the base year and
        ``attrs["price_index"]`` the index used.

    Raises
    ------
    DataError
        If the index lacks a year of ``frame`` or ``base_year``, or a value it needs is not
        positive and finite.

    Examples
    --------
    >>> import pandas as pd, richardson as rd
    >>> df = pd.DataFrame({"A": [10.0, 22.0]}, index=[2000, 2001])
    >>> rd.data.deflate(df, {2000: 100.0, 2001: 110.0}, base_year=2000)["A"].tolist()
    [10.0, 20.0]
    """
    frame = with_units(year_indexed(frame))
    prices = index_series(index)
    meta = prices.attrs
    label = str(meta.get("label", ""))
    needed = set(frame.index) | {base_year}
    absent = sorted(needed - set(prices.index))
    if absent:
        raise DataError(
            f"the price index has no value for {_years_text(absent)}; supply every year "
            "of the data and the base year"
        )
    used = prices.loc[sorted(needed)]
    bad = used.index[~(np.isfinite(used.to_numpy()) & (used.to_numpy() > 0))]
    if len(bad):
        raise DataError(
            f"the price index must be positive and finite; it is not in {_years_text(bad)}"
        )
    factor = prices.loc[base_year] / prices.loc[frame.index].to_numpy()
    result = frame.astype(float).mul(factor, axis=0)
    name = label or "the supplied index"
    if label and meta.get("series_id"):
        name += f" (series {meta['series_id']})"
    result = _treated(
        frame,
        result,
        f"deflated to constant {base_year} prices with {name}: "
        f"value * index[{base_year}] / index[year]",
    )
    for key in ("units", "unit_before", "unit_after"):
        if key == "units" or key in result.attrs:
            result.attrs[key] = unit or _constant_units(
                str(frame.attrs.get(key, "")), base_year, label
            )
    result.attrs["prices"] = "constant"
    result.attrs["base_year"] = int(base_year)
    result.attrs["price_index"] = name
    return result


def aggregate(frame: pd.DataFrame, blocs: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Sum actors into blocs; a bloc-year with a missing member stays missing.

    Parameters
    ----------
    frame : pandas.DataFrame
        Year index, one column per actor.
    blocs : mapping bloc -> list of columns
        Members of each bloc, e.g. ``{"Entente": ["FRN", "RUS"]}``.

    Returns
    -------
    pandas.DataFrame
        One column per bloc.

    Raises
    ------
    DataError
        If a member is not a column.

    Examples
    --------
    >>> import pandas as pd, richardson as rd
    >>> df = pd.DataFrame({"FRN": [1.0, 2.0], "RUS": [3.0, None]}, index=[1900, 1901])
    >>> rd.data.aggregate(df, {"Entente": ["FRN", "RUS"]})["Entente"].tolist()
    [4.0, nan]
    """
    columns = {}
    for bloc, members in blocs.items():
        members = [members] if isinstance(members, str) else list(members)
        absent = [m for m in members if m not in frame.columns]
        if absent:
            raise DataError(
                f"bloc {bloc!r} lists {absent}, which are not columns of the data "
                f"({list(frame.columns)})"
            )
        columns[str(bloc)] = (
            frame[members]
            .sum(axis=1, min_count=len(members))
            .where(frame[members].notna().all(axis=1))
        )
    result = pd.DataFrame(columns, index=frame.index)
    return _treated(
        frame,
        result,
        "aggregated into blocs: "
        + "; ".join(
            f"{b} = {' + '.join(map(str, m if not isinstance(m, str) else [m]))}"
            for b, m in blocs.items()
        ),
    )
