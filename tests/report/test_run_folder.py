"""A damaged, tampered or truncated run folder: ``rotation report`` refuses it in one line.

Every case copies a real run folder (a small config over the bundled snapshot) and breaks one
file. Most cases also re-record the manifest's checksums (``tests.helpers.reseal``), as someone
who edits a shared folder on purpose would, so that the schema check is what they meet; the
integrity cases leave the manifest alone. Each case checks the exit status (1), that the
message names the file (and the column and row where there is one), and that neither a
traceback nor the CLI's last-resort "internal error" line is printed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from rotation.backtest import run_backtest
from rotation.cli import main
from rotation.errors import RotationError
from rotation.report import build_html, load_run
from rotation.runs import save
from rotation.validate import load_config
from tests.helpers import STRATEGIES, base_config, reseal

HOSTILE = '"><img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    config = tmp_path_factory.mktemp("config") / "small.yaml"
    raw = {"strategies_dir": str(STRATEGIES), **base_config(start="2022-01-03", end="2023-12-29")}
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    return save(run_backtest(load_config(config)), tmp_path_factory.mktemp("results"))


@pytest.fixture
def copy(run_folder, tmp_path) -> Path:
    target = tmp_path / run_folder.name
    shutil.copytree(run_folder, target)
    return target


def edit_lines(path: Path, change) -> None:
    lines = path.read_text().splitlines()
    change(lines)
    path.write_text("\n".join(lines) + "\n")


def set_cell(name: str, row: int, column: str, value: str):
    """An edit of ``name``: data row ``row`` (from 1), column ``column`` set to ``value``."""

    def change(folder: Path) -> None:
        def edit(lines: list[str]) -> None:
            header = lines[0].split(",")
            cells = lines[row].split(",")
            cells[header.index(column)] = value
            lines[row] = ",".join(cells)

        edit_lines(folder / name, edit)

    return change


def write(name: str, text: str):
    return lambda folder: (folder / name).write_text(text)


def duplicate_row(name: str, row: int):
    return lambda folder: edit_lines(folder / name, lambda lines: lines.insert(row, lines[row]))


def update_json(name: str, **changes):
    def change(folder: Path) -> None:
        path = folder / name
        path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))

    return change


def replace_text(name: str, old: str, new: str):
    def change(folder: Path) -> None:
        path = folder / name
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new))

    return change


def drop_column(name: str, position: int):
    def change(folder: Path) -> None:
        def edit(lines: list[str]) -> None:
            for i, line in enumerate(lines):
                cells = line.split(",")
                lines[i] = ",".join(cells[:position] + cells[position + 1 :])

        edit_lines(folder / name, edit)

    return change


def move_row(name: str, source: int, target: int):
    return lambda folder: edit_lines(
        folder / name, lambda lines: lines.insert(target, lines.pop(source))
    )


# case -> (edit, what the one-line message says after the folder's path)
DAMAGED = {
    "tampered side": (
        set_cell("orders.csv", 1, "side", HOSTILE),
        "orders.csv: column 'side' (row 1) must be buy or sell",
    ),
    "side of another case": (
        set_cell("orders.csv", 2, "side", "BUY"),
        "orders.csv: column 'side' (row 2)",
    ),
    "metrics.json a list": (
        write("metrics.json", "[1]"),
        "metrics.json: the file must be a JSON object, not list",
    ),
    "metrics.json not JSON": (write("metrics.json", "{1"), "metrics.json: not valid JSON"),
    "a metric as text": (
        update_json("metrics.json", sharpe="high"),
        "metrics.json: 'sharpe' must be a number or null",
    ),
    "risk_free as text": (
        update_json("metrics.json", risk_free="x"),
        "metrics.json: 'risk_free' must be a JSON object",
    ),
    "config.yaml a list": (
        write("config.yaml", "- 1\n- 2\n"),
        "config.yaml: the config must be a mapping of keys",
    ),
    "config.yaml with a bad value": (
        replace_text("config.yaml", "execution_lag: 1", "execution_lag: x"),
        "config.yaml: execution_lag: expected a whole number",
    ),
    "manifest.json a list": (
        write("manifest.json", "[]"),
        "manifest.json: the file must be a JSON object",
    ),
    "manifest notes not text": (
        update_json("manifest.json", notes=[1]),
        "manifest.json: 'notes' must be a list of text",
    ),
    "non-numeric weight": (
        set_cell("weights.csv", 5, "MU", "abc"),
        "weights.csv: non-numeric value in column 'MU' (row 5)",
    ),
    "empty weight": (
        set_cell("weights.csv", 5, "MU", ""),
        "weights.csv: an empty cell in column 'MU' (row 5)",
    ),
    "non-numeric equity": (
        set_cell("equity.csv", 7, "value", "abc"),
        "equity.csv: non-numeric value in column 'value' (row 7)",
    ),
    "infinite equity": (
        set_cell("equity.csv", 7, "value", "inf"),
        "equity.csv: inf in column 'value' (row 7)",
    ),
    "zero benchmark": (
        set_cell("equity.csv", 7, "benchmark", "0"),
        "equity.csv: 0.0 in column 'benchmark' (row 7), need a finite number above 0",
    ),
    "negative price": (
        set_cell("prices.csv", 7, "MU", "-5"),
        "prices.csv: -5.0 in column 'MU' (row 7), need a finite number above 0",
    ),
    "order date notadate": (
        set_cell("orders.csv", 3, "date", "notadate"),
        "orders.csv: unparseable date in column 'date' (row 3)",
    ),
    "order shares as text": (
        set_cell("orders.csv", 3, "shares", "many"),
        "orders.csv: non-numeric value in column 'shares' (row 3)",
    ),
    "duplicate equity date": (duplicate_row("equity.csv", 6), "equity.csv: duplicate date"),
    "duplicate weights date": (duplicate_row("weights.csv", 6), "weights.csv: duplicate date"),
    "duplicate signals date": (duplicate_row("signals.csv", 6), "signals.csv: duplicate date"),
    "equity out of order": (
        move_row("equity.csv", 9, 3),
        "equity.csv: dates out of order in column 'date' (row 4",
    ),
    "regime.csv x,y": (write("regime.csv", "x,y\n"), "regime.csv: missing column(s) 'regime'"),
    "unknown regime state": (
        set_cell("regime.csv", 1, "regime", "panic"),
        "regime.csv: column 'regime' (row 1) must be one of",
    ),
    "unknown signal regime": (
        set_cell("signals.csv", 300, "regime", "panic"),
        "signals.csv: column 'regime' (row 300)",
    ),
    "signal score as text": (
        set_cell("signals.csv", 300, "composite", "hi"),
        "signals.csv: non-numeric value in column 'composite' (row 300)",
    ),
    "equity without cash": (drop_column("equity.csv", 3), "equity.csv: missing column(s) 'cash'"),
    "weights on other dates": (
        lambda f: edit_lines(f / "weights.csv", lambda lines: lines.pop()),
        "weights.csv: its dates differ from equity.csv's",
    ),
}


def report(folder: Path):
    return CliRunner().invoke(main, ["report", str(folder)])


def assert_refused(out, *needles: str) -> None:
    assert out.exit_code in (1, 2), out.output
    assert isinstance(out.exception, SystemExit), out.exception  # handled, not a crash
    assert "Traceback" not in out.output and "internal error" not in out.output
    line = out.output.strip()
    assert "\n" not in line, line
    for needle in needles:
        assert needle in line, line


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_a_damaged_file_is_named_in_one_line(case, copy):
    edit, message = DAMAGED[case]
    edit(copy)
    reseal(copy)
    out = report(copy)
    assert_refused(out, f"{copy}/{message}")
    assert out.exit_code == 1
    assert not (copy / "report.html").exists()


@pytest.mark.parametrize(
    "name",
    ["equity.csv", "weights.csv", "orders.csv", "signals.csv", "regime.csv", "prices.csv",
     "targets.csv", "config.yaml", "metrics.json"],
)  # fmt: skip
def test_a_truncated_file_is_refused_by_its_checksum(name, copy):
    path = copy / name
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2].rsplit(b"\n", 1)[0] + b"\n")  # whole lines, fewer
    assert_refused(report(copy), f"{path} does not match its checksum in manifest.json")


def test_a_row_count_that_disagrees_is_named(copy):
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["files"]["equity.csv"]["rows"] += 1
    (copy / "manifest.json").write_text(json.dumps(manifest))
    rows = manifest["files"]["equity.csv"]["rows"]
    assert_refused(
        report(copy), f"{copy / 'equity.csv'} has {rows - 1} rows, manifest.json records {rows}"
    )


def test_a_folder_written_before_checksums_is_refused_with_advice(copy):
    manifest = json.loads((copy / "manifest.json").read_text())
    del manifest["files"]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    assert_refused(report(copy), "records no checksums", "run the backtest again")


def test_the_manifest_records_every_file_it_wrote(run_folder):
    files = json.loads((run_folder / "manifest.json").read_text())["files"]
    written = {p.name for p in run_folder.iterdir()} - {"manifest.json", "report.html"}
    assert set(files) == written
    for name, record in files.items():
        assert len(record["sha256"]) == 64
        if name.endswith(".csv"):
            assert record["rows"] == len((run_folder / name).read_text().splitlines()) - 1


def test_a_symlinked_run_file_is_refused(copy, tmp_path):
    outside = tmp_path / "elsewhere.csv"
    outside.write_bytes((copy / "equity.csv").read_bytes())
    (copy / "equity.csv").unlink()
    os.symlink(outside, copy / "equity.csv")
    assert_refused(report(copy), f"{copy / 'equity.csv'} is a symbolic link")


def test_a_fifo_in_place_of_a_run_file_is_refused_without_hanging(copy):
    (copy / "regime.csv").unlink()
    os.mkfifo(copy / "regime.csv")
    assert_refused(report(copy), f"{copy / 'regime.csv'} is not a regular file")


class Tags(HTMLParser):
    """Every start tag and its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def hostile_run(folder: Path):
    """The run of ``folder`` with HOSTILE in every text a page shows from a file: an order's
    side and symbol, a symbol column, a signal column, the manifest's and the metrics' texts,
    the config's name, description and a sleeve (built in memory: the reader refuses most of
    these, so this checks the escaping behind it)."""
    run = load_run(folder)
    orders = run.orders.copy()
    orders.loc[0, "side"] = HOSTILE
    orders.loc[1, "symbol"] = HOSTILE
    weights = run.weights.rename(columns={"MU": HOSTILE})
    prices = run.prices.rename(columns={"MU": HOSTILE})
    signals = run.signals.rename(columns={"credit": HOSTILE})
    config = {**run.config, "name": HOSTILE, "description": HOSTILE}
    config["universe"] = {HOSTILE: [HOSTILE], **{k: v for k, v in config["universe"].items()}}
    manifest = {**run.manifest, "name": HOSTILE, "run_id": HOSTILE, "notes": [HOSTILE]}
    metrics = {**run.metrics, "benchmark": HOSTILE, "benchmark_measure": HOSTILE, "start": HOSTILE}
    metrics["risk_free"] = {**metrics["risk_free"], "description": HOSTILE}
    return dataclasses.replace(
        run, orders=orders, weights=weights, prices=prices, signals=signals, config=config,
        manifest=manifest, metrics=metrics,
    )  # fmt: skip


def test_hostile_text_from_files_is_escaped_everywhere(run_folder):
    clean = build_html(load_run(run_folder))
    page = build_html(hostile_run(run_folder))
    parsed, baseline = Tags(), Tags()
    parsed.feed(page)
    baseline.feed(clean)
    assert "<img src=x" not in page and "<script>window.__pwned" not in page
    assert not [a for _, attrs in parsed.tags for a in attrs if a.startswith("on")]
    count = lambda tags, name: sum(tag == name for tag, _ in tags.tags)  # noqa: E731
    assert count(parsed, "script") == count(baseline, "script")
    assert count(parsed, "img") == count(baseline, "img") == 0
    classes = {a["class"] for tag, a in parsed.tags if tag == "td" and a.get("class")}
    assert classes == {"num", "num muted", "mono", "buy", "sell"}  # a tampered side is no class
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in page  # shown as text


def test_load_run_error_is_a_rotation_error(copy):
    (copy / "metrics.json").write_text("[1]")
    reseal(copy)
    with pytest.raises(RotationError, match="metrics.json"):
        load_run(copy)
