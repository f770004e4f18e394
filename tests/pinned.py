"""The numbers every shipped config produces, pinned to the last bits a machine can keep.

``tests/pinned.json`` holds, for each ``configs/*.yaml`` run on the bundled data, its metrics and
a fingerprint of every frame a run produces, plus one small sweep and the regime diagnosis. It is
written by the code, never by hand:

    .venv/bin/python -m tests.pinned --write     # after a change that is meant to move numbers

``tests/test_pinned.py`` recomputes all of it and requires agreement: a refactoring that claims
to change no number proves it there.

Why not bit for bit: numpy picks its reduction kernels (sum, mean, std) by the CPU's SIMD
extensions, so the last bits of a sum differ between machines. Measured: pins written on an
earlier machine differ, on one where numpy finds AVX2 (X86_V3) but no AVX-512, by up to 3.2e-14
relative (the risk-free mean) and 5e-15 on Sharpe; one run (the vol-targeted one, whose sizes
come from a rolling std) differs in every frame by that much. So:

- what is not a float (index, columns, text, where the NaNs are) is hashed and must be equal;
- a float metric must agree to ``RTOL`` relative;
- a frame's float column is kept as a few exactly rounded sums (``math.fsum``, so the
  fingerprint itself is the same on every machine): of the values, of the values times two fixed
  sets of position weights, and of their magnitudes. A sum must agree to ``RTOL`` times the
  magnitude. Changing one value by more than about ``RTOL`` times the column's total magnitude
  (about ten cents in an equity curve, 1e-8 in a weights column), or swapping two values, is caught.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
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


RTOL = 1e-11
"""How far apart two machines' numbers may be, relative (about 300x the drift measured)."""


def _weights(n: int) -> tuple[np.ndarray, np.ndarray]:
    # PCG64's uniform doubles are the same on every platform.
    rng = np.random.default_rng(20261201)
    return rng.uniform(0.5, 1.5, n), rng.uniform(0.5, 1.5, n)


def digest(frame: pd.DataFrame | pd.Series) -> dict[str, Any]:
    """A frame's fingerprint: a SHA-256 of its index, columns, text columns and NaN positions,
    and for each float column ``[sum, weighted sum, weighted sum, sum of magnitudes]``."""
    h = hashlib.sha256()
    frame = frame.to_frame() if isinstance(frame, pd.Series) else frame
    h.update(
        pd.DatetimeIndex(frame.index).as_unit("ns").asi8.tobytes()
        if isinstance(frame.index, pd.DatetimeIndex)
        else repr(list(frame.index)).encode()
    )
    h.update(repr([str(c) for c in frame.columns]).encode())
    w1, w2 = _weights(len(frame))
    sums: dict[str, list[float]] = {}
    for number, column in enumerate(frame.columns):
        values = frame.iloc[:, number]
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            h.update(repr(values.astype(str).tolist()).encode())
            continue
        array = values.to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnan(array)
        h.update(missing.tobytes())
        x = np.where(missing, 0.0, array)
        sums[f"{number}:{column}"] = [
            math.fsum(x), math.fsum(x * w1), math.fsum(x * w2), math.fsum(np.abs(x))
        ]  # fmt: skip
    return {"exact": h.hexdigest(), "sums": sums}


def differences(got: Any, expected: Any, where: str = "") -> list[str]:
    """Where ``got`` and ``expected`` disagree beyond what a machine may change (see above)."""
    if isinstance(expected, dict) and set(expected) == {"exact", "sums"}:
        if not isinstance(got, dict) or got.get("exact") != expected["exact"]:
            return [f"{where}: index, columns, text or NaN positions changed"]
        out = []
        for column, want in expected["sums"].items():
            have = got["sums"].get(column)
            scale = RTOL * 1.5 * want[3] + 1e-12
            if have is None or any(abs(a - b) > scale for a, b in zip(have, want, strict=True)):
                out.append(f"{where}[{column}]: {have} != {want}")
        return out
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            return [f"{where}: keys {sorted(got) if isinstance(got, dict) else got!r} "
                    f"!= {sorted(expected)}"]  # fmt: skip
        return [d for k in expected for d in differences(got[k], expected[k], f"{where}.{k}")]
    if isinstance(expected, list):
        if not isinstance(got, list) or len(got) != len(expected):
            return [f"{where}: {got!r} != {expected!r}"]
        return [
            d
            for i, (a, b) in enumerate(zip(got, expected, strict=True))
            for d in differences(a, b, f"{where}[{i}]")
        ]
    if isinstance(expected, float) and isinstance(got, float):
        if math.isnan(expected) and math.isnan(got):
            return []
        return (
            []
            if math.isclose(got, expected, rel_tol=RTOL, abs_tol=1e-12)
            else [f"{where}: {got!r} != {expected!r}"]
        )
    return (
        []
        if got == expected and type(got) is type(expected)
        else [f"{where}: {got!r} != {expected!r}"]
    )


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
