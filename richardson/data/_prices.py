"""Bundled price indices, for turning current-price spending into constant prices.

Only openly licensed indices are bundled: today the US consumer price index (CPI-U) of the
Bureau of Labor Statistics, 1913-2025, which deflates COW's dollar era (1914 on). Nothing is
bundled for pounds sterling before 1914: pass your own index to
:func:`richardson.data.deflate`.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import pandas as pd

from ..errors import DataError, did_you_mean

__all__ = ["price_index", "price_indices"]

#: The bundled price indices: file and provenance (copied into every series' ``attrs``).
_INDICES: dict[str, dict[str, Any]] = {
    "us_cpi_u": {
        "file": "us_cpi_u_annual.csv",
        "column": "cpi_u",
        "label": "US CPI-U",
        "title": (
            "US Consumer Price Index for All Urban Consumers (CPI-U), all items, "
            "U.S. city average, annual averages"
        ),
        "source": "U.S. Bureau of Labor Statistics (BLS), Consumer Price Index",
        "series_id": "CUUR0000SA0",
        "period": "M13 (annual average of the monthly, not seasonally adjusted values)",
        "base": "1982-84 = 100",
        "units": "index, 1982-84 = 100",
        "currency": "USD",
        "licence": (
            "Public domain (a work of the US federal government); cite the Bureau of "
            "Labor Statistics."
        ),
        "citation": (
            "U.S. Bureau of Labor Statistics, Consumer Price Index for All Urban Consumers "
            "(CPI-U), U.S. city average, all items, series CUUR0000SA0, annual averages."
        ),
        "obtained": (
            "Read from the BLS database shipped by the PyPI package cpi 2.1.0; checked "
            "against BLS's published annual averages (1929 = 17.1, 1950 = 24.1, "
            "1980 = 82.4, 2000 = 172.2, 2016 = 240.007)."
        ),
    },
}


@cache
def _read(name: str) -> pd.Series:
    spec = _INDICES[name]
    with resources.files("richardson.data").joinpath(spec["file"]).open(encoding="utf-8") as handle:
        table = pd.read_csv(handle, comment="#")
    series = pd.Series(
        table[spec["column"]].to_numpy(dtype=float),
        index=pd.Index(table["year"].to_numpy(dtype="int64"), name="year"),
        name=name,
    )
    if not series.index.is_monotonic_increasing or series.index.has_duplicates:
        raise DataError(f"bundled price index {spec['file']} has unsorted or repeated years")
    if not (series > 0).all():
        raise DataError(f"bundled price index {spec['file']} has non-positive values")
    return series


def _unknown(name: str) -> DataError:
    return DataError(
        f"no bundled price index {name!r}{did_you_mean(name, _INDICES)}; "
        f"richardson.data.price_indices() lists {sorted(_INDICES)}. For another index "
        "(e.g. a national deflator) build a pandas Series year -> value and pass it to "
        "richardson.data.deflate(df, your_index, base_year=...)"
    )


def price_index(name: str = "us_cpi_u") -> pd.Series:
    """A bundled annual price index, with its provenance in ``attrs``.

    Parameters
    ----------
    name : str
        An index listed by :func:`price_indices`; ``"us_cpi_u"`` (US CPI-U, BLS series
        CUUR0000SA0, annual averages, 1982-84 = 100, 1913-2025) by default.

    Returns
    -------
    pandas.Series
        Index ``year`` (int), float values in index points (``attrs["base"]`` says which
        period equals 100). ``attrs`` holds ``name``, ``label``, ``title``, ``source``,
        ``series_id``, ``period``, ``base``, ``units``, ``currency``, ``licence``,
        ``citation`` and ``obtained``. A new copy on every call: change it freely.

    Raises
    ------
    DataError
        For an unknown name (with the closest bundled name).

    Examples
    --------
    >>> import richardson as rd
    >>> cpi = rd.data.price_index()
    >>> float(cpi[1950]), cpi.attrs["series_id"], cpi.attrs["base"]
    (24.1, 'CUUR0000SA0', '1982-84 = 100')
    """
    if name not in _INDICES:
        raise _unknown(name)
    series = _read(name).copy()
    series.attrs = {"name": name, **{k: v for k, v in _INDICES[name].items() if k != "column"}}
    return series


def price_indices() -> pd.DataFrame:
    """List the bundled price indices, one row each.

    Returns
    -------
    pandas.DataFrame
        Index ``name``; columns ``title``, ``years`` (first-last), ``base``, ``series_id``,
        ``source`` and ``licence``.

    Examples
    --------
    >>> import richardson as rd
    >>> rd.data.price_indices().loc["us_cpi_u", "years"]
    '1913-2025'
    """
    rows = []
    for name, spec in _INDICES.items():
        years = _read(name).index
        rows.append(
            {
                "name": name,
                "title": spec["title"],
                "years": f"{years.min()}-{years.max()}",
                "base": spec["base"],
                "series_id": spec["series_id"],
                "source": spec["source"],
                "licence": spec["licence"],
            }
        )
    return pd.DataFrame(rows).set_index("name")
