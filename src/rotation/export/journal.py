"""An append-only JSON lines journal: what was asked of a broker or webhook, and what it answered.

``Journal(path)`` appends one JSON object per line; each record is written in one ``write``,
flushed and ``fsync``-ed before ``append`` returns, so a crash loses at most the record being
written. The file is opened with ``O_NOFOLLOW`` (a symlink planted at its name is refused, not
followed) and ``O_APPEND`` (records are never rewritten). ``scrub`` (e.g. removing API keys) is
applied to each serialized line before it is written.

A journal may start without a file (``Journal(None)``): records are then kept in memory until
``attach(path)`` writes them out and appends every later one directly (a command can journal the
first requests before its output folder exists).

A record cut short by a crash (the last line without its newline) is dropped by ``read_journal``
and cut off by the next ``append`` before it writes; any other damage (a complete line that is not
a JSON object) is a ``DataError`` naming the file and the line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rotation.errors import DataError

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_FLAGS = os.O_RDWR | os.O_CREAT | os.O_APPEND | _NOFOLLOW


class Journal:
    """Append-only JSONL records (see the module docstring)."""

    def __init__(self, path: Path | None, *, scrub: Callable[[str], str] | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.scrub = scrub or (lambda text: text)
        self._pending: list[str] = []
        self._checked = False

    def append(self, record: Mapping[str, Any]) -> None:
        """Write ``record`` as one line (scrubbed), flushed to disk before returning."""
        line = self.scrub(json.dumps(record, allow_nan=False, default=str)) + "\n"
        if self.path is None:
            self._pending.append(line)
            return
        self._write(line)

    def attach(self, path: Path) -> None:
        """Write the records kept in memory to ``path``; append there from now on."""
        self.path = Path(path)
        pending, self._pending = self._pending, []
        if pending:
            self._write("".join(pending))

    def _write(self, text: str) -> None:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            handle = os.open(self.path, _FLAGS, 0o600)
        except OSError as exc:
            raise DataError(f"{self.path}: cannot open the journal ({exc.strerror})") from None
        try:
            if not self._checked:
                _cut_torn_tail(handle)
                self._checked = True
            data = text.encode()
            while data:
                data = data[os.write(handle, data) :]
            os.fsync(handle)
        finally:
            os.close(handle)


def _cut_torn_tail(handle: int) -> None:
    """Drop a last line left without its newline by a crash, so the next record starts clean."""
    size = os.fstat(handle).st_size
    if size == 0 or os.pread(handle, 1, size - 1) == b"\n":
        return
    content = os.pread(handle, size, 0)
    os.ftruncate(handle, content.rfind(b"\n") + 1)


def read_journal(path: Path) -> list[dict[str, Any]]:
    """The records of the journal at ``path``, oldest first (see the module docstring)."""
    path = Path(path)
    try:
        handle = os.open(path, os.O_RDONLY | _NOFOLLOW)
    except FileNotFoundError:
        raise DataError(f"{path}: journal not found") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read the journal ({exc.strerror})") from None
    with os.fdopen(handle, "rb") as f:
        content = f.read()
    lines = content.split(b"\n")
    complete, torn = lines[:-1], lines[-1]  # ``torn`` is b"" when the file ends with a newline
    del torn  # a record cut short by a crash was never written: it is not part of the journal
    records = []
    for number, raw in enumerate(complete, start=1):
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataError(f"{path} line {number}: not a JSON record ({exc})") from None
        if not isinstance(record, dict):
            raise DataError(f"{path} line {number}: not a JSON object")
        records.append(record)
    return records
