"""Strategy code without files, network or subprocesses: one process-wide audit hook.

``sandboxed(folders)`` is a context manager: while it is active, any audited event of the kinds
in ``FORBIDDEN`` (a file open, a socket, a subprocess, an exec) raised with a frame from a file
under ``folders`` on the stack is recorded as a ``Violation`` (naming the call and the
innermost line of strategy code that led to it) and refused with ``SandboxViolation``. A
strategy that catches the exception is still reported: the record, not the exception, fails the
check.

Allowed while active: everything raised without strategy code on the stack (the pipeline's own
reads); opens made by the import system itself (the innermost frame is ``importlib``'s
bootstrap, reading a module's source or bytecode), so a strategy may import modules; numba's
cache files (``.nbi``, ``.nbc``); and ``.py`` sources read by ``linecache`` to show a warning's
or a traceback's line.

Python cannot remove an audit hook, so the hook is installed once (on the first use) and does
nothing while no ``sandboxed`` block is active. Not seen: I/O done inside C extensions without
the ``open`` audit event (pyarrow opening a Parquet path in C++, for instance); the static
pass (``rotation.leakscan``) flags such reads in the source.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

FORBIDDEN_PREFIXES = ("socket.", "subprocess.", "os.exec", "os.posix_spawn", "os.spawn")
FORBIDDEN = frozenset(
    {"open", "os.system", "os.fork", "os.forkpty", "os.startfile", "pty.spawn", "ctypes.dlopen"}
)
"""Audited events refused to strategy code (plus any event starting with
``FORBIDDEN_PREFIXES``): file opens, network, subprocesses and exec, loading native code."""

_IMPORT_SYSTEM = ("<frozen importlib", "<frozen zipimport")
_NUMBA_CACHE = (".nbi", ".nbc")
_SOURCE_READERS = ("linecache.py", "tokenize.py")


class SandboxViolation(PermissionError):
    """Raised into strategy code that tried a forbidden call while it was checked."""


@dataclass(frozen=True)
class Violation:
    """A forbidden call: the audit event, its arguments (shortened) and the strategy line."""

    event: str
    detail: str
    path: str  # the strategy file whose line led to the call
    line: int
    function: str

    def describe(self) -> str:
        return f"{self.path}:{self.line} (in {self.function}) called {self.event}({self.detail})"


_lock = threading.Lock()
_active: list[tuple[tuple[str, ...], list[Violation]]] = []  # (folders, record) of open blocks
_installed = False


def _forbidden(event: str) -> bool:
    return event in FORBIDDEN or event.startswith(FORBIDDEN_PREFIXES)


def _shorten(args: tuple[Any, ...]) -> str:
    text = ", ".join(repr(a) for a in args[:2])
    return text if len(text) <= 160 else text[:157] + "..."


@functools.lru_cache(maxsize=4096)
def _real(filename: str) -> str:
    return os.path.realpath(filename) if not filename.startswith("<") else filename


def _strategy_frame(frame: FrameType | None, folders: tuple[str, ...]) -> FrameType | None:
    """The innermost frame of a file under ``folders`` (resolved paths) on the stack from
    ``frame`` out."""
    while frame is not None:
        if _real(frame.f_code.co_filename).startswith(folders):
            return frame
        frame = frame.f_back
    return None


def _harmless(path: str, caller: FrameType) -> bool:
    """An open that reads no data: numba's cache of compiled functions, or the source line of
    a warning or traceback (``linecache``) -- a ``.py`` file, never a data file."""
    if path.endswith(_NUMBA_CACHE):
        return True
    return path.endswith(".py") and caller.f_code.co_filename.endswith(_SOURCE_READERS)


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _active or not _forbidden(event):
        return
    caller = sys._getframe(1)
    if caller.f_code.co_filename.startswith(_IMPORT_SYSTEM):
        return  # the import system reading a module's source or bytecode
    if event == "open" and _harmless(str(args[0]) if args else "", caller):
        return
    for folders, record in list(_active):
        found = _strategy_frame(caller, folders)
        if found is None:
            continue
        violation = Violation(
            event=event,
            detail=_shorten(args),
            path=_real(found.f_code.co_filename),
            line=found.f_lineno,
            function=found.f_code.co_name,
        )
        record.append(violation)
        raise SandboxViolation(f"refused while checking strategy code: {violation.describe()}")


def _install() -> None:
    global _installed
    with _lock:
        if not _installed:
            sys.addaudithook(_hook)
            _installed = True


@contextmanager
def sandboxed(folders: Sequence[Path]) -> Iterator[list[Violation]]:
    """Refuse forbidden calls made by code from files under ``folders`` inside the block.

    Yields the list the violations are recorded in (filled as they happen). Blocks may nest;
    each records the calls of its own folders.
    """
    _install()
    prefixes = tuple(os.path.join(os.path.realpath(f), "") for f in folders)
    record: list[Violation] = []
    entry = (prefixes, record)
    with _lock:
        _active.append(entry)
    try:
        yield record
    finally:
        with _lock:
            _active[:] = [e for e in _active if e is not entry]
