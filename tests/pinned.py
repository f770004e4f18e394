"""The numbers every shipped config produces, pinned bit for bit.

``tests/pinned.json`` holds, for each ``configs/*.yaml`` run on the bundled data, the exact
metrics (JSON floats round-trip exactly) and a SHA-256 of every frame a run produces (values
with NaN made canonical, index and columns included), plus one small sweep and the regime
diagnosis. It is written by the code, never by hand:

    .venv/bin/python -m tests.pinned --write     # after a change that is meant to move numbers

``tests/test_pinned.py`` recomputes all of it and requires equality: a refactoring that claims
to change no number proves it there.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PINNED = Path(__file__).with_name("pinned.json")
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))
SWEEP_CONFIG = ROOT / "configs" / "capital_scarcity.yaml"
SWEEP_GRID = {
    "regime.scarce_enter": [0.5, 0.8],
    "strategy.params.vol_lookback": [21, 63],
    "costs.fees": [0.0, 0.002],
}


def digest(frame: pd.DataFrame | pd.Series) -> str:
    """SHA-256 of a frame's index, columns and float values (every NaN hashed alike)."""
    h = hashlib.sha256()
    frame = frame.to_frame() if isinstance(frame, pd.Series) else frame
    h.update(
        pd.DatetimeIndex(frame.index).as_unit("ns").asi8.tobytes()
        if isinstance(frame.index, pd.DatetimeIndex)
        else repr(list(frame.index)).encode()
    )
    h.update(repr([str(c) for c in frame.columns]).encode())
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            h.update(repr(values.astype(str).tolist()).encode())
        else:
            array = values.to_numpy(dtype="float64", na_value=np.nan)
            h.update(np.where(np.isnan(array), np.nan, array).tobytes())
    return h.hexdigest()


def backtest_numbers(path: Path) -> dict[str, Any]:
    from rotation.backtest import run_backtest
    from rotation.validate import load_config

    result = run_backtest(load_config(path))
    sim = result.simulation
    frames = {
        "prices": result.prices,
        "signals": result.signals,
        "regime": result.regime.astype(object),
        "targets": result.targets,
        "value": sim.value,
        "cash": sim.cash,
        "shares": sim.shares,
        "weights": sim.weights,
        "executed_targets": sim.executed_targets,
        "orders": sim.orders.set_index("date"),
        "benchmark_value": result.benchmark_value,
        "regime_table": result.regime_table,
    }
    return {
        "metrics": json.loads(json.dumps(result.metrics, default=str)),
        "frames": {name: digest(frame) for name, frame in frames.items()},
    }


def sweep_numbers() -> dict[str, Any]:
    from rotation.pipeline import load_inputs
    from rotation.sweep import sweep
    from rotation.validate import load_config

    config = load_config(SWEEP_CONFIG)
    result = sweep(config, SWEEP_GRID, load_inputs(config))
    return {
        "table": digest(result.table.drop(columns=list(SWEEP_GRID))),
        "value": digest(result.value),
        "sharpe": [float(x) for x in result.table["sharpe"]],
    }


def diagnosis_numbers() -> dict[str, Any]:
    from rotation.diagnose import diagnose, signal_history
    from rotation.validate import load_config

    history = signal_history(load_config(SWEEP_CONFIG))
    found = diagnose(history)
    return {
        "signals": digest(history.signals),
        "states": digest(found.states),
        "forward_returns": digest(
            found.returns.set_index(["state", "sleeve", "horizon"]).reset_index(drop=True)
        ),
    }


def compute() -> dict[str, Any]:
    return {
        "backtests": {p.stem: backtest_numbers(p) for p in CONFIGS},
        "sweep": sweep_numbers(),
        "diagnosis": diagnosis_numbers(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.pinned", description=__doc__)
    parser.add_argument("--write", action="store_true", help=f"write {PINNED.name}")
    args = parser.parse_args()
    numbers = compute()
    text = json.dumps(numbers, indent=1, sort_keys=True) + "\n"
    if args.write:
        PINNED.write_text(text)
        print(f"wrote {PINNED}")
    else:
        print(text)


if __name__ == "__main__":
    main()
