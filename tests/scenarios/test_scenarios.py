"""rd.scenarios: the scenario library from an installed package, in step with models/."""

import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

import richardson as rd

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
PACKAGED = ROOT / "richardson" / "scenarios"


def test_packaged_scenarios_are_byte_identical_to_models():
    sources = {p.name: p.read_bytes() for p in MODELS.glob("*.toml")}
    copies = {p.name: p.read_bytes() for p in PACKAGED.glob("*.toml")}
    assert sorted(copies) == sorted(sources), (
        "richardson/scenarios/ must hold exactly models/*.toml: run "
        "python models/make_scenarios.py (it writes both) or copy the files"
    )
    stale = [name for name in sources if copies[name] != sources[name]]
    assert not stale, f"stale copies in richardson/scenarios/: {stale}; copy them from models/"


def test_available_lists_every_file_with_its_header():
    table = rd.scenarios.available()
    assert list(table.index) == sorted(p.stem for p in MODELS.glob("*.toml"))
    row = table.loc["nato_warsaw_pact"]
    assert (row["title"], row["actors"], row["kind"], row["regime"]) == (
        "NATO vs Warsaw Pact, from 1955",
        6,
        "ode",
        "stable_balance",
    )


@pytest.mark.parametrize("name", sorted(p.stem for p in MODELS.glob("*.toml")))
def test_load_returns_what_load_model_returns_for_the_file(name):
    assert rd.scenarios.load(name) == rd.load_model(MODELS / f"{name}.toml")
    assert rd.scenarios.path(name + ".toml") == PACKAGED / f"{name}.toml"


def test_an_unknown_name_lists_the_scenarios():
    with pytest.raises(rd.ModelFileError) as err:
        rd.scenarios.load("nato_warsaw")
    text = str(err.value)
    assert "Did you mean 'nato_warsaw_pact'?" in text
    assert all(name in text for name in rd.scenarios.available().index)
    with pytest.raises(rd.ModelFileError, match="is a string"):
        rd.scenarios.load(3)


def test_the_package_data_ships_every_scenario():
    """``pip install .`` (not editable) copies what ``package-data`` names: every scenario
    file must match it. (Checked by hand on a built wheel: ``pip wheel . --no-deps``, the
    eight files inside ``richardson/scenarios/``, byte-identical to ``models/``.)"""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert any(fnmatch("richardson.scenarios", p) for p in config["packages"]["find"]["include"])
    patterns = config["package-data"]["richardson"]
    for source in PACKAGED.glob("*.toml"):
        assert any(fnmatch(f"scenarios/{source.name}", p) for p in patterns), source.name
    assert (PACKAGED / "__init__.py").is_file()
