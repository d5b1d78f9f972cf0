"""The code of docs/delays.md runs, and the numbers it quotes are the ones it computes."""

import contextlib
import io
import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "delays.md"


@pytest.mark.slow
def test_the_delays_page_runs_and_quotes_its_numbers():
    text = PAGE.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 5
    namespace: dict = {}
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        for block in blocks:
            exec(compile(block, str(PAGE), "exec"), namespace)  # noqa: S102 -- our own page
    printed = output.getvalue()
    assert "stable_balance oscillatory" in printed
    assert "critical delay 1.02 years, period 10.2 years" in printed
    assert namespace["c"].delay == pytest.approx(1.02054, abs=1e-5)
    # the explanation quoted on the page is the one classify gives
    quoted = " ".join(line[2:] for line in text.splitlines() if line.startswith("> "))
    assert quoted == namespace["regime"].explanation
