"""The Dask executor on a real LocalCluster on 127.0.0.1: same numbers as one process, data
scattered once, chunks of a killed worker run again."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from rotation.cli import main
from rotation.errors import RotationError
from rotation.pipeline import load_inputs
from rotation.sweep import sweep, variants_of
from rotation.validate import load_config
from tests.helpers import CONFIGS

distributed = pytest.importorskip("distributed")

from rotation.distributed import DaskExecutor, open_executor, require_dask, run_chunk  # noqa: E402

GRID = {
    "regime.scarce_enter": [0.3, 0.5, 0.8],
    "strategy.params.vol_lookback": [21, 63],
    "costs.fees": [0.0, 0.002],
}


@pytest.fixture(scope="module")
def thesis():
    config = load_config(CONFIGS / "capital_scarcity.yaml").replace(start=dt.date(2019, 1, 1))
    inputs = load_inputs(config)
    return config, inputs, sweep(config, GRID, inputs)


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):  # fmt: skip
        yield client


def test_same_numbers_as_one_process_and_inputs_scattered_once(thesis, client, monkeypatch):
    config, inputs, local = thesis
    scattered, submitted = [], []
    real_scatter, real_submit = client.scatter, client.submit
    monkeypatch.setattr(
        client, "scatter", lambda d, **k: scattered.append(d) or real_scatter(d, **k)
    )
    monkeypatch.setattr(
        client, "submit", lambda f, *a, **k: submitted.append(a) or real_submit(f, *a, **k)
    )
    done = []
    result = sweep(
        config, GRID, inputs, executor=DaskExecutor(client, chunk_size=5), progress=done.append
    )
    np.testing.assert_array_equal(result.value.to_numpy(), local.value.to_numpy())
    pd.testing.assert_frame_equal(result.table, local.table, check_exact=True)
    assert result.value.index.equals(local.value.index)
    assert sorted(done) == [2, 5, 5]  # 12 variants in chunks of 5, 5, 2
    assert len(scattered) == 1 and scattered[0] == [inputs]
    assert len(submitted) == 3
    for variants, data, _ in submitted:
        assert isinstance(data, distributed.Future)  # a reference to the scattered inputs
        assert all(type(v).__name__ == "Config" for v in variants)


def test_default_chunks_are_two_per_worker(client):
    executor = DaskExecutor(client)
    assert [(s.start, s.stop) for s in executor.chunks(10)] == [(0, 3), (3, 6), (6, 9), (9, 10)]


def test_variants_carry_an_absolute_config_path_to_workers_started_elsewhere(monkeypatch):
    from rotation.distributed import _portable

    monkeypatch.chdir(CONFIGS.parent)
    config = load_config("configs/capital_scarcity.yaml")  # a relative path, as typed
    variants = variants_of(config, {"costs.fees": [0.0, 0.001]})
    moved = _portable(variants)
    assert [v.source_path for v in moved] == [str(CONFIGS / "capital_scarcity.yaml")] * 2
    assert moved == variants  # source_path is not part of a config's identity
    monkeypatch.chdir("/")
    assert moved[0].resolve_path(moved[0].strategies_dir) == CONFIGS.parent / "strategies"


def test_a_chunk_that_raises_is_retried_then_its_error_is_raised(thesis, client, tmp_path):
    config, inputs, _ = thesis
    log = tmp_path / "tries.log"

    def failing(variants, inputs, memory_mb):
        with open(log, "a") as f:
            f.write("try\n")
        raise RotationError("chunk failed on purpose")

    executor = DaskExecutor(client, chunk_size=100, retries=2, task=failing)
    with pytest.raises(RotationError, match="chunk failed on purpose"):
        executor(variants_of(config, {"costs.fees": [0.0]}), inputs)
    assert log.read_text().count("try") == 3  # once, then 2 retries


def test_cli_joins_a_running_cluster_by_address(client, tmp_path):
    address = client.scheduler_info()["address"]
    args = [
        "sweep", str(CONFIGS / "capital_scarcity.yaml"), "--grid", "regime.scarce_enter=0.3,0.8",
        "--grid", "costs.fees=0,0.002",
    ]  # fmt: skip
    remote = CliRunner().invoke(
        main,
        [*args, "--executor", "dask", "--scheduler", address, "--results", str(tmp_path / "d")],
    )
    assert remote.exit_code == 0, remote.output
    assert f"scheduler {address}" in remote.output
    local = CliRunner().invoke(main, [*args, "--results", str(tmp_path / "l")])
    assert local.exit_code == 0, local.output
    tables = [pd.read_csv(next((tmp_path / d).glob("*-sweep-*/variants.csv"))) for d in ("d", "l")]
    pd.testing.assert_frame_equal(tables[0], tables[1], check_exact=True)
    summary = json.loads(next((tmp_path / "d").glob("*-sweep-*/summary.json")).read_text())
    assert summary["overfitting"]["n_trials"] == 4 and 0 <= summary["overfitting"]["pbo"] <= 1
    assert "deflated Sharpe ratio (DSR)" in remote.output
    assert client.status == "running"  # joining did not close the cluster


def test_clear_errors_without_dask_or_with_misused_options(monkeypatch):
    out = CliRunner().invoke(
        main, ["sweep", str(CONFIGS / "capital_scarcity.yaml"), "--grid", "a=1", "--workers", "2"]
    )
    assert out.exit_code == 2 and "--workers and --scheduler need --executor dask" in out.output
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(RotationError, match=r"pip install 'dask\[distributed\]'"):
        require_dask()
    with pytest.raises(RotationError, match="needs Dask"), open_executor():
        pass


def test_a_worker_killed_mid_sweep_loses_no_chunk(thesis, client, tmp_path):
    """Chunks are slowed so both workers are busy; one worker process is killed (SIGKILL)
    while it runs a chunk; its nanny restarts it, the scheduler runs the chunk again."""
    config, inputs, local = thesis
    log = tmp_path / "chunks.log"

    def slow(variants, inputs, memory_mb):
        label = ",".join(
            f"{v.regime.scarce_enter}/{v.strategy.params['vol_lookback']}/{v.costs.fees}"
            for v in variants
        )
        with open(log, "a") as f:
            f.write(f"start {os.getpid()} {label}\n")
        time.sleep(1.5)
        result = run_chunk(variants, inputs, memory_mb)
        with open(log, "a") as f:
            f.write(f"end {os.getpid()} {label}\n")
        return result

    pids = set(client.run(os.getpid).values())
    killed: list[int] = []

    def killer():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not killed:
            lines = log.read_text().splitlines() if log.exists() else []
            started = [line.split()[1] for line in lines if line.startswith("start")]
            if started:
                time.sleep(0.3)  # well inside the 1.5 s chunk
                pid = int(started[0])
                assert pid in pids
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            time.sleep(0.05)

    thread = threading.Thread(target=killer)
    thread.start()
    try:
        result = sweep(config, GRID, inputs, executor=DaskExecutor(client, chunk_size=2, task=slow))
    finally:
        thread.join()
    assert killed, "no worker was killed"
    lines = [line.split() for line in log.read_text().splitlines()]
    labels = {label for _, _, label in lines}
    assert len(labels) == 6  # 12 variants in chunks of 2
    lost = {label for kind, pid, label in lines if kind == "start" and int(pid) == killed[0]} - {
        label for kind, pid, label in lines if kind == "end" and int(pid) == killed[0]
    }
    assert lost, "the killed worker was not running a chunk"
    finished = {label for kind, _, label in lines if kind == "end"}
    assert finished == labels  # every chunk finished, the lost one elsewhere or after restart
    np.testing.assert_array_equal(result.value.to_numpy(), local.value.to_numpy())
    pd.testing.assert_frame_equal(result.table, local.table, check_exact=True)


def test_pbo_is_the_same_in_any_layout_chunking_or_executor(client):
    # thresholds that trade alike most of the time: variants identical on some blocks,
    # whose Sharpe ratios there must be equal bit for bit for the ranking to be decided by
    # the returns, not by rounding (main once gave PBO 0.626 in C order, 0.685 in F order)
    from rotation.overfit import pbo_cscv
    from rotation.sweep import overfitting

    config = load_config(CONFIGS / "capital_scarcity.yaml")
    inputs = load_inputs(config)
    grid = {"regime.scarce_enter": [0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1]}
    whole = sweep(config, grid, inputs)
    chunks: list[int] = []
    chunked = sweep(config, grid, inputs, memory_mb=0.1, progress=chunks.append)
    assert len(chunks) > 2
    on_dask = sweep(config, grid, inputs, executor=DaskExecutor(client, chunk_size=3))
    returns = whole.excess_returns().to_numpy()
    expected = pbo_cscv(np.ascontiguousarray(returns))
    assert pbo_cscv(np.asfortranarray(returns)).pbo == expected.pbo
    np.testing.assert_array_equal(pbo_cscv(np.asfortranarray(returns)).logits, expected.logits)
    for result in (whole, chunked, on_dask):
        stats = overfitting(result, "sharpe")
        assert stats["pbo"] == expected.pbo and stats["n_distinct"] == expected.n_distinct
    assert expected.n_distinct < 7  # some thresholds trade identically: collapsed
