"""The layout rule of ARCHITECTURE.md: a stage imports only the stages below it.

The rule is read from the source with ``ast`` (no import is executed), so it cannot rot: a
new ``from ..fitting import ...`` inside ``richardson/analysis/`` fails this test.
"""

import ast
import subprocess
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "richardson"

#: Rank of each stage: a module may import stages of strictly lower rank (and its own stage).
RANK = {
    "errors": 0,
    "data": 1,
    "model": 1,
    "codegen": 2,
    "io": 2,
    "scenarios": 3,
    "simulation": 3,
    "bifurcation": 4,
    "analysis": 5,
    "fitting": 6,
    "plot": 7,
    "explore": 8,
    "app": 8,
}

#: The only upward imports: convenience methods of results, imported inside the method.
LAZY_UPWARD = {
    ("richardson.model.core", "codegen"),  # Model.compile()
    ("richardson.simulation.trajectory", "plot"),  # Trajectory.plot(), Ensemble.plot()
    ("richardson.bifurcation.results", "plot"),  # Branch.plot()
    ("richardson.bifurcation.curves", "plot"),  # BifurcationCurve.plot()
    ("richardson.bifurcation.maps", "plot"),  # OrbitDiagram.plot()
    ("richardson.fitting.result", "plot"),  # FitResult.plot()
    ("richardson.fitting.resampling", "plot"),  # BootstrapResult.plot()
    ("richardson.analysis.sensitivity_result", "plot"),  # SensitivityResult.plot()
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage_of(module: str) -> str | None:
    """``richardson.analysis.margin`` -> ``"analysis"``; the package root has no stage."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def imports_of(module: str, source: str, is_package: bool = False):
    """Yield ``(target module, inside a function)`` for every relative import of a module."""
    tree = ast.parse(source)
    package = module if is_package else module.rsplit(".", 1)[0]
    in_function = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            in_function.update(id(inner) for inner in ast.walk(node) if inner is not node)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "richardson":
                    yield alias.name, id(node) in in_function
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module and node.module.split(".")[0] == "richardson":
                    yield node.module, id(node) in in_function
                continue
            base = package.split(".")
            base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
            target = ".".join(base + ([node.module] if node.module else []))
            if node.module is None:  # from .. import data, plot: each name a module
                for alias in node.names:
                    named = target == "richardson" and alias.name not in RANK
                    yield (target if named else f"{target}.{alias.name}"), id(node) in in_function
            else:
                yield target, id(node) in in_function


def violations(module: str, source: str, is_package: bool = False) -> list[str]:
    """Imports of ``module`` that break the stage rule, as readable lines."""
    stage = stage_of(module)
    if stage is None:  # richardson/__init__.py re-exports everything
        return []
    found = []
    for target, lazy in imports_of(module, source, is_package):
        other = stage_of(target)
        if other is None:
            found.append(f"{module} imports the package root ({target}): import the stage")
        elif other != stage and RANK[other] >= RANK[stage]:
            if not (lazy and (module, other) in LAZY_UPWARD):
                found.append(f"{module} ({stage}) imports {target} ({other})")
    return found


def package_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield module_name(path), path.read_text(encoding="utf-8"), path.name == "__init__.py"


def test_every_module_belongs_to_a_known_stage():
    stages = {stage_of(name) for name, _, _ in package_modules()} - {None}
    assert stages == set(RANK)


def test_no_stage_imports_a_stage_above_it():
    broken = [
        line for name, source, pkg in package_modules() for line in violations(name, source, pkg)
    ]
    assert broken == []


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("richardson.analysis.margin", "from ..fitting import fit\n"),
        ("richardson.analysis.margin", "def f():\n    from ..fitting.estimate import fit\n"),
        ("richardson.model.core", "from ..simulation import simulate\n"),
        ("richardson.codegen.compiled", "import richardson.io.vensim\n"),
        ("richardson.fitting.result", "from ..plot import fit\n"),  # upward, but not lazy
        ("richardson.fitting.estimate", "def f():\n    from .. import classify\n"),
    ],
)
def test_the_rule_catches_an_upward_import(module, source):
    assert len(violations(module, source)) == 1


def test_the_rule_allows_downward_and_declared_lazy_imports():
    assert violations("richardson.fitting.estimate", "from ..analysis import classify\n") == []
    lazy_plot = "def plot(self):\n    from .. import plot\n"
    assert violations("richardson.fitting.result", lazy_plot) == []


def test_module_level_imports_have_no_circles():
    graph = {}
    modules = {name for name, _, _ in package_modules()}
    for name, source, pkg in package_modules():
        tree = ast.parse(source)
        top = ast.Module(
            body=[n for n in tree.body if isinstance(n, ast.ImportFrom)], type_ignores=[]
        )
        graph[name] = {
            target if target in modules else target.rsplit(".", 1)[0]
            for target, _ in imports_of(name, ast.unparse(top), pkg)
        } - {name}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                return [*path, node, nxt]
            if nxt not in state and (cycle := visit(nxt, [*path, node])):
                return cycle
        state[node] = 2
        return None

    for start in graph:
        if start not in state:
            assert visit(start, []) is None


def test_modules_are_readable_in_one_sitting():
    long = {
        name: source.count("\n")
        for name, source, _ in package_modules()
        if source.count("\n") > 650
    }
    assert long == {}


def project_files(root: Path) -> list[Path]:
    """Files of the project: what git tracks or would track (ignored files left out)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [root / name for name in listed if (root / name).is_file()]


def test_no_file_names_a_path_of_the_machine_it_was_written_on():
    root = PACKAGE.parent
    machine = ("/work/", "/root/", "/home/", "/tmp/", "C:\\Users")
    named = []
    # the conformance models of SDXorg/test-models are third-party data, copied unchanged
    vendored = root / "tests" / "io" / "vensim_suite"
    for path in project_files(root):
        if path == Path(__file__).resolve() or path.suffix == ".png" or vendored in path.parents:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        named += [f"{path.relative_to(root)}: {m}" for m in machine if m in text]
    assert named == []
