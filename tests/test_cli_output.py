"""The CLI for scripts: --json alone on stdout, -q, one exit-code table, `rotation runs`,
compare of run folders (nothing re-run), globs in `report`, formatted sweeps, progress."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from rotation.cli import main
from tests.helpers import STRATEGIES, base_config


def _config(root: Path, name: str, **changes) -> Path:
    path = root / f"{name}.yaml"
    raw = {"strategies_dir": str(STRATEGIES), **base_config(name=name, **changes)}
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _invoke(*args: object, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """(results folder, config paths, the backtest's --json) of two small configs run twice."""
    root = tmp_path_factory.mktemp("cli")
    paths = [_config(root, "thesis"), _config(root, "cheap", costs={"fees": 0.0, "slippage": 0.0})]
    results = root / "results"
    outcome = _invoke("backtest", *paths, "--results", results, "--json")
    assert outcome.exit_code == 0, outcome.output
    again = _invoke("backtest", paths[0], "--results", results, "-q")
    assert again.exit_code == 0, again.output
    return results, paths, json.loads(outcome.stdout), again


def test_backtest_json_is_alone_on_stdout_and_matches_the_folders(runs):
    results, _, document, _ = runs
    assert [r["name"] for r in document["runs"]] == ["thesis", "cheap"]
    for record in document["runs"]:
        folder = Path(record["folder"])
        assert folder.parent == results and record["run_id"] in folder.name
        written = json.loads((folder / "metrics.json").read_text())
        assert record["metrics"]["sharpe"] == written["sharpe"]
        assert Path(record["report"]).is_file()


def test_quiet_prints_only_the_folder(runs):
    results, _, _, again = runs
    (line,) = again.stdout.splitlines()
    assert Path(line).parent == results and Path(line).is_dir()
    assert again.stderr == ""


def test_runs_lists_filters_and_sorts(runs):
    results, _, document, _ = runs
    (results / "compare-20260101T000000").mkdir(exist_ok=True)
    listed = _invoke("runs", "--results", results)
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:2] == ["name", "created"] and len(lines) == 4
    assert "skipped 1 folder that is not a backtest run (compare-20260101T000000)" in (
        listed.stderr
    )
    as_json = json.loads(_invoke("runs", "--results", results, "--json").stdout)
    assert len(as_json["runs"]) == 3 and as_json["skipped"] == ["compare-20260101T000000"]
    cheap = next(r for r in document["runs"] if r["name"] == "cheap")
    by_name = json.loads(_invoke("runs", "--results", results, "--name", "ch*", "--json").stdout)
    assert [r["run_id"] for r in by_name["runs"]] == [cheap["run_id"]]
    thesis = json.loads((Path(document["runs"][0]["folder"]) / "manifest.json").read_text())
    same = _invoke(
        "runs", "--results", results, "--config-hash", thesis["config_hash"][:8], "--json"
    )
    assert {r["name"] for r in json.loads(same.stdout)["runs"]} == {"thesis"}
    assert len(json.loads(same.stdout)["runs"]) == 2
    later = _invoke("runs", "--results", results, "--since", "2999-01-01", "--json")
    assert json.loads(later.stdout)["runs"] == []
    # cost drag: free trading is cheaper, so "cheap" comes first by costs (lower is better)
    # and last... by its own direction for Sharpe it is the best (higher is better)
    by_costs = json.loads(
        _invoke("runs", "--results", results, "--sort", "costs_paid", "--json").stdout
    )
    assert by_costs["runs"][0]["name"] == "cheap"
    by_sharpe = json.loads(
        _invoke("runs", "--results", results, "--sort", "sharpe", "--json").stdout
    )
    sharpes = [r["metrics"]["sharpe"] for r in by_sharpe["runs"]]
    assert sharpes == sorted(sharpes, reverse=True)


def test_runs_notes_a_damaged_run_and_goes_on(runs, tmp_path):
    import shutil

    results, _, document, _ = runs
    copy = tmp_path / "results"
    shutil.copytree(results, copy)
    broken = copy / Path(document["runs"][1]["folder"]).name
    (broken / "manifest.json").write_text("[")
    listed = _invoke("runs", "--results", copy)
    assert listed.exit_code == 0
    assert f"note: skipped damaged run {broken.name}: cannot read" in listed.stderr
    assert len(listed.stdout.splitlines()) == 3  # header + the two others


def test_compare_reads_run_folders_without_running_anything(runs, monkeypatch, tmp_path):
    _, _, document, _ = runs

    def no_engine(*args, **kwargs):
        raise AssertionError("the engine ran for a run folder")

    # rotation.compare first: importing it after the pipeline's patch would bind the patch
    monkeypatch.setattr("rotation.compare.load_inputs", no_engine)
    monkeypatch.setattr("rotation.pipeline.load_inputs", no_engine)
    monkeypatch.setattr("rotation.engine.simulate_from_weights_frame", no_engine)
    folders = [r["folder"] for r in document["runs"]]
    out = tmp_path / "out"
    outcome = _invoke("compare", *folders, "--results", out, "--json")
    assert outcome.exit_code == 0, outcome.output
    table = json.loads(outcome.stdout)["table"]
    for record in document["runs"]:
        written = json.loads((Path(record["folder"]) / "metrics.json").read_text())
        for key in ("sharpe", "total_return", "max_drawdown", "costs_paid"):
            assert table[record["name"]][key] == written[key]
    assert [p.name.split("-")[0] for p in out.iterdir()] == ["compare"]  # no new run folder


def test_compare_mixes_configs_and_run_folders(runs, tmp_path):
    _, paths, document, _ = runs
    outcome = _invoke(
        "compare", document["runs"][0]["folder"], paths[1], "--results", tmp_path, "--json"
    )
    assert outcome.exit_code == 0, outcome.output
    table = json.loads(outcome.stdout)["table"]
    ran = next(r for r in document["runs"] if r["name"] == "cheap")["metrics"]
    assert table["cheap"]["sharpe"] == pytest.approx(ran["sharpe"], rel=1e-12)


def test_wide_comparisons_wrap_to_the_terminal(runs, tmp_path):
    _, _, document, _ = runs
    folders = [r["folder"] for r in document["runs"]] * 3
    narrow = _invoke("compare", *folders, "--results", tmp_path, env={"COLUMNS": "70"})
    assert narrow.exit_code == 0, narrow.output
    table = narrow.stdout.split("\n\nluck check")[0]
    assert max(len(line) for line in table.splitlines()) <= 70
    assert table.count("\nSharpe ") + table.startswith("Sharpe") >= 2  # labels again per block
    wide = _invoke("compare", *folders, "--results", tmp_path, env={"COLUMNS": "400"})
    assert wide.stdout.split("\n\nluck check")[0].count("Sharpe ") == 1


BAD = [
    (["backtest", "missing.yaml"], 2, "config error:"),
    (["backtest", "--bogus", "x.yaml"], 2, "usage error:"),
    (["nosuchcommand"], 2, "usage error:"),
    (["compare", "{cfg}", "--rank-by", "nope"], 2, "config error:"),
    (["sweep", "{cfg}", "--grid", "costs.fees=0,0.001", "--metric", "nope"], 2, "config error:"),
    (["signals", "missing.yaml"], 2, "config error:"),
    (["check", "lookahead", "missing.yaml"], 2, "config error:"),
    (["runs", "--results", "{tmp}/nowhere"], 2, "config error:"),
    (["runs", "--results", "{tmp}", "--sort", "nope"], 2, "config error:"),
    (["runs", "--since", "yesterday"], 2, "usage error:"),
    (["strategies", "--dir", "{tmp}/nowhere"], 2, "config error:"),
    (["report", "{tmp}"], 1, "error:"),
    (["compare", "{tmp}", "{cfg}"], 1, "error:"),
    (["backtest", "{cfg}", "--json", "--bogus"], 2, "usage error:"),
]


@pytest.mark.parametrize(("args", "status", "prefix"), BAD, ids=[" ".join(b[0]) for b in BAD])
def test_bad_invocations_exit_with_the_same_codes_everywhere(args, status, prefix, tmp_path):
    cfg = _config(tmp_path, "ok")
    outcome = _invoke(*(a.format(cfg=cfg, tmp=tmp_path) for a in args))
    assert outcome.exit_code == status, outcome.output
    assert outcome.stdout == ""  # errors go to stderr only
    last = outcome.stderr.strip().splitlines()[-1]
    assert last.startswith(prefix), last
    assert "Traceback" not in outcome.stderr


def test_help_documents_exit_codes_and_completion():
    text = _invoke("--help").stdout
    for line in (
        "0    ok",
        "1    a check failed",
        "2    usage or config error",
        "130  interrupted",
    ):
        assert line in text
    assert "_ROTATION_COMPLETE=bash_source rotation" in text


def test_shell_completion_completes_commands():
    env = {**os.environ, "_ROTATION_COMPLETE": "bash_complete", "COMP_WORDS": "rotation ru",
           "COMP_CWORD": "1"}  # fmt: skip
    code = "import sys; sys.argv[0] = 'rotation'; from rotation.cli import entry; entry()"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert "plain,runs" in done.stdout.splitlines()
    env["_ROTATION_COMPLETE"] = "bash_source"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert "complete -o nosort -F _rotation_completion rotation" in done.stdout


def test_strategies_outside_the_project_root_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outcome = _invoke("strategies")
    assert outcome.exit_code == 2
    assert f"looked in {tmp_path.resolve() / 'strategies'}" in outcome.stderr
    listed = _invoke("strategies", "--dir", STRATEGIES, "--json")
    names = [s["name"] for s in json.loads(listed.stdout)["strategies"]]
    assert "capital_scarcity" in names


def test_report_over_a_glob_skips_what_is_not_a_run(runs, tmp_path):
    import shutil

    results, _, _, _ = runs
    copy = tmp_path / "results"
    shutil.copytree(results, copy)
    (copy / "capital_scarcity-sweep-20260101T000000").mkdir()
    (copy / "capital_scarcity-sweep-20260101T000000" / "summary.json").write_text("{}")
    (copy / "compare-20260101T000000").mkdir(exist_ok=True)
    folders = sorted(p for p in copy.iterdir() if p.is_dir())
    outcome = _invoke("report", *folders)
    assert outcome.exit_code == 0, outcome.output
    assert outcome.stderr.count("not a backtest run folder") == 2
    assert sum(line.startswith("report ") for line in outcome.stdout.splitlines()) == 3
    none = _invoke(
        "report", copy / "compare-20260101T000000", copy / "capital_scarcity-sweep-20260101T000000"
    )
    assert none.exit_code == 1 and "none of the 2 folders is a backtest run" in none.stderr


def test_sweep_prints_formatted_numbers_and_dsr_in_annual_units(runs, tmp_path):
    _, paths, _, _ = runs
    outcome = _invoke(
        "sweep", paths[0], "--grid", "regime.scarce_enter=0.3,0.8", "--results", tmp_path
    )
    assert outcome.exit_code == 0, outcome.output
    lines = outcome.stdout.splitlines()
    folder = Path(lines[-1].removeprefix("wrote "))
    summary = json.loads((folder / "summary.json").read_text())
    overfit = summary["overfitting"]
    total = next(line for line in lines if line.strip().startswith("total_return"))
    assert total.split()[-1].endswith("%")
    sharpe = next(line for line in lines if line.strip().startswith("sharpe"))
    assert len(sharpe.split()[-1].split(".")[-1]) == 2  # 1.21, not 1.21026
    dsr = next(line for line in lines if "(DSR)" in line and "trials" in line)
    assert f"its Sharpe {overfit['sharpe']:.2f} vs " in dsr and "both annualized" in dsr
    expected = overfit["expected_max_sharpe"]
    shown = f"{expected:.2f}" if abs(expected) >= 0.1 else f"{expected:.2g}"
    assert f"vs {shown}," in dsr
    document = _invoke("sweep", paths[0], "--grid", "regime.scarce_enter=0.3,0.8", "--results",
                       tmp_path, "--json")  # fmt: skip
    parsed = json.loads(document.stdout)
    assert parsed["variants"] == 2 and parsed["overfitting"]["dsr"] == pytest.approx(overfit["dsr"])


def test_signals_and_check_speak_json(runs, tmp_path):
    _, paths, _, _ = runs
    signals = _invoke("signals", paths[0], "--results", tmp_path, "--json")
    assert signals.exit_code == 0, signals.output
    current = json.loads(signals.stdout)["current"]
    assert current["regime"] in ("scarce", "neutral", "abundant")
    assert set(current["components"]) >= {"cost_of_capital", "credit"}
    check = _invoke("check", "lookahead", paths[0], "--samples", "1", "--json", "-q")
    assert check.exit_code == 0, check.output
    assert json.loads(check.stdout)["passed"] is True and check.stderr == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_after_the_delay_and_erases_itself():
    from rotation.cli._options import Progress

    stream = _Terminal()
    with Progress(True, delay=0.05, stream=stream) as progress:
        progress.stage("simulating", total=10)
        progress.advance(4)
        time.sleep(0.4)
    text = stream.getvalue()
    assert "simulating 4/10" in text and text.endswith("\r\x1b[K")
    quick = _Terminal()
    with Progress(True, delay=5.0, stream=quick):
        pass
    assert quick.getvalue() == ""  # quick work shows nothing
    off = _Terminal()
    with Progress(False, delay=0.0, stream=off):
        time.sleep(0.2)
    assert off.getvalue() == ""


def test_progress_only_on_a_terminal_and_never_with_json_or_quiet(monkeypatch):
    from rotation.cli._options import Output

    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert Output().interactive
    assert not Output(as_json=True).interactive and not Output(quiet=True).interactive
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not Output().interactive


def test_first_run_says_it_compiles_the_engine_once(runs, monkeypatch, tmp_path):
    _, paths, _, _ = runs
    monkeypatch.setattr("rotation._sim.compiled_on_disk", lambda: False)
    outcome = _invoke("backtest", paths[1], "--results", tmp_path)
    assert outcome.exit_code == 0
    assert "note: compiling the engine once (about 15 s)" in outcome.stderr
    quiet = _invoke("backtest", paths[1], "--results", tmp_path, "-q")
    assert "compiling" not in quiet.stderr


def test_thesis_quiet_prints_only_its_folder(runs, tmp_path):
    _, paths, _, _ = runs
    outcome = _invoke("thesis", paths[0], "--draws", "20", "--results", tmp_path, "-q")
    assert outcome.exit_code == 0, outcome.output
    (line,) = outcome.stdout.splitlines()
    assert Path(line).parent == tmp_path and (Path(line) / "thesis.json").is_file()
    assert outcome.stderr == ""
