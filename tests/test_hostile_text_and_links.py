"""Terminal escapes in names and files, and symbolic links planted where rotation writes.

A name with ESC/OSC sequences could clear the screen, fake output and retitle the window: a
config refuses control characters in its names and text, and every line the CLI prints from a
file shows them escaped (``rotation.errors.printable``). Writes never go through a planted
link: the cache lock is opened without following one, and a staging folder is private to its
writer until it is published.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from rotation.cli import main
from rotation.config import read_config
from rotation.data.cache import Cache
from rotation.errors import ConfigError
from rotation.runs import new_folder
from tests.helpers import STRATEGIES, base_config

ESC = "\x1b[2J\x1b]0;pwned\x07ALL TESTS PASSED"
RAW = ("\x1b", "\x07", "\x9b")


def assert_no_raw_controls(text: str) -> None:
    assert not any(c in text for c in RAW), repr(text)


def write_config(tmp_path: Path, raw: dict, name: str = "cfg") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"strategies_dir": str(STRATEGIES), **raw}, allow_unicode=True))
    return path


def universe_with(sleeve: str = "risky", symbol: str = "MU") -> dict:
    return {sleeve: [symbol, "WDC"], "defensive": ["BIL"]}


CASES = {
    "name": ({"name": f"evil{ESC}"}, "name: contains the control character(s) \\x1b, \\x07"),
    "sleeve": ({"universe": universe_with(sleeve=f"s{ESC}")}, "universe: key 's\\x1b[2J"),
    "symbol": ({"universe": universe_with(symbol=f"MU{ESC}")}, "universe.risky[0]: contains"),
    "benchmark": ({"benchmark": "SPY\x9b2J"}, "benchmark: contains the control character(s) \\x9b"),
    "a newline in a name": ({"name": "a\nb"}, "name: contains the control character(s) \\n"),
    "a bidi override": (
        {"name": "abc\u202edcb"},
        "name: contains the control character(s) \\u202e",
    ),
    "description": ({"description": f"x{ESC}"}, "description: contains"),
    "grid value": (
        {"sweep": {"grid": {"strategy.params.top": [1, f"2{ESC}"]}}},
        "sweep.grid.strategy.params.top[1]: contains",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_control_characters_in_a_config_are_refused_and_shown_escaped(case, tmp_path):
    changes, message = CASES[case]
    path = write_config(tmp_path, {**base_config(), **changes})
    with pytest.raises(ConfigError, match=None) as caught:
        read_config(path)
    assert message in str(caught.value)
    out = CliRunner().invoke(main, ["backtest", str(path), "--results", str(tmp_path / "r")])
    assert out.exit_code == 2 and "Traceback" not in out.output
    assert message in out.output
    assert_no_raw_controls(out.output)
    assert not (tmp_path / "r").exists()
    if case == "description":  # text (not a name) may span lines and hold tabs
        path = write_config(tmp_path, {**base_config(), "description": "line one\nline\ttwo"})
        assert read_config(path).description == "line one\nline\ttwo"


def test_a_config_file_named_with_escapes_is_refused_in_printable_words(tmp_path):
    path = write_config(tmp_path, base_config(), name=f"evil{ESC}")
    out = CliRunner().invoke(main, ["backtest", str(path), "--results", str(tmp_path / "r")])
    assert out.exit_code == 2, out.output
    assert_no_raw_controls(out.output)
    assert "\\x1b[2J" in out.output


def test_a_run_folder_named_with_escapes_is_named_escaped(tmp_path):
    folder = tmp_path / f"run{ESC}"
    folder.mkdir()
    out = CliRunner().invoke(main, ["report", str(folder)])
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert_no_raw_controls(out.output)
    assert "run\\x1b[2J" in out.output


def test_the_cache_listing_shows_manifest_text_escaped(tmp_path):
    cache = Cache(tmp_path / "cache")
    frame = pd.DataFrame({"date": pd.date_range("2026-07-01", periods=3), "value": [1.0, 2, 3]})
    cache.write("macro", "DGS10", frame, source=f"fred{ESC}", url=f"u{ESC}",
                fetched_at=dt.datetime(2026, 7, 1, tzinfo=dt.UTC))  # fmt: skip
    for command in (["list"], ["show", "DGS10"]):
        out = CliRunner().invoke(main, ["data", *command, "--cache-dir", str(cache.root)])
        assert out.exit_code == 0, out.output
        assert_no_raw_controls(out.output)
        assert "fred\\x1b[2J" in out.output


def test_printable_escapes_every_control_and_keeps_plain_text():
    from rotation.errors import printable

    assert printable("plain text, ünïcode") == "plain text, ünïcode"
    assert printable("a\x1bb\x9bc\u202ed\x7fe\nf", keep="") == "a\\x1bb\\x9bc\\u202ed\\x7fe\\nf"
    assert printable("a\nb\tc") == "a\nb\tc"


# --- writes never go through a planted link -------------------------------------------------


def test_a_planted_cache_lock_link_is_not_followed(tmp_path):
    cache = Cache(tmp_path / "cache")
    cache.root.mkdir()
    victim = tmp_path / "created-through-the-link"
    (cache.root / ".lock").symlink_to(victim)
    frame = pd.DataFrame({"date": pd.date_range("2026-07-01", periods=3), "value": [1.0, 2, 3]})
    out = CliRunner().invoke(main, ["data", "list", "--cache-dir", str(cache.root)])
    assert out.exit_code == 0 or "cache lock" in out.output, out.output
    assert "Traceback" not in out.output
    with pytest.raises(Exception, match="cache lock"):
        cache.write("macro", "A", frame, source="fred", url="u", fetched_at=dt.datetime.now(dt.UTC))
    assert not victim.exists()


def test_a_staging_folder_is_private_until_published(tmp_path):
    with new_folder(tmp_path, "run") as staging:
        mode = stat.S_IMODE(staging.path.stat().st_mode)
        (staging.path / "file.txt").write_text("x")
    assert mode == 0o700
    mask = os.umask(0o022)
    os.umask(mask)
    assert staging.published is not None
    assert stat.S_IMODE(staging.published.stat().st_mode) == 0o777 & ~mask
    assert json.dumps(sorted(p.name for p in tmp_path.iterdir())) == '["run"]'
