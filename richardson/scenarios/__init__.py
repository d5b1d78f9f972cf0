"""The scenario library, bundled with the package: ``rd.scenarios``.

Example::

    import richardson as rd
    rd.scenarios.available()                    # name, title, actors, kind, regime
    m = rd.scenarios.load("nato_warsaw_pact")   # the same Model as rd.load_model(file)
    rd.scenarios.path("nato_warsaw_pact")       # the file itself, to copy and edit

The files are copies of the repository's ``models/*.toml`` (the source of truth, written by
``models/make_scenarios.py``); ``tests/scenarios/test_scenarios.py`` checks that the copies are
byte-identical.
"""

from __future__ import annotations

from ._library import available, load, path

__all__ = ["available", "load", "path"]
