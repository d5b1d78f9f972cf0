"""The bundled scenario files: their names, their paths inside the package, loading one."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pandas as pd

from ..errors import ModelFileError, did_you_mean
from ..io.model_files import load_model
from ..model.core import Model

__all__ = ["available", "load", "path"]


def _folder() -> Path:
    """The folder of the scenario files inside the installed package."""
    return Path(str(resources.files(__package__)))


def _names() -> list[str]:
    return sorted(file.stem for file in _folder().glob("*.toml"))


def available() -> pd.DataFrame:
    """List the bundled scenarios, one line each.

    The files are the scenario library of the repository's ``models/`` folder, shipped inside
    the package so that an installed ``richardson`` has them too.

    Returns
    -------
    pandas.DataFrame
        Index ``name`` (what :func:`load` takes); columns ``title`` (the model's name),
        ``actors`` (number of states), ``kind`` (``"ode"`` or ``"map"``) and ``regime`` (the
        regime its parameters were chosen for, checked when the file was generated).

    Examples
    --------
    >>> import richardson as rd
    >>> "nato_warsaw_pact" in rd.scenarios.available().index
    True
    """
    rows = []
    for name in _names():
        table = tomllib.loads((_folder() / f"{name}.toml").read_text(encoding="utf-8"))
        header = table.get("model", {})
        rows.append(
            {
                "name": name,
                "title": header.get("name", ""),
                "actors": len(table.get("actors", [])),
                "kind": header.get("kind", "ode"),
                "regime": header.get("regime", ""),
            }
        )
    return pd.DataFrame(rows).set_index("name")


def path(name: str) -> Path:
    """The file of a bundled scenario, e.g. to copy and edit it.

    Parameters
    ----------
    name : str
        A name of :func:`available`, e.g. ``"nato_warsaw_pact"`` (a trailing ``.toml`` is
        accepted).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ModelFileError
        If no scenario has that name; the message lists those that do.
    """
    if not isinstance(name, str):
        raise ModelFileError(f"a scenario name is a string, got {type(name).__name__}")
    stem = name.removesuffix(".toml")
    names = _names()
    if stem not in names:
        raise ModelFileError(
            f"there is no bundled scenario {name!r}.{did_you_mean(stem, names)} The bundled "
            f"scenarios are {', '.join(names)}; for a file of your own use "
            "rd.load_model(path)"
        )
    return _folder() / f"{stem}.toml"


def load(name: str) -> Model:
    """Load a bundled scenario: the model :func:`richardson.load_model` reads from its file.

    Parameters
    ----------
    name : str
        A name of :func:`available`, e.g. ``"nato_warsaw_pact"``.

    Returns
    -------
    Model
        With the file's actors, parameters (value, bounds, unit, meaning, source), initial
        spending, interventions and metadata.

    Raises
    ------
    ModelFileError
        If no scenario has that name; the message lists those that do.

    Examples
    --------
    >>> import richardson as rd
    >>> rd.scenarios.load("nato_warsaw_pact").n_states
    6
    """
    return load_model(path(name))
