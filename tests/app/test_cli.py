"""The command line and the main job (demo report)."""

import re

import pytest

from richardson.app.cli import main


def test_help_lists_every_verb(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "demo" in capsys.readouterr().out


def test_no_verb_is_a_usage_error(capsys):
    assert main([]) == 2
    assert "usage" in capsys.readouterr().out


def test_unknown_verb_exits_2():
    with pytest.raises(SystemExit) as exit_info:
        main(["fly"])
    assert exit_info.value.code == 2


@pytest.mark.slow
def test_demo_writes_report_with_existing_figures(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    report = (tmp_path / "report.md").read_text()
    html = (tmp_path / "report.html").read_text()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", report)
    assert len(images) >= 3
    for name in images:
        assert (tmp_path / name).stat().st_size > 5_000, name
        assert f'src="{name}"' in html
    assert "RUNAWAY: x crossed the ceiling 1000" in report
    assert "wrote" in capsys.readouterr().out
    # every scenario (each "## " section before the historical fits) has its verdict,
    # explanation and escalation margin; a nonlinear margin (a search on sampled verdicts)
    # runs under the demo's wall-clock budget, so on a loaded machine it may instead say
    # that it was not computed in time, never anything else
    scenarios = report.split("\n## Historical fits")[0].split("\n## ")[1:]
    assert len(scenarios) >= 11
    nonlinear = ("US-Japan-ROK", "Mutual-defence clause")
    for section in scenarios:
        title = section.splitlines()[0]
        assert "### Regime verdict" in section, title
        found = re.search(r"### Escalation margin\n+Escalation margin: ", section)
        if not found and title.startswith(nonlinear):
            found = re.search(r"### Escalation margin\n+Not computed within the demo's", section)
        assert found, title


MODELS = __import__("pathlib").Path(__file__).resolve().parents[2] / "models"


def test_simulate_verb_writes_csv_and_figure(tmp_path, capsys):
    csv, png = tmp_path / "run.csv", tmp_path / "run.png"
    assert (
        main(
            [
                "simulate",
                str(MODELS / "classic_two_nation.toml"),
                "--t1",
                "10",
                "--csv",
                str(csv),
                "-o",
                str(png),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Trajectory of" in out
    frame = __import__("pandas").read_csv(csv, index_col=0)
    assert frame.index[-1] == 10.0 and frame.shape[1] == 2
    assert png.stat().st_size > 5_000


def test_analyze_verb_gives_verdict_and_margin(capsys):
    model = str(MODELS / "classic_two_nation.toml")
    assert main(["analyze", model]) == 0
    assert "Regime: threshold" in capsys.readouterr().out  # Richardson's case with goodwill
    assert (
        main(
            [
                "analyze",
                model,
                "--set",
                "k_Entente_Central_Powers=0.01",
                "--set",
                "k_Central_Powers_Entente=0.01",
                "--set",
                "a_Entente=0.5",
                "--set",
                "a_Central_Powers=0.5",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    # negative grievances: disarmament; boundary where 0.01 (1 + t) = 0.5 (1 - t), t = 0.49 / 0.51
    assert "Regime: disarmament" in out
    assert f"Escalation margin: {100 * 0.49 / 0.51:.1f}%" in out


def test_portrait_sweep_export_verbs(tmp_path, capsys):
    model = str(MODELS / "classic_two_nation.toml")
    assert main(["portrait", model, "-o", str(tmp_path / "p.png")]) == 0
    assert (
        main(
            [
                "sweep",
                model,
                "--param",
                "k_Entente_Central_Powers=0:2:21",
                "--param",
                "k_Central_Powers_Entente=0:2:21",
                "-o",
                str(tmp_path / "m.png"),
                "--csv",
                str(tmp_path / "m.csv"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Regimes over 441 grid points" in out
    assert main(["export", model, "--to", "vensim", "-o", str(tmp_path / "m.mdl")]) == 0
    assert "INTEG" in (tmp_path / "m.mdl").read_text()
    for name in ("p.png", "m.png"):
        assert (tmp_path / name).stat().st_size > 5_000


def test_fit_verb_on_bundled_series(capsys):
    import richardson as rd

    model = str(MODELS / "classic_two_nation.toml")
    with pytest.warns(rd.RichardsonWarning, match="at a bound"):
        status = main(["fit", model, "--data", "pre_wwi_blocs", "--years", "1880:1913"])
    assert status == 0
    out = capsys.readouterr().out
    assert "k_Entente_Central_Powers" in out and "AIC" in out
    # the reaction at its bound 0 does not decide the verdict: the refit without it agrees
    assert "Regime: stable_balance" in out and "the constraint does not decide it" in out
    assert "Trend and unit roots:" in out


def test_fit_verb_uses_a_real_basis_and_withholds_nominal_verdicts(capsys):
    import richardson as rd

    model = str(MODELS / "classic_two_nation.toml")
    args = ["fit", model, "--data", "pre_wwi_blocs", "--years", "1880:1913"]
    with pytest.warns(rd.RichardsonWarning, match="wrong sign"):
        assert main([*args, "--method", "difference"]) == 0
    out = capsys.readouterr().out
    assert "data: pre_wwi_blocs, 1880-1913, thousand personnel" in out
    assert "the model's state unit 'million GBP (current)' is not the data's" in out
    # personnel have no prices: what withholds this verdict is a fatigue of the wrong sign
    assert "Regime: withheld" in out and "current prices" not in out
    with pytest.warns(rd.RichardsonWarning, match="current prices"):
        assert main([*args, "--measure", "milex", "--method", "difference"]) == 0
    out = capsys.readouterr().out
    assert "thousand current GBP" in out and "Regime: withheld" in out
    with pytest.warns(rd.RichardsonWarning, match="wrong sign") as caught:
        assert main([*args, "--measure", "milex", "--method", "difference", "--allow-nominal"]) == 0
    assert not any("current prices" in str(w.message) for w in caught)  # the guard is lifted
    assert main([*args, "--prices", "constant"]) == 2  # no open deflator for pounds
    assert "deflate" in capsys.readouterr().err
    assert main(["fit", model, "--data", "pre_wwi_blocs", "--years", "1880-1913"]) == 2


def test_errors_are_one_line_with_exit_code(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[model]\nname = "x"\n[equations]\nx = "__import__(\'os\')"\n')
    assert main(["simulate", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("richardson: error:")
    assert main(["simulate", str(tmp_path / "missing.toml")]) == 2
    assert main(["sweep", str(MODELS / "classic_two_nation.toml"), "--param", "k=0:2"]) == 2
    assert main(["analyze", str(MODELS / "classic_two_nation.toml"), "--set", "kk=1"]) == 2
    assert "NAME=START:STOP:COUNT" in capsys.readouterr().err


def test_every_scenario_run_covers_its_interventions():
    from richardson.app.demo import scenario_files

    scenarios = scenario_files()
    assert len(scenarios) >= 8
    for scenario in scenarios:
        t0, t1 = scenario.t_span
        for intervention in scenario.model.interventions:
            for moment in intervention.breakpoints():
                assert t0 <= moment <= t1, (scenario.key, intervention, scenario.t_span)


def test_analyze_judges_the_fate_of_a_start(capsys):
    model = str(MODELS / "classic_two_nation.toml")
    # Richardson's fitted 1909-1913 pair: goodwill and kl > ab, a threshold at about 97.5
    assert main(["analyze", model, "--y0", "90,90"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # the summary wraps its lines
    assert "Regime: threshold" in out and "Fate of the start" in out
    assert "lies below the threshold" in out
    assert main(["analyze", model, "--y0", "110,110"]) == 0
    assert "lies above the threshold and runs away" in " ".join(capsys.readouterr().out.split())
    assert main(["analyze", model, "--y0", "1,x"]) == 2
    assert "--y0 expects 2 comma-separated numbers" in capsys.readouterr().err
