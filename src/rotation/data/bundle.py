"""Build the bundled offline snapshot from a copy of the shared dataset (maintainers only).

Usage: ``python -m rotation.data.bundle PATH/TO/shared/data``

Every CSV is copied row for row (gzip-compressed, deterministic); the only change is that the
partial-day rows SOURCES.md warns about are dropped, and each dropped row is recorded in
``bundled/manifest.json`` with its reason. The raw filings files are copied byte for byte.
SOURCES.md travels with the snapshot unchanged.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import sys
from pathlib import Path
from typing import Any

BUNDLED_DIR = Path(__file__).parent / "bundled"

# Snapshots taken while a trading day was still in progress (see SOURCES.md): rows dated on or
# after the snapshot day are partial prints and are dropped from the bundle.
PARTIAL_DAY_FROM = {
    "dsturdy/Factor_Attribution_5_csvs": (
        "2026-07-14",
        "intraday print: snapshot taken ~30 min after the US open (SOURCES.md)",
    ),
    "vincent-adam-frm/corrcheck-data": (
        "2026-08-18",
        "in-progress UTC day: snapshot committed 2026-08-18 16:21 UTC (SOURCES.md)",
    ),
}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _gzip_deterministic(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=9) as handle:
        handle.write(data)
    return buffer.getvalue()


def _drop_partial_rows(text: str, cutoff: str) -> tuple[str, list[str]]:
    """Drop data rows whose ISO date (first field) is on or after ``cutoff``; keep the header."""
    lines = text.splitlines(keepends=True)
    kept: list[str] = lines[:1]
    dropped: list[str] = []
    for line in lines[1:]:
        (dropped if line.split(",", 1)[0] >= cutoff else kept).append(line)
    return "".join(kept), [line.split(",", 1)[0] for line in dropped]


def build(shared_data: Path, out: Path = BUNDLED_DIR) -> list[dict[str, Any]]:
    """Copy the shared dataset into ``out``; return the bundle manifest entries."""
    upstream = json.loads((shared_data / "manifest.json").read_text())
    if out.exists():
        shutil.rmtree(out)
    entries: list[dict[str, Any]] = []
    for item in upstream:
        source = shared_data / item["file"]
        raw = source.read_bytes()
        if _sha256(raw) != item["sha256"]:
            raise SystemExit(f"{source}: checksum differs from manifest.json; refusing to bundle")
        entry: dict[str, Any] = {
            "file": item["file"],
            "upstream_sha256": item["sha256"],
            "repo": item["repo"],
            "commit": item["commit"],
        }
        if source.suffix == ".csv":
            text = raw.decode("utf-8")
            dropped: list[str] = []
            if item["repo"] in PARTIAL_DAY_FROM:
                cutoff, reason = PARTIAL_DAY_FROM[item["repo"]]
                text, dropped = _drop_partial_rows(text, cutoff)
                if dropped:
                    entry["dropped_rows"] = {"dates": dropped, "reason": reason}
            data = text.encode("utf-8")
            target = out / (item["file"] + ".gz")
            payload = _gzip_deterministic(data)
            entry["rows"] = text.count("\n") - 1
        else:
            data = raw
            target = out / item["file"]
            payload = raw
        entry["bundled_file"] = str(target.relative_to(out))
        entry["sha256"] = _sha256(data)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(payload)
        entries.append(entry)
    shutil.copyfile(shared_data / "SOURCES.md", out / "SOURCES.md")
    (out / "manifest.json").write_text(json.dumps(entries, indent=1) + "\n")
    return entries


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python -m rotation.data.bundle PATH/TO/shared/data")
    entries = build(Path(args[0]))
    dropped = sum(len(e.get("dropped_rows", {}).get("dates", [])) for e in entries)
    print(f"bundled {len(entries)} files into {BUNDLED_DIR} ({dropped} partial-day rows dropped)")


if __name__ == "__main__":
    main()
