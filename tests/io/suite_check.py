"""Run the Vensim/XMILE conformance models (``tests/io/vensim_suite``, a subset of
SDXorg/test-models, MIT licence beside it) through ``rd.simulate(method="euler")`` and compare
with Vensim's canonical output at PySD's tolerance ``|a - c| <= 1e-5 + 1e-5 |c|``.

Run ``python tests/io/suite_check.py`` from the repository root for the counts.
"""

from __future__ import annotations

import io
import sys
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import richardson as rd
from richardson.io.vensim_subscripts import key

SUITE = Path(__file__).resolve().parent / "vensim_suite"
ATOL = RTOL = 1e-5
#: Files whose folder's canonical output is not theirs, and why.
NOT_ITS_OUTPUT = {
    # the quirk noted in the suite's README
    "model_to_generate_data.mdl": "the folder's output belongs to test_data_from_other_model.mdl",
    # the XMILE exports of the .mdl lost its ACTIVE INITIAL(Time, 45): their Value A is
    # plain Time, so Stock A starts at 0 where Vensim's run of the .mdl starts at 45
    "test_active_initial.xmile": "the output is Vensim's run of the .mdl, whose ACTIVE "
    "INITIAL(Time, 45) this export does not contain (Value A = Time)",
    "test_active_initial.stmx": "the output is Vensim's run of the .mdl, whose ACTIVE "
    "INITIAL(Time, 45) this export does not contain (Value A = Time)",
}


@dataclass
class Outcome:
    path: Path
    status: str  # "matched", "mismatch", "refused", "no output", "crash"
    reason: str = ""
    columns: int = 0
    worst: list = field(default_factory=list)


def model_files(suffixes: tuple[str, ...]) -> list[Path]:
    return sorted(p for p in SUITE.rglob("*") if p.suffix.lower() in suffixes)


def canonical(folder: Path) -> pd.DataFrame | None:
    for name, sep in (("output.tab", "\t"), ("output.csv", ",")):
        path = folder / name
        if path.exists():
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:  # Vensim writes Windows-1252 on Windows
                text = raw.decode("cp1252", errors="replace")
            frame = pd.read_csv(io.StringIO(text), sep=sep)
            first = str(frame.columns[0]).strip().lower()
            if first != "time":  # transposed: one row per variable
                frame = frame.set_index(frame.columns[0]).T.reset_index()
                frame = frame.rename(columns={frame.columns[0]: "Time"})
            frame = frame.rename(columns={frame.columns[0]: "Time"})
            frame = frame.apply(pd.to_numeric, errors="coerce").ffill()
            return frame
    return None


def _column_key(name: str) -> str:
    name = str(name).strip().strip('"')
    if "[" in name:
        head, rest = name.split("[", 1)
        parts = rest.rstrip("]").split(",")
        return key(head) + "[" + ",".join(key(p) for p in parts) + "]"
    return key(name)


def check(path: Path) -> Outcome:
    reader = rd.from_vensim if path.suffix.lower() == ".mdl" else rd.from_xmile
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = reader(path)
    except rd.ModelFileError as err:
        return Outcome(path, "refused", str(err))
    except Exception as err:  # noqa: BLE001 - counted as a crash of the importer
        return Outcome(path, "crash", f"{type(err).__name__}: {err}")
    if path.name in NOT_ITS_OUTPUT:
        return Outcome(path, "no output", f"imported; {NOT_ITS_OUTPUT[path.name]}")
    expected = canonical(path.parent)
    if expected is None:
        return Outcome(path, "no output", "imported; the folder has no canonical output")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run = rd.simulate(model, method="euler")
    except Exception as err:  # noqa: BLE001 - counted as a crash of the simulation
        return Outcome(path, "crash", f"simulate: {type(err).__name__}: {err}")
    ours = run.to_dataframe()
    ours.columns = [_column_key(c) for c in ours.columns]
    params = {
        _column_key(model.metadata.get("names", {}).get(n, n)): p.value
        for n, p in model.params.items()
    }
    times = expected["Time"].to_numpy(dtype=float)
    grid = ours.index.to_numpy(dtype=float)
    index = np.searchsorted(grid, times - 1e-5 * np.maximum(1, np.abs(times)))
    index = np.clip(index, 0, len(grid) - 1)
    close = np.abs(grid[index] - times) <= 1e-5 * np.maximum(1, np.abs(times))
    if not close.any():
        return Outcome(path, "mismatch", "no output time in common")
    compared, worst = 0, []
    for column in expected.columns[1:]:
        name = _column_key(column)
        wanted = expected[column].to_numpy(dtype=float)[close]
        if name in ours.columns:
            got = ours[name].to_numpy(dtype=float)[index[close]]
        elif name in params:
            got = np.full(wanted.shape, params[name])
        else:
            continue
        ok = np.isnan(wanted) | (np.abs(got - wanted) <= ATOL + RTOL * np.abs(wanted))
        compared += 1
        if not ok.all():
            bad = int(np.argmax(~ok))
            worst.append((column, float(times[close][bad]), float(got[bad]), float(wanted[bad])))
    if compared == 0:
        return Outcome(path, "mismatch", "no column of the output found in the model")
    if worst or not close.all():
        reason = f"{len(worst)} of {compared} columns differ" + (
            "" if close.all() else f"; {int((~close).sum())} output times missing"
        )
        return Outcome(path, "mismatch", reason, compared, worst[:3])
    return Outcome(path, "matched", "", compared)


def construct(reason: str) -> str:
    """A short label for a refusal: the construct named in the message."""
    for label in (
        "no stocks",
        "DELAY FIXED",
        "SAMPLE IF TRUE",
        "DELAY N with a time-varying delay",
        "data variable",
        "GET XLS/DIRECT",
        "dynamic INITIAL TIME",
        "ALLOCATE",
        "macro",
        ":NA:",
        "non-negative",
        "could not parse",
        "VECTOR SELECT",
        "neither stocks nor auxiliaries",
        "without its subscripts",
    ):
        if label.lower() in reason.lower():
            return label
    return reason[:80]


def report(suffixes: tuple[str, ...], title: str) -> dict[str, int]:
    outcomes = [check(p) for p in model_files(suffixes)]
    counts = Counter(o.status for o in outcomes)
    imported = sum(counts[s] for s in ("matched", "mismatch", "no output"))
    print(
        f"\n{title}: {len(outcomes)} files, imported {imported}, "
        f"with canonical output {counts['matched'] + counts['mismatch']}, "
        f"matched {counts['matched']}, crashed {counts['crash']}"
    )
    refused = Counter(construct(o.reason) for o in outcomes if o.status == "refused")
    for label, n in refused.most_common():
        print(f"  refused {n:3d}: {label}")
    for o in outcomes:
        if o.status in ("mismatch", "crash"):
            print(f"  {o.status}: {o.path.relative_to(SUITE)}: {o.reason} {o.worst}"[:400])
    return dict(counts)


if __name__ == "__main__":
    report((".mdl",), "Vensim .mdl")
    report((".xmile", ".stmx", ".xml"), "XMILE")
    sys.exit(0)
