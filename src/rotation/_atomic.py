"""Atomic writes: a file or a folder appears under its final name complete, or not at all.

Both follow one rule: write under a temporary name beside the target, created exclusively (a
unique name that did not exist: ``tempfile.mkstemp`` / ``mkdtemp``, private to this user), then
rename into place in one step (``os.replace`` / ``os.rename`` are atomic on one file system).
Nothing is written through a symbolic link: a link at the final name is itself replaced by the
new file (the file it pointed to is untouched), and a staging folder is private until published,
so no link can be planted in it. A failed or
interrupted (Ctrl-C) write removes its temporary; a process killed outright (SIGKILL, power
loss) can leave a ``.<name>.*.tmp`` file or an ``.incomplete-*`` folder, safe to delete.
Standard library only: the data cache, run folders, reports and exports all use it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rotation.errors import RotationError


def write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


NAME_LIMIT = 80
"""The characters of a config name kept in a folder name (the time and run id come after)."""


def safe_name(name: str, fallback: str = "run") -> str:
    """A file-name-safe version of a config name (no separators, no leading dots), cut to
    ``NAME_LIMIT`` characters."""
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).lstrip(".")
    return cleaned[:NAME_LIMIT] or fallback


def timestamp() -> str:
    """UTC time for folder names: 20261125T081315."""
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"


@dataclass
class Staging:
    """A folder being written (``path``), where it will be published unless another output
    took that name meanwhile (``target``), and, once complete, where it was published."""

    path: Path
    target: Path
    published: Path | None = None


@contextlib.contextmanager
def new_folder(
    parent: Path,
    final_name: str,
    *,
    tag: str = "",
    exact: bool = False,
    what: str = "the run",
) -> Iterator[Staging]:
    """Yield a fresh staging folder; on success rename it to ``parent/final_name-tag`` (or
    ``...-2``... if taken) and set ``.published``; on failure remove it.

    ``final_name`` is made file-name safe and cut (``safe_name``), so a config name cannot
    escape ``parent``; ``tag`` (what tells outputs apart: kind, time, run id) is appended after
    the cut, so a long name never loses it. ``exact``: publish as exactly
    ``parent/final_name``, as given (a folder the user named; an empty folder there is
    replaced), and fail instead of adding a suffix. ``what`` names the output in error
    messages.
    """
    parent = Path(parent)
    if not exact:
        final_name = safe_name(final_name) + (f"-{safe_name(tag, '')}" if tag else "")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        # created exclusively under a random name, readable and writable by this user only
        # while it is written, so no one else can plant a link in it to be written through
        staging = Staging(
            Path(tempfile.mkdtemp(prefix=f".incomplete-{final_name}-", dir=parent)),
            parent / final_name,
        )
    except OSError as exc:  # read-only, a file in the way, no permission...
        raise RotationError(
            f"cannot write to results folder {parent}: {exc.strerror or exc}"
        ) from None
    try:
        yield staging
        os.chmod(staging.path, 0o777 & ~_umask())  # published with the usual permissions
        staging.published = _publish(staging.path, parent, final_name, exact=exact)
    except OSError as exc:  # disk full, file too large, folder made read-only meanwhile...
        shutil.rmtree(staging.path, ignore_errors=True)
        kept = (
            f"the partial output is in {staging.path} (safe to delete)"
            if staging.path.exists()
            else "nothing was kept"
        )
        raise RotationError(
            f"could not write {what} into {parent} ({exc.strerror or exc}); {kept}"
        ) from None
    except BaseException:  # Ctrl-C included: never leave a partial folder behind
        shutil.rmtree(staging.path, ignore_errors=True)
        raise


def _umask() -> int:
    """The process's file-creation mask (read by setting it, then putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _publish(staging: Path, parent: Path, final_name: str, *, exact: bool) -> Path:
    """Rename ``staging`` to a name no other output holds (suffix -2, -3... on a clash)."""
    for attempt in range(1, 2 if exact else 1000):
        target = parent / (final_name if attempt == 1 else f"{final_name}-{attempt}")
        try:
            os.rename(staging, target)  # atomic; fails if target exists and is not empty
            return target
        except OSError as exc:
            if exact:
                reason = exc.strerror or exc
                raise RotationError(f"cannot create folder {target}: {reason}") from None
            if not target.exists():
                raise
    raise RotationError(f"too many outputs named {final_name} in {parent}")
