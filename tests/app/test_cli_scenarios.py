"""The command line takes a bundled scenario by name; analyze --over says its real default."""

import pytest

from richardson.app.cli import build_parser, main


def test_a_scenario_by_name_is_the_bundled_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no models/ folder here: the package's copy is read
    assert main(["analyze", "classic_two_nation"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Model: Classic Richardson two-nation arms race, 1909-1913")


def test_an_unknown_scenario_name_lists_the_bundled_ones(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["analyze", "clasic_two_nation"]) == 2
    err = capsys.readouterr().err
    assert "Did you mean 'classic_two_nation'?" in err and "nato_warsaw_pact" in err
    assert main(["analyze", "missing.toml"]) == 2  # a path stays a path
    assert "missing.toml" in capsys.readouterr().err


def test_analyze_over_help_names_the_default_the_margin_uses(capsys):
    """Without --over the margin moves reactions and fatigues (every non-zero parameter of
    the Jacobian), not reactions only: the help text says so and the output shows it."""
    verbs = build_parser()._subparsers._group_actions[0].choices  # noqa: SLF001
    (over,) = [a for a in verbs["analyze"]._actions if "--over" in a.option_strings]  # noqa: SLF001
    assert "fatigues" in over.help and "not grievances" in over.help
    assert main(["analyze", "classic_two_nation"]) == 0
    margin = capsys.readouterr().out.split("Escalation margin:")[1]
    assert "k_Entente_Central_Powers" in margin and "a_Entente" in margin
    assert "g_Entente" not in margin.split("Method:")[0]


@pytest.mark.parametrize("verb", ["simulate", "portrait"])
def test_other_verbs_take_names_too(verb, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main([verb, "nato_warsaw_pact", "-o", "out.png"]) == 0
    assert (tmp_path / "out.png").stat().st_size > 5_000
