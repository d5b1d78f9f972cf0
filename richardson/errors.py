"""Exception and warning classes of ``richardson``.

Every error a user can meet derives from :class:`RichardsonError` and from the
matching built-in exception, so ``except ValueError`` keeps working. Messages say
what was wrong, where, and what to do about it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

__all__ = [
    "RichardsonError",
    "ModelError",
    "UnknownSymbolError",
    "DimensionMismatchError",
    "DuplicateNameError",
    "InvalidParameterError",
    "ModelFileError",
    "SimulationError",
    "FitError",
    "DataError",
    "ContinuationError",
    "RichardsonWarning",
    "did_you_mean",
    "punctuated",
]

#: A suggestion from :func:`did_you_mean` after text that does not end a sentence.
_UNENDED_SUGGESTION = re.compile(r"(?<=[^\s.?!:;])(?= Did you mean )")
#: Punctuation right after a suggestion's question mark (``"'k'?."``, ``"'k'?;"``).
_AFTER_SUGGESTION = re.compile(r"(Did you mean (?:'[^']*'|\"[^\"]*\")\?)[.;,]")


def punctuated(message: str) -> str:
    """Return ``message`` as punctuated sentences.

    A did-you-mean suggestion becomes a sentence of its own (``"... of this model. Did you
    mean 'k'?"``), and the message ends with a full stop unless it already ends with ``.``,
    ``?`` or ``!``.

    Parameters
    ----------
    message : str
        An error message as a caller wrote it.

    Returns
    -------
    str

    Examples
    --------
    >>> punctuated("'kk' is not a parameter Did you mean 'k'?")
    "'kk' is not a parameter. Did you mean 'k'?"
    >>> punctuated("no column 'yr' Did you mean 'year'?; pass year='...'")
    "no column 'yr'. Did you mean 'year'? pass year='...'."
    """
    text = _UNENDED_SUGGESTION.sub(".", message.rstrip())
    text = _AFTER_SUGGESTION.sub(r"\1", text)
    if text and not text.endswith((".", "?", "!")):
        text += "."
    return text


class RichardsonError(Exception):
    """Base class of every error raised by ``richardson``.

    A message given as the first argument is stored as punctuated sentences
    (:func:`punctuated`), so every error reads as sentences whoever raised it.
    """

    def __init__(self, *args: object) -> None:
        if args and isinstance(args[0], str):
            args = (punctuated(args[0]), *args[1:])
        super().__init__(*args)


class ModelError(RichardsonError, ValueError):
    """A model is inconsistent: fix its definition."""


class UnknownSymbolError(ModelError, KeyError):
    """A name is neither a state nor a parameter of the model."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DimensionMismatchError(ModelError):
    """Counts or shapes do not agree (states vs right-hand sides, vectors vs actors)."""


class DuplicateNameError(ModelError):
    """The same name is declared twice."""


class InvalidParameterError(ModelError):
    """A parameter value or bound is not usable (non-finite, outside its bounds)."""


class ModelFileError(RichardsonError, ValueError):
    """A model file is broken or hostile; the message names file, line and construct."""


class SimulationError(RichardsonError, RuntimeError):
    """Bad simulation input (initial state, time span, intervention)."""


class FitError(RichardsonError, RuntimeError):
    """A fit cannot be set up or carried out."""


class DataError(RichardsonError, ValueError):
    """A data series is unusable as given (missing values, gaps, unit breaks)."""


class ContinuationError(RichardsonError, ValueError):
    """Bad input to a continuation (parameter interval, start point, step sizes)."""


class RichardsonWarning(UserWarning):
    """Something the user should know about (a unit break, a fit at a bound)."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ``" Did you mean 'k'?"`` for the closest candidate, or ``""``.

    Parameters
    ----------
    name : str
        The unknown name the user wrote.
    candidates : iterable of str
        The names that exist.
    """
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" Did you mean {matches[0]!r}?" if matches else ""
