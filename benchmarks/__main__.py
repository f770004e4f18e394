"""``python -m benchmarks``: measure the kernel against vectorbt and write benchmarks/RESULTS.md."""

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
    parser.add_argument("--output", type=Path, default=RESULTS_PATH, help="markdown to write")
    args = parser.parse_args()

    from benchmarks import distributed, sim, sweep

    results = sim.run(n_variants=args.variants)
    report = sim.render_markdown(results, n_assets=20, machine=machine_description())
    report += "\n" + sweep.render_markdown(sweep.run())
    report += "\n" + distributed.render_markdown(distributed.run())
    args.output.write_text(report)
    print(report)
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
