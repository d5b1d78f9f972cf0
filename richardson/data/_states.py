"""COW states by code or by name: ``"Greece"``, ``"greece"`` and ``"GRC"`` are the same state."""

from __future__ import annotations

import difflib
from functools import cache
from importlib import resources

import pandas as pd

from ..errors import DataError

__all__ = ["state_code", "state_names"]


@cache
def state_names() -> pd.DataFrame:
    """COW's state list: index ``stateabb``, columns ``ccode`` and ``statenme``."""
    with resources.files(__package__).joinpath("cow_states.csv").open(encoding="utf-8") as f:
        return pd.read_csv(f, comment="#").set_index("stateabb")


#: Other names in common use for COW states (COW's code RUS covers the Soviet Union).
ALIASES = {
    "soviet union": "RUS",
    "ussr": "RUS",
    "uk": "UKG",
    "britain": "UKG",
    "great britain": "UKG",
    "west germany": "GFR",
    "east germany": "GDR",
    "turkiye": "TUR",
    "türkiye": "TUR",
}


def _key(text: str) -> str:
    return " ".join(text.casefold().replace("&", "and").split())


def state_code(state: str) -> str:
    """The COW abbreviation (``stateabb``) of a state given by code or name, any case.

    Parameters
    ----------
    state : str
        A COW abbreviation (``"GRC"``, ``"grc"``) or COW's name of the state (``"Greece"``,
        ``"united states of america"``); a name that begins only one COW name
        (``"United States"``) is that state, and a few other names in common use are known
        (``"Soviet Union"`` is RUS, ``"West Germany"`` GFR: :data:`ALIASES`).

    Returns
    -------
    str

    Raises
    ------
    DataError
        If no state matches, or a beginning matches several; the message lists the closest
        names with their codes.
    """
    table = state_names()
    if not isinstance(state, str) or not state.strip():
        raise DataError(f"a state is a COW code or name such as 'GRC' or 'Greece', not {state!r}")
    if state.strip().upper() in table.index:
        return state.strip().upper()
    by_name = {_key(name): code for code, name in table["statenme"].items()} | ALIASES
    key = _key(state)
    if key in by_name:
        return by_name[key]
    starting = sorted({code for name, code in by_name.items() if name.startswith(key + " ")})
    if len(starting) == 1:
        return starting[0]
    close = starting or [by_name[name] for name in difflib.get_close_matches(key, by_name, 4)]
    close = list(dict.fromkeys(close))
    hint = (
        " Did you mean " + ", ".join(f"{table.at[c, 'statenme']!r} ({c})" for c in close) + "?"
        if close
        else ""
    )
    raise DataError(
        f"COW has no state {state!r} (neither a code nor a name).{hint} "
        "rd.data.state_names() lists every state with its code."
    )
