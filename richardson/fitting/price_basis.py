"""Which price basis a spending series is in, and whether a regime verdict may be drawn from it.

A constant-coefficient Richardson fit reads any steady growth of the series as an unstable
eigenvalue. Inflation is such a growth: a stable system whose spending is inflated by 4% a
year is judged "runaway" by the fit, and the same system deflated is judged stable. So a
verdict (regime, escalation margin, ``P(runaway)``) is drawn only from series in constant
prices or in non-monetary units (personnel, capability shares); from current-price or
unknown-basis money series it is withheld unless the user asks for it.

:func:`price_basis` reads the frame's ``attrs`` as :func:`richardson.data.load`,
:func:`richardson.data.deflate` and :func:`richardson.data.read_csv` write them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["PriceBasis", "price_basis", "NOMINAL_FIXES"]

#: Longest span of calendar years (inclusive count minus one) that a series without units may
#: cover before its price basis matters for a verdict.
UNKNOWN_SPAN_YEARS = 10

#: The two fixes, as the warning and the summary state them.
NOMINAL_FIXES = (
    'load constant prices (rd.data.load(case, prices="constant", base_year=2010)) or deflate '
    "your own series (rd.data.deflate(df, price_index, base_year)); pass allow_nominal=True "
    "to get a verdict anyway"
)

_MONEY = re.compile(
    r"(\b(usd|gbp|eur|dollars?|pounds?|sterling|francs?|marks?|roubles?|rubles?|yen|yuan|"
    r"lcu|currency)\b|[$£€])",
    re.IGNORECASE,
)
_CONSTANT = re.compile(r"\b(constant|real|deflated)\b", re.IGNORECASE)
_CURRENT = re.compile(r"\b(current|nominal)\b", re.IGNORECASE)


@dataclass(frozen=True)
class PriceBasis:
    """The price basis of a series and whether a verdict may be drawn from it.

    Attributes
    ----------
    kind : str
        ``"constant"`` (constant prices), ``"non-monetary"`` (personnel, shares),
        ``"current"`` (current prices), ``"unknown money"`` (a currency without a stated
        basis) or ``"unknown"`` (no units over more than ``UNKNOWN_SPAN_YEARS`` calendar
        years); ``"short"`` for a series without units over a few years or without a
        calendar-year index (synthetic data).
    units : str
        The units the frame states (empty when none).
    reason : str
        One sentence: why a verdict is or is not supported.
    """

    kind: str
    units: str
    reason: str

    @property
    def supports_verdict(self) -> bool:
        """True when growth in the series is growth in real terms."""
        return self.kind in ("constant", "non-monetary", "short")


def _calendar_span(index: Any) -> int | None:
    """Years covered when the index holds calendar years (1700-2200), else None."""
    values = np.asarray(index)
    if values.size == 0 or not np.issubdtype(values.dtype, np.number):
        return None
    if not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
        return None
    if values.min() < 1700 or values.max() > 2200:
        return None
    return int(values.max() - values.min())


def price_basis(data: Any) -> PriceBasis:
    """Read the price basis of a spending frame from its ``attrs`` and index.

    Parameters
    ----------
    data : pandas.DataFrame or pandas.Series
        Spending series with a year index; ``attrs["units"]`` and ``attrs["prices"]`` as
        the data loaders write them.

    Returns
    -------
    PriceBasis

    Examples
    --------
    >>> import richardson as rd
    >>> price_basis(rd.data.load("us_ussr")).kind
    'current'
    >>> price_basis(rd.data.load("us_ussr", prices="constant")).supports_verdict
    True
    """
    attrs = getattr(data, "attrs", {}) or {}
    units = str(attrs.get("units") or "")
    prices = attrs.get("prices")
    if prices == "constant" or (units and _CONSTANT.search(units)):
        return PriceBasis("constant", units, f"the series are in constant prices ({units})")
    if prices == "current" or (units and _CURRENT.search(units)):
        return PriceBasis(
            "current",
            units,
            f"the series are in current prices ({units or 'attrs prices = current'}), so "
            "inflation enters the fit as growth and would read as runaway escalation",
        )
    if units and _MONEY.search(units):
        return PriceBasis(
            "unknown money",
            units,
            f"the units {units!r} name a currency but not constant prices, so inflation may "
            "enter the fit as growth and read as runaway escalation",
        )
    if units:
        return PriceBasis("non-monetary", units, f"the series are not money ({units})")
    span = _calendar_span(getattr(data, "index", ()))
    if span is not None and span > UNKNOWN_SPAN_YEARS:
        return PriceBasis(
            "unknown",
            "",
            f"the data state no units over {span} years, so they may be money in current "
            "prices, whose inflation would read as runaway escalation (state "
            "df.attrs['units'], e.g. 'thousand constant 2010 USD' or 'thousand personnel')",
        )
    return PriceBasis("short", "", "no units stated, over a short or non-calendar span")
