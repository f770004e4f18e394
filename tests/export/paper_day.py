"""A full paper-trading day against the fake Alpaca, as a transcript (not a test).

    python -m tests.export.paper_day [--out FILE]

Starts the fake Alpaca (tests/export/fake_alpaca.py, SYNTHETIC account: 50 IGV, 10 MU, 100 BIL
and 20,000 cash, priced at the bundled closes of 2026-07-13) with a realistic day's troubles:
every order fills two reads late, the MU sale fills half first, and the first order POST is
answered 429 with ``Retry-After: 1``. Then runs the real ``rotation trade`` console script twice
as child processes (``configs/capital_scarcity.yaml --paper --asof 2026-07-13``) and prints
both outputs, the orders and fills as the fake saw them, and the holdings before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from rotation.export.orders import format_quantity
from tests.export.fake_alpaca import ENV, FakeAlpaca
from tests.helpers import CONFIGS, ROOT

# The bundled closes of 2026-07-13, in Alpaca's spelling (as in tests/export/test_alpaca.py).
PRICES = {"BTC/USD": 62239.12, "ETH/USD": 1773.50, "IGV": 92.70, "ARKK": 78.24, "WCLD": 34.59,
          "MU": 937.00, "WDC": 555.55, "STX": 860.66, "SNDK": 1673.97, "BIL": 91.50}  # fmt: skip
HOLDINGS = {"IGV": 50, "MU": 10, "BIL": 100}
CASH = 20000.0


def _holdings(fake: FakeAlpaca) -> str:
    held = ", ".join(f"{format_quantity(q)} {s}" for s, q in sorted(fake.holdings().items()))
    return f"{held}; cash {fake.cash:,.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="also write the transcript here")
    out = parser.parse_args().out
    rotation = Path(sys.executable).with_name("rotation")
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text)
        lines.append(text)

    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeAlpaca(cash=CASH, positions=HOLDINGS, prices=PRICES) as fake,
    ):
        fake.fill_delay = 2
        fake.partial = {"MU": 0.5}
        fake.throttle = {12: "1"}  # the 12th request (named below, from the journal)
        command = [
            str(rotation), "trade", str(CONFIGS / "capital_scarcity.yaml"), "--paper",
            "--asof", "2026-07-13", "--allow-missing", "BAA10Y", "--allow-missing", "WTREGEN",
            "--fill-timeout", "30", "--alpaca-url", fake.url, "--results", tmp,
        ]  # fmt: skip
        env = {**os.environ, **ENV}
        say("SYNTHETIC paper account on a fake Alpaca (tests/export/fake_alpaca.py) at " + fake.url)
        say(f"holdings before (the fake's own books): {_holdings(fake)}")
        say("the day's troubles: every order fills two reads late; the MU sale fills half first;")
        say("one request is answered HTTP 429 with Retry-After: 1")
        for run in ("first run", "second run, same day"):
            say()
            say(
                f"=== {run}: $ rotation trade configs/capital_scarcity.yaml --paper --asof "
                "2026-07-13 --allow-missing BAA10Y --allow-missing WTREGEN --fill-timeout 30"
            )
            posts = fake.posts
            done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
            for text in (done.stdout + done.stderr).splitlines():
                say("    " + text.replace(tmp, "<results>"))
            say(f"--> exit status {done.returncode}; order POSTs this run: {fake.posts - posts}")
        say()
        say("orders and fills as the fake Alpaca recorded them:")
        for o in fake.posted():
            say(
                f"  {o['side']:4} {o['qty']:>10} {o['symbol']:<8} {o['client_order_id']} "
                f"{o['status']}, filled {o['filled_qty']} @ {o['filled_avg_price']}"
            )
        say(f"holdings after (the fake's own books): {_holdings(fake)}")
        journals = sorted(Path(tmp).glob("*/alpaca/sent.jsonl"))
        for journal in journals:
            records = [json.loads(line) for line in journal.read_text().splitlines()]
            statuses = sorted({str(r["status"]) for r in records})
            say(
                f"journal {journal.relative_to(tmp)}: {len(records)} records, statuses "
                f"{', '.join(statuses)}"
            )
            for r in records:
                if r["status"] == 429:
                    say(
                        f"  429 on {r['method']} {r['url'].replace(fake.url, '')} (attempt "
                        f"{r['attempt']}), retried after {r['retry_in']} s"
                    )
    if out is not None:
        out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
