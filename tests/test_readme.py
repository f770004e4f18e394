"""The README's Python example runs as written (from a folder holding configs/ and strategies/)."""

from __future__ import annotations

import re
import shutil

from tests.helpers import CONFIGS, ROOT, STRATEGIES


def test_readme_python_example_runs(tmp_path, monkeypatch, capsys):
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert blocks, "README has no python example"
    shutil.copytree(CONFIGS, tmp_path / "configs")
    shutil.copytree(STRATEGIES, tmp_path / "strategies")
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    printed = capsys.readouterr().out.split()
    assert float(printed[0]) > 0  # the Sharpe ratio
    assert printed[1] in {"abundant", "neutral", "scarce"}
    assert len(list((tmp_path / "results").glob("capital_scarcity-*/manifest.json"))) == 1


def test_readme_shows_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
