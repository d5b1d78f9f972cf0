"""The README's example runs and says what it prints."""

import ast
import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_example_runs_and_its_comments_are_true():
    text = README.read_text()
    block = re.search(r"## Ten lines\n\n```python\n(.*?)```", text, re.S).group(1)
    assert len(block.strip().splitlines()) <= 12
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(block, str(README), "exec"), {})  # noqa: S102 -- our own README
    printed = output.getvalue().splitlines()
    final = ast.literal_eval(printed[0])
    # at t = 30 the race is within 1e-3 of its balance (2.158, 1.842)
    assert abs(final["x"] - 0.82 / 0.38) < 2e-3 and abs(final["y"] - 0.70 / 0.38) < 2e-3
    assert printed[1].startswith("Runaway(actor='x', time=28.08")
