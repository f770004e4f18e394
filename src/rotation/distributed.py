"""Sweeps on a Dask cluster: chunks of variants are the tasks, the data travels once.

``DaskExecutor`` has the signature of ``rotation.sweep.run_variants`` and gives the same
numbers, bit for bit: each chunk is a ``run_variants`` call on a worker, and a variant's
simulation and metrics do not depend on which other variants share its chunk. How it runs:

- the variants are cut, in grid order, into contiguous chunks (``chunk_size``; by default two
  chunks per worker, so a slow or lost worker holds up little);
- the inputs (prices, macro series, capex) are scattered to every worker once per sweep, and
  each task receives a reference to them, not a copy;
- every worker loads the numba kernel once (from numba's on-disk cache when it can, else it
  compiles it) before the first chunk runs; a worker that joins or restarts later does so on
  its first chunk;
- results are gathered in chunk order and put back together in grid order;
- a chunk whose worker dies is run again on another worker by the scheduler (up to the
  scheduler's ``distributed.scheduler.allowed-failures`` deaths per task, 3 by default); a
  chunk that raises is retried ``retries`` times, then its error is raised here.

Workers need the same Python environment as the client (``rotation`` installed, same
versions) and must see the config's strategies folder at the same absolute path (a shared
file system or the same checkout path); the data itself is sent to them.

``open_executor`` starts a local cluster (``workers`` processes of one thread each, on
127.0.0.1) or connects to a running scheduler (``tcp://host:8786``), and closes what it
opened.
"""

from __future__ import annotations

import contextlib
import copy
import math
import socket
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rotation.config import Config
from rotation.errors import ConfigError, RotationError
from rotation.pipeline import Inputs
from rotation.sweep import SweepResult, run_variants

if TYPE_CHECKING:  # an optional dependency: imported where a sweep asks for it
    from distributed import Future

__all__ = ["DaskExecutor", "open_executor", "require_dask", "run_chunk"]

INSTALL_HINT = "pip install 'dask[distributed]' (or the project's extra: pip install -e '.[dask]')"


def require_dask() -> Any:
    """The ``distributed`` module, or a ``RotationError`` that says how to install it."""
    try:
        import distributed
    except ImportError:
        raise RotationError(
            f"--executor dask needs Dask's distributed scheduler: {INSTALL_HINT}"
        ) from None
    return distributed


def run_chunk(variants: Sequence[Config], inputs: Inputs, memory_mb: float) -> SweepResult:
    """One task: ``run_variants`` on a chunk (runs on a worker). The project's errors say
    which worker raised them."""
    try:
        return run_variants(variants, inputs, memory_mb=memory_mb)
    except RotationError as exc:
        raise type(exc)(f"on Dask worker {socket.gethostname()}: {exc}") from None


def _portable(variants: Sequence[Config]) -> list[Config]:
    """The variants with their config file's path made absolute, so that a worker started in
    another folder finds the strategies folder (``strategies_dir`` is relative to it)."""
    absolute: dict[str, str] = {}
    out = []
    for v in variants:
        path = v.source_path
        if path and path not in absolute:
            absolute[path] = path if Path(path).is_absolute() else str(Path(path).resolve())
        if path and absolute[path] != path:
            # only the spelling of the same file's path changes (source_path is not compared):
            # a shallow copy skips Config.replace's validation (40 us a variant)
            v = copy.copy(v)
            object.__setattr__(v, "source_path", absolute[path])
        out.append(v)
    return out


def _warm_up() -> bool:
    """Load (or compile) the numba kernel in this process with a one-day, one-asset pass."""
    from rotation._sim import simulate_target_weights

    simulate_target_weights(
        np.ones((2, 1)), np.full((1, 1, 1), 0.5), np.array([0]), 0.0, 0.0, 100.0
    )
    return True


class DaskExecutor:
    """``run_variants`` over the workers of a ``distributed.Client``.

    ``chunk_size``: variants per task (default: two chunks per worker). ``retries``: times a
    chunk that raised is tried again. ``task``: the function a worker runs on one chunk,
    ``task(variants, inputs, memory_mb) -> SweepResult`` (default ``run_chunk``).
    """

    def __init__(
        self,
        client: Any,  # a distributed.Client, whose methods are untyped
        *,
        chunk_size: int | None = None,
        retries: int = 2,
        task: Callable[[Sequence[Config], Inputs, float], SweepResult] = run_chunk,
    ) -> None:
        if chunk_size is not None and chunk_size < 1:
            raise ConfigError(f"chunk_size must be >= 1, got {chunk_size}")
        self.client = client
        self.chunk_size = chunk_size
        self.retries = retries
        self.task = task
        self._warmed: set[str] = set()

    def chunks(self, n_variants: int) -> list[slice]:
        """Contiguous slices of ``range(n_variants)``, in order."""
        workers = max(1, len(self.client.scheduler_info(n_workers=-1)["workers"]))
        size = self.chunk_size or max(1, math.ceil(n_variants / (2 * workers)))
        return [slice(s, min(s + size, n_variants)) for s in range(0, n_variants, size)]

    def describe(self) -> str:
        """``"2 workers, 2 threads, scheduler tcp://127.0.0.1:40123"``."""
        info = self.client.scheduler_info(n_workers=-1)
        threads = sum(w.get("nthreads", 0) for w in info["workers"].values())
        return f"{len(info['workers'])} workers, {threads} threads, scheduler {info['address']}"

    def warm_up(self) -> None:
        """Load the numba kernel on every worker not warmed yet (in parallel)."""
        workers = set(self.client.scheduler_info(n_workers=-1)["workers"]) - self._warmed
        if workers:
            self.client.run(_warm_up, workers=sorted(workers))
            self._warmed |= workers

    def __call__(
        self,
        variants: Sequence[Config],
        inputs: Inputs,
        *,
        memory_mb: float = 512,
        progress: Callable[[int], None] | None = None,
    ) -> SweepResult:
        """Same contract and same numbers as ``run_variants(variants, inputs, ...)``."""
        distributed = require_dask()
        if not variants:
            raise ConfigError("a sweep needs at least one variant")
        self.warm_up()
        variants = _portable(variants)
        slices = self.chunks(len(variants))
        run = uuid.uuid4().hex[:12]
        [data] = self.client.scatter([inputs], broadcast=True, hash=False)
        futures: list[Future[SweepResult]] = []
        try:
            futures = [
                self.client.submit(
                    self.task,
                    list(variants[s]),
                    data,
                    memory_mb,
                    retries=self.retries,
                    pure=False,
                    key=f"rotation-sweep-{run}-chunk-{i}",
                )
                for i, s in enumerate(slices)
            ]
            size = {f.key: s.stop - s.start for f, s in zip(futures, slices, strict=True)}
            for future in distributed.as_completed(futures):
                if future.status == "error":
                    future.result()  # raises the chunk's own error
                if progress:
                    progress(size[future.key])
            parts = self.client.gather(futures)
        finally:
            self.client.cancel([data, *futures], force=True)
        return _join(parts, slices, len(variants))


def _join(parts: Sequence[SweepResult], slices: Sequence[slice], n_variants: int) -> SweepResult:
    """Chunks' results (each numbered from 0) as one result numbered in grid order."""
    tables, values = [], []
    for part, s in zip(parts, slices, strict=True):
        tables.append(part.table.set_axis(pd.RangeIndex(s.start, s.stop, name="variant")))
        values.append(part.value.set_axis(pd.RangeIndex(s.start, s.stop), axis=1))
    table = pd.concat(tables)
    value = pd.concat(values, axis=1)
    assert len(table) == n_variants == value.shape[1]
    return SweepResult(table=table, value=value, overrides=[], risk_free=parts[0].risk_free)


@contextlib.contextmanager
def open_executor(
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    chunk_size: int | None = None,
    retries: int = 2,
    timeout: float = 10.0,
) -> Iterator[DaskExecutor]:
    """A ``DaskExecutor`` on a new local cluster or on the cluster at ``scheduler``.

    Local: ``workers`` processes (default 2) of one thread each, on 127.0.0.1, no
    dashboard, without the nanny's ``MALLOC_TRIM_THRESHOLD_``; closed on exit. Remote:
    connects to ``scheduler`` (``tcp://host:port``) and disconnects on exit, leaving the
    cluster running; ``workers`` does not apply.
    """
    distributed = require_dask()
    if scheduler and workers is not None:
        raise ConfigError("--workers starts a local cluster; with --scheduler the cluster decides")
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {workers}")
    with contextlib.ExitStack() as stack:
        if scheduler:
            try:
                client = distributed.Client(scheduler, timeout=timeout)
            except (OSError, TimeoutError) as exc:
                raise RotationError(
                    f"cannot reach the Dask scheduler at {scheduler}: {exc}"
                ) from None
        else:
            import dask

            # The nanny sets MALLOC_TRIM_THRESHOLD_ in its workers, which pins glibc's mmap
            # threshold: every large array is then mapped and faulted in afresh, and the
            # kernel's chunks ran 20-30 % slower (measured). A local sweep's workers live for
            # one command and their memory is bounded by memory_mb, so they go without it.
            with dask.config.set(
                {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
            ):
                cluster = distributed.LocalCluster(
                    n_workers=workers or 2,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                )
            stack.enter_context(cluster)
            client = distributed.Client(cluster)
        stack.enter_context(client)
        yield DaskExecutor(client, chunk_size=chunk_size, retries=retries)
