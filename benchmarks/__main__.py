"""``python -m benchmarks``: measure the kernel against vectorbt, the sweep and the CLI end to end,
and write benchmarks/RESULTS.md.

``--only NAME`` (repeatable) runs just those sections and prints them; it writes a file only when
``--output`` is given, so a partial run never replaces the full RESULTS.md."""

from __future__ import annotations

import os

# Single core, set before numba is imported: the kernel is not parallel, and neither is vectorbt.
os.environ["NUMBA_NUM_THREADS"] = "1"
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import platform
import subprocess
from pathlib import Path

RESULTS_PATH = Path(__file__).with_name("RESULTS.md")
SECTIONS = ("sim", "sweep", "distributed", "cli")  # in RESULTS.md order


def machine_description() -> dict[str, str]:
    import numba
    import numpy
    import pandas
    import vectorbt

    cpu_model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    return {
        "date": subprocess.run(["date"], capture_output=True, text=True).stdout.strip(),
        # os.cpu_count, not `nproc`: nproc honours the OMP_NUM_THREADS=1 set above
        "cores": f"{os.cpu_count()} (benchmarks run single-threaded)",
        "CPU": cpu_model,
        "versions": (
            f"python {platform.python_version()}, numpy {numpy.__version__}, "
            f"pandas {pandas.__version__}, numba {numba.__version__}, "
            f"vectorbt {vectorbt.__version__}"
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--variants", type=int, default=1000, help="variants in the kernel pass")
    parser.add_argument("--output", type=Path, default=None, help="markdown to write")
    parser.add_argument(
        "--only", action="append", choices=SECTIONS, help="run only this section (repeatable)"
    )
    args = parser.parse_args()
    only = args.only or list(SECTIONS)
    output = args.output or (None if args.only else RESULTS_PATH)

    from benchmarks import cli, distributed, sim, sweep

    parts = []
    if "sim" in only:
        results = sim.run(n_variants=args.variants)
        parts.append(sim.render_markdown(results, n_assets=20, machine=machine_description()))
    if "sweep" in only:
        parts.append(sweep.render_markdown(sweep.run()))
    if "distributed" in only:
        parts.append(distributed.render_markdown(distributed.run()))
    if "cli" in only:
        parts.append(cli.render_markdown(cli.run()))
    report = "\n".join(parts)
    print(report)
    if output:
        output.write_text(report)
        print(f"written to {output}")


if __name__ == "__main__":
    main()
