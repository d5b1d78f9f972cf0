"""Model files: read and write models as TOML (data, never code).

A model file holds actors, blocs, parameters (value, bounds, unit, description, source),
equations as text, initial values, interventions and provenance::

    # what the scenario represents, where each value comes from, its regime
    format_version = 1

    [model]
    name = "Classic Richardson two-nation arms race"
    kind = "ode"
    time_unit = "year"
    regime = "stable_balance"

    [[actors]]
    state = "x"
    name = "Nation X"
    initial = 1.0

    [blocs]
    West = ["x"]

    [parameters.k]
    value = 0.9
    bounds = [0.0, inf]
    unit = "1/year"
    description = "reaction of X to Y"
    source = "illustrative"

    [equations]
    x = "k*y - a*x + g"

    [[interventions]]
    type = "step"
    param = "k"
    at = 10.0
    to = 0.5

    [metadata]
    sources = ["Richardson (1960)"]

Equations are parsed by :func:`richardson.model.expressions.parse_expression` (Python's ``ast``
against a whitelist); file text is never evaluated. Every problem raises
:class:`~richardson.errors.ModelFileError` naming the file, the line and the construct.
"""

from __future__ import annotations

import datetime
import json
import keyword
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from ..errors import ModelError, ModelFileError, did_you_mean
from ..model._names import describe_characters, nfkc, normalisation_collisions
from ..model.core import Model, Parameter
from ..model.expressions import ExpressionParser, format_expression
from ..model.interventions import Pulse, Ramp, Step
from ._reading import read_text

__all__ = ["load_model", "save_model", "loads_model", "dumps_model", "FORMAT_VERSION"]

FORMAT_VERSION = 1
#: Largest model file read (bytes).
MAX_FILE_SIZE = 64 * 1024 * 1024

_TOP = {
    "format_version",
    "model",
    "actors",
    "blocs",
    "parameters",
    "equations",
    "interventions",
    "metadata",
}
_MODEL_KEYS = {"name", "description", "kind", "time_unit", "state_unit", "regime"}
_ACTOR_KEYS = {"state", "name", "initial"}
_PARAM_KEYS = {"value", "bounds", "unit", "description", "source"}
_INTERVENTIONS = {"step": Step, "pulse": Pulse, "ramp": Ramp}
_INTERVENTION_NAMES = {cls: name for name, cls in _INTERVENTIONS.items()}


# ---------------------------------------------------------------------- reading
def load_model(path: str | os.PathLike) -> Model:
    """Read a model file (TOML) safely.

    Parameters
    ----------
    path : str or path-like
        The ``.toml`` file.

    Returns
    -------
    Model

    Raises
    ------
    ModelFileError
        If the file is missing, unreadable, not TOML, or holds anything outside the format
        (unknown keys, wrong types, undeclared names, disallowed expression constructs); the
        message names the file, the line and the construct.

    Examples
    --------
    >>> import richardson as rd
    >>> m = rd.load_model("models/classic_two_nation.toml")  # doctest: +SKIP
    """
    path = Path(path)
    return loads_model(read_text(path, MAX_FILE_SIZE, "model file"), source=str(path))


def loads_model(text: str, source: str = "<string>") -> Model:
    """Read a model from TOML text (see :func:`load_model`); ``source`` names it in errors."""
    reader = _Reader(text, source)
    return reader.model()


class _Reader:
    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.text = text
        try:
            self.data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise ModelFileError(f"'{source}' is not valid TOML: {_sentence(str(err))}") from None
        except (RecursionError, MemoryError):
            raise ModelFileError(f"'{source}' is nested too deeply to read.") from None
        self._index: _LineIndex | None = None

    # -- locating lines
    def line(self, table: str, key: str | None = None, index: int = 0) -> int | None:
        """Line number of ``key`` in the ``index``-th ``[table]`` (or of the table header)."""
        if self._index is None:  # one pass over the file, built on first use
            self._index = _LineIndex(self.text)
        return self._index.find(table, key, index)

    def fail(
        self, what: str, table: str = "", key: str | None = None, index: int = 0
    ) -> ModelFileError:
        number = self.line(table, key, index) if table else None
        where = f"'{self.source}'" + (f", line {number}" if number else "")
        return ModelFileError(f"{where}: {_sentence(what)}")

    # -- typed access
    def table(self, value: Any, what: str, table: str = "") -> dict:
        if not isinstance(value, dict):
            raise self.fail(f"{what} must be a table, not {_type(value)}", table)
        return value

    def string(self, value: Any, what: str, table: str, key: str, index: int = 0) -> str:
        if not isinstance(value, str):
            raise self.fail(f"{what} must be a string, not {_type(value)}", table, key, index)
        return value

    def number(self, value: Any, what: str, table: str, key: str, index: int = 0) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"{what} must be a number, not {_type(value)}", table, key, index)
        try:
            value = float(value)
        except OverflowError:
            raise self.fail(
                f"{what} is an integer with {len(str(value))} digits, which does not fit a "
                "double (largest about 1.8e308)",
                table,
                key,
                index,
            ) from None
        if math.isnan(value):
            raise self.fail(f"{what} is nan; give a number", table, key, index)
        return value

    def check_keys(
        self, mapping: dict, allowed: set, what: str, table: str, index: int = 0
    ) -> None:
        unknown = [k for k in mapping if k not in allowed]
        if unknown:
            raise self.fail(
                f"unknown key {unknown[0]!r} in {what}{did_you_mean(unknown[0], allowed)};"
                f" allowed are {sorted(allowed)}",
                table,
                unknown[0],
                index,
            )

    # -- the model
    def model(self) -> Model:
        data = self.data
        self.check_keys(data, _TOP, "the model file", "")
        version = data.get("format_version", FORMAT_VERSION)
        if version != FORMAT_VERSION or isinstance(version, bool):
            raise self.fail(
                f"format_version {version!r} is not supported (this version reads "
                f"{FORMAT_VERSION})",
                "",
                "format_version",
            )
        info = self.table(data.get("model", {}), "[model]", "model")
        self.check_keys(info, _MODEL_KEYS, "[model]", "model")
        texts = {k: self.string(info[k], f"[model] {k}", "model", k) for k in info}
        kind = texts.get("kind", "ode")
        if kind not in ("ode", "map"):
            raise self.fail(f"[model] kind must be 'ode' or 'map', not {kind!r}", "model", "kind")
        states, actors, initial = self.actors(data.get("actors"))
        params = self.parameters(data.get("parameters", {}))
        rhs = self.equations(data.get("equations"), states, params)
        blocs = self.blocs(data.get("blocs", {}))
        interventions = self.interventions(data.get("interventions", []))
        metadata = self.table(data.get("metadata", {}), "[metadata]", "metadata")
        metadata = dict(metadata)
        if "regime" in texts:
            metadata["regime"] = texts["regime"]
        try:
            return Model(
                states=states,
                params=params,
                rhs=rhs,
                kind=kind,
                actors=actors,
                blocs=blocs,
                name=texts.get("name", ""),
                description=texts.get("description", ""),
                state_unit=texts.get("state_unit", ""),
                time_unit=texts.get("time_unit", "year"),
                initial=initial,
                interventions=interventions,
                metadata=metadata,
            )
        except ModelError as err:
            raise ModelFileError(f"'{self.source}': {_sentence(str(err))}") from err

    def actors(self, value: Any) -> tuple[list[str], list[str], dict[str, float]]:
        if value is None:
            raise self.fail("no [[actors]]; declare one [[actors]] table per state")
        if not isinstance(value, list) or not value:
            raise self.fail("actors must be a non-empty array of tables [[actors]]", "actors")
        states, names, initial, seen = [], [], {}, set()
        for index, entry in enumerate(value):
            if not isinstance(entry, dict):
                raise self.fail(
                    f"actors entry {index + 1} must be a table, not {_type(entry)}",
                    "actors",
                    None,
                    index,
                )
            self.check_keys(entry, _ACTOR_KEYS, f"actors entry {index + 1}", "actors", index)
            if "state" not in entry:
                raise self.fail(
                    f"actors entry {index + 1} has no 'state' name", "actors", None, index
                )
            state = self.string(entry["state"], "actor state", "actors", "state", index)
            _identifier(state, "state", self, "actors", index)
            if state in seen:
                raise self.fail(
                    f"state {state!r} is declared twice; names must be unique",
                    "actors",
                    "state",
                    index,
                )
            seen.add(state)
            states.append(state)
            names.append(
                self.string(entry.get("name", state), "actor name", "actors", "name", index)
            )
            if "initial" in entry:
                initial[state] = self.number(
                    entry["initial"], f"initial value of {state!r}", "actors", "initial", index
                )
        return states, names, initial

    def parameters(self, value: Any) -> dict[str, Parameter]:
        value = self.table(value, "[parameters]", "parameters")
        params = {}
        for name, spec in value.items():
            table = f"parameters.{name}"
            _identifier(name, "parameter", self, table)
            if not isinstance(spec, dict):
                raise self.fail(
                    f"parameter {name!r} must be a table with 'value' (and optional "
                    f"bounds, unit, description, source), not {_type(spec)}",
                    table,
                )
            self.check_keys(spec, _PARAM_KEYS, f"parameter {name!r}", table)
            if "value" not in spec:
                raise self.fail(f"parameter {name!r} has no 'value'", table)
            number = self.number(spec["value"], f"value of {name!r}", table, "value")
            bounds = spec.get("bounds", [-math.inf, math.inf])
            if not isinstance(bounds, list) or len(bounds) != 2:
                raise self.fail(f"bounds of {name!r} must be [lower, upper]", table, "bounds")
            bounds = tuple(self.number(b, f"bound of {name!r}", table, "bounds") for b in bounds)
            texts = {
                k: self.string(spec.get(k, ""), f"{k} of {name!r}", table, k)
                for k in ("unit", "description", "source")
            }
            try:
                params[name] = Parameter(name, number, bounds, **texts)
            except ModelError as err:
                raise self.fail(str(err), table, "value") from err
        return params

    def equations(self, value: Any, states: list[str], params: dict) -> list:
        if value is None:
            raise self.fail("no [equations] table; give one equation per state")
        value = self.table(value, "[equations]", "equations")
        missing = [s for s in states if s not in value]
        if missing:
            raise self.fail(f"no equation for state(s) {missing[:10]}", "equations")
        declared = set(states)
        extra = [s for s in value if s not in declared]
        if extra:
            raise self.fail(
                f"equation for {extra[0]!r}, which is not a state.{did_you_mean(extra[0], states)}",
                "equations",
                extra[0],
            )
        both = sorted(declared & set(params))
        if both:
            raise self.fail(
                f"{both[0]!r} is declared both as a state and as a parameter; rename one of them",
                f"parameters.{both[0]}",
            )
        names = declared | set(params) | {"t"}
        same = normalisation_collisions(names)
        if same:
            raise self.fail(
                f"names {same[0]!r} and {same[1]!r} are different text but Python reads both "
                f"as {nfkc(same[1])!r} (NFKC normalisation); rename one of them"
            )
        parser = ExpressionParser(names)
        rhs = []
        for state in states:
            text = self.string(value[state], f"equation for {state!r}", "equations", state)
            number = self.line("equations", state)
            where = (
                f"'{self.source}'"
                + (f", line {number}" if number else "")
                + f", equation for {state!r}"
            )
            rhs.append(parser.parse(text, where))
        return rhs

    def blocs(self, value: Any) -> dict[str, list[str]]:
        value = self.table(value, "[blocs]", "blocs")
        out = {}
        for bloc, members in value.items():
            if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
                raise self.fail(f"bloc {bloc!r} must be a list of state names", "blocs", bloc)
            out[bloc] = members
        return out

    def interventions(self, value: Any) -> list:
        if not isinstance(value, list):
            raise self.fail(
                "interventions must be an array of tables [[interventions]]", "interventions"
            )
        out = []
        for index, entry in enumerate(value):
            if not isinstance(entry, dict):
                raise self.fail(
                    f"intervention {index + 1} must be a table", "interventions", None, index
                )
            kind = entry.get("type")
            if kind not in _INTERVENTIONS:
                raise self.fail(
                    f"intervention {index + 1} has type {kind!r}; use 'step', 'pulse' or 'ramp'",
                    "interventions",
                    "type",
                    index,
                )
            cls = _INTERVENTIONS[kind]
            names = [f.name for f in fields(cls)]
            self.check_keys(entry, {"type", *names}, f"{kind} intervention", "interventions", index)
            missing = [n for n in names if n not in entry]
            if missing:
                raise self.fail(
                    f"{kind} intervention {index + 1} lacks {missing}", "interventions", None, index
                )
            args = {
                "param": self.string(
                    entry["param"], "intervention param", "interventions", "param", index
                )
            }
            for name in names[1:]:
                args[name] = self.number(
                    entry[name], f"{kind} '{name}'", "interventions", name, index
                )
            try:
                out.append(cls(**args))
            except (ValueError, RuntimeError) as err:
                raise self.fail(str(err), "interventions", None, index) from err
        return out


def _identifier(name: str, what: str, reader: _Reader, table: str, index: int = 0) -> None:
    if not name.isidentifier() or name.startswith("__") or len(name) > 200:
        raise reader.fail(
            f"{what} name {name!r} is not a valid identifier (letters, digits, "
            "underscores; no leading double underscore; at most 200 characters)",
            table,
            None,
            index,
        )
    if keyword.iskeyword(name):
        raise reader.fail(
            f"{what} name {name!r} is a Python keyword, which an equation cannot use as a "
            "name; rename it (display names go in the actor's 'name')",
            table,
            None,
            index,
        )
    if nfkc(name) != name:
        raise reader.fail(
            f"{what} name {name!r} is read by Python as {nfkc(name)!r} (NFKC normalisation "
            f"of {describe_characters(name)}); write it as {nfkc(name)!r}",
            table,
            None,
            index,
        )


class _LineIndex:
    """Where each table header and key sits, found in one pass over the text (no regex)."""

    def __init__(self, text: str) -> None:
        self.tables: dict[tuple[str, int], int] = {}
        self.keys: dict[tuple[str, int, str], int] = {}
        counts: dict[str, int] = {}
        current, occurrence = "", 0
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if not stripped or stripped[0] == "#":
                continue
            if stripped[0] == "[":
                array = stripped.startswith("[[")
                close = stripped.find("]]" if array else "]")
                if close < 0:
                    continue
                name = stripped[2 if array else 1 : close]
                current = name.replace('"', "").replace("'", "").replace(" ", "")
                occurrence = counts.get(current, 0)
                counts[current] = occurrence + 1
                self.tables.setdefault((current, occurrence), number)
                continue
            key, equals, _ = stripped.partition("=")
            if equals:
                key = key.strip().strip('"').strip("'")
                self.keys.setdefault((current, occurrence, key), number)

    def find(self, table: str, key: str | None, index: int) -> int | None:
        if key is not None:
            found = self.keys.get((table, index, key))
            if found is not None:
                return found
        found = self.tables.get((table, index))
        if found is None and "." in table:  # an inline table: [parameters] k = {...}
            parent, _, child = table.rpartition(".")
            found = self.keys.get((parent, index, child))
        return found


def _sentence(text: str) -> str:
    text = text.rstrip()
    return text if text.endswith((".", "?", "!", ")")) else text + "."


def _type(value: Any) -> str:
    return {dict: "a table", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


# ---------------------------------------------------------------------- writing
def save_model(model: Model, path: str | os.PathLike, header: str | None = None) -> Path:
    """Write ``model`` to a TOML model file that :func:`load_model` reads back exactly.

    Parameters
    ----------
    model : Model
        The model (equations are written as text; parameters with value, bounds, unit,
        description and source; actors, blocs, initial values, interventions, metadata).
    path : str or path-like
        Target file (``.toml``).
    header : str, optional
        Comment written at the top (what the scenario represents, where its values come
        from, its regime); by default the model's name and description.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ModelFileError
        If the model holds something the format cannot store (an expression outside the
        whitelist, a metadata value that is not text, number, boolean, list or table).
    """
    path = Path(path)
    path.write_text(dumps_model(model, header), encoding="utf-8")
    return path


def dumps_model(model: Model, header: str | None = None) -> str:
    """TOML text of ``model`` (see :func:`save_model`)."""
    if model.observables:
        raise ModelFileError(
            f"model {model.name!r} has observables ({len(model.observables)}), which the TOML "
            "format does not hold; save it with richardson.to_vensim, or drop them with "
            "dataclasses.replace(model, observables={})"
        )
    if header is None:
        header = "\n".join(filter(None, [model.name, model.description]))
    out = [f"# {_comment_text(line)}".rstrip() for line in header.splitlines()]
    if out:
        out.append("")
    out.append(f"format_version = {FORMAT_VERSION}")
    out += ["", "[model]"]
    meta = dict(model.metadata)
    regime = meta.pop("regime") if isinstance(meta.get("regime"), str) else None
    for key, value in (
        ("name", model.name),
        ("description", model.description),
        ("kind", model.kind),
        ("time_unit", model.time_unit),
        ("state_unit", model.state_unit),
    ):
        out.append(f"{key} = {_string(value)}")
    if regime is not None:
        out.append(f"regime = {_string(regime)}")
    for state, actor in zip(model.states, model.actors, strict=True):
        out += ["", "[[actors]]", f"state = {_string(state)}", f"name = {_string(actor)}"]
        if state in model.initial:
            out.append(f"initial = {_float(model.initial[state])}")
    if model.blocs:
        out += ["", "[blocs]"]
        for bloc, members in model.blocs.items():
            out.append(f"{_key(bloc)} = {_value(list(members), 'bloc')}")
    for name, p in model.params.items():
        out += [
            "",
            f"[parameters.{_key(name)}]",
            f"value = {_float(p.value)}",
            f"bounds = [{_float(p.bounds[0])}, {_float(p.bounds[1])}]",
        ]
        for key in ("unit", "description", "source"):
            if getattr(p, key):
                out.append(f"{key} = {_string(getattr(p, key))}")
    out += ["", "[equations]"]
    for state, expr in zip(model.states, model.rhs, strict=True):
        out.append(f"{_key(state)} = {_string(format_expression(expr))}")
    for intervention in model.interventions:
        kind = _INTERVENTION_NAMES.get(type(intervention))
        if kind is None:
            raise ModelFileError(
                f"cannot write intervention {intervention!r}; only step, pulse and ramp"
            )
        out += ["", "[[interventions]]", f"type = {_string(kind)}"]
        for f in fields(intervention):
            value = getattr(intervention, f.name)
            out.append(f"{f.name} = {_string(value) if f.name == 'param' else _float(value)}")
    if meta:
        out += ["", "[metadata]"]
        for key, value in meta.items():
            out.append(f"{_key(key)} = {_value(value, key)}")
    return "\n".join(out) + "\n"


def _comment_text(line: str) -> str:
    """A header line with the control characters TOML comments cannot hold spelled out."""
    return re.sub(r"[\x00-\x08\x0a-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", line)


def _string(text: str) -> str:
    return json.dumps(str(text), ensure_ascii=False).replace("\x7f", "\\u007f")


def _key(key: Any) -> str:
    key = str(key)
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _string(key)


def _float(value: float) -> str:
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)


def _value(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v, where) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_key(k)} = {_value(v, where)}" for k, v in value.items()) + "}"
    if isinstance(value, (datetime.date, datetime.time)):  # datetime is a date
        return value.isoformat()
    raise ModelFileError(
        f"metadata {where!r} holds {type(value).__name__}, which a model file "
        "cannot store; use text, numbers, booleans, dates, lists or tables."
    )
