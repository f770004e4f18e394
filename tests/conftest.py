"""Shared fixtures: a writer for small test configs that use the repo's strategies."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.helpers import STRATEGIES


@pytest.fixture
def write_config(tmp_path):
    """Write a config dict to ``tmp_path/<name>.yaml``, using the repo's strategies."""

    def write(raw: dict, name: str = "test") -> Path:
        raw = {"strategies_dir": str(STRATEGIES), **raw}
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(raw, sort_keys=False))
        return path

    return write
