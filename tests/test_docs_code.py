"""Every code block of the docs and the README runs, so a renamed or removed API breaks a test.

Each Markdown page under ``docs/`` (sub-folders included) and ``README.md`` is read with
markdown-it-py, the parser MyST is built on, and each fenced block is treated by what its info
string says it is:

- ``python`` and ``{code-cell} python``: the page's blocks run in order in one namespace (a
  fresh module per page), in a temporary folder holding a copy of ``models/`` and the example
  input files the pages name; blocks written as a ``>>>`` session are checked as doctests;
- ``bash``, ``console``, ``sh``, ``shell``: each ``richardson ...`` command runs through the
  installed command's entry point and must exit with 0;
- ``toml``: a block whose first line reads ``# excerpt of <path>`` must hold only tables and
  values that the named file holds; any other block must be a model file
  :func:`richardson.load_model` accepts;
- ``text`` and directives that are not code (``{toctree}``, ``{eval-rst}``, ``{math}``): shown,
  not run (printed output, error messages, tables of contents).

A fence without an info string fails: say what the block is. A block that cannot run here (a
dask cluster, a job that takes minutes) starts with ``# docs: skip-run (reason)``; those are
counted and kept few. New pages are picked up without editing this file.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import re
import shlex
import shutil
import sys
import tomllib
import traceback
import types
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from markdown_it import MarkdownIt

import richardson as rd
from richardson.app.cli import console

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
#: Folders of ``docs/`` that the build writes, not pages.
BUILT = {"_build", "generated", "notebooks", "jupyter_execute"}
PAGES = sorted(
    [p for p in DOCS.rglob("*.md") if not BUILT & set(p.relative_to(DOCS).parts)]
    + [ROOT / "README.md"]
)
#: Pages whose blocks take more than a few seconds.
SLOW = {
    "docs/fitting.md",
    "docs/stability.md",
    "docs/howto_cli.md",
    "docs/howto_dask.md",
    "docs/howto_files.md",
}
#: Most blocks that may be marked ``skip-run``; raise it only for a block that truly cannot run.
MAX_SKIPPED = 5

PYTHON = {"python", "python3", "py", "ipython", "ipython3", "pycon"}
SHELL = {"bash", "console", "sh", "shell"}
SHOWN = {"text", "none", "output"}
NOT_CODE_DIRECTIVES = {"{toctree}", "{eval-rst}", "{math}"}
CODE_DIRECTIVES = {"{code-block}", "{code}", "{sourcecode}"}
SKIP = re.compile(r"#\s*docs:\s*skip-run\s*\((?P<reason>[^)]+)\)")
EXCERPT = re.compile(r"#\s*excerpt of\s+(?P<path>\S+)")


@dataclass(frozen=True)
class Block:
    """One fenced block: its page, first line of code (1-based), kind and text."""

    page: str
    line: int
    kind: str
    info: str
    code: str

    @property
    def skip_reason(self) -> str | None:
        first = self.code.lstrip().splitlines()[0] if self.code.strip() else ""
        match = SKIP.fullmatch(first.strip())
        return match["reason"].strip() if match else None

    def where(self) -> str:
        return f"{self.page}, block at line {self.line} ({self.info or 'no info string'})"


def _kind(info: str) -> str:
    words = info.split()
    if not words:
        return "untagged"
    head = words[0].lower()
    if head == "{code-cell}":
        return "python" if len(words) < 2 or words[1].lower() in PYTHON else "other-cell"
    if head in CODE_DIRECTIVES:  # {code-block} python is a python block, and so on
        return _kind(" ".join(words[1:])) if len(words) > 1 else "untagged"
    if head in PYTHON:
        return "python"
    if head in SHELL:
        return "shell"
    if head == "toml":
        return "toml"
    if head in SHOWN or head in NOT_CODE_DIRECTIVES:
        return "shown"
    if head.startswith("{"):
        return "directive"
    return "unknown"


def _cell_source(code: str) -> str:
    """A ``{code-cell}``'s code without its option lines (``:tags: ...`` or a ``---`` block)."""
    lines = code.splitlines()
    if lines and lines[0].strip() == "---":
        end = next(i for i, line in enumerate(lines[1:], 1) if line.strip() == "---")
        return "\n" * (end + 1) + "\n".join(lines[end + 1 :])
    n = 0
    while n < len(lines) and lines[n].startswith(":"):
        n += 1
    return "\n" * n + "\n".join(lines[n:])


def blocks(path: Path, page: str | None = None) -> list[Block]:
    """The fenced blocks of one page, in order; directives other than code are looked into."""
    page = page or path.relative_to(ROOT).as_posix()
    parser = MarkdownIt("commonmark")
    found: list[Block] = []

    def walk(text: str, offset: int) -> None:
        for token in parser.parse(text):
            if token.type == "code_block":  # indented code: shown as code, so say what it is
                found.append(Block(page, offset + token.map[0] + 1, "untagged", "", token.content))
            if token.type != "fence":
                continue
            info = token.info.strip()
            kind = _kind(info)
            line = offset + token.map[0] + 2  # the fence is line map[0] + 1; code starts below
            if kind == "directive":
                walk(token.content, line - 1)
                continue
            directive = info.startswith("{")  # {code-cell}, {code-block}: options first
            code = _cell_source(token.content) if directive else token.content
            found.append(Block(page, line, kind, info, code))

    text = path.read_text(encoding="utf-8")
    if text.startswith("---\n"):  # MyST front matter: keep the line numbers
        end = text.index("\n---\n", 4) + 5
        text = "\n" * text[:end].count("\n") + text[end:]
    walk(text, 0)
    return found


ALL = [block for page in PAGES for block in blocks(page)]


def test_every_block_says_what_it_is():
    unknown = [b.where() for b in ALL if b.kind in {"untagged", "unknown", "other-cell"}]
    assert not unknown, (
        "say what each block is (```python, ```bash, ```toml, ```text for output): "
        + "; ".join(unknown)
    )


def test_skipped_blocks_are_few_and_give_a_reason():
    marked = [b for b in ALL if "skip-run" in b.code.split("\n", 1)[0]]
    for block in marked:
        assert block.skip_reason, f"{block.where()}: write '# docs: skip-run (why)'"
        assert block.kind in {"python", "shell"}, f"{block.where()}: only code is skipped"
    assert len(marked) <= MAX_SKIPPED, [b.where() for b in marked]
    # what runs: each kind is present, so a parser change that finds nothing fails here
    kinds = [b.kind for b in ALL if b.skip_reason is None]
    assert kinds.count("python") >= 30 and kinds.count("shell") >= 2 and "toml" in kinds


# -- the example inputs the pages name ---------------------------------------------------


def _inputs(folder: Path) -> None:
    """A copy of ``models/`` and the example files the pages read, in ``folder``."""
    shutil.copytree(ROOT / "models", folder / "models", ignore=shutil.ignore_patterns("*.py"))
    suite = ROOT / "tests" / "io" / "vensim_suite" / "samples" / "teacup"
    shutil.copy(suite / "teacup.mdl", folder / "teacup.mdl")
    shutil.copy(suite / "teacup.xmile", folder / "teacup.xmile")
    # a series of the user's own for the classic model (docs/howto_cli.md): a stable race of
    # that shape, 1909-1930, with seeded noise of 1%
    model = rd.load_model(ROOT / "models" / "classic_two_nation.toml").with_params(
        k_Entente_Central_Powers=0.15,
        k_Central_Powers_Entente=0.1,
        a_Entente=0.4,
        a_Central_Powers=0.3,
        g_Entente=30.0,
        g_Central_Powers=20.0,
    )
    run = rd.simulate(model, (1909, 1930), t_eval=np.arange(1909, 1931))
    own = run.to_dataframe().rename_axis("year").rename_axis(None, axis=1)
    own *= 1 + 0.01 * np.random.default_rng(0).standard_normal(own.shape)
    own.to_csv(folder / "my_series.csv")
    # a SIPRI-style download in long form (docs/fitting.md): year, country, spending
    frame = rd.data.load("us_ussr", prices="constant", base_year=2015).loc[1950:1988]
    long = frame.iloc[:, :2].rename_axis("Year").reset_index()
    long = long.melt(id_vars="Year", var_name="Country", value_name="Spending")
    long.to_csv(folder / "sipri_constant_usd.csv", index=False)


@pytest.fixture
def page_folder(tmp_path, monkeypatch):
    _inputs(tmp_path)
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    plt.close("all")


def _run_python(block: Block, namespace: dict) -> None:
    code = block.code
    if code.lstrip().startswith(">>>"):
        test = doctest.DocTestParser().get_doctest(
            code, namespace, block.page, block.page, block.line - 1
        )
        out = io.StringIO()
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        runner.run(test, out=out.write, clear_globs=False)
        if runner.failures:
            pytest.fail(
                f"{block.where()}: the session does not print what it shows\n" + out.getvalue()
            )
        return
    source = "\n" * (block.line - 1) + code  # tracebacks name the page's own line numbers
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(source, block.page, "exec"), namespace)  # noqa: S102 -- our own docs
    except Exception:  # noqa: BLE001 -- reported with the page, the block and the traceback
        pytest.fail(f"{block.where()} raised:\n{traceback.format_exc(limit=-6)}")


def _commands(block: Block) -> list[list[str]]:
    text = re.sub(r"\\\n", " ", block.code)
    commands = []
    for line in text.splitlines():
        line = line.strip().removeprefix("$ ")
        words = shlex.split(line, comments=True)
        if words:
            commands.append(words)
    return commands


def _run_shell(block: Block) -> None:
    for words in _commands(block):
        if words[0] != "richardson":
            pytest.fail(
                f"{block.where()}: only 'richardson ...' commands are run; mark a block with "
                f"other commands '# docs: skip-run (reason)': {shlex.join(words)}"
            )
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = console(words[1:])
        assert code == 0, f"{block.where()}: '{shlex.join(words)}' exited {code}: {err.getvalue()}"


def _subset(part, whole, where: str) -> None:
    """Every table and value of ``part`` is in ``whole`` (arrays of tables: each in some)."""
    if isinstance(part, dict):
        assert isinstance(whole, dict), f"{where} is a table in the excerpt only"
        for key, value in part.items():
            assert key in whole, f"{where}.{key} is in the excerpt but not in the file"
            _subset(value, whole[key], f"{where}.{key}")
    elif isinstance(part, list) and part and isinstance(part[0], dict):
        assert isinstance(whole, list), f"{where} is an array of tables in the excerpt only"
        for item in part:
            matches = []
            for candidate in whole:
                try:
                    _subset(item, candidate, where)
                except AssertionError:
                    continue
                matches.append(candidate)
            assert matches, f"{where}: no entry of the file matches {item}"
    else:
        assert part == whole, f"{where} is {part!r} in the excerpt, {whole!r} in the file"


def _check_toml(block: Block, folder: Path) -> None:
    first = block.code.lstrip().splitlines()[0]
    excerpt = EXCERPT.fullmatch(first.strip())
    if excerpt:
        source = ROOT / excerpt["path"]
        assert source.is_file(), f"{block.where()}: {excerpt['path']} does not exist"
        _subset(tomllib.loads(block.code), tomllib.loads(source.read_text()), excerpt["path"])
    else:
        path = folder / f"block_{block.line}.toml"
        path.write_text(block.code, encoding="utf-8")
        rd.load_model(path)


def _page_id(path: Path) -> object:
    page = path.relative_to(ROOT).as_posix()
    marks = [pytest.mark.slow] if page in SLOW else []
    return pytest.param(path, id=page, marks=marks)


def run_page(path: Path, folder: Path, page: str | None = None) -> None:
    """Run every block of one page in order (python in one namespace); fail on the first."""
    page = page or path.relative_to(ROOT).as_posix()
    module = types.ModuleType("docs_page_" + re.sub(r"\W", "_", page))
    sys.modules[module.__name__] = module  # functions a page defines can be pickled
    try:
        for block in blocks(path, page):
            if block.skip_reason is not None:
                continue
            if block.kind == "python":
                _run_python(block, module.__dict__)
            elif block.kind == "shell":
                _run_shell(block)
            elif block.kind == "toml":
                _check_toml(block, folder)
    finally:
        del sys.modules[module.__name__]


@pytest.mark.parametrize("path", [_page_id(p) for p in PAGES])
def test_page_blocks_run(path, page_folder):
    run_page(path, page_folder)


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("```python\nimport richardson as rd\nrd.no_such_function()\n```", "line 5.*no_such"),
        ("```python\n>>> 1 + 1\n3\n```", "does not print what it shows"),
        ("```bash\nrichardson analyze no_such_scenario\n```", "exited 2"),
        ("```bash\nmake demo\n```", "only 'richardson ...' commands"),
        (
            "```toml\n# excerpt of models/nato_warsaw_pact.toml\n[model]\nkind = 'map'\n```",
            "'map' in the excerpt, 'ode' in the file",
        ),
    ],
)
def test_a_broken_block_fails_naming_the_page_and_the_line(block, message, page_folder):
    page = page_folder / "probe.md"
    page.write_text(f"# probe\n\n{block}\n")
    with pytest.raises((pytest.fail.Exception, AssertionError), match=f"(?s){message}"):
        run_page(page, page_folder, "probe.md")


def test_excerpt_check_fails_on_a_table_the_file_does_not_have():
    file = tomllib.loads('[a]\nx = 1\n[[b]]\ny = 2\nz = "q"\n')
    _subset(tomllib.loads("[a]\nx = 1\n[[b]]\ny = 2\n"), file, "f")
    for wrong in ("[a]\nx = 2\n", "[c]\nx = 1\n", "[[b]]\ny = 3\n"):
        with pytest.raises(AssertionError):
            _subset(tomllib.loads(wrong), file, "f")


def test_blocks_are_found_with_their_lines(tmp_path):
    page = tmp_path / "probe.md"
    text = (
        "# t\n\n```python\nx = 1\n```\n\n1. item\n\n   ```bash\n   richardson --help\n   ```\n"
        "\n```\nbare\n```\n\n```{code-block} toml\n:caption: c\na = 1\n```\n\n    indented\n"
    )
    page.write_text(text)
    found = blocks(page, "probe.md")
    assert [(b.kind, b.line, b.code) for b in found] == [
        ("python", 4, "x = 1\n"),
        ("shell", 10, "richardson --help\n"),
        ("untagged", 14, "bare\n"),
        ("toml", 18, "\na = 1"),  # the option line kept as a blank: line numbers hold
        ("untagged", 22, "indented\n"),
    ]
