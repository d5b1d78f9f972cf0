"""Loaders: the bundled Correlates of War series, its named cases, and the user's own CSV files."""

from __future__ import annotations

import tomllib
import warnings
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, RichardsonWarning, did_you_mean
from ._checks import check

__all__ = ["load", "available", "read_csv", "memberships", "load_states", "COW"]

_COW_FILE = "nmc_v6_milex.csv"
_CASES_FILE = "cases.toml"
_VARIABLES = ("milex", "milper", "cinc")

#: Provenance of the bundled Correlates of War table (shown in every frame's ``attrs``).
COW: dict[str, Any] = {
    "source": "Correlates of War Project, National Material Capabilities (NMC)",
    "version": "6.0 (released 2021)",
    "citation": (
        "Singer, J. David, Stuart Bremer, and John Stuckey (1972). Capability Distribution, "
        "Uncertainty, and Major Power War, 1820-1965. In Bruce Russett (ed.), Peace, War, and "
        "Numbers, 19-48. Beverly Hills: Sage. Singer, J. David (1987). Reconstructing the "
        "Correlates of War Dataset on Material Capabilities of States, 1816-1985. "
        "International Interactions 14: 115-32."
    ),
    "licence": "COW data are distributed freely for research use with the citation above.",
}
_UNITS = {
    "milex": ("thousand current GBP", "thousand current USD"),
    "milper": ("thousand personnel", "thousand personnel"),
    "cinc": ("share of system capability (0-1)", "share of system capability (0-1)"),
}
_UNIT_BREAK = 1914


def _package_file(name: str):  # noqa: ANN202
    return resources.files("richardson.data").joinpath(name)


def _cases() -> dict[str, dict[str, Any]]:
    with _package_file(_CASES_FILE).open("rb") as handle:
        return tomllib.load(handle)


def _cow_table() -> pd.DataFrame:
    with _package_file(_COW_FILE).open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, comment="#")


def available() -> pd.DataFrame:
    """List the named cases of :func:`load`, one line each.

    Returns
    -------
    pandas.DataFrame
        Index ``name``; columns ``title``, ``years``, ``blocs`` (members per bloc) and
        ``note``.

    Examples
    --------
    >>> import richardson as rd
    >>> "pre_wwi_blocs" in rd.data.available().index
    True
    """
    rows = []
    for name, case in _cases().items():
        blocs: dict[str, list[str]] = {}
        for member in case["members"]:
            label = member["actor"] + (" (optional)" if member.get("optional") else "")
            blocs.setdefault(member["bloc"], []).append(label)
        rows.append(
            {
                "name": name,
                "title": case["title"],
                "years": f"{case['start']}-{case['end']}",
                "blocs": "; ".join(f"{b}: {', '.join(m)}" for b, m in blocs.items()),
                "note": case.get("note", ""),
            }
        )
    return pd.DataFrame(rows).set_index("name")


def memberships(name: str) -> pd.DataFrame:
    """The membership rows of a named case: actor, bloc, from-year, to-year, optional.

    Parameters
    ----------
    name : str
        A case listed by :func:`available`.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    DataError
        For an unknown case name.
    """
    case = _case(name)
    return pd.DataFrame(
        [
            {
                "actor": m["actor"],
                "bloc": m["bloc"],
                "from": m["from"],
                "to": m["to"],
                "optional": bool(m.get("optional", False)),
            }
            for m in case["members"]
        ]
    )


def _case(name: str) -> dict[str, Any]:
    cases = _cases()
    if name not in cases:
        raise DataError(
            f"no bundled case {name!r}{did_you_mean(name, cases)}; "
            f"richardson.data.available() lists {sorted(cases)}"
        )
    return cases[name]


def _replace_missing(
    table: pd.DataFrame, variable: str, missing: Sequence[float], zero_is_missing: bool
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Wide table with NaN for missing codes (and zeros), and the record of every replacement."""
    replaced = []
    values = table.to_numpy(dtype=float, copy=True)
    for (i, j), value in np.ndenumerate(values):
        reason = None
        if any(value == code for code in missing):
            reason = f"coded {value:g} (missing) in the source"
        elif zero_is_missing and value == 0:
            reason = "0 in the source (not a spending level)"
        if reason:
            replaced.append(
                {
                    "column": str(table.columns[j]),
                    "year": int(table.index[i]),
                    "value": float(value),
                    "reason": reason,
                }
            )
            values[i, j] = np.nan
    return pd.DataFrame(values, index=table.index, columns=table.columns), replaced


def load_states(
    states: Sequence[str], start: int | None = None, end: int | None = None, variable: str = "milex"
) -> pd.DataFrame:
    """Any COW states' series, one column per state (``stateabb``), with checks.

    Parameters
    ----------
    states : sequence of str
        COW abbreviations, e.g. ``["GRC", "TUR"]``.
    start, end : int, optional
        First and last year (inclusive).
    variable : {"milex", "milper", "cinc"}
        Military expenditure (thousands of current GBP to 1913, of current USD from 1914),
        military personnel (thousands) or the composite capability index.

    Returns
    -------
    pandas.DataFrame
        As :func:`load` with ``level="actor"``.
    """
    return _build(
        list(states),
        {s: s for s in states},
        None,
        start,
        end,
        variable,
        title=", ".join(states),
        note="",
    )


def load(
    name: str,
    level: str = "bloc",
    include_optional: bool = False,
    start: int | None = None,
    end: int | None = None,
    variable: str = "milex",
) -> pd.DataFrame:
    """Load a bundled historical case as a tidy table of spending per year.

    Missing values (COW codes them -9) become ``NaN`` and every replaced cell is listed in
    ``attrs["replaced"]``; zeros are kept and flagged by :func:`check` (Pakistan 1947 is not
    a spending level; Iceland's zeros are real: it has no armed forces); years that straddle
    the 1913/1914 unit break are kept and flagged. A :class:`~richardson.RichardsonWarning`
    says when the returned table needs a treatment before it can be fitted (see
    :func:`check`).

    Parameters
    ----------
    name : str
        A case listed by :func:`available`, e.g. ``"pre_wwi_blocs"``, ``"us_ussr"``.
    level : {"bloc", "actor"}
        One column per bloc (members summed, a year with a missing member stays missing) or
        one column per member state.
    include_optional : bool
        Add the optional members (UKG to the Entente, ITA to the Central Powers).
    start, end : int, optional
        First and last year (inclusive); the case's own period by default.
    variable : {"milex", "milper", "cinc"}
        Military expenditure (thousands of current GBP up to 1913, thousands of current USD
        from 1914), military personnel (thousands) or composite capability index (share).

    Returns
    -------
    pandas.DataFrame
        Index ``year`` (int), one column per bloc or actor, ``attrs`` with ``source``,
        ``version``, ``citation``, ``licence``, ``units``, ``unit_break`` (1914 when the
        years straddle it, else None), ``case``, ``title``, ``note``, ``members`` and
        ``replaced``.

    Raises
    ------
    DataError
        For an unknown case, level or variable.

    Examples
    --------
    >>> import richardson as rd
    >>> df = rd.data.load("pre_wwi_blocs")
    >>> list(df.columns), int(df.index[0]), int(df.index[-1])
    (['Entente', 'Central Powers'], 1880, 1913)
    """
    if level not in ("bloc", "actor"):
        raise DataError(f"level must be 'bloc' or 'actor', not {level!r}")
    case = _case(name)
    members = [m for m in case["members"] if include_optional or not m.get("optional")]
    actors = list(dict.fromkeys(m["actor"] for m in members))
    bloc_of = {m["actor"]: m["bloc"] for m in members}
    start = case["start"] if start is None else start
    end = case["end"] if end is None else end
    frame = _build(
        actors,
        bloc_of,
        members if level == "bloc" else None,
        start,
        end,
        variable,
        title=case["title"],
        note=case.get("note", ""),
    )
    frame.attrs["case"] = name
    return frame


def _build(
    actors: list[str],
    bloc_of: Mapping[str, str],
    members: list[dict] | None,
    start: int | None,
    end: int | None,
    variable: str,
    title: str,
    note: str,
) -> pd.DataFrame:
    if variable not in _VARIABLES:
        raise DataError(f"variable must be one of {_VARIABLES}, not {variable!r}")
    table = _cow_table()
    known = set(table["stateabb"])
    for actor in actors:
        if actor not in known:
            raise DataError(f"COW has no state {actor!r}{did_you_mean(actor, known)}")
    rows = table[table["stateabb"].isin(actors)]
    start = int(rows["year"].min()) if start is None else int(start)
    end = int(rows["year"].max()) if end is None else int(end)
    if end < start:
        raise DataError(f"end year {end} is before start year {start}")
    wide = rows.pivot(index="year", columns="stateabb", values=variable)
    wide = wide.reindex(index=np.arange(start, end + 1), columns=actors)
    wide.index.name = "year"
    wide.columns.name = None
    absent_rows = [
        {
            "column": a,
            "year": int(y),
            "value": float("nan"),
            "reason": "no row in the source (state not in the system that year)",
        }
        for a in actors
        for y in wide.index[wide[a].isna()]
    ]
    wide, replaced = _replace_missing(wide, variable, (-9,), zero_is_missing=False)
    replaced = absent_rows + replaced
    if members is not None:
        wide = _bloc_totals(wide, members)
    before, after = _UNITS[variable]
    straddles = variable == "milex" and start < _UNIT_BREAK <= end
    if variable == "milex":
        units = (
            f"{before} up to {_UNIT_BREAK - 1}, {after} from {_UNIT_BREAK}"
            if straddles
            else (before if end < _UNIT_BREAK else after)
        )
    else:
        units = before
    wide.attrs = {
        **COW,
        "variable": variable,
        "units": units,
        "unit_before": before,
        "unit_after": after,
        "unit_break": _UNIT_BREAK if straddles else None,
        "title": title,
        "note": note,
        "members": [dict(m) for m in members]
        if members is not None
        else [{"actor": a, "bloc": bloc_of[a]} for a in actors],
        "replaced": replaced,
        "treatments": [],
    }
    report = check(wide)
    if not report.ok:
        warnings.warn(
            f"{title}, {start}-{end}: this table needs a choice before fitting.\n"
            + report.summary(),
            RichardsonWarning,
            stacklevel=3,
        )
    return wide


def _bloc_totals(wide: pd.DataFrame, members: list[dict]) -> pd.DataFrame:
    """Sum members into blocs year by year, following membership dates."""
    blocs = list(dict.fromkeys(m["bloc"] for m in members))
    out = pd.DataFrame(index=wide.index, columns=blocs, dtype=float)
    for bloc in blocs:
        rows = [m for m in members if m["bloc"] == bloc]
        total = pd.Series(0.0, index=wide.index)
        for member in rows:
            active = (wide.index >= member["from"]) & (wide.index <= member["to"])
            total = total + np.where(active, wide[member["actor"]], 0.0)
        out[bloc] = total.where(
            total.index.isin(
                [y for y in wide.index if any(m["from"] <= y <= m["to"] for m in rows)]
            )
        )
    out.attrs = {}
    return out


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
