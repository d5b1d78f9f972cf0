"""Vensim and XMILE files in and out: :func:`from_vensim`, :func:`from_xmile`,
:func:`to_vensim`, and :func:`simulate_pysd` to run a model in PySD side by side.

Import parses the file with PySD's own parser (``pysd.translators``; the ``vensim`` extra,
imported lazily) and translates PySD's abstract model into a symbolic :class:`Model`
(:mod:`.vensim_translate`). Safety: PySD's grammar hands matched literals (numbers, quoted
strings, lookup tables and their ranges) to Python's ``eval``; while a file is parsed, that
``eval`` of PySD's element modules is replaced by :func:`_literal`, which accepts only
numbers, strings and tuples/lists of them (``ast.literal_eval`` after a whitelist check of
the syntax tree), so no file text reaches Python evaluation. Files larger than
:data:`MAX_FILE_SIZE` are refused before they are read; XMILE files may not declare a
document type (no entities).
"""

from __future__ import annotations

import ast
import os
import re
import tempfile
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import ModelFileError
from ..model.core import Model
from ._reading import read_text
from .vensim_export import to_vensim
from .vensim_precedence import vensim_precedence
from .vensim_subscripts import MAX_CELLS
from .vensim_translate import translate

__all__ = ["to_vensim", "from_vensim", "from_xmile", "simulate_pysd", "MAX_FILE_SIZE"]

#: Largest model file read (bytes).
MAX_FILE_SIZE = 8 * 1024 * 1024
#: Longest literal PySD may hand to evaluation (characters): a lookup table of ~20000 points.
MAX_LITERAL = 1_000_000
_PYSD_PIN = "pysd>=3.14,<3.15"
_LOCK = threading.Lock()


def _pysd() -> Any:
    try:
        import pysd
        from pysd.translators.vensim import vensim_element
        from pysd.translators.vensim.vensim_file import VensimFile
        from pysd.translators.xmile import xmile_element
        from pysd.translators.xmile.xmile_file import XmileFile
    except ImportError as err:  # pragma: no cover - pysd is in the dev and vensim extras
        raise ImportError(
            "reading Vensim/XMILE files needs PySD; install the 'vensim' extra: "
            "pip install 'richardson[vensim]'"
        ) from err
    version = tuple(int(x) for x in pysd.__version__.split(".")[:2])
    if version != (3, 14):  # pragma: no cover - the extra pins it
        raise ImportError(
            f"richardson reads PySD's abstract model, which is not a stable API; it needs "
            f"{_PYSD_PIN}, found {pysd.__version__}"
        )
    return VensimFile, XmileFile, (vensim_element, xmile_element)


class _Refusal(ValueError):
    """A literal PySD wanted evaluated that is not a plain literal."""


_LITERAL_NODES = (
    ast.Expression,
    ast.Constant,
    ast.UnaryOp,
    ast.USub,
    ast.UAdd,
    ast.Tuple,
    ast.List,
    ast.Load,
)


def _literal(text: Any, *unused: Any) -> Any:
    """Evaluate a literal the way PySD's ``eval`` would, but only numbers, strings and
    tuples/lists of them; anything else raises :class:`_Refusal` (recorded by the caller)."""
    if not isinstance(text, str) or len(text) > MAX_LITERAL or unused:
        raise _Refusal(f"{str(text)[:60]!r} is not a literal")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise _Refusal(f"{text[:60]!r} is not a literal") from err
    for node in ast.walk(tree):
        if not isinstance(node, _LITERAL_NODES):
            raise _Refusal(f"{text[:60]!r} is not a literal ({type(node).__name__})")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str)):
            raise _Refusal(f"{text[:60]!r} is not a number or string")
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            raise _Refusal(f"{text[:60]!r} is not a number")
    return ast.literal_eval(tree)


@contextmanager
def _literals_only(modules: tuple, refusals: list[str]) -> Iterator[None]:
    """While parsing, PySD's element modules see :func:`_literal` as ``eval``."""

    def guarded(text: Any, *args: Any) -> Any:
        try:
            return _literal(text, *args)
        except _Refusal as err:
            refusals.append(str(err))
            raise

    with _LOCK:
        saved = [module.__dict__.get("eval") for module in modules]
        for module in modules:
            module.eval = guarded
        try:
            yield
        finally:
            for module, value in zip(modules, saved, strict=True):
                if value is None:
                    del module.eval
                else:  # pragma: no cover - PySD defines no eval of its own
                    module.eval = value


def _checked_path(path: str | os.PathLike, suffixes: tuple[str, ...], what: str) -> Path:
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise ModelFileError(
            f"'{path}' is not a {what} file (expected {' or '.join(suffixes)}); "
            "rename it or use the matching reader"
        )
    # a regular file of at most MAX_FILE_SIZE bytes, whatever st_size says (FIFOs, devices
    # and /proc files are refused without blocking), before PySD opens it
    text = read_text(path, MAX_FILE_SIZE, f"{what} file")
    _refuse_huge_ranges(text, path)
    return path


#: A numbered subscript range ``(b1-b10000)``: prefix, first number, prefix, last number.
_NUMBERED_RANGE = re.compile(
    r"\(\s*([A-Za-z_][\w ]{0,80}?)(\d{1,15})\s*-\s*([A-Za-z_][\w ]{0,80}?)(\d{1,15})\s*\)"
)


def _refuse_huge_ranges(text: str, path: Path) -> None:
    """Refuse a numbered subscript range of more than ``MAX_CELLS`` elements before PySD
    expands it (``(b1-b10000000)`` took PySD minutes and gigabytes)."""
    for match in _NUMBERED_RANGE.finditer(text):
        size = int(match.group(4)) - int(match.group(2)) + 1
        if size > MAX_CELLS:
            raise ModelFileError(
                f"'{path.name}': the subscript range {match.group(0)[:60]!r} has {size} "
                f"elements; this importer flattens subscripts into scalars and takes at most "
                f"{MAX_CELLS}."
            )


def _read(path: Path, kind: str) -> Model:
    vensim_file, xmile_file, modules = _pysd()
    if kind == "xmile":
        head = path.read_bytes()
        if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
            raise ModelFileError(
                f"'{path.name}': XMILE file declares a document type or entities, which are "
                "not read (they can pull in other files); remove the <!DOCTYPE> declaration"
            )
    refusals: list[str] = []
    # PySD warns about encodings, constraints and test inputs it ignores: not the user's concern
    with (
        warnings.catch_warnings(record=True),
        _literals_only(modules, refusals),
        vensim_precedence(modules),
    ):
        warnings.simplefilter("always")
        try:
            parsed = (xmile_file if kind == "xmile" else vensim_file)(path)
            parsed.parse()
            abstract = parsed.get_abstract_model()
        except Exception as err:  # noqa: BLE001 - PySD raises many kinds; we name the file
            if refusals:
                raise ModelFileError(
                    f"'{path.name}': refused to evaluate {refusals[0]} (PySD hands literals "
                    "to Python evaluation; only numbers and strings are accepted)"
                ) from None
            reason = str(err).strip().splitlines()
            detail = reason[0][:200] if reason else type(err).__name__
            raise ModelFileError(
                f"'{path.name}': PySD could not parse the {kind} file ({type(err).__name__}: "
                f"{detail}); check the equation it names"
            ) from None
    return translate(abstract, path, kind)


def from_vensim(path: str | os.PathLike) -> Model:
    """Read a Vensim ``.mdl`` file into a symbolic :class:`Model`.

    The file is parsed by PySD and translated node by node: stocks become states (initial
    values at INITIAL TIME), constants parameters (unit and comment kept), auxiliaries are
    substituted into the right-hand sides and kept as :attr:`Model.observables`, lookups
    become piecewise-linear functions, delays and smooths stage states, STEP/PULSE/RAMP with
    constant times interventions. Subscripted variables become one scalar per element,
    displayed as ``Stock[a,b]``. INITIAL TIME, FINAL TIME, TIME STEP and SAVEPER are kept in
    ``metadata["vensim"]`` (used by ``rd.simulate(..., method="euler")``).

    Parameters
    ----------
    path : str or path-like
        The ``.mdl`` file (at most :data:`MAX_FILE_SIZE` bytes).

    Returns
    -------
    Model

    Raises
    ------
    ModelFileError
        For a file PySD cannot parse, a literal that is not a number or string, and for the
        constructs that are not ordinary differential equations or need external files
        (DELAY FIXED, SAMPLE IF TRUE, DELAY N with a time-varying delay, data variables, GET
        XLS/DIRECT, dynamic INITIAL/FINAL TIME, ALLOCATE, a model without stocks), naming the
        variable and the construct.
    ImportError
        If PySD (the ``vensim`` extra) is missing.

    Examples
    --------
    >>> import richardson as rd
    >>> model = rd.from_vensim("teacup.mdl")  # doctest: +SKIP
    >>> rd.simulate(model, (0, 30), method="euler").to_dataframe()  # doctest: +SKIP
    """
    return _read(_checked_path(path, (".mdl",), "Vensim"), "vensim")


def from_xmile(path: str | os.PathLike) -> Model:
    """Read an XMILE file (``.xmile``, ``.xml``, Stella's ``.stmx``) into a :class:`Model`.

    The same translation as :func:`from_vensim`, over PySD's XMILE parser.

    Parameters
    ----------
    path : str or path-like
        The XMILE file (at most :data:`MAX_FILE_SIZE` bytes, no document type declaration).

    Returns
    -------
    Model

    Raises
    ------
    ModelFileError
        As :func:`from_vensim`.
    """
    return _read(_checked_path(path, (".xmile", ".xml", ".stmx"), "XMILE"), "xmile")


def simulate_pysd(
    model: Model,
    t_span: tuple[float, float],
    y0: Any = None,
    time_step: float = 1 / 64,
    saveper: float | None = None,
):  # noqa: ANN201
    """Export ``model`` to a temporary ``.mdl`` and run it in PySD (Euler, ``time_step``).

    Parameters
    ----------
    model : Model
        An ODE model; its interventions become STEP/PULSE/RAMP.
    t_span : pair of float
        Start and end time (model time unit).
    y0 : sequence or mapping, optional
        Initial state; the model's ``initial`` values by default.
    time_step : float
        PySD's Euler step (model time unit).
    saveper : float, optional
        Output interval; ``time_step`` by default.

    Returns
    -------
    pandas.DataFrame
        Time index, one column per state.

    Raises
    ------
    ImportError
        If PySD is not installed (``pip install richardson[vensim]``).
    """
    try:
        import pysd
    except ImportError as err:  # pragma: no cover - pysd is in the dev extra
        raise ImportError(
            "simulate_pysd needs PySD; install the 'vensim' extra: pip install 'richardson[vensim]'"
        ) from err
    with tempfile.TemporaryDirectory(prefix="richardson-pysd-") as folder:
        mdl = to_vensim(model, Path(folder) / "model.mdl", t_span, time_step, y0, saveper)
        translated = pysd.read_vensim(str(mdl))
        result = translated.run(return_columns=list(model.states), progress=False)
    return result
