"""The look-ahead corpus (``tests/lookahead_corpus``): every leaky strategy fails
``rotation check lookahead`` with its default options, naming the date and output that moved
or the call and line the sandbox refused; every honest-but-suspicious one passes.

Each leaky strategy is listed with the layer expected to catch it ("truncation",
"adversarial", "sandbox"); the test checks that this layer did.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from rotation.cli.check import check
from tests.helpers import base_config

CORPUS = Path(__file__).resolve().parent / "lookahead_corpus"

LEAKY = {
    # the audit's three misses
    "hindsight_gap": "adversarial",
    "late_peek": "truncation",
    "reads_package_data": "sandbox",
    # caught before, and still
    "fullsample_zscore": "adversarial",
    "shift_minus_one": "truncation",
    "centred_window": "truncation",
    "label_slice": "truncation",
    # more
    "backward_fill": "truncation",
    "next_regime": "adversarial",
    "whole_frame_max": "truncation",
    "network": "sandbox",
    "subprocess_call": "sandbox",
    "reads_at_import": "sandbox",
}
HONEST = {
    "calendar_shift": "negative shift",
    "masked_bfill": "backward fill",
    "last_of_the_past": "the last rows of the whole data",
    "imports_lazily": None,
}
WINDOW = {"start": "2021-01-01", "end": "2024-12-31"}  # short, to keep the suite fast
OFFENCE = re.compile(r"offence: targets\[[^]]+\] on \d{4}-\d{2}-\d{2} changed from .+ when ")


def _blocks(output: str) -> dict[str, str]:
    """The CLI's output per config: from its PASS/FAIL line to the next one."""
    starts = list(re.finditer(r"^(?:PASS|FAIL) (\w+):", output, re.M))
    ends = [m.start() for m in starts[1:]] + [len(output)]
    return {m.group(1): output[m.start() : end] for m, end in zip(starts, ends, strict=True)}


def _run(kind: str, names: list[str], folder: Path) -> tuple[int, dict[str, str]]:
    """One ``rotation check lookahead`` (default options) over the configs of ``names``: one
    invocation, as a user checks several configs, so they share pipeline reruns."""
    paths = []
    for name in names:
        raw = base_config(strategy={"name": name}, strategies_dir=str(CORPUS / kind), **WINDOW)
        path = folder / f"{name}.yaml"
        path.write_text(yaml.safe_dump(raw, sort_keys=False))
        paths.append(str(path))
    result = CliRunner().invoke(check, ["lookahead", *paths])
    return result.exit_code, _blocks(result.output)


@pytest.fixture(scope="module")
def leaky(tmp_path_factory):
    code, blocks = _run("leaky", sorted(LEAKY), tmp_path_factory.mktemp("leaky"))
    assert code == 1
    return blocks


@pytest.fixture(scope="module")
def honest(tmp_path_factory):
    code, blocks = _run("honest", sorted(HONEST), tmp_path_factory.mktemp("honest"))
    assert code == 0, blocks
    return blocks


def test_the_corpus_is_what_the_tests_list():
    assert {p.stem for p in (CORPUS / "leaky").glob("*.py")} == set(LEAKY)
    assert {p.stem for p in (CORPUS / "honest").glob("*.py")} == set(HONEST)
    assert len(LEAKY) >= 10


def test_one_leaky_config_alone_exits_with_status_1(tmp_path):
    code, blocks = _run("leaky", ["hindsight_gap"], tmp_path)
    assert code == 1 and list(blocks) == ["hindsight_gap"]


@pytest.mark.parametrize("name", sorted(LEAKY))
def test_a_leaky_strategy_fails_the_default_check(name, leaky):
    output = leaky[name]
    assert output.startswith(f"FAIL {name}:")
    layer = LEAKY[name]
    if layer == "sandbox":
        line = re.search(rf"sandbox: \S+/{name}\.py:(\d+) \(in [^)]+\) called (\S+)\(", output)
        assert line, output
        source = (CORPUS / "leaky" / f"{name}.py").read_text().splitlines()
        assert "leak" in source[int(line.group(1)) - 1] or "read" in source[int(line.group(1)) - 1]
        if name in ("reads_package_data", "subprocess_call"):  # refused in the full run
            assert "covered: nothing: the sandbox refused" in output
        return
    assert OFFENCE.search(output), output
    futures = re.search(r"offences by future: (.+)", output).group(1)
    if layer == "truncation":
        assert "truncation" in futures, output
    else:
        assert any(f in futures for f in ("invert", "mirror", "swap", "boom", "regime_")), output


@pytest.mark.parametrize("name", sorted(HONEST))
def test_an_honest_but_suspicious_strategy_passes(name, honest):
    output = honest[name]
    assert output.startswith(f"PASS {name}:")
    if HONEST[name]:  # the static scan warns, and the verdict ignores it
        assert f"warning: {CORPUS / 'honest' / name}.py:" in output
        assert HONEST[name] in output
    else:
        assert "warning:" not in output
