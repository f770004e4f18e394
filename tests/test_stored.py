"""Past runs as data: ``rotation.load_run`` gives back the Backtest a run produced, running
nothing; ``list_runs`` lists a results folder without tripping on what is not a run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import rotation
from rotation.backtest import Backtest, run_backtest
from rotation.runs import save
from rotation.stored import list_runs, load_run
from rotation.validate import load_config
from tests.helpers import base_config


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """(the Backtest a run produced, its folder) of a small config named with HTML in it."""
    import yaml

    from tests.helpers import STRATEGIES

    root = tmp_path_factory.mktemp("stored")
    path = root / "odd.yaml"
    raw = {"strategies_dir": str(STRATEGIES), **base_config(name="alt <b>&amp; 'x'")}
    path.write_text(yaml.safe_dump(raw))
    result = run_backtest(load_config(path))
    return result, save(result, root / "results")


def test_load_run_gives_back_the_backtest_it_saved(saved, monkeypatch):
    result, folder = saved

    def no_kernel(*args, **kwargs):
        raise AssertionError("the engine ran")

    monkeypatch.setattr("rotation.engine.simulate_from_weights_frame", no_kernel)
    loaded = rotation.load_run(folder)  # the public, lazily loaded name
    assert isinstance(loaded, Backtest)
    assert loaded.metrics == json.loads((folder / "metrics.json").read_text())
    assert loaded.metrics == json.loads(json.dumps(result.metrics, default=str))
    assert loaded.config == result.config
    assert loaded.config.config_hash() == loaded.identity.config_hash
    assert loaded.identity == result.identity and loaded.identity.run_id in folder.name
    assert loaded.window == result.window and loaded.notes == result.notes
    sim, original = loaded.simulation, result.simulation
    pd.testing.assert_series_equal(sim.value, original.value)
    pd.testing.assert_series_equal(loaded.excess_returns, result.excess_returns)
    pd.testing.assert_series_equal(loaded.benchmark_value, result.benchmark_value)
    pd.testing.assert_frame_equal(sim.weights, original.weights, check_freq=False)
    pd.testing.assert_frame_equal(sim.shares, original.shares, check_freq=False, atol=1e-9)
    pd.testing.assert_frame_equal(loaded.targets, result.targets, check_freq=False)
    pd.testing.assert_frame_equal(sim.executed_targets, original.executed_targets, check_freq=False)
    pd.testing.assert_frame_equal(loaded.signals, result.signals, check_freq=False)
    assert loaded.regime.fillna("-").equals(result.regime.fillna("-").astype(object))
    for total in ("turnover", "initial_turnover", "fees_paid", "fee_drag_sum"):
        assert getattr(sim, total) == pytest.approx(getattr(original, total), rel=1e-12)


def test_load_run_names_what_is_missing(saved, tmp_path):
    with pytest.raises(rotation.RotationError, match="manifest.json is missing: is .* a run"):
        load_run(tmp_path)
    _, folder = saved
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    (copy / "equity.csv").unlink()
    with pytest.raises(rotation.RotationError, match="equity.csv"):
        load_run(copy)


def test_import_rotation_stays_cheap():
    probe = "import sys, rotation; rotation.load_run; print('pandas' in sys.modules)"
    lazy = "import sys, rotation; print('pandas' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", lazy], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"  # fmt: skip
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"  # fmt: skip


def test_results_show_as_escaped_html_in_jupyter(saved):
    from rotation.compare import compare

    result, folder = saved
    page = load_run(folder)._repr_html_()
    assert "alt &lt;b&gt;&amp;amp; &#x27;x&#x27;" in page and "<b>" not in page
    assert f"{result.metrics['sharpe']:.2f}" in page  # the table's Sharpe cell
    both = compare([load_run(folder), load_run(folder)])._repr_html_()
    assert both.count("alt &lt;b&gt;") == 2 and "<b>" not in both


def test_list_runs_skips_other_folders_and_notes_damaged_runs(saved, tmp_path):
    import shutil

    _, folder = saved
    results = tmp_path / "results"
    good = results / folder.name
    shutil.copytree(folder, good)
    broken = results / "broken-run"
    shutil.copytree(folder, broken)
    (broken / "metrics.json").write_text("{not json")
    gone = results / "gone-run"
    shutil.copytree(folder, gone)
    (gone / "manifest.json").unlink()
    (results / "compare-20260101T000000").mkdir()
    (results / ".incomplete-x").mkdir()
    (results / "note.txt").write_text("a file, not a folder")
    found = list_runs(results)
    assert [r.folder for r in found.runs] == [good]
    assert found.runs[0].metrics["sharpe"] == load_run(good).metrics["sharpe"]
    assert found.skipped == [".incomplete-x", "compare-20260101T000000"]
    reasons = dict(found.damaged)
    assert set(reasons) == {broken, gone}
    assert "metrics.json" in reasons[broken] and "manifest.json" in reasons[gone]
    assert np.isfinite(found.runs[0].metrics["sharpe"])


def test_a_sweep_result_shows_as_escaped_html():
    from rotation.sweep import SweepResult

    table = pd.DataFrame({"strategy.name": ["<script>x</script>"], "sharpe": [1.25]})
    result = SweepResult(
        table=table, value=pd.DataFrame({0: [1.0, 1.1]}), overrides=[{}],
        risk_free=pd.Series([0.0, 0.0]),
    )  # fmt: skip
    page = result._repr_html_()
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>" not in page
    assert "1.25" in page
