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


def test_readme_cost_example_is_what_a_run_prints():
    """The worked example of the cost metrics quotes a real run of capital_scarcity."""
    from rotation.backtest import run_backtest
    from rotation.metrics import metric
    from rotation.validate import load_config

    result = run_backtest(load_config(CONFIGS / "capital_scarcity.yaml"))
    m, orders, value = result.metrics, result.simulation.orders, result.simulation.value
    before = value.shift(1).fillna(result.config.init_cash)
    first = orders["date"].iloc[0]
    day = orders[orders["date"] == first]
    by_day = orders.groupby("date")[["fees", "slippage"]].sum()
    shares = by_day.div(before.reindex(by_day.index), axis=0).sum()
    fees, slippage = day["fees"].sum(), day["slippage"].sum()
    text = " ".join((ROOT / "README.md").read_text().split())
    quoted = [
        f"on its first trading day, {first.date()}, it bought {day['value'].sum():,.0f} of "
        f"assets from {before[first]:,.0f} at the previous close, paying {fees:,.2f} in fees "
        f"and {slippage:,.2f} in slippage, a day's drag of {fees / before[first]:.4%} and "
        f"{slippage / before[first]:.4%}",
        f"Over its {len(by_day)} trading days these fractions add up to {shares['fees']:.2%} "
        f"(fees) and {shares['slippage']:.2%} (slippage); over {m['days']:,} days, x 252 / "
        f"{m['days']:,} gives a fee drag of {m['fee_drag']:.3%} per year and a slippage drag of "
        f"{m['slippage_drag']:.3%}, a cost drag of {m['cost_drag']:.3%} per year",
        f"In money: fees {m['fees_paid']:,.0f}, slippage {m['slippage_paid']:,.0f}, costs "
        f"{m['costs_paid']:,.0f}",
        "prints the drags to one decimal: "
        + ", ".join(metric(k).format(m[k]) for k in ("fee_drag", "slippage_drag", "cost_drag")),
    ]
    for sentence in quoted:
        assert sentence in text, sentence
