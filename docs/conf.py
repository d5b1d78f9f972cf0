"""Sphinx configuration: MyST pages, executed notebooks (myst-nb), numpydoc API reference."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

project = "richardson"
author = "The richardson developers"
copyright = "2026, The richardson developers"  # noqa: A001

extensions = [
    "myst_nb",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
numpydoc_show_class_members = False
numpydoc_validation_checks: set[str] = set()
autosummary_generate = True
autodoc_typehints = "none"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "jupyter_execute"]
html_theme = "pydata_sphinx_theme"
html_title = "richardson"
html_theme_options = {"navigation_depth": 2}
html_static_path = ["_static"]
html_css_files = ["richardson.css"]

# Notebooks live in ../notebooks (stored without outputs); they are copied here and
# executed during the build, so the rendered docs always show fresh figures and a broken
# notebook fails the build.
nb_execution_mode = "force"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_merge_streams = True

_NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"
_NOTEBOOKS.mkdir(exist_ok=True)
for stale in _NOTEBOOKS.glob("*.ipynb"):
    stale.unlink()
for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
    shutil.copy2(notebook, _NOTEBOOKS / notebook.name)
