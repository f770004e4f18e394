"""Faults around the CLI: killed midway, two runs at once, a full disk, a read-only folder.

The subprocess scenarios start together (one CLI start costs seconds: vectorbt and numba load)
and each is checked by its own test. Kill points are seeded random delays after a landmark the
test can see from outside: the CLI module starting its imports (``-X importtime`` prints it), the
``.incomplete-*`` staging folder appearing (the run is being written), and its
``manifest.json`` appearing (the report is being written, before the folder is published). What
must hold after any kill: every folder in the results folder without the ``.incomplete-``
prefix is a complete, readable run; SIGINT prints one line, ``interrupted``, and exits with 130;
the data cache verifies clean.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from rotation.backtest import run_backtest
from rotation.cli import main
from rotation.data.cache import Cache
from rotation.errors import RotationError
from rotation.runs import save
from rotation.validate import load_config
from tests.data.conftest import RECORDED, LocalServer
from tests.helpers import CONFIGS

CONFIG = CONFIGS / "spy_buy_hold.yaml"
BACKTEST = ["backtest", str(CONFIG), "--start", "2015-01-01"]
RUN_FILES = {
    "config.yaml", "manifest.json", "metrics.json", "equity.csv", "weights.csv",
    "prices.csv", "targets.csv", "orders.csv", "signals.csv", "regime.csv",
}  # fmt: skip
FILE_LIMIT = 16 * 1024  # bytes: RLIMIT_FSIZE of the "disk full" run; equity.csv is ~150 KB

# Start the CLI as a terminal would: Python's own SIGINT handler installed (a test runner in the
# background inherits SIGINT ignored, and so would the child), optionally a tiny file size limit
# with SIGXFSZ ignored so that writes fail with EFBIG, as on a full disk.
SHIM = """
import resource, runpy, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
limit = int(sys.argv.pop(1))
if limit:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
script = sys.argv.pop(1)
if script:
    sys.argv[0] = script
    runpy.run_path(script, run_name="__main__")
else:
    from rotation.cli import main
    sys.exit(main())
"""
CLICK_IMPORTED = re.compile(r"\|\s*click$")  # -X importtime: rotation.cli has begun its imports


def cli(*args: str, importtime: bool = False, file_limit: int = 0) -> list[str]:
    script = shutil.which("rotation", path=str(Path(sys.executable).parent)) or ""
    flags = ["-X", "importtime"] if importtime else []
    return [sys.executable, *flags, "-c", SHIM, str(file_limit), script, *args]


@dataclasses.dataclass
class Spawned:
    """One CLI process, what it printed, and when (and whether) it was sent its signal."""

    label: str
    process: subprocess.Popen
    results: Path | None = None
    signal: int | None = None
    due: Callable[[Spawned, float], bool] | None = None
    started: float = dataclasses.field(default_factory=time.monotonic)
    stdout: list[str] = dataclasses.field(default_factory=list)
    stderr: list[str] = dataclasses.field(default_factory=list)
    landmarks: dict[str, float] = dataclasses.field(default_factory=dict)
    sent_at: float | None = None
    readers: list[threading.Thread] = dataclasses.field(default_factory=list)

    def read(self) -> None:
        for stream, lines in (
            (self.process.stdout, self.stdout),
            (self.process.stderr, self.stderr),
        ):
            thread = threading.Thread(target=self._drain, args=(stream, lines), daemon=True)
            thread.start()
            self.readers.append(thread)

    def _drain(self, stream, lines: list[str]) -> None:
        for line in stream:
            line = line.rstrip("\n")
            lines.append(line)
            if "click" not in self.landmarks and CLICK_IMPORTED.search(line):
                self.landmarks["click"] = time.monotonic()

    @property
    def messages(self) -> list[str]:
        """stderr without ``-X importtime``'s lines."""
        return [line for line in self.stderr if not line.startswith("import time:")]

    @property
    def returncode(self) -> int | None:
        return self.process.returncode


def spawn(label: str, command: list[str], cwd: Path, **fields) -> Spawned:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROTATION_")}
    env.update(fields.pop("env", {}))
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    spawned = Spawned(label, process, **fields)
    spawned.read()
    return spawned


def after_landmark(name: str, delay: float) -> Callable[[Spawned, float], bool]:
    """Due ``delay`` seconds after landmark ``name`` was first seen."""

    def due(spawned: Spawned, now: float) -> bool:
        if name not in spawned.landmarks:
            if name in ("staging", "report") and spawned.results.is_dir():
                names = os.listdir(spawned.results)
                staged = [n for n in names if n.startswith(".incomplete-")]
                # "report": the run's files are written and the report is being built
                written = any((spawned.results / n / "manifest.json").exists() for n in staged)
                if (name == "staging" and staged) or (name == "report" and written):
                    spawned.landmarks[name] = now
            if name == "manifest" and (spawned.results / "manifest.json").exists():
                spawned.landmarks[name] = now
        return name in spawned.landmarks and now - spawned.landmarks[name] >= delay

    return due


def supervise(spawned: list[Spawned], timeout: float = 400) -> None:
    """Send each process its signal when due; wait for all of them."""
    deadline = time.monotonic() + timeout
    while any(s.process.poll() is None for s in spawned):
        now = time.monotonic()
        if now > deadline:
            for s in spawned:
                s.process.kill()
            raise AssertionError("CLI processes still running after the timeout")
        for s in spawned:
            if s.signal and s.sent_at is None and s.process.poll() is None and s.due(s, now):
                s.process.send_signal(s.signal)
                s.sent_at = now
        time.sleep(0.002)
    for s in spawned:
        for reader in s.readers:
            reader.join(timeout=10)


KILL_POINTS = ("importing", "staging", "report")
FRED_CSV = "/graph/fredgraph.csv"
SERIES = ("DGS10", "WALCL", "NFCI")
NFCI_SYNTHETIC = b"observation_date,NFCI\n2026-07-03,-0.5\n2026-07-10,-0.51\n"


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory) -> Iterator[dict[str, Spawned | dict]]:
    """Start every subprocess scenario at once, supervise them, and hand back the outcomes."""
    root = tmp_path_factory.mktemp("faults")
    rng = random.Random(20261125)  # the kill delays are random but the same on every run
    out: dict[str, Spawned | dict] = {}
    for sig in (signal.SIGINT, signal.SIGKILL):
        for point in KILL_POINTS:
            label = f"{sig.name}-{point}"
            results = root / label
            landmark = "click" if point == "importing" else point
            # the staging folder and the report (~0.3 s, no static copies) are brief phases
            delay = rng.uniform(0, 0.8) if point == "importing" else rng.uniform(0, 0.03)
            out[label] = spawn(
                label,
                cli(*BACKTEST, "--results", str(results), importtime=point == "importing"),
                root,
                results=results,
                signal=sig,
                due=after_landmark(landmark, delay),
            )
    shared = root / "shared"
    for n in (1, 2):
        out[f"concurrent-{n}"] = spawn(
            f"concurrent-{n}", cli(*BACKTEST, "--results", str(shared), "-q"), root, results=shared
        )
    out["disk-full"] = spawn(
        "disk-full",
        cli(*BACKTEST, "--results", str(root / "full"), file_limit=FILE_LIMIT),
        root,
        results=root / "full",
    )
    server = LocalServer()
    server.start()
    for series_id in SERIES:
        recorded = RECORDED / f"fred_{series_id}.csv"  # NFCI: two synthetic rows
        body = recorded.read_bytes() if recorded.exists() else NFCI_SYNTHETIC
        server.route(FRED_CSV, body, query=("id", series_id), delay=0.3)
    cache = root / "cache"
    fetch = ["data", "fetch", "--symbols", ",".join(SERIES), "--source", "fred", "--full"]
    env = {"ROTATION_FRED_URL": server.url, "ROTATION_CACHE": str(cache)}
    for n in (1, 2):  # both at once; the second is killed once the first writes have landed
        out[f"fetch-{n}"] = spawn(
            f"fetch-{n}",
            cli(*fetch),
            root,
            env=env,
            results=cache,
            signal=signal.SIGKILL if n == 2 else None,
            due=after_landmark("manifest", rng.uniform(0, 0.5)) if n == 2 else None,
        )
    try:
        supervise([s for s in out.values() if isinstance(s, Spawned)])
    finally:
        server.stop()
    out["server"] = {"requests": len(server.requests_to(FRED_CSV)), "cache": cache}
    yield out


def check_results(results: Path) -> tuple[list[Path], list[Path]]:
    """(complete runs, folders marked incomplete); fails on anything else in ``results``."""
    complete, marked = [], []
    for entry in sorted(results.iterdir()) if results.exists() else []:
        if entry.name.startswith(".incomplete-"):
            marked.append(entry)
            continue
        assert entry.is_dir(), entry
        files = {p.name for p in entry.iterdir()}
        assert files >= RUN_FILES, f"{entry} lacks {RUN_FILES - files}"
        assert files - RUN_FILES == {"report.html"}, files  # written before publishing
        manifest = json.loads((entry / "manifest.json").read_text())
        metrics = json.loads((entry / "metrics.json").read_text())
        assert manifest["run_id"] in entry.name
        equity = pd.read_csv(entry / "equity.csv", index_col="date")
        assert equity["value"].iloc[-1] == pytest.approx(metrics["final_value"], rel=1e-12)
        assert str(equity.index[-1]) == metrics["end"]
        for name in ("weights.csv", "signals.csv", "orders.csv", "regime.csv", "targets.csv"):
            pd.read_csv(entry / name)
        assert (entry / "report.html").read_text().rstrip().endswith("</html>")
        complete.append(entry)
    return complete, marked


@pytest.mark.parametrize("point", KILL_POINTS)
def test_sigint_prints_interrupted_and_leaves_no_partial_run(point, scenarios):
    spawned = scenarios[f"SIGINT-{point}"]
    assert spawned.sent_at is not None, "the run ended before its kill point"
    assert spawned.returncode == 130, spawned.messages
    assert spawned.messages[-1] == "interrupted"
    assert "Traceback" not in "\n".join(spawned.messages)
    complete, marked = check_results(spawned.results)
    assert marked == []  # Ctrl-C removes the staging folder
    assert complete == []  # the report is written before the folder is published


@pytest.mark.parametrize("point", KILL_POINTS)
def test_sigkill_leaves_a_complete_run_or_one_marked_incomplete(point, scenarios):
    spawned = scenarios[f"SIGKILL-{point}"]
    assert spawned.sent_at is not None, "the run ended before its kill point"
    assert spawned.returncode == -signal.SIGKILL
    complete, marked = check_results(spawned.results)
    expected = {"importing": (0, 0), "staging": (0, 1), "report": (0, 1)}[point]
    assert (len(complete), len(marked)) == expected


def test_two_backtests_of_one_config_at_once_write_two_complete_folders(scenarios):
    first, second = scenarios["concurrent-1"], scenarios["concurrent-2"]
    for spawned in (first, second):
        assert spawned.returncode == 0, spawned.messages
    folders = [Path(first.stdout[-1]), Path(second.stdout[-1])]
    assert folders[0] != folders[1]
    complete, marked = check_results(first.results)
    assert sorted(complete) == sorted(folders) and marked == []
    # same config, same data: the same numbers, byte for byte, in each folder
    assert (folders[0] / "equity.csv").read_bytes() == (folders[1] / "equity.csv").read_bytes()


def test_a_full_disk_is_a_clear_error_and_leaves_nothing(scenarios):
    spawned = scenarios["disk-full"]
    assert spawned.returncode == 1, spawned.messages
    assert spawned.messages == [
        f"error: could not write the run into {spawned.results} (File too large); nothing was kept"
    ]
    assert list(spawned.results.iterdir()) == []


def test_fetches_at_once_and_a_killed_fetch_leave_a_consistent_cache(scenarios):
    assert scenarios["fetch-1"].returncode == 0, scenarios["fetch-1"].messages
    killed = scenarios["fetch-2"]
    assert killed.sent_at is not None and killed.returncode == -signal.SIGKILL
    cache = Cache(scenarios["server"]["cache"])
    assert [e.key for e in cache.entries()] == sorted(SERIES)
    assert [p for p in cache.verify() if p.severity == "error"] == []
    for entry in cache.entries():
        frame, _ = cache.read(entry.kind, entry.key)  # each file matches its checksum
        assert len(frame) == entry.rows > 0


# --- read-only results folder (in-process: no CLI start needed) -------------------------------


@pytest.fixture(scope="module")
def result():
    """A small real run: buy and hold SPY over 18 months of the bundled data."""
    config = load_config(CONFIG).replace(start=dt.date(2023, 1, 1), end=dt.date(2024, 6, 30))
    return run_backtest(config)


NOBODY = 65534


def test_a_read_only_results_folder_is_a_clear_error(result):
    """chmod alone does not stop root: as root the save runs with the effective uid of
    ``nobody`` (and the uid is restored after), so the permission check is the real one."""
    base = Path(tempfile.mkdtemp(prefix="rotation-ro-"))
    try:
        base.chmod(0o755)
        results = base / "results"
        results.mkdir()
        results.chmod(0o555)
        as_root = os.geteuid() == 0
        if as_root:
            os.seteuid(NOBODY)
        try:
            with pytest.raises(RotationError) as caught:
                save(result, results)
        finally:
            if as_root:
                os.seteuid(0)
        assert str(caught.value) == (f"cannot write to results folder {results}: Permission denied")
        assert list(results.iterdir()) == []
    finally:
        shutil.rmtree(base)


def test_a_results_path_under_a_file_is_a_clear_error_from_the_cli(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be\n")
    results = blocker / "results"
    out = CliRunner().invoke(
        main, ["backtest", str(CONFIG), "--start", "2024-01-01", "--results", str(results)]
    )
    assert out.exit_code == 1
    assert out.output.strip() == f"error: cannot write to results folder {results}: Not a directory"
    assert blocker.read_text() == "a file where a folder should be\n"


def test_an_error_raised_while_handling_ctrl_c_is_still_an_interrupt(monkeypatch):
    """Ctrl-C inside a library's lazy import can surface as another error (the library's
    handler fails): the CLI still reports the interrupt, not a crash."""
    from click.testing import CliRunner

    import rotation.validate
    from rotation.cli import main

    def interrupted_import(*args, **kwargs):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise AttributeError("partially initialized module 'scipy'") from None

    monkeypatch.setattr(rotation.validate, "load_config", interrupted_import)
    out = CliRunner().invoke(main, ["backtest", "whatever.yaml"])
    assert out.exit_code == 130
    assert out.output.strip().splitlines()[-1] == "interrupted"
