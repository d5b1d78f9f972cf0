"""Command line: ``richardson VERB ...`` (``richardson --help`` lists the verbs).

Exit codes: 0 success; 2 a user error (bad flags or numbers, a broken model file, unusable
data, a file that cannot be read); 1 a run that gave no usable result (non-finite output, a
failed solver or fit) or an internal error. Every error is one line on stderr;
``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from ..errors import ModelFileError, RichardsonError, RichardsonWarning

__all__ = ["main", "build_parser", "console", "EXIT_USER_ERROR", "EXIT_NO_RESULT"]

#: Exit code of a user error: bad usage, model file, data or input.
EXIT_USER_ERROR = 2
#: Exit code of a run without a usable result (non-finite output, failed solver or fit).
EXIT_NO_RESULT = 1
#: Most grid points a sweep evaluates (a typo in COUNT must not allocate for hours).
MAX_GRID_POINTS = 1_000_000


class UsageError(Exception):
    """Bad command-line usage (exit code 2)."""


class NoResultError(Exception):
    """The run finished without a usable result (exit code 1)."""


class _Parser(argparse.ArgumentParser):
    """argparse with its errors as one line (``richardson: usage error: ...``), exit code 2."""

    def error(self, message: str) -> NoReturn:
        print(
            f"richardson: usage error: {message}; see '{self.prog} --help'.",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_USER_ERROR)


def _number(text: str) -> float:
    """A finite float from a flag; argparse reports the flag when this raises."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


_number.__name__ = "finite number"


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


_count.__name__ = "whole number >= 0"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _load(path: str):  # noqa: ANN202
    """A model file, or a bundled scenario by name (``nato_warsaw_pact``) when no such file
    exists and the argument is not a path."""
    from ..io.model_files import load_model
    from ..scenarios import load

    if not Path(path).exists() and Path(path).name == path and not path.endswith(".toml"):
        return load(path)  # an unknown name: the message lists the bundled scenarios
    return load_model(path)


def _parse_params(items: Sequence[str]) -> dict[str, float]:
    values = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise UsageError(f"--set expects NAME=VALUE with VALUE a number, got {item!r}")
        if not math.isfinite(number):
            raise UsageError(f"--set {item!r}: the value must be a finite number")
        values[name.strip()] = number
    return values


def _parse_start(text: str | None, states: Sequence[str]) -> dict[str, float] | None:
    """``"10,12"`` (one value per state, in order) -> ``{state: value}``; None when absent."""
    if text is None:
        return None
    parts = text.split(",")
    try:
        values = [float(part) for part in parts]
    except ValueError:
        values = []
    if len(values) != len(states) or not all(math.isfinite(v) for v in values):
        raise UsageError(
            f"--y0 expects {len(states)} comma-separated numbers, one per state "
            f"({', '.join(states)}), got {text!r}"
        )
    return dict(zip(states, values, strict=True))


def _parse_grid(items: Sequence[str]) -> dict[str, object]:
    grid = {}
    for item in items:
        name, sep, spec = item.partition("=")
        parts = spec.split(":")
        if not sep or len(parts) != 3:
            raise UsageError(
                f"--param expects NAME=START:STOP:COUNT (e.g. k=0:2:200), got {item!r}"
            )
        try:
            start, stop, count = float(parts[0]), float(parts[1]), int(parts[2])
        except ValueError as err:
            raise UsageError(
                f"--param {item!r}: START and STOP must be numbers, COUNT a whole number"
            ) from err
        if not (math.isfinite(start) and math.isfinite(stop)):
            raise UsageError(f"--param {item!r}: START and STOP must be finite numbers")
        if count < 2:
            raise UsageError(f"--param {item!r}: COUNT must be at least 2")
        if not name.strip():
            raise UsageError(f"--param {item!r}: NAME is empty")
        if name.strip() in grid:
            raise UsageError(f"--param names {name.strip()!r} twice; give each axis once")
        points = math.prod(len(axis) for axis in grid.values()) * count
        if points > MAX_GRID_POINTS:
            raise UsageError(
                f"--param {item!r}: the grid would have {points} points, more than "
                f"{MAX_GRID_POINTS}; use fewer points per axis"
            )
        grid[name.strip()] = np.linspace(start, stop, count)
    if not grid:
        raise UsageError("give at least one --param NAME=START:STOP:COUNT")
    return grid


def _span_from_file(model: Any, path: str) -> Mapping[str, Any]:
    """The model file's ``[metadata.simulation]`` table (t0, t1), checked."""
    span = model.metadata.get("simulation", {})
    if not isinstance(span, Mapping):
        raise ModelFileError(
            f"{path}: metadata 'simulation' must be a table with t0 and t1, not "
            f"{span!r}; fix the file or pass --t0 and --t1"
        )
    checked = {}
    for key in ("t0", "t1"):
        if key in span:
            value = span[key]
            number = None
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                number = float(value)
            if number is None or not math.isfinite(number):
                raise ModelFileError(
                    f"{path}: metadata simulation.{key} is {value!r}, not a finite number; "
                    f"fix the file or pass --{key}"
                )
            checked[key] = number
    return checked


def _save(ax, path: str) -> None:  # noqa: ANN001
    """Save the figure of ``ax`` as ``path`` (folders created) and say so."""
    target = Path(path)
    formats = ax.figure.canvas.get_supported_filetypes()
    if target.suffix.lower().lstrip(".") not in formats:
        raise UsageError(
            f"cannot write a figure as {path!r}: give a file name ending in one of "
            + ", ".join(f".{name}" for name in sorted(formats))
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    ax.figure.savefig(target, dpi=150, bbox_inches="tight")
    print(f"wrote {path}")


# ---------------------------------------------------------------------- verbs
def _simulate(args: argparse.Namespace) -> int:
    from ..simulation.integrate import simulate

    model = _load(args.model)
    span = _span_from_file(model, args.model)
    t0 = args.t0 if args.t0 is not None else span.get("t0", 0.0)
    t1 = args.t1 if args.t1 is not None else span.get("t1", t0 + 50.0)
    if not t1 > t0:
        raise UsageError(f"the end time t1 = {t1:g} must lie after the start time t0 = {t0:g}")
    trajectory = simulate(
        model,
        (t0, t1),
        params=_parse_params(args.set),
        ceiling=args.ceiling,
        floor=args.floor,
        method=args.method,
    )
    print(trajectory.summary())
    if not trajectory.success:
        raise NoResultError(f"the solver failed: {trajectory.message}")
    finite = np.isfinite(trajectory.values).all(axis=1)
    if not finite.all():
        first = trajectory.time[np.argmin(finite)]
        raise NoResultError(
            f"the trajectory is not finite from t = {first:g} on; nothing was written "
            "(pass --ceiling to stop a runaway, or check the parameters)"
        )
    if args.csv:
        trajectory.to_dataframe().to_csv(args.csv)
        print(f"wrote {args.csv}")
    if args.output:
        _save(trajectory.plot(logy=trajectory.has_runaway), args.output)
    return 0


def _analyze(args: argparse.Namespace) -> int:
    from ..analysis.balances import equilibria
    from ..analysis.margin import escalation_margin
    from ..analysis.regimes import classify

    model = _load(args.model)
    params = _parse_params(args.set)
    print(f"Model: {model.name or args.model}")
    for eq in equilibria(model, params):
        print("  " + eq.summary())
    print()
    print(classify(model, params, y0=_parse_start(args.y0, model.states)).summary())
    print()
    over = args.over.split(",") if args.over else None
    print(escalation_margin(model, params, over=over).summary())
    return 0


def _portrait(args: argparse.Namespace) -> int:
    from ..plot import phase_portrait

    model = _load(args.model)
    _save(phase_portrait(model, _parse_params(args.set), x=args.x, y=args.y), args.output)
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from ..analysis.sweeps import stability_map
    from ..plot import stability_map as draw_map

    model = _load(args.model)
    grid = _parse_grid(args.param)
    regimes = stability_map(model, grid, fixed=_parse_params(args.set), progress=True)
    counts = regimes.to_series().value_counts(dropna=False)
    print(f"Regimes over {regimes.size} grid points of {', '.join(grid)}:")
    for name, count in counts.items():
        label = "not classified" if not isinstance(name, str) else name
        print(f"  {label:16s} {count:8d}  ({100 * count / regimes.size:.1f}%)")
    if not regimes.to_series().map(lambda v: isinstance(v, str) and v != "").any():
        raise NoResultError("no grid point could be classified; nothing was written")
    if args.csv:
        regimes.to_dataframe().to_csv(args.csv)
        print(f"wrote {args.csv}")
    if args.output and len(grid) == 2:
        _save(draw_map(regimes), args.output)
    return 0


def _parse_over(items: Sequence[str]) -> dict[str, tuple]:
    """``NAME=LO:HI`` (uniform), ``NAME=log:LO:HI`` or ``NAME=normal:MEAN:SD`` -> ``over``."""
    usage = (
        "--over expects NAME=LO:HI (uniform), NAME=log:LO:HI (log-uniform) or "
        "NAME=normal:MEAN:SD, e.g. k=0.5:1.5"
    )
    kinds = {"log": "loguniform", "loguniform": "loguniform", "normal": "normal"}
    over: dict[str, tuple] = {}
    for item in items:
        name, sep, spec = item.partition("=")
        parts = spec.split(":")
        if not sep or not name.strip() or len(parts) not in (2, 3):
            raise UsageError(f"{usage}; got {item!r}")
        if len(parts) == 3 and parts[0].lower() not in kinds:
            raise UsageError(f"{usage}; {parts[0]!r} in {item!r} is not a distribution")
        try:
            numbers = (float(parts[-2]), float(parts[-1]))
        except ValueError as err:
            raise UsageError(f"{usage}; {item!r} holds something that is not a number") from err
        over[name.strip()] = (kinds[parts[0].lower()], *numbers) if len(parts) == 3 else numbers
    if not over:
        raise UsageError("give at least one --over NAME=LO:HI")
    return over


def _sensitivity(args: argparse.Namespace) -> int:
    from ..analysis.sensitivity import sensitivity

    model = _load(args.model)
    result = sensitivity(
        model,
        _parse_over(args.over),
        outputs=tuple(args.output or ("abscissa",)),
        method=args.method,
        n=args.n,
        seed=args.seed,
        second_order=args.second_order,
        fixed=_parse_params(args.set),
        ceiling=args.ceiling,
        progress=True,
    )
    print(result.summary())
    if args.csv:
        result.indices.to_dataframe().to_csv(args.csv)
        print(f"wrote {args.csv}")
    figure = args.figure or f"{Path(args.model).stem}_sensitivity.png"
    _save(result.plot(), figure)
    return 0


def _years(text: str | None) -> tuple[int | None, int | None]:
    if not text:
        return None, None
    start, sep, stop = text.partition(":")
    usage = f"--years expects START:STOP (e.g. 1950:1988), got {text!r}"
    if not sep:
        raise UsageError(usage)
    try:
        first, last = (int(start) if start else None), (int(stop) if stop else None)
    except ValueError as err:
        raise UsageError(usage) from err
    if first is not None and last is not None and last < first:
        raise UsageError(f"--years {text!r}: STOP comes before START")
    return first, last


def _fit(args: argparse.Namespace) -> int:
    from .. import data as datasets
    from ..fitting.estimate import fit
    from ._basis import load_real

    model = _load(args.model)
    source = args.data
    start, stop = _years(args.years)
    with warnings.catch_warnings():  # the fit below refuses blocked data, naming every issue
        warnings.simplefilter("ignore", RichardsonWarning)
        from_file = Path(source).suffix.lower() == ".csv"
        if from_file:  # --units: the unit, or the file's column of units
            frame = datasets.read_csv(source, units=args.units or "")
            if start is not None or stop is not None:
                frame = frame.loc[start:stop]
        else:
            frame = load_real(source, start, stop, args.measure, args.prices, args.base_year)
    if frame.empty:
        raise UsageError(f"{source} has no rows in the years asked for ({args.years or 'all'})")
    result = fit(
        model,
        frame,
        method=args.method,
        allow_nominal=args.allow_nominal,
        units=None if from_file else args.units,
    )
    units = result.fitted_model.state_unit or "units not stated (pass --units)"
    years = result.data.index
    print(f"data: {source}, {years.min()}-{years.max()}, {units}")
    print(result.summary())
    estimates = np.array(list(result.params.values()), dtype=float)
    if not result.success or not np.isfinite(estimates).all():
        raise NoResultError(f"the fit gave no usable estimates ({result.message})")
    if args.bootstrap:
        print()
        print(result.bootstrap(args.bootstrap, seed=0).summary())
    if args.output:
        _save(result.plot(), args.output)
    return 0


def _export(args: argparse.Namespace) -> int:
    from ..io.vensim import to_vensim

    model = _load(args.model)
    target = args.output or str(Path(args.model).with_suffix(".mdl").name)
    to_vensim(model, target)
    print(f"wrote {target}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    path = run_demo(args.out)
    print(f"wrote {path} and {path.with_suffix('.html')}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``richardson`` command."""
    parser = _Parser(
        prog="richardson",
        description="Arms-race and alliance-escalation models: simulate, analyse, fit, plot.",
    )
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")

    def verb(name: str, help_text: str, handler, model: bool = True):  # noqa: ANN001, ANN202
        sub = verbs.add_parser(name, help=help_text, description=help_text)
        if model:
            sub.add_argument(
                "model",
                metavar="MODEL.toml",
                help="model file, or the name of a bundled scenario (rd.scenarios.available())",
            )
            sub.add_argument(
                "--set",
                action="append",
                metavar="NAME=VALUE",
                help="override a parameter value (repeatable)",
            )
        sub.set_defaults(handler=handler)
        return sub

    sub = verb("simulate", "integrate a model and print its trajectory summary", _simulate)
    sub.add_argument("--t0", type=_number, help="start time (default: the model file's, else 0)")
    sub.add_argument(
        "--t1", type=_number, help="end time (default: the model file's, else t0 + 50)"
    )
    sub.add_argument(
        "--method", default="LSODA", help="solver (default LSODA; 'exact' for linear models)"
    )
    sub.add_argument("--ceiling", type=_number, help="spending level that counts as runaway")
    sub.add_argument("--floor", type=_number, help="lower bound on spending, e.g. 0")
    sub.add_argument("--csv", help="write the trajectory to this CSV file")
    sub.add_argument("-o", "--output", help="write a time-series figure (PNG)")

    sub = verb("analyze", "balances, regime verdict in words and escalation margin", _analyze)
    sub.add_argument(
        "--over",
        help="comma-separated parameters for the margin (default: every parameter with a "
        "non-zero value that the Jacobian depends on: reactions, fatigues and couplings, "
        "not grievances)",
    )
    sub.add_argument(
        "--y0",
        help="a start whose fate is judged (which side of a threshold), e.g. 10,12 "
        "(one value per state, in order)",
    )

    sub = verb("portrait", "phase portrait of two states", _portrait)
    sub.add_argument("-o", "--output", required=True, help="figure file (PNG)")
    sub.add_argument("--x", help="state on the horizontal axis")
    sub.add_argument("--y", help="state on the vertical axis")

    sub = verb("sweep", "regime map over a parameter grid", _sweep)
    sub.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=START:STOP:COUNT",
        help="grid axis, e.g. k=0:2:200 (repeatable)",
    )
    sub.add_argument("-o", "--output", help="stability-map figure (PNG; two parameters)")
    sub.add_argument("--csv", help="write the regimes and growth rates to CSV")

    sub = verb("sensitivity", "which uncertain parameter drives escalation (Sobol)", _sensitivity)
    sub.add_argument(
        "--over",
        action="append",
        default=[],
        metavar="NAME=LO:HI",
        help="uncertain parameter: LO:HI (uniform), log:LO:HI or normal:MEAN:SD (repeatable)",
    )
    sub.add_argument(
        "--output",
        action="append",
        choices=["abscissa", "runaway", "balance", "time_to_ceiling"],
        help="output to explain (repeatable; default abscissa)",
    )
    sub.add_argument(
        "--method", default="sobol", choices=["sobol", "morris", "fast"], help="design"
    )
    sub.add_argument("-n", type=int, default=1024, help="base sample size (default 1024)")
    sub.add_argument("--seed", type=int, default=0, help="seed of the design (default 0)")
    sub.add_argument("--second-order", action="store_true", help="also pairwise indices S2")
    sub.add_argument("--ceiling", type=float, help="spending level that counts as runaway in runs")
    sub.add_argument("--figure", help="figure of the first output (default: MODEL_sensitivity.png)")
    sub.add_argument("--csv", help="write the indices to this CSV file")

    sub = verb("fit", "fit a model to a bundled series or a CSV file", _fit)
    sub.add_argument(
        "--data",
        required=True,
        metavar="NAME_OR_CSV",
        help="bundled series name (see richardson.data.available()) or CSV path",
    )
    sub.add_argument(
        "--method", default="ode", choices=["ode", "difference"], help="fitting method"
    )
    sub.add_argument("--years", metavar="START:STOP", help="restrict to these years")
    sub.add_argument(
        "--measure",
        default="auto",
        choices=["auto", "milex", "milper"],
        help="bundled series: spending or personnel (auto: personnel before 1914, else spending)",
    )
    sub.add_argument(
        "--prices",
        default="auto",
        choices=["auto", "constant", "current"],
        help="bundled spending: constant (US CPI-U) or current prices (auto: constant from 1914)",
    )
    sub.add_argument(
        "--base-year", type=int, default=2010, help="base year of constant prices (default 2010)"
    )
    sub.add_argument(
        "--units",
        help="unit of the data (e.g. 'thousand constant 2010 USD'), or the name of a unit "
        "column of the CSV; estimates are labelled in it (default: what the data state)",
    )
    sub.add_argument(
        "--allow-nominal",
        action="store_true",
        help="give a regime verdict even on current-price series (inflation reads as growth)",
    )
    sub.add_argument(
        "--bootstrap", type=_count, default=0, metavar="N", help="residual bootstrap samples"
    )
    sub.add_argument("-o", "--output", help="fit figure (PNG)")

    sub = verb("export", "export a model to Vensim .mdl (runs in PySD)", _export)
    sub.add_argument("--to", default="vensim", choices=["vensim"], help="target format")
    sub.add_argument("-o", "--output", help="output file (default: MODEL.mdl)")

    sub = verb("demo", "run the main job on the bundled scenarios and data", _demo, model=False)
    sub.add_argument("--out", default="out", help="output directory (default: out)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``richardson`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return args.handler(args)
    except UsageError as err:
        if args.debug:
            raise
        print(f"richardson: usage error: {_sentence(err)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except (RichardsonError, OSError) as err:
        if args.debug:
            raise
        print(f"richardson: error: {_sentence(err)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except NoResultError as err:
        if args.debug:
            raise
        print(f"richardson: no result: {_sentence(err)}", file=sys.stderr)
        return EXIT_NO_RESULT
    except KeyboardInterrupt:
        print("richardson: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a bug: still one line, and the way to the traceback
        if args.debug:
            raise
        print(
            f"richardson: internal error: {type(err).__name__}: {_sentence(err)} This is a "
            "bug; rerun with --debug for the traceback and report it.",
            file=sys.stderr,
        )
        return EXIT_NO_RESULT


def _sentence(err: BaseException) -> str:
    from ..errors import punctuated

    if isinstance(err, OSError) and err.filename is not None:
        text = f"{err.filename}: {err.strerror or err}"
    else:
        text = str(err) or type(err).__name__
    return punctuated(_one_line(text))


def console(argv: Sequence[str] | None = None) -> int:
    """The installed ``richardson`` command: :func:`main`, with warnings as one line each
    (``richardson: warning: ...``) instead of Python's file-and-line form, and usage errors
    returned as exit code 2 rather than raised."""

    def show(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
        print(f"richardson: warning: {_one_line(str(message))}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = show
        try:
            return main(argv)
        except SystemExit as exit_:  # argparse: --help (0) or a usage error (2)
            return exit_.code if isinstance(exit_.code, int) else EXIT_USER_ERROR


if __name__ == "__main__":
    sys.exit(console())
