"""Bundled cases on a real basis, as the command line and the demo load them.

Spending in constant prices where a deflator is bundled (the dollar era, 1914 on: US CPI-U),
military personnel where none is (the sterling era, up to 1913), unless asked otherwise.
"""

from __future__ import annotations

import warnings

import pandas as pd

from .. import data

__all__ = ["load_real"]

#: First year of COW's dollar era (milex in pounds before).
DOLLAR_ERA = 1914


def load_real(
    name: str,
    start: int | None = None,
    end: int | None = None,
    measure: str = "auto",
    prices: str = "auto",
    base_year: int = 2010,
) -> pd.DataFrame:
    """Load a bundled case on a basis that supports a regime verdict.

    Parameters
    ----------
    name : str
        A case of :func:`richardson.data.available`.
    start, end : int, optional
        First and last year (inclusive); the case's own span by default.
    measure : {"auto", "milex", "milper", "cinc"}
        ``"auto"``: personnel when the span lies wholly before 1914 (and constant prices
        were not asked for), spending otherwise.
    prices : {"auto", "constant", "current"}
        ``"auto"``: constant prices when the span of spending lies wholly in the dollar era.
    base_year : int
        Base year of constant prices.

    Returns
    -------
    pandas.DataFrame
        As :func:`richardson.data.load`, with ``attrs["units"]`` stating the basis.
    """
    if measure == "auto" or prices == "auto":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the span only; the real load below warns
            years = data.load(name, start=start, end=end).index
        sterling_only = len(years) > 0 and int(years.max()) < DOLLAR_ERA
        if measure == "auto":
            measure = "milper" if sterling_only and prices != "constant" else "milex"
        if prices == "auto":
            dollars_only = len(years) > 0 and int(years.min()) >= DOLLAR_ERA
            prices = "constant" if measure == "milex" and dollars_only else "current"
    options = {"prices": prices, "base_year": base_year} if measure == "milex" else {}
    return data.load(name, start=start, end=end, measure=measure, **options)
