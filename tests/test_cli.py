"""The command line and the main job (demo report)."""

import re

import pytest

from richardson.cli import main


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
