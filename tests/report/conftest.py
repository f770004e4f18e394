"""Fixtures of the report tests: the demo run with its report, and an HTML reader."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from rotation.backtest import run_backtest
from rotation.report import write_report
from rotation.runs import save
from rotation.validate import load_config
from tests.helpers import CONFIGS


class Elements(HTMLParser):
    """Every start tag (tag, attributes) and the text inside elements carrying data-value."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.valued: list[tuple[dict[str, str | None], str]] = []
        self._open: list[tuple[dict[str, str | None], list[str]]] = []
        self._depth: list[int] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        for _, text in self._open:
            text.append("")
        if "data-value" in attributes:
            self._open.append((attributes, []))
            self._depth.append(0)
        elif self._depth:
            self._depth[-1] += 1

    def handle_endtag(self, tag):
        if not self._depth:
            return
        if self._depth[-1] == 0:
            attributes, text = self._open.pop()
            self._depth.pop()
            self.valued.append((attributes, "".join(text)))
        else:
            self._depth[-1] -= 1

    def handle_data(self, data):
        for _, text in self._open:
            text.append(data)


@pytest.fixture(scope="package")
def demo_run(tmp_path_factory):
    """The demo config's run folder with its report written: (folder, page, parsed page, the
    in-memory result); shared by the report tests, which only read it or copy it."""
    result = run_backtest(load_config(CONFIGS / "capital_scarcity.yaml"))
    folder = save(result, tmp_path_factory.mktemp("results"))
    report = write_report(folder)
    html = report.read_text(encoding="utf-8")
    parsed = Elements()
    parsed.feed(html)
    return folder, html, parsed, result
