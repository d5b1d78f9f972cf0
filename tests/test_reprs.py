"""Notebook representations: equations in LaTeX, compact HTML tables for results."""

import sympy as sp

import richardson as rd


def test_model_latex_regime_and_branch_html(classic):
    assert r"\dot{y} &= - b y + h + l x" in classic._repr_latex_()
    regime = rd.classify(classic)
    html = regime._repr_html_()
    assert "stable balance" in html and "<details>" in html
    x, mu = sp.symbols("x mu")
    model = rd.Model(["x"], {"mu": 1.0}, [mu - x**2])
    branch = rd.continuation(model, "mu", start=[1.0], bounds=(-1, 2))
    table = branch._repr_html_()
    assert "<table>" in table and "<td>fold</td>" in table
    assert "<pre>" in rd.simulate(classic, (0, 1), [1, 1])._repr_html_()
