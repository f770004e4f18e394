"""Paths and a small valid config shared by the tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
STRATEGIES = ROOT / "strategies"


def base_config(**changes) -> dict:
    """A small valid config over bundled data (a dict, ready for ``write_config``)."""
    raw = {
        "start": "2019-01-01",
        "end": "2024-12-31",
        "universe": {
            "speculative": ["BTC-USD", "IGV"],
            "cash_flow": ["MU", "WDC"],
            "defensive": ["BIL"],
        },
        "benchmark": "SPY",
        "strategy": {"name": "capital_scarcity"},
        "rebalance": {"every": "monthly", "on_regime_change": True},
        "costs": {"fees": 0.001, "slippage": 0.0005},
    }
    raw.update(changes)
    return raw


class LoopbackServer:
    """A ThreadingHTTPServer on 127.0.0.1 (port chosen by the OS) in a daemon thread.

    Subclasses set their state, then call ``super().__init__(handler_class)``; use it as a
    context manager or with ``start()`` / ``stop()``.
    """

    def __init__(self, handler: type) -> None:
        import threading
        from http.server import ThreadingHTTPServer

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def synthetic_thesis(attribution: dict | None = None) -> dict:
    """A SYNTHETIC thesis result (made-up numbers, shaped as ``rotation thesis`` writes it) for
    the thesis page's tests; ``attribution``: an ``Attribution.to_json()`` to include."""
    thesis = {
        "config": "synthetic <thesis> & co",
        "run_id": "000000000000",
        "verdict": [
            "SYNTHETIC: cash-flow assets beat speculative ones when capital is scarce.",
            "Second sentence: the placebo regimes rarely do as well.",
        ],
        "spreads": [
            {"pair": "cash_flow - speculative", "state": "scarce", "horizon_days": 63,
             "mean": 0.041, "median": 0.035, "ci_low": 0.012, "ci_high": 0.071, "hac_t": 2.61,
             "spells": 9, "days": 1076},
            {"pair": "cash_flow - speculative", "state": "abundant", "horizon_days": 63,
             "mean": -0.022, "median": None, "ci_low": -0.05, "ci_high": 0.004, "hac_t": -1.4,
             "spells": 11, "days": 1244},
        ],
        "placebo": {"regime_p_value": 0.031, "strategy_sharpe_p_value": 0.12, "draws": 1000},
        "leave_one_spell_out": [
            {"spell_start": "2018-10-01", "spell_end": "2019-01-31", "state": "scarce",
             "spread": 0.033},
        ],
        "sub_periods": [{"period": "2015", "spread": 0.02, "sharpe": 0.8},
                        {"period": "2016"}],
    }  # fmt: skip
    if attribution is not None:
        thesis["attribution"] = attribution
    return thesis


def reseal(folder: Path) -> None:
    """Record the run folder's files as they are now in its manifest (SHA-256 and data rows),
    as ``rotation.runs.save`` does when it writes them: what a test that edits a run file on
    purpose (or an attacker who also edits the manifest) does, so the reader's schema checks,
    not its checksums, are what the test meets."""
    import hashlib
    import json

    import pandas as pd

    manifest = json.loads((folder / "manifest.json").read_text())
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        return  # not a manifest this version writes: nothing to record
    for name, record in manifest["files"].items():
        path = folder / name
        if not path.exists():
            continue
        record["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        if name.endswith(".csv"):
            try:
                record["rows"] = len(pd.read_csv(path))
            except (ValueError, pd.errors.EmptyDataError):
                record["rows"] = None
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
