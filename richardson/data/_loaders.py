"""Loaders: the bundled Correlates of War series, its named cases, and the user's own CSV files."""

from __future__ import annotations

import tomllib
import warnings
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, RichardsonWarning, did_you_mean
from ._checks import check, deflate
from ._prices import price_index
from ._states import state_code

__all__ = ["load", "available", "memberships", "load_states", "COW"]

_COW_FILE = "nmc_v6_milex.csv"

_CASES_FILE = "cases.toml"

_VARIABLES = ("milex", "milper", "cinc")

_PRICES = ("current", "constant")

#: The index ``prices="constant"`` deflates by (see :func:`richardson.data.price_index`).
_DEFLATOR = "us_cpi_u"

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
            label = member.get("column", member["actor"])
            label += " (optional)" if member.get("optional") else ""
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
    states: Sequence[str],
    start: int | None = None,
    end: int | None = None,
    variable: str | None = None,
    *,
    measure: str = "milex",
    prices: str = "current",
    base_year: int = 2010,
) -> pd.DataFrame:
    """Any COW states' series, one column per state (``stateabb``), with checks.

    Parameters
    ----------
    states : sequence of str
        COW abbreviations or names, any case, e.g. ``["GRC", "TUR"]`` or
        ``["Greece", "Turkey"]`` (:func:`state_names` lists them); the columns are the
        abbreviations.
    start, end : int, optional
        First and last year (inclusive); every year the states have by default.
    variable : str, optional
        Older name of ``measure`` (give one or the other).
    measure : {"milex", "milper", "cinc"}
        Military expenditure (thousands of current GBP to 1913, of current USD from 1914),
        military personnel (thousands) or the composite capability index (share).
    prices : {"current", "constant"}
        As :func:`load` (``"constant"`` needs ``start`` >= 1914).
    base_year : int
        As :func:`load`.

    Returns
    -------
    pandas.DataFrame
        As :func:`load` with ``level="actor"``.

    Raises
    ------
    DataError
        As :func:`load`, and for an unknown state (with the closest names).

    Examples
    --------
    >>> import richardson as rd
    >>> rd.data.load_states(["Greece", "turkey"], 1960, 1961).columns.tolist()
    ['GRC', 'TUR']
    """
    if isinstance(states, str):
        states = [states]
    states = [state_code(state) for state in states]
    measure = _measure(measure, variable)
    _check_prices(measure, prices, base_year)
    return _build(
        list(states),
        {s: s for s in states},
        None,
        start,
        end,
        measure,
        title=", ".join(states),
        note="",
        prices=prices,
        base_year=base_year,
    )


def _measure(measure: str, variable: str | None) -> str:
    """The measure asked for, from ``measure=`` or its older name ``variable=``."""
    if variable is not None and measure != "milex" and variable != measure:
        raise DataError(
            f"variable={variable!r} and measure={measure!r} disagree; variable is the older "
            "name of measure: give only measure=..."
        )
    chosen = measure if variable is None else variable
    if chosen not in _VARIABLES:
        raise DataError(
            f"measure must be one of {', '.join(map(repr, _VARIABLES))} (military expenditure, "
            f"military personnel, composite capability index), not {chosen!r}"
            f"{did_you_mean(str(chosen), _VARIABLES)}"
        )
    return chosen


def _check_prices(measure: str, prices: str, base_year: Any) -> None:
    """Refuse a bad ``prices``/``base_year`` before anything is read."""
    if prices not in _PRICES:
        raise DataError(
            f"prices must be one of {', '.join(map(repr, _PRICES))}, not {prices!r}"
            f"{did_you_mean(str(prices), _PRICES)}; 'current' keeps the source's prices, "
            f"'constant' deflates dollars by the US CPI-U to base_year prices"
        )
    if prices == "current":
        return
    if measure != "milex":
        what = {
            "milper": "military personnel (thousands of people)",
            "cinc": "a share of the system's capability",
        }[measure]
        raise DataError(
            f"measure={measure!r} is {what}: it has no prices, so prices='constant' does not "
            "apply; leave prices='current' (the default)"
        )
    if isinstance(base_year, bool) or not isinstance(base_year, int | np.integer):
        raise DataError(f"base_year must be a whole year such as 2010, not {base_year!r}")
    years = price_index(_DEFLATOR).index
    if not years.min() <= base_year <= years.max():
        raise DataError(
            f"base_year {int(base_year)} is outside the years of the US CPI-U "
            f"({years.min()}-{years.max()}); pick a base year in {years.min()}-{years.max()}, "
            "e.g. base_year=2010"
        )


def _sterling_error(what: str, first: int, last: int, units: str) -> DataError:
    return DataError(
        f"prices='constant': {what} includes {first}-{last}, years in pounds sterling "
        f"({units}), and nothing openly licensed is bundled to deflate pounds before "
        f"{_UNIT_BREAK} (the bundled US CPI-U deflates the dollar era, {_UNIT_BREAK} on). "
        "Fix: load current prices and deflate them with your own index, "
        "rd.data.deflate(df, your_index, base_year=...) (your_index: a pandas Series "
        "year -> price level for every year), or use measure='milper' (military personnel, "
        f"no prices), or start in {_UNIT_BREAK} or later"
    )


def _price_note(actors: Sequence[str]) -> str:
    note = (
        "Deflated by the US CPI-U (BLS CUUR0000SA0), a consumer price index, not a "
        "defence-specific deflator."
    )
    others = [a for a in actors if a != "USA"]
    if others:
        note += (
            " COW converts other currencies into US dollars at exchange rates, so a US "
            "price index is only an approximation for the non-US states here "
            f"({', '.join(others)}): their dollar figures move with their own prices and "
            "exchange rates, which the US CPI-U does not measure."
        )
    return note


def load(
    name: str,
    level: str = "bloc",
    include_optional: bool = False,
    start: int | None = None,
    end: int | None = None,
    variable: str | None = None,
    *,
    measure: str = "milex",
    prices: str = "current",
    base_year: int = 2010,
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
        A case listed by :func:`available`, e.g. ``"pre_wwi_blocs"``, ``"us_ussr"``, or
        ``"richardson_1909_1913"`` (Richardson's own figures, million current GBP).
    level : {"bloc", "actor"}
        One column per bloc (members summed, a year with a missing member stays missing) or
        one column per member state.
    include_optional : bool
        Add the optional members (UKG to the Entente, ITA to the Central Powers).
    start, end : int, optional
        First and last year (inclusive); the case's own period by default.
    variable : str, optional
        Older name of ``measure`` (give one or the other).
    measure : {"milex", "milper", "cinc"}
        Military expenditure (thousands of current GBP up to 1913, thousands of current USD
        from 1914), military personnel (thousands) or composite capability index (share).
    prices : {"current", "constant"}
        ``"current"`` keeps the source's prices. ``"constant"`` deflates the dollar era
        (1914 on) by the bundled US CPI-U (:func:`price_index`):
        ``value * CPI[base_year] / CPI[year]``, units e.g. ``"thousand constant 2010 USD
        (US CPI-U)"``. For non-US states this is an approximation (``attrs["price_note"]``).
        Only for ``measure="milex"``, and not for years up to 1913 (pounds sterling).
    base_year : int
        Year whose prices ``prices="constant"`` expresses the values in (1913-2025).

    Returns
    -------
    pandas.DataFrame
        Index ``year`` (int), one column per bloc or actor, ``attrs`` with ``source``,
        ``version``, ``citation``, ``licence``, ``units``, ``unit_break`` (1914 when the
        years straddle it, else None), ``case``, ``title``, ``note``, ``members``,
        ``replaced``, ``treatments``, ``measure``, ``prices`` (``"current"``,
        ``"constant"``, or None for personnel and capability), ``base_year`` (None in
        current prices) and ``price_note``.

    Raises
    ------
    DataError
        For an unknown case, level, measure or prices; for ``prices="constant"`` with years
        up to 1913, with a non-monetary measure or with a base year outside 1913-2025.

    Examples
    --------
    >>> import richardson as rd
    >>> df = rd.data.load("pre_wwi_blocs")
    >>> list(df.columns), int(df.index[0]), int(df.index[-1])
    (['Entente', 'Central Powers'], 1880, 1913)
    >>> real = rd.data.load("us_ussr", prices="constant", base_year=2010)
    >>> real.attrs["units"]
    'thousand constant 2010 USD (US CPI-U)'
    """
    if level not in ("bloc", "actor"):
        raise DataError(f"level must be 'bloc' or 'actor', not {level!r}")
    case = _case(name)
    measure = _measure(measure, variable)
    _check_prices(measure, prices, base_year)
    members = [m for m in case["members"] if include_optional or not m.get("optional")]
    start = case["start"] if start is None else start
    end = case["end"] if end is None else end
    if "file" in case:
        frame = _file_case(name, case, members, level, start, end, measure, prices)
    else:
        actors = list(dict.fromkeys(m["actor"] for m in members))
        bloc_of = {m["actor"]: m["bloc"] for m in members}
        frame = _build(
            actors,
            bloc_of,
            members if level == "bloc" else None,
            start,
            end,
            measure,
            title=case["title"],
            note=case.get("note", ""),
            prices=prices,
            base_year=base_year,
        )
    frame.attrs["case"] = name
    return frame


def _file_case(
    name: str,
    case: dict[str, Any],
    members: list[dict],
    level: str,
    start: int,
    end: int,
    measure: str,
    prices: str,
) -> pd.DataFrame:
    """A case read from its own bundled file (e.g. Richardson's figures), not from COW."""
    units = case["units"]
    if measure != "milex":
        raise DataError(
            f"{name!r} holds military expenditure only ({units}); measure={measure!r} is "
            "available for the COW cases, e.g. load('pre_wwi_blocs', measure='milper')"
        )
    with _package_file(case["file"]).open("r", encoding="utf-8") as handle:
        table = pd.read_csv(handle, comment="#").set_index("year")
    first, last = int(table.index.min()), int(table.index.max())
    start, end = int(start), int(end)
    if end < start:
        raise DataError(f"end year {end} is before start year {start}")
    if start < first or end > last:
        raise DataError(
            f"{name!r} covers {first}-{last}, not {start}-{end}; pick start and end in "
            f"{first}-{last}"
        )
    if prices == "constant" and start < _UNIT_BREAK:
        raise _sterling_error(f"{name!r}", start, min(end, _UNIT_BREAK - 1), units)
    columns = [m["column"] for m in members]
    wide = table.loc[start:end, columns].astype(float)
    wide.index = wide.index.astype("int64")
    wide.index.name = "year"
    wide.columns.name = None
    if level == "bloc":
        wide = _bloc_totals(wide, [{**m, "actor": m["column"]} for m in members])
    wide.attrs = {
        "source": case["source"],
        "version": case.get("version", ""),
        "citation": case["citation"],
        "licence": case["licence"],
        "file": case["file"],
        "variable": measure,
        "measure": measure,
        "units": units,
        "unit_before": units,
        "unit_after": units,
        "unit_break": None,
        "prices": "current",
        "base_year": None,
        "price_note": "",
        "title": case["title"],
        "note": case.get("note", ""),
        "members": [dict(m) for m in members],
        "replaced": [],
        "treatments": [],
    }
    _warn_if_blocked(wide, f"{case['title']}, {start}-{end}")
    return wide


def _warn_if_blocked(frame: pd.DataFrame, what: str) -> None:
    report = check(frame)
    if not report.ok:
        warnings.warn(
            f"{what}: this table needs a choice before fitting.\n" + report.summary(),
            RichardsonWarning,
            stacklevel=4,
        )


def _build(
    actors: list[str],
    bloc_of: Mapping[str, str],
    members: list[dict] | None,
    start: int | None,
    end: int | None,
    variable: str,
    title: str,
    note: str,
    prices: str = "current",
    base_year: int = 2010,
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
    before, after = _UNITS[variable]
    if prices == "constant" and start < _UNIT_BREAK:
        raise _sterling_error(
            f"{title}, {start}-{end},", start, min(end, _UNIT_BREAK - 1), f"COW milex: {before}"
        )
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
        "measure": variable,
        "units": units,
        "unit_before": before,
        "unit_after": after,
        "unit_break": _UNIT_BREAK if straddles else None,
        "prices": "current" if variable == "milex" else None,
        "base_year": None,
        "price_note": "",
        "title": title,
        "note": note,
        "members": [dict(m) for m in members]
        if members is not None
        else [{"actor": a, "bloc": bloc_of[a]} for a in actors],
        "replaced": replaced,
        "treatments": [],
    }
    if prices == "constant":
        wide = deflate(wide, price_index(_DEFLATOR), base_year)
        wide.attrs["unit_before"] = wide.attrs["unit_after"] = wide.attrs["units"]
        wide.attrs["price_note"] = _price_note(actors)
    _warn_if_blocked(wide, f"{title}, {start}-{end}")
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
